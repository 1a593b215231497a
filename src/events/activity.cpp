#include "events/activity.h"

#include <algorithm>
#include <utility>

#include "base/log.h"

namespace berth::events {

Activity::Activity(meta::IamDatabase& iam, meta::Database& registry, ActivityOptions options)
    : iam_(iam),
      registry_(registry),
      options_(options),
      worker_([this](std::stop_token stop) { run(stop); }) {}

Activity::~Activity() {
  worker_.request_stop();
  wake_.notify_all();
  worker_.join();
}

void Activity::audit(meta::AuditRecord record) {
  if (record.time.time_since_epoch().count() == 0) record.time = std::chrono::system_clock::now();
  enqueue(audits_, std::move(record));
}

void Activity::pulled(meta::PullRecord pull) {
  if (pull.time.time_since_epoch().count() == 0) pull.time = std::chrono::system_clock::now();
  enqueue(pulls_, std::move(pull));
}

template <class Record>
void Activity::enqueue(std::vector<Record>& queue, Record record) {
  std::size_t waiting = 0;
  {
    std::lock_guard lock(mutex_);
    ++queued_seq_;
    if (audits_.size() + pulls_.size() >= options_.max_queued) {
      ++dropped_;
      ++written_seq_;
      return;
    }
    queue.push_back(std::move(record));
    waiting = audits_.size() + pulls_.size();
  }
  if (waiting >= options_.batch) wake_.notify_all();
}

void Activity::flush() {
  std::unique_lock lock(mutex_);
  std::uint64_t target = queued_seq_;
  flush_target_ = std::max(flush_target_, target);
  wake_.notify_all();
  written_.wait(lock, [&] { return written_seq_ >= target; });
}

std::size_t Activity::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

void Activity::run(std::stop_token stop) {
  for (;;) {
    std::vector<meta::AuditRecord> audits;
    std::vector<meta::PullRecord> pulls;
    bool stopping = false;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, stop, options_.flush_interval, [&] {
        return audits_.size() + pulls_.size() >= options_.batch || flush_target_ > written_seq_;
      });
      // Whatever woke us (batch full, interval over, flush(), stop), take everything.
      audits.swap(audits_);
      pulls.swap(pulls_);
      stopping = stop.stop_requested();
    }
    std::size_t taken = audits.size() + pulls.size();
    if (taken > 0) write(audits, pulls);
    {
      std::lock_guard lock(mutex_);
      written_seq_ += taken;
    }
    written_.notify_all();
    if (stopping) {
      std::lock_guard lock(mutex_);
      if (audits_.empty() && pulls_.empty()) return;
    }
  }
}

void Activity::write(std::vector<meta::AuditRecord>& audits, std::vector<meta::PullRecord>& pulls) {
  if (!audits.empty()) {
    if (auto stored = iam_.append_audit(audits); !stored) {
      BERTH_LOG_ERROR("audit log: {} record(s) not stored: {}", audits.size(), stored.error().message);
    }
  }
  if (!pulls.empty()) {
    if (auto stored = registry_.record_pulls(pulls); !stored) {
      BERTH_LOG_WARN("pull counters: {} pull(s) not counted: {}", pulls.size(), stored.error().message);
    }
  }
}

}  // namespace berth::events
