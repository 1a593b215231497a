// The audit log: Harbor's /audit-logs (system admins) and /projects/{project_name}/logs
// (log:list in the project), and Harbor 2.13's /auditlog-exts and
// /projects/{project_name}/auditlog-exts. Every answer uses one shape: Harbor's AuditLog
// (id, username, resource, resource_type, operation, op_time) with the AuditLogExt
// fields (operation_description, operation_result) and the client address.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <string>
#include <utility>

#include "api/rest/rest.h"

namespace berth::api::rest {
namespace {

namespace json = boost::json;

json::object audit_json(const meta::AuditRecord& record) {
  json::object out;
  out["id"] = record.id;
  out["username"] = record.username;
  out["resource"] = record.resource;
  out["resource_type"] = record.resource_type;
  out["operation"] = record.operation;
  out["op_time"] = format_time(record.time);
  out["client_ip"] = record.client_ip;
  out["operation_description"] = record.description;
  out["operation_result"] = record.result == "success";
  return out;
}

// Harbor's filter on the result of an operation is "operation_result=true|false".
void normalize_audit_fields(meta::ListQuery& query) {
  for (auto& filter : query.filters) {
    if (filter.field != "operation_result") continue;
    filter.field = "result";
    if (filter.kind == meta::Filter::Kind::exact)
      filter.value = filter.value == "true" ? "success" : filter.value == "false" ? "failure" : filter.value;
  }
}

http::Response audit_page(const Call& call, const PageParams& page,
                          const iam::Result<meta::Listing<meta::AuditRecord>>& listing) {
  if (!listing) return error_response(listing.error());
  json::array items;
  for (const auto& record : listing->items) items.push_back(audit_json(record));
  http::Response response = json_response(200, items);
  set_paging_headers(response, call.request(), page, listing->total);
  return response;
}

Awaitable list_audit_logs(Call& call) {
  auto page = parse_page(call.request());
  if (!page) co_return std::move(page).error();
  auto query = parse_list_query(call.request(), *page);
  if (!query) co_return std::move(query).error();
  normalize_audit_fields(*query);
  auto listing = co_await blocking(call, [&] { return call.context.iam.list_audit(call.caller, *query); });
  co_return audit_page(call, *page, listing);
}

Awaitable list_project_logs(Call& call) {
  auto page = parse_page(call.request());
  if (!page) co_return std::move(page).error();
  auto query = parse_list_query(call.request(), *page);
  if (!query) co_return std::move(query).error();
  normalize_audit_fields(*query);
  auto listing = co_await blocking(call, [&] {
    return call.context.iam.list_project_audit(call.caller, call.param("project_name"), *query);
  });
  co_return audit_page(call, *page, listing);
}

}  // namespace

std::vector<Route> audit_routes() {
  using http::Method;
  return {
      {Method::get, "/audit-logs", list_audit_logs},
      {Method::get, "/auditlog-exts", list_audit_logs},
      {Method::get, "/projects/{project_name}/logs", list_project_logs},
      {Method::get, "/projects/{project_name}/auditlog-exts", list_project_logs},
  };
}

}  // namespace berth::api::rest
