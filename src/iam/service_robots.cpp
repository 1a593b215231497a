// iam::Service: robot accounts with Harbor's rules (robot API v2), and the audit-log
// reads.
//
// A project-level robot is named "<prefix><project>+<name>" and holds permissions in its
// own project only; creating or managing one needs the robot permission there (a project
// admin). A system-level robot is named "<prefix><name>", may hold project permissions
// in any project ("*" = all), and only system admins manage it. Robots never manage
// robots. The secret is returned once and stored only as its argon2id hash.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "base/log.h"
#include "iam/permissions.h"
#include "iam/service.h"

namespace berth::iam {
namespace {

constexpr std::string_view kSystemLevel = "system";
constexpr std::string_view kProjectLevel = "project";
constexpr std::size_t kMaxRobotNameLength = 255;
// Harbor's bound: a duration must fit a 32-bit day count.
constexpr std::int64_t kMaxDurationDays = std::numeric_limits<std::int32_t>::max();
constexpr std::int64_t kSecondsPerDay = 86400;

std::int64_t unix_seconds(meta::TimePoint time) {
  return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
}

Error unavailable(const base::Error& error) {
  BERTH_LOG_ERROR("iam: {}", error.message);
  return Error{Error::Code::internal, "the identity store is unavailable"};
}

// A storage error of a robot or audit call in the service's terms.
Error storage_error(const base::Error& error) {
  switch (error.code) {
    case base::Errc::already_exists:
      return Error{Error::Code::conflict, error.message};
    case base::Errc::not_found:
      return Error{Error::Code::not_found, error.message};
    case base::Errc::invalid_argument:
      return Error{Error::Code::bad_request, error.message};
    default:
      return unavailable(error);
  }
}

Error bad_request(std::string message) {
  return Error{Error::Code::bad_request, std::move(message)};
}

// Harbor's rule for robot names: groups of lower-case letters and digits joined by single
// '.', '_' or '-'.
bool valid_robot_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxRobotNameLength) return false;
  bool after_separator = true;  // a name neither starts nor ends with a separator
  for (char c : name) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      after_separator = false;
    } else if ((c == '.' || c == '_' || c == '-') && !after_separator) {
      after_separator = true;
    } else {
      return false;
    }
  }
  return !after_separator;
}

bool valid_duration(std::int64_t days) {
  return days == -1 || (days > 0 && days <= kMaxDurationDays);
}

std::int64_t expiry(std::int64_t from_unix, std::int64_t days) {
  return days == -1 ? -1 : from_unix + days * kSecondsPerDay;
}

// Every permission must be one a robot may hold, and name a project (or "*").
Status check_robot_permissions(const std::vector<meta::RobotPermission>& permissions) {
  if (permissions.empty()) return bad_request("a robot account needs at least one permission");
  for (const auto& p : permissions) {
    if (p.namespace_.empty())
      return bad_request("a robot permission needs a namespace (a project name or \"*\")");
    if (!robot_may_hold(p.resource, p.action)) {
      return bad_request("the permission " + p.resource + ":" + p.action +
                         " cannot be given to a robot account");
    }
  }
  return Status{};
}

// A project-level robot's permissions must all name its one project. Returns that name.
Result<std::string> single_namespace(const std::vector<meta::RobotPermission>& permissions) {
  const std::string& first = permissions.front().namespace_;
  if (first == "*")
    return bad_request("a project-level robot account cannot hold permissions in every project");
  for (const auto& p : permissions) {
    if (p.namespace_ != first) {
      return bad_request("a project-level robot account holds permissions in its own project only");
    }
  }
  return first;
}

Error refused_to_robot() {
  return Error{Error::Code::forbidden, "robot accounts cannot manage robot accounts"};
}

Error authentication_required() {
  return Error{Error::Code::unauthorized, "authentication required"};
}

// What the service hands out: never the secret's hash.
meta::Robot without_hash(meta::Robot robot) {
  robot.secret_hash.clear();
  return robot;
}

// A robot loaded for `caller`, with the name of its project ("" for a system robot).
struct LoadedRobot {
  meta::Robot robot;
  std::string project;
};

// Loads robot `id` and checks that `caller` may perform `action` on it: the robot
// permission with that action in its project for a project-level robot, a system admin
// for a system-level one. Errors: unauthorized, not_found, forbidden.
Result<LoadedRobot> load_robot_for(Service& service, meta::IamDatabase& db, const Caller& caller,
                                   std::int64_t id, std::string_view action) {
  if (caller.principal.anonymous()) return authentication_required();
  auto found = db.get_robot(id);
  if (!found) return unavailable(found.error());
  if (!*found) return Error{Error::Code::not_found, "robot account " + std::to_string(id) + " not found"};
  LoadedRobot loaded{std::move(**found), {}};
  if (loaded.robot.project_id == 0) {
    if (!caller.principal.sysadmin) {
      return Error{Error::Code::forbidden, "only system administrators may manage system robot accounts"};
    }
    return loaded;
  }
  auto project = db.get_project(loaded.robot.project_id);
  if (!project) return unavailable(project.error());
  if (!*project) return Error{Error::Code::not_found, "robot account " + std::to_string(id) + " not found"};
  loaded.project = (*project)->name;
  if (!service.allowed(caller.principal, loaded.project, resource::robot, action)) {
    return Error{Error::Code::forbidden,
                 "not allowed to " + std::string(action) + " robot accounts in project " + loaded.project};
  }
  return loaded;
}

