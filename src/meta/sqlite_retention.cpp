// SQLite implementation of meta::RetentionDatabase (schema v8).
#include "meta/retention_database.h"
#include "meta/sqlite_core.h"

namespace berth::meta::sqlite {
namespace {

using base::Errc;
using base::Result;
using base::Status;

std::optional<std::int64_t> optional_column(const Statement& stmt, int column) {
  if (stmt.is_null(column)) return std::nullopt;
  return stmt.int64(column);
}

#define BERTH_RETENTION_EXECUTION_COLUMNS \
  "id, policy_id, job_id, status, trigger_kind, dry_run, started_at, ended_at"

RetentionExecutionRecord execution_from_row(const Statement& stmt) {
  RetentionExecutionRecord out;
  out.id = stmt.int64(0);
  out.policy_id = stmt.int64(1);
  out.job_id = optional_column(stmt, 2);
  out.status = stmt.text(3);
  out.trigger = stmt.text(4);
  out.dry_run = stmt.int64(5) != 0;
  out.started = from_millis(stmt.int64(6));
  out.ended = optional_time(stmt, 7);
  return out;
}

#define BERTH_RETENTION_TASK_COLUMNS \
  "id, execution_id, repository, status, total, retained, started_at, ended_at"

RetentionTaskRecord task_from_row(const Statement& stmt) {
  RetentionTaskRecord out;
  out.id = stmt.int64(0);
  out.execution_id = stmt.int64(1);
  out.repository = stmt.text(2);
  out.status = stmt.text(3);
  out.total = stmt.int64(4);
  out.retained = stmt.int64(5);
  out.started = from_millis(stmt.int64(6));
  out.ended = optional_time(stmt, 7);
  return out;
}

Result<std::optional<RetentionPolicyRecord>> policy_where(Connection& c, std::string_view sql,
                                                          std::int64_t key) {
  auto stmt = c.prepare(sql);
  if (!stmt) return std::move(stmt).error();
  stmt->bind(key);
  auto row = stmt->step();
  if (!row) return std::move(row).error();
  if (!*row) return std::optional<RetentionPolicyRecord>();
  return std::optional<RetentionPolicyRecord>(
      RetentionPolicyRecord{stmt->int64(0), stmt->int64(1), stmt->text(2), from_millis(stmt->int64(3)),
                            from_millis(stmt->int64(4))});
}

class SqliteRetentionDatabase final : public RetentionDatabase {
 public:
  explicit SqliteRetentionDatabase(std::shared_ptr<Core> core) : core_(std::move(core)) {}

  Result<std::int64_t> create_retention_policy(std::int64_t project_id,
                                               const std::string& policy_json) override {
    return core_->write("create_retention_policy", [&](Connection& c) -> Result<std::int64_t> {
      auto existing =
          count_of(c, "SELECT COUNT(*) FROM retention_policies WHERE project_id = ?1", project_id);
      if (!existing) return std::move(existing).error();
      if (*existing > 0)
        return base::make_error(Errc::already_exists,
                                "project " + std::to_string(project_id) + " already has a retention policy");
      const auto now = now_millis();
      if (auto s = c.run("INSERT INTO retention_policies(project_id, policy, created_at, updated_at) "
                         "VALUES(?1, ?2, ?3, ?3)",
                         project_id, policy_json, now);
          !s)
        return std::move(s).error();
      return c.last_insert_rowid();
    });
  }

  Result<std::optional<RetentionPolicyRecord>> get_retention_policy(std::int64_t id) override {
    return core_->read("get_retention_policy", [&](Connection& c) {
      return policy_where(c,
                          "SELECT id, project_id, policy, created_at, updated_at FROM retention_policies "
                          "WHERE id = ?1",
                          id);
    });
  }

  Result<std::optional<RetentionPolicyRecord>> project_retention_policy(std::int64_t project_id) override {
    return core_->read("project_retention_policy", [&](Connection& c) {
      return policy_where(c,
                          "SELECT id, project_id, policy, created_at, updated_at FROM retention_policies "
                          "WHERE project_id = ?1",
                          project_id);
    });
  }

