// The job queue's own upkeep, as a job: PURGE_JOBS deletes the jobs that finished (succeeded,
// failed or cancelled) more than a configured time ago, daily by default.
#pragma once

#include <chrono>
#include <string>

#include "base/result.h"
#include "jobs/runner.h"
#include "jobs/scheduler.h"

namespace berth::jobs {

inline constexpr const char* kPurgeJobsKind = "PURGE_JOBS";
inline constexpr const char* kPurgeJobsSchedule = "purge-finished-jobs";

// Registers the PURGE_JOBS handler on `runner` (before it starts): it deletes the jobs
// that finished more than `keep` ago.
base::Status register_job_purge(Runner& runner, std::chrono::seconds keep);

// Schedules PURGE_JOBS (every day at 03:30 UTC by default).
base::Status schedule_job_purge(Scheduler& scheduler, const std::string& cron = "0 30 3 * * *");

}  // namespace berth::jobs
