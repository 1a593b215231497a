// GET /api/v2.0/swagger.json, and the promise it makes: every path and method it
// documents answers (with parameters that name things that exist), never with the
// router's "no such API" 404 nor with 405. (The other direction, that every route is
// documented, is checked by the unit test rest_swagger_test against the route tables.)
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <map>
#include <string>
#include <vector>

#include "harbor_api.h"

namespace berth::integration {
namespace {

namespace json = boost::json;

struct Operation {
  std::string method;  // upper case
  std::string path;    // relative to basePath, with {parameters}
};

std::vector<Operation> documented_operations(const json::value& document) {
  std::vector<Operation> out;
  for (const auto& [path, item] : document.at("paths").as_object()) {
    for (const auto& [method, operation] : item.as_object()) {
      if (method == "parameters") continue;
      std::string upper(method);
      std::transform(upper.begin(), upper.end(), upper.begin(),
                     [](unsigned char c) { return std::toupper(c); });
      out.push_back(Operation{upper, std::string(path)});
    }
  }
  return out;
}

// The router's answer to a path it does not know.
bool unknown_route(const Response& response) {
  return response.status == 404 && response.body.find("no such API") != std::string::npos;
}

class SwaggerTest : public HarborApiTest {};

TEST_F(SwaggerTest, DocumentIsServedToAnyone) {
  Response r = client_as("", "")->get(std::string(kApi) + "/swagger.json");
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_NE(r.header("Content-Type").find("application/json"), std::string::npos);
  json::value document = json_of(r);
  ASSERT_TRUE(document.is_object()) << "not JSON";
  EXPECT_EQ(text_of(document, "swagger"), "2.0");
  EXPECT_EQ(text_of(document, "basePath"), "/api/v2.0");
  EXPECT_FALSE(documented_operations(document).empty());
  for (const char* model : {"Robot", "RobotCreate", "RobotCreated", "RobotSec", "Repository", "Artifact",
                            "Tag", "AuditLog", "Errors"}) {
    EXPECT_TRUE(document.at("definitions").as_object().contains(model)) << model;
  }
}

TEST_F(SwaggerTest, EveryDocumentedOperationAnswers) {
  Response served = client().get(std::string(kApi) + "/swagger.json");
  ASSERT_EQ(served.status, 200);
  const json::value document = json_of(served);
  ASSERT_TRUE(document.is_object());

  // Things for the path parameters to name.
  const std::string project = unique_name("swagger");
  const std::int64_t project_id = create_project(project);
  ASSERT_GT(project_id, 0);
  ASSERT_TRUE(push_image(client(), project + "/app", "v1", make_image()));
  const std::string user = unique_name("swuser");
  const std::int64_t user_id = create_user(user);
  add_member(project, user, HarborRole::developer);
  Response members = client().get(std::string(kApi) + "/projects/" + project + "/members");
  ASSERT_EQ(members.status, 200) << members;
  std::int64_t member_id = 0;
  const json::value member_list = json_of(members);
  for (const auto& member : member_list.as_array()) {
    if (text_of(member, "entity_name") == user) member_id = int_of(member, "id").value_or(0);
  }
  ASSERT_GT(member_id, 0) << members;
  Response robot = create_robot("swagger", "project", project, {{"repository", "pull"}});
  ASSERT_EQ(robot.status, 201) << robot;
  Response label = client().post(std::string(kApi) + "/labels",
                                 R"({"name":")" + unique_name("swlabel") + R"(","scope":"g"})",
                                 {{"Content-Type", "application/json"}});
  ASSERT_EQ(label.status, 201) << label;
  const std::string label_id = label.header("Location").substr(label.header("Location").rfind('/') + 1);
  const std::map<std::string, std::string> values = {
      {"project_name", project},
      {"project_name_or_id", project},
      {"repository_name", "app"},
      {"reference", "v1"},
      {"tag_name", "v1"},
      {"robot_id", std::to_string(int_of(json_of(robot), "id").value_or(0))},
      {"user_id", std::to_string(user_id)},
      {"mid", std::to_string(member_id)},
      {"meta_name", "public"},
      {"job_type", "all"},
      {"job_id", "1"},
      {"report_id", "sha256:" + std::string(64, '0')},
      {"addition", "build_history"},
      {"label_id", label_id},
      {"digest", "sha256:" + std::string(64, '0')},
      {"id", "1"},     // the quota of the project "library"
      {"gc_id", "1"},  // no such run: 404 from the handler, not from routing
      {"immutable_rule_id", "987654"},
      {"eid", "987654"},  // no such execution (nor policy 1): answered by the handler
      {"tid", "987654"},
      {"webhook_policy_id", "987654"},  // no such policy: answered by the handler
      {"execution_id", "987654"},
      {"task_id", "987654"},
  };

  // Deletes last, the deepest paths first, so that nothing is removed before it is used.
  std::vector<Operation> operations = documented_operations(document);
  std::stable_sort(operations.begin(), operations.end(), [](const Operation& a, const Operation& b) {
    const bool a_delete = a.method == "DELETE";
    const bool b_delete = b.method == "DELETE";
    if (a_delete != b_delete) return b_delete;
    return a_delete && a.path.size() > b.path.size();
  });
  for (const Operation& operation : operations) {
    std::string target = std::string(kApi);
    std::string_view rest = operation.path;
    bool filled = true;
    while (!rest.empty()) {
      const auto open = rest.find('{');
      target.append(rest.substr(0, open));
      if (open == std::string_view::npos) break;
      const auto close = rest.find('}', open);
      const std::string name(rest.substr(open + 1, close - open - 1));
      auto value = values.find(name);
      if (value == values.end()) {
        ADD_FAILURE() << "no test value for path parameter {" << name << "} of " << operation.path;
        filled = false;
        break;
      }
      target += value->second;
      rest = rest.substr(close + 1);
    }
    if (!filled) continue;
    Request request(operation.method, target, {{"Content-Type", "application/json"}});
    if (operation.method == "POST" || operation.method == "PUT" || operation.method == "PATCH")
      request.body = "{}";
    Response r = client().send(request);
    EXPECT_FALSE(unknown_route(r)) << operation.method << " " << operation.path << ": " << r;
    EXPECT_NE(r.status, 405) << operation.method << " " << operation.path << ": " << r;
    EXPECT_GT(r.status, 0) << operation.method << " " << operation.path << ": " << r.transport_error;
    EXPECT_LT(r.status, 500) << operation.method << " " << operation.path << ": " << r;
  }

  // The check above can tell an unknown route from a known one.
  EXPECT_TRUE(unknown_route(client().get(std::string(kApi) + "/no-such-resource")));
}

}  // namespace
}  // namespace berth::integration
