// Harbor's registry endpoints and replication API: /registries (+ ping, info),
// /replication/adapters, /replication/policies, /replication/executions with their tasks and
// task logs. All of it is for system administrators, as in Harbor. replication::Registries and
// replication::Service hold the rules.
#include <boost/json/array.hpp>

#include "api/rest/rest.h"
#include "proxy/cache.h"
#include "replication/service.h"

namespace berth::api::rest {
namespace {

namespace json = boost::json;

std::optional<http::Response> refuse(const Call& call) {
  if (call.context.replication == nullptr || call.context.registries == nullptr)
    return error_response(503, "replication is not available");
  if (!call.caller.principal.sysadmin)
    return error_response(403, "only system administrators may manage registries and replication");
  return std::nullopt;
}

// Harbor's Registry JSON; the secret is never returned, only whether there is one.
json::object registry_json(const meta::RegistryRecord& r) {
  json::object credential{{"type", r.credential_type.empty() ? "basic" : r.credential_type},
                          {"access_key", r.access_key},
                          {"access_secret", r.sealed_secret.empty() ? "" : "*****"}};
  return json::object{{"id", r.id},
                      {"name", r.name},
                      {"type", r.type},
                      {"url", r.url},
                      {"description", r.description},
                      {"insecure", r.insecure},
                      {"status", r.status},
                      {"credential", std::move(credential)},
                      {"creation_time", format_time(r.created)},
                      {"update_time", format_time(r.updated)}};
}

// The local registry as Harbor shows it on a policy's local side.
json::object local_registry_json(const Context& context) {
  return json::object{{"id", 0},
                      {"name", "Local"},
                      {"type", "harbor"},
                      {"url", context.external_url},
                      {"description", ""},
                      {"insecure", false},
                      {"status", "healthy"},
                      {"credential", json::object{{"type", "secret"}, {"access_secret", "*****"}}}};
}

// Reads a registry from Harbor's Registry body (create: nested credential) or RegistryUpdate
// and RegistryPing bodies (flat credential_type, access_key, access_secret).
base::Result<replication::RegistryInput, http::Response> registry_input(
    const json::object& body, const replication::RegistryInput* base) {
  replication::RegistryInput in = base != nullptr ? *base : replication::RegistryInput{};
  auto text = [&](const json::object& object, std::string_view key,
                  std::string& out) -> std::optional<http::Response> {
    auto value = string_member(object, key);
    if (!value) return std::move(value).error();
    if (*value) out = **value;
    return std::nullopt;
  };
  for (auto [key, out] : {std::pair<std::string_view, std::string*>{"name", &in.name},
                          {"type", &in.type},
                          {"url", &in.url},
                          {"description", &in.description},
                          {"credential_type", &in.credential_type},
                          {"access_key", &in.access_key}}) {
    if (auto bad = text(body, key, *out)) return std::move(*bad);
  }
  auto secret = string_member(body, "access_secret");
  if (!secret) return std::move(secret).error();
  if (*secret) in.access_secret = **secret;
  if (const auto* credential = body.if_contains("credential");
      credential != nullptr && credential->is_object()) {
    const auto& c = credential->as_object();
    if (auto bad = text(c, "type", in.credential_type)) return std::move(*bad);
    if (auto bad = text(c, "access_key", in.access_key)) return std::move(*bad);
    auto nested = string_member(c, "access_secret");
    if (!nested) return std::move(nested).error();
    if (*nested) in.access_secret = **nested;
  }
  auto insecure = bool_member(body, "insecure");
  if (!insecure) return std::move(insecure).error();
  if (*insecure) in.insecure = **insecure;
  return in;
}

replication::RegistryInput input_of(const meta::RegistryRecord& r) {
  replication::RegistryInput in;
  in.name = r.name;
  in.type = r.type;
  in.url = r.url;
  in.description = r.description;
  in.credential_type = r.credential_type;
  in.access_key = r.access_key;
  in.insecure = r.insecure;
  return in;  // access_secret nullopt: kept
}

// One page of the `items` whose name contains `name` (Harbor's fuzzy name parameter), as JSON.
template <class T, class ToJson>
http::Response named_page(Call& call, const PageParams& page, const std::string& name,
                          const std::vector<T>& items, ToJson to_json) {
  std::vector<const T*> matching;
  for (const auto& item : items)
    if (name.empty() || item.name.find(name) != std::string::npos) matching.push_back(&item);
  json::array out;
  const std::size_t from = (page.page - 1) * page.page_size;
  for (std::size_t i = from; i < matching.size() && i < from + page.page_size; ++i)
    out.push_back(to_json(*matching[i]));
  auto response = json_response(200, out);
  set_paging_headers(response, call.request(), page, static_cast<std::int64_t>(matching.size()));
  return response;
}

Awaitable list_registries(Call& call) {
  if (auto refused = refuse(call)) co_return std::move(*refused);
  auto page = parse_page(call.request());
  if (!page) co_return std::move(page).error();
  const std::string name = call.request().query_param("name").value_or("");
  co_return co_await blocking(call, [&]() -> http::Response {
    auto all = call.context.registries->list();
    if (!all) return internal_error("list registries", all.error());
    return named_page(call, *page, name, *all, registry_json);
  });
}

Awaitable create_registry(Call& call) {
  if (auto refused = refuse(call)) co_return std::move(*refused);
  auto body = co_await read_json_object(call);
  if (!body) co_return std::move(body).error();
  auto input = registry_input(*body, nullptr);
  if (!input) co_return std::move(input).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto id = call.context.registries->create(*input);
    if (!id) {
      if (id.error().code == base::Errc::already_exists) return error_response(409, id.error().message);
      return service_error("create registry", id.error());
    }
    call.context.iam.audit(call.caller, "create", "registry", input->name, "", true);
    return created_response("/registries/" + std::to_string(*id));
  });
}

