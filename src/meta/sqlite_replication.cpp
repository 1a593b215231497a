// SQLite implementation of meta::ReplicationDatabase (schema v11).
#include "meta/replication_database.h"
#include "meta/sqlite_core.h"

namespace berth::meta::sqlite {
namespace {

using base::Errc;
using base::Result;
using base::Status;

std::int64_t flag(bool value) {
  return value ? 1 : 0;
}

#define BERTH_REGISTRY_COLUMNS                                                                       \
  "id, name, type, url, description, credential_type, access_key, sealed_secret, insecure, status, " \
  "created_at, updated_at"

RegistryRecord registry_from_row(const Statement& stmt) {
  RegistryRecord out;
  out.id = stmt.int64(0);
  out.name = stmt.text(1);
  out.type = stmt.text(2);
  out.url = stmt.text(3);
  out.description = stmt.text(4);
  out.credential_type = stmt.text(5);
  out.access_key = stmt.text(6);
  out.sealed_secret = stmt.text(7);
  out.insecure = stmt.int64(8) != 0;
  out.status = stmt.text(9);
  out.created = from_millis(stmt.int64(10));
  out.updated = from_millis(stmt.int64(11));
  return out;
}

#define BERTH_POLICY_COLUMNS \
  "id, name, src_registry_id, dest_registry_id, enabled, policy, created_at, updated_at"

ReplicationPolicyRecord policy_from_row(const Statement& stmt) {
  ReplicationPolicyRecord out;
  out.id = stmt.int64(0);
  out.name = stmt.text(1);
  out.src_registry_id = stmt.int64(2);
  out.dest_registry_id = stmt.int64(3);
  out.enabled = stmt.int64(4) != 0;
  out.policy_json = stmt.text(5);
  out.created = from_millis(stmt.int64(6));
  out.updated = from_millis(stmt.int64(7));
  return out;
}

#define BERTH_EXECUTION_COLUMNS                                                                      \
  "id, policy_id, job_id, status, status_text, trigger_kind, payload, started_at, ended_at, total, " \
  "failed, succeed, in_progress, stopped"

ReplicationExecutionRecord execution_from_row(const Statement& stmt) {
  ReplicationExecutionRecord out;
  out.id = stmt.int64(0);
  out.policy_id = stmt.int64(1);
  if (!stmt.is_null(2)) out.job_id = stmt.int64(2);
  out.status = stmt.text(3);
  out.status_text = stmt.text(4);
  out.trigger = stmt.text(5);
  out.payload = stmt.text(6);
  out.started = from_millis(stmt.int64(7));
  out.ended = optional_time(stmt, 8);
  out.total = stmt.int64(9);
  out.failed = stmt.int64(10);
  out.succeed = stmt.int64(11);
  out.in_progress = stmt.int64(12);
  out.stopped = stmt.int64(13);
  return out;
}

#define BERTH_TASK_COLUMNS \
  "id, execution_id, resource_type, src_resource, dst_resource, operation, status, started_at, ended_at"

ReplicationTaskRecord task_from_row(const Statement& stmt) {
  ReplicationTaskRecord out;
  out.id = stmt.int64(0);
  out.execution_id = stmt.int64(1);
  out.resource_type = stmt.text(2);
  out.src_resource = stmt.text(3);
  out.dst_resource = stmt.text(4);
  out.operation = stmt.text(5);
  out.status = stmt.text(6);
  out.started = from_millis(stmt.int64(7));
  out.ended = optional_time(stmt, 8);
  return out;
}

base::Error missing(std::string_view what, std::int64_t id) {
  return base::make_error(Errc::not_found, std::string(what) + " " + std::to_string(id) + " not found");
}

class SqliteReplicationDatabase final : public ReplicationDatabase {
 public:
  explicit SqliteReplicationDatabase(std::shared_ptr<Core> core) : core_(std::move(core)) {}

