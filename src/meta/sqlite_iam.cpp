// SQLite implementation of meta::IamDatabase over the shared sqlite::Core (see
// sqlite_core.h for connections, locking and durability, sqlite_schema.cpp for the tables).

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "meta/iam_database.h"
#include "meta/sqlite_core.h"
#include "meta/sqlite_query.h"

namespace berth::meta::sqlite {
namespace {

using base::Errc;
using base::Result;
using base::Status;

base::Error not_found(std::string what) {
  return base::make_error(Errc::not_found, std::move(what) + " not found");
}

base::Error already_exists(std::string what) {
  return base::make_error(Errc::already_exists, std::move(what) + " already exists");
}

// Errors: invalid_argument if `role` is not one of Harbor's role ids.
Status check_role(Role role) {
  int id = static_cast<int>(role);
  if (id < static_cast<int>(Role::project_admin) || id > static_cast<int>(Role::limited_guest)) {
    return base::make_error(Errc::invalid_argument, "invalid project role " + std::to_string(id));
  }
  return base::ok_status();
}

// Runs a cached query and reports whether it yields a row.
template <class... Args>
Result<bool> row_exists(Connection& c, std::string_view sql, const Args&... args) {
  auto stmt = c.prepare(sql);
  if (!stmt) return std::move(stmt).error();
  return exists(stmt->bind(args...));
}

// Reads at most one row of a cached query through `from_row`.
template <class T, class FromRow, class... Args>
Result<std::optional<T>> one_row(Connection& c, std::string_view sql, FromRow from_row, const Args&... args) {
  auto stmt = c.prepare(sql);
  if (!stmt) return std::move(stmt).error();
  auto row = stmt->bind(args...).step();
  if (!row) return std::move(row).error();
  if (!*row) return std::optional<T>{};
  return std::optional<T>(from_row(static_cast<const Statement&>(*stmt)));
}

// Runs a cached DELETE or UPDATE and turns "no row changed" into not_found(`what`).
template <class... Args>
Status change_one(Connection& c, const std::string& what, std::string_view sql, const Args&... args) {
  if (auto s = c.run(sql, args...); !s) return s;
  if (c.changes() == 0) return not_found(what);
  return base::ok_status();
}

// --- users -------------------------------------------------------------------------------

#define BERTH_USER_COLUMNS                                                                        \
  "u.id, u.username, u.email, u.realname, u.comment, u.password_hash, u.sysadmin, u.created_at, " \
  "u.updated_at"

User user_from_row(const Statement& s) {
  User u;
  u.id = s.int64(0);
  u.username = s.text(1);
  u.email = s.text(2);
  u.realname = s.text(3);
  u.comment = s.text(4);
  u.password_hash = s.text(5);
  u.sysadmin = s.int64(6) != 0;
  u.created = from_millis(s.int64(7));
  u.updated = from_millis(s.int64(8));
  return u;
}

// Errors: already_exists if another user (not `self`) has this non-empty email.
Status check_email_free(Connection& c, const std::string& email, std::int64_t self) {
  if (email.empty()) return base::ok_status();
  auto taken = row_exists(c, "SELECT 1 FROM users WHERE email = ?1 AND id <> ?2", email, self);
  if (!taken) return std::move(taken).error();
  if (*taken) return base::make_error(Errc::already_exists, "email " + email + " is already used");
  return base::ok_status();
}

const QuerySchema& user_schema() {
  static const QuerySchema schema{
      .fields =
          {
              column_field("username", "u.username", FieldType::text, kExact | kFuzzy),
              column_field("email", "u.email", FieldType::text, kExact | kFuzzy),
              column_field("realname", "u.realname", FieldType::text, kExact | kFuzzy),
              column_field("sysadmin", "u.sysadmin", FieldType::boolean, kExact),
              column_field("creation_time", "u.created_at", FieldType::time_millis, kRange),
          },
      .sorts = {{"username", "u.username"},
                {"creation_time", "u.created_at"},
                {"update_time", "u.updated_at"}},
      .default_order = "u.id",
      .tie_break = "u.id",
  };
  return schema;
}

// --- projects ----------------------------------------------------------------------------

// A project's "public" metadata as 1 or 0 (absent = private).
#define BERTH_PROJECT_PUBLIC                                                                          \
  "(COALESCE((SELECT pmd.value FROM project_metadata pmd WHERE pmd.project_id = p.id AND pmd.name = " \
  "'public'), "                                                                                       \
  "'false') = 'true')"

// Repositories named "<project>/...": the names in ["<project>/", "<project>0"), since
// '0' follows '/' (index-friendly, and exact for any project name).
#define BERTH_PROJECT_COLUMNS                                                         \
  "p.id, p.name, p.owner_id, COALESCE(ou.username, ''), p.created_at, p.updated_at, " \
  "(SELECT COUNT(*) FROM repositories r WHERE r.name >= p.name || '/' AND r.name < p.name || '0')"
#define BERTH_PROJECT_FROM "projects p LEFT JOIN users ou ON ou.id = p.owner_id"

Project project_from_row(const Statement& s) {
  Project p;
  p.id = s.int64(0);
  p.name = s.text(1);
  p.owner_id = s.int64(2);
  p.owner_name = s.text(3);
  p.created = from_millis(s.int64(4));
  p.updated = from_millis(s.int64(5));
  p.repo_count = s.int64(6);
  return p;
}

Status load_metadata(Connection& c, Project& project) {
  auto stmt = c.prepare("SELECT name, value FROM project_metadata WHERE project_id = ?1");
  if (!stmt) return std::move(stmt).error();
  stmt->bind(project.id);
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::move(row).error();
    if (!*row) return base::ok_status();
    project.metadata[stmt->text(0)] = stmt->text(1);
  }
}

// Merges `metadata` into the project's: "" removes a key.
Status merge_metadata(Connection& c, std::int64_t project_id,
                      const std::map<std::string, std::string>& metadata) {
  for (const auto& [key, value] : metadata) {
    Status s = value.empty() ? c.run("DELETE FROM project_metadata WHERE project_id = ?1 AND name = ?2",
                                     project_id, key)
                             : c.run(
                                   "INSERT INTO project_metadata(project_id, name, value) VALUES(?1, ?2, ?3) "
                                   "ON CONFLICT(project_id, name) DO UPDATE SET value = excluded.value",
                                   project_id, key, value);
    if (!s) return s;
  }
  return base::ok_status();
}

const QuerySchema& project_schema() {
  static const QuerySchema schema{
      .fields =
          {
              column_field("name", "p.name", FieldType::text, kExact | kFuzzy),
              column_field("public", BERTH_PROJECT_PUBLIC, FieldType::boolean, kExact),
              column_field("owner", "ou.username", FieldType::text, kExact | kFuzzy),
              column_field("project_id", "p.id", FieldType::integer, kExact | kAnyOf),
              column_field("creation_time", "p.created_at", FieldType::time_millis, kRange),
          },
      .sorts = {{"name", "p.name"}, {"creation_time", "p.created_at"}, {"update_time", "p.updated_at"}},
      .default_order = "p.name",
      .tie_break = "p.id",
  };
  return schema;
}

// --- members -----------------------------------------------------------------------------

#define BERTH_MEMBER_COLUMNS \
  "pm.id, pm.project_id, pm.user_id, u.username, pm.role, pm.created_at, pm.updated_at"
#define BERTH_MEMBER_FROM "project_members pm JOIN users u ON u.id = pm.user_id"

Member member_from_row(const Statement& s) {
  Member m;
  m.id = s.int64(0);
  m.project_id = s.int64(1);
  m.user_id = s.int64(2);
  m.username = s.text(3);
  m.role = static_cast<Role>(s.int64(4));
  m.created = from_millis(s.int64(5));
  m.updated = from_millis(s.int64(6));
  return m;
}

const QuerySchema& member_schema() {
  static const QuerySchema schema{
      .fields = {column_field("entityname", "u.username", FieldType::text, kExact | kFuzzy)},
      .sorts = {},
      .default_order = "pm.id",
      .tie_break = "pm.id",
  };
  return schema;
}

// --- robots ------------------------------------------------------------------------------

#define BERTH_ROBOT_COLUMNS                                                                             \
  "ro.id, ro.name, ro.description, ro.secret_hash, ro.level, COALESCE(ro.project_id, 0), ro.disabled, " \
  "ro.expires_at, ro.duration_days, ro.creator, ro.created_at, ro.updated_at"

Robot robot_from_row(const Statement& s) {
  Robot r;
  r.id = s.int64(0);
  r.name = s.text(1);
  r.description = s.text(2);
  r.secret_hash = s.text(3);
  r.level = s.text(4);
  r.project_id = s.int64(5);
  r.disabled = s.int64(6) != 0;
  r.expires_at = s.int64(7);
  r.duration_days = s.int64(8);
  r.creator = s.text(9);
  r.created = from_millis(s.int64(10));
  r.updated = from_millis(s.int64(11));
  return r;
}

Status load_permissions(Connection& c, Robot& robot) {
  auto stmt = c.prepare(
      "SELECT namespace, resource, action FROM robot_permissions WHERE robot_id = ?1 ORDER BY position");
  if (!stmt) return std::move(stmt).error();
  stmt->bind(robot.id);
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::move(row).error();
    if (!*row) return base::ok_status();
    robot.permissions.push_back(RobotPermission{stmt->text(0), stmt->text(1), stmt->text(2)});
  }
}