Awaitable get_registry(Call& call) {
  if (auto refused = refuse(call)) co_return std::move(*refused);
  auto id = parse_id(call, "id");
  if (!id) co_return std::move(id).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto found = call.context.registries->get(*id);
    if (!found) return internal_error("read registry", found.error());
    if (!*found) return error_response(404, "registry " + std::to_string(*id) + " not found");
    return json_response(200, registry_json(**found));
  });
}

Awaitable update_registry(Call& call) {
  if (auto refused = refuse(call)) co_return std::move(*refused);
  auto id = parse_id(call, "id");
  if (!id) co_return std::move(id).error();
  auto body = co_await read_json_object(call);
  if (!body) co_return std::move(body).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto found = call.context.registries->get(*id);
    if (!found) return internal_error("read registry", found.error());
    if (!*found) return error_response(404, "registry " + std::to_string(*id) + " not found");
    const auto base = input_of(**found);
    auto input = registry_input(*body, &base);
    if (!input) return std::move(input).error();
    if (auto s = call.context.registries->update(*id, *input); !s) {
      if (s.error().code == base::Errc::already_exists) return error_response(409, s.error().message);
      return service_error("update registry", s.error());
    }
    call.context.iam.audit(call.caller, "update", "registry", input->name, "", true);
    return empty_response(200);
  });
}

Awaitable delete_registry(Call& call) {
  if (auto refused = refuse(call)) co_return std::move(*refused);
  auto id = parse_id(call, "id");
  if (!id) co_return std::move(id).error();
  if (call.context.proxy != nullptr && call.context.proxy->project_of(*id))
    co_return error_response(412, "the registry " + std::to_string(*id) +
                                      " is referenced by proxy cache project, cannot delete it");
  co_return co_await blocking(call, [&]() -> http::Response {
    if (auto s = call.context.registries->remove(*id); !s) {
      if (s.error().code == base::Errc::conflict) return error_response(412, s.error().message);
      return service_error("delete registry", s.error());
    }
    call.context.iam.audit(call.caller, "delete", "registry", std::to_string(*id), "", true);
    return empty_response(200);
  });
}

