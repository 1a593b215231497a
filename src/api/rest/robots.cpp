// Robot accounts: Harbor's robot API v2 (/robots) and the older project-level paths
// (/projects/{project_name_or_id}/robots, Harbor's "robotv1"). The rules (names, levels,
// permissions, who may manage which robot) live in iam::Service; this file translates
// Harbor's JSON shapes. A secret appears only in the answers to creation and refresh.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/rest/rest.h"

namespace berth::api::rest {
namespace {

namespace json = boost::json;

// Harbor's default robot token duration (robot_token_duration), used when a request
// gives none.
constexpr std::int64_t kDefaultDurationDays = 30;
constexpr std::int64_t kSecondsPerDay = 86400;

http::Response bad_request(std::string message) {
  return error_response(400, std::move(message));
}

// Harbor sends 0 (or nothing) for "the system's default duration".
std::int64_t duration_or_default(std::optional<std::int64_t> days) {
  return !days || *days == 0 ? kDefaultDurationDays : *days;
}

// Harbor's RobotPermission list: [{kind, namespace, access: [{resource, action, effect}]}],
// flattened. Berth's robots hold project permissions only (kind "project"), always with
// the effect "allow".
base::Result<std::vector<meta::RobotPermission>, http::Response> parse_permissions(const json::value& value) {
  if (!value.is_array()) return bad_request("permissions must be an array");
  std::vector<meta::RobotPermission> out;
  for (const json::value& entry : value.get_array()) {
    if (!entry.is_object()) return bad_request("each permission must be an object");
    const json::object& permission = entry.get_object();
    auto kind = string_member(permission, "kind");
    if (!kind) return std::move(kind).error();
    if (*kind && **kind != "project") {
      return bad_request(
          "permission kind \"" + **kind +
          "\" is not supported: robot accounts hold project permissions (kind \"project\") only");
    }
    auto name = string_member(permission, "namespace");
    if (!name) return std::move(name).error();
    if (!*name || (*name)->empty())
      return bad_request("each permission needs a namespace (a project name or \"*\")");
    const json::value* access = permission.if_contains("access");
    if (access == nullptr || !access->is_array() || access->get_array().empty())
      return bad_request("each permission needs a non-empty access list");
    for (const json::value& item : access->get_array()) {
      if (!item.is_object()) return bad_request("each access must be an object");
      const json::object& a = item.get_object();
      auto resource = string_member(a, "resource");
      if (!resource) return std::move(resource).error();
      auto action = string_member(a, "action");
      if (!action) return std::move(action).error();
      auto effect = string_member(a, "effect");
      if (!effect) return std::move(effect).error();
      if (!*resource || !*action) return bad_request("each access needs a resource and an action");
      if (*effect && !(*effect)->empty() && **effect != "allow")
        return bad_request("only the effect \"allow\" is supported");
      out.push_back(meta::RobotPermission{**name, **resource, **action});
    }
  }
  return out;
}

// The flat permissions grouped back by namespace, in order of first appearance.
json::array permissions_json(const std::vector<meta::RobotPermission>& permissions) {
  std::vector<std::string> order;
  std::vector<json::array> accesses;
  for (const auto& p : permissions) {
    std::size_t i = 0;
    while (i < order.size() && order[i] != p.namespace_) ++i;
    if (i == order.size()) {
      order.push_back(p.namespace_);
      accesses.emplace_back();
    }
    accesses[i].push_back(json::object{{"resource", p.resource}, {"action", p.action}, {"effect", "allow"}});
  }
  json::array out;
  for (std::size_t i = 0; i < order.size(); ++i) {
    out.push_back(
        json::object{{"kind", "project"}, {"namespace", order[i]}, {"access", std::move(accesses[i])}});
  }
  return out;
}

// Harbor's Robot model, without the secret.
json::object robot_json(const meta::Robot& robot) {
  json::object out;
  out["id"] = robot.id;
  out["name"] = robot.name;
  out["description"] = robot.description;
  out["level"] = robot.level;
  out["duration"] = robot.duration_days;
  out["editable"] = true;
  out["disable"] = robot.disabled;
  out["expires_at"] = robot.expires_at;
  out["permissions"] = permissions_json(robot.permissions);
  out["creation_time"] = format_time(robot.created);
  out["update_time"] = format_time(robot.updated);
  return out;
}

// 201 with Harbor's RobotCreated body and the new robot's Location.
http::Response robot_created(const iam::RobotSecret& created, const std::string& location) {
  json::object body;
  body["id"] = created.robot.id;
  body["name"] = created.robot.name;
  body["secret"] = created.secret;
  body["creation_time"] = format_time(created.robot.created);
  body["expires_at"] = created.robot.expires_at;
  http::Response response = json_response(201, body);
  response.headers.set("Location", "/api/v2.0" + location);
  return response;
}

http::Response robot_list_response(const Call& call, const PageParams& page,
                                   const meta::Listing<meta::Robot>& listing) {
  json::array items;
  for (const auto& robot : listing.items) items.push_back(robot_json(robot));
  http::Response response = json_response(200, items);
  set_paging_headers(response, call.request(), page, listing.total);
  return response;
}

// Harbor's robot listing spells its keys "Level" and "ProjectID"; both spellings work.
void normalize_robot_fields(meta::ListQuery& query) {
  for (auto& filter : query.filters) {
    if (filter.field == "Level") filter.field = "level";
    if (filter.field == "ProjectID") filter.field = "project_id";
    if (filter.field == "Name") filter.field = "name";
  }
}

// --- /robots ---------------------------------------------------------------------------------

// The members both creation formats share: name (required) and description. Returns the
// 400 to answer when one is malformed.
std::optional<http::Response> read_name_and_description(const json::object& object, iam::NewRobot& robot) {
  auto name = string_member(object, "name");
  if (!name) return std::move(name).error();
  if (!*name) return bad_request("name is required");
  robot.name = std::move(**name);
  auto description = string_member(object, "description");
  if (!description) return std::move(description).error();
  robot.description = description->value_or("");
  return std::nullopt;
}

base::Result<iam::NewRobot, http::Response> parse_robot_create(const json::value& body) {
  if (!body.is_object()) return bad_request("the robot must be a JSON object");
  const json::object& object = body.get_object();
  iam::NewRobot robot;
  if (auto refused = read_name_and_description(object, robot)) return std::move(*refused);
  auto level = string_member(object, "level");
  if (!level) return std::move(level).error();
  if (!*level) return bad_request("level is required (\"system\" or \"project\")");
  robot.level = std::move(**level);
  auto disable = bool_member(object, "disable");
  if (!disable) return std::move(disable).error();
  robot.disabled = disable->value_or(false);
  auto duration = int_member(object, "duration");
  if (!duration) return std::move(duration).error();
  robot.duration_days = duration_or_default(*duration);
  const json::value* permissions = object.if_contains("permissions");
  if (permissions == nullptr) return bad_request("permissions are required");
  if (robot.level == "project" && permissions->is_array() && permissions->get_array().size() != 1)
    return bad_request("a project-level robot account takes exactly one permission entry (its project)");
  auto parsed = parse_permissions(*permissions);
  if (!parsed) return std::move(parsed).error();
  robot.permissions = std::move(*parsed);
  return robot;
}

Awaitable create_robot(Call& call) {
  auto body = co_await read_json(call);
  if (!body) co_return std::move(body).error();
  auto robot = parse_robot_create(*body);
  if (!robot) co_return std::move(robot).error();
  auto created = co_await blocking(call, [&] { return call.context.iam.create_robot(call.caller, *robot); });
  if (!created) co_return error_response(created.error());
  co_return robot_created(*created, "/robots/" + std::to_string(created->robot.id));
}

Awaitable list_robots(Call& call) {
  auto page = parse_page(call.request());
  if (!page) co_return std::move(page).error();
  auto query = parse_list_query(call.request(), *page);
  if (!query) co_return std::move(query).error();
  normalize_robot_fields(*query);
  auto listing = co_await blocking(call, [&] { return call.context.iam.list_robots(call.caller, *query); });
  if (!listing) co_return error_response(listing.error());
  co_return robot_list_response(call, *page, *listing);
}

Awaitable get_robot(Call& call) {
  auto id = parse_id(call, "robot_id");
  if (!id) co_return std::move(id).error();
  auto robot = co_await blocking(call, [&] { return call.context.iam.get_robot(call.caller, *id); });
  if (!robot) co_return error_response(robot.error());
  co_return json_response(200, robot_json(*robot));
}

// Harbor's PUT takes the whole Robot; the name and the level cannot change.
base::Result<iam::RobotUpdate, http::Response> parse_robot_update(const json::value& body,
                                                                  const meta::Robot& current) {
  if (!body.is_object()) return bad_request("the robot must be a JSON object");
  const json::object& object = body.get_object();
  auto name = string_member(object, "name");
  if (!name) return std::move(name).error();
  auto level = string_member(object, "level");
  if (!level) return std::move(level).error();
  if ((*name && **name != current.name) || (*level && **level != current.level))
    return bad_request("the name and the level of a robot account cannot be changed");
  iam::RobotUpdate update;
  auto description = string_member(object, "description");
  if (!description) return std::move(description).error();
  update.description = std::move(*description);
  auto disable = bool_member(object, "disable");
  if (!disable) return std::move(disable).error();
  update.disabled = *disable;
  auto duration = int_member(object, "duration");
  if (!duration) return std::move(duration).error();
  if (*duration) update.duration_days = duration_or_default(*duration);
  if (const json::value* permissions = object.if_contains("permissions");
      permissions != nullptr && !permissions->is_null()) {
    auto parsed = parse_permissions(*permissions);
    if (!parsed) return std::move(parsed).error();
    update.permissions = std::move(*parsed);
  }
  return update;
}

Awaitable update_robot(Call& call) {
  auto id = parse_id(call, "robot_id");
  if (!id) co_return std::move(id).error();
  auto body = co_await read_json(call);
  if (!body) co_return std::move(body).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto current = call.context.iam.get_robot(call.caller, *id);
    if (!current) return error_response(current.error());
    auto update = parse_robot_update(*body, *current);
    if (!update) return std::move(update).error();
    if (auto s = call.context.iam.update_robot(call.caller, *id, *update); !s)
      return error_response(s.error());
    return empty_response(200);
  });
}

