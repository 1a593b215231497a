// SQLite implementation of meta::WebhookDatabase (schema v12).
#include "meta/sqlite_core.h"
#include "meta/webhook_database.h"

namespace berth::meta::sqlite {
namespace {

using base::Errc;
using base::Result;
using base::Status;

#define BERTH_WEBHOOK_POLICY_COLUMNS "id, project_id, name, enabled, policy, created_at, updated_at"

WebhookPolicyRecord policy_from_row(const Statement& stmt) {
  return WebhookPolicyRecord{stmt.int64(0),
                             stmt.int64(1),
                             stmt.text(2),
                             stmt.int64(3) != 0,
                             stmt.text(4),
                             from_millis(stmt.int64(5)),
                             from_millis(stmt.int64(6))};
}

#define BERTH_WEBHOOK_EXECUTION_COLUMNS \
  "id, policy_id, event_type, status, status_message, payload, started_at, ended_at"

WebhookExecutionRecord execution_from_row(const Statement& stmt) {
  WebhookExecutionRecord out;
  out.id = stmt.int64(0);
  out.policy_id = stmt.int64(1);
  out.event_type = stmt.text(2);
  out.status = stmt.text(3);
  out.status_message = stmt.text(4);
  out.payload = stmt.text(5);
  out.started = from_millis(stmt.int64(6));
  out.ended = optional_time(stmt, 7);
  return out;
}

#define BERTH_WEBHOOK_TASK_COLUMNS                                                                          \
  "id, execution_id, address, payload_format, status, status_message, run_count, status_code, created_at, " \
  "started_at, ended_at"

WebhookTaskRecord task_from_row(const Statement& stmt) {
  WebhookTaskRecord out;
  out.id = stmt.int64(0);
  out.execution_id = stmt.int64(1);
  out.address = stmt.text(2);
  out.payload_format = stmt.text(3);
  out.status = stmt.text(4);
  out.status_message = stmt.text(5);
  out.run_count = stmt.int64(6);
  out.status_code = stmt.int64(7);
  out.created = from_millis(stmt.int64(8));
  out.started = optional_time(stmt, 9);
  out.ended = optional_time(stmt, 10);
  return out;
}

base::Error missing(std::string_view what, std::int64_t id) {
  return base::make_error(Errc::not_found, std::string(what) + " " + std::to_string(id) + " not found");
}

class SqliteWebhookDatabase final : public WebhookDatabase {
 public:
  explicit SqliteWebhookDatabase(std::shared_ptr<Core> core) : core_(std::move(core)) {}

  Result<std::int64_t> create_webhook_policy(const WebhookPolicyRecord& p) override {
    return core_->write("create_webhook_policy", [&](Connection& c) -> Result<std::int64_t> {
      if (auto s = check_name(c, p); !s) return s.error();
      if (auto s =
              c.run("INSERT INTO webhook_policies(project_id, name, enabled, policy, created_at, updated_at) "
                    "VALUES(?1, ?2, ?3, ?4, ?5, ?5)",
                    p.project_id, p.name, std::int64_t{p.enabled ? 1 : 0}, p.policy_json, now_millis());
          !s)
        return std::move(s).error();
      return c.last_insert_rowid();
    });
  }

  Result<std::optional<WebhookPolicyRecord>> get_webhook_policy(std::int64_t id) override {
    return core_->read(
        "get_webhook_policy", [&](Connection& c) -> Result<std::optional<WebhookPolicyRecord>> {
          auto stmt =
              c.prepare("SELECT " BERTH_WEBHOOK_POLICY_COLUMNS " FROM webhook_policies WHERE id = ?1");
          if (!stmt) return std::move(stmt).error();
          stmt->bind(id);
          auto rows = all_rows<WebhookPolicyRecord>(*stmt, policy_from_row);
          if (!rows) return std::move(rows).error();
          if (rows->empty()) return std::optional<WebhookPolicyRecord>();
          return std::optional<WebhookPolicyRecord>(std::move(rows->front()));
        });
  }

  Result<std::vector<WebhookPolicyRecord>> list_webhook_policies(std::int64_t project_id) override {
    return core_->read(
        "list_webhook_policies", [&](Connection& c) -> Result<std::vector<WebhookPolicyRecord>> {
          auto stmt = c.prepare("SELECT " BERTH_WEBHOOK_POLICY_COLUMNS
                                " FROM webhook_policies WHERE ?1 = 0 OR project_id = ?1 ORDER BY id");
          if (!stmt) return std::move(stmt).error();
          stmt->bind(project_id);
          return all_rows<WebhookPolicyRecord>(*stmt, policy_from_row);
        });
  }

