// iam::Service: authentication, authorization and the management of users, projects,
// members and robot accounts, with Harbor's rules. Every mutation is authorized against
// the caller, validated, written through meta::IamDatabase, audited, and drops the
// in-memory caches it made stale.
//
// Caches: verified credentials (keyed by an HMAC of name and password under a
// per-process key, never the password itself) and per-(principal, project) access
// facts. Both are cleared by every IAM write in this process and expire after
// `Options::cache_ttl` otherwise, so a change made by another node (PostgreSQL
// scale-out) takes effect within that time. A bearer token never outlives its
// principal's current rights: every request re-checks them. Once expired, credentials
// are checked again against the account's current row; argon2 runs again only when the
// stored hash is not the one they were verified against (new password, new account).
//
// Failed logins: after `max_failed_logins` failures from one address within
// `failure_window` (successful logins in between do not reset the count), that address is
// locked out for `lockout` (answers too_many_requests without checking the password);
// each failure and each lock is audited and logged.
//
// Thread-safety: all methods may be called concurrently. Methods may block on the
// database and on argon2 (tens of milliseconds): call them on the blocking pool.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "events/activity.h"
#include "iam/password.h"
#include "iam/principal.h"
#include "meta/database.h"
#include "meta/iam_database.h"

namespace berth::iam {

struct Error {
  enum class Code {
    bad_request,
    unauthorized,
    forbidden,
    not_found,
    conflict,
    precondition,
    too_many_requests,
    internal
  };
  Code code = Code::internal;
  std::string message;
};

template <class T>
using Result = base::Result<T, Error>;
using Status = base::Result<void, Error>;

struct Options {
  PasswordPolicy password_policy;
  std::chrono::seconds cache_ttl{30};
  // Entries per cache (credentials, principals, projects, roles); a full cache starts over.
  std::size_t max_cache_entries = 100000;
  int max_failed_logins = 5;
  std::chrono::seconds failure_window{300};
  std::chrono::seconds lockout{300};
  // Who may create projects: everyone (Harbor's default) or only system admins.
  bool only_admins_create_projects = false;
  std::string robot_prefix = "robot$";
};

// Who asks, and from where (for authorization and the audit log).
struct Caller {
  Principal principal;
  std::string client_ip;
};

struct NewUser {
  std::string username;
  std::string email;
  std::string realname;
  std::string comment;
  std::string password;
  bool sysadmin = false;
};

struct UserProfile {
  std::optional<std::string> email;
  std::optional<std::string> realname;
  std::optional<std::string> comment;
};

struct NewProject {
  std::string name;
  std::map<std::string, std::string> metadata;  // "public": "true"/"false", ...
  std::int64_t storage_limit = -1;              // the project's storage quota in bytes; -1 = none
  // A proxy-cache project of this registry (system administrators only); kept as the metadata
  // "registry_id", which no metadata update can change. 0 = an ordinary project.
  std::int64_t registry_id = 0;
};

struct NewRobot {
  std::string name;  // short name; the full name gets the prefix (and "<project>+")
  std::string description;
  std::string level;                // "system" or "project"
  std::int64_t duration_days = -1;  // -1 = never expires
  bool disabled = false;
  std::vector<meta::RobotPermission> permissions;  // project-level: namespace = that project
};

struct RobotUpdate {
  std::optional<std::string> description;
  std::optional<bool> disabled;
  std::optional<std::int64_t> duration_days;
  std::optional<std::vector<meta::RobotPermission>> permissions;
};

// A robot with its secret, which is shown once (creation, refresh).
struct RobotSecret {
  meta::Robot robot;
  std::string secret;
};

// A new portal session: the cookie value (shown to the browser once, stored only as its
// SHA-256) and the CSRF token that unsafe requests of the session must echo.
struct PortalSession {
  std::string cookie;
  std::string csrf_token;
};

// The principal a portal session cookie stands for, and the session's CSRF token.
struct SessionPrincipal {
  Principal principal;
  std::string csrf_token;
};

struct BootstrapResult {
  bool created_admin = false;
  std::string generated_password;  // set when the admin password was generated
  bool created_library = false;
};

class Service {
 public:
  Service(meta::IamDatabase& db, meta::Database& registry, events::Activity& activity, Options options = {});
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  const Options& options() const { return options_; }

  // First start: creates the "admin" system administrator (with `admin_password`, or a
  // generated one returned to be printed once) and the public "library" project, each
  // only if there are no users / no such project yet. Errors: bad_request if
  // `admin_password` breaks the policy.
  Result<BootstrapResult> bootstrap(const std::optional<std::string>& admin_password);

