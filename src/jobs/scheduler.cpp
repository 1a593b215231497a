#include "jobs/scheduler.h"

#include <algorithm>
#include <utility>

#include "base/log.h"
#include "jobs/cron.h"

namespace berth::jobs {

std::string schedule_dedupe_key(const std::string& name) {
  return "schedule:" + name;
}

Scheduler::Scheduler(Runner& runner, SchedulerOptions options)
    : runner_(runner), db_(runner.database()), options_(std::move(options)) {
  options_.max_sleep = std::max(options_.max_sleep, std::chrono::milliseconds(10));
}

Scheduler::~Scheduler() {
  stop();
}

TimePoint Scheduler::now() const {
  return options_.clock ? options_.clock() : std::chrono::system_clock::now();
}

base::Status Scheduler::set(const ScheduleSpec& spec) {
  auto cron = CronSpec::parse(spec.cron);
  if (!cron) return std::move(cron).error();
  if (spec.name.empty()) return base::make_error(base::Errc::invalid_argument, "empty schedule name");
  if (!meta::valid_job_kind(spec.kind))
    return base::make_error(base::Errc::invalid_argument, "invalid job kind " + spec.kind);
  const TimePoint at = now();
  meta::Schedule schedule;
  schedule.name = spec.name;
  schedule.cron = spec.cron;
  schedule.kind = spec.kind;
  schedule.payload = spec.payload;
  schedule.max_attempts = spec.max_attempts;
  schedule.next_run = cron->next(at);
  auto existing = db_.get_schedule(spec.name);
  if (!existing) return std::move(existing).error();
  if (*existing && (*existing)->cron == spec.cron && (*existing)->next_run)
    schedule.next_run = (*existing)->next_run;
  if (auto s = db_.put_schedule(schedule, at); !s) return s;
  {
    std::lock_guard lock(mu_);
    changed_ = true;
  }
  wake_.notify_all();
  return base::ok_status();
}

base::Status Scheduler::remove(const std::string& name) {
  return db_.delete_schedule(name);
}

base::Result<std::optional<meta::Schedule>> Scheduler::get(const std::string& name) {
  return db_.get_schedule(name);
}

base::Result<std::vector<meta::Schedule>> Scheduler::list() {
  return db_.list_schedules();
}

base::Result<std::size_t> Scheduler::run_due(TimePoint at) {
  auto due = db_.due_schedules(at);
  if (!due) return std::move(due).error();
  std::size_t added = 0;
  for (const auto& schedule : *due) {
    auto cron = CronSpec::parse(schedule.cron);
    std::optional<meta::NewJob> job;
    std::optional<TimePoint> next;
    if (cron) {
      next = cron->next(at);
      job = meta::NewJob{schedule.kind, schedule.payload, schedule_dedupe_key(schedule.name), at,
                         schedule.max_attempts};
    } else {
      // Stored by another version, or edited by hand: the schedule stops until it is set again.
      BERTH_LOG_ERROR("jobs: schedule {} is disabled: {}", schedule.name, cron.error().message);
    }
    auto fired = db_.fire_schedule(schedule.name, *schedule.next_run, next, job, at);
    if (!fired) {
      BERTH_LOG_WARN("jobs: cannot fire schedule {}: {}", schedule.name, fired.error().message);
      continue;
    }
    if (!*fired || !job) continue;  // another node fired it, or it changed meanwhile
    if ((*fired)->created) {
      ++added;
      BERTH_LOG_DEBUG("jobs: schedule {} enqueued {} job {}", schedule.name, schedule.kind, (*fired)->id);
    } else {
      BERTH_LOG_INFO("jobs: schedule {} skipped a run: its job {} has not finished", schedule.name,
                     (*fired)->id);
    }
  }
  if (added > 0) runner_.wake();
  return added;
}

void Scheduler::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { loop(); });
}

void Scheduler::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Scheduler::loop() {
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      changed_ = false;
    }
    const TimePoint at = now();
    if (auto ran = run_due(at); !ran)
      BERTH_LOG_WARN("jobs: cannot read the due schedules: {}", ran.error().message);
    auto sleep = options_.max_sleep;
    auto next = db_.next_schedule_time();
    if (next && *next && **next <= at) {
      // Due at the check and still not moved: firing failed; try again a little later.
      sleep = std::min(sleep, std::chrono::milliseconds(1000));
    } else if (next && *next) {
      const auto until = std::chrono::duration_cast<std::chrono::milliseconds>(**next - now());
      // A whole millisecond past the due time, so that the next check finds it due.
      sleep =
          std::clamp(until + std::chrono::milliseconds(1), std::chrono::milliseconds(0), options_.max_sleep);
    }
    std::unique_lock lock(mu_);
    wake_.wait_for(lock, sleep, [&] { return stopping_ || changed_; });
  }
}

}  // namespace berth::jobs
