#include "jobs/runner.h"

#include <unistd.h>

#include <algorithm>
#include <exception>
#include <utility>

#include "base/log.h"
#include "base/random.h"

namespace berth::jobs {
namespace {

using base::Errc;

TimePoint now() {
  return std::chrono::system_clock::now();
}

std::string host_name() {
  char buffer[256] = {};
  if (::gethostname(buffer, sizeof buffer - 1) != 0 || buffer[0] == '\0') return "berth";
  std::string name(buffer);
  // Worker ids use '/' as the separator.
  std::replace(name.begin(), name.end(), '/', '_');
  return name;
}

std::string describe(const meta::Job& job) {
  return job.kind + " job " + std::to_string(job.id);
}

}  // namespace

// --- Context ------------------------------------------------------------------------------

void Context::report_progress(std::string text) {
  std::lock_guard lock(mu_);
  progress_ = std::move(text);
}

bool Context::sleep_for(std::chrono::milliseconds duration) {
  std::unique_lock lock(mu_);
  wake_.wait_for(lock, duration, [&] { return stop_requested(); });
  return !stop_requested();
}

void Context::request_cancel() {
  {
    std::lock_guard lock(mu_);
    cancelled_ = true;
  }
  wake_.notify_all();
}

void Context::request_shutdown() {
  {
    std::lock_guard lock(mu_);
    shutting_down_ = true;
  }
  wake_.notify_all();
}

std::optional<std::string> Context::take_progress() {
  std::lock_guard lock(mu_);
  return std::exchange(progress_, std::nullopt);
}

// --- Runner -------------------------------------------------------------------------------

Runner::Runner(meta::JobDatabase& database, RunnerOptions options)
    : db_(database), options_(std::move(options)) {
  if (options_.node_id.empty()) options_.node_id = host_name();
  options_.poll_interval = std::max(options_.poll_interval, std::chrono::milliseconds(1));
  options_.heartbeat_interval = std::max(options_.heartbeat_interval, std::chrono::milliseconds(1));
  options_.stale_after = std::max(options_.stale_after, options_.heartbeat_interval * 2);
  worker_prefix_ = options_.node_id + "/" + base::random_hex(4) + "/";
}

Runner::~Runner() {
  stop();
}

base::Status Runner::handle(const std::string& kind, Handler handler) {
  if (!meta::valid_job_kind(kind))
    return base::make_error(Errc::invalid_argument, "invalid job kind " + kind);
  std::lock_guard lock(mu_);
  if (started_)
    return base::make_error(Errc::conflict, "handlers must be registered before the runner starts");
  if (!handlers_.emplace(kind, std::move(handler)).second)
    return base::make_error(Errc::invalid_argument, "job kind " + kind + " already has a handler");
  kinds_.push_back(kind);
  return base::ok_status();
}

base::Status Runner::start() {
  {
    std::lock_guard lock(mu_);
    if (started_) return base::make_error(Errc::conflict, "the job runner was already started");
    started_ = true;
  }
  if (options_.recover_node_jobs) {
    auto recovered = db_.requeue_abandoned(options_.node_id + "/", now());
    if (!recovered) return std::move(recovered).error();
    if (*recovered > 0)
      BERTH_LOG_INFO("jobs: queued again {} job(s) left running by a previous run", *recovered);
  }
  for (std::size_t i = 0; i < options_.workers; ++i) workers_.emplace_back([this, i] { work(i); });
  maintenance_ = std::thread([this] { maintain(); });
  return base::ok_status();
}

void Runner::stop() {
  {
    std::lock_guard lock(mu_);
    if (!started_ || stopping_) return;
    stopping_ = true;
    for (auto& [id, context] : running_) context->request_shutdown();
  }
  wake_.notify_all();
  for (auto& worker : workers_) worker.join();
  workers_.clear();
  {
    std::lock_guard lock(maintenance_mu_);
    maintenance_stop_ = true;
  }
  maintenance_wake_.notify_all();
  if (maintenance_.joinable()) maintenance_.join();
}

base::Result<meta::Enqueued> Runner::enqueue(const meta::NewJob& job) {
  auto enqueued = db_.enqueue(job, now());
  if (enqueued && enqueued->created) {
    {
      std::lock_guard lock(mu_);
      ++wake_seq_;
    }
    wake_.notify_one();
  }
  return enqueued;
}

void Runner::wake() {
  {
    std::lock_guard lock(mu_);
    ++wake_seq_;
  }
  wake_.notify_all();
}

std::vector<std::string> Runner::kinds() const {
  return kinds_;
}

std::chrono::milliseconds Runner::backoff(int attempt) const {
  auto delay = options_.retry_base;
  for (int i = 1; i < attempt && delay < options_.retry_max; ++i) delay *= 2;
  return std::min(delay, options_.retry_max);
}

void Runner::idle(std::uint64_t seen, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  wake_.wait_for(lock, timeout, [&] { return stopping_ || wake_seq_ != seen; });
}

void Runner::work(std::size_t index) {
  const std::string worker = worker_prefix_ + std::to_string(index);
  bool failing = false;
  for (;;) {
    std::uint64_t seen = 0;
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      seen = wake_seq_;
    }
    auto claimed = db_.claim(kinds_, worker, now());
    if (!claimed) {
      // Logged once per run of failures, not at every poll.
      if (!failing) BERTH_LOG_WARN("jobs: {} cannot claim jobs: {}", worker, claimed.error().message);
      failing = true;
      idle(seen, options_.poll_interval);
      continue;
    }
    if (failing) BERTH_LOG_INFO("jobs: {} claims jobs again", worker);
    failing = false;
    if (!*claimed) {
      idle(seen, options_.poll_interval);
      continue;
    }
    run(std::move(**claimed), worker);
  }
}

