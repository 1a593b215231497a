// SQLite implementation of meta::LimitsDatabase (tables of schema v6).
#include "meta/limits_database.h"
#include "meta/sqlite_core.h"
#include "meta/sqlite_query.h"

namespace berth::meta::sqlite {
namespace {

using base::Errc;
using base::Result;
using base::Status;

#define BERTH_QUOTA_COLUMNS                                                                \
  "p.id, p.name, COALESCE(u.username, ''), q.hard_storage, COALESCE(pu.used_storage, 0), " \
  "q.created_at, q.updated_at"
#define BERTH_QUOTA_FROM                             \
  "quotas q JOIN projects p ON p.id = q.project_id " \
  "LEFT JOIN users u ON u.id = p.owner_id "          \
  "LEFT JOIN project_usage pu ON pu.project = p.name"

Quota quota_from_row(const Statement& stmt) {
  Quota q;
  q.id = stmt.int64(0);
  q.project_id = q.id;
  q.project_name = stmt.text(1);
  q.owner_name = stmt.text(2);
  q.hard = stmt.int64(3);
  q.used = stmt.int64(4);
  q.created = from_millis(stmt.int64(5));
  q.updated = from_millis(stmt.int64(6));
  return q;
}

const QuerySchema& quota_schema() {
  static const QuerySchema schema{
      .fields =
          {
              custom_field("reference", kExact,
                           [](const Filter& filter) -> Result<SqlFragment> {
                             if (filter.value != "project")
                               return base::make_error(Errc::invalid_argument,
                                                       "quotas only reference projects, not " + filter.value);
                             return SqlFragment{"1", {}};
                           }),
              column_field("reference_id", "p.id", FieldType::integer, kExact | kAnyOf),
              column_field("project_name", "p.name", FieldType::text, kExact | kFuzzy),
          },
      .sorts = {{"creation_time", "q.created_at"},
                {"update_time", "q.updated_at"},
                {"hard.storage", "q.hard_storage"},
                {"used.storage", "COALESCE(pu.used_storage, 0)"}},
      .default_order = "p.id",
      .tie_break = "p.id",
  };
  return schema;
}

class SqliteLimitsDatabase final : public LimitsDatabase {
 public:
  explicit SqliteLimitsDatabase(std::shared_ptr<Core> core) : core_(std::move(core)) {}

  Result<Listing<Quota>> list_quotas(const ListQuery& query) override {
    return core_->read("list_quotas", [&](Connection& c) -> Result<Listing<Quota>> {
      ListingSql sql{BERTH_QUOTA_COLUMNS, BERTH_QUOTA_FROM, {}};
      return run_listing<Quota>(c, sql, query, quota_schema(), quota_from_row);
    });
  }

  Result<std::optional<Quota>> get_quota(std::int64_t id) override {
    return core_->read("get_quota", [&](Connection& c) -> Result<std::optional<Quota>> {
      auto stmt = c.prepare("SELECT " BERTH_QUOTA_COLUMNS " FROM " BERTH_QUOTA_FROM " WHERE p.id = ?1");
      if (!stmt) return std::move(stmt).error();
      auto row = stmt->bind(id).step();
      if (!row) return std::move(row).error();
      if (!*row) return std::optional<Quota>{};
      return std::optional<Quota>(quota_from_row(*stmt));
    });
  }

  Status set_quota(std::int64_t id, std::int64_t hard) override {
    return core_->write("set_quota", [&](Connection& c) -> Status {
      if (auto s = c.run("UPDATE quotas SET hard_storage = ?2, updated_at = ?3 WHERE project_id = ?1", id,
                         hard, now_millis());
          !s) {
        return s;
      }
      if (c.changes() == 0)
        return base::make_error(Errc::not_found, "quota " + std::to_string(id) + " not found");
      return base::ok_status();
    });
  }

  Result<std::optional<std::string>> get_setting(const std::string& name) override {
    return core_->read("get_setting", [&](Connection& c) -> Result<std::optional<std::string>> {
      auto stmt = c.prepare("SELECT value FROM settings WHERE name = ?1");
      if (!stmt) return std::move(stmt).error();
      auto row = stmt->bind(name).step();
      if (!row) return std::move(row).error();
      if (!*row) return std::optional<std::string>{};
      return std::optional<std::string>(stmt->text(0));
    });
  }

  Status set_setting(const std::string& name, const std::string& value) override {
    return core_->write("set_setting", [&](Connection& c) {
      return c.run(
          "INSERT INTO settings(name, value, updated_at) VALUES(?1, ?2, ?3) "
          "ON CONFLICT(name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
          name, value, now_millis());
    });
  }

 private:
  std::shared_ptr<Core> core_;
};

}  // namespace

std::unique_ptr<LimitsDatabase> make_limits_database(std::shared_ptr<Core> core) {
  return std::make_unique<SqliteLimitsDatabase>(std::move(core));
}

}  // namespace berth::meta::sqlite
