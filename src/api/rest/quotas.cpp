// Harbor's /quotas API: each project's storage quota (hard) and usage (used). System
// administrators only, as Harbor.
#include <boost/json/array.hpp>

#include "api/rest/rest.h"

namespace berth::api::rest {
namespace {

http::Response unavailable() {
  return error_response(503, "quotas are not available");
}

std::optional<http::Response> refuse_non_admin(const Call& call) {
  if (call.caller.principal.sysadmin) return std::nullopt;
  return error_response(403, "only system administrators may manage quotas");
}

boost::json::object quota_json(const meta::Quota& quota) {
  return boost::json::object{
      {"id", quota.id},
      {"ref",
       boost::json::object{
           {"id", quota.project_id}, {"name", quota.project_name}, {"owner_name", quota.owner_name}}},
      {"hard", boost::json::object{{"storage", quota.hard}}},
      {"used", boost::json::object{{"storage", quota.used}}},
      {"creation_time", format_time(quota.created)},
      {"update_time", format_time(quota.updated)},
  };
}

// GET /quotas?reference=project&reference_id=&sort=&page=&page_size=
Awaitable list_quotas(Call& call) {
  if (call.context.limits == nullptr) co_return unavailable();
  if (auto refused = refuse_non_admin(call)) co_return std::move(*refused);
  auto page = parse_page(call.request());
  if (!page) co_return std::move(page).error();
  auto query = parse_list_query(call.request(), *page);
  if (!query) co_return std::move(query).error();
  for (const char* name : {"reference", "reference_id"})
    if (auto value = call.request().query_param(name); value && !value->empty())
      query->filters.push_back(meta::Filter{name, meta::Filter::Kind::exact, *value, {}, {}, {}});
  co_return co_await blocking(call, [&]() -> http::Response {
    auto listed = call.context.limits->list_quotas(*query);
    if (!listed) {
      if (listed.error().code == base::Errc::invalid_argument)
        return error_response(400, listed.error().message);
      return internal_error("list quotas", listed.error());
    }
    boost::json::array items;
    for (const auto& quota : listed->items) items.push_back(quota_json(quota));
    auto response = json_response(200, items);
    set_paging_headers(response, call.request(), *page, listed->total);
    return response;
  });
}

// GET /quotas/{id}
Awaitable get_quota(Call& call) {
  if (call.context.limits == nullptr) co_return unavailable();
  if (auto refused = refuse_non_admin(call)) co_return std::move(*refused);
  auto id = parse_id(call, "id");
  if (!id) co_return std::move(id).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto quota = call.context.limits->get_quota(*id);
    if (!quota) return internal_error("get quota", quota.error());
    if (!*quota) return error_response(404, "quota " + std::to_string(*id) + " not found");
    return json_response(200, quota_json(**quota));
  });
}

// PUT /quotas/{id} {"hard": {"storage": N}}: N bytes, or -1 for no limit. A limit below what
// the project uses already is allowed: the project then takes no new pushes, and deletes go on.
Awaitable update_quota(Call& call) {
  if (call.context.limits == nullptr) co_return unavailable();
  if (auto refused = refuse_non_admin(call)) co_return std::move(*refused);
  auto id = parse_id(call, "id");
  if (!id) co_return std::move(id).error();
  auto body = co_await read_json_object(call);
  if (!body) co_return std::move(body).error();
  // Harbor's checks and messages.
  const auto* hard = body->if_contains("hard");
  if (hard == nullptr || !hard->is_object() || hard->get_object().empty())
    co_return error_response(400, "hard required in body");
  for (const auto& entry : hard->get_object())
    if (entry.key() != "storage")
      co_return error_response(400, "resource " + std::string(entry.key()) + " not support");
  auto storage = int_member(hard->get_object(), "storage");
  if (!storage) co_return std::move(storage).error();
  if (!*storage || **storage < -1 || **storage == 0)
    co_return error_response(400, "invalid value for resource storage");
  co_return co_await blocking(call, [&]() -> http::Response {
    auto quota = call.context.limits->get_quota(*id);
    if (!quota) return internal_error("get quota", quota.error());
    if (!*quota) return error_response(404, "quota " + std::to_string(*id) + " not found");
    if (auto s = call.context.limits->set_quota(*id, **storage); !s) {
      if (s.error().code == base::Errc::not_found) return error_response(404, s.error().message);
      return internal_error("update quota", s.error());
    }
    call.context.iam.audit(call.caller, "update", "quota", (*quota)->project_name, (*quota)->project_name,
                           true, "storage=" + std::to_string(**storage));
    return empty_response(200);
  });
}

}  // namespace

std::vector<Route> quota_routes() {
  using http::Method;
  return {
      {Method::get, "/quotas", list_quotas},
      {Method::get, "/quotas/{id}", get_quota},
      {Method::put, "/quotas/{id}", update_quota},
  };
}

}  // namespace berth::api::rest