// Replaces the robot's permissions, keeping their order.
Status store_permissions(Connection& c, std::int64_t robot_id,
                         const std::vector<RobotPermission>& permissions) {
  if (auto s = c.run("DELETE FROM robot_permissions WHERE robot_id = ?1", robot_id); !s) return s;
  std::int64_t position = 0;
  for (const auto& p : permissions) {
    if (auto s = c.run("INSERT INTO robot_permissions(robot_id, position, namespace, resource, action) "
                       "VALUES(?1, ?2, ?3, ?4, ?5)",
                       robot_id, position++, p.namespace_, p.resource, p.action);
        !s) {
      return s;
    }
  }
  return base::ok_status();
}

// A robot read with its permissions, or nullopt.
template <class... Args>
Result<std::optional<Robot>> read_robot(Connection& c, std::string_view sql, const Args&... args) {
  auto robot = one_row<Robot>(c, sql, robot_from_row, args...);
  if (!robot || !*robot) return robot;
  if (auto s = load_permissions(c, **robot); !s) return std::move(s).error();
  return robot;
}

const QuerySchema& robot_schema() {
  static const QuerySchema schema{
      .fields =
          {
              column_field("name", "ro.name", FieldType::text, kExact | kFuzzy),
              column_field("level", "ro.level", FieldType::text, kExact),
              column_field("project_id", "COALESCE(ro.project_id, 0)", FieldType::integer, kExact),
          },
      .sorts = {},
      .default_order = "ro.id",
      .tie_break = "ro.id",
  };
  return schema;
}

