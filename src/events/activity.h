// Activity: the audit log and pull counters, written in the background. Requests hand
// records over without waiting for the database; a worker thread writes what has
// accumulated in one transaction every `flush_interval` (or sooner when `batch` records
// wait). A crash loses at most the records of the last interval; stop() and the
// destructor write everything still queued. While records keep coming faster than a
// batch per interval, full batches are committed without their own fsync (a slow disk
// would otherwise let the queue grow while it syncs); a crash of the machine can lose
// those until the next batch that is not full, or the first idle interval, syncs them.
// Pulls of the same thing queued together are counted in one record.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "meta/database.h"
#include "meta/iam_database.h"

namespace berth::events {

struct ActivityOptions {
  std::chrono::milliseconds flush_interval{200};
  std::size_t batch = 512;
  // Records beyond this many waiting are dropped (and counted) rather than growing
  // memory without bound when the database is stuck.
  std::size_t max_queued = 100000;
};

class Activity {
 public:
  Activity(meta::IamDatabase& iam, meta::Database& registry, ActivityOptions options = {});
  ~Activity();
  Activity(const Activity&) = delete;
  Activity& operator=(const Activity&) = delete;

  // Queues an audit record; its time is set to now if left at the epoch.
  void audit(meta::AuditRecord record);
  // Queues a pull to count. Pulls of the same repository, digest and tag that wait
  // together are counted in one record.
  void pulled(meta::PullRecord pull);
  // Writes everything queued so far and returns when it is stored (tests, shutdown).
  void flush();
  // Records dropped because the queue was full.
  std::size_t dropped() const;

 private:
  // With mutex_ held: counts one more record queued; false (and counted as dropped) when
  // the queue is full and it must not be added.
  bool admit();
  void run(std::stop_token stop);
  void write(std::vector<meta::AuditRecord>& audits, std::vector<meta::PullRecord>& pulls,
             meta::IamDatabase::Commit commit);

  meta::IamDatabase& iam_;
  meta::Database& registry_;
  ActivityOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable_any wake_;
  std::condition_variable written_;
  std::vector<meta::AuditRecord> audits_;
  std::vector<meta::PullRecord> pulls_;
  std::unordered_map<std::string, std::size_t> pull_slots_;  // "repo\ndigest\ntag" -> index in pulls_
  std::uint64_t pending_ = 0;       // guarded by mutex_: calls the queued records stand for
  std::uint64_t queued_seq_ = 0;    // guarded by mutex_: records queued so far
  std::uint64_t written_seq_ = 0;   // guarded by mutex_: records written (or dropped) so far
  std::uint64_t flush_target_ = 0;  // guarded by mutex_: flush() waits until written_seq_ reaches it
  std::size_t dropped_ = 0;
  std::jthread worker_;
};

}  // namespace berth::events
