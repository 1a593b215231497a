// Robot accounts through Harbor's robot API v2 (/api/v2.0/robots) and the older
// project-level paths (/projects/{p}/robots): what a Harbor user sees and may do.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <chrono>
#include <thread>

#include "harbor_api.h"

namespace berth::integration {
namespace {

namespace json = boost::json;

const std::vector<std::pair<std::string, std::string>> kPullPush = {
    {"repository", "pull"}, {"repository", "push"}, {"repository", "list"}, {"artifact", "list"}};

class RobotApiTest : public HarborApiTest {
 protected:
  void SetUp() override {
    HarborApiTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    project_ = unique_name("robots");
    project_id_ = create_project(project_);
    ASSERT_GT(project_id_, 0);
  }

  std::string robot_path(std::int64_t id) const {
    return std::string(kApi) + "/robots/" + std::to_string(id);
  }

  // Creates a project robot with kPullPush; returns its id, full name and secret.
  struct Created {
    std::int64_t id = 0;
    std::string name;
    std::string secret;
  };
  Created create_pusher(const std::string& name) {
    Response r = create_robot(name, "project", project_, kPullPush);
    EXPECT_EQ(r.status, 201) << r;
    json::value body = json_of(r);
    return Created{int_of(body, "id").value_or(0), text_of(body, "name"), text_of(body, "secret")};
  }

  long list_repositories_as(const std::string& user, const std::string& secret, const std::string& project) {
    return client_as(user, secret)->get(std::string(kApi) + "/projects/" + project + "/repositories").status;
  }