// --- sessions and audit ----------------------------------------------------------------------

Session session_from_row(const Statement& s) {
  return Session{s.text(0), s.int64(1), s.text(2), from_millis(s.int64(3)), from_millis(s.int64(4))};
}

#define BERTH_AUDIT_COLUMNS                                                                        \
  "a.id, a.op_time, a.username, a.client_ip, a.operation, a.resource_type, a.resource, a.result, " \
  "a.description, a.project"

AuditRecord audit_from_row(const Statement& s) {
  AuditRecord a;
  a.id = s.int64(0);
  a.time = from_millis(s.int64(1));
  a.username = s.text(2);
  a.client_ip = s.text(3);
  a.operation = s.text(4);
  a.resource_type = s.text(5);
  a.resource = s.text(6);
  a.result = s.text(7);
  a.description = s.text(8);
  a.project = s.text(9);
  return a;
}

QueryField audit_text_field(const std::string& name) {
  return column_field(name, "a." + name, FieldType::text, kExact | kFuzzy);
}

const QuerySchema& audit_schema() {
  static const QuerySchema schema{
      .fields =
          {
              audit_text_field("username"),
              audit_text_field("operation"),
              audit_text_field("resource_type"),
              audit_text_field("resource"),
              audit_text_field("project"),
              audit_text_field("client_ip"),
              audit_text_field("result"),
              column_field("op_time", "a.op_time", FieldType::time_millis, kRange),
          },
      .sorts = {{"op_time", "a.op_time"}},
      .default_order = "a.op_time DESC, a.id DESC",
      .tie_break = "a.id",
  };
  return schema;
}