  Result<std::int64_t> create_registry(const RegistryRecord& r) override {
    return core_->write("create_registry", [&](Connection& c) -> Result<std::int64_t> {
      auto taken = count_of(c, "SELECT COUNT(*) FROM registries WHERE name = ?1", r.name);
      if (!taken) return std::move(taken).error();
      if (*taken > 0) return base::make_error(Errc::already_exists, "registry " + r.name + " already exists");
      if (auto s = c.run("INSERT INTO registries(name, type, url, description, credential_type, access_key, "
                         "sealed_secret, insecure, status, created_at, updated_at) "
                         "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
                         r.name, r.type, r.url, r.description, r.credential_type, r.access_key,
                         r.sealed_secret, flag(r.insecure), r.status, now_millis());
          !s)
        return std::move(s).error();
      return c.last_insert_rowid();
    });
  }

  Result<std::optional<RegistryRecord>> get_registry(std::int64_t id) override {
    return core_->read("get_registry", [&](Connection& c) -> Result<std::optional<RegistryRecord>> {
      auto stmt = c.prepare("SELECT " BERTH_REGISTRY_COLUMNS " FROM registries WHERE id = ?1");
      if (!stmt) return std::move(stmt).error();
      stmt->bind(id);
      auto rows = all_rows<RegistryRecord>(*stmt, registry_from_row);
      if (!rows) return std::move(rows).error();
      if (rows->empty()) return std::optional<RegistryRecord>();
      return std::optional<RegistryRecord>(std::move(rows->front()));
    });
  }

  Result<std::vector<RegistryRecord>> list_registries() override {
    return core_->read("list_registries", [&](Connection& c) -> Result<std::vector<RegistryRecord>> {
      auto stmt = c.prepare("SELECT " BERTH_REGISTRY_COLUMNS " FROM registries ORDER BY id");
      if (!stmt) return std::move(stmt).error();
      return all_rows<RegistryRecord>(*stmt, registry_from_row);
    });
  }

  Status update_registry(const RegistryRecord& r) override {
    return core_->write("update_registry", [&](Connection& c) -> Status {
      auto taken = count_of(c, "SELECT COUNT(*) FROM registries WHERE name = ?1 AND id <> ?2", r.name, r.id);
      if (!taken) return taken.error();
      if (*taken > 0) return base::make_error(Errc::already_exists, "registry " + r.name + " already exists");
      if (auto s = c.run("UPDATE registries SET name = ?2, type = ?3, url = ?4, description = ?5, "
                         "credential_type = ?6, access_key = ?7, sealed_secret = ?8, insecure = ?9, "
                         "status = ?10, updated_at = ?11 WHERE id = ?1",
                         r.id, r.name, r.type, r.url, r.description, r.credential_type, r.access_key,
                         r.sealed_secret, flag(r.insecure), r.status, now_millis());
          !s)
        return s;
      if (c.changes() == 0) return missing("registry", r.id);
      return base::ok_status();
    });
  }

  Status set_registry_status(std::int64_t id, const std::string& status) override {
    return core_->write("set_registry_status", [&](Connection& c) -> Status {
      return c.run("UPDATE registries SET status = ?2 WHERE id = ?1", id, status);
    });
  }

  Status delete_registry(std::int64_t id) override {
    return core_->write("delete_registry", [&](Connection& c) -> Status {
      auto used = count_of(c,
                           "SELECT COUNT(*) FROM replication_policies WHERE src_registry_id = ?1 OR "
                           "dest_registry_id = ?1",
                           id);
      if (!used) return used.error();
      if (*used > 0) {
        return base::make_error(Errc::conflict,
                                "the registry " + std::to_string(id) +
                                    " is referenced by replication policies, cannot delete it");
      }
      if (auto s = c.run("DELETE FROM registries WHERE id = ?1", id); !s) return s;
      if (c.changes() == 0) return missing("registry", id);
      return base::ok_status();
    });
  }

