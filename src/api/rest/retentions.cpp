// Harbor's tag retention API: /retentions/metadatas, /retentions[/{id}], and a policy's
// executions, their tasks and task logs. Permissions are the project's tag-retention ones
// (Harbor's matrix); retention::Service keeps the policies and runs them.
#include <boost/json/array.hpp>

#include "api/rest/rest.h"
#include "iam/permissions.h"
#include "retention/service.h"

namespace berth::api::rest {
namespace {

namespace json = boost::json;
namespace resource = iam::resource;
namespace action = iam::action;

http::Response unavailable() {
  return error_response(503, "tag retention is not available");
}

// The project `project_id` if the caller may `what` its retention policy. Errors: 400 for an
// unknown project (Harbor's "invalid Project id"), 401, 403.
base::Result<meta::Project, http::Response> authorize(Call& call, std::int64_t project_id,
                                                      std::string_view what) {
  auto project = call.context.iam.get_project(call.caller, std::to_string(project_id));
  if (!project) {
    if (project.error().code == iam::Error::Code::not_found)
      return error_response(400, "invalid Project id " + std::to_string(project_id));
    return error_response(project.error());
  }
  if (!call.context.iam.allowed(call.caller.principal, project->name, resource::tag_retention, what))
    return error_response(
        403, "not allowed to " + std::string(what) + " the retention policy of project " + project->name);
  return std::move(*project);
}

// The policy of the route's {id} if the caller may `what` it. Errors: 400 (not a policy, as
// Harbor answers), 401, 403.
base::Result<policy::RetentionPolicy, http::Response> authorized_policy(Call& call, std::string_view what) {
  auto id = parse_id(call, "id");
  if (!id) return std::move(id).error();
  auto policy = call.context.retention->get(*id);
  if (!policy) return internal_error("read retention policy", policy.error());
  if (!*policy) return error_response(400, "retention policy " + std::to_string(*id) + " not found");
  auto project = authorize(call, (*policy)->project_id, what);
  if (!project) return std::move(project).error();
  return std::move(**policy);
}

// A policy from a request body. Errors: 400, 409 (two rules alike).
base::Result<policy::RetentionPolicy, http::Response> parse_body(const json::object& body) {
  auto policy = policy::parse_retention_policy(body);
  if (!policy) return service_error("parse retention policy", policy.error());
  return std::move(*policy);
}

json::object execution_json(const meta::RetentionExecutionRecord& execution) {
  json::object out{{"id", execution.id},
                   {"policy_id", execution.policy_id},
                   {"start_time", format_time(execution.started)},
                   {"status", execution.status},
                   {"trigger", execution.trigger},
                   {"dry_run", execution.dry_run}};
  out["end_time"] = execution.ended ? json::value(format_time(*execution.ended)) : json::value("");
  return out;
}

// Harbor's task status codes: Pending 0, Scheduled 1, Running 2, finished 3.
int status_code(const std::string& status) {
  if (status == "Pending") return 0;
  if (status == "Running") return 2;
  return 3;
}

json::object task_json(const meta::RetentionTaskRecord& task, std::optional<std::int64_t> job_id) {
  json::object out{{"id", task.id},
                   {"execution_id", task.execution_id},
                   {"repository", task.repository},
                   {"job_id", job_id ? std::to_string(*job_id) : std::string()},
                   {"status", task.status},
                   {"status_code", status_code(task.status)},
                   {"status_revision", 0},
                   {"start_time", format_time(task.started)},
                   {"total", task.total},
                   {"retained", task.retained}};
  out["end_time"] = task.ended ? json::value(format_time(*task.ended)) : json::value("");
  return out;
}

Awaitable get_metadatas(Call&) {
  co_return json_response(200, policy::retention_metadata_json());
}

Awaitable create_policy(Call& call) {
  if (call.context.retention == nullptr) co_return unavailable();
  auto body = co_await read_json_object(call);
  if (!body) co_return std::move(body).error();
  auto policy = parse_body(*body);
  if (!policy) co_return std::move(policy).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto project = authorize(call, policy->project_id, action::create);
    if (!project) return std::move(project).error();
    auto id = call.context.retention->create(*policy);
    if (!id) {
      call.context.iam.audit(call.caller, "create", "retention_policy", project->name, project->name, false,
                             id.error().message);
      if (id.error().code == base::Errc::not_found)
        return error_response(400, "invalid Project id " + std::to_string(policy->project_id));
      return service_error("create retention policy", id.error());
    }
    call.context.iam.audit(call.caller, "create", "retention_policy", std::to_string(*id), project->name,
                           true);
    return created_response("/retentions/" + std::to_string(*id));
  });
}

Awaitable get_policy(Call& call) {
  if (call.context.retention == nullptr) co_return unavailable();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto policy = authorized_policy(call, action::read);
    if (!policy) return std::move(policy).error();
    return json_response(200, policy::retention_policy_json(*policy));
  });
}

Awaitable update_policy(Call& call) {
  if (call.context.retention == nullptr) co_return unavailable();
  auto body = co_await read_json_object(call);
  if (!body) co_return std::move(body).error();
  auto given = parse_body(*body);
  if (!given) co_return std::move(given).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto current = authorized_policy(call, action::update);
    if (!current) return std::move(current).error();
    if (given->project_id != current->project_id)
      return error_response(404,
                            "the retention policy id " + std::to_string(current->id) + " does not match");
    given->id = current->id;
    if (auto s = call.context.retention->update(*given); !s)
      return service_error("update retention policy", s.error());
    call.context.iam.audit(call.caller, "update", "retention_policy", std::to_string(current->id),
                           std::to_string(current->project_id), true);
    return empty_response(200);
  });
}

