#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>

#include "iam/permissions.h"

namespace berth::iam {
namespace {

using meta::Role;
namespace r = resource;
namespace a = action;

constexpr Role kAllRoles[] = {Role::project_admin, Role::maintainer, Role::developer, Role::guest,
                              Role::limited_guest};

TEST(Permissions, GuestCanPullButNotPush) {
  EXPECT_TRUE(role_allows(Role::guest, r::repository, a::pull));
  EXPECT_FALSE(role_allows(Role::guest, r::repository, a::push));
  EXPECT_FALSE(role_allows(Role::guest, r::tag, a::create));
  EXPECT_FALSE(role_allows(Role::guest, r::artifact, a::del));
  EXPECT_TRUE(role_allows(Role::guest, r::artifact, a::read));
  EXPECT_TRUE(role_allows(Role::guest, r::member, a::list));
  EXPECT_TRUE(role_allows(Role::guest, r::log, a::list));
}

TEST(Permissions, DeveloperCanPushButNotDeleteArtifactsOrTags) {
  EXPECT_TRUE(role_allows(Role::developer, r::repository, a::push));
  EXPECT_TRUE(role_allows(Role::developer, r::repository, a::pull));
  EXPECT_TRUE(role_allows(Role::developer, r::artifact, a::create));
  EXPECT_TRUE(role_allows(Role::developer, r::tag, a::create));
  EXPECT_FALSE(role_allows(Role::developer, r::artifact, a::del));
  EXPECT_FALSE(role_allows(Role::developer, r::tag, a::del));
  EXPECT_FALSE(role_allows(Role::developer, r::repository, a::del));
  EXPECT_FALSE(role_allows(Role::developer, r::scan, a::create));
  EXPECT_TRUE(role_allows(Role::developer, r::scan, a::read));
  EXPECT_FALSE(role_allows(Role::developer, r::member, a::create));
}

TEST(Permissions, MaintainerCanDeleteArtifactsButNotManageMembers) {
  EXPECT_TRUE(role_allows(Role::maintainer, r::artifact, a::del));
  EXPECT_TRUE(role_allows(Role::maintainer, r::tag, a::del));
  EXPECT_TRUE(role_allows(Role::maintainer, r::repository, a::del));
  EXPECT_TRUE(role_allows(Role::maintainer, r::scan, a::create));
  EXPECT_TRUE(role_allows(Role::maintainer, r::immutable_tag, a::create));
  EXPECT_TRUE(role_allows(Role::maintainer, r::member, a::list));
  EXPECT_FALSE(role_allows(Role::maintainer, r::member, a::create));
  EXPECT_FALSE(role_allows(Role::maintainer, r::member, a::update));
  EXPECT_FALSE(role_allows(Role::maintainer, r::member, a::del));
  EXPECT_FALSE(role_allows(Role::maintainer, r::robot, a::create));
  EXPECT_FALSE(role_allows(Role::maintainer, r::project, a::del));
  EXPECT_FALSE(role_allows(Role::maintainer, r::project, a::update));
}

TEST(Permissions, ProjectAdminManagesMembersRobotsAndTheProject) {
  for (const auto action : {a::create, a::read, a::update, a::del, a::list}) {
    EXPECT_TRUE(role_allows(Role::project_admin, r::member, action)) << action;
    EXPECT_TRUE(role_allows(Role::project_admin, r::robot, action)) << action;
  }
  EXPECT_TRUE(role_allows(Role::project_admin, r::project, a::del));
  EXPECT_TRUE(role_allows(Role::project_admin, r::artifact, a::del));
  EXPECT_TRUE(role_allows(Role::project_admin, r::notification_policy, a::create));
}

TEST(Permissions, LimitedGuestCannotSeeMembersOrLogs) {
  EXPECT_TRUE(role_allows(Role::limited_guest, r::repository, a::pull));
  EXPECT_TRUE(role_allows(Role::limited_guest, r::artifact, a::read));
  EXPECT_TRUE(role_allows(Role::limited_guest, r::tag, a::list));
  EXPECT_FALSE(role_allows(Role::limited_guest, r::member, a::list));
  EXPECT_FALSE(role_allows(Role::limited_guest, r::member, a::read));
  EXPECT_FALSE(role_allows(Role::limited_guest, r::log, a::list));
  EXPECT_FALSE(role_allows(Role::limited_guest, r::repository, a::push));
  EXPECT_FALSE(role_allows(Role::limited_guest, r::robot, a::list));
}

TEST(Permissions, RolesAreNestedFromLimitedGuestToProjectAdmin) {
  // Harbor's roles form a chain: each grants everything the one below it does.
  const Role chain[] = {Role::limited_guest, Role::guest, Role::developer, Role::maintainer,
                        Role::project_admin};
  for (std::size_t i = 0; i + 1 < std::size(chain); ++i) {
    for (const auto& p : role_permissions(chain[i])) {
      EXPECT_TRUE(role_allows(chain[i + 1], p.resource, p.action))
          << role_name(chain[i + 1]) << " lacks " << p.resource << ":" << p.action << " that "
          << role_name(chain[i]) << " has";
    }
    EXPECT_GT(role_permissions(chain[i + 1]).size(), role_permissions(chain[i]).size());
  }
}

TEST(Permissions, TablesHaveNoDuplicatesAndAgreeWithRoleAllows) {
  for (const Role role : kAllRoles) {
    std::set<std::pair<std::string_view, std::string_view>> seen;
    for (const auto& p : role_permissions(role)) {
      EXPECT_TRUE(seen.emplace(p.resource, p.action).second)
          << role_name(role) << " " << p.resource << ":" << p.action;
      EXPECT_TRUE(role_allows(role, p.resource, p.action));
    }
  }
  std::set<std::pair<std::string_view, std::string_view>> seen;
  for (const auto& p : robot_assignable_permissions()) {
    EXPECT_TRUE(seen.emplace(p.resource, p.action).second) << p.resource << ":" << p.action;
    EXPECT_TRUE(robot_may_hold(p.resource, p.action));
  }
}

TEST(Permissions, UnknownResourcesActionsAndRolesGrantNothing) {
  EXPECT_FALSE(role_allows(Role::project_admin, "helm-chart", a::read));
  EXPECT_FALSE(role_allows(Role::project_admin, r::repository, "*"));
  EXPECT_FALSE(role_allows(Role::project_admin, "*", a::pull));
  EXPECT_FALSE(role_allows(Role::project_admin, "", a::read));
  EXPECT_FALSE(role_allows(static_cast<Role>(99), r::repository, a::pull));
  EXPECT_TRUE(role_permissions(static_cast<Role>(99)).empty());
}

TEST(Permissions, RobotsGetWhatHarborsRobotApiAllows) {
  EXPECT_TRUE(robot_may_hold(r::repository, a::pull));
  EXPECT_TRUE(robot_may_hold(r::repository, a::push));
  EXPECT_TRUE(robot_may_hold(r::repository, a::del));
  EXPECT_TRUE(robot_may_hold(r::repository, a::list));
  EXPECT_TRUE(robot_may_hold(r::artifact, a::del));
  EXPECT_TRUE(robot_may_hold(r::tag, a::create));
  EXPECT_TRUE(robot_may_hold(r::tag, a::del));
  EXPECT_TRUE(robot_may_hold(r::scan, a::create));
  EXPECT_TRUE(robot_may_hold(r::scan, a::stop));
  EXPECT_TRUE(robot_may_hold(r::sbom, a::create));
  EXPECT_TRUE(robot_may_hold(r::artifact_label, a::create));
  EXPECT_TRUE(robot_may_hold(r::project, a::read));
  EXPECT_TRUE(robot_may_hold(r::log, a::list));
  EXPECT_TRUE(robot_may_hold(r::quota, a::read));
  // Robots never manage people or other robots.
  EXPECT_FALSE(robot_may_hold(r::member, a::create));
  EXPECT_FALSE(robot_may_hold(r::member, a::del));
  EXPECT_FALSE(robot_may_hold(r::robot, a::create));
  EXPECT_FALSE(robot_may_hold(r::robot, a::del));
  EXPECT_FALSE(robot_may_hold(r::repository, "*"));
  EXPECT_FALSE(robot_may_hold("helm-chart", a::read));
}

TEST(Permissions, RoleNamesAndIdsAreHarbors) {
  const std::pair<Role, std::pair<int, std::string_view>> expected[] = {
      {Role::project_admin, {1, "projectAdmin"}},
      {Role::developer, {2, "developer"}},
      {Role::guest, {3, "guest"}},
      {Role::maintainer, {4, "maintainer"}},
      {Role::limited_guest, {5, "limitedGuest"}},
  };
  for (const auto& [role, id_name] : expected) {
    EXPECT_EQ(role_name(role), id_name.second);
    EXPECT_EQ(role_from_id(id_name.first), role);
    EXPECT_EQ(role_from_name(id_name.second), role);
  }
  EXPECT_FALSE(role_from_id(0).has_value());
  EXPECT_FALSE(role_from_id(6).has_value());
  EXPECT_FALSE(role_from_name("admin").has_value());
  EXPECT_FALSE(role_from_name("ProjectAdmin").has_value());
  EXPECT_FALSE(role_from_name("").has_value());
}

}  // namespace
}  // namespace berth::iam