Awaitable ping_registry(Call& call) {
  if (auto refused = refuse(call)) co_return std::move(*refused);
  auto body = co_await read_json_object(call);
  if (!body) co_return std::move(body).error();
  auto input = registry_input(*body, nullptr);
  if (!input) co_return std::move(input).error();
  auto id = int_member(*body, "id");
  if (!id) co_return std::move(id).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    std::optional<std::int64_t> stored;
    if (*id && **id > 0) stored = **id;
    if (auto s = call.context.registries->ping(*input, stored); !s)
      return service_error("ping registry", s.error());
    return empty_response(200);
  });
}

Awaitable registry_info(Call& call) {
  if (auto refused = refuse(call)) co_return std::move(*refused);
  auto id = parse_id(call, "id");
  if (!id) co_return std::move(id).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto found = call.context.registries->get(*id);
    if (!found) return internal_error("read registry", found.error());
    if (!*found) return error_response(404, "registry " + std::to_string(*id) + " not found");
    json::array filters{
        json::object{{"type", "name"}, {"style", "input"}}, json::object{{"type", "tag"}, {"style", "input"}},
        json::object{{"type", "resource"}, {"style", "radio"}, {"values", json::array{"image", "artifact"}}}};
    return json_response(200, json::object{{"type", (*found)->type},
                                           {"description", (*found)->description},
                                           {"supported_resource_filters", std::move(filters)},
                                           {"supported_triggers", json::array{"manual", "scheduled"}},
                                           {"supported_copy_by_chunk", true}});
  });
}

Awaitable list_adapters(Call& call) {
  if (auto refused = refuse(call)) co_return std::move(*refused);
  json::array types;
  for (const auto& type : replication::adapter_types()) types.emplace_back(type);
  co_return json_response(200, types);
}

// --- policies ---

json::object policy_json(Call& call, const replication::Policy& p) {
  json::object out = replication::policy_json(p);
  auto side = [&](std::int64_t id) -> json::value {
    if (id == 0) return local_registry_json(call.context);
    auto found = call.context.registries->get(id);
    if (found && *found) return registry_json(**found);
    return json::object{{"id", id}};
  };
  out["src_registry"] = side(p.src_registry_id);
  out["dest_registry"] = side(p.dest_registry_id);
  out["creation_time"] = format_time(p.created);
  out["update_time"] = format_time(p.updated);
  return out;
}

http::Response policy_error(std::string_view what, const base::Error& error) {
  if (error.code == base::Errc::already_exists) return error_response(409, error.message);
  return service_error(what, error);
}

Awaitable list_policies(Call& call) {
  if (auto refused = refuse(call)) co_return std::move(*refused);
  auto page = parse_page(call.request());
  if (!page) co_return std::move(page).error();
  const std::string name = call.request().query_param("name").value_or("");
  co_return co_await blocking(call, [&]() -> http::Response {
    auto all = call.context.replication->list_policies();
    if (!all) return internal_error("list replication policies", all.error());
    return named_page(call, *page, name, *all,
                      [&](const replication::Policy& p) { return policy_json(call, p); });
  });
}

Awaitable create_policy(Call& call) {
  if (auto refused = refuse(call)) co_return std::move(*refused);
  auto body = co_await read_json_object(call);
  if (!body) co_return std::move(body).error();
  auto policy = replication::parse_policy(*body);
  if (!policy) co_return service_error("parse replication policy", policy.error());
  co_return co_await blocking(call, [&]() -> http::Response {
    auto id = call.context.replication->create_policy(*policy);
    if (!id) return policy_error("create replication policy", id.error());
    call.context.iam.audit(call.caller, "create", "replication_policy", policy->name, "", true);
    return created_response("/replication/policies/" + std::to_string(*id));
  });
}

Awaitable get_policy(Call& call) {
  if (auto refused = refuse(call)) co_return std::move(*refused);
  auto id = parse_id(call, "id");
  if (!id) co_return std::move(id).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto found = call.context.replication->get_policy(*id);
    if (!found) return internal_error("read replication policy", found.error());
    if (!*found) return error_response(404, "replication policy " + std::to_string(*id) + " not found");
    return json_response(200, policy_json(call, **found));
  });
}

