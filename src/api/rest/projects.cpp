// Harbor's /projects API: projects, their summary and their metadata (/metadatas). A
// project is shown as Harbor's Project: metadata values are strings ("public": "true"),
// and there is no top-level "public".
#include <algorithm>
#include <boost/json/array.hpp>

#include "api/rest/rest.h"
#include "api/rest/scan_shapes.h"
#include "base/log.h"
#include "policy/retention.h"
#include "proxy/cache.h"
#include "replication/registries.h"
#include "retention/service.h"

namespace berth::api::rest {
namespace {

// The members of Harbor's ProjectMetadata that a ProjectReq may set. Others are ignored,
// as Harbor's typed request model drops them.
constexpr std::string_view kRequestMetadata[] = {"public",
                                                 "enable_content_trust",
                                                 "enable_content_trust_cosign",
                                                 "prevent_vul",
                                                 "severity",
                                                 "auto_scan",
                                                 "auto_sbom_generation",
                                                 "reuse_sys_cve_allowlist",
                                                 "prevent_unscanned",
                                                 "cosign_public_keys"};

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

http::Response status_response(const iam::Status& status) {
  return status ? empty_response(200) : error_response(status.error());
}

// A metadata value as sent: a string, or a boolean (taken as "true"/"false").
base::Result<std::string, http::Response> metadata_value(const boost::json::value& value,
                                                         std::string_view key) {
  if (value.is_string()) return std::string(value.get_string());
  if (value.is_bool()) return std::string(value.get_bool() ? "true" : "false");
  return error_response(400, "metadata " + std::string(key) + " must be a string");
}

// The metadata of a ProjectReq body: its "metadata" object (known members only) and the
// deprecated top-level "public" flag when metadata.public is not given.
base::Result<std::map<std::string, std::string>, http::Response> request_metadata(
    const boost::json::object& body) {
  std::map<std::string, std::string> metadata;
  if (const auto* object = body.if_contains("metadata"); object != nullptr && !object->is_null()) {
    if (!object->is_object()) return error_response(400, "metadata must be an object");
    for (const auto& [key, value] : object->get_object()) {
      if (value.is_null()) continue;
      if (std::find(std::begin(kRequestMetadata), std::end(kRequestMetadata), key) ==
          std::end(kRequestMetadata))
        continue;
      auto text = metadata_value(value, key);
      if (!text) return std::move(text).error();
      metadata.emplace(std::string(key), std::move(*text));
    }
  }
  auto flag = bool_member(body, "public");
  if (!flag) return std::move(flag).error();
  if (*flag && !metadata.contains("public")) metadata.emplace("public", **flag ? "true" : "false");
  return metadata;
}

// A project name from the query (HEAD /projects): numeric names are looked up by name.
boost::asio::awaitable<base::Result<std::string, http::Response>> name_reference(Call& call,
                                                                                 const std::string& name) {
  if (!all_digits(name)) co_return name;
  auto project = co_await blocking(call, [&] { return call.context.iam.project(name); });
  if (!project) co_return error_response(404, "project " + name + " not found");
  co_return std::to_string(project->id);
}

// POST /projects (ProjectReq): 201 with Location /api/v2.0/projects/{id} (the name with
// "X-Resource-Name-In-Location: true").
// The retention policy of a new proxy-cache project: keep what was pulled in the last 7 days,
// checked daily.
policy::RetentionPolicy proxy_retention(std::int64_t project_id) {
  policy::RetentionRule rule;
  rule.template_name = "nDaysSinceLastPull";
  rule.params["nDaysSinceLastPull"] = 7;
  rule.tag_selectors.push_back(policy::Selector{"doublestar", "matches", "**", ""});
  rule.repository_selectors.push_back(policy::Selector{"doublestar", "repoMatches", "**", ""});
  policy::RetentionPolicy out;
  out.rules.push_back(std::move(rule));
  out.cron = "0 0 0 * * *";
  out.project_id = project_id;
  return out;
}

Awaitable create_project(Call& call) {
  auto body = co_await read_json_object(call);
  if (!body) co_return std::move(body).error();
  auto name = string_member(*body, "project_name");
  if (!name) co_return std::move(name).error();
  if (!*name || (*name)->empty()) co_return error_response(400, "project_name is required");
  auto registry_id = int_member(*body, "registry_id");
  if (!registry_id) co_return std::move(registry_id).error();
  if (*registry_id && **registry_id != 0) {
    if (call.context.proxy == nullptr || call.context.registries == nullptr)
      co_return error_response(400, "proxy cache projects are not supported");
    if (!call.caller.principal.sysadmin)
      co_return error_response(403, "Only system admin can create proxy cache project");
    if (**registry_id < 0) co_return error_response(400, "invalid registry_id");
    auto registry = co_await blocking(call, [&] { return call.context.registries->get(**registry_id); });
    if (!registry) co_return internal_error("read registry", registry.error());
    if (!*registry) co_return error_response(404, "registry " + std::to_string(**registry_id) + " not found");
  }
  if (const auto* metadata = body->if_contains("metadata"); metadata != nullptr && metadata->is_object()) {
    const auto* retention = metadata->get_object().if_contains("retention_id");
    if (retention != nullptr && retention->is_string() && !retention->get_string().empty())
      co_return error_response(400,
                               "the retention_id in the request's payload when creating a project should be "
                               "omitted, alternatively passing an empty string");
  }
  auto metadata = request_metadata(*body);
  if (!metadata) co_return std::move(metadata).error();
  auto storage_limit = int_member(*body, "storage_limit");
  if (!storage_limit) co_return std::move(storage_limit).error();
  if (*storage_limit && **storage_limit < -1)
    co_return error_response(400, "invalid value for resource storage");
  iam::NewProject project{std::move(**name), std::move(*metadata), call.context.default_project_storage};
  // As in Harbor: only system administrators choose a project's quota, and 0 means the default.
  if (*storage_limit && **storage_limit != 0 && call.caller.principal.sysadmin)
    project.storage_limit = **storage_limit;
  if (*registry_id) project.registry_id = **registry_id;
  auto created =
      co_await blocking(call, [&] { return call.context.iam.create_project(call.caller, project); });
  if (!created) co_return error_response(created.error());
  if (project.registry_id != 0) {
    call.context.proxy->set_project(created->name, project.registry_id);
    // As Harbor: what a proxy project keeps goes 7 days after its last pull.
    if (call.context.retention != nullptr) {
      co_await blocking(call, [&] {
        auto policy = proxy_retention(created->id);
        if (auto made = call.context.retention->create(policy); !made)
          BERTH_LOG_WARN("proxy project {}: no retention policy: {}", created->name, made.error().message);
        return 0;
      });
    }
  }
  const auto by_name = call.request().headers.get("X-Resource-Name-In-Location");
  const bool name_in_location = by_name && (*by_name == "true" || *by_name == "True" || *by_name == "1");
  co_return created_response("/projects/" + (name_in_location ? created->name : std::to_string(created->id)));
}

// HEAD /projects?project_name=: 200 if the project exists (and the caller may see it).
Awaitable head_project(Call& call) {
  auto name = call.request().query_param("project_name");
  if (!name || name->empty()) co_return error_response(400, "the query parameter project_name is required");
  auto reference = co_await name_reference(call, *name);
  if (!reference) co_return std::move(reference).error();
  auto project =
      co_await blocking(call, [&] { return call.context.iam.get_project(call.caller, *reference); });
  if (!project) co_return error_response(project.error());
  co_return empty_response(200);
}

// GET /projects: q, sort, page, and Harbor's name (fuzzy), owner and public parameters.
// Anonymous callers see public projects only; users public ones and their own.
Awaitable list_projects(Call& call) {
  const http::Request& request = call.request();
  auto page = parse_page(request);
  if (!page) co_return std::move(page).error();
  auto query = parse_list_query(request, *page);
  if (!query) co_return std::move(query).error();
  if (auto name = request.query_param("name"); name && !name->empty())
    query->filters.push_back(meta::Filter{"name", meta::Filter::Kind::fuzzy, *name, {}, {}, {}});
  if (auto owner = request.query_param("owner"); owner && !owner->empty())
    query->filters.push_back(meta::Filter{"owner", meta::Filter::Kind::exact, *owner, {}, {}, {}});
  if (auto visibility = request.query_param("public"); visibility && !visibility->empty()) {
    const std::string& v = *visibility;
    const bool yes = v == "true" || v == "1" || v == "True" || v == "TRUE" || v == "t";
    const bool no = v == "false" || v == "0" || v == "False" || v == "FALSE" || v == "f";
    if (!yes && !no) co_return error_response(400, "public must be true or false");
    query->filters.push_back(
        meta::Filter{"public", meta::Filter::Kind::exact, yes ? "true" : "false", {}, {}, {}});
  }
  std::optional<iam::Result<meta::Listing<meta::Project>>> projects;
  std::vector<std::optional<meta::Role>> roles;
  co_await call.exchange.run_blocking([&] {
    projects.emplace(call.context.iam.list_projects(call.caller, *query));
    if (!*projects) return;
    for (const auto& project : (*projects)->items)
      roles.push_back(call.context.iam.member_role(call.caller.principal, project.id));
  });
  if (!*projects) co_return error_response(projects->error());
  boost::json::array items;
  for (std::size_t i = 0; i < (*projects)->items.size(); ++i)
    items.push_back(project_json((*projects)->items[i], roles[i]));
  http::Response response = json_response(200, items);
  set_paging_headers(response, request, *page, (*projects)->total);
  co_return response;
}

// The project of the path, as the caller may see it, with the caller's role in it.
struct VisibleProject {
  meta::Project project;
  std::optional<meta::Role> role;
};
boost::asio::awaitable<base::Result<VisibleProject, http::Response>> visible_project(Call& call) {
  auto reference = co_await project_name_or_id(call);
  if (!reference) co_return std::move(reference).error();
  std::optional<iam::Result<meta::Project>> project;
  std::optional<meta::Role> role;
  co_await call.exchange.run_blocking([&] {
    project.emplace(call.context.iam.get_project(call.caller, *reference));
    if (*project) role = call.context.iam.member_role(call.caller.principal, (*project)->id);
  });
  if (!*project) co_return error_response(project->error());
  co_return VisibleProject{std::move(**project), role};
}

Awaitable get_project(Call& call) {
  auto found = co_await visible_project(call);
  if (!found) co_return std::move(found).error();
  boost::json::object out = project_json(found->project, found->role);
  if (call.context.scans != nullptr) {
    auto list = co_await blocking(call, [&] { return call.context.scans->get_allowlist(found->project.id); });
    if (!list) co_return internal_error("read allowlist", list.error());
    out["cve_allowlist"] = allowlist_json(*list);
  }
  co_return json_response(200, out);
}

// PUT /projects/{p} (ProjectReq): merges the given metadata into the project's.
Awaitable update_project(Call& call) {
  auto reference = co_await project_name_or_id(call);
  if (!reference) co_return std::move(reference).error();
  auto body = co_await read_json_object(call);
  if (!body) co_return std::move(body).error();
  auto metadata = request_metadata(*body);
  if (!metadata) co_return std::move(metadata).error();
  std::optional<meta::CveAllowlist> allowlist;
  if (const auto* list = body->if_contains("cve_allowlist"); list != nullptr && !list->is_null()) {
    if (!list->is_object()) co_return error_response(400, "cve_allowlist must be an object");
    if (call.context.scans == nullptr)
      co_return error_response(503, "vulnerability scanning is not available");
    auto parsed = parse_allowlist(list->get_object(), 0);
    if (!parsed) co_return std::move(parsed).error();
    allowlist = std::move(*parsed);
  }
  co_return co_await blocking(call, [&]() -> http::Response {
    auto updated = call.context.iam.update_project_metadata(call.caller, *reference, *metadata);
    if (!updated || !allowlist) return status_response(updated);
    // The caller may update the project: its CVE allowlist goes with it.
    auto project = call.context.iam.get_project(call.caller, *reference);
    if (!project) return error_response(project.error());
    allowlist->project_id = project->id;
    if (auto s = call.context.scans->put_allowlist(*allowlist); !s)
      return internal_error("write allowlist", s.error());
    call.context.iam.audit(call.caller, "update", "cve_allowlist", project->name, project->name, true);
    return empty_response(200);
  });
}

// DELETE /projects/{p}: 412 while the project holds repositories.
Awaitable delete_project(Call& call) {
  auto reference = co_await project_name_or_id(call);
  if (!reference) co_return std::move(reference).error();
  std::string name;
  auto deleted = co_await blocking(call, [&] {
    if (auto project = call.context.iam.get_project(call.caller, *reference)) name = project->name;
    return call.context.iam.delete_project(call.caller, *reference);
  });
  if (deleted && call.context.proxy != nullptr && !name.empty()) call.context.proxy->set_project(name, 0);
  co_return status_response(deleted);
}

// GET /projects/{p}/summary: repository count, and member counts by role for callers who
// may list the members (as Harbor).
Awaitable project_summary(Call& call) {
  auto reference = co_await project_name_or_id(call);
  if (!reference) co_return std::move(reference).error();
  std::optional<iam::Result<meta::Project>> project;
  std::optional<iam::Result<meta::Listing<meta::Member>>> members;
  std::optional<meta::Quota> quota;
  co_await call.exchange.run_blocking([&] {
    project.emplace(call.context.iam.get_project(call.caller, *reference));
    if (!*project) return;
    meta::ListQuery all;
    all.limit = 0;
    members.emplace(call.context.iam.list_members(call.caller, std::to_string((*project)->id), all));
    if (call.context.limits != nullptr)
      if (auto found = call.context.limits->get_quota((*project)->id); found && *found) quota = **found;
  });
  if (!*project) co_return error_response(project->error());
  boost::json::object summary{{"repo_count", (*project)->repo_count}, {"chart_count", 0}};
  if (quota)
    summary["quota"] = boost::json::object{{"hard", boost::json::object{{"storage", quota->hard}}},
                                           {"used", boost::json::object{{"storage", quota->used}}}};
  if (members && *members) {
    std::int64_t counts[6] = {};
    for (const auto& member : (*members)->items) {
      const auto role = static_cast<int>(member.role);
      if (role >= 1 && role <= 5) ++counts[role];
    }
    summary["project_admin_count"] = counts[static_cast<int>(meta::Role::project_admin)];
    summary["maintainer_count"] = counts[static_cast<int>(meta::Role::maintainer)];
    summary["developer_count"] = counts[static_cast<int>(meta::Role::developer)];
    summary["guest_count"] = counts[static_cast<int>(meta::Role::guest)];
    summary["limited_guest_count"] = counts[static_cast<int>(meta::Role::limited_guest)];
  } else if (members && (*members).error().code == iam::Error::Code::internal) {
    co_return error_response(members->error());
  }
  co_return json_response(200, summary);
}

// GET /projects/{p}/metadatas: every metadata value of the project.
Awaitable list_metadata(Call& call) {
  auto found = co_await visible_project(call);
  if (!found) co_return std::move(found).error();
  boost::json::object metadata;
  for (const auto& [key, value] : found->project.metadata) metadata[key] = value;
  co_return json_response(200, metadata);
}

// GET /projects/{p}/metadatas/{meta_name}: {"<name>": "<value>"}, 404 if not set.
Awaitable get_metadata(Call& call) {
  auto found = co_await visible_project(call);
  if (!found) co_return std::move(found).error();
  const std::string& name = call.param("meta_name");
  auto it = found->project.metadata.find(name);
  if (it == found->project.metadata.end()) co_return error_response(404, "metadata " + name + " not found");
  co_return json_response(200, boost::json::object{{name, it->second}});
}

// Writes one metadata value (Harbor takes exactly one key per request).
Awaitable write_metadata(Call& call, std::string key, std::string value) {
  auto reference = co_await project_name_or_id(call);
  if (!reference) co_return std::move(reference).error();
  std::map<std::string, std::string> metadata{{std::move(key), std::move(value)}};
  auto updated = co_await blocking(
      call, [&] { return call.context.iam.update_project_metadata(call.caller, *reference, metadata); });
  co_return status_response(updated);
}

// POST /projects/{p}/metadatas ({"<name>": "<value>"}).
Awaitable add_metadata(Call& call) {
  auto body = co_await read_json_object(call);
  if (!body) co_return std::move(body).error();
  if (body->size() != 1) co_return error_response(400, "only allow one key/value pair");
  const auto& [key, value] = *body->begin();
  auto text = metadata_value(value, key);
  if (!text) co_return std::move(text).error();
  if (text->empty()) co_return error_response(400, "invalid value of " + std::string(key));
  co_return co_await write_metadata(call, std::string(key), std::move(*text));
}

// PUT /projects/{p}/metadatas/{meta_name} ({"<meta_name>": "<value>"}).
Awaitable update_metadata(Call& call) {
  auto body = co_await read_json_object(call);
  if (!body) co_return std::move(body).error();
  const std::string& name = call.param("meta_name");
  const auto* value = body->if_contains(name);
  if (value == nullptr) co_return error_response(400, "the body must set " + name);
  auto text = metadata_value(*value, name);
  if (!text) co_return std::move(text).error();
  if (text->empty()) co_return error_response(400, "invalid value of " + name);
  co_return co_await write_metadata(call, name, std::move(*text));
}

// DELETE /projects/{p}/metadatas/{meta_name}: 404 if not set.
Awaitable delete_metadata(Call& call) {
  auto found = co_await visible_project(call);
  if (!found) co_return std::move(found).error();
  const std::string& name = call.param("meta_name");
  if (!found->project.metadata.contains(name))
    co_return error_response(404, "metadata " + name + " not found");
  if (name == "public") co_return error_response(400, "the metadata public cannot be deleted");
  co_return co_await write_metadata(call, name, "");
}

}  // namespace

boost::json::object project_json(const meta::Project& project, std::optional<meta::Role> role) {
  boost::json::object metadata;
  std::int64_t registry_id = 0;
  for (const auto& [key, value] : project.metadata) {
    if (key == "registry_id") {
      registry_id = std::atoll(value.c_str());
    } else {
      metadata[key] = value;
    }
  }
  boost::json::array role_ids;
  if (role) role_ids.push_back(static_cast<int>(*role));
  return boost::json::object{
      {"project_id", project.id},
      {"registry_id", registry_id},
      {"name", project.name},
      {"owner_id", project.owner_id},
      {"owner_name", project.owner_name},
      {"creation_time", format_time(project.created)},
      {"update_time", format_time(project.updated)},
      {"repo_count", project.repo_count},
      {"chart_count", 0},
      {"current_user_role_id", role ? static_cast<int>(*role) : 0},
      {"current_user_role_ids", std::move(role_ids)},
      {"metadata", std::move(metadata)},
      {"cve_allowlist", boost::json::object{{"project_id", project.id},
                                            {"items", boost::json::array()},
                                            {"creation_time", format_time(project.created)},
                                            {"update_time", format_time(project.updated)}}},
  };
}

std::vector<Route> project_routes() {
  using http::Method;
  return {
      {Method::post, "/projects", create_project},
      {Method::head, "/projects", head_project, true},
      {Method::get, "/projects", list_projects, true},
      {Method::get, "/projects/{project_name_or_id}", get_project, true},
      {Method::put, "/projects/{project_name_or_id}", update_project},
      {Method::del, "/projects/{project_name_or_id}", delete_project},
      {Method::get, "/projects/{project_name_or_id}/summary", project_summary, true},
      {Method::get, "/projects/{project_name_or_id}/metadatas", list_metadata, true},
      {Method::post, "/projects/{project_name_or_id}/metadatas", add_metadata},
      {Method::get, "/projects/{project_name_or_id}/metadatas/{meta_name}", get_metadata, true},
      {Method::put, "/projects/{project_name_or_id}/metadatas/{meta_name}", update_metadata},
      {Method::del, "/projects/{project_name_or_id}/metadatas/{meta_name}", delete_metadata},
  };
}

}  // namespace berth::api::rest
