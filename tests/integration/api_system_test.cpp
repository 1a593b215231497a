// Harbor's system endpoints (/systeminfo, /health, /ping, /statistics, /search) and the
// management API's routing answers (404, 405) as Harbor's tools and portal read them.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <set>

#include "harbor_api.h"

namespace berth::integration {
namespace {

namespace json = boost::json;

class SystemApiTest : public HarborApiTest {};

TEST_F(SystemApiTest, SystemInfoForAnonymousAndSignedInCallers) {
  Response anonymous = client_as("", "")->get(std::string(kApi) + "/systeminfo");
  ASSERT_EQ(anonymous.status, 200) << anonymous;
  json::value info = json_of(anonymous);
  EXPECT_EQ(text_of(info, "auth_mode"), "db_auth");
  EXPECT_FALSE(text_of(info, "harbor_version").empty()) << anonymous;
  ASSERT_TRUE(info.as_object().contains("self_registration")) << anonymous;
  EXPECT_FALSE(info.at("self_registration").as_bool());
  EXPECT_FALSE(info.as_object().contains("external_url")) << "deployment facts are for signed-in callers";

  Response signed_in = client().get(std::string(kApi) + "/systeminfo");
  ASSERT_EQ(signed_in.status, 200) << signed_in;
  info = json_of(signed_in);
  EXPECT_TRUE(text_of(info, "external_url").starts_with("http")) << signed_in;
  EXPECT_FALSE(text_of(info, "registry_url").empty()) << signed_in;
  EXPECT_EQ(text_of(info, "registry_url").find("://"), std::string::npos) << "a host, as docker login wants";
  EXPECT_EQ(text_of(info, "project_creation_restriction"), "everyone");
  EXPECT_FALSE(info.at("has_ca_root").as_bool());
  EXPECT_FALSE(info.at("read_only").as_bool());
  EXPECT_FALSE(info.at("with_chartmuseum").as_bool());
}

TEST_F(SystemApiTest, HealthListsComponents) {
  Response health = client_as("", "")->get(std::string(kApi) + "/health");
  ASSERT_EQ(health.status, 200) << health;
  json::value body = json_of(health);
  EXPECT_EQ(text_of(body, "status"), "healthy") << health;
  std::set<std::string> names;
  for (const auto& component : body.at("components").as_array()) {
    names.insert(text_of(component, "name"));
    EXPECT_EQ(text_of(component, "status"), "healthy") << health;
  }
  EXPECT_EQ(names, (std::set<std::string>{"core", "database", "registry"}));
}

TEST_F(SystemApiTest, PingAnswersPong) {
  Response ping = client_as("", "")->get(std::string(kApi) + "/ping");
  ASSERT_EQ(ping.status, 200) << ping;
  EXPECT_EQ(ping.body, "Pong");
  EXPECT_TRUE(ping.header("Content-Type").starts_with("text/plain")) << ping;
}

TEST_F(SystemApiTest, StatisticsCountWhatTheCallerMaySee) {
  EXPECT_TRUE(IsHarborError(client_as("", "")->get(std::string(kApi) + "/statistics"), 401, "UNAUTHORIZED"));

  const std::string project = unique_name("stats");
  create_project(project);
  ASSERT_TRUE(push_image(client(), project + "/app", "v1", make_image()));
  Response admin = client().get(std::string(kApi) + "/statistics");
  ASSERT_EQ(admin.status, 200) << admin;
  json::value totals = json_of(admin);
  for (const char* key :
       {"private_project_count", "private_repo_count", "public_project_count", "public_repo_count",
        "total_project_count", "total_repo_count", "total_storage_consumption"}) {
    EXPECT_TRUE(int_of(totals, key).has_value()) << key << ": " << admin;
  }
  EXPECT_EQ(int_of(totals, "total_project_count").value_or(-1),
            int_of(totals, "private_project_count").value_or(0) +
                int_of(totals, "public_project_count").value_or(0));
  EXPECT_GE(int_of(totals, "total_repo_count").value_or(0), 1);
  EXPECT_GT(int_of(totals, "total_storage_consumption").value_or(0), 0);

  // A member of the private project counts it among their private ones; totals and
  // storage are for system admins only.
  auto member = member_client(project, HarborRole::guest);
  Response mine = member->get(std::string(kApi) + "/statistics");
  ASSERT_EQ(mine.status, 200) << mine;
  EXPECT_GE(int_of(json_of(mine), "private_project_count").value_or(0), 1) << mine;
  EXPECT_GE(int_of(json_of(mine), "private_repo_count").value_or(0), 1) << mine;
  EXPECT_EQ(int_of(json_of(mine), "total_storage_consumption"), 0) << mine;
}

TEST_F(SystemApiTest, SearchFindsVisibleProjectsAndRepositories) {
  const std::string prefix = unique_name("srch");
  create_project(prefix + "-pub", true);
  create_project(prefix + "-priv", false);
  ASSERT_TRUE(push_image(client(), prefix + "-pub/web", "v1", make_image()));
  ASSERT_TRUE(push_image(client(), prefix + "-priv/db", "v1", make_image()));

  Response anonymous = client_as("", "")->get(std::string(kApi) + "/search?q=" + prefix);
  ASSERT_EQ(anonymous.status, 200) << anonymous;
  json::value body = json_of(anonymous);
  std::set<std::string> projects;
  for (const auto& project : body.at("project").as_array()) projects.insert(text_of(project, "name"));
  EXPECT_EQ(projects, std::set<std::string>{prefix + "-pub"}) << anonymous;
  const auto& repositories = body.at("repository").as_array();
  ASSERT_EQ(repositories.size(), 1u) << anonymous;
  EXPECT_EQ(text_of(repositories[0], "repository_name"), prefix + "-pub/web");
  EXPECT_EQ(text_of(repositories[0], "project_name"), prefix + "-pub");
  EXPECT_TRUE(repositories[0].at("project_public").as_bool());
  EXPECT_EQ(int_of(repositories[0], "artifact_count"), 1);
  EXPECT_TRUE(int_of(repositories[0], "project_id").has_value());
  EXPECT_TRUE(int_of(repositories[0], "pull_count").has_value());

  Response admin = client().get(std::string(kApi) + "/search?q=" + prefix);
  EXPECT_EQ(json_of(admin).at("project").as_array().size(), 2u) << admin;
  EXPECT_EQ(json_of(admin).at("repository").as_array().size(), 2u) << admin;

  Response by_repository = client().get(std::string(kApi) + "/search?q=" + prefix + "-priv/d");
  ASSERT_EQ(json_of(by_repository).at("repository").as_array().size(), 1u) << by_repository;
  EXPECT_TRUE(json_of(by_repository).at("project").as_array().empty()) << by_repository;
}

TEST_F(SystemApiTest, UnknownPathsAndMethodsGetHarborErrors) {
  EXPECT_TRUE(IsHarborError(client().get(std::string(kApi) + "/no-such-thing"), 404, "NOT_FOUND"));
  EXPECT_TRUE(IsHarborError(client().get(std::string(kApi) + "/users/1/nothing"), 404, "NOT_FOUND"));
  Response wrong = client().patch(std::string(kApi) + "/ping", "");
  EXPECT_TRUE(IsHarborError(wrong, 405, "METHOD_NOT_ALLOWED"));
  EXPECT_NE(wrong.header("Allow").find("GET"), std::string::npos) << wrong;
}

}  // namespace
}  // namespace berth::integration
