// replication::Service: replication policies (replication::Policy, kept in
// meta::ReplicationDatabase) and their executions, run as jobs of kind REPLICATION.
//
// An execution copies, for each source repository its filters select, the tagged artifacts
// whose tags (and labels, and kind) they select, with everything those need (replication::Copier),
// into the repository the policy maps it to; one task per repository records what happened in
// its log. A task that fails for a reason that may pass (the network, a 5xx, a registry that
// is restarting) is tried again with backoff, up to three times, each attempt in the log. An
// execution can be stopped; it ends Stopped at the next request. Triggers: manual (the API),
// scheduled (the policy's cron becomes a schedule of the job queue, "replication:<id>"), and
// event-based: a push to this registry that a push policy selects runs an execution for that
// artifact alone, and with replicate_deletion a delete removes the artifact at the destination.
// The newest 50 executions of a policy are kept.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "jobs/runner.h"
#include "jobs/scheduler.h"
#include "meta/iam_database.h"
#include "meta/label_database.h"
#include "meta/replication_database.h"
#include "registry/registry.h"
#include "replication/copier.h"
#include "replication/policy.h"
#include "replication/registries.h"

namespace berth::replication {

inline constexpr const char* kJobKind = "REPLICATION";
// Pings every registry and records its health ("healthy"/"unhealthy"), every 5 minutes.
inline constexpr const char* kHealthJobKind = "REGISTRY_HEALTH";
inline constexpr std::size_t kKeptExecutions = 50;

std::string schedule_name(std::int64_t policy_id);

struct Options {
  std::int64_t owner_id = 1;  // owner of projects a pull replication creates
  int task_attempts = 3;
  std::size_t parallel_tasks = 4;  // repositories copied at once by one execution
  std::chrono::milliseconds task_retry_base{2000};
  CopyOptions copy;  // chunk size, blob retries (log, stopped and speed are set per task)
  remote::ClientOptions client;
  // Told when an execution ends (webhooks).
  // `projects`: this registry's projects the execution read (push) or wrote (pull).
  std::function<void(const Policy& policy, const meta::ReplicationExecutionRecord& execution,
                     const std::vector<std::string>& projects)>
      on_finished;
};

class Service {
 public:
  Service(meta::ReplicationDatabase& database, Registries& registries, registry::Registry& registry,
          meta::IamDatabase& iam, meta::LabelDatabase& labels, jobs::Runner& runner,
          jobs::Scheduler& scheduler, Options options = {});

  // Registers the REPLICATION and REGISTRY_HEALTH jobs (before the runner starts), schedules the
  // health check, and loads the event-based policies.
  base::Status register_job();

  // Errors: invalid_argument, already_exists (the name), not_found (a registry).
  base::Result<std::int64_t> create_policy(Policy policy);
  base::Result<std::optional<Policy>> get_policy(std::int64_t id);
  base::Result<std::vector<Policy>> list_policies();
  // Replaces the policy `policy.id`. Errors: as create, not_found.
  base::Status update_policy(Policy policy);
  // With its executions and schedule. Errors: not_found.
  base::Status delete_policy(std::int64_t id);

  // Starts an execution now; returns its id. Errors: not_found, conflict (the policy is disabled).
  base::Result<std::int64_t> start(std::int64_t policy_id, const std::string& trigger = "manual",
                                   const std::string& payload = "");
  // Errors: not_found.
  base::Status stop(std::int64_t execution_id);
  // Statuses brought up to date with their jobs.
  base::Result<meta::Listing<meta::ReplicationExecutionRecord>> executions(std::int64_t policy_id,
                                                                           const std::string& status,
                                                                           const std::string& trigger,
                                                                           std::size_t offset,
                                                                           std::size_t limit);
  base::Result<std::optional<meta::ReplicationExecutionRecord>> execution(std::int64_t id);

  // The registry's events (called after the push or delete answered; cheap when no policy is
  // event-based).
  void on_push(const std::string& repository, const std::string& digest, const std::string& tag);
  void on_delete(const std::string& repository, const std::string& digest);

 private:
  base::Status run(const meta::Job& job, jobs::Context& context);
  base::Status schedule(const Policy& policy);
  base::Status reload_event_policies();
  meta::ReplicationExecutionRecord reconciled(meta::ReplicationExecutionRecord execution);

  meta::ReplicationDatabase& db_;
  Registries& registries_;
  registry::Registry& registry_;
  meta::IamDatabase& iam_;
  meta::LabelDatabase& labels_;
  jobs::Runner& runner_;
  jobs::Scheduler& scheduler_;
  Options options_;

  std::mutex event_mu_;
  std::vector<Policy> event_policies_;  // enabled, event-based
};

}  // namespace berth::replication
