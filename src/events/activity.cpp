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
  std::size_t waiting = 0;
  {
    std::lock_guard lock(mutex_);
    if (!admit()) return;
    audits_.push_back(std::move(record));
    waiting = audits_.size() + pulls_.size();
  }
  if (waiting >= options_.batch) wake_.notify_all();
}

void Activity::pulled(meta::PullRecord pull) {
  if (pull.time.time_since_epoch().count() == 0) pull.time = std::chrono::system_clock::now();
  std::string key;
  key.reserve(pull.repository.size() + pull.digest.size() + pull.tag.size() + 2);
  key.append(pull.repository).append(1, '\n').append(pull.digest).append(1, '\n').append(pull.tag);
  std::size_t waiting = 0;
  {
    std::lock_guard lock(mutex_);
    if (auto slot = pull_slots_.find(key); slot != pull_slots_.end()) {
      meta::PullRecord& same = pulls_[slot->second];
      same.count += pull.count;
      same.time = std::max(same.time, pull.time);
      ++queued_seq_;
      ++pending_;
      return;
    }
    if (!admit()) return;
    pull_slots_.emplace(std::move(key), pulls_.size());
    pulls_.push_back(std::move(pull));
    waiting = audits_.size() + pulls_.size();
  }
  if (waiting >= options_.batch) wake_.notify_all();
}

bool Activity::admit() {
  ++queued_seq_;
  if (audits_.size() + pulls_.size() >= options_.max_queued) {
    ++dropped_;
    ++written_seq_;
    return false;
  }
  ++pending_;
  return true;
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
  bool unsynced = false;  // a full batch was committed relaxed and is not durable yet
  for (;;) {
    std::vector<meta::AuditRecord> audits;
    std::vector<meta::PullRecord> pulls;
    std::uint64_t taken = 0;  // calls of audit() and pulled() the records stand for
    bool stopping = false;
    bool flushing = false;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, stop, options_.flush_interval, [&] {
        return audits_.size() + pulls_.size() >= options_.batch || flush_target_ > written_seq_;
      });
      // Whatever woke us (batch full, interval over, flush(), stop), take everything.
      audits.swap(audits_);
      pulls.swap(pulls_);
      pull_slots_.clear();
      taken = std::exchange(pending_, 0);
      stopping = stop.stop_requested();
      flushing = flush_target_ > written_seq_;
    }
    const bool relaxed = audits.size() >= options_.batch && !flushing && !stopping;
    if (taken > 0) {
      write(audits, pulls, relaxed ? meta::IamDatabase::Commit::relaxed : meta::IamDatabase::Commit::durable);
    }
    if (!audits.empty()) {
      unsynced = relaxed;
    } else if (unsynced) {
      if (auto synced = iam_.sync_audit(); synced) {
        unsynced = false;
      } else if (stopping) {
        BERTH_LOG_WARN("audit log: could not sync the last records: {}", synced.error().message);
      }
    }
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

void Activity::write(std::vector<meta::AuditRecord>& audits, std::vector<meta::PullRecord>& pulls,
                     meta::IamDatabase::Commit commit) {
  if (!audits.empty()) {
    if (auto stored = iam_.append_audit(audits, commit); !stored) {
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
