// meta::JobDatabase: the persistent job queue and the cron schedules behind one narrow
// interface, next to meta::Database and meta::IamDatabase (the same SQLite file; a
// PostgreSQL back end will implement it with FOR UPDATE SKIP LOCKED so that several nodes
// share the queue). Every mutating call is one transaction.
//
// A job's life: enqueue -> queued -> claim -> running (heartbeats) -> finish: succeeded,
// failed, cancelled, or back to queued (a retry after a failure, a stale worker's job, a
// job interrupted by a shutdown). The worker that claimed a job holds it through a
// JobLease (job id, worker id, attempt number): heartbeat and finish name the lease and
// answer `conflict` when the job is no longer theirs (it was requeued as stale and maybe
// claimed again), so a worker that lost its job can never overwrite another's result.
//
// Kind names are 1..100 characters of [A-Za-z0-9_.:-] ("IMAGE_SCAN", "GARBAGE_COLLECTION");
// payloads are opaque text (JSON by convention).
//
// Thread-safety: all methods may be called concurrently from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "meta/database.h"
#include "meta/query.h"

namespace berth::meta {

enum class JobState { queued, running, succeeded, failed, cancelled };

// "queued", "running", "succeeded", "failed", "cancelled".
std::string_view job_state_name(JobState state);
std::optional<JobState> parse_job_state(std::string_view name);
// Harbor's name of a job's status: "Pending", "Running", "Success", "Error", "Stopped".
std::string_view harbor_job_status(JobState state);

// True for 1..100 characters of [A-Za-z0-9_.:-].
bool valid_job_kind(std::string_view kind);

struct Job {
  std::int64_t id = 0;
  std::string kind;
  std::string payload;
  JobState state = JobState::queued;
  std::optional<std::string> dedupe_key;
  int attempts = 0;  // attempts started so far (the running one included)
  int max_attempts = 1;
  TimePoint run_after;  // a queued job is due from then on
  TimePoint created;
  std::optional<TimePoint> started;    // start of the latest attempt
  std::optional<TimePoint> finished;   // set in succeeded, failed and cancelled
  std::optional<TimePoint> heartbeat;  // latest sign of life of the running attempt
  std::string worker;                  // who runs (or last ran) it; "" before the first claim
  std::string error;                   // the latest failure's message
  std::string progress;                // what the running job last reported
  bool cancel_requested = false;       // a running job was asked to stop
};

struct NewJob {
  std::string kind;
  std::string payload = "{}";
  // When a queued or running job has this key, enqueue returns that job instead of adding
  // one ("scan:<digest>", "schedule:<name>").
  std::optional<std::string> dedupe_key;
  TimePoint run_after{};  // the epoch = now
  int max_attempts = 3;   // at least 1
};

struct Enqueued {
  std::int64_t id = 0;
  bool created = false;  // false: an active job with the same dedupe key was returned
};

// Who holds a running job: the claiming worker and the attempt it started.
struct JobLease {
  std::int64_t id = 0;
  std::string worker;
  int attempt = 0;
};

inline JobLease lease_of(const Job& job) {
  return JobLease{job.id, job.worker, job.attempts};
}

// How an attempt ended.
struct JobOutcome {
  enum class Kind {
    succeeded,
    // Retried at `retry_at` while attempts remain (and no cancel was requested) unless
    // `final`, else failed.
    failed,
    cancelled,
    // Stopped by a shutdown before it could finish: queued again at once and the attempt
    // is not counted.
    interrupted,
  };
  Kind kind = Kind::succeeded;
  std::string error;                    // failed, cancelled: why
  TimePoint retry_at{};                 // failed: when to try again
  std::optional<std::string> progress;  // the job's last progress text, when it changed
  bool final = false;                   // failed: no further attempt, whatever remain
};

// One kind's queue, as the job service dashboard shows it.
struct JobQueueStats {
  std::string kind;
  std::int64_t queued = 0;  // waiting, due or not
  std::int64_t running = 0;
  // When the longest-waiting due job became due; nullopt when no job is due.
  std::optional<TimePoint> oldest_due;
  bool paused = false;
};

struct Schedule {
  std::string name;  // unique
  std::string cron;  // as given; the scheduler parses it
  std::string kind;
  std::string payload = "{}";
  int max_attempts = 3;
  std::optional<TimePoint> next_run;  // nullopt = never (an inactive schedule)
  std::optional<TimePoint> last_run;
  std::optional<std::int64_t> last_job_id;
  TimePoint created;  // filled by reads
  TimePoint updated;  // filled by reads
};

class JobDatabase {
 public:
  virtual ~JobDatabase() = default;