// The value of an exact `field` filter, if the query has one.
std::optional<std::string> exact_filter(const meta::ListQuery& query, std::string_view field) {
  for (const auto& filter : query.filters) {
    if (filter.field == field && filter.kind == meta::Filter::Kind::exact) return filter.value;
  }
  return std::nullopt;
}

std::optional<std::int64_t> parse_positive(std::string_view text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value <= 0) return std::nullopt;
  return value;
}

}  // namespace

// --- robots ------------------------------------------------------------------------------

Result<RobotSecret> Service::create_robot(const Caller& caller, const NewRobot& robot) {
  if (caller.principal.anonymous()) return authentication_required();
  if (caller.principal.is_robot()) {
    audit(caller, "create", "robot", robot.name, "", false,
          "refused: robot accounts cannot manage robot accounts");
    return refused_to_robot();
  }
  if (!valid_robot_name(robot.name)) {
    return bad_request(
        "invalid robot name: at most 255 lower-case letters and digits, in groups joined by "
        "'.', '_' or '-'");
  }
  if (robot.level != kSystemLevel && robot.level != kProjectLevel) {
    return bad_request("the robot level must be \"system\" or \"project\"");
  }
  if (!valid_duration(robot.duration_days)) {
    return bad_request("the duration must be -1 (never expires) or a positive number of days");
  }
  if (auto s = check_robot_permissions(robot.permissions); !s) return std::move(s).error();

  meta::Robot record;
  std::string project_name;
  if (robot.level == kProjectLevel) {
    auto name = single_namespace(robot.permissions);
    if (!name) return std::move(name).error();
    // A namespace is a project name, even when it looks like an id.
    auto named = db_.find_project(*name);
    if (!named) return unavailable(named.error());
    if (!*named) return Error{Error::Code::not_found, "project " + *name + " not found"};
    auto project = find_project_for(caller, std::to_string((*named)->id));
    if (!project) return std::move(project).error();
    if (auto s = check_project_permission(caller, *project, resource::robot, action::create); !s) {
      audit(caller, "create", "robot", robot.name, project->name, false, "refused: " + s.error().message);
      return std::move(s).error();
    }
    project_name = project->name;
    record.project_id = project->id;
    record.name = options_.robot_prefix + project->name + "+" + robot.name;
  } else {
    if (!caller.principal.sysadmin) {
      audit(caller, "create", "robot", robot.name, "", false, "refused: not a system administrator");
      return Error{Error::Code::forbidden, "only system administrators may create system robot accounts"};
    }
    std::set<std::string> namespaces;
    for (const auto& p : robot.permissions) {
      if (p.namespace_ != "*") namespaces.insert(p.namespace_);
    }
    for (const auto& name : namespaces) {
      auto project = db_.find_project(name);
      if (!project) return unavailable(project.error());
      if (!*project) return Error{Error::Code::not_found, "project " + name + " not found"};
    }
    record.name = options_.robot_prefix + robot.name;
  }

  const std::string secret = generate_secret();
  const auto now = std::chrono::system_clock::now();
  record.description = robot.description;
  record.secret_hash = hash_password(secret);
  record.level = robot.level;
  record.disabled = robot.disabled;
  record.duration_days = robot.duration_days;
  record.expires_at = expiry(unix_seconds(now), robot.duration_days);
  record.creator = caller.principal.name;
  record.permissions = robot.permissions;
  record.created = now;
  record.updated = now;

  auto id = db_.create_robot(record);
  if (!id) {
    if (id.error().code == base::Errc::already_exists) {
      return Error{Error::Code::conflict, "robot account " + record.name + " already exists"};
    }
    return storage_error(id.error());
  }
  invalidate();
  record.id = *id;
  audit(caller, "create", "robot", record.name, project_name, true);
  auto stored = db_.get_robot(record.id);
  if (stored && *stored) record = std::move(**stored);
  return RobotSecret{without_hash(std::move(record)), secret};
}

Result<meta::Robot> Service::get_robot(const Caller& caller, std::int64_t id) {
  auto loaded = load_robot_for(*this, db_, caller, id, action::read);
  if (!loaded) return std::move(loaded).error();
  return without_hash(std::move(loaded->robot));
}

