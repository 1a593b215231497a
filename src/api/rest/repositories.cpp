// Repositories: Harbor's /projects/{project_name}/repositories[/{repository_name}] and
// /repositories. Reads come from meta::Database's management reads; the delete goes
// through registry::Registry so that its caches stay coherent.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <map>
#include <string>
#include <utility>

#include "api/rest/content.h"

namespace berth::api::rest {
namespace {

namespace json = boost::json;

// Harbor's Repository model; `name` is the full name ("proj/a/b").
json::object repository_json(std::int64_t project_id, const meta::RepositorySummary& repository) {
  json::object out;
  out["id"] = repository.id;
  out["project_id"] = project_id;
  out["name"] = repository.name;
  out["description"] = repository.description;
  out["artifact_count"] = repository.artifact_count;
  out["pull_count"] = repository.pull_count;
  out["creation_time"] = format_time(repository.created);
  out["update_time"] = format_time(repository.updated);
  return out;
}

Awaitable list_repositories(Call& call) {
  auto page = parse_page(call.request());
  if (!page) co_return std::move(page).error();
  auto query = parse_list_query(call.request(), *page);
  if (!query) co_return std::move(query).error();
  const std::string project_name = call.param("project_name");
  co_return co_await blocking(call, [&]() -> http::Response {
    auto project = authorize_project(call, project_name, {{iam::resource::repository, iam::action::list}});
    if (!project) return std::move(project).error();
    auto listing = call.context.metadata.list_repository_summaries(project->name, *query);
    if (!listing) return metadata_error("list repositories", listing.error());
    json::array items;
    for (const auto& repository : listing->items) items.push_back(repository_json(project->id, repository));
    http::Response response = json_response(200, items);
    set_paging_headers(response, call.request(), *page, listing->total);
    return response;
  });
}

// Every repository of every project: system administrators only.
Awaitable list_all_repositories(Call& call) {
  if (!call.caller.principal.sysadmin)
    co_return error_response(403, "only system administrators may list the repositories of every project");
  auto page = parse_page(call.request());
  if (!page) co_return std::move(page).error();
  auto query = parse_list_query(call.request(), *page);
  if (!query) co_return std::move(query).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto listing = call.context.metadata.list_repository_summaries("", *query);
    if (!listing) return metadata_error("list repositories", listing.error());
    std::map<std::string, std::int64_t, std::less<>> project_ids;
    json::array items;
    for (const auto& repository : listing->items) {
      const std::string project_name = repository.name.substr(0, repository.name.find('/'));
      auto known = project_ids.find(project_name);
      if (known == project_ids.end()) {
        auto project = call.context.iam.project(project_name);
        known = project_ids.emplace(project_name, project ? project->id : 0).first;
      }
      items.push_back(repository_json(known->second, repository));
    }
    http::Response response = json_response(200, items);
    set_paging_headers(response, call.request(), *page, listing->total);
    return response;
  });
}

Awaitable get_repository(Call& call) {
  auto name = full_repository_name(call);
  if (!name) co_return std::move(name).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto project =
        authorize_project(call, call.param("project_name"), {{iam::resource::repository, iam::action::read}});
    if (!project) return std::move(project).error();
    auto repository = call.context.metadata.repository_summary(*name);
    if (!repository) return metadata_error("get repository", repository.error());
    if (!*repository) return error_response(404, "repository " + *name + " not found");
    return json_response(200, repository_json(project->id, **repository));
  });
}

// Harbor's PUT takes a Repository; only its description can change.
Awaitable update_repository(Call& call) {
  auto name = full_repository_name(call);
  if (!name) co_return std::move(name).error();
  auto body = co_await read_json(call);
  if (!body) co_return std::move(body).error();
  if (!body->is_object()) co_return error_response(400, "the repository must be a JSON object");
  const json::value* description = body->get_object().if_contains("description");
  if (description != nullptr && !description->is_string() && !description->is_null())
    co_return error_response(400, "description must be a string");
  const std::string text = description != nullptr && description->is_string()
                               ? std::string(description->get_string())
                               : std::string();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto project = authorize_project(call, call.param("project_name"),
                                     {{iam::resource::repository, iam::action::update}});
    if (!project) return std::move(project).error();
    if (auto s = call.context.metadata.set_repository_description(*name, text); !s)
      return metadata_error("update repository", s.error());
    return empty_response(200);
  });
}

Awaitable delete_repository(Call& call) {
  auto name = full_repository_name(call);
  if (!name) co_return std::move(name).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto project =
        authorize_project(call, call.param("project_name"), {{iam::resource::repository, iam::action::del}});
    if (!project) return std::move(project).error();
    if (auto s = call.context.registry.delete_repository(*name); !s) {
      call.context.iam.audit(call.caller, "delete", "repository", *name, project->name, false,
                             s.error().message);
      return registry_error("delete repository", s.error());
    }
    call.context.iam.audit(call.caller, "delete", "repository", *name, project->name, true);
    return empty_response(200);
  });
}

}  // namespace

std::vector<Route> repository_routes() {
  using http::Method;
  return {
      {Method::get, "/repositories", list_all_repositories},
      {Method::get, "/projects/{project_name}/repositories", list_repositories, true},
      {Method::get, "/projects/{project_name}/repositories/{repository_name}", get_repository, true},
      {Method::put, "/projects/{project_name}/repositories/{repository_name}", update_repository},
      {Method::del, "/projects/{project_name}/repositories/{repository_name}", delete_repository},
  };
}

}  // namespace berth::api::rest
