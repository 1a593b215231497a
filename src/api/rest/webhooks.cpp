// Harbor's webhook API: /projects/{p}/webhook/policies[/{id}], their executions, the
// executions' tasks and task logs, /webhook/events and /webhook/lasttrigger. Permissions are
// the project's notification-policy ones (project admins and maintainers in Harbor's matrix);
// webhook::Service keeps the policies and delivers.
#include <boost/json/array.hpp>

#include "api/rest/rest.h"
#include "iam/permissions.h"
#include "webhook/webhook.h"

namespace berth::api::rest {
namespace {

namespace json = boost::json;
namespace resource = iam::resource;
namespace action = iam::action;

// The route's project if the caller may `what` its webhooks. Errors: 401, 403, 404, 503.
boost::asio::awaitable<base::Result<meta::Project, http::Response>> authorized(Call& call,
                                                                               std::string_view what) {
  if (call.context.webhooks == nullptr) co_return error_response(503, "webhooks are not available");
  auto reference = co_await project_name_or_id(call);
  if (!reference) co_return std::move(reference).error();
  auto project =
      co_await blocking(call, [&] { return call.context.iam.get_project(call.caller, *reference); });
  if (!project) co_return error_response(project.error());
  if (!call.context.iam.allowed(call.caller.principal, project->name, resource::notification_policy, what))
    co_return error_response(
        403, "not allowed to " + std::string(what) + " the webhooks of project " + project->name);
  co_return std::move(*project);
}

// The route's policy of `project`. Errors: 400, 404.
base::Result<webhook::Policy, http::Response> route_policy(Call& call, const meta::Project& project) {
  auto id = parse_id(call, "webhook_policy_id");
  if (!id) return std::move(id).error();
  auto found = call.context.webhooks->get(*id);
  if (!found) return internal_error("read webhook policy", found.error());
  if (!*found || (*found)->project_id != project.id)
    return error_response(404, "webhook policy " + std::to_string(*id) + " not found");
  return std::move(**found);
}

json::object execution_json(const meta::WebhookExecutionRecord& e) {
  return json::object{{"id", e.id},
                      {"vendor_type", "WEBHOOK"},
                      {"vendor_id", e.policy_id},
                      {"status", e.status},
                      {"status_message", e.status_message},
                      {"trigger", "EVENT"},
                      {"extra_attrs", json::object{{"event_type", e.event_type}, {"payload", e.payload}}},
                      {"start_time", format_time(e.started)},
                      {"end_time", e.ended ? format_time(*e.ended) : std::string()}};
}

json::object task_json(const meta::WebhookTaskRecord& t) {
  return json::object{{"id", t.id},
                      {"execution_id", t.execution_id},
                      {"status", t.status},
                      {"status_message", t.status_message},
                      {"run_count", t.run_count},
                      {"extra_attrs", json::object{{"address", t.address},
                                                   {"payload_format", t.payload_format},
                                                   {"status_code", t.status_code}}},
                      {"creation_time", format_time(t.created)},
                      {"start_time", t.started ? format_time(*t.started) : std::string()},
                      {"update_time", format_time(t.ended.value_or(t.started.value_or(t.created)))},
                      {"end_time", t.ended ? format_time(*t.ended) : std::string()}};
}

Awaitable list_policies(Call& call) {
  auto project = co_await authorized(call, action::list);
  if (!project) co_return std::move(project).error();
  auto page = parse_page(call.request());
  if (!page) co_return std::move(page).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto all = call.context.webhooks->list(project->id);
    if (!all) return internal_error("list webhook policies", all.error());
    json::array items;
    const std::size_t from = (page->page - 1) * page->page_size;
    for (std::size_t i = from; i < all->size() && i < from + page->page_size; ++i)
      items.push_back(webhook::policy_json((*all)[i]));
    auto response = json_response(200, items);
    set_paging_headers(response, call.request(), *page, static_cast<std::int64_t>(all->size()));
    return response;
  });
}

Awaitable create_policy(Call& call) {
  auto project = co_await authorized(call, action::create);
  if (!project) co_return std::move(project).error();
  auto body = co_await read_json_object(call);
  if (!body) co_return std::move(body).error();
  auto policy = webhook::parse_policy(*body);
  if (!policy) co_return service_error("parse webhook policy", policy.error());
  policy->project_id = project->id;
  policy->creator = call.caller.principal.name;
  co_return co_await blocking(call, [&]() -> http::Response {
    auto id = call.context.webhooks->create(*policy);
    if (!id) {
      if (id.error().code == base::Errc::already_exists) return error_response(409, id.error().message);
      return service_error("create webhook policy", id.error());
    }
    call.context.iam.audit(call.caller, "create", "notification_policy", policy->name, project->name, true);
    return created_response("/projects/" + std::to_string(project->id) + "/webhook/policies/" +
                            std::to_string(*id));
  });
}

Awaitable get_policy(Call& call) {
  auto project = co_await authorized(call, action::read);
  if (!project) co_return std::move(project).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto policy = route_policy(call, *project);
    if (!policy) return std::move(policy).error();
    return json_response(200, webhook::policy_json(*policy));
  });
}

Awaitable update_policy(Call& call) {
  auto project = co_await authorized(call, action::update);
  if (!project) co_return std::move(project).error();
  auto body = co_await read_json_object(call);
  if (!body) co_return std::move(body).error();
  auto parsed = webhook::parse_policy(*body);
  if (!parsed) co_return service_error("parse webhook policy", parsed.error());
  co_return co_await blocking(call, [&]() -> http::Response {
    auto policy = route_policy(call, *project);
    if (!policy) return std::move(policy).error();
    parsed->id = policy->id;
    parsed->project_id = project->id;
    parsed->creator = policy->creator;
    if (auto s = call.context.webhooks->update(*parsed); !s) {
      if (s.error().code == base::Errc::already_exists) return error_response(409, s.error().message);
      return service_error("update webhook policy", s.error());
    }
    call.context.iam.audit(call.caller, "update", "notification_policy", parsed->name, project->name, true);
    return empty_response(200);
  });
}

