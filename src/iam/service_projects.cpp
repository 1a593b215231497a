// iam::Service, projects and members: Harbor's rules. Anyone signed in may create a
// project (unless only administrators may) and becomes its project admin; visibility and
// every change are decided by the role matrix through check_project_permission; only
// project admins (and system admins) manage members.
#include <algorithm>
#include <array>
#include <cctype>
#include <set>

#include "base/log.h"
#include "iam/permissions.h"
#include "iam/service.h"
#include "oci/cosign.h"

namespace berth::iam {
namespace {

constexpr std::size_t kMaxProjectName = 255;
// prevent_unscanned ("only pull scanned images") is Berth's; the others are Harbor's.
constexpr std::array<std::string_view, 8> kBooleanMetadata = {
    "public",    "enable_content_trust", "enable_content_trust_cosign", "prevent_vul",
    "auto_scan", "auto_sbom_generation", "reuse_sys_cve_allowlist",     "prevent_unscanned"};
constexpr std::array<std::string_view, 5> kSeverities = {"none", "low", "medium", "high", "critical"};

Error error(Error::Code code, std::string message) {
  return Error{code, std::move(message)};
}

// A storage failure as a service error; anything but the expected kinds is logged.
Error storage_error(std::string_view what, const base::Error& failure, std::string not_found = {},
                    std::string conflict = {}) {
  switch (failure.code) {
    case base::Errc::not_found:
      return error(Error::Code::not_found, not_found.empty() ? failure.message : std::move(not_found));
    case base::Errc::already_exists:
      return error(Error::Code::conflict, conflict.empty() ? failure.message : std::move(conflict));
    case base::Errc::invalid_argument:
      return error(Error::Code::bad_request, failure.message);
    default:
      BERTH_LOG_ERROR("projects: {}: {}", what, failure.message);
      return error(Error::Code::internal, std::string(what) + " failed");
  }
}

Caller cli_caller() {
  Caller caller;
  caller.principal.name = "cli";
  return caller;
}

// Harbor's project name rule: ^[a-z0-9]+(?:[._-][a-z0-9]+)*$, at most 255 characters.
bool valid_project_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxProjectName) return false;
  bool after_separator = true;  // the name starts as if after a separator
  for (char c : name) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      after_separator = false;
    } else if (c == '.' || c == '_' || c == '-') {
      if (after_separator) return false;
      after_separator = true;
    } else {
      return false;
    }
  }
  return !after_separator;
}

// Go's strconv.ParseBool, which Harbor applies to boolean metadata.
std::optional<bool> parse_bool(std::string_view value) {
  if (value == "1" || value == "t" || value == "T" || value == "TRUE" || value == "true" || value == "True")
    return true;
  if (value == "0" || value == "f" || value == "F" || value == "FALSE" || value == "false" ||
      value == "False")
    return false;
  return std::nullopt;
}

// Checks and normalizes project metadata: the boolean keys to "true"/"false", severity to
// lower case. With `allow_removal`, "" removes a key (but "public" always has a value).
Result<std::map<std::string, std::string>> normalize_metadata(
    const std::map<std::string, std::string>& metadata, bool allow_removal) {
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : metadata) {
    // Set by /retentions and at creation only; a client sending back the metadata it read is
    // not refused.
    if (key == "retention_id" || key == "registry_id") continue;
    if (value.empty() && allow_removal && key != "public") {
      out[key] = "";
      continue;
    }
    if (std::find(kBooleanMetadata.begin(), kBooleanMetadata.end(), key) != kBooleanMetadata.end()) {
      auto flag = parse_bool(value);
      if (!flag) return error(Error::Code::bad_request, "invalid value of " + key + ": " + value);
      out[key] = *flag ? "true" : "false";
    } else if (key == "cosign_public_keys") {
      // Berth's: the PEM public keys that cosign signatures must verify against.
      if (auto keys = oci::cosign::PublicKeys::parse(value); !keys)
        return error(Error::Code::bad_request,
                     "invalid value of cosign_public_keys: " + keys.error().message);
      out[key] = value;
    } else if (key == "severity") {
      std::string lower = value;
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      if (std::find(kSeverities.begin(), kSeverities.end(), lower) == kSeverities.end())
        return error(Error::Code::bad_request, "invalid value of severity: " + value);
      out[key] = lower;
    } else {
      return error(Error::Code::bad_request, "invalid key: " + key);
    }
  }
  return out;
}

