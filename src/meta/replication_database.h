// Replication (Harbor's /registries and /replication): the other registries Berth talks to,
// the replication policies between them and Berth, and each policy's executions with their
// tasks (one per source repository, with its log). A registry's secret is stored sealed
// (base::SecretBox); this layer never sees it in the clear. An execution runs as a job; its
// row holds what the API shows after the job is purged.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "meta/database.h"
#include "meta/query.h"

namespace berth::meta {

struct RegistryRecord {
  std::int64_t id = 0;
  std::string name;  // unique
  std::string type;  // "docker-registry", "harbor", "docker-hub"
  std::string url;
  std::string description;
  std::string credential_type;  // "basic" or "" (anonymous)
  std::string access_key;
  std::string sealed_secret;  // base::SecretBox::seal of the access secret
  bool insecure = false;
  std::string status;  // "healthy", "unhealthy", "" (never checked)
  TimePoint created;
  TimePoint updated;
};

struct ReplicationPolicyRecord {
  std::int64_t id = 0;
  std::string name;  // unique
  // 0 = this registry (the local side of the policy).
  std::int64_t src_registry_id = 0;
  std::int64_t dest_registry_id = 0;
  bool enabled = true;
  std::string policy_json;  // the rest of the policy, as replication::Policy writes it
  TimePoint created;
  TimePoint updated;
};

struct ReplicationExecutionRecord {
  std::int64_t id = 0;
  std::int64_t policy_id = 0;
  std::optional<std::int64_t> job_id;
  std::string status = "InProgress";  // Harbor's: InProgress, Succeed, Failed, Stopped
  std::string status_text;
  std::string trigger = "manual";  // manual, scheduled, event_based
  std::string payload;             // what an event-based run copies (JSON), "" for all
  TimePoint started;
  std::optional<TimePoint> ended;
  std::int64_t total = 0;
  std::int64_t failed = 0;
  std::int64_t succeed = 0;
  std::int64_t in_progress = 0;
  std::int64_t stopped = 0;
};

struct ReplicationTaskRecord {
  std::int64_t id = 0;
  std::int64_t execution_id = 0;
  std::string resource_type = "artifact";
  std::string src_resource;  // "<repo> [<n> item(s) in total]"
  std::string dst_resource;
  std::string operation = "copy";  // copy, deletion
  std::string status = "Pending";  // Pending, InProgress, Succeed, Failed, Stopped
  TimePoint started;
  std::optional<TimePoint> ended;
  std::string log;  // left empty by listings
};

class ReplicationDatabase {
 public:
  virtual ~ReplicationDatabase() = default;

  // --- registries ---
  // Returns the new id. Errors: already_exists (the name).
  virtual base::Result<std::int64_t> create_registry(const RegistryRecord& registry) = 0;
  virtual base::Result<std::optional<RegistryRecord>> get_registry(std::int64_t id) = 0;
  // By id.
  virtual base::Result<std::vector<RegistryRecord>> list_registries() = 0;
  // Replaces every field but id and created. Errors: not_found, already_exists (the name).
  virtual base::Status update_registry(const RegistryRecord& registry) = 0;
  virtual base::Status set_registry_status(std::int64_t id, const std::string& status) = 0;
  // Errors: not_found; conflict (a policy names it).
  virtual base::Status delete_registry(std::int64_t id) = 0;

  // --- policies ---
  // Errors: already_exists (the name), not_found (a registry).
  virtual base::Result<std::int64_t> create_replication_policy(const ReplicationPolicyRecord& policy) = 0;
  virtual base::Result<std::optional<ReplicationPolicyRecord>> get_replication_policy(std::int64_t id) = 0;
  // By id.
  virtual base::Result<std::vector<ReplicationPolicyRecord>> list_replication_policies() = 0;
  // Errors: not_found, already_exists (the name).
  virtual base::Status update_replication_policy(const ReplicationPolicyRecord& policy) = 0;
  // With its executions and tasks. Errors: not_found.
  virtual base::Status delete_replication_policy(std::int64_t id) = 0;

  // --- executions and tasks ---
  // Keeps the newest `keep` executions of the policy. Errors: not_found (policy).
  virtual base::Result<std::int64_t> create_replication_execution(const ReplicationExecutionRecord& execution,
                                                                  std::size_t keep) = 0;
  // Sets job_id, status, status_text, ended and the counts. Errors: not_found.
  virtual base::Status update_replication_execution(const ReplicationExecutionRecord& execution) = 0;
  virtual base::Result<std::optional<ReplicationExecutionRecord>> get_replication_execution(
      std::int64_t id) = 0;
  // Newest first; policy_id 0 = every policy; status and trigger "" = any.
  virtual base::Result<Listing<ReplicationExecutionRecord>> list_replication_executions(
      std::int64_t policy_id, const std::string& status, const std::string& trigger, std::size_t offset,
      std::size_t limit) = 0;

  // Adds a task; returns its id.
  virtual base::Result<std::int64_t> add_replication_task(const ReplicationTaskRecord& task) = 0;
  // Sets status, ended, src/dst resource and the log. Errors: not_found.
  virtual base::Status update_replication_task(const ReplicationTaskRecord& task) = 0;
  // By id, logs left out; status "" = any.
  virtual base::Result<Listing<ReplicationTaskRecord>> list_replication_tasks(std::int64_t execution_id,
                                                                              const std::string& status,
                                                                              std::size_t offset,
                                                                              std::size_t limit) = 0;
  // With its log.
  virtual base::Result<std::optional<ReplicationTaskRecord>> get_replication_task(std::int64_t execution_id,
                                                                                  std::int64_t task_id) = 0;
};

}  // namespace berth::meta
