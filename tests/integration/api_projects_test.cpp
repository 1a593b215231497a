// Harbor's /projects API and /projects/{p}/members as Harbor users and tools use them:
// the Project and ProjectMemberEntity shapes, visibility of public and private projects,
// paging, metadata, the summary, and what each role may do.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <optional>
#include <set>

#include "harbor_api.h"

namespace berth::integration {
namespace {

namespace json = boost::json;

const HeaderList kJson = {{"Content-Type", "application/json"}};

std::string project_path(std::string_view project, std::string_view suffix = "") {
  return std::string(kApi) + "/projects/" + std::string(project) + std::string(suffix);
}

std::set<std::string> names_of(const Response& response, std::string_view key = "name") {
  std::set<std::string> out;
  json::value items = json_of(response);
  if (!items.is_array()) return out;
  for (const auto& item : items.as_array()) out.insert(text_of(item, key));
  return out;
}

std::optional<json::object> member_named(const Response& response, std::string_view name) {
  json::value items = json_of(response);
  if (!items.is_array()) return std::nullopt;
  for (const auto& item : items.as_array()) {
    if (text_of(item, "entity_name") == name) return item.as_object();
  }
  return std::nullopt;
}

class ProjectsApiTest : public HarborApiTest {
 protected:
  Response post_project(const json::object& body, HeaderList headers = kJson) {
    return client().post(std::string(kApi) + "/projects", json::serialize(body), std::move(headers));
  }
};

TEST_F(ProjectsApiTest, CreatedProjectHasHarborShape) {
  const std::string name = unique_name("shape");
  Response created = post_project({{"project_name", name}, {"metadata", {{"public", "true"}}}});
  ASSERT_EQ(created.status, 201) << created;
  const std::string location = created.header("Location");
  ASSERT_TRUE(location.starts_with("/api/v2.0/projects/")) << created;
  const std::string id = location.substr(location.rfind('/') + 1);

  for (const std::string& reference : {id, name}) {
    Response got = client().get(project_path(reference));
    ASSERT_EQ(got.status, 200) << got;
    json::value project = json_of(got);
    EXPECT_EQ(std::to_string(int_of(project, "project_id").value_or(0)), id);
    EXPECT_EQ(text_of(project, "name"), name);
    EXPECT_EQ(text_of(project, "owner_name"), "admin");
    EXPECT_TRUE(int_of(project, "owner_id").has_value()) << got;
    EXPECT_EQ(int_of(project, "repo_count"), 0);
    EXPECT_EQ(text_of(project, "creation_time").size(), 24u) << got;
    EXPECT_EQ(text_of(project, "update_time").back(), 'Z') << got;
    // Harbor keeps visibility in metadata, as the string "true"/"false", and has no
    // top-level "public".
    ASSERT_TRUE(project.at("metadata").is_object()) << got;
    EXPECT_EQ(text_of(project.at("metadata"), "public"), "true");
    EXPECT_FALSE(project.as_object().contains("public")) << got;
    // The creator is the project's admin.
    EXPECT_EQ(int_of(project, "current_user_role_id"), 1) << got;
    ASSERT_TRUE(project.at("current_user_role_ids").is_array()) << got;
  }
}

TEST_F(ProjectsApiTest, LocationCarriesTheNameOnRequest) {
  const std::string name = unique_name("loc");
  Response created = post_project({{"project_name", name}}, {{"Content-Type", "application/json"},
                                                             {"X-Resource-Name-In-Location", "true"}});
  ASSERT_EQ(created.status, 201) << created;
  EXPECT_EQ(created.header("Location"), "/api/v2.0/projects/" + name);
  Response got = client().get(project_path(name));
  EXPECT_EQ(text_of(json_of(got).at("metadata"), "public"), "false") << "private unless asked";
}

TEST_F(ProjectsApiTest, NamesFollowHarborsRuleAndAreUnique) {
  const std::string base = unique_name("rule");
  for (const std::string& bad : {std::string("Upper") + base, base + "..x", "-" + base, base + "-",
                                 base + "/x", std::string(), std::string(256, 'a'), base + " x"}) {
    EXPECT_TRUE(IsHarborError(post_project({{"project_name", bad}}), 400, "BAD_REQUEST")) << "name " << bad;
  }
  EXPECT_EQ(post_project({{"project_name", base + ".a_b-c"}}).status, 201);
  EXPECT_TRUE(IsHarborError(post_project({{"project_name", base + ".a_b-c"}}), 409, "CONFLICT"));
  EXPECT_TRUE(
      IsHarborError(post_project({{"project_name", base + "-m"}, {"metadata", {{"public", "maybe"}}}}), 400,
                    "BAD_REQUEST"));
}

TEST_F(ProjectsApiTest, HeadTellsWhetherAProjectExists) {
  const std::string name = unique_name("head");
  create_project(name);
  EXPECT_EQ(client().head(std::string(kApi) + "/projects?project_name=" + name).status, 200);
  EXPECT_EQ(client().head(std::string(kApi) + "/projects?project_name=" + name + "-no").status, 404);
}

TEST_F(ProjectsApiTest, AnonymousSeesOnlyPublicProjects) {
  const std::string prefix = unique_name("vis");
  create_project(prefix + "-open", true);
  create_project(prefix + "-closed", false);
  auto anonymous = client_as("", "");

  Response listed = anonymous->get(std::string(kApi) + "/projects?name=" + prefix);
  ASSERT_EQ(listed.status, 200) << listed;
  EXPECT_EQ(names_of(listed), std::set<std::string>{prefix + "-open"}) << listed;
  EXPECT_EQ(listed.header("X-Total-Count"), "1");
  Response private_only = anonymous->get(std::string(kApi) + "/projects?name=" + prefix + "&public=false");
  EXPECT_TRUE(names_of(private_only).empty()) << private_only;

  EXPECT_EQ(anonymous->get(project_path(prefix + "-open")).status, 200);
  EXPECT_TRUE(IsHarborError(anonymous->get(project_path(prefix + "-closed")), 401, "UNAUTHORIZED"));

  // A signed-in non-member sees public projects, not the private one.
  const std::string outsider = unique_name("outsider");
  create_user(outsider);
  auto user = client_as(outsider, kUserPassword);
  EXPECT_EQ(names_of(user->get(std::string(kApi) + "/projects?name=" + prefix)),
            std::set<std::string>{prefix + "-open"});
  EXPECT_TRUE(IsHarborError(user->get(project_path(prefix + "-closed")), 403, "FORBIDDEN"));

  // The admin sees both.
  EXPECT_EQ(names_of(client().get(std::string(kApi) + "/projects?name=" + prefix)),
            (std::set<std::string>{prefix + "-open", prefix + "-closed"}));
  EXPECT_EQ(names_of(client().get(std::string(kApi) + "/projects?name=" + prefix + "&public=true")),
            std::set<std::string>{prefix + "-open"});
}

TEST_F(ProjectsApiTest, ListPagesWithTotalCountAndLinks) {
  const std::string prefix = unique_name("list");
  for (const char* suffix : {"-a", "-b", "-c"}) create_project(prefix + suffix);
  Response first =
      client().get(std::string(kApi) + "/projects?name=" + prefix + "&page=1&page_size=2&sort=name");
  ASSERT_EQ(first.status, 200) << first;
  EXPECT_EQ(first.header("X-Total-Count"), "3");
  EXPECT_EQ(names_of(first), (std::set<std::string>{prefix + "-a", prefix + "-b"}));
  const std::string link = first.header("Link");
  EXPECT_NE(link.find("</api/v2.0/projects?"), std::string::npos) << link;
  EXPECT_NE(link.find("name=" + prefix), std::string::npos) << link;
  EXPECT_NE(link.find("page=2&page_size=2>; rel=\"next\""), std::string::npos) << link;

  Response last =
      client().get(std::string(kApi) + "/projects?name=" + prefix + "&page=2&page_size=2&sort=name");
  EXPECT_EQ(names_of(last), std::set<std::string>{prefix + "-c"});
  EXPECT_NE(last.header("Link").find("page=1&page_size=2>; rel=\"prev\""), std::string::npos) << last;

  Response queried = client().get(std::string(kApi) + "/projects?q=name%3D~" + prefix + "&sort=-name");
  EXPECT_EQ(queried.header("X-Total-Count"), "3") << queried;
  EXPECT_EQ(text_of(json_of(queried).as_array()[0], "name"), prefix + "-c");
  Response exact = client().get(std::string(kApi) + "/projects?q=name%3D" + prefix + "-b");
  EXPECT_EQ(names_of(exact), std::set<std::string>{prefix + "-b"});
  Response owner = client().get(std::string(kApi) + "/projects?owner=admin&name=" + prefix);
  EXPECT_EQ(owner.header("X-Total-Count"), "3");

  // Harbor's other q forms: a quoted exact value and a list with a union relationship.
  Response quoted = client().get(std::string(kApi) + "/projects?q=name%3D%22" + prefix + "-a%22");
  EXPECT_EQ(names_of(quoted), std::set<std::string>{prefix + "-a"}) << quoted;
  const std::string id_a = std::to_string(int_of(json_of(quoted).as_array()[0], "project_id").value_or(0));
  const std::string id_c =
      std::to_string(int_of(json_of(client().get(project_path(prefix + "-c"))), "project_id").value_or(0));
  Response any_of =
      client().get(std::string(kApi) + "/projects?q=project_id%3D%7B" + id_a + "%20" + id_c + "%7D");
  EXPECT_EQ(names_of(any_of), (std::set<std::string>{prefix + "-a", prefix + "-c"})) << any_of;
}

TEST_F(ProjectsApiTest, UpdateMergesMetadataForProjectAdminsOnly) {
  const std::string name = unique_name("upd");
  create_project(name);
  Response updated =
      client().put(project_path(name), R"({"metadata":{"public":"true","auto_scan":"true"}})", kJson);
  ASSERT_EQ(updated.status, 200) << updated;
  json::value metadata = json_of(client().get(project_path(name))).at("metadata");
  EXPECT_EQ(text_of(metadata, "public"), "true");
  EXPECT_EQ(text_of(metadata, "auto_scan"), "true");

  ASSERT_EQ(client().put(project_path(name), R"({"metadata":{"severity":"High"}})", kJson).status, 200);
  metadata = json_of(client().get(project_path(name))).at("metadata");
  EXPECT_EQ(text_of(metadata, "severity"), "high");
  EXPECT_EQ(text_of(metadata, "auto_scan"), "true") << "merged, not replaced";

  EXPECT_TRUE(
      IsHarborError(client().put(project_path(name), R"({"metadata":{"severity":"dreadful"}})", kJson), 400,
                    "BAD_REQUEST"));
  auto developer = member_client(name, HarborRole::developer);
  EXPECT_TRUE(IsHarborError(developer->put(project_path(name), R"({"metadata":{"public":"false"}})", kJson),
                            403, "FORBIDDEN"));
}

TEST_F(ProjectsApiTest, MetadataEndpoints) {
  const std::string name = unique_name("meta");
  create_project(name);
  Response all = client().get(project_path(name, "/metadatas/"));
  ASSERT_EQ(all.status, 200) << all;
  EXPECT_EQ(text_of(json_of(all), "public"), "false");
  Response one = client().get(project_path(name, "/metadatas/public"));
  ASSERT_EQ(one.status, 200) << one;
  EXPECT_EQ(json_of(one).as_object().size(), 1u);

  ASSERT_EQ(client().post(project_path(name, "/metadatas"), R"({"auto_scan":"true"})", kJson).status, 200);
  EXPECT_EQ(text_of(json_of(client().get(project_path(name, "/metadatas/auto_scan"))), "auto_scan"), "true");
  ASSERT_EQ(
      client().put(project_path(name, "/metadatas/auto_scan"), R"({"auto_scan":"false"})", kJson).status,
      200);
  EXPECT_EQ(text_of(json_of(client().get(project_path(name, "/metadatas/auto_scan"))), "auto_scan"), "false");
  ASSERT_EQ(client().del(project_path(name, "/metadatas/auto_scan")).status, 200);
  EXPECT_TRUE(IsHarborError(client().get(project_path(name, "/metadatas/auto_scan")), 404, "NOT_FOUND"));
  EXPECT_TRUE(IsHarborError(client().del(project_path(name, "/metadatas/auto_scan")), 404, "NOT_FOUND"));

  EXPECT_TRUE(IsHarborError(client().post(project_path(name, "/metadatas"), R"({"colour":"red"})", kJson),
                            400, "BAD_REQUEST"));
  EXPECT_TRUE(IsHarborError(
      client().post(project_path(name, "/metadatas"), R"({"auto_scan":"true","prevent_vul":"true"})", kJson),
      400, "BAD_REQUEST"));
}

TEST_F(ProjectsApiTest, NumericNamesNeedTheResourceNameHeader) {
  const std::string name = std::to_string(900000000 + std::stoll(random_hex(6), nullptr, 16) % 99999999);
  Response created = client().post(std::string(kApi) + "/projects",
                                   json::serialize(json::object{{"project_name", name}}), kJson);
  ASSERT_EQ(created.status, 201) << created;
  Response by_name = client().get(project_path(name), {{"X-Is-Resource-Name", "true"}});
  ASSERT_EQ(by_name.status, 200) << by_name;
  EXPECT_EQ(text_of(json_of(by_name), "name"), name);
  // Without the header a number is an id.
  Response by_id = client().get(project_path(name));
  EXPECT_TRUE(by_id.status == 404 || text_of(json_of(by_id), "name") != name) << by_id;
}

TEST_F(ProjectsApiTest, DeleteNeedsAnEmptyProjectAndTheRight) {
  const std::string name = unique_name("del");
  ASSERT_GT(create_project(name), 0);
  auto developer = member_client(name, HarborRole::developer);
  EXPECT_TRUE(IsHarborError(developer->del(project_path(name)), 403, "FORBIDDEN"));

  ASSERT_TRUE(push_image(client(), name + "/app", "v1", make_image()));
  EXPECT_EQ(int_of(json_of(client().get(project_path(name))), "repo_count"), 1);
  EXPECT_TRUE(IsHarborError(client().del(project_path(name)), 412, "PRECONDITION"));

  const std::string empty = unique_name("empty");
  const std::int64_t empty_id = create_project(empty);
  ASSERT_EQ(client().del(project_path(std::to_string(empty_id))).status, 200);
  EXPECT_TRUE(IsHarborError(client().get(project_path(empty)), 404, "NOT_FOUND"));
}

TEST_F(ProjectsApiTest, SummaryCountsRepositoriesAndMembersByRole) {
  const std::string name = unique_name("sum");
  create_project(name);
  member_client(name, HarborRole::guest);
  member_client(name, HarborRole::developer);
  member_client(name, HarborRole::developer);
  Response summary = client().get(project_path(name, "/summary"));
  ASSERT_EQ(summary.status, 200) << summary;
  json::value body = json_of(summary);
  EXPECT_EQ(int_of(body, "repo_count"), 0);
  EXPECT_EQ(int_of(body, "project_admin_count"), 1);
  EXPECT_EQ(int_of(body, "developer_count"), 2);
  EXPECT_EQ(int_of(body, "guest_count"), 1);
  EXPECT_EQ(int_of(body, "maintainer_count"), 0);
  EXPECT_EQ(int_of(body, "limited_guest_count"), 0);
}

// --- members ---------------------------------------------------------------------------

TEST_F(ProjectsApiTest, MemberLifecycleInHarborShape) {
  const std::string project = unique_name("mem");
  const std::int64_t project_id = create_project(project);
  const std::string user = unique_name("member");
  const std::int64_t user_id = create_user(user);

  Response added = client().post(
      project_path(project, "/members"),
      json::serialize(json::object{{"role_id", 2}, {"member_user", {{"user_id", user_id}}}}), kJson);
  ASSERT_EQ(added.status, 201) << added;
  const std::string location = added.header("Location");
  ASSERT_TRUE(location.starts_with("/api/v2.0/projects/" + project + "/members/")) << added;

  Response listed = client().get(project_path(project, "/members"));
  ASSERT_EQ(listed.status, 200) << listed;
  EXPECT_EQ(listed.header("X-Total-Count"), "2") << "the creator and the new member";
  const std::optional<json::object> member = member_named(listed, user);
  ASSERT_TRUE(member.has_value()) << listed;
  EXPECT_EQ(text_of(*member, "role_name"), "developer");
  EXPECT_EQ(int_of(*member, "role_id"), 2);
  EXPECT_EQ(int_of(*member, "entity_id"), user_id);
  EXPECT_EQ(text_of(*member, "entity_type"), "u");
  EXPECT_EQ(int_of(*member, "project_id"), project_id);
  const std::int64_t member_id = int_of(*member, "id").value_or(0);
  EXPECT_EQ(location, "/api/v2.0/projects/" + project + "/members/" + std::to_string(member_id));

  Response filtered = client().get(project_path(project, "/members?entityname=" + user));
  EXPECT_EQ(names_of(filtered, "entity_name"), std::set<std::string>{user}) << filtered;

  const std::string one = project_path(project, "/members/" + std::to_string(member_id));
  ASSERT_EQ(client().put(one, R"({"role_id":4})", kJson).status, 200);
  Response got = client().get(one);
  ASSERT_EQ(got.status, 200) << got;
  EXPECT_EQ(text_of(json_of(got), "role_name"), "maintainer");
  EXPECT_TRUE(IsHarborError(client().put(one, R"({"role_id":9})", kJson), 400, "BAD_REQUEST"));

  ASSERT_EQ(client().del(one).status, 200);
  EXPECT_TRUE(IsHarborError(client().get(one), 404, "NOT_FOUND"));
}

TEST_F(ProjectsApiTest, MemberRequestsAreChecked) {
  const std::string project = unique_name("chk");
  create_project(project);
  const std::string user = unique_name("twice");
  create_user(user);
  add_member(project, user, HarborRole::guest);
  auto post_member = [&](const json::object& body) {
    return client().post(project_path(project, "/members"), json::serialize(body), kJson);
  };
  EXPECT_TRUE(
      IsHarborError(post_member({{"role_id", 3}, {"member_user", {{"username", user}}}}), 409, "CONFLICT"));
  EXPECT_TRUE(IsHarborError(post_member({{"role_id", 3}, {"member_user", {{"username", user + "-nobody"}}}}),
                            404, "NOT_FOUND"));
  EXPECT_TRUE(IsHarborError(post_member({{"role_id", 0}, {"member_user", {{"username", user}}}}), 400,
                            "BAD_REQUEST"));
  EXPECT_TRUE(IsHarborError(post_member({{"role_id", 3}}), 400, "BAD_REQUEST"));
  EXPECT_TRUE(IsHarborError(client().get(project_path(project + "-nope", "/members")), 404, "NOT_FOUND"));
}

TEST_F(ProjectsApiTest, OnlyProjectAdminsManageMembers) {
  const std::string project = unique_name("roles");
  create_project(project);
  auto guest = member_client(project, HarborRole::guest);
  auto maintainer = member_client(project, HarborRole::maintainer);
  auto limited = member_client(project, HarborRole::limited_guest);
  const std::string newcomer = unique_name("newcomer");
  create_user(newcomer);
  const std::string body =
      json::serialize(json::object{{"role_id", 3}, {"member_user", {{"username", newcomer}}}});

  EXPECT_TRUE(IsHarborError(guest->post(project_path(project, "/members"), body, kJson), 403, "FORBIDDEN"));
  EXPECT_TRUE(
      IsHarborError(maintainer->post(project_path(project, "/members"), body, kJson), 403, "FORBIDDEN"));
  EXPECT_EQ(guest->get(project_path(project, "/members")).status, 200) << "guests may list members";
  EXPECT_TRUE(IsHarborError(limited->get(project_path(project, "/members")), 403, "FORBIDDEN"));

  auto project_admin = member_client(project, HarborRole::project_admin);
  EXPECT_EQ(project_admin->post(project_path(project, "/members"), body, kJson).status, 201);

  // Outsiders do not even see the private project.
  const std::string outsider = unique_name("outsider");
  create_user(outsider);
  EXPECT_TRUE(IsHarborError(client_as(outsider, kUserPassword)->get(project_path(project, "/members")), 403,
                            "FORBIDDEN"));
  EXPECT_TRUE(IsHarborError(client_as("", "")->get(project_path(project, "/members")), 401, "UNAUTHORIZED"));
}

TEST_F(ProjectsApiTest, DevelopersCannotDeleteTheProjectButProjectAdminsCan) {
  const std::string project = unique_name("own");
  create_project(project);
  auto developer = member_client(project, HarborRole::developer);
  auto maintainer = member_client(project, HarborRole::maintainer);
  EXPECT_TRUE(IsHarborError(developer->del(project_path(project)), 403, "FORBIDDEN"));
  EXPECT_TRUE(IsHarborError(maintainer->del(project_path(project)), 403, "FORBIDDEN"));
  auto project_admin = member_client(project, HarborRole::project_admin);
  EXPECT_EQ(project_admin->del(project_path(project)).status, 200);
}

TEST_F(ProjectsApiTest, UsersCreateProjectsAndBecomeTheirAdmins) {
  const std::string user = unique_name("creator");
  create_user(user);
  auto creator = client_as(user, kUserPassword);
  const std::string name = unique_name("mine");
  Response created = creator->post(std::string(kApi) + "/projects",
                                   json::serialize(json::object{{"project_name", name}}), kJson);
  ASSERT_EQ(created.status, 201) << created;
  Response got = creator->get(project_path(name));
  ASSERT_EQ(got.status, 200) << got;
  EXPECT_EQ(text_of(json_of(got), "owner_name"), user);
  EXPECT_EQ(int_of(json_of(got), "current_user_role_id"), 1);
  Response members = creator->get(project_path(name, "/members"));
  const std::optional<json::object> self = member_named(members, user);
  ASSERT_TRUE(self.has_value()) << members;
  EXPECT_EQ(text_of(*self, "role_name"), "projectAdmin");

  EXPECT_TRUE(IsHarborError(
      client_as("", "")->post(std::string(kApi) + "/projects",
                              json::serialize(json::object{{"project_name", unique_name("anon")}}), kJson),
      401, "UNAUTHORIZED"));
}

}  // namespace
}  // namespace berth::integration
