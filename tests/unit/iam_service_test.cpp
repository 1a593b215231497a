// iam::Service over a real SQLite database: bootstrap, authentication and its lockout,
// robots, the permission checks the registry relies on, and that revoking access takes
// effect at once.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "events/activity.h"
#include "iam/password.h"
#include "iam/permissions.h"
#include "iam/service.h"
#include "meta/sqlite.h"

namespace berth::iam {
namespace {

namespace fs = std::filesystem;

class IamServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("berth-iam-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto opened = meta::open_sqlite((dir_ / "meta.db").string());
    ASSERT_TRUE(opened) << opened.error().message;
    db_ = std::move(*opened);
    activity_ = std::make_unique<events::Activity>(*db_.iam, *db_.registry);
    Options options;
    options.max_failed_logins = 3;
    options.lockout = std::chrono::seconds(60);
    service_ = std::make_unique<Service>(*db_.iam, *db_.registry, *activity_, options);
    auto boot = service_->bootstrap(std::string("Admin-Password-1"));
    ASSERT_TRUE(boot) << boot.error().message;
    ASSERT_TRUE(boot->created_admin);
    auto admin = service_->authenticate("admin", "Admin-Password-1", "10.0.0.1");
    ASSERT_TRUE(admin) << admin.error().message;
    admin_ = Caller{*admin, "10.0.0.1"};
  }

  void TearDown() override {
    service_.reset();
    activity_.reset();
    db_ = {};
    fs::remove_all(dir_);
  }

  meta::User make_user(const std::string& name) {
    NewUser user;
    user.username = name;
    user.email = name + "@example.com";
    user.password = "User-Password-1";
    auto created = service_->create_user(admin_, user);
    EXPECT_TRUE(created) << created.error().message;
    return created ? *created : meta::User{};
  }

  meta::Project make_project(const std::string& name, bool is_public) {
    NewProject project;
    project.name = name;
    project.metadata["public"] = is_public ? "true" : "false";
    auto created = service_->create_project(admin_, project);
    EXPECT_TRUE(created) << created.error().message;
    return created ? *created : meta::Project{};
  }

  Principal login(const std::string& name, const std::string& password = "User-Password-1") {
    auto principal = service_->authenticate(name, password, "10.0.0.2");
    EXPECT_TRUE(principal) << principal.error().message;
    return principal ? *principal : Principal{};
  }

  fs::path dir_;
  meta::SqliteMetadata db_;
  std::unique_ptr<events::Activity> activity_;
  std::unique_ptr<Service> service_;
  Caller admin_;
};

TEST_F(IamServiceTest, BootstrapCreatesAdminAndPublicLibraryOnce) {
  EXPECT_TRUE(admin_.principal.sysadmin);
  auto library = service_->project("library");
  ASSERT_TRUE(library);
  EXPECT_EQ(library->metadata.at("public"), "true");
  auto again = service_->bootstrap(std::string("Other-Password-2"));
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->created_admin);
  EXPECT_FALSE(service_->authenticate("admin", "Other-Password-2", "10.0.0.9"));
}

TEST_F(IamServiceTest, BootstrapWithoutPasswordGeneratesOneThatWorks) {
  auto opened = meta::open_sqlite((dir_ / "second.db").string());
  ASSERT_TRUE(opened);
  events::Activity activity(*opened->iam, *opened->registry);
  Service service(*opened->iam, *opened->registry, activity);
  auto boot = service.bootstrap(std::nullopt);
  ASSERT_TRUE(boot) << boot.error().message;
  ASSERT_FALSE(boot->generated_password.empty());
  EXPECT_TRUE(check_password_policy(boot->generated_password));
  EXPECT_TRUE(service.authenticate("admin", boot->generated_password, "10.0.0.1"));
}

