// Harbor's /projects/{p}/members API: a project's user members and their roles, shown as
// Harbor's ProjectMemberEntity (entity_type "u"; Berth has no user groups).
#include <boost/json/array.hpp>

#include "api/rest/rest.h"
#include "iam/permissions.h"

namespace berth::api::rest {
namespace {

boost::json::object member_json(const meta::Member& member) {
  return boost::json::object{
      {"id", member.id},
      {"project_id", member.project_id},
      {"entity_name", member.username},
      {"role_name", iam::role_name(member.role)},
      {"role_id", static_cast<int>(member.role)},
      {"entity_id", member.user_id},
      {"entity_type", "u"},
  };
}

http::Response status_response(const iam::Status& status) {
  return status ? empty_response(200) : error_response(status.error());
}

// The role_id of a request body (Harbor's ids 1..5). Errors: a 400 response.
base::Result<meta::Role, http::Response> request_role(const boost::json::object& body) {
  auto id = int_member(body, "role_id");
  if (!id) return std::move(id).error();
  if (!*id) return error_response(400, "role_id is required");
  auto role = **id >= 1 && **id <= 5 ? iam::role_from_id(static_cast<int>(**id)) : std::nullopt;
  if (!role) return error_response(400, "invalid role_id: " + std::to_string(**id));
  return *role;
}

// GET /projects/{p}/members?entityname=: page, and entityname as a fuzzy user-name filter.
Awaitable list_members(Call& call) {
  auto reference = co_await project_name_or_id(call);
  if (!reference) co_return std::move(reference).error();
  auto page = parse_page(call.request());
  if (!page) co_return std::move(page).error();
  meta::ListQuery query;
  query.offset = (page->page - 1) * page->page_size;
  query.limit = page->page_size;
  if (auto name = call.request().query_param("entityname"); name && !name->empty())
    query.filters.push_back(meta::Filter{"entityname", meta::Filter::Kind::fuzzy, *name, {}, {}, {}});
  auto members =
      co_await blocking(call, [&] { return call.context.iam.list_members(call.caller, *reference, query); });
  if (!members) co_return error_response(members.error());
  boost::json::array items;
  for (const auto& member : members->items) items.push_back(member_json(member));
  http::Response response = json_response(200, items);
  set_paging_headers(response, call.request(), *page, members->total);
  co_return response;
}

// POST /projects/{p}/members ({"role_id", "member_user": {"user_id" | "username"}}):
// 201 with Location /api/v2.0/projects/{p}/members/{id}.
Awaitable add_member(Call& call) {
  auto reference = co_await project_name_or_id(call);
  if (!reference) co_return std::move(reference).error();
  auto body = co_await read_json_object(call);
  if (!body) co_return std::move(body).error();
  if (const auto* group = body->if_contains("member_group"); group != nullptr && !group->is_null())
    co_return error_response(400, "user groups are not supported; give member_user");
  auto role = request_role(*body);
  if (!role) co_return std::move(role).error();
  const auto* user = body->if_contains("member_user");
  if (user == nullptr || !user->is_object()) co_return error_response(400, "member_user is required");
  auto user_id = int_member(user->get_object(), "user_id");
  if (!user_id) co_return std::move(user_id).error();
  auto username = string_member(user->get_object(), "username");
  if (!username) co_return std::move(username).error();
  const std::int64_t id = user_id->value_or(0);
  const std::string name = username->value_or("");
  if (id < 0 || (id == 0 && name.empty()))
    co_return error_response(400, "member_user needs a user_id or a username");
  auto member = co_await blocking(
      call, [&] { return call.context.iam.add_member(call.caller, *reference, id, name, *role); });
  if (!member) co_return error_response(member.error());
  co_return created_response("/projects/" + call.param("project_name_or_id") + "/members/" +
                             std::to_string(member->id));
}

Awaitable get_member(Call& call) {
  auto reference = co_await project_name_or_id(call);
  if (!reference) co_return std::move(reference).error();
  auto id = parse_id(call, "mid");
  if (!id) co_return std::move(id).error();
  auto member =
      co_await blocking(call, [&] { return call.context.iam.get_member(call.caller, *reference, *id); });
  if (!member) co_return error_response(member.error());
  co_return json_response(200, member_json(*member));
}

// PUT /projects/{p}/members/{mid} ({"role_id"}).
Awaitable update_member(Call& call) {
  auto reference = co_await project_name_or_id(call);
  if (!reference) co_return std::move(reference).error();
  auto id = parse_id(call, "mid");
  if (!id) co_return std::move(id).error();
  auto body = co_await read_json_object(call);
  if (!body) co_return std::move(body).error();
  auto role = request_role(*body);
  if (!role) co_return std::move(role).error();
  auto updated = co_await blocking(
      call, [&] { return call.context.iam.update_member(call.caller, *reference, *id, *role); });
  co_return status_response(updated);
}

Awaitable remove_member(Call& call) {
  auto reference = co_await project_name_or_id(call);
  if (!reference) co_return std::move(reference).error();
  auto id = parse_id(call, "mid");
  if (!id) co_return std::move(id).error();
  auto removed =
      co_await blocking(call, [&] { return call.context.iam.remove_member(call.caller, *reference, *id); });
  co_return status_response(removed);
}

}  // namespace

std::vector<Route> member_routes() {
  using http::Method;
  return {
      {Method::get, "/projects/{project_name_or_id}/members", list_members},
      {Method::post, "/projects/{project_name_or_id}/members", add_member},
      {Method::get, "/projects/{project_name_or_id}/members/{mid}", get_member},
      {Method::put, "/projects/{project_name_or_id}/members/{mid}", update_member},
      {Method::del, "/projects/{project_name_or_id}/members/{mid}", remove_member},
  };
}

}  // namespace berth::api::rest
