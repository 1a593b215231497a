// jobs::Runner: the workers that run the persistent job queue (meta::JobDatabase) inside
// the process. Every background task (scans, GC, retention, replication, webhook
// delivery) is a job kind with a handler registered here.
//
// Workers claim due jobs of the registered kinds (atomically: with several workers or
// several nodes on one database, a job runs once at a time), run the handler, and record
// the outcome: success; failure, retried with exponential backoff while attempts remain;
// cancellation. A running job's Context lets it report progress and see a cancel (from
// the API) or a shutdown. While a job runs, the runner sends heartbeats for it; a job whose
// heartbeats stop (its node died) is queued again by any runner after `stale_after`, and at
// start a runner queues again what an earlier run of the same node left running.
//
// enqueue() wakes an idle worker at once; workers also poll every `poll_interval` for jobs
// that became due (retries, delayed jobs, jobs another node enqueued).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "meta/job_database.h"

namespace berth::jobs {

using TimePoint = std::chrono::system_clock::time_point;

// What a running job sees of its runner. Thread-safe.
class Context {
 public:
  explicit Context(meta::Job job) : job_(std::move(job)) {}

  const meta::Job& job() const { return job_; }

  // True once the job should stop as soon as it can: it was cancelled, or the runner is
  // shutting down. A handler that stops for this returns an error with Errc::cancelled.
  bool stop_requested() const { return cancelled() || shutting_down(); }
  // Someone asked for this job to stop (the API), or its lease was lost. The job ends
  // cancelled, whatever error the handler returns.
  bool cancelled() const { return cancelled_.load(); }
  // The runner is stopping. A job that then returns an error is queued again (the attempt
  // is not counted) and runs after the next start.
  bool shutting_down() const { return shutting_down_.load(); }

  // A short text saying how far the job got ("12/40 layers"); stored with the next
  // heartbeat and at the end.
  void report_progress(std::string text);

  // Waits up to `duration`; returns early with false when a stop is requested.
  bool sleep_for(std::chrono::milliseconds duration);

  // Makes the failure the handler is about to return final: the job fails without another
  // attempt (the input is at fault, and would fail the same way again).
  void fail_for_good() { final_ = true; }

 private:
  friend class Runner;

  void request_cancel();
  void request_shutdown();
  std::optional<std::string> take_progress();

  const meta::Job job_;
  std::atomic<bool> cancelled_{false};
  std::atomic<bool> shutting_down_{false};
  std::atomic<bool> lease_lost_{false};
  std::atomic<bool> final_{false};
  std::mutex mu_;
  std::condition_variable wake_;
  std::optional<std::string> progress_;  // reported and not yet stored
};

// Runs one job. Return success, or an error: Errc::cancelled when the job stopped because
// its Context asked it to, anything else for a failure (retried while attempts remain).
// May throw; an exception counts as a failure.
using Handler = std::function<base::Status(const meta::Job&, Context&)>;

struct RunnerOptions {
  std::size_t workers = 2;
  // Identifies this node among those sharing the database; "" = the host name. Worker ids
  // are "<node_id>/<random per start>/<n>".
  std::string node_id;
  std::chrono::milliseconds poll_interval{1000};
  std::chrono::milliseconds heartbeat_interval{5000};
  // A running job without a heartbeat for this long is considered abandoned.
  std::chrono::milliseconds stale_after{60000};
  // Backoff after the n-th failed attempt: retry_base * 2^(n-1), at most retry_max.
  std::chrono::milliseconds retry_base{10000};
  std::chrono::milliseconds retry_max{std::chrono::hours(1)};
  // At start, queue again the jobs this node's earlier runs left running (a crash).
  bool recover_node_jobs = true;
};

// One kind's queue for the dashboard: the database's numbers, and whether this runner
// handles the kind.
struct QueueInfo {
  meta::JobQueueStats stats;
  bool handled = false;
};

class Runner {
 public:
  explicit Runner(meta::JobDatabase& database, RunnerOptions options = {});
  ~Runner();  // stop()
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Registers the handler of `kind`; before start() only. Errors: invalid_argument (kind
  // name, or already registered), conflict (the runner has started).
  base::Status handle(const std::string& kind, Handler handler);

  // Recovers this node's abandoned jobs (if configured) and starts the workers.
  // Errors: conflict (already started), or the database's.
  base::Status start();
  // Stops claiming, tells running jobs (Context::shutting_down), waits for them to return
  // and joins the threads. Idempotent.
  void stop();

  // Adds a job (see meta::JobDatabase::enqueue) and wakes an idle worker.
  base::Result<meta::Enqueued> enqueue(const meta::NewJob& job);
  // Wakes every idle worker (a job became due, a kind was resumed).
  void wake();

  // --- management (the job service API) ---
  // Every kind this runner handles or the database knows, by kind.
  base::Result<std::vector<QueueInfo>> queues();
  // True if this runner handles `kind` or the database has jobs or a pause flag for it.
  base::Result<bool> knows_kind(const std::string& kind);
  base::Status pause(const std::string& kind);
  base::Status resume(const std::string& kind);
  // Cancels the queued jobs of `kind` (every kind when nullopt); returns how many.
  base::Result<std::int64_t> cancel_queued(const std::optional<std::string>& kind);
  // Cancels a job: a queued one at once, a running one is told through its Context (here
  // at once, on another node at its next heartbeat). Returns the state afterwards.
  // Errors: not_found.
  base::Result<meta::JobState> cancel(std::int64_t id);
  // Asks every running job to stop; returns how many.
  base::Result<std::int64_t> cancel_running();

  meta::JobDatabase& database() { return db_; }
  const std::string& node_id() const { return options_.node_id; }
  std::vector<std::string> kinds() const;

  // The delay before retrying after the `attempt`-th failed attempt.
  std::chrono::milliseconds backoff(int attempt) const;

 private:
  void work(std::size_t index);
  void run(meta::Job job, const std::string& worker);
  void maintain();
  void send_heartbeats();
  // Waits until woken (wake_seq_ moved from `seen`), stopping, or `timeout`.
  void idle(std::uint64_t seen, std::chrono::milliseconds timeout);

  meta::JobDatabase& db_;
  RunnerOptions options_;
  std::map<std::string, Handler, std::less<>> handlers_;
  std::vector<std::string> kinds_;
  std::string worker_prefix_;

  std::mutex mu_;
  std::condition_variable wake_;
  std::uint64_t wake_seq_ = 0;
  bool started_ = false;
  bool stopping_ = false;
  std::map<std::int64_t, std::shared_ptr<Context>> running_;  // by job id

  std::mutex maintenance_mu_;
  std::condition_variable maintenance_wake_;
  bool maintenance_stop_ = false;

  std::vector<std::thread> workers_;
  std::thread maintenance_;
};

}  // namespace berth::jobs