// --- the database ------------------------------------------------------------------------------

class SqliteIamDatabase final : public IamDatabase {
 public:
  explicit SqliteIamDatabase(std::shared_ptr<Core> core) : core_(std::move(core)) {}

  // --- users ---

  Result<std::int64_t> create_user(const User& user) override {
    if (user.username.empty())
      return base::make_error(Errc::invalid_argument, "meta.create_user: empty username");
    return core_->write("create_user", [&](Connection& c) -> Result<std::int64_t> {
      auto taken = row_exists(c, "SELECT 1 FROM users WHERE username = ?1", user.username);
      if (!taken) return std::move(taken).error();
      if (*taken) return already_exists("user " + user.username);
      if (auto s = check_email_free(c, user.email, 0); !s) return std::move(s).error();
      const std::int64_t created = millis_or_now(user.created);
      if (auto s = c.run(
              "INSERT INTO users(username, email, realname, comment, password_hash, sysadmin, created_at, "
              "updated_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
              user.username, user.email, user.realname, user.comment, user.password_hash,
              std::int64_t{user.sysadmin ? 1 : 0}, created);
          !s) {
        return std::move(s).error();
      }
      return c.last_insert_rowid();
    });
  }

  Result<std::optional<User>> get_user(std::int64_t id) override {
    return core_->read("get_user", [&](Connection& c) {
      return one_row<User>(c, "SELECT " BERTH_USER_COLUMNS " FROM users u WHERE u.id = ?1", user_from_row,
                           id);
    });
  }

  Result<std::optional<User>> find_user(const std::string& username) override {
    return core_->read("find_user", [&](Connection& c) {
      return one_row<User>(c, "SELECT " BERTH_USER_COLUMNS " FROM users u WHERE u.username = ?1",
                           user_from_row, username);
    });
  }

  Status update_user(const User& user) override {
    return core_->write("update_user", [&](Connection& c) -> Status {
      auto found = row_exists(c, "SELECT 1 FROM users WHERE id = ?1", user.id);
      if (!found) return std::move(found).error();
      if (!*found) return not_found("user " + std::to_string(user.id));
      if (auto s = check_email_free(c, user.email, user.id); !s) return s;
      return c.run(
          "UPDATE users SET email = ?2, realname = ?3, comment = ?4, sysadmin = ?5, updated_at = ?6 WHERE id "
          "= ?1",
          user.id, user.email, user.realname, user.comment, std::int64_t{user.sysadmin ? 1 : 0},
          now_millis());
    });
  }

  Status set_password_hash(std::int64_t user_id, const std::string& hash) override {
    return core_->write("set_password_hash", [&](Connection& c) {
      return change_one(c, "user " + std::to_string(user_id),
                        "UPDATE users SET password_hash = ?2, updated_at = ?3 WHERE id = ?1", user_id, hash,
                        now_millis());
    });
  }

  Status delete_user(std::int64_t id) override {
    return core_->write("delete_user", [&](Connection& c) -> Status {
      if (auto s = c.run("DELETE FROM project_members WHERE user_id = ?1", id); !s) return s;
      if (auto s = c.run("DELETE FROM sessions WHERE user_id = ?1", id); !s) return s;
      return change_one(c, "user " + std::to_string(id), "DELETE FROM users WHERE id = ?1", id);
    });
  }

