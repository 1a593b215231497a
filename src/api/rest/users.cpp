// Harbor's /users API: local users, the current user and their permissions, user search.
// A user is shown as Harbor's UserResp, which never carries a password or its hash.
#include <boost/json/array.hpp>
#include <charconv>
#include <set>

#include "api/rest/rest.h"
#include "iam/permissions.h"

namespace berth::api::rest {
namespace {

boost::json::object user_json(const meta::User& user) {
  return boost::json::object{
      {"user_id", user.id},
      {"username", user.username},
      {"email", user.email},
      {"realname", user.realname},
      {"comment", user.comment},
      {"sysadmin_flag", user.sysadmin},
      {"admin_role_in_auth", false},
      {"creation_time", format_time(user.created)},
      {"update_time", format_time(user.updated)},
  };
}

http::Response status_response(const iam::Status& status) {
  return status ? empty_response(200) : error_response(status.error());
}

// POST /users (UserCreationReq): 201 with Location /api/v2.0/users/{id}.
Awaitable create_user(Call& call) {
  auto body = co_await read_json_object(call);
  if (!body) co_return std::move(body).error();
  iam::NewUser user;
  for (auto [name, field] : {std::pair{"username", &user.username}, std::pair{"email", &user.email},
                             std::pair{"realname", &user.realname}, std::pair{"comment", &user.comment},
                             std::pair{"password", &user.password}}) {
    auto value = string_member(*body, name);
    if (!value) co_return std::move(value).error();
    *field = value->value_or("");
  }
  auto created = co_await blocking(call, [&] { return call.context.iam.create_user(call.caller, user); });
  if (!created) co_return error_response(created.error());
  co_return created_response("/users/" + std::to_string(created->id));
}

// GET /users: system admins; q, sort, page, and Harbor's username/email fuzzy parameters.
Awaitable list_users(Call& call) {
  auto page = parse_page(call.request());
  if (!page) co_return std::move(page).error();
  auto query = parse_list_query(call.request(), *page);
  if (!query) co_return std::move(query).error();
  for (const char* name : {"username", "email"}) {
    if (auto value = call.request().query_param(name); value && !value->empty())
      query->filters.push_back(meta::Filter{name, meta::Filter::Kind::fuzzy, *value, {}, {}, {}});
  }
  auto users = co_await blocking(call, [&] { return call.context.iam.list_users(call.caller, *query); });
  if (!users) co_return error_response(users.error());
  boost::json::array items;
  for (const auto& user : users->items) items.push_back(user_json(user));
  http::Response response = json_response(200, items);
  set_paging_headers(response, call.request(), *page, users->total);
  co_return response;
}

// GET /users/current: the signed-in user (robots are not users: 412, as Harbor).
Awaitable current_user(Call& call) {
  if (call.caller.principal.kind != iam::Principal::Kind::user)
    co_return error_response(412, "the current user is only available to users, not robot accounts");
  auto user = co_await blocking(
      call, [&] { return call.context.iam.get_user(call.caller, call.caller.principal.id); });
  if (!user) co_return error_response(user.error());
  co_return json_response(200, user_json(*user));
}

// GET /users/current/permissions?scope=/project/{id}&relative=true: what the caller may
// do in that project, as Harbor's [{resource, action}] (resources relative to the scope
// when `relative` is true, else "/project/{id}/<resource>").
Awaitable current_permissions(Call& call) {
  const std::string scope = call.request().query_param("scope").value_or("");
  const std::string relative_text = call.request().query_param("relative").value_or("false");
  const bool relative = relative_text == "true" || relative_text == "1" || relative_text == "True";
  boost::json::array items;
  std::string_view id_text = scope;
  if (!id_text.starts_with("/project/")) co_return json_response(200, items);
  id_text.remove_prefix(9);
  if (id_text.ends_with('/')) id_text.remove_suffix(1);
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
  if (ec != std::errc() || end != id_text.data() + id_text.size() || id <= 0)
    co_return json_response(200, items);

  std::vector<iam::Permission> granted;
  co_await call.exchange.run_blocking([&] {
    auto project = call.context.iam.get_project(call.caller, std::to_string(id));
    if (!project) return;
    std::set<std::pair<std::string_view, std::string_view>> seen;
    for (auto role : {meta::Role::project_admin, meta::Role::maintainer, meta::Role::developer,
                      meta::Role::guest, meta::Role::limited_guest}) {
      for (const auto& permission : iam::role_permissions(role)) {
        if (!seen.emplace(permission.resource, permission.action).second) continue;
        if (call.context.iam.allowed(call.caller.principal, project->name, permission.resource,
                                     permission.action))
          granted.push_back(permission);
      }
    }
  });
  for (const auto& permission : granted) {
    std::string resource = relative
                               ? std::string(permission.resource)
                               : "/project/" + std::to_string(id) + "/" + std::string(permission.resource);
    items.push_back(boost::json::object{{"resource", resource}, {"action", permission.action}});
  }
  co_return json_response(200, items);
}

// GET /users/search?username=: any signed-in caller; [{user_id, username}].
Awaitable search_users(Call& call) {
  auto fragment = call.request().query_param("username");
  if (!fragment) co_return error_response(400, "the query parameter username is required");
  auto page = parse_page(call.request());
  if (!page) co_return std::move(page).error();
  auto users = co_await blocking(call, [&] {
    return call.context.iam.search_users(call.caller, *fragment, (page->page - 1) * page->page_size,
                                         page->page_size);
  });
  if (!users) co_return error_response(users.error());
  boost::json::array items;
  for (const auto& user : users->items)
    items.push_back(boost::json::object{{"user_id", user.id}, {"username", user.username}});
  http::Response response = json_response(200, items);
  set_paging_headers(response, call.request(), *page, users->total);
  co_return response;
}

Awaitable get_user(Call& call) {
  auto id = parse_id(call, "user_id");
  if (!id) co_return std::move(id).error();
  auto user = co_await blocking(call, [&] { return call.context.iam.get_user(call.caller, *id); });
  if (!user) co_return error_response(user.error());
  co_return json_response(200, user_json(*user));
}

// PUT /users/{user_id} (UserProfile): email, realname and comment only.
Awaitable update_user(Call& call) {
  auto id = parse_id(call, "user_id");
  if (!id) co_return std::move(id).error();
  auto body = co_await read_json_object(call);
  if (!body) co_return std::move(body).error();
  iam::UserProfile profile;
  for (auto [name, field] : {std::pair{"email", &profile.email}, std::pair{"realname", &profile.realname},
                             std::pair{"comment", &profile.comment}}) {
    auto value = string_member(*body, name);
    if (!value) co_return std::move(value).error();
    *field = std::move(*value);
  }
  auto updated =
      co_await blocking(call, [&] { return call.context.iam.update_user(call.caller, *id, profile); });
  co_return status_response(updated);
}

Awaitable delete_user(Call& call) {
  auto id = parse_id(call, "user_id");
  if (!id) co_return std::move(id).error();
  auto deleted = co_await blocking(call, [&] { return call.context.iam.delete_user(call.caller, *id); });
  co_return status_response(deleted);
}

// PUT /users/{user_id}/sysadmin ({"sysadmin_flag": bool}).
Awaitable set_sysadmin(Call& call) {
  auto id = parse_id(call, "user_id");
  if (!id) co_return std::move(id).error();
  auto body = co_await read_json_object(call);
  if (!body) co_return std::move(body).error();
  auto flag = bool_member(*body, "sysadmin_flag");
  if (!flag) co_return std::move(flag).error();
  if (!*flag) co_return error_response(400, "sysadmin_flag is required");
  auto updated =
      co_await blocking(call, [&] { return call.context.iam.set_sysadmin(call.caller, *id, **flag); });
  co_return status_response(updated);
}

// PUT /users/{user_id}/password ({"old_password", "new_password"}).
Awaitable change_password(Call& call) {
  auto id = parse_id(call, "user_id");
  if (!id) co_return std::move(id).error();
  auto body = co_await read_json_object(call);
  if (!body) co_return std::move(body).error();
  auto old_password = string_member(*body, "old_password");
  if (!old_password) co_return std::move(old_password).error();
  auto new_password = string_member(*body, "new_password");
  if (!new_password) co_return std::move(new_password).error();
  if (!*new_password) co_return error_response(400, "new_password is required");
  auto changed = co_await blocking(call, [&] {
    return call.context.iam.change_password(call.caller, *id, old_password->value_or(""), **new_password);
  });
  co_return status_response(changed);
}

}  // namespace

std::vector<Route> user_routes() {
  using http::Method;
  return {
      {Method::post, "/users", create_user},
      {Method::get, "/users", list_users},
      {Method::get, "/users/current", current_user},
      {Method::get, "/users/current/permissions", current_permissions},
      {Method::get, "/users/search", search_users},
      {Method::get, "/users/{user_id}", get_user},
      {Method::put, "/users/{user_id}", update_user},
      {Method::del, "/users/{user_id}", delete_user},
      {Method::put, "/users/{user_id}/sysadmin", set_sysadmin},
      {Method::put, "/users/{user_id}/password", change_password},
  };
}

}  // namespace berth::api::rest