TEST_F(IamServiceTest, BootstrapRefusesAWeakPassword) {
  auto opened = meta::open_sqlite((dir_ / "third.db").string());
  ASSERT_TRUE(opened);
  events::Activity activity(*opened->iam, *opened->registry);
  Service service(*opened->iam, *opened->registry, activity);
  auto boot = service.bootstrap(std::string("short"));
  ASSERT_FALSE(boot);
  EXPECT_EQ(boot.error().code, Error::Code::bad_request);
}

TEST_F(IamServiceTest, WrongPasswordAndUnknownUserGetTheSameAnswer) {
  make_user("alice");
  auto wrong = service_->authenticate("alice", "Wrong-Password-1", "10.0.0.3");
  auto unknown = service_->authenticate("nobody", "Wrong-Password-1", "10.0.0.4");
  ASSERT_FALSE(wrong);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(wrong.error().code, Error::Code::unauthorized);
  EXPECT_EQ(unknown.error().code, Error::Code::unauthorized);
  EXPECT_EQ(wrong.error().message, unknown.error().message);
}

TEST_F(IamServiceTest, RepeatedFailuresLockTheAddressOnly) {
  make_user("bob");
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(service_->authenticate("bob", "Wrong-Password-1", "192.0.2.7"));
  auto locked = service_->authenticate("bob", "User-Password-1", "192.0.2.7");
  ASSERT_FALSE(locked);
  EXPECT_EQ(locked.error().code, Error::Code::too_many_requests);
  EXPECT_TRUE(service_->authenticate("bob", "User-Password-1", "192.0.2.8"));

  activity_->flush();
  meta::ListQuery query;
  query.filters.push_back(meta::Filter{"client_ip", meta::Filter::Kind::exact, "192.0.2.7", {}, {}, {}});
  query.limit = 0;
  auto records = db_.iam->list_audit(query);
  ASSERT_TRUE(records);
  int failures = 0;
  bool lock_recorded = false;
  for (const auto& record : records->items) {
    if (record.operation == "login" && record.result == "failure") ++failures;
    if (record.operation == "lock") lock_recorded = true;
    EXPECT_EQ(record.description.find("Wrong-Password-1"), std::string::npos);
  }
  EXPECT_EQ(failures, 4);  // three wrong passwords, then the refused right one
  EXPECT_TRUE(lock_recorded);
}