  Result<Listing<User>> list_users(const ListQuery& query) override {
    return core_->read("list_users", [&](Connection& c) {
      return run_listing<User>(c, ListingSql{BERTH_USER_COLUMNS, "users u", {}}, query, user_schema(),
                               user_from_row);
    });
  }

  Result<std::int64_t> count_users() override {
    return core_->read("count_users", [&](Connection& c) -> Result<std::int64_t> {
      auto stmt = c.prepare("SELECT COUNT(*) FROM users");
      if (!stmt) return std::move(stmt).error();
      auto n = optional_int64(*stmt);
      if (!n) return std::move(n).error();
      return n->value_or(0);
    });
  }

  // --- projects ---

  Result<std::int64_t> create_project(const Project& project) override {
    if (project.name.empty())
      return base::make_error(Errc::invalid_argument, "meta.create_project: empty name");
    return core_->write("create_project", [&](Connection& c) -> Result<std::int64_t> {
      auto taken = row_exists(c, "SELECT 1 FROM projects WHERE name = ?1", project.name);
      if (!taken) return std::move(taken).error();
      if (*taken) return already_exists("project " + project.name);
      const std::int64_t created = millis_or_now(project.created);
      if (auto s =
              c.run("INSERT INTO projects(name, owner_id, created_at, updated_at) VALUES(?1, ?2, ?3, ?3)",
                    project.name, project.owner_id, created);
          !s) {
        return std::move(s).error();
      }
      const std::int64_t id = c.last_insert_rowid();
      if (auto s = merge_metadata(c, id, project.metadata); !s) return std::move(s).error();
      if (auto s = c.run("INSERT INTO quotas(project_id, hard_storage, created_at, updated_at) "
                         "VALUES(?1, ?2, ?3, ?3)",
                         id, project.storage_limit, created);
          !s) {
        return std::move(s).error();
      }
      return id;
    });
  }

  Result<std::optional<Project>> get_project(std::int64_t id) override {
    return core_->read("get_project", [&](Connection& c) {
      return read_project(c, "SELECT " BERTH_PROJECT_COLUMNS " FROM " BERTH_PROJECT_FROM " WHERE p.id = ?1",
                          id);
    });
  }

  Result<std::optional<Project>> find_project(const std::string& name) override {
    return core_->read("find_project", [&](Connection& c) {
      return read_project(c, "SELECT " BERTH_PROJECT_COLUMNS " FROM " BERTH_PROJECT_FROM " WHERE p.name = ?1",
                          name);
    });
  }

  Status update_project_metadata(std::int64_t id,
                                 const std::map<std::string, std::string>& metadata) override {
    return core_->write("update_project_metadata", [&](Connection& c) -> Status {
      if (auto s = change_one(c, "project " + std::to_string(id),
                              "UPDATE projects SET updated_at = max(updated_at, ?2) WHERE id = ?1", id,
                              now_millis());
          !s) {
        return s;
      }
      return merge_metadata(c, id, metadata);
    });
  }

  Status delete_project(std::int64_t id) override {
    return core_->write("delete_project", [&](Connection& c) -> Status {
      for (const char* sql : {
               "DELETE FROM robot_permissions WHERE robot_id IN (SELECT id FROM robots WHERE project_id = "
               "?1)",
               "DELETE FROM robots WHERE project_id = ?1",
               "DELETE FROM project_members WHERE project_id = ?1",
               "DELETE FROM project_metadata WHERE project_id = ?1",
               "DELETE FROM quotas WHERE project_id = ?1",
           }) {
        if (auto s = c.run(sql, id); !s) return s;
      }
      return change_one(c, "project " + std::to_string(id), "DELETE FROM projects WHERE id = ?1", id);
    });
  }

