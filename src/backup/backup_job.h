// Backups as a background job (kind BACKUP): the server writes them into one directory,
// named by the time they were taken, and keeps the newest `keep`. Scheduled by cron
// (backup.schedule) or asked for through the operator API.
#pragma once

#include <filesystem>
#include <string>

#include "backup/backup.h"
#include "base/result.h"
#include "jobs/runner.h"

namespace berth::backup {

inline constexpr const char* kJobKind = "BACKUP";
inline constexpr const char* kScheduleName = "backup";

struct JobOptions {
  std::filesystem::path dir;  // where backups go
  std::size_t keep = 7;
};

// The job payload: who asked ("MANUAL" or "SCHEDULE").
std::string job_payload(const std::string& trigger);

// The name a backup taken at `when` gets: berth-YYYYMMDDTHHMMSSZ.
std::string name_for(std::chrono::system_clock::time_point when);

// Registers the job kind's handler (before the runner starts). `sources` must outlive the runner.
base::Status register_job(jobs::Runner& runner, const Sources& sources, JobOptions options);

}  // namespace berth::backup