Result<meta::Listing<meta::Robot>> Service::list_robots(const Caller& caller, const meta::ListQuery& query) {
  if (caller.principal.anonymous()) return authentication_required();
  if (!caller.principal.sysadmin) {
    auto project_id = exact_filter(query, "project_id");
    if (!project_id) {
      return Error{Error::Code::forbidden,
                   "only system administrators may list every robot account; filter by a project_id"};
    }
    auto id = parse_positive(*project_id);
    if (!id) return bad_request("project_id must be a positive integer");
    auto project = db_.get_project(*id);
    if (!project) return unavailable(project.error());
    if (!*project) return Error{Error::Code::not_found, "project " + *project_id + " not found"};
    if (auto s = check_project_permission(caller, **project, resource::robot, action::list); !s) {
      return std::move(s).error();
    }
  }
  auto listing = db_.list_robots(query);
  if (!listing) return storage_error(listing.error());
  for (auto& robot : listing->items) robot.secret_hash.clear();
  return std::move(listing).value();
}

Status Service::update_robot(const Caller& caller, std::int64_t id, const RobotUpdate& update) {
  if (caller.principal.is_robot()) return refused_to_robot();
  auto loaded = load_robot_for(*this, db_, caller, id, action::update);
  if (!loaded) return std::move(loaded).error();
  meta::Robot& robot = loaded->robot;

  if (update.description) robot.description = *update.description;
  if (update.disabled) robot.disabled = *update.disabled;
  if (update.duration_days && *update.duration_days != robot.duration_days) {
    if (!valid_duration(*update.duration_days)) {
      return bad_request("the duration must be -1 (never expires) or a positive number of days");
    }
    // As Harbor: a new duration counts from the robot's creation.
    robot.duration_days = *update.duration_days;
    robot.expires_at = expiry(unix_seconds(robot.created), robot.duration_days);
  }
  if (update.permissions) {
    if (auto s = check_robot_permissions(*update.permissions); !s) return std::move(s).error();
    if (robot.project_id != 0) {
      auto name = single_namespace(*update.permissions);
      if (!name) return std::move(name).error();
      if (*name != loaded->project) {
        return bad_request("a project-level robot account holds permissions in its own project only");
      }
    } else {
      for (const auto& p : *update.permissions) {
        if (p.namespace_ == "*") continue;
        auto project = db_.find_project(p.namespace_);
        if (!project) return unavailable(project.error());
        if (!*project) return Error{Error::Code::not_found, "project " + p.namespace_ + " not found"};
      }
    }
    robot.permissions = *update.permissions;
  }

  if (auto s = db_.update_robot(robot); !s) return storage_error(s.error());
  invalidate();
  audit(caller, "update", "robot", robot.name, loaded->project, true);
  return Status{};
}

Result<RobotSecret> Service::refresh_robot_secret(const Caller& caller, std::int64_t id,
                                                  const std::string& secret) {
  if (caller.principal.is_robot()) return refused_to_robot();
  auto loaded = load_robot_for(*this, db_, caller, id, action::update);
  if (!loaded) return std::move(loaded).error();
  std::string new_secret = secret;
  if (new_secret.empty()) {
    new_secret = generate_secret();
  } else if (auto s = check_password_policy(new_secret, options_.password_policy); !s) {
    return bad_request("the secret does not satisfy the password policy: " + s.error().message);
  }
  meta::Robot& robot = loaded->robot;
  robot.secret_hash = hash_password(new_secret);
  if (auto s = db_.update_robot(robot); !s) return storage_error(s.error());
  invalidate();
  audit(caller, "update", "robot", robot.name, loaded->project, true, "secret refreshed");
  return RobotSecret{without_hash(std::move(robot)), std::move(new_secret)};
}

Status Service::delete_robot(const Caller& caller, std::int64_t id) {
  if (caller.principal.is_robot()) return refused_to_robot();
  auto loaded = load_robot_for(*this, db_, caller, id, action::del);
  if (!loaded) return std::move(loaded).error();
  if (auto s = db_.delete_robot(id); !s) return storage_error(s.error());
  invalidate();
  audit(caller, "delete", "robot", loaded->robot.name, loaded->project, true);
  return Status{};
}

// --- audit ---------------------------------------------------------------------------------

Result<meta::Listing<meta::AuditRecord>> Service::list_audit(const Caller& caller,
                                                             const meta::ListQuery& query) {
  if (caller.principal.anonymous()) return authentication_required();
  if (!caller.principal.sysadmin) {
    return Error{Error::Code::forbidden, "only system administrators may read the whole audit log"};
  }
  auto listing = db_.list_audit(query);
  if (!listing) return storage_error(listing.error());
  return std::move(listing).value();
}

Result<meta::Listing<meta::AuditRecord>> Service::list_project_audit(const Caller& caller,
                                                                     std::string_view project,
                                                                     const meta::ListQuery& query) {
  auto found = find_project_for(caller, project);
  if (!found) return std::move(found).error();
  if (auto s = check_project_permission(caller, *found, resource::log, action::list); !s)
    return std::move(s).error();
  meta::ListQuery scoped = query;
  meta::Filter in_project;
  in_project.field = "project";
  in_project.kind = meta::Filter::Kind::exact;
  in_project.value = found->name;
  scoped.filters.push_back(std::move(in_project));
  auto listing = db_.list_audit(scoped);
  if (!listing) return storage_error(listing.error());
  return std::move(listing).value();
}

}  // namespace berth::iam