Awaitable delete_policy(Call& call) {
  if (call.context.retention == nullptr) co_return unavailable();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto policy = authorized_policy(call, action::del);
    if (!policy) return std::move(policy).error();
    if (auto s = call.context.retention->remove(policy->id); !s)
      return service_error("delete retention policy", s.error());
    call.context.iam.audit(call.caller, "delete", "retention_policy", std::to_string(policy->id),
                           std::to_string(policy->project_id), true);
    return empty_response(200);
  });
}

Awaitable trigger_execution(Call& call) {
  if (call.context.retention == nullptr) co_return unavailable();
  auto body = co_await read_json_object(call);
  if (!body) co_return std::move(body).error();
  auto dry_run = bool_member(*body, "dry_run");
  if (!dry_run) co_return std::move(dry_run).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto policy = authorized_policy(call, action::update);
    if (!policy) return std::move(policy).error();
    auto id = call.context.retention->trigger(policy->id, dry_run->value_or(false));
    if (!id) return service_error("start retention", id.error());
    call.context.iam.audit(call.caller, "create", "retention_execution", std::to_string(*id),
                           std::to_string(policy->project_id), true,
                           dry_run->value_or(false) ? "dry run" : "");
    return created_response("/retentions/" + std::to_string(policy->id) + "/executions/" +
                            std::to_string(*id));
  });
}

Awaitable list_executions(Call& call) {
  if (call.context.retention == nullptr) co_return unavailable();
  auto page = parse_page(call.request());
  if (!page) co_return std::move(page).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto policy = authorized_policy(call, action::list);
    if (!policy) return std::move(policy).error();
    auto listed =
        call.context.retention->executions(policy->id, (page->page - 1) * page->page_size, page->page_size);
    if (!listed) return internal_error("list retention executions", listed.error());
    json::array items;
    for (const auto& execution : listed->items) items.push_back(execution_json(execution));
    auto response = json_response(200, items);
    set_paging_headers(response, call.request(), *page, listed->total);
    return response;
  });
}

Awaitable stop_execution(Call& call) {
  if (call.context.retention == nullptr) co_return unavailable();
  auto execution_id = parse_id(call, "eid");
  if (!execution_id) co_return std::move(execution_id).error();
  auto body = co_await read_json_object(call);
  if (!body) co_return std::move(body).error();
  auto requested = string_member(*body, "action");
  if (!requested) co_return std::move(requested).error();
  if (!*requested || **requested != "stop") co_return error_response(400, "action should be 'stop'");
  co_return co_await blocking(call, [&]() -> http::Response {
    auto policy = authorized_policy(call, action::update);
    if (!policy) return std::move(policy).error();
    if (auto s = call.context.retention->stop(policy->id, *execution_id); !s)
      return service_error("stop retention", s.error());
    call.context.iam.audit(call.caller, "stop", "retention_execution", std::to_string(*execution_id),
                           std::to_string(policy->project_id), true);
    return empty_response(200);
  });
}

Awaitable list_tasks(Call& call) {
  if (call.context.retention == nullptr) co_return unavailable();
  auto execution_id = parse_id(call, "eid");
  if (!execution_id) co_return std::move(execution_id).error();
  auto page = parse_page(call.request());
  if (!page) co_return std::move(page).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto policy = authorized_policy(call, action::list);
    if (!policy) return std::move(policy).error();
    auto execution = call.context.retention->execution(policy->id, *execution_id);
    if (!execution) return service_error("read retention execution", execution.error());
    auto listed = call.context.retention_tasks->list_retention_tasks(
        *execution_id, (page->page - 1) * page->page_size, page->page_size);
    if (!listed) return internal_error("list retention tasks", listed.error());
    json::array items;
    for (const auto& task : listed->items) items.push_back(task_json(task, execution->job_id));
    auto response = json_response(200, items);
    set_paging_headers(response, call.request(), *page, listed->total);
    return response;
  });
}

Awaitable get_task_log(Call& call) {
  if (call.context.retention == nullptr) co_return unavailable();
  auto execution_id = parse_id(call, "eid");
  if (!execution_id) co_return std::move(execution_id).error();
  auto task_id = parse_id(call, "tid");
  if (!task_id) co_return std::move(task_id).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto policy = authorized_policy(call, action::read);
    if (!policy) return std::move(policy).error();
    auto execution = call.context.retention->execution(policy->id, *execution_id);
    if (!execution) return service_error("read retention execution", execution.error());
    auto task = call.context.retention_tasks->get_retention_task(*execution_id, *task_id);
    if (!task) return internal_error("read retention task", task.error());
    if (!*task) return error_response(404, "retention task " + std::to_string(*task_id) + " not found");
    http::Response response = empty_response(200);
    response.headers.set("Content-Type", "text/plain; charset=utf-8");
    response.body = std::move((*task)->log);
    return response;
  });
}

}  // namespace

std::vector<Route> retention_routes() {
  using http::Method;
  const std::string executions = "/retentions/{id}/executions";
  return {
      {Method::get, "/retentions/metadatas", get_metadatas},
      {Method::post, "/retentions", create_policy},
      {Method::get, "/retentions/{id}", get_policy},
      {Method::put, "/retentions/{id}", update_policy},
      {Method::del, "/retentions/{id}", delete_policy},
      {Method::post, executions, trigger_execution},
      {Method::get, executions, list_executions},
      {Method::patch, executions + "/{eid}", stop_execution},
      {Method::get, executions + "/{eid}/tasks", list_tasks},
      {Method::get, executions + "/{eid}/tasks/{tid}", get_task_log},
  };
}

}  // namespace berth::api::rest