// PATCH {"secret": "..."} sets that secret; {} (or no secret) generates one. Answers the
// new secret (Harbor's RobotSec).
Awaitable refresh_secret(Call& call) {
  auto id = parse_id(call, "robot_id");
  if (!id) co_return std::move(id).error();
  auto body = co_await read_json(call);
  if (!body) co_return std::move(body).error();
  if (!body->is_object()) co_return bad_request("the body must be a JSON object");
  auto secret = string_member(body->get_object(), "secret");
  if (!secret) co_return std::move(secret).error();
  auto refreshed = co_await blocking(
      call, [&] { return call.context.iam.refresh_robot_secret(call.caller, *id, secret->value_or("")); });
  if (!refreshed) co_return error_response(refreshed.error());
  co_return json_response(200, json::object{{"secret", refreshed->secret}});
}

Awaitable delete_robot(Call& call) {
  auto id = parse_id(call, "robot_id");
  if (!id) co_return std::move(id).error();
  auto deleted = co_await blocking(call, [&] { return call.context.iam.delete_robot(call.caller, *id); });
  if (!deleted) co_return error_response(deleted.error());
  co_return empty_response(200);
}

// --- /projects/{project_name_or_id}/robots (Harbor's robotv1) ---------------------------------

// The project of the path, as the caller may see it. Runs on the blocking pool.
base::Result<meta::Project, http::Response> path_project(Call& call, const std::string& name_or_id) {
  auto project = call.context.iam.get_project(call.caller, name_or_id);
  if (!project) return error_response(project.error());
  return std::move(project).value();
}

