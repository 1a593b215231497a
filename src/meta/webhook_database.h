// Webhooks (Harbor's /projects/{p}/webhook/...): each project's webhook policies, kept as the
// JSON the API took (webhook::Policy interprets it), and their executions, one per event a
// policy was told of, each with one task per target that records the deliveries (attempts,
// the last status code, a log).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "meta/database.h"
#include "meta/query.h"

namespace berth::meta {

struct WebhookPolicyRecord {
  std::int64_t id = 0;
  std::int64_t project_id = 0;
  std::string name;  // unique in the project
  bool enabled = true;
  std::string policy_json;
  TimePoint created;
  TimePoint updated;
};

struct WebhookExecutionRecord {
  std::int64_t id = 0;
  std::int64_t policy_id = 0;
  std::string event_type;
  std::string status = "Pending";  // Pending, Running, Success, Error
  std::string status_message;
  std::string payload;  // the event, as the delivery sends it
  TimePoint started;
  std::optional<TimePoint> ended;
};

struct WebhookTaskRecord {
  std::int64_t id = 0;
  std::int64_t execution_id = 0;
  std::string address;
  std::string payload_format;  // Default or CloudEvents
  std::string status = "Pending";
  std::string status_message;
  std::int64_t run_count = 0;
  std::int64_t status_code = 0;  // of the last attempt; 0 = no answer
  TimePoint created;
  std::optional<TimePoint> started;
  std::optional<TimePoint> ended;
  std::string log;  // left empty by listings
};

class WebhookDatabase {
 public:
  virtual ~WebhookDatabase() = default;

  // Errors: already_exists (the name in the project).
  virtual base::Result<std::int64_t> create_webhook_policy(const WebhookPolicyRecord& policy) = 0;
  virtual base::Result<std::optional<WebhookPolicyRecord>> get_webhook_policy(std::int64_t id) = 0;
  // A project's policies (every project's for 0), by id.
  virtual base::Result<std::vector<WebhookPolicyRecord>> list_webhook_policies(std::int64_t project_id) = 0;
  // Errors: not_found, already_exists.
  virtual base::Status update_webhook_policy(const WebhookPolicyRecord& policy) = 0;
  // With its executions and tasks. Errors: not_found.
  virtual base::Status delete_webhook_policy(std::int64_t id) = 0;

  // Adds an execution with its tasks (their execution_id is set); keeps the newest `keep`
  // executions of the policy. Returns the execution's id and the tasks' ids.
  virtual base::Result<std::pair<std::int64_t, std::vector<std::int64_t>>> add_webhook_execution(
      const WebhookExecutionRecord& execution, const std::vector<WebhookTaskRecord>& tasks,
      std::size_t keep) = 0;
  virtual base::Result<std::optional<WebhookExecutionRecord>> get_webhook_execution(std::int64_t id) = 0;
  // Sets status, status_message and ended.
  virtual base::Status update_webhook_execution(const WebhookExecutionRecord& execution) = 0;
  // A policy's executions, newest first.
  virtual base::Result<Listing<WebhookExecutionRecord>> list_webhook_executions(std::int64_t policy_id,
                                                                                std::size_t offset,
                                                                                std::size_t limit) = 0;
  virtual base::Result<std::optional<WebhookTaskRecord>> get_webhook_task(std::int64_t id) = 0;
  // Sets status, status_message, run_count, status_code, started, ended and log.
  virtual base::Status update_webhook_task(const WebhookTaskRecord& task) = 0;
  // An execution's tasks by id, logs left out.
  virtual base::Result<std::vector<WebhookTaskRecord>> list_webhook_tasks(std::int64_t execution_id) = 0;
};

}  // namespace berth::meta