  Result<std::int64_t> create_replication_policy(const ReplicationPolicyRecord& p) override {
    return core_->write("create_replication_policy", [&](Connection& c) -> Result<std::int64_t> {
      if (auto s = check_policy(c, p); !s) return s.error();
      if (auto s = c.run("INSERT INTO replication_policies(name, src_registry_id, dest_registry_id, enabled, "
                         "policy, created_at, updated_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                         p.name, p.src_registry_id, p.dest_registry_id, flag(p.enabled), p.policy_json,
                         now_millis());
          !s)
        return std::move(s).error();
      return c.last_insert_rowid();
    });
  }

  Result<std::optional<ReplicationPolicyRecord>> get_replication_policy(std::int64_t id) override {
    return core_->read(
        "get_replication_policy", [&](Connection& c) -> Result<std::optional<ReplicationPolicyRecord>> {
          auto stmt = c.prepare("SELECT " BERTH_POLICY_COLUMNS " FROM replication_policies WHERE id = ?1");
          if (!stmt) return std::move(stmt).error();
          stmt->bind(id);
          auto rows = all_rows<ReplicationPolicyRecord>(*stmt, policy_from_row);
          if (!rows) return std::move(rows).error();
          if (rows->empty()) return std::optional<ReplicationPolicyRecord>();
          return std::optional<ReplicationPolicyRecord>(std::move(rows->front()));
        });
  }

  Result<std::vector<ReplicationPolicyRecord>> list_replication_policies() override {
    return core_->read(
        "list_replication_policies", [&](Connection& c) -> Result<std::vector<ReplicationPolicyRecord>> {
          auto stmt = c.prepare("SELECT " BERTH_POLICY_COLUMNS " FROM replication_policies ORDER BY id");
          if (!stmt) return std::move(stmt).error();
          return all_rows<ReplicationPolicyRecord>(*stmt, policy_from_row);
        });
  }

  Status update_replication_policy(const ReplicationPolicyRecord& p) override {
    return core_->write("update_replication_policy", [&](Connection& c) -> Status {
      if (auto s = check_policy(c, p); !s) return s;
      if (auto s =
              c.run("UPDATE replication_policies SET name = ?2, src_registry_id = ?3, dest_registry_id = ?4, "
                    "enabled = ?5, policy = ?6, updated_at = ?7 WHERE id = ?1",
                    p.id, p.name, p.src_registry_id, p.dest_registry_id, flag(p.enabled), p.policy_json,
                    now_millis());
          !s)
        return s;
      if (c.changes() == 0) return missing("replication policy", p.id);
      return base::ok_status();
    });
  }

  Status delete_replication_policy(std::int64_t id) override {
    return core_->write("delete_replication_policy", [&](Connection& c) -> Status {
      for (const char* sql :
           {"DELETE FROM replication_tasks WHERE execution_id IN (SELECT id FROM replication_executions "
            "WHERE policy_id = ?1)",
            "DELETE FROM replication_executions WHERE policy_id = ?1"}) {
        if (auto s = c.run(sql, id); !s) return s;
      }
      if (auto s = c.run("DELETE FROM replication_policies WHERE id = ?1", id); !s) return s;
      if (c.changes() == 0) return missing("replication policy", id);
      return base::ok_status();
    });
  }

  Result<std::int64_t> create_replication_execution(const ReplicationExecutionRecord& e,
                                                    std::size_t keep) override {
    return core_->write("create_replication_execution", [&](Connection& c) -> Result<std::int64_t> {
      auto policies = count_of(c, "SELECT COUNT(*) FROM replication_policies WHERE id = ?1", e.policy_id);
      if (!policies) return std::move(policies).error();
      if (*policies == 0) return missing("replication policy", e.policy_id);
      if (auto s = c.run("INSERT INTO replication_executions(policy_id, job_id, status, status_text, "
                         "trigger_kind, payload, started_at, ended_at, total, failed, succeed, in_progress, "
                         "stopped) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                         e.policy_id, e.job_id, e.status, e.status_text, e.trigger, e.payload,
                         millis_or_now(e.started), optional_millis(e.ended), e.total, e.failed, e.succeed,
                         e.in_progress, e.stopped);
          !s)
        return std::move(s).error();
      const std::int64_t id = c.last_insert_rowid();
      const char* old =
          "SELECT id FROM replication_executions WHERE policy_id = ?1 ORDER BY id DESC LIMIT -1 OFFSET ?2";
      for (const std::string& sql :
           {std::string("DELETE FROM replication_tasks WHERE execution_id IN (") + old + ")",
            std::string("DELETE FROM replication_executions WHERE id IN (") + old + ")"}) {
        auto stmt = c.prepare(sql);
        if (!stmt) return std::move(stmt).error();
        if (auto s = stmt->bind(e.policy_id, static_cast<std::int64_t>(keep)).run(); !s)
          return std::move(s).error();
      }
      return id;
    });
  }

