// Garbage collection as a background job (kind GARBAGE_COLLECTION): the parameters Harbor's
// /system/gc API takes, and the handler that runs Registry::collect_garbage with them, its
// log kept as the job's progress text.
#pragma once

#include <chrono>
#include <string>

#include "base/result.h"
#include "jobs/runner.h"
#include "registry/registry.h"

namespace berth::gc {

inline constexpr const char* kJobKind = "GARBAGE_COLLECTION";
inline constexpr const char* kScheduleName = "gc";

struct Parameters {
  bool delete_untagged = false;
  bool dry_run = false;
  int workers = 1;                 // 1..5
  std::string trigger = "MANUAL";  // or "SCHEDULE"
};

// The job payload (JSON) of `parameters`, and back. Errors: invalid_argument.
std::string to_payload(const Parameters& parameters);
base::Result<Parameters> from_payload(const std::string& payload);

struct JobOptions {
  std::chrono::seconds grace{std::chrono::hours(2)};
  std::chrono::seconds upload_max_age{std::chrono::hours(24)};
};

// Registers the job kind's handler (before the runner starts).
base::Status register_job(jobs::Runner& runner, registry::Registry& registry, JobOptions options);

}  // namespace berth::gc