  Status update_retention_policy(std::int64_t id, const std::string& policy_json) override {
    return core_->write("update_retention_policy", [&](Connection& c) -> Status {
      if (auto s = c.run("UPDATE retention_policies SET policy = ?2, updated_at = ?3 WHERE id = ?1", id,
                         policy_json, now_millis());
          !s)
        return s;
      if (c.changes() == 0) return not_found(id);
      return base::ok_status();
    });
  }

  Status delete_retention_policy(std::int64_t id) override {
    return core_->write("delete_retention_policy", [&](Connection& c) -> Status {
      for (const char* sql :
           {"DELETE FROM retention_tasks WHERE execution_id IN (SELECT id FROM retention_executions WHERE "
            "policy_id = ?1)",
            "DELETE FROM retention_executions WHERE policy_id = ?1"}) {
        if (auto s = c.run(sql, id); !s) return s;
      }
      if (auto s = c.run("DELETE FROM retention_policies WHERE id = ?1", id); !s) return s;
      if (c.changes() == 0) return not_found(id);
      return base::ok_status();
    });
  }

  Result<std::int64_t> create_retention_execution(const RetentionExecutionRecord& execution,
                                                  std::size_t keep) override {
    return core_->write("create_retention_execution", [&](Connection& c) -> Result<std::int64_t> {
      auto policies =
          count_of(c, "SELECT COUNT(*) FROM retention_policies WHERE id = ?1", execution.policy_id);
      if (!policies) return std::move(policies).error();
      if (*policies == 0) return not_found(execution.policy_id);
      if (auto s = c.run("INSERT INTO retention_executions(policy_id, job_id, status, trigger_kind, dry_run, "
                         "started_at, ended_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                         execution.policy_id, execution.job_id, execution.status, execution.trigger,
                         std::int64_t{execution.dry_run ? 1 : 0}, millis_or_now(execution.started),
                         optional_millis(execution.ended));
          !s)
        return std::move(s).error();
      const std::int64_t id = c.last_insert_rowid();
      // The executions past the newest `keep` of the policy, with their tasks.
      const char* old =
          "SELECT id FROM retention_executions WHERE policy_id = ?1 ORDER BY id DESC LIMIT -1 OFFSET ?2";
      for (const std::string& sql :
           {std::string("DELETE FROM retention_tasks WHERE execution_id IN (") + old + ")",
            std::string("DELETE FROM retention_executions WHERE id IN (") + old + ")"}) {
        auto stmt = c.prepare(sql);
        if (!stmt) return std::move(stmt).error();
        if (auto s = stmt->bind(execution.policy_id, static_cast<std::int64_t>(keep)).run(); !s)
          return std::move(s).error();
      }
      return id;
    });
  }

  Status update_retention_execution(const RetentionExecutionRecord& execution) override {
    return core_->write("update_retention_execution", [&](Connection& c) -> Status {
      if (auto s =
              c.run("UPDATE retention_executions SET job_id = ?2, status = ?3, ended_at = ?4 WHERE id = ?1",
                    execution.id, execution.job_id, execution.status, optional_millis(execution.ended));
          !s)
        return s;
      if (c.changes() == 0)
        return base::make_error(Errc::not_found,
                                "retention execution " + std::to_string(execution.id) + " not found");
      return base::ok_status();
    });
  }

  Result<std::optional<RetentionExecutionRecord>> get_retention_execution(std::int64_t id) override {
    return core_->read("get_retention_execution",
                       [&](Connection& c) -> Result<std::optional<RetentionExecutionRecord>> {
                         auto stmt = c.prepare("SELECT " BERTH_RETENTION_EXECUTION_COLUMNS
                                               " FROM retention_executions WHERE id = ?1");
                         if (!stmt) return std::move(stmt).error();
                         stmt->bind(id);
                         auto row = stmt->step();
                         if (!row) return std::move(row).error();
                         if (!*row) return std::optional<RetentionExecutionRecord>();
                         return std::optional<RetentionExecutionRecord>(execution_from_row(*stmt));
                       });
  }