meta::Filter project_filter(std::int64_t project_id) {
  meta::Filter filter;
  filter.field = "project_id";
  filter.kind = meta::Filter::Kind::exact;
  filter.value = std::to_string(project_id);
  return filter;
}

Awaitable list_project_robots(Call& call) {
  auto project_ref = co_await project_name_or_id(call);
  if (!project_ref) co_return std::move(project_ref).error();
  auto page = parse_page(call.request());
  if (!page) co_return std::move(page).error();
  auto query = parse_list_query(call.request(), *page);
  if (!query) co_return std::move(query).error();
  normalize_robot_fields(*query);
  co_return co_await blocking(call, [&]() -> http::Response {
    auto project = path_project(call, *project_ref);
    if (!project) return std::move(project).error();
    query->filters.push_back(project_filter(project->id));
    auto listing = call.context.iam.list_robots(call.caller, *query);
    if (!listing) return error_response(listing.error());
    return robot_list_response(call, *page, *listing);
  });
}

// RobotCreateV1 {name, description, expires_at, access: [{resource, action}]}: a
// project-level robot; a resource may be written as Harbor 1.x did ("/project/<id>/repository").
base::Result<iam::NewRobot, http::Response> parse_robot_create_v1(const json::value& body,
                                                                  const meta::Project& project) {
  if (!body.is_object()) return bad_request("the robot must be a JSON object");
  const json::object& object = body.get_object();
  iam::NewRobot robot;
  robot.level = "project";
  if (auto refused = read_name_and_description(object, robot)) return std::move(*refused);
  auto expires_at = int_member(object, "expires_at");
  if (!expires_at) return std::move(expires_at).error();
  if (!*expires_at || **expires_at == 0) {
    robot.duration_days = kDefaultDurationDays;
  } else if (**expires_at == -1) {
    robot.duration_days = -1;
  } else {
    const std::int64_t now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    if (**expires_at <= now) return bad_request("expires_at is in the past");
    robot.duration_days = (**expires_at - now + kSecondsPerDay - 1) / kSecondsPerDay;
  }
  const json::value* access = object.if_contains("access");
  if (access == nullptr || !access->is_array() || access->get_array().empty())
    return bad_request("access must be a non-empty array");
  const std::string own_prefix = "/project/" + std::to_string(project.id) + "/";
  for (const json::value& item : access->get_array()) {
    if (!item.is_object()) return bad_request("each access must be an object");
    auto resource = string_member(item.get_object(), "resource");
    if (!resource) return std::move(resource).error();
    auto action = string_member(item.get_object(), "action");
    if (!action) return std::move(action).error();
    if (!*resource || !*action) return bad_request("each access needs a resource and an action");
    std::string name_of_resource = std::move(**resource);
    if (name_of_resource.starts_with("/project/")) {
      if (!name_of_resource.starts_with(own_prefix))
        return bad_request("access resource " + name_of_resource + " is outside project " + project.name);
      name_of_resource = name_of_resource.substr(own_prefix.size());
    }
    robot.permissions.push_back(meta::RobotPermission{project.name, std::move(name_of_resource), **action});
  }
  return robot;
}