Awaitable update_policy(Call& call) {
  if (auto refused = refuse(call)) co_return std::move(*refused);
  auto id = parse_id(call, "id");
  if (!id) co_return std::move(id).error();
  auto body = co_await read_json_object(call);
  if (!body) co_return std::move(body).error();
  auto policy = replication::parse_policy(*body);
  if (!policy) co_return service_error("parse replication policy", policy.error());
  policy->id = *id;
  co_return co_await blocking(call, [&]() -> http::Response {
    if (auto s = call.context.replication->update_policy(*policy); !s)
      return policy_error("update replication policy", s.error());
    call.context.iam.audit(call.caller, "update", "replication_policy", policy->name, "", true);
    return empty_response(200);
  });
}

Awaitable delete_policy(Call& call) {
  if (auto refused = refuse(call)) co_return std::move(*refused);
  auto id = parse_id(call, "id");
  if (!id) co_return std::move(id).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    if (auto s = call.context.replication->delete_policy(*id); !s)
      return service_error("delete replication policy", s.error());
    call.context.iam.audit(call.caller, "delete", "replication_policy", std::to_string(*id), "", true);
    return empty_response(200);
  });
}

// --- executions ---

json::object execution_json(const meta::ReplicationExecutionRecord& e) {
  return json::object{{"id", e.id},
                      {"policy_id", e.policy_id},
                      {"status", e.status},
                      {"status_text", e.status_text},
                      {"trigger", e.trigger},
                      {"start_time", format_time(e.started)},
                      {"end_time", e.ended ? format_time(*e.ended) : std::string()},
                      {"total", e.total},
                      {"failed", e.failed},
                      {"succeed", e.succeed},
                      {"in_progress", e.in_progress},
                      {"stopped", e.stopped}};
}

json::object task_json(const meta::ReplicationTaskRecord& t, const meta::ReplicationExecutionRecord& e) {
  return json::object{{"id", t.id},
                      {"execution_id", t.execution_id},
                      {"resource_type", t.resource_type},
                      {"src_resource", t.src_resource},
                      {"dst_resource", t.dst_resource},
                      {"job_id", e.job_id ? std::to_string(*e.job_id) : std::string()},
                      {"status", t.status},
                      {"operation", t.operation},
                      {"start_time", format_time(t.started)},
                      {"end_time", t.ended ? format_time(*t.ended) : std::string()}};
}

Awaitable start_execution(Call& call) {
  if (auto refused = refuse(call)) co_return std::move(*refused);
  auto body = co_await read_json_object(call);
  if (!body) co_return std::move(body).error();
  auto policy_id = int_member(*body, "policy_id");
  if (!policy_id) co_return std::move(policy_id).error();
  if (!*policy_id) co_return error_response(400, "policy_id is required");
  co_return co_await blocking(call, [&]() -> http::Response {
    auto id = call.context.replication->start(**policy_id);
    if (!id) {
      if (id.error().code == base::Errc::conflict) return error_response(412, id.error().message);
      return service_error("start replication", id.error());
    }
    call.context.iam.audit(call.caller, "create", "replication_execution", std::to_string(*id), "", true);
    return created_response("/replication/executions/" + std::to_string(*id));
  });
}

Awaitable list_executions(Call& call) {
  if (auto refused = refuse(call)) co_return std::move(*refused);
  auto page = parse_page(call.request());
  if (!page) co_return std::move(page).error();
  std::int64_t policy_id = 0;
  if (auto text = call.request().query_param("policy_id"); text && !text->empty()) {
    policy_id = std::atoll(text->c_str());
    if (policy_id <= 0) co_return error_response(400, "invalid policy_id " + *text);
  }
  const std::string status = call.request().query_param("status").value_or("");
  const std::string trigger = call.request().query_param("trigger").value_or("");
  co_return co_await blocking(call, [&]() -> http::Response {
    auto listed = call.context.replication->executions(policy_id, status, trigger,
                                                       (page->page - 1) * page->page_size, page->page_size);
    if (!listed) return internal_error("list replication executions", listed.error());
    json::array items;
    for (const auto& e : listed->items) items.push_back(execution_json(e));
    auto response = json_response(200, items);
    set_paging_headers(response, call.request(), *page, listed->total);
    return response;
  });
}

