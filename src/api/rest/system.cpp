// Harbor's system endpoints: /systeminfo, /health, /ping, /statistics and /search.
#include <boost/json/array.hpp>

#include "api/rest/plan_shape.h"
#include "api/rest/rest.h"

namespace berth::api::rest {
namespace {

// The external URL: the configured one, else the scheme and Host of the request.
std::string external_url(const Call& call) {
  if (!call.context.external_url.empty()) return call.context.external_url;
  const std::string host(call.request().headers.get("Host").value_or("localhost"));
  return (call.context.tls ? "https://" : "http://") + host;
}

// GET /systeminfo: anonymous callers get what the login page needs; signed-in callers
// also get the deployment facts, as Harbor.
Awaitable system_info(Call& call) {
  boost::json::object info{
      {"auth_mode", "db_auth"},
      {"primary_auth_mode", false},
      {"self_registration", false},
      {"harbor_version", call.context.version},
  };
  if (!call.caller.principal.anonymous()) {
    const std::string url = external_url(call);
    const auto scheme_end = url.find("://");
    info["external_url"] = url;
    info["registry_url"] = scheme_end == std::string::npos ? url : url.substr(scheme_end + 3);
    info["has_ca_root"] = false;
    info["project_creation_restriction"] =
        call.context.iam.options().only_admins_create_projects ? "adminonly" : "everyone";
    info["with_chartmuseum"] = false;
    info["with_notary"] = false;
    info["read_only"] = false;
    info["registry_storage_provider_name"] = "filesystem";
    info["notification_enable"] = false;
    info["current_time"] = format_time(std::chrono::system_clock::now());
    if (call.context.plan != nullptr) {
      const plan::Limits plan = call.context.plan->get();
      auto used = co_await blocking(call, [&] { return call.context.metadata.registry_storage(); });
      info["plan"] = plan_json(plan, used ? *used : 0);
    }
  }
  co_return json_response(200, info);
}

boost::json::object component(std::string_view name, const base::Status& status) {
  boost::json::object out{{"name", name}, {"status", status ? "healthy" : "unhealthy"}};
  if (!status) out["error"] = status.error().message;
  return out;
}

// GET /health: 200 in every case, with "unhealthy" where a component fails (as Harbor).
Awaitable health(Call& call) {
  base::Status database;
  base::Status storage;
  co_await call.exchange.run_blocking([&] {
    database = call.context.registry.check_metadata();
    storage = call.context.registry.check_storage();
  });
  boost::json::array components;
  components.push_back(component("core", base::Status{}));
  components.push_back(component("database", database));
  components.push_back(component("registry", storage));
  const bool healthy = database && storage;
  co_return json_response(200, boost::json::object{{"status", healthy ? "healthy" : "unhealthy"},
                                                   {"components", std::move(components)}});
}

// GET /ping: "Pong", text/plain, whatever the state of the components.
Awaitable ping(Call&) {
  http::Response response = empty_response(200);
  response.headers.set("Content-Type", "text/plain; charset=utf-8");
  response.body = "Pong";
  co_return response;
}

meta::ListQuery all_with_public(bool is_public) {
  meta::ListQuery query;
  query.limit = 0;
  query.filters.push_back(
      meta::Filter{"public", meta::Filter::Kind::exact, is_public ? "true" : "false", {}, {}, {}});
  return query;
}

// GET /statistics: project and repository counts. Public counts cover every public
// project; private ones the caller's (all for system admins, who also see totals and the
// storage used).
Awaitable statistics(Call& call) {
  struct Counts {
    std::int64_t public_projects = 0, public_repos = 0, private_projects = 0, private_repos = 0;
    std::int64_t total_projects = 0, total_repos = 0, storage = 0;
  } counts;
  std::optional<http::Response> failure;
  co_await call.exchange.run_blocking([&] {
    auto& iam = call.context.iam;
    auto& metadata = call.context.metadata;
    auto public_projects = iam.list_projects(call.caller, all_with_public(true));
    if (!public_projects) {
      failure = error_response(public_projects.error());
      return;
    }
    counts.public_projects = public_projects->total;
    for (const auto& project : public_projects->items) counts.public_repos += project.repo_count;
    if (call.caller.principal.sysadmin) {
      meta::ListQuery one;
      one.limit = 1;
      auto all = iam.list_projects(call.caller, one);
      auto repos = metadata.count_repositories("");
      auto used = metadata.registry_storage();
      if (!all) {
        failure = error_response(all.error());
        return;
      }
      if (!repos || !used) {
        failure = internal_error("statistics", !repos ? repos.error() : used.error());
        return;
      }
      counts.total_projects = all->total;
      counts.total_repos = *repos;
      counts.storage = *used;
      counts.private_projects = counts.total_projects - counts.public_projects;
      counts.private_repos = counts.total_repos - counts.public_repos;
      return;
    }
    auto own = iam.list_projects(call.caller, all_with_public(false));
    if (!own) {
      failure = error_response(own.error());
      return;
    }
    counts.private_projects = own->total;
    for (const auto& project : own->items) counts.private_repos += project.repo_count;
  });
  if (failure) co_return std::move(*failure);
  co_return json_response(200, boost::json::object{
                                   {"private_project_count", counts.private_projects},
                                   {"private_repo_count", counts.private_repos},
                                   {"public_project_count", counts.public_projects},
                                   {"public_repo_count", counts.public_repos},
                                   {"total_project_count", counts.total_projects},
                                   {"total_repo_count", counts.total_repos},
                                   {"total_storage_consumption", counts.storage},
                               });
}

// GET /search?q=: the projects the caller may see whose name contains q, and the
// repositories of every project the caller may see whose name contains q.
Awaitable search(Call& call) {
  auto q = call.request().query_param("q");
  if (!q) co_return error_response(400, "the query parameter q is required");
  boost::json::array projects;
  boost::json::array repositories;
  std::optional<http::Response> failure;
  co_await call.exchange.run_blocking([&] {
    meta::ListQuery all;
    all.limit = 0;
    auto visible = call.context.iam.list_projects(call.caller, all);
    if (!visible) {
      failure = error_response(visible.error());
      return;
    }
    meta::ListQuery repository_query;
    repository_query.limit = 0;
    if (!q->empty())
      repository_query.filters.push_back(meta::Filter{"name", meta::Filter::Kind::fuzzy, *q, {}, {}, {}});
    for (const auto& project : visible->items) {
      if (project.name.find(*q) != std::string::npos)
        projects.push_back(
            project_json(project, call.context.iam.member_role(call.caller.principal, project.id)));
      if (project.repo_count == 0) continue;
      auto found = call.context.metadata.list_repository_summaries(project.name, repository_query);
      if (!found) {
        failure = internal_error("search", found.error());
        return;
      }
      const auto public_it = project.metadata.find("public");
      const bool is_public = public_it != project.metadata.end() && public_it->second == "true";
      for (const auto& repository : found->items) {
        repositories.push_back(boost::json::object{
            {"project_id", project.id},
            {"project_name", project.name},
            {"project_public", is_public},
            {"repository_name", repository.name},
            {"pull_count", repository.pull_count},
            {"artifact_count", repository.artifact_count},
        });
      }
    }
  });
  if (failure) co_return std::move(*failure);
  co_return json_response(
      200, boost::json::object{{"project", std::move(projects)}, {"repository", std::move(repositories)}});
}

}  // namespace

std::vector<Route> system_routes() {
  using http::Method;
  return {
      {Method::get, "/systeminfo", system_info, true},
      {Method::get, "/health", health, true},
      {Method::get, "/ping", ping, true},
      {Method::get, "/statistics", statistics},
      {Method::get, "/search", search, true},
  };
}

}  // namespace berth::api::rest