Awaitable create_project_robot(Call& call) {
  auto project_ref = co_await project_name_or_id(call);
  if (!project_ref) co_return std::move(project_ref).error();
  auto body = co_await read_json(call);
  if (!body) co_return std::move(body).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto project = path_project(call, *project_ref);
    if (!project) return std::move(project).error();
    auto robot = parse_robot_create_v1(*body, *project);
    if (!robot) return std::move(robot).error();
    auto created = call.context.iam.create_robot(call.caller, *robot);
    if (!created) return error_response(created.error());
    return robot_created(*created, "/projects/" + call.param("project_name_or_id") + "/robots/" +
                                       std::to_string(created->robot.id));
  });
}

// The robot of the path if it belongs to the path's project. Runs on the blocking pool.
base::Result<meta::Robot, http::Response> project_robot(Call& call, const std::string& project_ref,
                                                        std::int64_t id) {
  auto project = path_project(call, project_ref);
  if (!project) return std::move(project).error();
  auto robot = call.context.iam.get_robot(call.caller, id);
  if (!robot) return error_response(robot.error());
  if (robot->project_id != project->id)
    return error_response(404,
                          "robot account " + std::to_string(id) + " not found in project " + project->name);
  return std::move(robot).value();
}

Awaitable get_project_robot(Call& call) {
  auto project_ref = co_await project_name_or_id(call);
  if (!project_ref) co_return std::move(project_ref).error();
  auto id = parse_id(call, "robot_id");
  if (!id) co_return std::move(id).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto robot = project_robot(call, *project_ref, *id);
    if (!robot) return std::move(robot).error();
    return json_response(200, robot_json(*robot));
  });
}

