#include "harbor_api.h"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>

namespace berth::integration {

namespace json = boost::json;

json::value json_of(const Response& response) {
  return parse_json(response.body).value_or(json::value{});
}

std::string text_of(const json::value& object, std::string_view key) {
  if (!object.is_object()) return {};
  const json::value* value = object.as_object().if_contains(key);
  if (value == nullptr || !value->is_string()) return {};
  return std::string(value->as_string());
}

std::optional<std::int64_t> int_of(const json::value& object, std::string_view key) {
  if (!object.is_object()) return std::nullopt;
  const json::value* value = object.as_object().if_contains(key);
  if (value == nullptr) return std::nullopt;
  if (value->is_int64()) return value->as_int64();
  if (value->is_uint64()) return static_cast<std::int64_t>(value->as_uint64());
  return std::nullopt;
}

::testing::AssertionResult IsHarborError(const Response& response, long status, std::string_view code) {
  if (response.status != status)
    return ::testing::AssertionFailure() << "expected HTTP " << status << ", got " << describe(response);
  json::value body = json_of(response);
  const json::value* errors = body.is_object() ? body.as_object().if_contains("errors") : nullptr;
  if (errors == nullptr || !errors->is_array() || errors->as_array().empty())
    return ::testing::AssertionFailure() << "not Harbor's error body: " << describe(response);
  for (const json::value& error : errors->as_array()) {
    if (text_of(error, "message").empty() && !error.as_object().contains("message"))
      return ::testing::AssertionFailure() << "an error without a message: " << describe(response);
    if (code.empty() || text_of(error, "code") == code) return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "no error with code " << code << ": " << describe(response);
}

std::string unique_name(std::string_view prefix) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string test = info == nullptr ? "none" : info->name();
  std::string name(prefix);
  name += '-';
  for (char c : test) {
    if (std::isalnum(static_cast<unsigned char>(c))) name.push_back(static_cast<char>(std::tolower(c)));
  }
  if (name.size() > 40) name.resize(40);
  name += '-';
  name += random_hex(6);
  return name;
}

std::string repository_api_path(std::string_view project, std::string_view repository) {
  std::string out = std::string(kApi) + "/projects/" + std::string(project) + "/repositories/";
  for (char c : repository) {
    if (c == '/') {
      out += "%252F";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void HarborApiTest::SetUp() {
  RegistryTest::SetUp();
  if (HasFatalFailure()) return;
  if (!against_berth()) GTEST_SKIP() << "Berth's management API; REGISTRY_URL is set";
}

std::unique_ptr<HttpClient> HarborApiTest::client_as(const std::string& user, const std::string& password) {
  auto out = std::make_unique<HttpClient>(registry().url());
  if (!user.empty()) out->set_basic_auth(user, password);
  return out;
}

std::int64_t HarborApiTest::create_project(const std::string& name, bool is_public) {
  json::object body{{"project_name", name}, {"metadata", {{"public", is_public ? "true" : "false"}}}};
  Response created = client().post(std::string(kApi) + "/projects", json::serialize(body),
                                   {{"Content-Type", "application/json"}});
  EXPECT_EQ(created.status, 201) << created;
  Response project = client().get(std::string(kApi) + "/projects/" + name);
  EXPECT_EQ(project.status, 200) << project;
  return int_of(json_of(project), "project_id").value_or(0);
}

std::int64_t HarborApiTest::create_user(const std::string& name) {
  json::object body{{"username", name},
                    {"email", name + "@example.com"},
                    {"realname", name},
                    {"password", kUserPassword},
                    {"comment", "integration test"}};
  Response created = client().post(std::string(kApi) + "/users", json::serialize(body),
                                   {{"Content-Type", "application/json"}});
  EXPECT_EQ(created.status, 201) << created;
  const std::string location = created.header("Location");
  const auto slash = location.rfind('/');
  return slash == std::string::npos ? 0 : std::stoll(location.substr(slash + 1));
}

void HarborApiTest::add_member(const std::string& project, const std::string& user, HarborRole role) {
  json::object body{{"role_id", static_cast<int>(role)}, {"member_user", {{"username", user}}}};
  Response added = client().post(std::string(kApi) + "/projects/" + project + "/members",
                                 json::serialize(body), {{"Content-Type", "application/json"}});
  EXPECT_EQ(added.status, 201) << added;
}

std::unique_ptr<HttpClient> HarborApiTest::member_client(const std::string& project, HarborRole role) {
  const std::string user = unique_name("user");
  create_user(user);
  add_member(project, user, role);
  return client_as(user, kUserPassword);
}

Response HarborApiTest::create_robot(const std::string& name, const std::string& level,
                                     const std::string& project,
                                     const std::vector<std::pair<std::string, std::string>>& access,
                                     std::int64_t duration, HttpClient* as) {
  json::array accesses;
  for (const auto& [resource, action] : access)
    accesses.push_back({{"resource", resource}, {"action", action}});
  json::object permission{{"kind", "project"}, {"namespace", project}, {"access", std::move(accesses)}};
  json::object body{{"name", name},     {"description", "integration test"},
                    {"level", level},   {"duration", duration},
                    {"disable", false}, {"permissions", json::array{std::move(permission)}}};
  HttpClient& sender = as == nullptr ? client() : *as;
  return sender.post(std::string(kApi) + "/robots", json::serialize(body),
                     {{"Content-Type", "application/json"}});
}

}  // namespace berth::integration
