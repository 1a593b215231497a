#include "iam/permissions.h"

#include <algorithm>
#include <array>

namespace berth::iam {
namespace {

namespace r = resource;
namespace a = action;

// The facts below are Harbor's (src/common/rbac/project/rbac_role.go and rbac.PoliciesMap
// in src/common/rbac/const.go), regrouped by resource. Helm-chart resources are left out
// (Harbor 2.8 removed ChartMuseum; charts are OCI artifacts under "repository"), and so
// are resources Berth has no feature for (preheat-policy, export-cve).

constexpr Permission kProjectAdmin[] = {
    {r::project, a::read},
    {r::project, a::update},
    {r::project, a::del},

    {r::member, a::create},
    {r::member, a::read},
    {r::member, a::update},
    {r::member, a::del},
    {r::member, a::list},

    {r::metadata, a::create},
    {r::metadata, a::read},
    {r::metadata, a::update},
    {r::metadata, a::del},

    {r::log, a::list},

    {r::label, a::create},
    {r::label, a::read},
    {r::label, a::update},
    {r::label, a::del},
    {r::label, a::list},

    {r::quota, a::read},

    {r::repository, a::create},
    {r::repository, a::read},
    {r::repository, a::update},
    {r::repository, a::del},
    {r::repository, a::list},
    {r::repository, a::pull},
    {r::repository, a::push},

    {r::tag_retention, a::create},
    {r::tag_retention, a::read},
    {r::tag_retention, a::update},
    {r::tag_retention, a::del},
    {r::tag_retention, a::list},
    {r::tag_retention, a::operate},

    {r::immutable_tag, a::create},
    {r::immutable_tag, a::update},
    {r::immutable_tag, a::del},
    {r::immutable_tag, a::list},

    {r::configuration, a::read},
    {r::configuration, a::update},

    {r::robot, a::create},
    {r::robot, a::read},
    {r::robot, a::update},
    {r::robot, a::del},
    {r::robot, a::list},

    {r::notification_policy, a::create},
    {r::notification_policy, a::update},
    {r::notification_policy, a::del},
    {r::notification_policy, a::list},
    {r::notification_policy, a::read},

    {r::scan, a::create},
    {r::scan, a::read},
    {r::scan, a::stop},

    {r::sbom, a::create},
    {r::sbom, a::stop},
    {r::sbom, a::read},

    {r::scanner, a::read},
    {r::scanner, a::create},

    {r::artifact, a::create},
    {r::artifact, a::read},
    {r::artifact, a::del},
    {r::artifact, a::list},
    {r::artifact_addition, a::read},

    {r::tag, a::list},
    {r::tag, a::create},
    {r::tag, a::del},

    {r::accessory, a::list},

    {r::artifact_label, a::create},
    {r::artifact_label, a::del},
};

constexpr Permission kMaintainer[] = {
    {r::project, a::read},

    {r::member, a::read},
    {r::member, a::list},

    {r::metadata, a::create},
    {r::metadata, a::read},
    {r::metadata, a::update},
    {r::metadata, a::del},

    {r::log, a::list},

    {r::quota, a::read},

    {r::label, a::create},
    {r::label, a::read},
    {r::label, a::update},
    {r::label, a::del},
    {r::label, a::list},

    {r::repository, a::create},
    {r::repository, a::read},
    {r::repository, a::update},
    {r::repository, a::del},
    {r::repository, a::list},
    {r::repository, a::push},
    {r::repository, a::pull},

    {r::tag_retention, a::create},
    {r::tag_retention, a::read},
    {r::tag_retention, a::update},
    {r::tag_retention, a::del},
    {r::tag_retention, a::list},
    {r::tag_retention, a::operate},

    {r::accessory, a::list},

    {r::immutable_tag, a::create},
    {r::immutable_tag, a::update},
    {r::immutable_tag, a::del},
    {r::immutable_tag, a::list},

    {r::configuration, a::read},

    {r::robot, a::read},
    {r::robot, a::list},

    {r::notification_policy, a::list},

    {r::scan, a::create},
    {r::scan, a::read},
    {r::scan, a::stop},

    {r::sbom, a::create},
    {r::sbom, a::stop},
    {r::sbom, a::read},

    {r::scanner, a::read},

    {r::artifact, a::create},
    {r::artifact, a::read},
    {r::artifact, a::del},
    {r::artifact, a::list},
    {r::artifact_addition, a::read},

    {r::tag, a::list},
    {r::tag, a::create},
    {r::tag, a::del},

    {r::artifact_label, a::create},
    {r::artifact_label, a::del},
};

constexpr Permission kDeveloper[] = {
    {r::project, a::read},

    {r::member, a::read},
    {r::member, a::list},

    {r::log, a::list},

    {r::label, a::read},
    {r::label, a::list},

    {r::quota, a::read},

    {r::repository, a::create},
    {r::repository, a::read},
    {r::repository, a::update},
    {r::repository, a::list},
    {r::repository, a::push},
    {r::repository, a::pull},

    {r::tag_retention, a::create},
    {r::tag_retention, a::read},
    {r::tag_retention, a::update},
    {r::tag_retention, a::del},
    {r::tag_retention, a::list},
    {r::tag_retention, a::operate},

    {r::configuration, a::read},

    {r::robot, a::read},
    {r::robot, a::list},

    {r::scan, a::read},
    {r::sbom, a::read},

    {r::scanner, a::read},

    {r::artifact, a::create},
    {r::artifact, a::read},
    {r::artifact, a::list},
    {r::artifact_addition, a::read},

    {r::tag, a::list},
    {r::tag, a::create},

    {r::accessory, a::list},

    {r::artifact_label, a::create},
    {r::artifact_label, a::del},
};

constexpr Permission kGuest[] = {
    {r::project, a::read},

    {r::member, a::read},        {r::member, a::list},

    {r::log, a::list},

    {r::label, a::read},         {r::label, a::list},

    {r::quota, a::read},

    {r::repository, a::read},    {r::repository, a::list}, {r::repository, a::pull},

    {r::configuration, a::read},

    {r::robot, a::read},         {r::robot, a::list},

    {r::scan, a::read},          {r::sbom, a::read},

    {r::scanner, a::read},

    {r::tag, a::list},           {r::accessory, a::list},

    {r::artifact, a::read},      {r::artifact, a::list},   {r::artifact_addition, a::read},
};

constexpr Permission kLimitedGuest[] = {
    {r::project, a::read},

    {r::quota, a::read},

    {r::repository, a::list},    {r::repository, a::pull},

    {r::configuration, a::read},

    {r::scan, a::read},          {r::sbom, a::read},

    {r::scanner, a::read},

    {r::tag, a::list},           {r::accessory, a::list},

    {r::artifact, a::read},      {r::artifact, a::list},   {r::artifact_addition, a::read},
};

// Harbor's robot API (rbac.PoliciesMap["Project"]) plus sbom, which Harbor 2.11 made
// grantable to robots.
constexpr Permission kRobotAssignable[] = {
    {r::log, a::list},

    {r::project, a::read},
    {r::project, a::del},
    {r::project, a::update},

    {r::metadata, a::read},
    {r::metadata, a::create},
    {r::metadata, a::del},
    {r::metadata, a::list},
    {r::metadata, a::update},

    {r::repository, a::read},
    {r::repository, a::update},
    {r::repository, a::del},
    {r::repository, a::list},
    {r::repository, a::pull},
    {r::repository, a::push},

    {r::artifact, a::read},
    {r::artifact, a::create},
    {r::artifact, a::list},
    {r::artifact, a::del},

    {r::scan, a::create},
    {r::scan, a::read},
    {r::scan, a::stop},

    {r::sbom, a::create},
    {r::sbom, a::stop},
    {r::sbom, a::read},

    {r::tag, a::create},
    {r::tag, a::list},
    {r::tag, a::del},

    {r::accessory, a::list},

    {r::artifact_addition, a::read},

    {r::artifact_label, a::create},
    {r::artifact_label, a::del},

    {r::scanner, a::create},
    {r::scanner, a::read},

    {r::immutable_tag, a::create},
    {r::immutable_tag, a::del},
    {r::immutable_tag, a::list},
    {r::immutable_tag, a::update},

    {r::notification_policy, a::read},
    {r::notification_policy, a::create},
    {r::notification_policy, a::del},
    {r::notification_policy, a::list},
    {r::notification_policy, a::update},

    {r::tag_retention, a::read},
    {r::tag_retention, a::create},
    {r::tag_retention, a::del},
    {r::tag_retention, a::list},
    {r::tag_retention, a::update},

    {r::label, a::read},
    {r::label, a::create},
    {r::label, a::del},
    {r::label, a::list},
    {r::label, a::update},

    {r::quota, a::read},
};

struct RoleInfo {
  meta::Role role;
  std::string_view name;
  std::span<const Permission> permissions;
};

constexpr RoleInfo kRoles[] = {
    {meta::Role::project_admin, "projectAdmin", kProjectAdmin},
    {meta::Role::developer, "developer", kDeveloper},
    {meta::Role::guest, "guest", kGuest},
    {meta::Role::maintainer, "maintainer", kMaintainer},
    {meta::Role::limited_guest, "limitedGuest", kLimitedGuest},
};

const RoleInfo* info(meta::Role role) {
  for (const auto& entry : kRoles) {
    if (entry.role == role) return &entry;
  }
  return nullptr;  // a value outside the enum
}

bool contains(std::span<const Permission> permissions, std::string_view resource, std::string_view action) {
  return std::any_of(permissions.begin(), permissions.end(),
                     [&](const Permission& p) { return p.resource == resource && p.action == action; });
}

}  // namespace

bool role_allows(meta::Role role, std::string_view resource, std::string_view action) {
  const auto* entry = info(role);
  return entry && contains(entry->permissions, resource, action);
}

std::span<const Permission> role_permissions(meta::Role role) {
  const auto* entry = info(role);
  return entry ? entry->permissions : std::span<const Permission>{};
}

std::span<const Permission> robot_assignable_permissions() {
  return kRobotAssignable;
}

bool robot_may_hold(std::string_view resource, std::string_view action) {
  return contains(kRobotAssignable, resource, action);
}

std::string_view role_name(meta::Role role) {
  const auto* entry = info(role);
  return entry ? entry->name : std::string_view{};
}

std::optional<meta::Role> role_from_id(int id) {
  for (const auto& entry : kRoles) {
    if (static_cast<int>(entry.role) == id) return entry.role;
  }
  return std::nullopt;
}

std::optional<meta::Role> role_from_name(std::string_view name) {
  for (const auto& entry : kRoles) {
    if (entry.name == name) return entry.role;
  }
  return std::nullopt;
}

}  // namespace berth::iam
