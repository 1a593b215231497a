// Harbor's /users API as a Harbor user or tool sees it: UserResp shapes without secrets,
// paging headers, who may list, create, change and delete users, password rules, the
// current user and their permissions in a project.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <set>

#include "harbor_api.h"

namespace berth::integration {
namespace {

namespace json = boost::json;

const HeaderList kJson = {{"Content-Type", "application/json"}};

bool is_time(const json::value& object, std::string_view key) {
  const std::string text = text_of(object, key);
  return text.size() == 24 && text[4] == '-' && text[10] == 'T' && text.back() == 'Z';
}

// No response may ever show a password or a password hash.
void expect_no_secret(const Response& response) {
  EXPECT_EQ(response.body.find("password"), std::string::npos) << response;
  EXPECT_EQ(response.body.find("$argon2"), std::string::npos) << response;
  EXPECT_EQ(response.body.find(kUserPassword), std::string::npos) << response;
}

std::string users_path(std::int64_t id, std::string_view suffix = "") {
  return std::string(kApi) + "/users/" + std::to_string(id) + std::string(suffix);
}

class UsersApiTest : public HarborApiTest {
 protected:
  Response post_user(const json::object& body) {
    return client().post(std::string(kApi) + "/users", json::serialize(body), kJson);
  }
  json::object user_body(const std::string& name) {
    return {{"username", name},
            {"email", name + "@example.com"},
            {"realname", "Test User"},
            {"password", kUserPassword},
            {"comment", "made by a test"}};
  }
  std::set<std::string> permissions_of(HttpClient& as, std::int64_t project_id, bool relative) {
    Response r = as.get(std::string(kApi) + "/users/current/permissions?scope=/project/" +
                        std::to_string(project_id) + "&relative=" + (relative ? "true" : "false"));
    EXPECT_EQ(r.status, 200) << r;
    std::set<std::string> out;
    json::value body = json_of(r);
    if (!body.is_array()) return out;
    for (const auto& item : body.as_array())
      out.insert(text_of(item, "resource") + ":" + text_of(item, "action"));
    return out;
  }
};

TEST_F(UsersApiTest, CreatedUserHasHarborShapeAndNoSecret) {
  const std::string name = unique_name("user");
  Response created = post_user(user_body(name));
  ASSERT_EQ(created.status, 201) << created;
  const std::string location = created.header("Location");
  ASSERT_TRUE(location.starts_with("/api/v2.0/users/")) << created;
  expect_no_secret(created);

  Response got = client().get(location);
  ASSERT_EQ(got.status, 200) << got;
  json::value user = json_of(got);
  EXPECT_EQ(std::to_string(int_of(user, "user_id").value_or(0)), location.substr(location.rfind('/') + 1));
  EXPECT_EQ(text_of(user, "username"), name);
  EXPECT_EQ(text_of(user, "email"), name + "@example.com");
  EXPECT_EQ(text_of(user, "realname"), "Test User");
  EXPECT_EQ(text_of(user, "comment"), "made by a test");
  ASSERT_TRUE(user.as_object().contains("sysadmin_flag")) << got;
  EXPECT_FALSE(user.at("sysadmin_flag").as_bool());
  EXPECT_FALSE(user.at("admin_role_in_auth").as_bool());
  EXPECT_TRUE(is_time(user, "creation_time")) << got;
  EXPECT_TRUE(is_time(user, "update_time")) << got;
  expect_no_secret(got);

  Response listed = client().get(std::string(kApi) + "/users?q=username%3D" + name);
  ASSERT_EQ(listed.status, 200) << listed;
  ASSERT_TRUE(json_of(listed).is_array()) << listed;
  EXPECT_EQ(json_of(listed).as_array().size(), 1u) << listed;
  expect_no_secret(listed);
}

TEST_F(UsersApiTest, ListPagesWithTotalCountAndLinks) {
  const std::string prefix = unique_name("page");
  for (int i = 0; i < 3; ++i) create_user(prefix + "-" + std::to_string(i));
  const std::string base = std::string(kApi) + "/users?q=username%3D~" + prefix + "&sort=username";

  Response first = client().get(base + "&page=1&page_size=2");
  ASSERT_EQ(first.status, 200) << first;
  EXPECT_EQ(first.header("X-Total-Count"), "3") << first;
  ASSERT_TRUE(json_of(first).is_array());
  ASSERT_EQ(json_of(first).as_array().size(), 2u) << first;
  EXPECT_EQ(text_of(json_of(first).as_array()[0], "username"), prefix + "-0");
  const std::string link = first.header("Link");
  EXPECT_NE(link.find("rel=\"next\""), std::string::npos) << link;
  EXPECT_EQ(link.find("rel=\"prev\""), std::string::npos) << link;
  EXPECT_NE(link.find("page=2"), std::string::npos) << link;
  EXPECT_NE(link.find("page_size=2"), std::string::npos) << link;
  EXPECT_NE(link.find(prefix), std::string::npos) << "the Link keeps the query: " << link;
  EXPECT_TRUE(link.starts_with("</api/v2.0/users?")) << link;

  Response second = client().get(base + "&page=2&page_size=2");
  ASSERT_EQ(second.status, 200) << second;
  ASSERT_EQ(json_of(second).as_array().size(), 1u) << second;
  EXPECT_NE(second.header("Link").find("rel=\"prev\""), std::string::npos) << second;
  EXPECT_EQ(second.header("Link").find("rel=\"next\""), std::string::npos) << second;
}

TEST_F(UsersApiTest, BadPagingAndQueriesAre400) {
  const std::string users = std::string(kApi) + "/users";
  EXPECT_TRUE(IsHarborError(client().get(users + "?page_size=101"), 400, "BAD_REQUEST"));
  EXPECT_TRUE(IsHarborError(client().get(users + "?page_size=0"), 400, "BAD_REQUEST"));
  EXPECT_TRUE(IsHarborError(client().get(users + "?page=0"), 400, "BAD_REQUEST"));
  EXPECT_TRUE(IsHarborError(client().get(users + "?page=x"), 400, "BAD_REQUEST"));
  EXPECT_TRUE(IsHarborError(client().get(users + "?q=username"), 400, "BAD_REQUEST"));
  EXPECT_TRUE(IsHarborError(client().get(users + "?q=username%3D%28a%20b%29"), 400, "BAD_REQUEST"));
  EXPECT_TRUE(IsHarborError(client().get(users + "?q=creation_time%3D%5B~%5D"), 400, "BAD_REQUEST"));
}

TEST_F(UsersApiTest, OnlySystemAdminsListAndCreateUsers) {
  const std::string name = unique_name("plain");
  create_user(name);
  auto user = client_as(name, kUserPassword);
  EXPECT_TRUE(IsHarborError(user->get(std::string(kApi) + "/users"), 403, "FORBIDDEN"));
  EXPECT_TRUE(IsHarborError(
      user->post(std::string(kApi) + "/users", json::serialize(user_body(unique_name("x"))), kJson), 403,
      "FORBIDDEN"));

  auto anonymous = client_as("", "");
  Response r = anonymous->get(std::string(kApi) + "/users");
  EXPECT_TRUE(IsHarborError(r, 401, "UNAUTHORIZED"));
  // Harbor answers the API without a challenge, so that browsers show no login dialog.
  EXPECT_FALSE(r.has_header("WWW-Authenticate")) << r;
}

TEST_F(UsersApiTest, WrongCredentialsAre401WithoutChallenge) {
  auto wrong = client_as("admin", "not-the-password");
  Response r = wrong->get(std::string(kApi) + "/users/current");
  EXPECT_TRUE(IsHarborError(r, 401, "UNAUTHORIZED"));
  EXPECT_FALSE(r.has_header("WWW-Authenticate")) << r;
}

TEST_F(UsersApiTest, CurrentUserIsTheSignedInOne) {
  const std::string name = unique_name("me");
  const std::int64_t id = create_user(name);
  auto user = client_as(name, kUserPassword);
  Response me = user->get(std::string(kApi) + "/users/current");
  ASSERT_EQ(me.status, 200) << me;
  EXPECT_EQ(text_of(json_of(me), "username"), name);
  EXPECT_EQ(int_of(json_of(me), "user_id"), id);
  EXPECT_FALSE(json_of(me).at("sysadmin_flag").as_bool());
  expect_no_secret(me);

  Response admin = client().get(std::string(kApi) + "/users/current");
  ASSERT_EQ(admin.status, 200) << admin;
  EXPECT_EQ(text_of(json_of(admin), "username"), "admin");
  EXPECT_TRUE(json_of(admin).at("sysadmin_flag").as_bool());

  EXPECT_TRUE(
      IsHarborError(client_as("", "")->get(std::string(kApi) + "/users/current"), 401, "UNAUTHORIZED"));
}

TEST_F(UsersApiTest, DuplicateUserIs409) {
  const std::string name = unique_name("dup");
  ASSERT_EQ(post_user(user_body(name)).status, 201);
  EXPECT_TRUE(IsHarborError(post_user(user_body(name)), 409, "CONFLICT"));
}

TEST_F(UsersApiTest, InvalidUsersAre400) {
  const std::string base = unique_name("bad");
  for (const std::string& name :
       {base + ",x", base + "~x", base + "#x", base + "%x", base + "$x", base + ":x", base + "\"x",
        std::string("robot$") + base, std::string(), std::string(256, 'a')}) {
    EXPECT_TRUE(IsHarborError(post_user(user_body(name)), 400, "BAD_REQUEST")) << "username " << name;
  }
  json::object weak = user_body(base + "-weak");
  weak["password"] = "short";
  EXPECT_TRUE(IsHarborError(post_user(weak), 400, "BAD_REQUEST"));
  json::object lower = user_body(base + "-lower");
  lower["password"] = "alllowercase1";
  EXPECT_TRUE(IsHarborError(post_user(lower), 400, "BAD_REQUEST"));
  json::object email = user_body(base + "-mail");
  email["email"] = "not an email";
  EXPECT_TRUE(IsHarborError(post_user(email), 400, "BAD_REQUEST"));
  json::object typed = user_body(base + "-typed");
  typed["username"] = 42;
  EXPECT_TRUE(IsHarborError(post_user(typed), 400, "BAD_REQUEST"));
  EXPECT_TRUE(
      IsHarborError(client().post(std::string(kApi) + "/users", "{not json", kJson), 400, "BAD_REQUEST"));

  json::object no_email = user_body(base + "-noemail");
  no_email.erase("email");
  EXPECT_EQ(post_user(no_email).status, 201) << "the email is optional";
}

TEST_F(UsersApiTest, UsersEditTheirOwnProfileOnly) {
  const std::string name = unique_name("self");
  const std::int64_t id = create_user(name);
  const std::int64_t other = create_user(unique_name("other"));
  auto user = client_as(name, kUserPassword);
  json::object profile{{"email", name + "@example.org"}, {"realname", "New Name"}, {"comment", "updated"}};
  Response updated = user->put(users_path(id), json::serialize(profile), kJson);
  ASSERT_EQ(updated.status, 200) << updated;
  Response got = user->get(users_path(id));
  ASSERT_EQ(got.status, 200) << got;
  EXPECT_EQ(text_of(json_of(got), "email"), name + "@example.org");
  EXPECT_EQ(text_of(json_of(got), "realname"), "New Name");
  EXPECT_EQ(text_of(json_of(got), "comment"), "updated");

  EXPECT_TRUE(IsHarborError(user->put(users_path(other), json::serialize(profile), kJson), 403, "FORBIDDEN"));
  EXPECT_TRUE(IsHarborError(user->get(users_path(other)), 403, "FORBIDDEN"));
  EXPECT_EQ(client().put(users_path(other), R"({"realname":"By Admin"})", kJson).status, 200);
  EXPECT_TRUE(IsHarborError(client().get(users_path(987654321)), 404, "NOT_FOUND"));
  EXPECT_TRUE(IsHarborError(client().get(std::string(kApi) + "/users/abc"), 400, "BAD_REQUEST"));
}

TEST_F(UsersApiTest, PasswordChangeFollowsHarborsRules) {
  const std::string name = unique_name("pw");
  const std::int64_t id = create_user(name);
  auto user = client_as(name, kUserPassword);
  const std::string path = users_path(id, "/password");
  const std::string next = "Changed-Pass-34";

  EXPECT_TRUE(IsHarborError(
      user->put(path, json::serialize(json::object{{"old_password", "Wrong-Pass-1"}, {"new_password", next}}),
                kJson),
      403, "FORBIDDEN"));
  EXPECT_TRUE(IsHarborError(
      user->put(path,
                json::serialize(json::object{{"old_password", kUserPassword}, {"new_password", "weak"}}),
                kJson),
      400, "BAD_REQUEST"));
  EXPECT_TRUE(IsHarborError(user->put(path,
                                      json::serialize(json::object{{"old_password", kUserPassword},
                                                                   {"new_password", kUserPassword}}),
                                      kJson),
                            400, "BAD_REQUEST"));
  Response changed = user->put(
      path, json::serialize(json::object{{"old_password", kUserPassword}, {"new_password", next}}), kJson);
  ASSERT_EQ(changed.status, 200) << changed;
  expect_no_secret(changed);

  EXPECT_EQ(client_as(name, kUserPassword)->get(std::string(kApi) + "/users/current").status, 401);
  EXPECT_EQ(client_as(name, next)->get(std::string(kApi) + "/users/current").status, 200);

  // A system admin sets another user's password without the old one.
  Response reset = client().put(path, json::serialize(json::object{{"new_password", kUserPassword}}), kJson);
  EXPECT_EQ(reset.status, 200) << reset;
  EXPECT_EQ(client_as(name, kUserPassword)->get(std::string(kApi) + "/users/current").status, 200);

  // Nobody else may.
  const std::string stranger = unique_name("stranger");
  create_user(stranger);
  EXPECT_TRUE(IsHarborError(client_as(stranger, kUserPassword)
                                ->put(path, json::serialize(json::object{{"new_password", next}}), kJson),
                            403, "FORBIDDEN"));
}

TEST_F(UsersApiTest, SysadminFlagIsForAdminsAndNotForOneself) {
  const std::string name = unique_name("promo");
  const std::int64_t id = create_user(name);
  auto user = client_as(name, kUserPassword);
  EXPECT_TRUE(IsHarborError(user->put(users_path(id, "/sysadmin"), R"({"sysadmin_flag":true})", kJson), 403,
                            "FORBIDDEN"));
  ASSERT_EQ(client().put(users_path(id, "/sysadmin"), R"({"sysadmin_flag":true})", kJson).status, 200);
  EXPECT_EQ(user->get(std::string(kApi) + "/users").status, 200) << "now a system admin";
  EXPECT_TRUE(json_of(user->get(users_path(id))).at("sysadmin_flag").as_bool());
  // An admin cannot demote themselves.
  EXPECT_TRUE(IsHarborError(user->put(users_path(id, "/sysadmin"), R"({"sysadmin_flag":false})", kJson), 403,
                            "FORBIDDEN"));
  ASSERT_EQ(client().put(users_path(id, "/sysadmin"), R"({"sysadmin_flag":false})", kJson).status, 200);
  EXPECT_EQ(user->get(std::string(kApi) + "/users").status, 403);
  EXPECT_TRUE(IsHarborError(client().put(users_path(id, "/sysadmin"), R"({"sysadmin_flag":"yes"})", kJson),
                            400, "BAD_REQUEST"));
}

TEST_F(UsersApiTest, DeletedUserIsGoneAndAdminsCannotDeleteThemselves) {
  const std::string name = unique_name("gone");
  const std::int64_t id = create_user(name);
  EXPECT_TRUE(IsHarborError(client_as(name, kUserPassword)->del(users_path(id)), 403, "FORBIDDEN"));
  ASSERT_EQ(client().del(users_path(id)).status, 200);
  EXPECT_TRUE(IsHarborError(client().get(users_path(id)), 404, "NOT_FOUND"));
  EXPECT_EQ(client_as(name, kUserPassword)->get(std::string(kApi) + "/users/current").status, 401);
  EXPECT_TRUE(IsHarborError(client().del(users_path(id)), 404, "NOT_FOUND"));

  Response me = client().get(std::string(kApi) + "/users/current");
  const std::int64_t admin_id = int_of(json_of(me), "user_id").value_or(0);
  EXPECT_TRUE(IsHarborError(client().del(users_path(admin_id)), 403, "FORBIDDEN"));
}

TEST_F(UsersApiTest, SearchIsOpenToSignedInUsersAndShowsIdAndNameOnly) {
  const std::string prefix = unique_name("find");
  const std::int64_t id = create_user(prefix + "-a");
  create_user(prefix + "-b");
  const std::string searcher = unique_name("searcher");
  create_user(searcher);
  auto user = client_as(searcher, kUserPassword);
  Response found = user->get(std::string(kApi) + "/users/search?username=" + prefix + "&page_size=1");
  ASSERT_EQ(found.status, 200) << found;
  EXPECT_EQ(found.header("X-Total-Count"), "2") << found;
  const json::value items = json_of(found);
  ASSERT_TRUE(items.is_array());
  ASSERT_EQ(items.as_array().size(), 1u) << found;
  const json::object& item = items.as_array()[0].as_object();
  EXPECT_EQ(item.size(), 2u) << found;
  EXPECT_TRUE(item.contains("user_id") && item.contains("username")) << found;
  EXPECT_NE(found.header("Link").find("rel=\"next\""), std::string::npos) << found;
  Response exact = user->get(std::string(kApi) + "/users/search?username=" + prefix + "-a");
  ASSERT_EQ(json_of(exact).as_array().size(), 1u) << exact;
  EXPECT_EQ(int_of(json_of(exact).as_array()[0], "user_id"), id);

  EXPECT_TRUE(IsHarborError(user->get(std::string(kApi) + "/users/search"), 400, "BAD_REQUEST"));
  EXPECT_TRUE(IsHarborError(client_as("", "")->get(std::string(kApi) + "/users/search?username=" + prefix),
                            401, "UNAUTHORIZED"));
}

TEST_F(UsersApiTest, CurrentPermissionsFollowTheRoleInTheProject) {
  const std::string project = unique_name("perm");
  const std::int64_t project_id = create_project(project);
  ASSERT_GT(project_id, 0);
  auto guest = member_client(project, HarborRole::guest);
  auto developer = member_client(project, HarborRole::developer);

  std::set<std::string> guest_perms = permissions_of(*guest, project_id, true);
  EXPECT_TRUE(guest_perms.contains("repository:pull")) << testing::PrintToString(guest_perms);
  EXPECT_FALSE(guest_perms.contains("repository:push")) << testing::PrintToString(guest_perms);
  EXPECT_FALSE(guest_perms.contains("member:create")) << testing::PrintToString(guest_perms);

  std::set<std::string> developer_perms = permissions_of(*developer, project_id, true);
  EXPECT_TRUE(developer_perms.contains("repository:push")) << testing::PrintToString(developer_perms);
  EXPECT_FALSE(developer_perms.contains("project:delete")) << testing::PrintToString(developer_perms);

  std::set<std::string> admin_perms = permissions_of(client(), project_id, true);
  EXPECT_TRUE(admin_perms.contains("member:create")) << testing::PrintToString(admin_perms);
  EXPECT_TRUE(admin_perms.contains("project:delete")) << testing::PrintToString(admin_perms);

  for (const std::string& absolute : permissions_of(*guest, project_id, false))
    EXPECT_TRUE(absolute.starts_with("/project/" + std::to_string(project_id) + "/")) << absolute;

  // Someone who cannot see the project holds nothing there.
  const std::string stranger = unique_name("stranger");
  create_user(stranger);
  EXPECT_TRUE(permissions_of(*client_as(stranger, kUserPassword), project_id, true).empty());
}

}  // namespace
}  // namespace berth::integration
