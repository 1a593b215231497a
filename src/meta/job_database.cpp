// The parts of meta/job_database.h that do not depend on a back end.
#include "meta/job_database.h"

namespace berth::meta {

std::string_view job_state_name(JobState state) {
  switch (state) {
    case JobState::queued:
      return "queued";
    case JobState::running:
      return "running";
    case JobState::succeeded:
      return "succeeded";
    case JobState::failed:
      return "failed";
    case JobState::cancelled:
      return "cancelled";
  }
  return "failed";
}

std::string_view harbor_job_status(JobState state) {
  switch (state) {
    case JobState::queued:
      return "Pending";
    case JobState::running:
      return "Running";
    case JobState::succeeded:
      return "Success";
    case JobState::failed:
      return "Error";
    case JobState::cancelled:
      return "Stopped";
  }
  return "Error";
}

std::optional<JobState> parse_job_state(std::string_view name) {
  for (JobState state :
       {JobState::queued, JobState::running, JobState::succeeded, JobState::failed, JobState::cancelled}) {
    if (job_state_name(state) == name) return state;
  }
  return std::nullopt;
}

bool valid_job_kind(std::string_view kind) {
  if (kind.empty() || kind.size() > 100) return false;
  for (char c : kind) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '.' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace berth::meta