  std::string project_;
  std::int64_t project_id_ = 0;
};

TEST_F(RobotApiTest, CreateAnswersTheSecretOnceAndGetNeverShowsIt) {
  Response created = create_robot("ci", "project", project_, kPullPush);
  ASSERT_EQ(created.status, 201) << created;
  json::value body = json_of(created);
  const std::int64_t id = int_of(body, "id").value_or(0);
  ASSERT_GT(id, 0) << created;
  EXPECT_EQ(text_of(body, "name"), "robot$" + project_ + "+ci");
  EXPECT_GE(text_of(body, "secret").size(), 8u);
  EXPECT_EQ(int_of(body, "expires_at"), -1);
  EXPECT_FALSE(text_of(body, "creation_time").empty());
  EXPECT_EQ(path_of(created.header("Location")), robot_path(id));

  Response got = client().get(robot_path(id));
  ASSERT_EQ(got.status, 200) << got;
  json::value robot = json_of(got);
  EXPECT_FALSE(robot.as_object().contains("secret")) << got;
  EXPECT_EQ(got.body.find(text_of(body, "secret")), std::string::npos);
  EXPECT_EQ(text_of(robot, "name"), "robot$" + project_ + "+ci");
  EXPECT_EQ(text_of(robot, "level"), "project");
  EXPECT_EQ(int_of(robot, "duration"), -1);
  EXPECT_EQ(robot.at("disable"), json::value(false));
  EXPECT_EQ(robot.at("editable"), json::value(true));
  const json::array& permissions = robot.at("permissions").as_array();
  ASSERT_EQ(permissions.size(), 1u) << got;
  EXPECT_EQ(text_of(permissions[0], "kind"), "project");
  EXPECT_EQ(text_of(permissions[0], "namespace"), project_);
  EXPECT_EQ(permissions[0].at("access").as_array().size(), kPullPush.size());
  EXPECT_EQ(text_of(permissions[0].at("access").as_array()[0], "resource"), "repository");
  EXPECT_EQ(text_of(permissions[0].at("access").as_array()[0], "action"), "pull");

  // Harbor's portal lists a project's robots with q=Level=project,ProjectID=<id>.
  Response listed = client().get(with_query(std::string(kApi) + "/robots", "q",
                                            "Level=project,ProjectID=" + std::to_string(project_id_)));
  ASSERT_EQ(listed.status, 200) << listed;
  EXPECT_EQ(listed.header("X-Total-Count"), "1");
  ASSERT_EQ(json_of(listed).as_array().size(), 1u);
  EXPECT_EQ(int_of(json_of(listed).as_array()[0], "id"), id);
  EXPECT_EQ(listed.body.find("\"secret\""), std::string::npos) << listed;
}

TEST_F(RobotApiTest, RobotSignsInWithItsSecretAndPushes) {
  Created robot = create_pusher("pusher");
  auto as_robot = client_as(robot.name, robot.secret);
  Image image = make_image();
  EXPECT_TRUE(push_image(*as_robot, project_ + "/app", "v1", image));
  Response repositories = as_robot->get(std::string(kApi) + "/projects/" + project_ + "/repositories");
  ASSERT_EQ(repositories.status, 200) << repositories;
  ASSERT_EQ(json_of(repositories).as_array().size(), 1u);
  EXPECT_EQ(text_of(json_of(repositories).as_array()[0], "name"), project_ + "/app");
  EXPECT_EQ(list_repositories_as(robot.name, robot.secret + "x", project_), 401);
}

TEST_F(RobotApiTest, ProjectRobotCannotReadAnotherProject) {
  Created robot = create_pusher("reader");
  const std::string other = unique_name("other");
  create_project(other);
  ASSERT_TRUE(push_image(client(), other + "/secret", "v1", make_image()));
  auto as_robot = client_as(robot.name, robot.secret);
  EXPECT_TRUE(IsHarborError(as_robot->get(std::string(kApi) + "/projects/" + other + "/repositories"), 403,
                            "FORBIDDEN"));
  const long pull =
      as_robot->get(manifest_path(other + "/secret", "v1"), {{"Accept", kAcceptAnyManifest}}).status;
  EXPECT_TRUE(pull == 401 || pull == 403) << pull;
  const long push = start_upload(*as_robot, other + "/intruder").status;
  EXPECT_TRUE(push == 401 || push == 403) << push;
}

TEST_F(RobotApiTest, RefreshGivesANewSecretAndTheOldOneStopsWorking) {
  Created robot = create_pusher("refresh");
  ASSERT_EQ(list_repositories_as(robot.name, robot.secret, project_), 200);

  Response refreshed = client().patch(robot_path(robot.id), "{}", {{"Content-Type", "application/json"}});
  ASSERT_EQ(refreshed.status, 200) << refreshed;
  const std::string secret = text_of(json_of(refreshed), "secret");
  ASSERT_GE(secret.size(), 8u);
  EXPECT_NE(secret, robot.secret);
  EXPECT_EQ(list_repositories_as(robot.name, robot.secret, project_), 401);
  EXPECT_EQ(list_repositories_as(robot.name, secret, project_), 200);

  // A chosen secret must satisfy the password policy.
  EXPECT_TRUE(IsHarborError(
      client().patch(robot_path(robot.id), R"({"secret":"weak"})", {{"Content-Type", "application/json"}}),
      400));
  Response chosen = client().patch(robot_path(robot.id), R"({"secret":"Chosen-Secret-42"})",
                                   {{"Content-Type", "application/json"}});
  ASSERT_EQ(chosen.status, 200) << chosen;
  EXPECT_EQ(text_of(json_of(chosen), "secret"), "Chosen-Secret-42");
  EXPECT_EQ(list_repositories_as(robot.name, "Chosen-Secret-42", project_), 200);
  EXPECT_EQ(list_repositories_as(robot.name, secret, project_), 401);
}

TEST_F(RobotApiTest, DisabledRobotCannotSignInUntilEnabled) {
  Created robot = create_pusher("toggle");
  Response current = client().get(robot_path(robot.id));
  ASSERT_EQ(current.status, 200);
  json::object update = json_of(current).as_object();
  update["disable"] = true;
  Response disabled =
      client().put(robot_path(robot.id), json::serialize(update), {{"Content-Type", "application/json"}});
  ASSERT_EQ(disabled.status, 200) << disabled;
  EXPECT_EQ(json_of(client().get(robot_path(robot.id))).at("disable"), json::value(true));
  EXPECT_EQ(list_repositories_as(robot.name, robot.secret, project_), 401);

  update["disable"] = false;
  ASSERT_EQ(client()
                .put(robot_path(robot.id), json::serialize(update), {{"Content-Type", "application/json"}})
                .status,
            200);
  EXPECT_EQ(list_repositories_as(robot.name, robot.secret, project_), 200);

  update["name"] = "robot$renamed";
  EXPECT_TRUE(IsHarborError(
      client().put(robot_path(robot.id), json::serialize(update), {{"Content-Type", "application/json"}}),
      400));
}

TEST_F(RobotApiTest, UpdateReplacesPermissionsAndDuration) {
  Created robot = create_pusher("perms");
  json::object update = json_of(client().get(robot_path(robot.id))).as_object();
  update["duration"] = 7;
  update["permissions"] = json::array{
      json::object{{"kind", "project"},
                   {"namespace", project_},
                   {"access", json::array{json::object{{"resource", "repository"}, {"action", "pull"}}}}}};
  ASSERT_EQ(client()
                .put(robot_path(robot.id), json::serialize(update), {{"Content-Type", "application/json"}})
                .status,
            200);
  json::value robot_json = json_of(client().get(robot_path(robot.id)));
  EXPECT_EQ(int_of(robot_json, "duration"), 7);
  EXPECT_GT(int_of(robot_json, "expires_at").value_or(-1), 0);
  EXPECT_EQ(robot_json.at("permissions").as_array()[0].at("access").as_array().size(), 1u);
  // Without repository:list it may no longer list repositories.
  EXPECT_EQ(list_repositories_as(robot.name, robot.secret, project_), 403);
}

TEST_F(RobotApiTest, DeleteRemovesTheRobotAndItsAccess) {
  Created robot = create_pusher("doomed");
  ASSERT_EQ(client().del(robot_path(robot.id)).status, 200);
  EXPECT_TRUE(IsHarborError(client().get(robot_path(robot.id)), 404, "NOT_FOUND"));
  EXPECT_EQ(list_repositories_as(robot.name, robot.secret, project_), 401);
  EXPECT_TRUE(IsHarborError(client().del(robot_path(robot.id)), 404));
}

TEST_F(RobotApiTest, InvalidRequestsAreRefused) {
  auto refused = [&](const Response& r, long status) { return IsHarborError(r, status); };
  EXPECT_TRUE(refused(create_robot("Upper", "project", project_, kPullPush), 400));
  EXPECT_TRUE(refused(create_robot("a+b", "project", project_, kPullPush), 400));
  EXPECT_TRUE(refused(create_robot("-lead", "project", project_, kPullPush), 400));
  EXPECT_TRUE(refused(create_robot("ok", "galaxy", project_, kPullPush), 400));
  EXPECT_TRUE(refused(create_robot("ok", "project", project_, kPullPush, -5), 400));
  EXPECT_TRUE(refused(create_robot("ok", "project", project_, {{"member", "create"}}), 400));
  EXPECT_TRUE(refused(create_robot("ok", "project", project_, {}), 400));
  EXPECT_TRUE(refused(create_robot("ok", "project", "*", kPullPush), 400));
  EXPECT_TRUE(refused(create_robot("ok", "project", unique_name("missing"), kPullPush), 404));
  EXPECT_TRUE(refused(
      client().post(std::string(kApi) + "/robots", "{not json", {{"Content-Type", "application/json"}}),
      400));
  json::object system_kind{
      {"name", "sys"},
      {"level", "system"},
      {"duration", -1},
      {"permissions", json::array{json::object{{"kind", "system"},
                                               {"namespace", "/"},
                                               {"access", json::array{json::object{{"resource", "audit-log"},
                                                                                   {"action", "list"}}}}}}}};
  EXPECT_TRUE(refused(client().post(std::string(kApi) + "/robots", json::serialize(system_kind),
                                    {{"Content-Type", "application/json"}}),
                      400));

  ASSERT_EQ(create_robot("twice", "project", project_, kPullPush).status, 201);
  EXPECT_TRUE(IsHarborError(create_robot("twice", "project", project_, kPullPush), 409, "CONFLICT"));
}

TEST_F(RobotApiTest, OnlyProjectAdminsManageProjectRobots) {
  auto developer = member_client(project_, HarborRole::developer);
  auto maintainer = member_client(project_, HarborRole::maintainer);
  auto admin = member_client(project_, HarborRole::project_admin);
  EXPECT_TRUE(IsHarborError(create_robot("bydev", "project", project_, kPullPush, -1, developer.get()), 403));
  EXPECT_TRUE(
      IsHarborError(create_robot("bymaint", "project", project_, kPullPush, -1, maintainer.get()), 403));
  Response created = create_robot("byadmin", "project", project_, kPullPush, -1, admin.get());
  ASSERT_EQ(created.status, 201) << created;
  const std::int64_t id = int_of(json_of(created), "id").value_or(0);

  // A project admin lists the project's robots, but not every robot; nor a system robot.
  EXPECT_EQ(admin
                ->get(with_query(std::string(kApi) + "/robots", "q",
                                 "Level=project,ProjectID=" + std::to_string(project_id_)))
                .status,
            200);
  EXPECT_TRUE(IsHarborError(admin->get(std::string(kApi) + "/robots"), 403));
  EXPECT_TRUE(IsHarborError(create_robot("sys", "system", "*", kPullPush, -1, admin.get()), 403));
  // Developers may see a project's robots (Harbor's matrix), not remove them.
  EXPECT_EQ(developer->get(robot_path(id)).status, 200);
  EXPECT_TRUE(IsHarborError(developer->del(robot_path(id)), 403));
  EXPECT_EQ(admin->del(robot_path(id)).status, 200);

  auto anonymous = client_as("", "");
  EXPECT_TRUE(IsHarborError(anonymous->get(std::string(kApi) + "/robots"), 401));
  EXPECT_TRUE(IsHarborError(create_robot("anon", "project", project_, kPullPush, -1, anonymous.get()), 401));
}

TEST_F(RobotApiTest, RobotsCannotManageRobots) {
  Created robot = create_pusher("manager");
  auto as_robot = client_as(robot.name, robot.secret);
  EXPECT_TRUE(IsHarborError(create_robot("child", "project", project_, kPullPush, -1, as_robot.get()), 403));
  EXPECT_TRUE(IsHarborError(
      as_robot->patch(robot_path(robot.id), "{}", {{"Content-Type", "application/json"}}), 403));
  EXPECT_TRUE(IsHarborError(as_robot->del(robot_path(robot.id)), 403));
}

TEST_F(RobotApiTest, SystemRobotReachesEveryProjectItNames) {
  Response created =
      create_robot(unique_name("sys"), "system", "*", {{"repository", "list"}, {"repository", "pull"}});
  ASSERT_EQ(created.status, 201) << created;
  json::value body = json_of(created);
  const std::string name = text_of(body, "name");
  EXPECT_TRUE(name.starts_with("robot$")) << name;
  EXPECT_EQ(name.find('+'), std::string::npos) << name;
  EXPECT_EQ(list_repositories_as(name, text_of(body, "secret"), project_), 200);
  EXPECT_EQ(list_repositories_as(name, text_of(body, "secret"), kTestProject), 200);

  Response listed = client().get(with_query(std::string(kApi) + "/robots", "q", "Level=system"));
  ASSERT_EQ(listed.status, 200);
  EXPECT_NE(listed.body.find(name), std::string::npos);
  EXPECT_EQ(listed.body.find("robot$" + project_ + "+"), std::string::npos);
}

TEST_F(RobotApiTest, ProjectLevelPathsOfOlderHarbor) {
  const std::string base = std::string(kApi) + "/projects/" + project_ + "/robots";
  json::object body{{"name", "legacy"},
                    {"description", "v1"},
                    {"access", json::array{json::object{
                                   {"resource", "/project/" + std::to_string(project_id_) + "/repository"},
                                   {"action", "pull"}}}}};
  Response created = client().post(base, json::serialize(body), {{"Content-Type", "application/json"}});
  ASSERT_EQ(created.status, 201) << created;
  const std::int64_t id = int_of(json_of(created), "id").value_or(0);
  EXPECT_EQ(text_of(json_of(created), "name"), "robot$" + project_ + "+legacy");
  EXPECT_FALSE(text_of(json_of(created), "secret").empty());

  Response listed = client().get(base);
  ASSERT_EQ(listed.status, 200) << listed;
  EXPECT_EQ(listed.header("X-Total-Count"), "1");
  Response by_id = client().get(std::string(kApi) + "/projects/" + std::to_string(project_id_) + "/robots/" +
                                std::to_string(id));
  ASSERT_EQ(by_id.status, 200) << by_id;
  EXPECT_FALSE(json_of(by_id).as_object().contains("secret"));

  const std::string other = unique_name("elsewhere");
  create_project(other);
  EXPECT_TRUE(IsHarborError(
      client().get(std::string(kApi) + "/projects/" + other + "/robots/" + std::to_string(id)), 404));

  ASSERT_EQ(
      client()
          .put(base + "/" + std::to_string(id), R"({"disable":true})", {{"Content-Type", "application/json"}})
          .status,
      200);
  EXPECT_EQ(json_of(client().get(robot_path(id))).at("disable"), json::value(true));
  EXPECT_EQ(client().del(base + "/" + std::to_string(id)).status, 200);
  EXPECT_EQ(client().get(robot_path(id)).status, 404);
}

TEST_F(RobotApiTest, RobotChangesAreAuditedWithoutTheSecret) {
  Created robot = create_pusher("audited");
  ASSERT_EQ(client().del(robot_path(robot.id)).status, 200);
  Response logs;
  for (int attempt = 0; attempt < 50; ++attempt) {
    logs = client().get(
        with_query(std::string(kApi) + "/audit-logs", "q", "resource_type=robot,resource=" + robot.name));
    if (logs.header("X-Total-Count") == "2") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(logs.status, 200) << logs;
  ASSERT_EQ(logs.header("X-Total-Count"), "2") << logs;
  EXPECT_NE(logs.body.find("\"operation\":\"create\""), std::string::npos) << logs;
  EXPECT_NE(logs.body.find("\"operation\":\"delete\""), std::string::npos) << logs;
  EXPECT_EQ(logs.body.find(robot.secret), std::string::npos);
}

}  // namespace
}  // namespace berth::integration