  Status update_webhook_policy(const WebhookPolicyRecord& p) override {
    return core_->write("update_webhook_policy", [&](Connection& c) -> Status {
      if (auto s = check_name(c, p); !s) return s;
      if (auto s = c.run("UPDATE webhook_policies SET name = ?2, enabled = ?3, policy = ?4, updated_at = ?5 "
                         "WHERE id = ?1",
                         p.id, p.name, std::int64_t{p.enabled ? 1 : 0}, p.policy_json, now_millis());
          !s)
        return s;
      if (c.changes() == 0) return missing("webhook policy", p.id);
      return base::ok_status();
    });
  }

  Status delete_webhook_policy(std::int64_t id) override {
    return core_->write("delete_webhook_policy", [&](Connection& c) -> Status {
      for (const char* sql :
           {"DELETE FROM webhook_tasks WHERE execution_id IN (SELECT id FROM webhook_executions "
            "WHERE policy_id = ?1)",
            "DELETE FROM webhook_executions WHERE policy_id = ?1"}) {
        if (auto s = c.run(sql, id); !s) return s;
      }
      if (auto s = c.run("DELETE FROM webhook_policies WHERE id = ?1", id); !s) return s;
      if (c.changes() == 0) return missing("webhook policy", id);
      return base::ok_status();
    });
  }

  Result<std::pair<std::int64_t, std::vector<std::int64_t>>> add_webhook_execution(
      const WebhookExecutionRecord& e, const std::vector<WebhookTaskRecord>& tasks,
      std::size_t keep) override {
    using Out = std::pair<std::int64_t, std::vector<std::int64_t>>;
    return core_->write("add_webhook_execution", [&](Connection& c) -> Result<Out> {
      if (auto s =
              c.run("INSERT INTO webhook_executions(policy_id, event_type, status, status_message, payload, "
                    "started_at, ended_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    e.policy_id, e.event_type, e.status, e.status_message, e.payload,
                    millis_or_now(e.started), optional_millis(e.ended));
          !s)
        return std::move(s).error();
      Out out{c.last_insert_rowid(), {}};
      for (const auto& t : tasks) {
        if (auto s = c.run(
                "INSERT INTO webhook_tasks(execution_id, address, payload_format, status, status_message, "
                "run_count, status_code, created_at, started_at, ended_at, log) "
                "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                out.first, t.address, t.payload_format, t.status, t.status_message, t.run_count,
                t.status_code, millis_or_now(t.created), optional_millis(t.started), optional_millis(t.ended),
                t.log);
            !s)
          return std::move(s).error();
        out.second.push_back(c.last_insert_rowid());
      }
      const char* old =
          "SELECT id FROM webhook_executions WHERE policy_id = ?1 ORDER BY id DESC LIMIT -1 OFFSET ?2";
      for (const std::string& sql :
           {std::string("DELETE FROM webhook_tasks WHERE execution_id IN (") + old + ")",
            std::string("DELETE FROM webhook_executions WHERE id IN (") + old + ")"}) {
        auto stmt = c.prepare(sql);
        if (!stmt) return std::move(stmt).error();
        if (auto s = stmt->bind(e.policy_id, static_cast<std::int64_t>(keep)).run(); !s)
          return std::move(s).error();
      }
      return out;
    });
  }

  Result<std::optional<WebhookExecutionRecord>> get_webhook_execution(std::int64_t id) override {
    return core_->read(
        "get_webhook_execution", [&](Connection& c) -> Result<std::optional<WebhookExecutionRecord>> {
          auto stmt =
              c.prepare("SELECT " BERTH_WEBHOOK_EXECUTION_COLUMNS " FROM webhook_executions WHERE id = ?1");
          if (!stmt) return std::move(stmt).error();
          stmt->bind(id);
          auto rows = all_rows<WebhookExecutionRecord>(*stmt, execution_from_row);
          if (!rows) return std::move(rows).error();
          if (rows->empty()) return std::optional<WebhookExecutionRecord>();
          return std::optional<WebhookExecutionRecord>(std::move(rows->front()));
        });
  }

