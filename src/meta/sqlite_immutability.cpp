// SQLite implementation of meta::ImmutabilityDatabase (schema v7).
#include "meta/immutability_database.h"
#include "meta/sqlite_core.h"

namespace berth::meta::sqlite {
namespace {

using base::Errc;
using base::Result;
using base::Status;

class SqliteImmutabilityDatabase final : public ImmutabilityDatabase {
 public:
  explicit SqliteImmutabilityDatabase(std::shared_ptr<Core> core) : core_(std::move(core)) {}

  Result<std::vector<ImmutableRuleRecord>> list_immutable_rules(std::int64_t project_id) override {
    return core_->read("list_immutable_rules",
                       [&](Connection& c) -> Result<std::vector<ImmutableRuleRecord>> {
                         auto stmt = c.prepare(
                             "SELECT id, project_id, priority, disabled, rule, created_at FROM "
                             "immutable_rules WHERE project_id = ?1 "
                             "ORDER BY id");
                         if (!stmt) return std::move(stmt).error();
                         stmt->bind(project_id);
                         std::vector<ImmutableRuleRecord> out;
                         for (;;) {
                           auto row = stmt->step();
                           if (!row) return std::move(row).error();
                           if (!*row) return out;
                           out.push_back(ImmutableRuleRecord{stmt->int64(0), stmt->int64(1), stmt->int64(2),
                                                             stmt->int64(3) != 0, stmt->text(4),
                                                             from_millis(stmt->int64(5))});
                         }
                       });
  }

  Result<std::int64_t> create_immutable_rule(const ImmutableRuleRecord& rule,
                                             std::size_t max_rules) override {
    return core_->write("create_immutable_rule", [&](Connection& c) -> Result<std::int64_t> {
      auto count = c.prepare("SELECT COUNT(*) FROM immutable_rules WHERE project_id = ?1");
      if (!count) return std::move(count).error();
      auto n = optional_int64(count->bind(rule.project_id));
      if (!n) return std::move(n).error();
      if (static_cast<std::size_t>(n->value_or(0)) >= max_rules)
        return base::make_error(Errc::out_of_range,
                                "a project has at most " + std::to_string(max_rules) + " immutability rules");
      if (auto s = c.run("INSERT INTO immutable_rules(project_id, priority, disabled, rule, created_at) "
                         "VALUES(?1, ?2, ?3, ?4, ?5)",
                         rule.project_id, rule.priority, std::int64_t{rule.disabled ? 1 : 0}, rule.rule_json,
                         now_millis());
          !s) {
        return std::move(s).error();
      }
      return c.last_insert_rowid();
    });
  }

  Status update_immutable_rule(const ImmutableRuleRecord& rule) override {
    return core_->write("update_immutable_rule", [&](Connection& c) -> Status {
      if (auto s = c.run("UPDATE immutable_rules SET priority = ?3, disabled = ?4, rule = ?5 "
                         "WHERE project_id = ?1 AND id = ?2",
                         rule.project_id, rule.id, rule.priority, std::int64_t{rule.disabled ? 1 : 0},
                         rule.rule_json);
          !s) {
        return s;
      }
      if (c.changes() == 0)
        return base::make_error(Errc::not_found, "immutable rule " + std::to_string(rule.id) + " not found");
      return base::ok_status();
    });
  }

  Status delete_immutable_rule(std::int64_t project_id, std::int64_t id) override {
    return core_->write("delete_immutable_rule", [&](Connection& c) -> Status {
      if (auto s = c.run("DELETE FROM immutable_rules WHERE project_id = ?1 AND id = ?2", project_id, id); !s)
        return s;
      if (c.changes() == 0)
        return base::make_error(Errc::not_found, "immutable rule " + std::to_string(id) + " not found");
      return base::ok_status();
    });
  }

 private:
  std::shared_ptr<Core> core_;
};

}  // namespace

std::unique_ptr<ImmutabilityDatabase> make_immutability_database(std::shared_ptr<Core> core) {
  return std::make_unique<SqliteImmutabilityDatabase>(std::move(core));
}

}  // namespace berth::meta::sqlite