std::string describe_metadata(const std::map<std::string, std::string>& metadata) {
  std::string out;
  for (const auto& [key, value] : metadata) {
    if (!out.empty()) out += ", ";
    out += value.empty() ? key + " removed" : key + "=" + value;
  }
  return out;
}

// Stores a new project owned by `owner_id` and makes the owner its project admin, then
// reads it back (with owner name and counts). Undoes the project if the membership fails.
Result<meta::Project> insert_project(meta::IamDatabase& db, const std::string& name,
                                     std::map<std::string, std::string> metadata, std::int64_t owner_id,
                                     std::int64_t storage_limit) {
  meta::Project record;
  record.name = name;
  record.owner_id = owner_id;
  record.metadata = std::move(metadata);
  record.storage_limit = storage_limit;
  auto id = db.create_project(record);
  if (!id)
    return storage_error("creating the project", id.error(), {},
                         "The project named " + name + " already exists");
  if (auto member = db.add_member(*id, owner_id, meta::Role::project_admin); !member) {
    BERTH_LOG_ERROR("projects: making the owner of {} its admin failed: {}", name, member.error().message);
    if (auto undone = db.delete_project(*id); !undone)
      BERTH_LOG_ERROR("projects: removing the half-created project {} failed: {}", name,
                      undone.error().message);
    return error(Error::Code::internal, "creating the project failed");
  }
  auto created = db.get_project(*id);
  if (!created) return storage_error("reading the new project", created.error());
  if (!*created) return error(Error::Code::internal, "the new project disappeared");
  return std::move(**created);
}

// The first system administrator (lowest id): owner of projects created by robots.
Result<std::int64_t> first_admin(meta::IamDatabase& db) {
  meta::ListQuery query;
  query.filters.push_back(meta::Filter{"sysadmin", meta::Filter::Kind::exact, "true", {}, {}, {}});
  query.limit = 1;
  auto admins = db.list_users(query);
  if (!admins) return storage_error("finding a system administrator", admins.error());
  if (admins->items.empty()) return error(Error::Code::internal, "there is no system administrator");
  return admins->items.front().id;
}

}  // namespace

Result<meta::Project> Service::create_project(const Caller& caller, const NewProject& project) {
  const Principal& principal = caller.principal;
  if (principal.anonymous()) return error(Error::Code::unauthorized, "unauthorized");
  Status allowed;
  if (principal.is_robot()) {
    const bool may_create =
        principal.robot_project_id == 0 &&
        std::any_of(principal.robot_permissions.begin(), principal.robot_permissions.end(),
                    [](const meta::RobotPermission& p) {
                      return p.resource == resource::project && p.action == action::create;
                    });
    if (!may_create)
      allowed = error(Error::Code::forbidden,
                      "only system-level robot accounts with project creation permission "
                      "can create projects");
  } else if (options_.only_admins_create_projects && !principal.sysadmin) {
    allowed = error(Error::Code::forbidden, "Only system admin can create project");
  }
  if (!allowed) {
    audit(caller, "create", "project", project.name, project.name, false, allowed.error().message);
    return allowed.error();
  }
  if (!valid_project_name(project.name))
    return error(Error::Code::bad_request,
                 "project name must be 1 to 255 lower-case letters, digits and single separators (. _ -) "
                 "between them");
  auto metadata = normalize_metadata(project.metadata, false);
  if (!metadata) return metadata.error();
  metadata->try_emplace("public", "false");
  if (project.registry_id != 0) {
    if (!principal.sysadmin)
      return error(Error::Code::forbidden, "Only system admin can create proxy cache project");
    (*metadata)["registry_id"] = std::to_string(project.registry_id);
  }

  std::int64_t owner_id = principal.id;
  if (principal.is_robot()) {
    auto admin = first_admin(db_);
    if (!admin) return admin.error();
    owner_id = *admin;
  }
  auto created = insert_project(db_, project.name, std::move(*metadata), owner_id, project.storage_limit);
  if (!created) {
    audit(caller, "create", "project", project.name, project.name, false, created.error().message);
    return created.error();
  }
  invalidate();
  audit(caller, "create", "project", project.name, project.name, true, describe_metadata(created->metadata));
  return created;
}

