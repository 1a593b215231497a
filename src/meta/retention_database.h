// Tag retention (Harbor's /retentions): one policy per project, kept as the JSON the API took
// (policy::RetentionPolicy interprets it), its executions and their tasks, one task per
// repository an execution looked at, with the task's log. An execution runs as a job; its row
// holds what the API shows even after the job is purged.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "meta/database.h"
#include "meta/query.h"

namespace berth::meta {

struct RetentionPolicyRecord {
  std::int64_t id = 0;
  std::int64_t project_id = 0;
  std::string policy_json;
  TimePoint created;
  TimePoint updated;
};

struct RetentionExecutionRecord {
  std::int64_t id = 0;
  std::int64_t policy_id = 0;
  std::optional<std::int64_t> job_id;  // the job that runs it, once enqueued
  std::string status = "Pending";      // Harbor's: Pending, Running, Success, Error, Stopped
  std::string trigger = "MANUAL";      // or "Schedule"
  bool dry_run = false;
  TimePoint started;
  std::optional<TimePoint> ended;
};

struct RetentionTaskRecord {
  std::int64_t id = 0;
  std::int64_t execution_id = 0;
  std::string repository;  // "project/name"
  std::string status;
  std::int64_t total = 0;     // artifacts looked at
  std::int64_t retained = 0;  // of those, kept (in a dry run: that would be kept)
  TimePoint started;
  std::optional<TimePoint> ended;
  std::string log;  // left empty by listings
};

class RetentionDatabase {
 public:
  virtual ~RetentionDatabase() = default;

  // Stores a project's policy; returns its id. Errors: already_exists (the project has one).
  virtual base::Result<std::int64_t> create_retention_policy(std::int64_t project_id,
                                                             const std::string& policy_json) = 0;
  virtual base::Result<std::optional<RetentionPolicyRecord>> get_retention_policy(std::int64_t id) = 0;
  virtual base::Result<std::optional<RetentionPolicyRecord>> project_retention_policy(
      std::int64_t project_id) = 0;
  // Errors: not_found.
  virtual base::Status update_retention_policy(std::int64_t id, const std::string& policy_json) = 0;
  // Deletes the policy with its executions and tasks. Errors: not_found.
  virtual base::Status delete_retention_policy(std::int64_t id) = 0;

  // Adds an execution of its policy; keeps only the newest `keep` executions of that policy
  // (older ones go with their tasks). Returns its id. Errors: not_found (policy).
  virtual base::Result<std::int64_t> create_retention_execution(const RetentionExecutionRecord& execution,
                                                                std::size_t keep) = 0;
  // Sets job_id, status and ended of an execution. Errors: not_found.
  virtual base::Status update_retention_execution(const RetentionExecutionRecord& execution) = 0;
  virtual base::Result<std::optional<RetentionExecutionRecord>> get_retention_execution(std::int64_t id) = 0;
  // A policy's executions, newest first.
  virtual base::Result<Listing<RetentionExecutionRecord>> list_retention_executions(std::int64_t policy_id,
                                                                                    std::size_t offset,
                                                                                    std::size_t limit) = 0;

  // Adds tasks (their ids are assigned), in one transaction.
  virtual base::Status add_retention_tasks(const std::vector<RetentionTaskRecord>& tasks) = 0;
  // An execution's tasks by id, logs left out.
  virtual base::Result<Listing<RetentionTaskRecord>> list_retention_tasks(std::int64_t execution_id,
                                                                          std::size_t offset,
                                                                          std::size_t limit) = 0;
  // One task of the execution, with its log.
  virtual base::Result<std::optional<RetentionTaskRecord>> get_retention_task(std::int64_t execution_id,
                                                                              std::int64_t task_id) = 0;
};

}  // namespace berth::meta