// A burst of logins with the same name and password runs one password check: the others wait
// for it and take its result from the cache (only a check records a login).
TEST_F(IamServiceTest, ABurstOfTheSameLoginChecksThePasswordOnce) {
  make_user("carol");
  constexpr int kLogins = 8;
  std::atomic<int> ready{0};
  std::atomic<int> succeeded{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kLogins; ++i) {
    threads.emplace_back([&] {
      ++ready;
      while (ready.load() < kLogins) std::this_thread::yield();
      if (service_->authenticate("carol", "User-Password-1", "198.51.100.1")) ++succeeded;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(succeeded.load(), kLogins);

  activity_->flush();
  meta::ListQuery query;
  query.filters.push_back(meta::Filter{"client_ip", meta::Filter::Kind::exact, "198.51.100.1", {}, {}, {}});
  query.limit = 0;
  auto records = db_.iam->list_audit(query);
  ASSERT_TRUE(records);
  int checks = 0;
  for (const auto& record : records->items) {
    if (record.operation == "login" && record.result == "success") ++checks;
  }
  EXPECT_EQ(checks, 1);
}

// A password hashed with older argon2 costs is hashed again at the next successful login,
// and the password keeps working; a failed login leaves the hash alone.
TEST_F(IamServiceTest, ALoginReplacesAnOutdatedHash) {
  const meta::User user = make_user("dave");
  const std::string password = "User-Password-1";
  // Made by libargon2 with older Berth's costs (m=19 MiB, t=2) and a fixed salt.
  const std::string old_hash =
      "$argon2id$v=19$m=19456,t=2,p=1$CQgHBgUEAwIBAAECAwQFBg$T1mYTlYWd1/4YztXtXRgaJRDXY9c+GgnIoF7B8T68WM";
  ASSERT_TRUE(verify_password(password, old_hash));
  ASSERT_TRUE(db_.iam->set_password_hash(user.id, old_hash));

  EXPECT_FALSE(service_->authenticate("dave", "Wrong-Password-1", "203.0.113.5"));
  auto unchanged = db_.iam->find_user("dave");
  ASSERT_TRUE(unchanged && *unchanged);
  EXPECT_EQ((*unchanged)->password_hash, old_hash);

  EXPECT_TRUE(service_->authenticate("dave", password, "203.0.113.5"));
  auto rehashed = db_.iam->find_user("dave");
  ASSERT_TRUE(rehashed && *rehashed);
  EXPECT_TRUE((*rehashed)->password_hash.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"))
      << (*rehashed)->password_hash;
  EXPECT_TRUE(verify_password(password, (*rehashed)->password_hash));
  EXPECT_TRUE(service_->authenticate("dave", password, "203.0.113.5"));
}

// One valid account must not let an address keep guessing at another.
TEST_F(IamServiceTest, SuccessfulLoginsDoNotResetAnAddresssFailures) {
  make_user("carol");
  EXPECT_FALSE(service_->authenticate("admin", "Guess-Number-1", "192.0.2.9"));
  EXPECT_FALSE(service_->authenticate("admin", "Guess-Number-2", "192.0.2.9"));
  EXPECT_TRUE(service_->authenticate("carol", "User-Password-1", "192.0.2.9"));
  EXPECT_FALSE(service_->authenticate("admin", "Guess-Number-3", "192.0.2.9"));
  auto locked = service_->authenticate("carol", "User-Password-1", "192.0.2.9");
  ASSERT_FALSE(locked);
  EXPECT_EQ(locked.error().code, Error::Code::too_many_requests);
}

TEST_F(IamServiceTest, RolesFollowHarborsMatrix) {
  make_project("team", false);
  auto guest = make_user("guest1");
  auto dev = make_user("dev1");
  auto maintainer = make_user("maint1");
  ASSERT_TRUE(service_->add_member(admin_, "team", guest.id, "", meta::Role::guest));
  ASSERT_TRUE(service_->add_member(admin_, "team", dev.id, "", meta::Role::developer));
  ASSERT_TRUE(service_->add_member(admin_, "team", maintainer.id, "", meta::Role::maintainer));
  Principal g = login("guest1");
  Principal d = login("dev1");
  Principal m = login("maint1");
  EXPECT_TRUE(service_->allowed(g, "team", resource::repository, action::pull));
  EXPECT_FALSE(service_->allowed(g, "team", resource::repository, action::push));
  EXPECT_TRUE(service_->allowed(d, "team", resource::repository, action::push));
  EXPECT_FALSE(service_->allowed(d, "team", resource::repository, action::del));
  EXPECT_FALSE(service_->allowed(d, "team", resource::artifact, action::del));
  EXPECT_TRUE(service_->allowed(m, "team", resource::artifact, action::del));
  EXPECT_FALSE(service_->allowed(m, "team", resource::member, action::create));
  EXPECT_EQ(service_->grantable_repository_actions(d, "team/app", {"*"}),
            (std::vector<std::string>{"pull", "push"}));
  EXPECT_TRUE(service_->grantable_repository_actions(d, "other/app", {"pull"}).empty());
}

TEST_F(IamServiceTest, PublicProjectsArePullableByAnyoneButNotPushable) {
  make_project("pub", true);
  make_project("priv", false);
  Principal anonymous;
  EXPECT_TRUE(service_->allowed(anonymous, "pub", resource::repository, action::pull));
  EXPECT_FALSE(service_->allowed(anonymous, "pub", resource::repository, action::push));
  EXPECT_FALSE(service_->allowed(anonymous, "priv", resource::repository, action::pull));
  EXPECT_FALSE(service_->allowed(anonymous, "missing", resource::repository, action::pull));
  Principal stranger = login((make_user("stranger"), "stranger"));
  EXPECT_FALSE(service_->allowed(stranger, "priv", resource::repository, action::pull));
  EXPECT_TRUE(service_->allowed(stranger, "pub", resource::repository, action::pull));
}

TEST_F(IamServiceTest, RemovedMemberLosesAccessAtOnce) {
  make_project("team", false);
  auto dev = make_user("dev2");
  auto member = service_->add_member(admin_, "team", dev.id, "", meta::Role::developer);
  ASSERT_TRUE(member) << member.error().message;
  Principal d = login("dev2");
  ASSERT_TRUE(service_->allowed(d, "team", resource::repository, action::push));  // now cached
  ASSERT_TRUE(service_->remove_member(admin_, "team", member->id));
  EXPECT_FALSE(service_->allowed(d, "team", resource::repository, action::pull));
}

TEST_F(IamServiceTest, DeletedUserCannotUseCachedCredentialsOrTokens) {
  auto user = make_user("gone");
  login("gone");  // the verified credentials are now cached
  ASSERT_TRUE(service_->principal_by_name("gone"));
  ASSERT_TRUE(service_->delete_user(admin_, user.id));
  EXPECT_FALSE(service_->authenticate("gone", "User-Password-1", "10.0.0.2"));
  EXPECT_FALSE(service_->principal_by_name("gone"));
}

TEST_F(IamServiceTest, RobotsAuthenticateWithTheirSecretUntilDisabled) {
  make_project("bots", false);
  NewRobot robot;
  robot.name = "ci";
  robot.level = "project";
  robot.permissions = {{"bots", std::string(resource::repository), std::string(action::pull)}};
  auto created = service_->create_robot(admin_, robot);
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ(created->robot.name, "robot$bots+ci");
  auto principal = service_->authenticate(created->robot.name, created->secret, "10.0.0.5");
  ASSERT_TRUE(principal) << principal.error().message;
  EXPECT_TRUE(principal->is_robot());
  EXPECT_TRUE(service_->allowed(*principal, "bots", resource::repository, action::pull));
  EXPECT_FALSE(service_->allowed(*principal, "bots", resource::repository, action::push));
  EXPECT_FALSE(service_->authenticate(created->robot.name, created->secret + "x", "10.0.0.5"));

  RobotUpdate disable;
  disable.disabled = true;
  ASSERT_TRUE(service_->update_robot(admin_, created->robot.id, disable));
  EXPECT_FALSE(service_->authenticate(created->robot.name, created->secret, "10.0.0.5"));
  EXPECT_FALSE(service_->principal_by_name(created->robot.name));
}

TEST_F(IamServiceTest, ExpiredRobotIsRefused) {
  make_project("bots", false);
  NewRobot robot;
  robot.name = "old";
  robot.level = "project";
  robot.permissions = {{"bots", std::string(resource::repository), std::string(action::pull)}};
  auto created = service_->create_robot(admin_, robot);
  ASSERT_TRUE(created) << created.error().message;
  // Expire it in the store, as time passing would.
  auto stored = db_.iam->find_robot(created->robot.name);
  ASSERT_TRUE(stored && *stored);
  meta::Robot expired = **stored;
  expired.expires_at = 1;
  ASSERT_TRUE(db_.iam->update_robot(expired));
  EXPECT_FALSE(service_->authenticate(created->robot.name, created->secret, "10.0.0.6"));
}

// The credential cache lets a request with basic credentials skip the password check:
// it answers only for credentials verified before, and forgets them at once when they
// stop being valid.
TEST_F(IamServiceTest, CachedAuthenticationAnswersOnlyForVerifiedCredentials) {
  make_user("cache");
  EXPECT_FALSE(service_->cached_authentication("cache", "User-Password-1", "10.0.0.2"));
  login("cache");
  auto cached = service_->cached_authentication("cache", "User-Password-1", "10.0.0.2");
  ASSERT_TRUE(cached);
  EXPECT_EQ(cached->name, "cache");
  EXPECT_FALSE(service_->cached_authentication("cache", "User-Password-2", "10.0.0.2"));
  EXPECT_FALSE(service_->cached_authentication("cachex", "User-Password-1", "10.0.0.2"));
}

TEST_F(IamServiceTest, CachedCredentialsAreDroppedWhenThePasswordChanges) {
  auto user = make_user("mover");
  Principal p = login("mover");
  ASSERT_TRUE(service_->cached_authentication("mover", "User-Password-1", "10.0.0.2"));
  ASSERT_TRUE(
      service_->change_password(Caller{p, "10.0.0.2"}, user.id, "User-Password-1", "User-Password-2"));
  EXPECT_FALSE(service_->cached_authentication("mover", "User-Password-1", "10.0.0.2"));
  EXPECT_FALSE(service_->authenticate("mover", "User-Password-1", "10.0.0.2"));
  EXPECT_TRUE(service_->authenticate("mover", "User-Password-2", "10.0.0.2"));
}

TEST_F(IamServiceTest, CachedCredentialsAreDroppedWhenTheUserIsDeleted) {
  auto user = make_user("leaver");
  login("leaver");
  ASSERT_TRUE(service_->cached_authentication("leaver", "User-Password-1", "10.0.0.2"));
  ASSERT_TRUE(service_->delete_user(admin_, user.id));
  EXPECT_FALSE(service_->cached_authentication("leaver", "User-Password-1", "10.0.0.2"));
}

TEST_F(IamServiceTest, CachedRobotSecretsAreDroppedWhenTheRobotIsDisabledOrDeleted) {
  make_project("bots", false);
  std::vector<RobotSecret> robots;
  for (const char* name : {"a", "b"}) {
    NewRobot robot;
    robot.name = name;
    robot.level = "project";
    robot.permissions = {{"bots", std::string(resource::repository), std::string(action::pull)}};
    auto created = service_->create_robot(admin_, robot);
    ASSERT_TRUE(created) << created.error().message;
    ASSERT_TRUE(service_->authenticate(created->robot.name, created->secret, "10.0.0.5"));
    ASSERT_TRUE(service_->cached_authentication(created->robot.name, created->secret, "10.0.0.5"));
    robots.push_back(*created);
  }
  RobotUpdate disable;
  disable.disabled = true;
  ASSERT_TRUE(service_->update_robot(admin_, robots[0].robot.id, disable));
  EXPECT_FALSE(service_->cached_authentication(robots[0].robot.name, robots[0].secret, "10.0.0.5"));
  ASSERT_TRUE(service_->authenticate(robots[1].robot.name, robots[1].secret, "10.0.0.5"));
  ASSERT_TRUE(service_->delete_robot(admin_, robots[1].robot.id));
  EXPECT_FALSE(service_->cached_authentication(robots[1].robot.name, robots[1].secret, "10.0.0.5"));
}

TEST_F(IamServiceTest, CachedCredentialsDoNotPassALockout) {
  make_user("locked");
  auto ok = service_->authenticate("locked", "User-Password-1", "10.0.0.9");
  ASSERT_TRUE(ok);
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(service_->authenticate("locked", "wrong", "10.0.0.9"));
  EXPECT_FALSE(service_->cached_authentication("locked", "User-Password-1", "10.0.0.9"));
  EXPECT_TRUE(service_->cached_authentication("locked", "User-Password-1", "10.0.0.10"));
}

TEST_F(IamServiceTest, CachedCredentialsExpireAndTheCacheIsBounded) {
  Options options;
  options.cache_ttl = std::chrono::seconds(1);
  options.max_cache_entries = 2;
  Service service(*db_.iam, *db_.registry, *activity_, options);
  for (const char* name : {"u1", "u2", "u3"}) make_user(name);
  ASSERT_TRUE(service.authenticate("u1", "User-Password-1", "10.0.0.2"));
  ASSERT_TRUE(service.authenticate("u2", "User-Password-1", "10.0.0.2"));
  ASSERT_TRUE(service.cached_authentication("u1", "User-Password-1", "10.0.0.2"));
  ASSERT_TRUE(service.cached_authentication("u2", "User-Password-1", "10.0.0.2"));
  ASSERT_TRUE(service.authenticate("u3", "User-Password-1", "10.0.0.2"));
  int held = 0;
  for (const char* name : {"u1", "u2", "u3"})
    if (service.cached_authentication(name, "User-Password-1", "10.0.0.2")) ++held;
  EXPECT_LE(held, 2);
  EXPECT_TRUE(service.cached_authentication("u3", "User-Password-1", "10.0.0.2"));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_FALSE(service.cached_authentication("u3", "User-Password-1", "10.0.0.2"));
}

// Expired credentials are checked against the account's current row: argon2 runs again only
// when the stored hash changed since they were verified (here changed behind the service's
// back, as another node would), and a wrong password always costs a full check.
TEST_F(IamServiceTest, ExpiredCredentialsAreRecheckedAgainstTheStoredHashWithoutArgon2) {
  Options options;
  options.cache_ttl = std::chrono::seconds(0);  // every authenticate() misses the cache
  Service service(*db_.iam, *db_.registry, *activity_, options);
  auto user = make_user("puller");
  ASSERT_TRUE(service.authenticate("puller", "User-Password-1", "10.0.0.3"));
  const std::uint64_t after_first = service.password_checks();
  EXPECT_EQ(after_first, 1u);
  for (int i = 0; i < 3; ++i) {
    auto again = service.authenticate("puller", "User-Password-1", "10.0.0.3");
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(again->name, "puller");
  }
  EXPECT_EQ(service.password_checks(), after_first);

  EXPECT_FALSE(service.authenticate("puller", "User-Password-2", "10.0.0.4"));
  EXPECT_EQ(service.password_checks(), after_first + 1);

  ASSERT_TRUE(db_.iam->set_password_hash(user.id, hash_password("User-Password-2")));
  EXPECT_FALSE(service.authenticate("puller", "User-Password-1", "10.0.0.3"));
  EXPECT_EQ(service.password_checks(), after_first + 2);
  EXPECT_TRUE(service.authenticate("puller", "User-Password-2", "10.0.0.3"));

  ASSERT_TRUE(db_.iam->delete_user(user.id));
  EXPECT_FALSE(service.authenticate("puller", "User-Password-2", "10.0.0.3"));
}

TEST_F(IamServiceTest, ExpiredRobotSecretsAreRecheckedAgainstTheCurrentRobot) {
  Options options;
  options.cache_ttl = std::chrono::seconds(0);
  Service service(*db_.iam, *db_.registry, *activity_, options);
  make_project("bots", false);
  NewRobot robot;
  robot.name = "ci";
  robot.level = "project";
  robot.permissions = {{"bots", std::string(resource::repository), std::string(action::pull)}};
  auto created = service.create_robot(admin_, robot);
  ASSERT_TRUE(created) << created.error().message;
  ASSERT_TRUE(service.authenticate(created->robot.name, created->secret, "10.0.0.7"));
  const std::uint64_t checks = service.password_checks();
  ASSERT_TRUE(service.authenticate(created->robot.name, created->secret, "10.0.0.7"));
  EXPECT_EQ(service.password_checks(), checks);
  // Disabled in the store, as another node would: refused though its secret still matches.
  auto stored = db_.iam->find_robot(created->robot.name);
  ASSERT_TRUE(stored && *stored);
  meta::Robot disabled = **stored;
  disabled.disabled = true;
  ASSERT_TRUE(db_.iam->update_robot(disabled));
  EXPECT_FALSE(service.authenticate(created->robot.name, created->secret, "10.0.0.7"));
}

}  // namespace
}  // namespace berth::iam