  Result<Listing<Project>> list_projects(const ListQuery& query, std::optional<std::int64_t> visible_to,
                                         bool public_only) override {
    return core_->read("list_projects", [&](Connection& c) -> Result<Listing<Project>> {
      ListingSql sql{BERTH_PROJECT_COLUMNS, BERTH_PROJECT_FROM, {}};
      if (public_only) {
        sql.base.sql = BERTH_PROJECT_PUBLIC;
      } else if (visible_to) {
        sql.base.sql = BERTH_PROJECT_PUBLIC
            " OR EXISTS (SELECT 1 FROM project_members vm WHERE vm.project_id = p.id AND vm.user_id = ?)";
        sql.base.params.emplace_back(*visible_to);
      }
      auto listing = run_listing<Project>(c, sql, query, project_schema(), project_from_row);
      if (!listing) return listing;
      for (auto& project : listing->items) {
        if (auto s = load_metadata(c, project); !s) return std::move(s).error();
      }
      return listing;
    });
  }

  // --- members ---

  Result<std::int64_t> add_member(std::int64_t project_id, std::int64_t user_id, Role role) override {
    if (auto s = check_role(role); !s)
      return with_context("add_member", Result<std::int64_t>(std::move(s).error()));
    return core_->write("add_member", [&](Connection& c) -> Result<std::int64_t> {
      auto project = row_exists(c, "SELECT 1 FROM projects WHERE id = ?1", project_id);
      if (!project) return std::move(project).error();
      if (!*project) return not_found("project " + std::to_string(project_id));
      auto user = row_exists(c, "SELECT 1 FROM users WHERE id = ?1", user_id);
      if (!user) return std::move(user).error();
      if (!*user) return not_found("user " + std::to_string(user_id));
      auto member = row_exists(c, "SELECT 1 FROM project_members WHERE project_id = ?1 AND user_id = ?2",
                               project_id, user_id);
      if (!member) return std::move(member).error();
      if (*member) {
        return already_exists("member " + std::to_string(user_id) + " of project " +
                              std::to_string(project_id));
      }
      if (auto s = c.run("INSERT INTO project_members(project_id, user_id, role, created_at, updated_at) "
                         "VALUES(?1, ?2, ?3, ?4, ?4)",
                         project_id, user_id, std::int64_t{static_cast<int>(role)}, now_millis());
          !s) {
        return std::move(s).error();
      }
      return c.last_insert_rowid();
    });
  }

  Result<std::optional<Member>> get_member(std::int64_t project_id, std::int64_t member_id) override {
    return core_->read("get_member", [&](Connection& c) {
      return one_row<Member>(c,
                             "SELECT " BERTH_MEMBER_COLUMNS " FROM " BERTH_MEMBER_FROM
                             " WHERE pm.project_id = ?1 AND pm.id = ?2",
                             member_from_row, project_id, member_id);
    });
  }

  Status update_member_role(std::int64_t project_id, std::int64_t member_id, Role role) override {
    if (auto s = check_role(role); !s) return with_context("update_member_role", std::move(s));
    return core_->write("update_member_role", [&](Connection& c) {
      return change_one(
          c, "member " + std::to_string(member_id),
          "UPDATE project_members SET role = ?3, updated_at = ?4 WHERE project_id = ?1 AND id = ?2",
          project_id, member_id, std::int64_t{static_cast<int>(role)}, now_millis());
    });
  }

  Status delete_member(std::int64_t project_id, std::int64_t member_id) override {
    return core_->write("delete_member", [&](Connection& c) {
      return change_one(c, "member " + std::to_string(member_id),
                        "DELETE FROM project_members WHERE project_id = ?1 AND id = ?2", project_id,
                        member_id);
    });
  }

  Result<Listing<Member>> list_members(std::int64_t project_id, const ListQuery& query) override {
    return core_->read("list_members", [&](Connection& c) {
      ListingSql sql{BERTH_MEMBER_COLUMNS, BERTH_MEMBER_FROM, SqlFragment{"pm.project_id = ?", {project_id}}};
      return run_listing<Member>(c, sql, query, member_schema(), member_from_row);
    });
  }