  // --- authentication ---------------------------------------------------------------
  // Checks a user name (or robot full name) and password/secret. Errors: unauthorized
  // (unknown name, wrong password, disabled or expired robot; one message for all),
  // too_many_requests (address locked out). Audits success and failure.
  Result<Principal> authenticate(std::string_view name, std::string_view password,
                                 const std::string& client_ip);
  // How many argon2 verifications authenticate() has run in this process (diagnostics, tests).
  std::uint64_t password_checks() const;
  // The current principal for a name a token was issued to (user or robot), reloaded
  // (cached) so that a deleted user or a disabled/expired robot stops at once.
  // Errors: unauthorized.
  Result<Principal> principal_by_name(std::string_view name);
  Result<Principal> principal_by_user_id(std::int64_t user_id);

  // --- authorization ----------------------------------------------------------------
  // True if `principal` may perform `action` on `resource` in project `project` (by
  // name): system admins always; anyone may pull/read/list in a public project; members
  // by role; robots by their explicit permissions. (A bearer token's own access claim is
  // checked by the registry API on top of this, per repository.)
  bool allowed(const Principal& principal, std::string_view project, std::string_view resource,
               std::string_view action);
  // Of the registry actions requested in a scope ("pull", "push", "delete", "*") on a
  // repository, those the principal holds now (used to issue tokens).
  std::vector<std::string> grantable_repository_actions(const Principal& principal,
                                                        std::string_view repository,
                                                        const std::vector<std::string>& requested);
  // Whether a project exists, and whether it is public (cached).
  std::optional<meta::Project> project(std::string_view name);
  // The project with this id, not cached (background jobs). Errors: the database's.
  Result<std::optional<meta::Project>> project_by_id(std::int64_t id);

  // Memory-only variants for the registry's hot path: nullopt when answering would need
  // the database (the caller then asks the blocking methods above). Never block.
  std::optional<bool> allowed_if_cached(const Principal& principal, std::string_view project,
                                        std::string_view resource, std::string_view action);
  std::optional<Principal> cached_principal(std::string_view name);
  // The principal of credentials that authenticate() verified recently (the credential
  // cache), unless the address is locked out: nullopt means "ask authenticate()".
  std::optional<Principal> cached_authentication(std::string_view name, std::string_view password,
                                                 const std::string& client_ip);
  std::optional<std::optional<meta::Project>> cached_project(std::string_view name);
  // Runs `visit` on the cached project (nullptr: known not to exist) without copying it, under
  // the cache's lock (so `visit` must be quick and must not call back into the service).
  // False when the project is not in memory (then `visit` did not run).
  bool visit_cached_project(std::string_view name, const std::function<void(const meta::Project*)>& visit);

  // --- users ------------------------------------------------------------------------
  Result<meta::User> create_user(const Caller& caller, const NewUser& user);
  // Creates a user without a caller (admin CLI): no authorization, audited as "cli".
  Result<meta::User> create_user_offline(const NewUser& user);
  Result<meta::User> get_user(const Caller& caller, std::int64_t id);
  Result<meta::Listing<meta::User>> list_users(const Caller& caller, const meta::ListQuery& query);
  // Users whose name contains `fragment` (any signed-in user may search, as in Harbor).
  Result<meta::Listing<meta::User>> search_users(const Caller& caller, const std::string& fragment,
                                                 std::size_t offset, std::size_t limit);
  Status update_user(const Caller& caller, std::int64_t id, const UserProfile& profile);
  Status set_sysadmin(const Caller& caller, std::int64_t id, bool sysadmin);
  // The user themselves must give the old password; a system admin changing another
  // user's password need not. The new one must satisfy the policy and differ from the old.
  Status change_password(const Caller& caller, std::int64_t id, const std::string& old_password,
                         const std::string& new_password);
  // Admin CLI: sets a user's password (policy applies), no caller.
  Status reset_password_offline(const std::string& username, const std::string& new_password);
  Status delete_user(const Caller& caller, std::int64_t id);

