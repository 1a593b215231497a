// Harbor's tag immutability rules: /projects/{project_name_or_id}/immutabletagrules[/{id}].
// Project admins and maintainers manage them (Harbor's role matrix); policy::Immutability keeps
// them and the registry enforces them.
#include "policy/immutability.h"

#include <boost/json/array.hpp>

#include "api/rest/content.h"
#include "api/rest/rest.h"

namespace berth::api::rest {
namespace {

namespace json = boost::json;
namespace resource = iam::resource;
namespace action = iam::action;

// The project of the route if the caller may `what` its immutability rules.
boost::asio::awaitable<base::Result<meta::Project, http::Response>> authorized(Call& call,
                                                                               std::string_view what) {
  if (call.context.immutability == nullptr)
    co_return error_response(503, "tag immutability is not available");
  auto reference = co_await project_name_or_id(call);
  if (!reference) co_return std::move(reference).error();
  co_return co_await blocking(call, [&]() -> base::Result<meta::Project, http::Response> {
    auto project = call.context.iam.get_project(call.caller, *reference);
    if (!project) return error_response(project.error());
    if (!call.context.iam.allowed(call.caller.principal, project->name, resource::immutable_tag, what))
      return error_response(
          403, "not allowed to " + std::string(what) + " the immutability rules of project " + project->name);
    return std::move(*project);
  });
}

Awaitable list_rules(Call& call) {
  auto page = parse_page(call.request());
  if (!page) co_return std::move(page).error();
  auto project = co_await authorized(call, action::list);
  if (!project) co_return std::move(project).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto rules = call.context.immutability->list(project->id);
    if (!rules) return service_error("list immutable rules", rules.error());
    json::array items;
    const std::size_t from = (page->page - 1) * page->page_size;
    for (std::size_t i = from; i < rules->size() && i < from + page->page_size; ++i)
      items.push_back(policy::immutable_rule_json((*rules)[i]));
    auto response = json_response(200, items);
    set_paging_headers(response, call.request(), *page, static_cast<std::int64_t>(rules->size()));
    return response;
  });
}

Awaitable create_rule(Call& call) {
  auto body = co_await read_json_object(call);
  if (!body) co_return std::move(body).error();
  auto project = co_await authorized(call, action::create);
  if (!project) co_return std::move(project).error();
  auto rule = policy::parse_immutable_rule(*body);
  if (!rule) co_return error_response(400, rule.error().message);
  rule->project_id = project->id;
  co_return co_await blocking(call, [&]() -> http::Response {
    auto id = call.context.immutability->create(*rule);
    if (!id) {
      if (id.error().code == base::Errc::out_of_range)
        return error_response(
            400, "only " + std::to_string(policy::kMaxImmutableRules) + " rules are allowed at most");
      return service_error("create immutable rule", id.error());
    }
    call.context.iam.audit(call.caller, "create", "immutable_rule", std::to_string(*id), project->name, true,
                           rule->repository.pattern + ":" + rule->tag.pattern);
    http::Response response = empty_response(201);
    response.headers.set("Location", call.request().path + "/" + std::to_string(*id));
    return response;
  });
}

Awaitable update_rule(Call& call) {
  auto id = parse_id(call, "immutable_rule_id");
  if (!id) co_return std::move(id).error();
  auto body = co_await read_json_object(call);
  if (!body) co_return std::move(body).error();
  auto project = co_await authorized(call, action::update);
  if (!project) co_return std::move(project).error();
  if (const auto* given = body->if_contains("id");
      given != nullptr && given->is_int64() && given->get_int64() != 0 && given->get_int64() != *id)
    co_return error_response(
        400, "the immutable_rule_id doesn't match the id in the payload body of ImmutableRule");
  auto rule = policy::parse_immutable_rule(*body);
  if (!rule) co_return error_response(400, rule.error().message);
  rule->id = *id;
  rule->project_id = project->id;
  co_return co_await blocking(call, [&]() -> http::Response {
    if (auto s = call.context.immutability->update(*rule); !s)
      return service_error("update immutable rule", s.error());
    call.context.iam.audit(call.caller, "update", "immutable_rule", std::to_string(*id), project->name, true,
                           rule->disabled ? "disabled" : "enabled");
    return empty_response(200);
  });
}

Awaitable delete_rule(Call& call) {
  auto id = parse_id(call, "immutable_rule_id");
  if (!id) co_return std::move(id).error();
  auto project = co_await authorized(call, action::del);
  if (!project) co_return std::move(project).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    if (auto s = call.context.immutability->remove(project->id, *id); !s)
      return service_error("delete immutable rule", s.error());
    call.context.iam.audit(call.caller, "delete", "immutable_rule", std::to_string(*id), project->name, true);
    return empty_response(200);
  });
}

}  // namespace

std::vector<Route> immutability_routes() {
  using http::Method;
  const std::string rules = "/projects/{project_name_or_id}/immutabletagrules";
  return {
      {Method::get, rules, list_rules},
      {Method::post, rules, create_rule},
      {Method::put, rules + "/{immutable_rule_id}", update_rule},
      {Method::del, rules + "/{immutable_rule_id}", delete_rule},
  };
}

}  // namespace berth::api::rest