Awaitable delete_policy(Call& call) {
  auto project = co_await authorized(call, action::del);
  if (!project) co_return std::move(project).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto policy = route_policy(call, *project);
    if (!policy) return std::move(policy).error();
    if (auto s = call.context.webhooks->remove(policy->id); !s)
      return service_error("delete webhook policy", s.error());
    call.context.iam.audit(call.caller, "delete", "notification_policy", policy->name, project->name, true);
    return empty_response(200);
  });
}

Awaitable list_executions(Call& call) {
  auto project = co_await authorized(call, action::list);
  if (!project) co_return std::move(project).error();
  auto page = parse_page(call.request());
  if (!page) co_return std::move(page).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto policy = route_policy(call, *project);
    if (!policy) return std::move(policy).error();
    auto listed = call.context.webhook_records->list_webhook_executions(
        policy->id, (page->page - 1) * page->page_size, page->page_size);
    if (!listed) return internal_error("list webhook executions", listed.error());
    json::array items;
    for (const auto& e : listed->items) items.push_back(execution_json(e));
    auto response = json_response(200, items);
    set_paging_headers(response, call.request(), *page, listed->total);
    return response;
  });
}

// The route's execution of the route's policy. Errors: 400, 404.
base::Result<meta::WebhookExecutionRecord, http::Response> route_execution(Call& call,
                                                                           const webhook::Policy& policy) {
  auto id = parse_id(call, "execution_id");
  if (!id) return std::move(id).error();
  auto found = call.context.webhook_records->get_webhook_execution(*id);
  if (!found) return internal_error("read webhook execution", found.error());
  if (!*found || (*found)->policy_id != policy.id)
    return error_response(404, "webhook execution " + std::to_string(*id) + " not found");
  return std::move(**found);
}

Awaitable list_tasks(Call& call) {
  auto project = co_await authorized(call, action::list);
  if (!project) co_return std::move(project).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto policy = route_policy(call, *project);
    if (!policy) return std::move(policy).error();
    auto execution = route_execution(call, *policy);
    if (!execution) return std::move(execution).error();
    auto tasks = call.context.webhook_records->list_webhook_tasks(execution->id);
    if (!tasks) return internal_error("list webhook tasks", tasks.error());
    json::array items;
    for (const auto& t : *tasks) items.push_back(task_json(t));
    auto response = json_response(200, items);
    response.headers.set("X-Total-Count", std::to_string(tasks->size()));
    return response;
  });
}

Awaitable get_task_log(Call& call) {
  auto project = co_await authorized(call, action::read);
  if (!project) co_return std::move(project).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto policy = route_policy(call, *project);
    if (!policy) return std::move(policy).error();
    auto execution = route_execution(call, *policy);
    if (!execution) return std::move(execution).error();
    auto id = parse_id(call, "task_id");
    if (!id) return std::move(id).error();
    auto task = call.context.webhook_records->get_webhook_task(*id);
    if (!task) return internal_error("read webhook task", task.error());
    if (!*task || (*task)->execution_id != execution->id)
      return error_response(404, "webhook task " + std::to_string(*id) + " not found");
    http::Response response = empty_response(200);
    response.headers.set("Content-Type", "text/plain; charset=utf-8");
    response.body = std::move((*task)->log);
    return response;
  });
}

Awaitable list_events(Call& call) {
  auto project = co_await authorized(call, action::read);
  if (!project) co_return std::move(project).error();
  json::array types;
  for (const auto& t : webhook::event_types()) types.emplace_back(t);
  co_return json_response(
      200, json::object{{"event_type", std::move(types)},
                        {"notify_type", json::array{"http"}},
                        {"payload_formats",
                         json::array{json::object{{"notify_type", "http"},
                                                  {"formats", json::array{"Default", "CloudEvents"}}}}}});
}

Awaitable last_trigger(Call& call) {
  auto project = co_await authorized(call, action::read);
  if (!project) co_return std::move(project).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto all = call.context.webhooks->list(project->id);
    if (!all) return internal_error("list webhook policies", all.error());
    json::array items;
    for (const auto& p : *all) {
      auto last = call.context.webhook_records->list_webhook_executions(p.id, 0, 1);
      for (const auto& type : p.event_types) {
        json::object item{{"policy_name", p.name},
                          {"enabled", p.enabled},
                          {"event_type", type},
                          {"creation_time", format_time(p.created)}};
        if (last && !last->items.empty())
          item["last_trigger_time"] = format_time(last->items.front().started);
        items.push_back(std::move(item));
      }
    }
    return json_response(200, items);
  });
}

}  // namespace

std::vector<Route> webhook_routes() {
  using M = http::Method;
  const std::string base = "/projects/{project_name_or_id}/webhook";
  const std::string policy = base + "/policies/{webhook_policy_id}";
  return {
      {M::get, base + "/policies", list_policies},
      {M::post, base + "/policies", create_policy},
      {M::get, policy, get_policy},
      {M::put, policy, update_policy},
      {M::del, policy, delete_policy},
      {M::get, policy + "/executions", list_executions},
      {M::get, policy + "/executions/{execution_id}/tasks", list_tasks},
      {M::get, policy + "/executions/{execution_id}/tasks/{task_id}/log", get_task_log},
      {M::get, base + "/events", list_events},
      {M::get, base + "/lasttrigger", last_trigger},
  };
}

}  // namespace berth::api::rest