  // --- projects ---------------------------------------------------------------------
  // The creator becomes the project's admin member. Errors: bad_request (name),
  // conflict (exists), forbidden.
  Result<meta::Project> create_project(const Caller& caller, const NewProject& project);
  Result<meta::Project> create_project_offline(const NewProject& project);
  // By id ("123") or name. Errors: not_found (also when the caller may not see it,
  // unless `forbidden_if_hidden`), forbidden.
  Result<meta::Project> get_project(const Caller& caller, std::string_view name_or_id);
  Result<meta::Listing<meta::Project>> list_projects(const Caller& caller, const meta::ListQuery& query);
  Status update_project_metadata(const Caller& caller, std::string_view name_or_id,
                                 const std::map<std::string, std::string>& metadata);
  // Records the project's tag retention policy in its metadata ("retention_id", as Harbor
  // shows it; "" removes it). The caller has checked the permission. Errors: not_found.
  Status set_project_retention(std::int64_t project_id, const std::string& retention_id);
  // Errors: precondition when it still holds repositories.
  Status delete_project(const Caller& caller, std::string_view name_or_id);

  // --- members ----------------------------------------------------------------------
  Result<meta::Listing<meta::Member>> list_members(const Caller& caller, std::string_view project,
                                                   const meta::ListQuery& query);
  Result<meta::Member> get_member(const Caller& caller, std::string_view project, std::int64_t member_id);
  // The user by id (if non-zero) or name. Errors: not_found (user), conflict (member).
  Result<meta::Member> add_member(const Caller& caller, std::string_view project, std::int64_t user_id,
                                  const std::string& username, meta::Role role);
  Status update_member(const Caller& caller, std::string_view project, std::int64_t member_id,
                       meta::Role role);
  Status remove_member(const Caller& caller, std::string_view project, std::int64_t member_id);
  // The principal's own role in the project (users only; nullopt for robots, anonymous
  // callers, non-members and on a database error). No authorization: callers show it to
  // the principal themselves.
  std::optional<meta::Role> member_role(const Principal& principal, std::int64_t project_id);

  // --- robots -----------------------------------------------------------------------
  // Project-level robots need robot:create in their project; system ones need a system
  // admin. Permissions must be robot-assignable and (project level) in that project.
  Result<RobotSecret> create_robot(const Caller& caller, const NewRobot& robot);
  Result<meta::Robot> get_robot(const Caller& caller, std::int64_t id);
  // Filters as meta::IamDatabase::list_robots; a non-admin must filter by a project_id
  // where they hold robot:list.
  Result<meta::Listing<meta::Robot>> list_robots(const Caller& caller, const meta::ListQuery& query);
  Status update_robot(const Caller& caller, std::int64_t id, const RobotUpdate& update);
  // Sets the given secret (checked against the policy) or, if empty, a generated one.
  Result<RobotSecret> refresh_robot_secret(const Caller& caller, std::int64_t id, const std::string& secret);
  Status delete_robot(const Caller& caller, std::int64_t id);

  // --- portal sessions ----------------------------------------------------------------
  // Starts a session for a signed-in user that expires after `lifetime`: the cookie is 32
  // random bytes in hex; only its SHA-256 is stored. Errors: bad_request (not a user),
  // internal.
  Result<PortalSession> create_session(const Principal& user, std::chrono::seconds lifetime);
  // The current principal of an unexpired session (reloaded, so a deleted user's session
  // stops at once). Errors: unauthorized (malformed, unknown or expired cookie, user gone).
  Result<SessionPrincipal> session_principal(std::string_view cookie);
  // Ends the session (nothing happens for an unknown cookie). Errors: internal.
  Status end_session(std::string_view cookie);

  // --- audit ------------------------------------------------------------------------
  // Queues an audit record for `caller` (username, ip and time filled in).
  void audit(const Caller& caller, std::string operation, std::string resource_type, std::string resource,
             std::string project, bool success, std::string description = {});
  // Every record: system admins only. Errors: forbidden.
  Result<meta::Listing<meta::AuditRecord>> list_audit(const Caller& caller, const meta::ListQuery& query);
  // Records of one project: needs log:list there. Errors: forbidden, not_found.
  Result<meta::Listing<meta::AuditRecord>> list_project_audit(const Caller& caller, std::string_view project,
                                                              const meta::ListQuery& query);

 private:
  struct Caches;
  struct Throttle;
  void invalidate();
  // allowed(), or with `cache_only` nullopt when a fact is not in memory.
  std::optional<bool> decide(const Principal& principal, std::string_view project, std::string_view resource,
                             std::string_view action, bool cache_only);
  Status check_project_permission(const Caller& caller, const meta::Project& project,
                                  std::string_view resource, std::string_view action);
  Result<meta::Project> find_project_for(const Caller& caller, std::string_view name_or_id);

  meta::IamDatabase& db_;
  meta::Database& registry_;
  events::Activity& activity_;
  Options options_;
  std::unique_ptr<Caches> caches_;
  std::unique_ptr<Throttle> throttle_;
};

}  // namespace berth::iam