void Runner::run(meta::Job job, const std::string& worker) {
  auto context = std::make_shared<Context>(job);
  {
    std::lock_guard lock(mu_);
    if (stopping_) context->request_shutdown();
    running_[job.id] = context;
  }
  const auto handler = handlers_.find(job.kind);
  base::Status status;
  const auto started = std::chrono::steady_clock::now();
  try {
    if (handler == handlers_.end())
      status = base::make_error(Errc::internal, "no handler for job kind " + job.kind);
    else
      status = handler->second(context->job(), *context);
  } catch (const std::exception& e) {
    status = base::make_error(Errc::internal, std::string("exception: ") + e.what());
  } catch (...) {
    status = base::make_error(Errc::internal, "unknown exception");
  }
  {
    std::lock_guard lock(mu_);
    running_.erase(job.id);
  }
  const auto elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);

  if (context->lease_lost_) {
    BERTH_LOG_WARN("jobs: {} was taken from {} while it ran; its result is dropped", describe(job), worker);
    return;
  }
  meta::JobOutcome outcome;
  outcome.progress = context->take_progress();
  if (status) {
    outcome.kind = meta::JobOutcome::Kind::succeeded;
  } else if (context->cancelled() || (status.error().code == Errc::cancelled && !context->shutting_down())) {
    outcome.kind = meta::JobOutcome::Kind::cancelled;
    outcome.error = status.error().message;
  } else if (context->shutting_down()) {
    outcome.kind = meta::JobOutcome::Kind::interrupted;
  } else {
    outcome.kind = meta::JobOutcome::Kind::failed;
    outcome.error = status.error().message;
    outcome.retry_at = now() + backoff(job.attempts);
    outcome.final = context->final_.load();
  }

  const meta::JobLease lease{job.id, worker, job.attempts};
  for (int attempt = 0;; ++attempt) {
    auto finished = db_.finish(lease, outcome, now());
    if (finished) {
      switch (*finished) {
        case meta::JobState::succeeded:
          BERTH_LOG_DEBUG("jobs: {} succeeded in {} ms", describe(job), elapsed.count());
          break;
        case meta::JobState::queued:
          if (outcome.kind == meta::JobOutcome::Kind::interrupted)
            BERTH_LOG_INFO("jobs: {} interrupted by the shutdown; it runs again after the next start",
                           describe(job));
          else
            BERTH_LOG_WARN("jobs: {} attempt {}/{} failed, retried in {} s: {}", describe(job), job.attempts,
                           job.max_attempts, backoff(job.attempts).count() / 1000, outcome.error);
          break;
        case meta::JobState::failed:
          BERTH_LOG_WARN("jobs: {} failed{} after {} attempt(s): {}", describe(job),
                         outcome.final ? " for good" : "", job.attempts, outcome.error);
          break;
        case meta::JobState::cancelled:
          BERTH_LOG_INFO("jobs: {} cancelled", describe(job));
          break;
        case meta::JobState::running:
          break;
      }
      break;
    }
    if (finished.error().code == Errc::conflict || attempt == 2) {
      BERTH_LOG_WARN("jobs: cannot record the end of {}: {}", describe(job), finished.error().message);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100 << attempt));
  }
  if (outcome.kind != meta::JobOutcome::Kind::succeeded) wake();  // a retry may already be due
}

