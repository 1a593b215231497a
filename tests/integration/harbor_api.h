// Helpers for the tests of Berth's Harbor-compatible management API (/api/v2.0): JSON
// bodies, Harbor's error shape, and the users, projects, members and robots a test sets
// up through the API itself, as a Harbor user would.
#pragma once

#include <gtest/gtest.h>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http_client.h"
#include "registry_fixture.h"

namespace berth::integration {

inline constexpr std::string_view kApi = "/api/v2.0";
// The password of every user the API tests create.
inline constexpr const char* kUserPassword = "Harbor-User-12";

// Harbor's role ids.
enum class HarborRole { project_admin = 1, developer = 2, guest = 3, maintainer = 4, limited_guest = 5 };

// The body as JSON (null when it is not JSON).
boost::json::value json_of(const Response& response);
// The member `key` of an object as text ("" when absent or not a string).
std::string text_of(const boost::json::value& object, std::string_view key);
// The member `key` of an object as an integer (nullopt when absent or not an integer).
std::optional<std::int64_t> int_of(const boost::json::value& object, std::string_view key);

// Success when `response` has `status` and Harbor's error body
// {"errors":[{"code": ..., "message": ...}]}, with `code` among the codes when given.
::testing::AssertionResult IsHarborError(const Response& response, long status, std::string_view code = {});

// A lower-case name unique to the running test: "<prefix>-<test>-<random>".
std::string unique_name(std::string_view prefix);

// "/api/v2.0/projects/<p>/repositories/<r with / as %252F>".
std::string repository_api_path(std::string_view project, std::string_view repository);

// Fixture for the management-API tests: a shared Berth (RegistryTest) where client() is
// the admin. Skips against an external registry.
class HarborApiTest : public RegistryTest {
 protected:
  void SetUp() override;

  // A client of the same Berth signed in as `user` with `password` (no auth when empty).
  std::unique_ptr<HttpClient> client_as(const std::string& user, const std::string& password);
  // POST /projects as admin; expects 201. Returns the project id (0 on failure).
  std::int64_t create_project(const std::string& name, bool is_public = false);
  // POST /users as admin with kUserPassword; expects 201. Returns the user id.
  std::int64_t create_user(const std::string& name);
  // POST /projects/{p}/members as admin; expects 201.
  void add_member(const std::string& project, const std::string& user, HarborRole role);
  // A new user with `role` in `project`, and a client signed in as that user.
  std::unique_ptr<HttpClient> member_client(const std::string& project, HarborRole role);
  // POST /robots (as `as`, else admin) with project permissions on `project`; returns the
  // answer.
  Response create_robot(const std::string& name, const std::string& level, const std::string& project,
                        const std::vector<std::pair<std::string, std::string>>& access,
                        std::int64_t duration = -1, HttpClient* as = nullptr);
};

}  // namespace berth::integration