// The route's execution. Errors: 404.
base::Result<meta::ReplicationExecutionRecord, http::Response> route_execution(Call& call, std::int64_t id) {
  auto found = call.context.replication->execution(id);
  if (!found) return internal_error("read replication execution", found.error());
  if (!*found) return error_response(404, "replication execution " + std::to_string(id) + " not found");
  return std::move(**found);
}

Awaitable get_execution(Call& call) {
  if (auto refused = refuse(call)) co_return std::move(*refused);
  auto id = parse_id(call, "id");
  if (!id) co_return std::move(id).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto execution = route_execution(call, *id);
    if (!execution) return std::move(execution).error();
    return json_response(200, execution_json(*execution));
  });
}

Awaitable stop_execution(Call& call) {
  if (auto refused = refuse(call)) co_return std::move(*refused);
  auto id = parse_id(call, "id");
  if (!id) co_return std::move(id).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    if (auto s = call.context.replication->stop(*id); !s) return service_error("stop replication", s.error());
    call.context.iam.audit(call.caller, "stop", "replication_execution", std::to_string(*id), "", true);
    return empty_response(200);
  });
}

Awaitable list_tasks(Call& call) {
  if (auto refused = refuse(call)) co_return std::move(*refused);
  auto id = parse_id(call, "id");
  if (!id) co_return std::move(id).error();
  auto page = parse_page(call.request());
  if (!page) co_return std::move(page).error();
  const std::string status = call.request().query_param("status").value_or("");
  co_return co_await blocking(call, [&]() -> http::Response {
    auto execution = route_execution(call, *id);
    if (!execution) return std::move(execution).error();
    auto listed = call.context.replication_tasks->list_replication_tasks(
        *id, status, (page->page - 1) * page->page_size, page->page_size);
    if (!listed) return internal_error("list replication tasks", listed.error());
    json::array items;
    for (const auto& t : listed->items) items.push_back(task_json(t, *execution));
    auto response = json_response(200, items);
    set_paging_headers(response, call.request(), *page, listed->total);
    return response;
  });
}

Awaitable get_task_log(Call& call) {
  if (auto refused = refuse(call)) co_return std::move(*refused);
  auto id = parse_id(call, "id");
  if (!id) co_return std::move(id).error();
  auto task_id = parse_id(call, "tid");
  if (!task_id) co_return std::move(task_id).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto execution = route_execution(call, *id);
    if (!execution) return std::move(execution).error();
    auto task = call.context.replication_tasks->get_replication_task(*id, *task_id);
    if (!task) return internal_error("read replication task", task.error());
    if (!*task)
      return error_response(
          404, "execution " + std::to_string(*id) + " contains no task with ID " + std::to_string(*task_id));
    http::Response response = empty_response(200);
    response.headers.set("Content-Type", "text/plain; charset=utf-8");
    response.body = std::move((*task)->log);
    return response;
  });
}

}  // namespace

std::vector<Route> replication_routes() {
  using M = http::Method;
  return {
      {M::get, "/registries", list_registries},
      {M::post, "/registries", create_registry},
      {M::post, "/registries/ping", ping_registry},
      {M::get, "/registries/{id}", get_registry},
      {M::put, "/registries/{id}", update_registry},
      {M::del, "/registries/{id}", delete_registry},
      {M::get, "/registries/{id}/info", registry_info},
      {M::get, "/replication/adapters", list_adapters},
      {M::get, "/replication/policies", list_policies},
      {M::post, "/replication/policies", create_policy},
      {M::get, "/replication/policies/{id}", get_policy},
      {M::put, "/replication/policies/{id}", update_policy},
      {M::del, "/replication/policies/{id}", delete_policy},
      {M::get, "/replication/executions", list_executions},
      {M::post, "/replication/executions", start_execution},
      {M::get, "/replication/executions/{id}", get_execution},
      {M::put, "/replication/executions/{id}", stop_execution},
      {M::get, "/replication/executions/{id}/tasks", list_tasks},
      {M::get, "/replication/executions/{id}/tasks/{tid}/log", get_task_log},
  };
}

}  // namespace berth::api::rest