  Status update_webhook_execution(const WebhookExecutionRecord& e) override {
    return core_->write("update_webhook_execution", [&](Connection& c) -> Status {
      return c.run(
          "UPDATE webhook_executions SET status = ?2, status_message = ?3, ended_at = ?4 WHERE id = ?1", e.id,
          e.status, e.status_message, optional_millis(e.ended));
    });
  }

  Result<Listing<WebhookExecutionRecord>> list_webhook_executions(std::int64_t policy_id, std::size_t offset,
                                                                  std::size_t limit) override {
    return core_->read(
        "list_webhook_executions", [&](Connection& c) -> Result<Listing<WebhookExecutionRecord>> {
          Listing<WebhookExecutionRecord> out;
          auto total = count_of(c, "SELECT COUNT(*) FROM webhook_executions WHERE policy_id = ?1", policy_id);
          if (!total) return std::move(total).error();
          out.total = *total;
          auto stmt =
              c.prepare("SELECT " BERTH_WEBHOOK_EXECUTION_COLUMNS
                        " FROM webhook_executions WHERE policy_id = ?1 ORDER BY id DESC LIMIT ?2 OFFSET ?3");
          if (!stmt) return std::move(stmt).error();
          stmt->bind(policy_id, static_cast<std::int64_t>(limit), static_cast<std::int64_t>(offset));
          auto rows = all_rows<WebhookExecutionRecord>(*stmt, execution_from_row);
          if (!rows) return std::move(rows).error();
          out.items = std::move(*rows);
          return out;
        });
  }

  Result<std::optional<WebhookTaskRecord>> get_webhook_task(std::int64_t id) override {
    return core_->read("get_webhook_task", [&](Connection& c) -> Result<std::optional<WebhookTaskRecord>> {
      auto stmt = c.prepare("SELECT " BERTH_WEBHOOK_TASK_COLUMNS ", log FROM webhook_tasks WHERE id = ?1");
      if (!stmt) return std::move(stmt).error();
      stmt->bind(id);
      auto row = stmt->step();
      if (!row) return std::move(row).error();
      if (!*row) return std::optional<WebhookTaskRecord>();
      auto task = task_from_row(*stmt);
      task.log = stmt->text(11);
      return std::optional<WebhookTaskRecord>(std::move(task));
    });
  }

  Status update_webhook_task(const WebhookTaskRecord& t) override {
    return core_->write("update_webhook_task", [&](Connection& c) -> Status {
      if (auto s = c.run(
              "UPDATE webhook_tasks SET status = ?2, status_message = ?3, run_count = ?4, status_code = ?5, "
              "started_at = ?6, ended_at = ?7, log = ?8 WHERE id = ?1",
              t.id, t.status, t.status_message, t.run_count, t.status_code, optional_millis(t.started),
              optional_millis(t.ended), t.log);
          !s)
        return s;
      if (c.changes() == 0) return missing("webhook task", t.id);
      return base::ok_status();
    });
  }

  Result<std::vector<WebhookTaskRecord>> list_webhook_tasks(std::int64_t execution_id) override {
    return core_->read("list_webhook_tasks", [&](Connection& c) -> Result<std::vector<WebhookTaskRecord>> {
      auto stmt = c.prepare("SELECT " BERTH_WEBHOOK_TASK_COLUMNS
                            " FROM webhook_tasks WHERE execution_id = ?1 ORDER BY id");
      if (!stmt) return std::move(stmt).error();
      stmt->bind(execution_id);
      return all_rows<WebhookTaskRecord>(*stmt, task_from_row);
    });
  }

 private:
  static Status check_name(Connection& c, const WebhookPolicyRecord& p) {
    auto taken =
        count_of(c, "SELECT COUNT(*) FROM webhook_policies WHERE project_id = ?1 AND name = ?2 AND id <> ?3",
                 p.project_id, p.name, p.id);
    if (!taken) return taken.error();
    if (*taken > 0)
      return base::make_error(Errc::already_exists, "webhook policy " + p.name + " already exists");
    return base::ok_status();
  }

  std::shared_ptr<Core> core_;
};

}  // namespace

std::unique_ptr<WebhookDatabase> make_webhook_database(std::shared_ptr<Core> core) {
  return std::make_unique<SqliteWebhookDatabase>(std::move(core));
}

}  // namespace berth::meta::sqlite