Result<meta::Project> Service::create_project_offline(const NewProject& project) {
  if (!valid_project_name(project.name))
    return error(Error::Code::bad_request, "invalid project name: " + project.name);
  auto metadata = normalize_metadata(project.metadata, false);
  if (!metadata) return metadata.error();
  metadata->try_emplace("public", "false");
  auto admin = db_.find_user("admin");
  if (!admin) return storage_error("finding the admin user", admin.error());
  if (!*admin) return error(Error::Code::not_found, "the user \"admin\" does not exist");
  auto created = insert_project(db_, project.name, std::move(*metadata), (*admin)->id, project.storage_limit);
  if (!created) return created.error();
  invalidate();
  audit(cli_caller(), "create", "project", project.name, project.name, true,
        describe_metadata(created->metadata));
  return created;
}

Result<meta::Project> Service::get_project(const Caller& caller, std::string_view name_or_id) {
  auto project = find_project_for(caller, name_or_id);
  if (!project) return project.error();
  if (auto allowed = check_project_permission(caller, *project, resource::project, action::read); !allowed)
    return allowed.error();
  return project;
}

Result<meta::Listing<meta::Project>> Service::list_projects(const Caller& caller,
                                                            const meta::ListQuery& query) {
  const Principal& principal = caller.principal;
  meta::ListQuery scoped = query;
  std::optional<std::int64_t> visible_to;
  bool public_only = false;
  if (principal.anonymous()) {
    public_only = true;
  } else if (principal.is_robot()) {
    // A robot sees the projects its permissions name (all of them for "*").
    const auto& permissions = principal.robot_permissions;
    const bool every_project =
        std::any_of(permissions.begin(), permissions.end(),
                    [](const meta::RobotPermission& p) { return p.namespace_ == "*"; });
    if (!every_project) {
      meta::Filter ids{"project_id", meta::Filter::Kind::any_of, {}, {}, {}, {}};
      if (principal.robot_project_id != 0) ids.values.push_back(std::to_string(principal.robot_project_id));
      std::set<std::string> namespaces;
      for (const auto& permission : permissions) namespaces.insert(permission.namespace_);
      for (const auto& name : namespaces) {
        auto named = db_.find_project(name);
        if (named && *named) ids.values.push_back(std::to_string((*named)->id));
      }
      if (ids.values.empty()) return meta::Listing<meta::Project>{};
      scoped.filters.push_back(std::move(ids));
    }
  } else if (!principal.sysadmin) {
    visible_to = principal.id;
  }
  auto projects = db_.list_projects(scoped, visible_to, public_only);
  if (!projects) return storage_error("listing projects", projects.error());
  return std::move(*projects);
}

Status Service::update_project_metadata(const Caller& caller, std::string_view name_or_id,
                                        const std::map<std::string, std::string>& metadata) {
  auto project = find_project_for(caller, name_or_id);
  if (!project) return project.error();
  if (auto allowed = check_project_permission(caller, *project, resource::project, action::update);
      !allowed) {
    audit(caller, "update", "project", project->name, project->name, false, allowed.error().message);
    return allowed.error();
  }
  auto normalized = normalize_metadata(metadata, true);
  if (!normalized) return normalized.error();
  if (normalized->empty()) return {};
  if (auto written = db_.update_project_metadata(project->id, *normalized); !written)
    return storage_error("updating the project", written.error(), "project not found");
  invalidate();
  audit(caller, "update", "project", project->name, project->name, true, describe_metadata(*normalized));
  return {};
}

Status Service::set_project_retention(std::int64_t project_id, const std::string& retention_id) {
  if (auto written = db_.update_project_metadata(project_id, {{"retention_id", retention_id}}); !written)
    return storage_error("updating the project", written.error(), "project not found");
  invalidate();
  return {};
}

Status Service::delete_project(const Caller& caller, std::string_view name_or_id) {
  auto project = find_project_for(caller, name_or_id);
  if (!project) return project.error();
  if (auto allowed = check_project_permission(caller, *project, resource::project, action::del); !allowed) {
    audit(caller, "delete", "project", project->name, project->name, false, allowed.error().message);
    return allowed.error();
  }
  auto repositories = registry_.count_repositories(project->name + "/");
  if (!repositories) return storage_error("counting the project's repositories", repositories.error());
  if (*repositories > 0)
    return error(Error::Code::precondition, "the project contains repositories, can not be deleted");
  if (auto deleted = db_.delete_project(project->id); !deleted)
    return storage_error("deleting the project", deleted.error(), "project not found");
  invalidate();
  audit(caller, "delete", "project", project->name, project->name, true);
  return {};
}

