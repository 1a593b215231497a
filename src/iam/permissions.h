// Harbor's access model as data: the resources and actions a permission names, and
// which of them each project role grants. Robots carry explicit (resource, action)
// permissions with the same names. Pure functions, no I/O.
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "meta/iam_database.h"

namespace berth::iam {

// Resource and action names, spelled as Harbor's API spells them.
namespace resource {
inline constexpr std::string_view project = "project";
inline constexpr std::string_view metadata = "metadata";
inline constexpr std::string_view member = "member";
inline constexpr std::string_view log = "log";
inline constexpr std::string_view repository = "repository";
inline constexpr std::string_view artifact = "artifact";
inline constexpr std::string_view tag = "tag";
inline constexpr std::string_view artifact_label = "artifact-label";
inline constexpr std::string_view scan = "scan";
inline constexpr std::string_view sbom = "sbom";
inline constexpr std::string_view robot = "robot";
inline constexpr std::string_view quota = "quota";
inline constexpr std::string_view immutable_tag = "immutable-tag";
inline constexpr std::string_view tag_retention = "tag-retention";
inline constexpr std::string_view notification_policy = "notification-policy";
inline constexpr std::string_view label = "label";
inline constexpr std::string_view configuration = "configuration";  // project configuration (portal)
inline constexpr std::string_view accessory = "accessory";          // signatures, SBOMs attached to artifacts
inline constexpr std::string_view artifact_addition = "artifact-addition";  // build history, values, readme
inline constexpr std::string_view scanner = "scanner";                      // the project's scanner choice
}  // namespace resource

namespace action {
inline constexpr std::string_view pull = "pull";
inline constexpr std::string_view push = "push";
inline constexpr std::string_view create = "create";
inline constexpr std::string_view read = "read";
inline constexpr std::string_view update = "update";
inline constexpr std::string_view del = "delete";
inline constexpr std::string_view list = "list";
inline constexpr std::string_view stop = "stop";
inline constexpr std::string_view operate = "operate";
}  // namespace action

struct Permission {
  std::string_view resource;
  std::string_view action;
  friend bool operator==(const Permission&, const Permission&) = default;
};

// True if `role` grants `action` on `resource` in its project. Harbor's matrix
// (src/common/rbac/project/rbac_role.go, Harbor 2.x, without the removed helm-chart
// resources, with Harbor 2.11's sbom): project admin everything; maintainer all but
// member, robot and project management (no project update/delete, robot and
// notification-policy read/list only); developer pull, push, create artifacts and tags,
// artifact labels and tag-retention rules, but no deletes of artifacts, tags or
// repositories and no scans (scan read only); guest read-only with member and log reads;
// limited guest pull and artifact/tag reads without members, logs, labels or robots.
// "project" here is Harbor's project itself (its "" self resource).
bool role_allows(meta::Role role, std::string_view resource, std::string_view action);

// Every permission a role grants (for documentation and the permissions API).
std::span<const Permission> role_permissions(meta::Role role);

// Every (resource, action) a project-level robot may be given, as Harbor's robot API
// allows (rbac.PoliciesMap["Project"], plus sbom); anything else is refused at creation.
std::span<const Permission> robot_assignable_permissions();
bool robot_may_hold(std::string_view resource, std::string_view action);

// Harbor's role names ("projectAdmin", "maintainer", "developer", "guest",
// "limitedGuest") and ids 1..5.
std::string_view role_name(meta::Role role);
std::optional<meta::Role> role_from_id(int id);
std::optional<meta::Role> role_from_name(std::string_view name);

}  // namespace berth::iam