  Result<Listing<RetentionExecutionRecord>> list_retention_executions(std::int64_t policy_id,
                                                                      std::size_t offset,
                                                                      std::size_t limit) override {
    return core_->read(
        "list_retention_executions", [&](Connection& c) -> Result<Listing<RetentionExecutionRecord>> {
          Listing<RetentionExecutionRecord> out;
          auto total =
              count_of(c, "SELECT COUNT(*) FROM retention_executions WHERE policy_id = ?1", policy_id);
          if (!total) return std::move(total).error();
          out.total = *total;
          auto stmt = c.prepare(
              "SELECT " BERTH_RETENTION_EXECUTION_COLUMNS
              " FROM retention_executions WHERE policy_id = ?1 ORDER BY id DESC LIMIT ?2 OFFSET ?3");
          if (!stmt) return std::move(stmt).error();
          stmt->bind(policy_id, static_cast<std::int64_t>(limit), static_cast<std::int64_t>(offset));
          for (;;) {
            auto row = stmt->step();
            if (!row) return std::move(row).error();
            if (!*row) return out;
            out.items.push_back(execution_from_row(*stmt));
          }
        });
  }

  Status add_retention_tasks(const std::vector<RetentionTaskRecord>& tasks) override {
    if (tasks.empty()) return base::ok_status();
    return core_->write("add_retention_tasks", [&](Connection& c) -> Status {
      for (const auto& task : tasks) {
        if (auto s = c.run("INSERT INTO retention_tasks(execution_id, repository, status, total, retained, "
                           "started_at, ended_at, log) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                           task.execution_id, task.repository, task.status, task.total, task.retained,
                           millis_or_now(task.started), optional_millis(task.ended), task.log);
            !s)
          return s;
      }
      return base::ok_status();
    });
  }

  Result<Listing<RetentionTaskRecord>> list_retention_tasks(std::int64_t execution_id, std::size_t offset,
                                                            std::size_t limit) override {
    return core_->read("list_retention_tasks", [&](Connection& c) -> Result<Listing<RetentionTaskRecord>> {
      Listing<RetentionTaskRecord> out;
      auto total = count_of(c, "SELECT COUNT(*) FROM retention_tasks WHERE execution_id = ?1", execution_id);
      if (!total) return std::move(total).error();
      out.total = *total;
      auto stmt = c.prepare("SELECT " BERTH_RETENTION_TASK_COLUMNS
                            " FROM retention_tasks WHERE execution_id = ?1 ORDER BY id LIMIT ?2 OFFSET ?3");
      if (!stmt) return std::move(stmt).error();
      stmt->bind(execution_id, static_cast<std::int64_t>(limit), static_cast<std::int64_t>(offset));
      for (;;) {
        auto row = stmt->step();
        if (!row) return std::move(row).error();
        if (!*row) return out;
        out.items.push_back(task_from_row(*stmt));
      }
    });
  }

  Result<std::optional<RetentionTaskRecord>> get_retention_task(std::int64_t execution_id,
                                                                std::int64_t task_id) override {
    return core_->read(
        "get_retention_task", [&](Connection& c) -> Result<std::optional<RetentionTaskRecord>> {
          auto stmt = c.prepare("SELECT " BERTH_RETENTION_TASK_COLUMNS
                                ", log FROM retention_tasks WHERE execution_id = ?1 AND id = ?2");
          if (!stmt) return std::move(stmt).error();
          stmt->bind(execution_id, task_id);
          auto row = stmt->step();
          if (!row) return std::move(row).error();
          if (!*row) return std::optional<RetentionTaskRecord>();
          auto task = task_from_row(*stmt);
          task.log = stmt->text(8);
          return std::optional<RetentionTaskRecord>(std::move(task));
        });
  }

 private:
  static base::Error not_found(std::int64_t id) {
    return base::make_error(Errc::not_found, "retention policy " + std::to_string(id) + " not found");
  }

  std::shared_ptr<Core> core_;
};

}  // namespace

std::unique_ptr<RetentionDatabase> make_retention_database(std::shared_ptr<Core> core) {
  return std::make_unique<SqliteRetentionDatabase>(std::move(core));
}

}  // namespace berth::meta::sqlite