  Result<std::optional<Role>> role_of(std::int64_t project_id, std::int64_t user_id) override {
    return core_->read("role_of", [&](Connection& c) {
      return one_row<Role>(
          c, "SELECT role FROM project_members WHERE project_id = ?1 AND user_id = ?2",
          [](const Statement& s) { return static_cast<Role>(s.int64(0)); }, project_id, user_id);
    });
  }

  // --- robots ---

  Result<std::int64_t> create_robot(const Robot& robot) override {
    if (robot.name.empty()) return base::make_error(Errc::invalid_argument, "meta.create_robot: empty name");
    return core_->write("create_robot", [&](Connection& c) -> Result<std::int64_t> {
      auto taken = row_exists(c, "SELECT 1 FROM robots WHERE name = ?1", robot.name);
      if (!taken) return std::move(taken).error();
      if (*taken) return already_exists("robot " + robot.name);
      std::optional<std::int64_t> project;
      if (robot.project_id != 0) {
        auto found = row_exists(c, "SELECT 1 FROM projects WHERE id = ?1", robot.project_id);
        if (!found) return std::move(found).error();
        if (!*found) return not_found("project " + std::to_string(robot.project_id));
        project = robot.project_id;
      }
      const std::int64_t created = millis_or_now(robot.created);
      if (auto s = c.run(
              "INSERT INTO robots(name, description, secret_hash, level, project_id, disabled, expires_at, "
              "duration_days, creator, created_at, updated_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
              "?10, ?10)",
              robot.name, robot.description, robot.secret_hash, robot.level, project,
              std::int64_t{robot.disabled ? 1 : 0}, robot.expires_at, robot.duration_days, robot.creator,
              created);
          !s) {
        return std::move(s).error();
      }
      const std::int64_t id = c.last_insert_rowid();
      if (auto s = store_permissions(c, id, robot.permissions); !s) return std::move(s).error();
      return id;
    });
  }

  Result<std::optional<Robot>> get_robot(std::int64_t id) override {
    return core_->read("get_robot", [&](Connection& c) {
      return read_robot(c, "SELECT " BERTH_ROBOT_COLUMNS " FROM robots ro WHERE ro.id = ?1", id);
    });
  }

  Result<std::optional<Robot>> find_robot(const std::string& name) override {
    return core_->read("find_robot", [&](Connection& c) {
      return read_robot(c, "SELECT " BERTH_ROBOT_COLUMNS " FROM robots ro WHERE ro.name = ?1", name);
    });
  }

  Status update_robot(const Robot& robot) override {
    return core_->write("update_robot", [&](Connection& c) -> Status {
      if (auto s = change_one(
              c, "robot " + std::to_string(robot.id),
              "UPDATE robots SET description = ?2, disabled = ?3, expires_at = ?4, duration_days = ?5, "
              "secret_hash = ?6, updated_at = ?7 WHERE id = ?1",
              robot.id, robot.description, std::int64_t{robot.disabled ? 1 : 0}, robot.expires_at,
              robot.duration_days, robot.secret_hash, now_millis());
          !s) {
        return s;
      }
      return store_permissions(c, robot.id, robot.permissions);
    });
  }

  Status delete_robot(std::int64_t id) override {
    return core_->write("delete_robot", [&](Connection& c) -> Status {
      if (auto s = c.run("DELETE FROM robot_permissions WHERE robot_id = ?1", id); !s) return s;
      return change_one(c, "robot " + std::to_string(id), "DELETE FROM robots WHERE id = ?1", id);
    });
  }

  Result<Listing<Robot>> list_robots(const ListQuery& query) override {
    return core_->read("list_robots", [&](Connection& c) -> Result<Listing<Robot>> {
      auto listing = run_listing<Robot>(c, ListingSql{BERTH_ROBOT_COLUMNS, "robots ro", {}}, query,
                                        robot_schema(), robot_from_row);
      if (!listing) return listing;
      for (auto& robot : listing->items) {
        if (auto s = load_permissions(c, robot); !s) return std::move(s).error();
      }
      return listing;
    });
  }