  Status update_replication_execution(const ReplicationExecutionRecord& e) override {
    return core_->write("update_replication_execution", [&](Connection& c) -> Status {
      if (auto s =
              c.run("UPDATE replication_executions SET job_id = ?2, status = ?3, status_text = ?4, "
                    "ended_at = ?5, total = ?6, failed = ?7, succeed = ?8, in_progress = ?9, stopped = ?10 "
                    "WHERE id = ?1",
                    e.id, e.job_id, e.status, e.status_text, optional_millis(e.ended), e.total, e.failed,
                    e.succeed, e.in_progress, e.stopped);
          !s)
        return s;
      if (c.changes() == 0) return missing("replication execution", e.id);
      return base::ok_status();
    });
  }

  Result<std::optional<ReplicationExecutionRecord>> get_replication_execution(std::int64_t id) override {
    return core_->read(
        "get_replication_execution", [&](Connection& c) -> Result<std::optional<ReplicationExecutionRecord>> {
          auto stmt =
              c.prepare("SELECT " BERTH_EXECUTION_COLUMNS " FROM replication_executions WHERE id = ?1");
          if (!stmt) return std::move(stmt).error();
          stmt->bind(id);
          auto rows = all_rows<ReplicationExecutionRecord>(*stmt, execution_from_row);
          if (!rows) return std::move(rows).error();
          if (rows->empty()) return std::optional<ReplicationExecutionRecord>();
          return std::optional<ReplicationExecutionRecord>(std::move(rows->front()));
        });
  }

  Result<Listing<ReplicationExecutionRecord>> list_replication_executions(std::int64_t policy_id,
                                                                          const std::string& status,
                                                                          const std::string& trigger,
                                                                          std::size_t offset,
                                                                          std::size_t limit) override {
    return core_->read(
        "list_replication_executions", [&](Connection& c) -> Result<Listing<ReplicationExecutionRecord>> {
          const char* where =
              " FROM replication_executions WHERE (?1 = 0 OR policy_id = ?1) AND (?2 = '' OR "
              "status = ?2) AND (?3 = '' OR trigger_kind = ?3)";
          Listing<ReplicationExecutionRecord> out;
          auto total = count_of(c, std::string("SELECT COUNT(*)") + where, policy_id, status, trigger);
          if (!total) return std::move(total).error();
          out.total = *total;
          auto stmt = c.prepare(std::string("SELECT " BERTH_EXECUTION_COLUMNS) + where +
                                " ORDER BY id DESC LIMIT ?4 OFFSET ?5");
          if (!stmt) return std::move(stmt).error();
          stmt->bind(policy_id, status, trigger, static_cast<std::int64_t>(limit),
                     static_cast<std::int64_t>(offset));
          auto rows = all_rows<ReplicationExecutionRecord>(*stmt, execution_from_row);
          if (!rows) return std::move(rows).error();
          out.items = std::move(*rows);
          return out;
        });
  }

  Result<std::int64_t> add_replication_task(const ReplicationTaskRecord& t) override {
    return core_->write("add_replication_task", [&](Connection& c) -> Result<std::int64_t> {
      if (auto s = c.run(
              "INSERT INTO replication_tasks(execution_id, resource_type, src_resource, dst_resource, "
              "operation, status, started_at, ended_at, log) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
              t.execution_id, t.resource_type, t.src_resource, t.dst_resource, t.operation, t.status,
              millis_or_now(t.started), optional_millis(t.ended), t.log);
          !s)
        return std::move(s).error();
      return c.last_insert_rowid();
    });
  }