void Runner::send_heartbeats() {
  std::vector<std::pair<meta::JobLease, std::shared_ptr<Context>>> held;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, context] : running_) held.emplace_back(meta::lease_of(context->job()), context);
  }
  for (auto& [lease, context] : held) {
    auto progress = context->take_progress();
    auto reply = db_.heartbeat(lease, now(), progress);
    if (reply) {
      if (*reply && !context->cancelled()) {
        BERTH_LOG_INFO("jobs: {} asked to stop", describe(context->job()));
        context->request_cancel();
      }
      continue;
    }
    if (progress) {
      // Not stored: keep it for the next heartbeat unless a newer one came.
      std::lock_guard lock(context->mu_);
      if (!context->progress_) context->progress_ = std::move(progress);
    }
    if (reply.error().code == Errc::conflict) {
      BERTH_LOG_WARN("jobs: {} is no longer held by this worker: {}", describe(context->job()),
                     reply.error().message);
      context->lease_lost_ = true;
      context->request_cancel();
    } else {
      BERTH_LOG_WARN("jobs: heartbeat of {} failed: {}", describe(context->job()), reply.error().message);
    }
  }
}

void Runner::maintain() {
  auto last_stale_check = std::chrono::steady_clock::time_point{};
  for (;;) {
    {
      std::unique_lock lock(maintenance_mu_);
      maintenance_wake_.wait_for(lock, options_.heartbeat_interval, [&] { return maintenance_stop_; });
      if (maintenance_stop_) return;
    }
    send_heartbeats();
    const auto steady = std::chrono::steady_clock::now();
    if (steady - last_stale_check >= options_.stale_after / 2) {
      last_stale_check = steady;
      auto requeued = db_.requeue_stale(now() - options_.stale_after, now());
      if (!requeued) {
        BERTH_LOG_WARN("jobs: cannot requeue stale jobs: {}", requeued.error().message);
      } else if (*requeued > 0) {
        BERTH_LOG_WARN("jobs: queued again {} job(s) whose worker stopped sending heartbeats", *requeued);
        wake();
      }
    }
  }
}

// --- management ----------------------------------------------------------------------------

base::Result<std::vector<QueueInfo>> Runner::queues() {
  auto stats = db_.queue_stats(now());
  if (!stats) return std::move(stats).error();
  std::map<std::string, QueueInfo> by_kind;
  for (auto& s : *stats) {
    QueueInfo info;
    info.stats = std::move(s);
    by_kind.emplace(info.stats.kind, std::move(info));
  }
  for (const auto& kind : kinds_) {
    auto& info = by_kind[kind];
    info.stats.kind = kind;
    info.handled = true;
  }
  std::vector<QueueInfo> out;
  for (auto& [kind, info] : by_kind) out.push_back(std::move(info));
  return out;
}

base::Result<bool> Runner::knows_kind(const std::string& kind) {
  if (handlers_.contains(kind)) return true;
  auto stats = db_.queue_stats(now());
  if (!stats) return std::move(stats).error();
  return std::any_of(stats->begin(), stats->end(), [&](const auto& s) { return s.kind == kind; });
}

base::Status Runner::pause(const std::string& kind) {
  return db_.set_paused(kind, true, now());
}

base::Status Runner::resume(const std::string& kind) {
  auto s = db_.set_paused(kind, false, now());
  if (s) wake();
  return s;
}

base::Result<std::int64_t> Runner::cancel_queued(const std::optional<std::string>& kind) {
  return db_.cancel_queued(kind, now());
}

base::Result<meta::JobState> Runner::cancel(std::int64_t id) {
  auto state = db_.cancel(id, now());
  if (state && *state == meta::JobState::running) {
    std::lock_guard lock(mu_);
    if (auto it = running_.find(id); it != running_.end()) it->second->request_cancel();
  }
  return state;
}

base::Result<std::int64_t> Runner::cancel_running() {
  auto count = db_.cancel_running(std::nullopt);
  if (count) {
    std::lock_guard lock(mu_);
    for (auto& [id, context] : running_) context->request_cancel();
  }
  return count;
}

}  // namespace berth::jobs