  // --- the queue ---------------------------------------------------------------
  // Adds a queued job, or returns the queued or running job with the same dedupe key.
  // Errors: invalid_argument (kind, max_attempts < 1).
  virtual base::Result<Enqueued> enqueue(const NewJob& job, TimePoint now) = 0;
  // The due queued job of one of `kinds` (not paused) that has waited longest (earliest
  // run_after, then lowest id), now running under `worker` with its attempt counted; nullopt
  // when there is none. Atomic: two workers never claim the same job.
  virtual base::Result<std::optional<Job>> claim(const std::vector<std::string>& kinds,
                                                 const std::string& worker, TimePoint now) = 0;
  // Records a sign of life (and the progress text when given). Returns whether the job
  // was asked to stop (cancel). Errors: conflict (the lease is no longer the job's).
  virtual base::Result<bool> heartbeat(const JobLease& lease, TimePoint now,
                                       std::optional<std::string> progress) = 0;
  // Ends the attempt; returns the job's state afterwards. A failure of a job whose cancel
  // was requested ends cancelled. Errors: conflict (the lease is no longer the job's).
  virtual base::Result<JobState> finish(const JobLease& lease, const JobOutcome& outcome, TimePoint now) = 0;
  // Crash recovery: running jobs whose latest heartbeat is before `heartbeat_before` go
  // back to queued (due now; the attempt stays counted), or to failed when no attempt is
  // left, or to cancelled when a cancel was requested. Returns how many.
  virtual base::Result<std::int64_t> requeue_stale(TimePoint heartbeat_before, TimePoint now) = 0;
  // The same for the running jobs of workers whose id starts with `worker_prefix` (a
  // previous run of this node), whatever their heartbeat. Errors: invalid_argument (empty).
  virtual base::Result<std::int64_t> requeue_abandoned(const std::string& worker_prefix, TimePoint now) = 0;
  // A queued job is cancelled at once; a running one is asked to stop (its worker sees it
  // at its next heartbeat). Returns the state afterwards (a finished job is left as it is).
  // Errors: not_found.
  virtual base::Result<JobState> cancel(std::int64_t id, TimePoint now) = 0;
  // Cancels every queued job of `kind` (every kind when nullopt); returns how many.
  virtual base::Result<std::int64_t> cancel_queued(const std::optional<std::string>& kind, TimePoint now) = 0;
  // Asks every running job of `kind` (every kind when nullopt) to stop; returns how many.
  virtual base::Result<std::int64_t> cancel_running(const std::optional<std::string>& kind) = 0;
  // Paused kinds keep their jobs but are not claimed. Errors: invalid_argument (kind).
  virtual base::Status set_paused(const std::string& kind, bool paused, TimePoint now) = 0;
  virtual base::Result<std::optional<Job>> get_job(std::int64_t id) = 0;
  // Fields: kind (exact, fuzzy, any_of), state (exact, any_of), creation_time (range).
  // Sort: id, creation_time, start_time, end_time (default: -id, newest first).
  virtual base::Result<Listing<Job>> list_jobs(const ListQuery& query) = 0;
  // Every kind that has queued or running jobs or a paused flag on record, by kind.
  virtual base::Result<std::vector<JobQueueStats>> queue_stats(TimePoint now) = 0;
  // Deletes succeeded, failed and cancelled jobs that finished before `cutoff`; returns
  // how many.
  virtual base::Result<std::int64_t> purge_finished(TimePoint cutoff) = 0;

  // --- schedules ---------------------------------------------------------------
  // Creates or replaces the schedule `schedule.name` (cron, kind, payload, max_attempts,
  // next_run; last_run and last_job_id are kept). Errors: invalid_argument (empty name,
  // kind, max_attempts < 1).
  virtual base::Status put_schedule(const Schedule& schedule, TimePoint now) = 0;
  // Errors: not_found.
  virtual base::Status delete_schedule(const std::string& name) = 0;
  virtual base::Result<std::optional<Schedule>> get_schedule(const std::string& name) = 0;
  // By name.
  virtual base::Result<std::vector<Schedule>> list_schedules() = 0;
  // Schedules whose next_run is at or before `now`, earliest first.
  virtual base::Result<std::vector<Schedule>> due_schedules(TimePoint now) = 0;
  // The earliest next_run of any schedule.
  virtual base::Result<std::optional<TimePoint>> next_schedule_time() = 0;
  // Fires a due schedule, once across every node: when its next_run still equals
  // `expected_next_run`, enqueues `job` (if given), sets next_run to `next_run`, last_run
  // to `now` and last_job_id, all in one transaction, and returns the job (an existing
  // one when the dedupe key matched; id 0 when `job` is nullopt, which only moves
  // next_run). Returns nullopt without changes when next_run
  // moved (another node fired it, or the schedule was changed) or the schedule is gone.
  virtual base::Result<std::optional<Enqueued>> fire_schedule(const std::string& name,
                                                              TimePoint expected_next_run,
                                                              std::optional<TimePoint> next_run,
                                                              const std::optional<NewJob>& job,
                                                              TimePoint now) = 0;
};

}  // namespace berth::meta
