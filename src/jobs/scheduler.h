// jobs::Scheduler: turns the cron schedules stored in meta::JobDatabase into jobs. A thread
// sleeps until the earliest next run, enqueues the job of each due schedule and stores
// its next run, in one transaction that only one node can win (several nodes may run a
// scheduler on one database). Each schedule's job has the dedupe key "schedule:<name>", so
// a run that is still queued or running when the next one is due is not stacked. After
// downtime a missed run happens once, at start, not once per missed time.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "jobs/runner.h"
#include "meta/job_database.h"

namespace berth::jobs {

struct SchedulerOptions {
  // Reads the schedules again at least this often (another node may have changed them).
  std::chrono::milliseconds max_sleep{30000};
  // The time schedules are checked against; default system_clock::now (tests inject one).
  std::function<TimePoint()> clock;
};

struct ScheduleSpec {
  std::string name;
  std::string cron;  // see jobs/cron.h
  std::string kind;
  std::string payload = "{}";
  int max_attempts = 3;
};

// The dedupe key of the jobs a schedule enqueues.
std::string schedule_dedupe_key(const std::string& name);

class Scheduler {
 public:
  // Enqueues through `runner` (which it wakes) into the runner's database.
  explicit Scheduler(Runner& runner, SchedulerOptions options = {});
  ~Scheduler();  // stop()
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Creates or replaces a schedule. Its next run is the cron's next time from now, or
  // the stored one when the cron is unchanged (so re-applying the configuration at every
  // start keeps a missed run). Errors: invalid_argument (cron, kind, name, max_attempts).
  base::Status set(const ScheduleSpec& spec);
  // Errors: not_found.
  base::Status remove(const std::string& name);
  base::Result<std::optional<meta::Schedule>> get(const std::string& name);
  base::Result<std::vector<meta::Schedule>> list();

  // Enqueues the job of every schedule due at `now` and stores its next run; returns how
  // many jobs it added (a run whose previous job is still active adds none).
  base::Result<std::size_t> run_due(TimePoint now);

  void start();
  void stop();  // idempotent

 private:
  TimePoint now() const;
  void loop();

  Runner& runner_;
  meta::JobDatabase& db_;
  SchedulerOptions options_;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool changed_ = false;
  std::thread thread_;
};

}  // namespace berth::jobs
