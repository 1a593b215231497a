// retention::Service: tag retention policies (policy::RetentionPolicy) kept per project, and
// their executions. An execution is a job of kind RETENTION: for each repository of the
// project that a rule covers it weighs the artifacts (policy::evaluate_retention), deletes
// those that go through the registry (so quota and immutability apply as for any delete),
// unless it is a dry run, and records one task per repository with its log. A policy's cron
// becomes a schedule of the job queue ("retention:<id>"), so scheduled runs happen once across
// nodes. The newest 50 executions of a policy are kept.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "base/result.h"
#include "iam/service.h"
#include "jobs/runner.h"
#include "jobs/scheduler.h"
#include "meta/retention_database.h"
#include "policy/immutability.h"
#include "policy/retention.h"
#include "registry/registry.h"

namespace berth::retention {

inline constexpr const char* kJobKind = "RETENTION";
inline constexpr std::size_t kKeptExecutions = 50;

// The schedule of a policy's cron.
std::string schedule_name(std::int64_t policy_id);

struct Options {
  std::function<std::chrono::system_clock::time_point()> clock;  // default: system_clock::now
  // Told when an execution ends (webhooks), with its project and how many artifacts it deleted
  // (or, in a dry run, would have).
  std::function<void(const meta::RetentionExecutionRecord& execution, std::int64_t project_id,
                     std::size_t deleted)>
      on_finished;
};

class Service {
 public:
  Service(meta::RetentionDatabase& database, meta::Database& metadata, registry::Registry& registry,
          policy::Immutability& immutability, iam::Service& iam, jobs::Runner& runner,
          jobs::Scheduler& scheduler, Options options = {});

  // Registers the RETENTION job (before the runner starts).
  base::Status register_job();

  // Stores the project's policy, records its id in the project's metadata and schedules its
  // cron. Errors: already_exists (the project has a policy; the message names it),
  // invalid_argument (cron), not_found (project).
  base::Result<std::int64_t> create(const policy::RetentionPolicy& policy);
  base::Result<std::optional<policy::RetentionPolicy>> get(std::int64_t id);
  // Replaces the policy `policy.id` (its project stays) and its schedule. Errors: not_found,
  // invalid_argument (cron).
  base::Status update(const policy::RetentionPolicy& policy);
  // Deletes the policy, its schedule and its executions. Errors: not_found.
  base::Status remove(std::int64_t id);

  // Starts an execution of the policy now ("MANUAL", or "Schedule"); returns its id.
  // Errors: not_found.
  base::Result<std::int64_t> trigger(std::int64_t policy_id, bool dry_run,
                                     const std::string& trigger = "MANUAL");
  // Stops an execution: a pending one at once, a running one between repositories.
  // Errors: not_found (also when it is another policy's).
  base::Status stop(std::int64_t policy_id, std::int64_t execution_id);
  // A policy's executions, newest first, and one of them; statuses brought up to date
  // with their jobs (a run stopped before it started, a node that died).
  base::Result<meta::Listing<meta::RetentionExecutionRecord>> executions(std::int64_t policy_id,
                                                                         std::size_t offset,
                                                                         std::size_t limit);
  // Errors: not_found (also when it is another policy's).
  base::Result<meta::RetentionExecutionRecord> execution(std::int64_t policy_id, std::int64_t execution_id);

 private:
  base::Status run(const meta::Job& job, jobs::Context& context);
  base::Status schedule(const policy::RetentionPolicy& policy);
  meta::RetentionExecutionRecord reconciled(meta::RetentionExecutionRecord execution);
  std::chrono::system_clock::time_point now() const;

  meta::RetentionDatabase& db_;
  meta::Database& metadata_;
  registry::Registry& registry_;
  policy::Immutability& immutability_;
  iam::Service& iam_;
  jobs::Runner& runner_;
  jobs::Scheduler& scheduler_;
  Options options_;
};

}  // namespace berth::retention