// Harbor's robotv1 PUT changes whether the robot is disabled (and here its description).
Awaitable update_project_robot(Call& call) {
  auto project_ref = co_await project_name_or_id(call);
  if (!project_ref) co_return std::move(project_ref).error();
  auto id = parse_id(call, "robot_id");
  if (!id) co_return std::move(id).error();
  auto body = co_await read_json(call);
  if (!body) co_return std::move(body).error();
  if (!body->is_object()) co_return bad_request("the robot must be a JSON object");
  iam::RobotUpdate update;
  auto disable = bool_member(body->get_object(), "disable");
  if (!disable) co_return std::move(disable).error();
  update.disabled = *disable;
  auto description = string_member(body->get_object(), "description");
  if (!description) co_return std::move(description).error();
  update.description = std::move(*description);
  co_return co_await blocking(call, [&]() -> http::Response {
    auto robot = project_robot(call, *project_ref, *id);
    if (!robot) return std::move(robot).error();
    if (auto s = call.context.iam.update_robot(call.caller, *id, update); !s)
      return error_response(s.error());
    return empty_response(200);
  });
}

Awaitable delete_project_robot(Call& call) {
  auto project_ref = co_await project_name_or_id(call);
  if (!project_ref) co_return std::move(project_ref).error();
  auto id = parse_id(call, "robot_id");
  if (!id) co_return std::move(id).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto robot = project_robot(call, *project_ref, *id);
    if (!robot) return std::move(robot).error();
    if (auto s = call.context.iam.delete_robot(call.caller, *id); !s) return error_response(s.error());
    return empty_response(200);
  });
}

}  // namespace

std::vector<Route> robot_routes() {
  using http::Method;
  return {
      {Method::get, "/robots", list_robots},
      {Method::post, "/robots", create_robot},
      {Method::get, "/robots/{robot_id}", get_robot},
      {Method::put, "/robots/{robot_id}", update_robot},
      {Method::patch, "/robots/{robot_id}", refresh_secret},
      {Method::del, "/robots/{robot_id}", delete_robot},
      {Method::get, "/projects/{project_name_or_id}/robots", list_project_robots},
      {Method::post, "/projects/{project_name_or_id}/robots", create_project_robot},
      {Method::get, "/projects/{project_name_or_id}/robots/{robot_id}", get_project_robot},
      {Method::put, "/projects/{project_name_or_id}/robots/{robot_id}", update_project_robot},
      {Method::del, "/projects/{project_name_or_id}/robots/{robot_id}", delete_project_robot},
  };
}

}  // namespace berth::api::rest