Result<meta::Listing<meta::Member>> Service::list_members(const Caller& caller, std::string_view project,
                                                          const meta::ListQuery& query) {
  auto found = find_project_for(caller, project);
  if (!found) return found.error();
  if (auto allowed = check_project_permission(caller, *found, resource::member, action::list); !allowed)
    return allowed.error();
  auto members = db_.list_members(found->id, query);
  if (!members) return storage_error("listing members", members.error(), "project not found");
  return std::move(*members);
}

Result<meta::Member> Service::get_member(const Caller& caller, std::string_view project,
                                         std::int64_t member_id) {
  auto found = find_project_for(caller, project);
  if (!found) return found.error();
  if (auto allowed = check_project_permission(caller, *found, resource::member, action::read); !allowed)
    return allowed.error();
  auto member = db_.get_member(found->id, member_id);
  if (!member) return storage_error("reading the member", member.error());
  if (!*member) return error(Error::Code::not_found, "member " + std::to_string(member_id) + " not found");
  return std::move(**member);
}

Result<meta::Member> Service::add_member(const Caller& caller, std::string_view project, std::int64_t user_id,
                                         const std::string& username, meta::Role role) {
  auto found = find_project_for(caller, project);
  if (!found) return found.error();
  const std::string who = user_id != 0 ? "user " + std::to_string(user_id) : username;
  if (auto allowed = check_project_permission(caller, *found, resource::member, action::create); !allowed) {
    audit(caller, "create", "member", who, found->name, false, allowed.error().message);
    return allowed.error();
  }
  auto user = user_id != 0 ? db_.get_user(user_id) : db_.find_user(username);
  if (!user) return storage_error("reading the user", user.error());
  if (!*user)
    return error(Error::Code::not_found,
                 "user " + (user_id != 0 ? std::to_string(user_id) : username) + " not found");
  auto id = db_.add_member(found->id, (*user)->id, role);
  if (!id)
    return storage_error("adding the member", id.error(), "project or user not found",
                         "the user " + (*user)->username + " is already a member of the project");
  invalidate();
  audit(caller, "create", "member", (*user)->username, found->name, true,
        "role " + std::string(role_name(role)));
  auto member = db_.get_member(found->id, *id);
  if (!member) return storage_error("reading the new member", member.error());
  if (!*member) return error(Error::Code::internal, "the new member disappeared");
  return std::move(**member);
}

Status Service::update_member(const Caller& caller, std::string_view project, std::int64_t member_id,
                              meta::Role role) {
  auto found = find_project_for(caller, project);
  if (!found) return found.error();
  if (auto allowed = check_project_permission(caller, *found, resource::member, action::update); !allowed) {
    audit(caller, "update", "member", "member " + std::to_string(member_id), found->name, false,
          allowed.error().message);
    return allowed.error();
  }
  auto member = db_.get_member(found->id, member_id);
  if (!member) return storage_error("reading the member", member.error());
  if (!*member) return error(Error::Code::not_found, "member " + std::to_string(member_id) + " not found");
  if (auto written = db_.update_member_role(found->id, member_id, role); !written)
    return storage_error("updating the member", written.error(), "member not found");
  invalidate();
  audit(caller, "update", "member", (*member)->username, found->name, true,
        "role " + std::string(role_name(role)));
  return {};
}

Status Service::remove_member(const Caller& caller, std::string_view project, std::int64_t member_id) {
  auto found = find_project_for(caller, project);
  if (!found) return found.error();
  if (auto allowed = check_project_permission(caller, *found, resource::member, action::del); !allowed) {
    audit(caller, "delete", "member", "member " + std::to_string(member_id), found->name, false,
          allowed.error().message);
    return allowed.error();
  }
  auto member = db_.get_member(found->id, member_id);
  if (!member) return storage_error("reading the member", member.error());
  if (!*member) return error(Error::Code::not_found, "member " + std::to_string(member_id) + " not found");
  if (auto deleted = db_.delete_member(found->id, member_id); !deleted)
    return storage_error("removing the member", deleted.error(), "member not found");
  invalidate();
  audit(caller, "delete", "member", (*member)->username, found->name, true);
  return {};
}

std::optional<meta::Role> Service::member_role(const Principal& principal, std::int64_t project_id) {
  if (principal.kind != Principal::Kind::user) return std::nullopt;
  auto role = db_.role_of(project_id, principal.id);
  if (!role) {
    BERTH_LOG_WARN("projects: reading the role of {} in project {} failed: {}", principal.name, project_id,
                   role.error().message);
    return std::nullopt;
  }
  return *role;
}

}  // namespace berth::iam
