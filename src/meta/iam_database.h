// meta::IamDatabase: identities and access records (users, projects and their metadata,
// members, robot accounts, portal sessions, audit log) behind one narrow interface, next
// to meta::Database. SQLite is the embedded back end. Every mutating call is one
// transaction. Secrets are stored only as the hashes the caller passes in.
//
// Listings take a ListQuery (Harbor's `q` filters, sort, page) and return the page with
// the total count before paging. Each listing accepts only the fields it documents and
// answers invalid_argument for any other.
//
// Thread-safety: all methods may be called concurrently from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "meta/database.h"
#include "meta/query.h"

namespace berth::meta {

struct User {
  std::int64_t id = 0;
  std::string username;
  std::string email;
  std::string realname;
  std::string comment;
  std::string password_hash;  // argon2id PHC string
  bool sysadmin = false;
  TimePoint created;
  TimePoint updated;
};

// Harbor's project roles, with Harbor's role ids.
enum class Role : int { project_admin = 1, developer = 2, guest = 3, maintainer = 4, limited_guest = 5 };

struct Project {
  std::int64_t id = 0;
  std::string name;
  std::int64_t owner_id = 0;
  std::string owner_name;  // filled by reads
  // Harbor's project metadata, string values: "public" ("true"/"false"), "auto_scan",
  // "severity", "prevent_vul", "reuse_sys_cve_allowlist" ... Unknown keys are kept.
  std::map<std::string, std::string> metadata;
  TimePoint created;
  TimePoint updated;
  std::int64_t repo_count = 0;      // filled by reads: repositories named "<name>/..."
  std::int64_t storage_limit = -1;  // on create: the project's storage quota in bytes (-1 = none)
};

struct Member {
  std::int64_t id = 0;
  std::int64_t project_id = 0;
  std::int64_t user_id = 0;
  std::string username;  // filled by reads
  Role role = Role::guest;
  TimePoint created;
  TimePoint updated;
};

// One permission of a robot: `action` on `resource` in the project `namespace_`
// ("*" = every project, for system robots).
struct RobotPermission {
  std::string namespace_;
  std::string resource;
  std::string action;
};

struct Robot {
  std::int64_t id = 0;
  std::string name;  // full name: "robot$<project>+<name>" or "robot$<name>"
  std::string description;
  std::string secret_hash;
  std::string level;            // "system" or "project"
  std::int64_t project_id = 0;  // project-level robots; 0 for system ones
  bool disabled = false;
  std::int64_t expires_at = -1;     // unix seconds; -1 = never
  std::int64_t duration_days = -1;  // as created; -1 = never
  std::string creator;
  std::vector<RobotPermission> permissions;
  TimePoint created;
  TimePoint updated;
};

struct Session {
  std::string id_hash;  // SHA-256 hex of the cookie value; the value itself is never stored
  std::int64_t user_id = 0;
  std::string csrf_token;
  TimePoint created;
  TimePoint expires;
};

struct AuditRecord {
  std::int64_t id = 0;
  TimePoint time;
  std::string username;  // "anonymous", a user name or a robot name
  std::string client_ip;
  std::string operation;      // create, delete, update, pull, push, login, logout ...
  std::string resource_type;  // artifact, tag, repository, project, user, member, robot, login ...
  std::string resource;       // e.g. "proj/repo:tag", "proj/repo@sha256:...", a user name
  std::string project;        // the project the record concerns; "" for system-level ones
  std::string result;         // "success" or "failure"
  std::string description;    // free text; never contains secrets
};

class IamDatabase {
 public:
  virtual ~IamDatabase() = default;

  // --- users --------------------------------------------------------------------
  // Errors: already_exists (username or a non-empty email taken), invalid_argument
  // (empty username). Ids are never reused, even after a delete.
  virtual base::Result<std::int64_t> create_user(const User& user) = 0;
  virtual base::Result<std::optional<User>> get_user(std::int64_t id) = 0;
  // Case-sensitive exact match.
  virtual base::Result<std::optional<User>> find_user(const std::string& username) = 0;
  // Updates email, realname, comment, sysadmin. Errors: not_found, already_exists.
  virtual base::Status update_user(const User& user) = 0;
  // Errors: not_found.
  virtual base::Status set_password_hash(std::int64_t user_id, const std::string& hash) = 0;
  // Deletes the user, its memberships and sessions. Projects it owns keep their owner id.
  // Errors: not_found.
  virtual base::Status delete_user(std::int64_t id) = 0;
  // Fields: username, email, realname (exact/fuzzy), sysadmin ("true"/"false"),
  // creation_time (range). Sort: username, creation_time, update_time. Default: id.
  virtual base::Result<Listing<User>> list_users(const ListQuery& query) = 0;
  virtual base::Result<std::int64_t> count_users() = 0;