  // --- portal sessions ---

  Status create_session(const Session& session) override {
    return core_->write("create_session", [&](Connection& c) -> Status {
      auto user = row_exists(c, "SELECT 1 FROM users WHERE id = ?1", session.user_id);
      if (!user) return std::move(user).error();
      if (!*user) return not_found("user " + std::to_string(session.user_id));
      auto taken = row_exists(c, "SELECT 1 FROM sessions WHERE id_hash = ?1", session.id_hash);
      if (!taken) return std::move(taken).error();
      if (*taken) return already_exists("session");
      return c.run(
          "INSERT INTO sessions(id_hash, user_id, csrf_token, created_at, expires_at) VALUES(?1, ?2, ?3, ?4, "
          "?5)",
          session.id_hash, session.user_id, session.csrf_token, millis_or_now(session.created),
          to_millis(session.expires));
    });
  }

  Result<std::optional<Session>> find_session(const std::string& id_hash, TimePoint now) override {
    return core_->read("find_session", [&](Connection& c) {
      return one_row<Session>(c,
                              "SELECT id_hash, user_id, csrf_token, created_at, expires_at FROM sessions "
                              "WHERE id_hash = ?1 AND expires_at > ?2",
                              session_from_row, id_hash, to_millis(now));
    });
  }

  // Idempotent: logging out of a session that expired and was purged succeeds.
  Status delete_session(const std::string& id_hash) override {
    return core_->write("delete_session", [&](Connection& c) {
      return c.run("DELETE FROM sessions WHERE id_hash = ?1", id_hash);
    });
  }

  Status delete_expired_sessions(TimePoint now) override {
    return core_->write("delete_expired_sessions", [&](Connection& c) {
      return c.run("DELETE FROM sessions WHERE expires_at <= ?1", to_millis(now));
    });
  }

  // --- audit log ---

  Status append_audit(const std::vector<AuditRecord>& records, Commit commit) override {
    if (records.empty()) return base::ok_status();
    const auto sync = commit == Commit::relaxed ? Core::Sync::relaxed : Core::Sync::full;
    return core_->write(
        "append_audit",
        [&](Connection& c) -> Status {
          for (const auto& r : records) {
            if (auto s = c.run(
                    "INSERT INTO audit_log(op_time, username, client_ip, operation, resource_type, "
                    "resource, result, description, project) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    millis_or_now(r.time), r.username, r.client_ip, r.operation, r.resource_type, r.resource,
                    r.result, r.description, r.project);
                !s) {
              return s;
            }
          }
          return base::ok_status();
        },
        sync);
  }

  Status sync_audit() override { return core_->sync(); }

  Result<Listing<AuditRecord>> list_audit(const ListQuery& query) override {
    return core_->read("list_audit", [&](Connection& c) {
      return run_listing<AuditRecord>(c, ListingSql{BERTH_AUDIT_COLUMNS, "audit_log a", {}}, query,
                                      audit_schema(), audit_from_row);
    });
  }

  Result<std::int64_t> purge_audit(TimePoint cutoff) override {
    return core_->write("purge_audit", [&](Connection& c) -> Result<std::int64_t> {
      if (auto s = c.run("DELETE FROM audit_log WHERE op_time < ?1", to_millis(cutoff)); !s) {
        return std::move(s).error();
      }
      return c.changes();
    });
  }

 private:
  template <class Arg>
  static Result<std::optional<Project>> read_project(Connection& c, std::string_view sql, const Arg& arg) {
    auto project = one_row<Project>(c, sql, project_from_row, arg);
    if (!project || !*project) return project;
    if (auto s = load_metadata(c, **project); !s) return std::move(s).error();
    return project;
  }

  std::shared_ptr<Core> core_;
};

}  // namespace

std::unique_ptr<IamDatabase> make_iam_database(std::shared_ptr<Core> core) {
  return std::make_unique<SqliteIamDatabase>(std::move(core));
}

}  // namespace berth::meta::sqlite