  Status update_replication_task(const ReplicationTaskRecord& t) override {
    return core_->write("update_replication_task", [&](Connection& c) -> Status {
      if (auto s = c.run("UPDATE replication_tasks SET status = ?2, ended_at = ?3, src_resource = ?4, "
                         "dst_resource = ?5, log = ?6 WHERE id = ?1",
                         t.id, t.status, optional_millis(t.ended), t.src_resource, t.dst_resource, t.log);
          !s)
        return s;
      if (c.changes() == 0) return missing("replication task", t.id);
      return base::ok_status();
    });
  }

  Result<Listing<ReplicationTaskRecord>> list_replication_tasks(std::int64_t execution_id,
                                                                const std::string& status, std::size_t offset,
                                                                std::size_t limit) override {
    return core_->read(
        "list_replication_tasks", [&](Connection& c) -> Result<Listing<ReplicationTaskRecord>> {
          const char* where = " FROM replication_tasks WHERE execution_id = ?1 AND (?2 = '' OR status = ?2)";
          Listing<ReplicationTaskRecord> out;
          auto total = count_of(c, std::string("SELECT COUNT(*)") + where, execution_id, status);
          if (!total) return std::move(total).error();
          out.total = *total;
          auto stmt = c.prepare(std::string("SELECT " BERTH_TASK_COLUMNS) + where +
                                " ORDER BY id LIMIT ?3 OFFSET ?4");
          if (!stmt) return std::move(stmt).error();
          stmt->bind(execution_id, status, static_cast<std::int64_t>(limit),
                     static_cast<std::int64_t>(offset));
          auto rows = all_rows<ReplicationTaskRecord>(*stmt, task_from_row);
          if (!rows) return std::move(rows).error();
          out.items = std::move(*rows);
          return out;
        });
  }

  Result<std::optional<ReplicationTaskRecord>> get_replication_task(std::int64_t execution_id,
                                                                    std::int64_t task_id) override {
    return core_->read(
        "get_replication_task", [&](Connection& c) -> Result<std::optional<ReplicationTaskRecord>> {
          auto stmt = c.prepare("SELECT " BERTH_TASK_COLUMNS
                                ", log FROM replication_tasks WHERE execution_id = ?1 AND id = ?2");
          if (!stmt) return std::move(stmt).error();
          stmt->bind(execution_id, task_id);
          auto row = stmt->step();
          if (!row) return std::move(row).error();
          if (!*row) return std::optional<ReplicationTaskRecord>();
          auto task = task_from_row(*stmt);
          task.log = stmt->text(9);
          return std::optional<ReplicationTaskRecord>(std::move(task));
        });
  }

 private:
  // The name is free and both registries exist (0 = this one).
  static Status check_policy(Connection& c, const ReplicationPolicyRecord& p) {
    auto taken =
        count_of(c, "SELECT COUNT(*) FROM replication_policies WHERE name = ?1 AND id <> ?2", p.name, p.id);
    if (!taken) return taken.error();
    if (*taken > 0)
      return base::make_error(Errc::already_exists, "replication policy " + p.name + " already exists");
    for (std::int64_t registry : {p.src_registry_id, p.dest_registry_id}) {
      if (registry == 0) continue;
      auto found = count_of(c, "SELECT COUNT(*) FROM registries WHERE id = ?1", registry);
      if (!found) return found.error();
      if (*found == 0) return missing("registry", registry);
    }
    return base::ok_status();
  }

  std::shared_ptr<Core> core_;
};

}  // namespace

std::unique_ptr<ReplicationDatabase> make_replication_database(std::shared_ptr<Core> core) {
  return std::make_unique<SqliteReplicationDatabase>(std::move(core));
}

}  // namespace berth::meta::sqlite