  // --- projects -----------------------------------------------------------------
  // Stores the project and its metadata (keys with "" values are not stored).
  // Errors: already_exists, invalid_argument (empty name).
  virtual base::Result<std::int64_t> create_project(const Project& project) = 0;
  virtual base::Result<std::optional<Project>> get_project(std::int64_t id) = 0;
  virtual base::Result<std::optional<Project>> find_project(const std::string& name) = 0;
  // Merges `metadata` into the project's (a value of "" removes the key).
  // Errors: not_found.
  virtual base::Status update_project_metadata(std::int64_t id,
                                               const std::map<std::string, std::string>& metadata) = 0;
  // Deletes the project, its metadata, members and project-level robots.
  // Errors: not_found.
  virtual base::Status delete_project(std::int64_t id) = 0;
  // Fields: name (exact/fuzzy), public ("true"/"false"), owner (user name), project_id
  // (exact/any_of), creation_time (range). Sort: name, creation_time, update_time.
  // A project is public when its metadata "public" is exactly "true".
  // Default: name. `visible_to` (a user id) restricts the listing to public projects and
  // those the user is a member of; nullopt lists every project (system admin).
  // `public_only` restricts it to public projects (anonymous callers).
  virtual base::Result<Listing<Project>> list_projects(const ListQuery& query,
                                                       std::optional<std::int64_t> visible_to,
                                                       bool public_only) = 0;

  // --- members ------------------------------------------------------------------
  // Errors: already_exists (the user is a member), not_found (project or user),
  // invalid_argument (a role outside Harbor's 1..5).
  virtual base::Result<std::int64_t> add_member(std::int64_t project_id, std::int64_t user_id, Role role) = 0;
  virtual base::Result<std::optional<Member>> get_member(std::int64_t project_id, std::int64_t member_id) = 0;
  // Errors: not_found (no such member in that project), invalid_argument (role).
  virtual base::Status update_member_role(std::int64_t project_id, std::int64_t member_id, Role role) = 0;
  // Errors: not_found (no such member in that project).
  virtual base::Status delete_member(std::int64_t project_id, std::int64_t member_id) = 0;
  // Fields: entityname (user name, exact/fuzzy). Default order: id.
  virtual base::Result<Listing<Member>> list_members(std::int64_t project_id, const ListQuery& query) = 0;
  // The user's role in the project, if a member.
  virtual base::Result<std::optional<Role>> role_of(std::int64_t project_id, std::int64_t user_id) = 0;

  // --- robots -------------------------------------------------------------------
  // Stores the robot with its permissions (kept in the given order).
  // Errors: already_exists (name), not_found (project_id is not 0 and not a project),
  // invalid_argument (empty name).
  virtual base::Result<std::int64_t> create_robot(const Robot& robot) = 0;
  virtual base::Result<std::optional<Robot>> get_robot(std::int64_t id) = 0;
  virtual base::Result<std::optional<Robot>> find_robot(const std::string& name) = 0;
  // Updates description, disabled, expires_at, duration_days, secret_hash and replaces
  // the permissions. Errors: not_found.
  virtual base::Status update_robot(const Robot& robot) = 0;
  // Errors: not_found.
  virtual base::Status delete_robot(std::int64_t id) = 0;
  // Fields: name (exact/fuzzy), level, project_id (exact; 0 = system robots). Default
  // order: id.
  virtual base::Result<Listing<Robot>> list_robots(const ListQuery& query) = 0;

  // --- portal sessions ------------------------------------------------------------
  // Errors: not_found (user), already_exists (id_hash).
  virtual base::Status create_session(const Session& session) = 0;
  // The session if it exists and has not expired at `now`.
  virtual base::Result<std::optional<Session>> find_session(const std::string& id_hash, TimePoint now) = 0;
  // Idempotent: deleting an unknown session succeeds.
  virtual base::Status delete_session(const std::string& id_hash) = 0;
  virtual base::Status delete_expired_sessions(TimePoint now) = 0;

  // --- audit log ----------------------------------------------------------------
  // Appends records in one transaction; ids are assigned by the database (increasing).
  // A record whose time is the epoch gets the current time. A `relaxed` commit survives a
  // crash of the process at once, and one of the machine once a later `durable` append or
  // sync_audit() has returned.
  enum class Commit { durable, relaxed };
  virtual base::Status append_audit(const std::vector<AuditRecord>& records, Commit commit) = 0;
  // Makes every record appended so far survive a crash of the machine. Errors: unavailable
  // when the database cannot do so at this moment (try again later).
  virtual base::Status sync_audit() = 0;
  // Fields: username, operation, resource_type, resource, project, client_ip, result (exact/fuzzy),
  // op_time (range; values as unix seconds, "YYYY-MM-DD HH:MM:SS" or
  // "YYYY-MM-DDTHH:MM:SSZ", UTC; both bounds inclusive to the whole second).
  // Sort: op_time (default: -op_time, newest first).
  virtual base::Result<Listing<AuditRecord>> list_audit(const ListQuery& query) = 0;
  // Deletes records older than `cutoff`; returns how many.
  virtual base::Result<std::int64_t> purge_audit(TimePoint cutoff) = 0;
};

}  // namespace berth::meta
