// Principal: who is making a request, as authentication established it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "iam/token.h"
#include "meta/iam_database.h"

namespace berth::iam {

struct Principal {
  enum class Kind { anonymous, user, robot };
  Kind kind = Kind::anonymous;
  std::int64_t id = 0;
  std::string name = "anonymous";  // user name or robot full name
  bool sysadmin = false;
  // Robots: the explicit permissions they were given, and their project (project-level).
  std::vector<meta::RobotPermission> robot_permissions;
  std::int64_t robot_project_id = 0;
  // Set when the request carried a bearer token: the token's access claim. Registry
  // actions are then limited to what it lists, on top of the principal's permissions.
  std::optional<std::vector<Access>> token_access;

  bool anonymous() const { return kind == Kind::anonymous; }
  bool is_robot() const { return kind == Kind::robot; }
};

}  // namespace berth::iam
