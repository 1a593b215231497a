// Tests of meta::IamDatabase, the listing-query compiler and meta::Database's management
// reads against the SQLite back end, one temp dir per test; and the migration of a
// database file written by the first released schema.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "meta/database.h"
#include "meta/iam_database.h"
#include "meta/sqlite.h"
#include "meta/sqlite_query.h"
#include "meta/sqlite_schema.h"
#include "temp_dir.h"

namespace berth::meta {
namespace {

namespace fs = std::filesystem;
using base::Errc;
using Strings = std::vector<std::string>;

TimePoint at_seconds(std::int64_t seconds) {
  return TimePoint(std::chrono::seconds(seconds));
}

TimePoint at_millis(std::int64_t ms) {
  return TimePoint(std::chrono::milliseconds(ms));
}

std::string digest_of(const std::string& seed) {
  std::string hex = std::to_string(std::hash<std::string>{}(seed));
  return "sha256:" + std::string(64 - std::min<std::size_t>(hex.size(), 64), '0') + hex;
}

Filter exact(std::string field, std::string value) {
  Filter f;
  f.field = std::move(field);
  f.kind = Filter::Kind::exact;
  f.value = std::move(value);
  return f;
}

Filter fuzzy(std::string field, std::string value) {
  Filter f = exact(std::move(field), std::move(value));
  f.kind = Filter::Kind::fuzzy;
  return f;
}

Filter range(std::string field, std::optional<std::string> low, std::optional<std::string> high) {
  Filter f;
  f.field = std::move(field);
  f.kind = Filter::Kind::range;
  f.low = std::move(low);
  f.high = std::move(high);
  return f;
}

Filter any_of(std::string field, Strings values) {
  Filter f;
  f.field = std::move(field);
  f.kind = Filter::Kind::any_of;
  f.values = std::move(values);
  return f;
}

ListQuery query(std::vector<Filter> filters = {}, std::string sort = "", std::size_t limit = 0,
                std::size_t offset = 0) {
  ListQuery q;
  q.filters = std::move(filters);
  q.sort = std::move(sort);
  q.limit = limit;
  q.offset = offset;
  return q;
}

template <class T, class Fn>
Strings names_of(const Listing<T>& listing, Fn name) {
  Strings out;
  for (const auto& item : listing.items) out.push_back(name(item));
  return out;
}

// --- fixture -----------------------------------------------------------------------------

class MetaIamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_support::make_temp_dir("berth-iam");
    ASSERT_FALSE(dir_.empty());
    open();
  }
  void TearDown() override {
    iam_.reset();
    db_.reset();
    fs::remove_all(dir_);
  }

  std::string path() const { return (dir_ / "meta.db").string(); }

  void open() {
    iam_.reset();
    db_.reset();
    auto opened = open_sqlite(path());
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    db_ = std::move(opened->registry);
    iam_ = std::move(opened->iam);
  }

  std::int64_t user(const std::string& name, const std::string& email = "", bool admin = false,
                    TimePoint created = {}) {
    User u;
    u.username = name;
    u.email = email;
    u.realname = "Real " + name;
    u.comment = "c";
    u.password_hash = "$argon2id$" + name;
    u.sysadmin = admin;
    u.created = created;
    auto id = iam_->create_user(u);
    EXPECT_TRUE(id.ok()) << id.error().message;
    return id.ok() ? *id : 0;
  }

  std::int64_t project(const std::string& name, std::int64_t owner, bool is_public = false,
                       TimePoint created = {}) {
    Project p;
    p.name = name;
    p.owner_id = owner;
    p.metadata["public"] = is_public ? "true" : "false";
    p.created = created;
    auto id = iam_->create_project(p);
    EXPECT_TRUE(id.ok()) << id.error().message;
    return id.ok() ? *id : 0;
  }

  // Stores a manifest of `size` bytes in `repository`, pushed at `pushed`, with `tag`.
  std::string push(const std::string& repository, const std::string& seed, const std::string& tag = "",
                   std::int64_t size = 100, TimePoint pushed = {},
                   const std::vector<std::string>& layers = {}) {
    ManifestRecord m;
    m.repository = repository;
    m.digest = digest_of(seed);
    m.media_type = "application/vnd.oci.image.manifest.v1+json";
    m.size = size;
    m.created = pushed;
    ManifestReferences refs;
    refs.blobs = layers;
    auto s = db_->put_manifest(m, refs, tag);
    EXPECT_TRUE(s.ok()) << s.error().message;
    return m.digest;
  }

  // Uploads a layer of `size` bytes into `repository`.
  std::string layer(const std::string& repository, const std::string& seed, std::int64_t size) {
    std::string digest = digest_of(seed);
    auto s = db_->commit_blob(repository, digest, size, "");
    EXPECT_TRUE(s.ok()) << s.error().message;
    return digest;
  }

  fs::path dir_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<IamDatabase> iam_;
};

// --- users --------------------------------------------------------------------------------

TEST_F(MetaIamTest, CreateGetAndFindUser) {
  std::int64_t id = user("alice", "alice@example.com", true, at_seconds(1000));
  ASSERT_GT(id, 0);
  auto got = iam_->get_user(id);
  ASSERT_TRUE(got.ok()) << got.error().message;
  ASSERT_TRUE(got->has_value());
  const User& u = **got;
  EXPECT_EQ(u.id, id);
  EXPECT_EQ(u.username, "alice");
  EXPECT_EQ(u.email, "alice@example.com");
  EXPECT_EQ(u.realname, "Real alice");
  EXPECT_EQ(u.comment, "c");
  EXPECT_EQ(u.password_hash, "$argon2id$alice");
  EXPECT_TRUE(u.sysadmin);
  EXPECT_EQ(u.created, at_seconds(1000));
  EXPECT_EQ(u.updated, at_seconds(1000));

  auto found = iam_->find_user("alice");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->id, id);
  EXPECT_FALSE(iam_->find_user("Alice")->has_value());  // case-sensitive
  EXPECT_FALSE(iam_->get_user(id + 100)->has_value());
}

TEST_F(MetaIamTest, UserCreatedWithoutATimeGetsNow) {
  auto before = std::chrono::system_clock::now() - std::chrono::seconds(1);
  std::int64_t id = user("bob");
  auto got = iam_->get_user(id);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_GE((*got)->created, before);
  EXPECT_FALSE((*got)->sysadmin);
}

TEST_F(MetaIamTest, DuplicateUsernameOrEmailIsRefusedButEmptyEmailsMayRepeat) {
  user("alice", "a@example.com");
  User dup;
  dup.username = "alice";
  auto r = iam_->create_user(dup);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::already_exists) << r.error().message;

  User same_email;
  same_email.username = "alice2";
  same_email.email = "a@example.com";
  r = iam_->create_user(same_email);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::already_exists) << r.error().message;

  user("no-mail-1");
  user("no-mail-2");
  EXPECT_EQ(*iam_->count_users(), 3);
}

TEST_F(MetaIamTest, UpdateUserChangesProfileFieldsOnly) {
  std::int64_t id = user("alice", "a@example.com");
  std::int64_t other = user("bob", "b@example.com");
  User change;
  change.id = id;
  change.username = "renamed";  // ignored
  change.email = "new@example.com";
  change.realname = "Alice A.";
  change.comment = "hello";
  change.sysadmin = true;
  change.password_hash = "ignored";
  ASSERT_TRUE(iam_->update_user(change).ok());
  auto got = iam_->get_user(id);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->username, "alice");
  EXPECT_EQ((*got)->email, "new@example.com");
  EXPECT_EQ((*got)->realname, "Alice A.");
  EXPECT_EQ((*got)->comment, "hello");
  EXPECT_TRUE((*got)->sysadmin);
  EXPECT_EQ((*got)->password_hash, "$argon2id$alice");

  // Keeping one's own email is fine; taking another user's is not.
  ASSERT_TRUE(iam_->update_user(change).ok());
  change.email = "b@example.com";
  auto taken = iam_->update_user(change);
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.error().code, Errc::already_exists);
  EXPECT_EQ((*iam_->get_user(id))->email, "new@example.com");  // rolled back
  EXPECT_EQ((*iam_->get_user(other))->email, "b@example.com");

  change.id = 9999;
  auto missing = iam_->update_user(change);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::not_found);
}

TEST_F(MetaIamTest, SetPasswordHash) {
  std::int64_t id = user("alice");
  ASSERT_TRUE(iam_->set_password_hash(id, "$argon2id$new").ok());
  EXPECT_EQ((*iam_->get_user(id))->password_hash, "$argon2id$new");
  auto missing = iam_->set_password_hash(id + 1, "x");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::not_found);
}

TEST_F(MetaIamTest, DeleteUserRemovesMembershipsAndSessionsButProjectsKeepTheirOwnerId) {
  std::int64_t alice = user("alice");
  std::int64_t bob = user("bob");
  std::int64_t owned = project("owned", alice);
  std::int64_t other = project("other", bob);
  ASSERT_TRUE(iam_->add_member(other, alice, Role::developer).ok());
  ASSERT_TRUE(iam_->add_member(other, bob, Role::project_admin).ok());
  Session s{"hash-a", alice, "csrf", {}, std::chrono::system_clock::now() + std::chrono::hours(1)};
  ASSERT_TRUE(iam_->create_session(s).ok());

  ASSERT_TRUE(iam_->delete_user(alice).ok());
  EXPECT_FALSE(iam_->get_user(alice)->has_value());
  EXPECT_FALSE(iam_->role_of(other, alice)->has_value());
  EXPECT_EQ(iam_->role_of(other, bob)->value_or(Role::guest), Role::project_admin);
  EXPECT_FALSE(iam_->find_session("hash-a", std::chrono::system_clock::now())->has_value());
  auto p = iam_->get_project(owned);
  ASSERT_TRUE(p.ok() && p->has_value());
  EXPECT_EQ((*p)->owner_id, alice);
  EXPECT_EQ((*p)->owner_name, "");
  EXPECT_EQ(iam_->list_members(other, query())->total, 1);

  auto again = iam_->delete_user(alice);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::not_found);
}

TEST_F(MetaIamTest, IdsAreNeverReusedAfterADelete) {
  std::int64_t first = user("a");
  std::int64_t second = user("b");
  ASSERT_TRUE(iam_->delete_user(second).ok());
  std::int64_t third = user("c");
  EXPECT_GT(third, second);
  EXPECT_GT(second, first);
}

TEST_F(MetaIamTest, ListUsersFiltersSortsAndPages) {
  user("alice", "alice@corp.example", true, at_seconds(1000));
  user("bob", "bob@other.example", false, at_seconds(2000));
  user("carol", "carol@corp.example", false, at_seconds(3000));
  user("dave", "", false, at_seconds(4000));

  auto all = iam_->list_users(query());
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_EQ(all->total, 4);
  auto name = [](const User& u) { return u.username; };
  EXPECT_EQ(names_of(*all, name), (Strings{"alice", "bob", "carol", "dave"}));  // by id

  EXPECT_EQ(names_of(*iam_->list_users(query({exact("username", "bob")})), name), Strings{"bob"});
  EXPECT_EQ(names_of(*iam_->list_users(query({fuzzy("email", "CORP")})), name), (Strings{"alice", "carol"}));
  EXPECT_EQ(names_of(*iam_->list_users(query({fuzzy("realname", "real c")})), name), Strings{"carol"});
  EXPECT_EQ(names_of(*iam_->list_users(query({exact("sysadmin", "true")})), name), Strings{"alice"});
  EXPECT_EQ(names_of(*iam_->list_users(query({exact("sysadmin", "false")})), name),
            (Strings{"bob", "carol", "dave"}));
  EXPECT_EQ(names_of(*iam_->list_users(query({range("creation_time", "2000", "3000")})), name),
            (Strings{"bob", "carol"}));
  EXPECT_EQ(
      names_of(*iam_->list_users(query({range("creation_time", std::nullopt, "1970-01-01 00:33:20")})), name),
      (Strings{"alice", "bob"}));

  EXPECT_EQ(names_of(*iam_->list_users(query({}, "-creation_time")), name),
            (Strings{"dave", "carol", "bob", "alice"}));
  EXPECT_EQ(names_of(*iam_->list_users(query({}, "-username")), name),
            (Strings{"dave", "carol", "bob", "alice"}));

  auto page = iam_->list_users(query({}, "username", 2, 1));
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->total, 4);
  EXPECT_EQ(names_of(*page, name), (Strings{"bob", "carol"}));
  auto filtered_page = iam_->list_users(query({fuzzy("email", "example")}, "username", 1, 2));
  ASSERT_TRUE(filtered_page.ok());
  EXPECT_EQ(filtered_page->total, 3);
  EXPECT_EQ(names_of(*filtered_page, name), Strings{"carol"});

  for (const auto& bad : {query({exact("password_hash", "x")}), query({}, "email"), query({}, "-nope"),
                          query({exact("sysadmin", "yes")}), query({range("creation_time", "yesterday", {})}),
                          query({range("username", "a", "b")})}) {
    auto r = iam_->list_users(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::invalid_argument) << r.error().message;
  }
  auto unknown = iam_->list_users(query({exact("password_hash", "x")}));
  EXPECT_NE(unknown.error().message.find("unknown query field password_hash"), std::string::npos)
      << unknown.error().message;
}

// --- projects ------------------------------------------------------------------------------

TEST_F(MetaIamTest, CreateGetAndFindProjectWithMetadataOwnerAndRepositoryCount) {
  std::int64_t alice = user("alice");
  Project p;
  p.name = "proj";
  p.owner_id = alice;
  p.metadata = {{"public", "true"}, {"auto_scan", "false"}, {"custom", "kept"}, {"empty", ""}};
  p.created = at_seconds(5000);
  auto id = iam_->create_project(p);
  ASSERT_TRUE(id.ok()) << id.error().message;

  push("proj/a", "m1");
  push("proj/b/c", "m2");
  push("proj", "m3");      // not "proj/..."
  push("proj-x/d", "m4");  // another project
  push("projx/e", "m5");   // another project
  push("pro/j", "m6");

  auto got = iam_->get_project(*id);
  ASSERT_TRUE(got.ok()) << got.error().message;
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->name, "proj");
  EXPECT_EQ((*got)->owner_id, alice);
  EXPECT_EQ((*got)->owner_name, "alice");
  EXPECT_EQ((*got)->metadata, (std::map<std::string, std::string>{
                                  {"public", "true"}, {"auto_scan", "false"}, {"custom", "kept"}}));
  EXPECT_EQ((*got)->created, at_seconds(5000));
  EXPECT_EQ((*got)->repo_count, 2);

  auto found = iam_->find_project("proj");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->id, *id);
  EXPECT_EQ((*found)->repo_count, 2);
  EXPECT_FALSE(iam_->find_project("Proj")->has_value());
  EXPECT_FALSE(iam_->get_project(*id + 1)->has_value());

  auto dup = iam_->create_project(p);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, Errc::already_exists);
}

TEST_F(MetaIamTest, UpdateProjectMetadataMergesAndEmptyRemoves) {
  std::int64_t id = project("proj", user("alice"), true, at_seconds(10));
  ASSERT_TRUE(iam_->update_project_metadata(id, {{"auto_scan", "true"}, {"public", ""}}).ok());
  auto got = iam_->get_project(id);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->metadata, (std::map<std::string, std::string>{{"auto_scan", "true"}}));
  EXPECT_GT((*got)->updated, at_seconds(10));
  ASSERT_TRUE(iam_->update_project_metadata(id, {{"auto_scan", "false"}}).ok());
  EXPECT_EQ((*iam_->get_project(id))->metadata.at("auto_scan"), "false");

  auto missing = iam_->update_project_metadata(id + 1, {{"a", "b"}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::not_found);
}

TEST_F(MetaIamTest, DeleteProjectRemovesMetadataMembersAndItsRobots) {
  std::int64_t alice = user("alice");
  std::int64_t id = project("proj", alice, true);
  std::int64_t kept = project("kept", alice);
  ASSERT_TRUE(iam_->add_member(id, alice, Role::maintainer).ok());
  ASSERT_TRUE(iam_->add_member(kept, alice, Role::guest).ok());
  Robot project_robot;
  project_robot.name = "robot$proj+ci";
  project_robot.level = "project";
  project_robot.project_id = id;
  project_robot.permissions = {{"proj", "repository", "push"}};
  auto robot_id = iam_->create_robot(project_robot);
  ASSERT_TRUE(robot_id.ok()) << robot_id.error().message;
  Robot system_robot;
  system_robot.name = "robot$sys";
  system_robot.level = "system";
  system_robot.permissions = {{"proj", "repository", "pull"}};
  auto system_id = iam_->create_robot(system_robot);
  ASSERT_TRUE(system_id.ok());

  ASSERT_TRUE(iam_->delete_project(id).ok());
  EXPECT_FALSE(iam_->get_project(id)->has_value());
  EXPECT_FALSE(iam_->role_of(id, alice)->has_value());
  EXPECT_FALSE(iam_->get_robot(*robot_id)->has_value());
  EXPECT_TRUE(iam_->get_robot(*system_id)->has_value());
  EXPECT_EQ(iam_->role_of(kept, alice)->value_or(Role::developer), Role::guest);
  EXPECT_TRUE(db_->integrity_check().ok());

  // A new project of the same name starts empty.
  std::int64_t again = project("proj", alice);
  EXPECT_NE(again, id);
  EXPECT_EQ((*iam_->get_project(again))->metadata.at("public"), "false");
  EXPECT_EQ(iam_->list_members(again, query())->total, 0);

  auto missing = iam_->delete_project(id);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::not_found);
}

TEST_F(MetaIamTest, ListProjectsVisibilityFiltersSortAndPaging) {
  std::int64_t alice = user("alice");
  std::int64_t bob = user("bob");
  std::int64_t outsider = user("eve");
  std::int64_t pub = project("public-one", alice, true, at_seconds(100));
  std::int64_t alices = project("alice-private", alice, false, at_seconds(200));
  std::int64_t bobs = project("bob-private", bob, false, at_seconds(300));
  Project no_public_key;
  no_public_key.name = "no-key";
  no_public_key.owner_id = bob;
  no_public_key.created = at_seconds(400);
  ASSERT_TRUE(iam_->create_project(no_public_key).ok());
  ASSERT_TRUE(iam_->add_member(alices, alice, Role::project_admin).ok());
  ASSERT_TRUE(iam_->add_member(bobs, bob, Role::project_admin).ok());
  ASSERT_TRUE(iam_->add_member(bobs, alice, Role::guest).ok());
  auto name = [](const Project& p) { return p.name; };

  auto all = iam_->list_projects(query(), std::nullopt, false);
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_EQ(names_of(*all, name), (Strings{"alice-private", "bob-private", "no-key", "public-one"}));
  EXPECT_EQ(all->total, 4);
  for (const auto& p : all->items) EXPECT_FALSE(p.owner_name.empty());

  EXPECT_EQ(names_of(*iam_->list_projects(query(), alice, false), name),
            (Strings{"alice-private", "bob-private", "public-one"}));
  EXPECT_EQ(names_of(*iam_->list_projects(query(), outsider, false), name), Strings{"public-one"});
  EXPECT_EQ(names_of(*iam_->list_projects(query(), std::nullopt, true), name), Strings{"public-one"});
  EXPECT_EQ(names_of(*iam_->list_projects(query(), alice, true), name), Strings{"public-one"});

  EXPECT_EQ(names_of(*iam_->list_projects(query({fuzzy("name", "PRIV")}), std::nullopt, false), name),
            (Strings{"alice-private", "bob-private"}));
  EXPECT_EQ(names_of(*iam_->list_projects(query({exact("name", "no-key")}), std::nullopt, false), name),
            Strings{"no-key"});
  EXPECT_EQ(names_of(*iam_->list_projects(query({exact("public", "false")}), std::nullopt, false), name),
            (Strings{"alice-private", "bob-private", "no-key"}));
  EXPECT_EQ(names_of(*iam_->list_projects(query({exact("public", "true")}), std::nullopt, false), name),
            Strings{"public-one"});
  EXPECT_EQ(names_of(*iam_->list_projects(query({exact("owner", "bob")}), std::nullopt, false), name),
            (Strings{"bob-private", "no-key"}));
  EXPECT_EQ(names_of(*iam_->list_projects(
                         query({any_of("project_id", {std::to_string(pub), std::to_string(bobs)})}),
                         std::nullopt, false),
                     name),
            (Strings{"bob-private", "public-one"}));
  EXPECT_EQ(names_of(*iam_->list_projects(query({exact("project_id", std::to_string(alices))}), std::nullopt,
                                          false),
                     name),
            Strings{"alice-private"});
  EXPECT_EQ(names_of(*iam_->list_projects(query({range("creation_time", "200", "300")}), std::nullopt, false),
                     name),
            (Strings{"alice-private", "bob-private"}));
  // Filters combine with visibility.
  EXPECT_EQ(names_of(*iam_->list_projects(query({exact("owner", "bob")}), alice, false), name),
            Strings{"bob-private"});

  EXPECT_EQ(names_of(*iam_->list_projects(query({}, "-creation_time"), std::nullopt, false), name),
            (Strings{"no-key", "bob-private", "alice-private", "public-one"}));
  auto page = iam_->list_projects(query({}, "-name", 2, 1), std::nullopt, false);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->total, 4);
  EXPECT_EQ(names_of(*page, name), (Strings{"no-key", "bob-private"}));

  auto bad = iam_->list_projects(query({exact("project_id", "1 OR 1=1")}), std::nullopt, false);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::invalid_argument);
  auto bad_sort = iam_->list_projects(query({}, "owner"), std::nullopt, false);
  ASSERT_FALSE(bad_sort.ok());
  EXPECT_EQ(bad_sort.error().code, Errc::invalid_argument);
}

// --- members ---------------------------------------------------------------------------------

TEST_F(MetaIamTest, MembersAddGetUpdateDeleteAndRole) {
  std::int64_t alice = user("alice");
  std::int64_t bob = user("bob");
  std::int64_t p = project("proj", alice);
  std::int64_t other = project("other", alice);

  auto id = iam_->add_member(p, bob, Role::developer);
  ASSERT_TRUE(id.ok()) << id.error().message;
  auto m = iam_->get_member(p, *id);
  ASSERT_TRUE(m.ok() && m->has_value());
  EXPECT_EQ((*m)->id, *id);
  EXPECT_EQ((*m)->project_id, p);
  EXPECT_EQ((*m)->user_id, bob);
  EXPECT_EQ((*m)->username, "bob");
  EXPECT_EQ((*m)->role, Role::developer);
  EXPECT_FALSE(iam_->get_member(other, *id)->has_value());  // not a member of that project

  auto dup = iam_->add_member(p, bob, Role::guest);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, Errc::already_exists);
  auto no_project = iam_->add_member(9999, bob, Role::guest);
  ASSERT_FALSE(no_project.ok());
  EXPECT_EQ(no_project.error().code, Errc::not_found);
  auto no_user = iam_->add_member(p, 9999, Role::guest);
  ASSERT_FALSE(no_user.ok());
  EXPECT_EQ(no_user.error().code, Errc::not_found);
  auto bad_role = iam_->add_member(other, bob, static_cast<Role>(9));
  ASSERT_FALSE(bad_role.ok());
  EXPECT_EQ(bad_role.error().code, Errc::invalid_argument);

  EXPECT_EQ(iam_->role_of(p, bob)->value_or(Role::guest), Role::developer);
  EXPECT_FALSE(iam_->role_of(other, bob)->has_value());
  ASSERT_TRUE(iam_->update_member_role(p, *id, Role::maintainer).ok());
  EXPECT_EQ(iam_->role_of(p, bob)->value_or(Role::guest), Role::maintainer);
  auto wrong_project = iam_->update_member_role(other, *id, Role::guest);
  ASSERT_FALSE(wrong_project.ok());
  EXPECT_EQ(wrong_project.error().code, Errc::not_found);
  EXPECT_EQ(iam_->role_of(p, bob)->value_or(Role::guest), Role::maintainer);

  auto wrong_delete = iam_->delete_member(other, *id);
  ASSERT_FALSE(wrong_delete.ok());
  EXPECT_EQ(wrong_delete.error().code, Errc::not_found);
  ASSERT_TRUE(iam_->delete_member(p, *id).ok());
  EXPECT_FALSE(iam_->role_of(p, bob)->has_value());
  auto again = iam_->delete_member(p, *id);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::not_found);
}

TEST_F(MetaIamTest, ListMembersByEntityName) {
  std::int64_t p = project("proj", user("owner"));
  for (const char* name : {"alice", "bob", "alina", "carol"}) {
    ASSERT_TRUE(iam_->add_member(p, user(name), Role::guest).ok());
  }
  std::int64_t other = project("other", user("zed"));
  auto alice = iam_->find_user("alice");
  ASSERT_TRUE(alice.ok() && alice->has_value());
  ASSERT_TRUE(iam_->add_member(other, (*alice)->id, Role::guest).ok());
  auto name = [](const Member& m) { return m.username; };
  auto all = iam_->list_members(p, query());
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_EQ(all->total, 4);
  EXPECT_EQ(names_of(*all, name), (Strings{"alice", "bob", "alina", "carol"}));  // by id
  EXPECT_EQ(names_of(*iam_->list_members(p, query({fuzzy("entityname", "ali")})), name),
            (Strings{"alice", "alina"}));
  EXPECT_EQ(names_of(*iam_->list_members(p, query({exact("entityname", "bob")})), name), Strings{"bob"});
  auto page = iam_->list_members(p, query({}, "", 1, 3));
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->total, 4);
  EXPECT_EQ(names_of(*page, name), Strings{"carol"});
  EXPECT_EQ(iam_->list_members(other, query())->total, 1);
  auto bad = iam_->list_members(p, query({exact("role", "1")}));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::invalid_argument);
}

// --- robots ----------------------------------------------------------------------------------

TEST_F(MetaIamTest, RobotsCreateGetFindUpdateDelete) {
  std::int64_t p = project("proj", user("alice"));
  Robot r;
  r.name = "robot$proj+ci";
  r.description = "CI";
  r.secret_hash = "$argon2id$secret";
  r.level = "project";
  r.project_id = p;
  r.expires_at = 1'900'000'000;
  r.duration_days = 30;
  r.creator = "alice";
  r.created = at_seconds(777);
  // Kept in the order given (not sorted).
  r.permissions = {
      {"proj", "repository", "push"}, {"proj", "repository", "pull"}, {"proj", "artifact", "delete"}};
  auto id = iam_->create_robot(r);
  ASSERT_TRUE(id.ok()) << id.error().message;

  auto got = iam_->get_robot(*id);
  ASSERT_TRUE(got.ok() && got->has_value());
  const Robot& g = **got;
  EXPECT_EQ(g.id, *id);
  EXPECT_EQ(g.name, r.name);
  EXPECT_EQ(g.description, "CI");
  EXPECT_EQ(g.secret_hash, r.secret_hash);
  EXPECT_EQ(g.level, "project");
  EXPECT_EQ(g.project_id, p);
  EXPECT_FALSE(g.disabled);
  EXPECT_EQ(g.expires_at, 1'900'000'000);
  EXPECT_EQ(g.duration_days, 30);
  EXPECT_EQ(g.creator, "alice");
  EXPECT_EQ(g.created, at_seconds(777));
  ASSERT_EQ(g.permissions.size(), 3u);
  EXPECT_EQ(g.permissions[0].action, "push");
  EXPECT_EQ(g.permissions[1].action, "pull");
  EXPECT_EQ(g.permissions[2].resource, "artifact");
  EXPECT_EQ(g.permissions[2].namespace_, "proj");

  auto found = iam_->find_robot("robot$proj+ci");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->permissions.size(), 3u);
  EXPECT_FALSE(iam_->find_robot("robot$proj+CI")->has_value());

  auto dup = iam_->create_robot(r);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, Errc::already_exists);
  Robot orphan = r;
  orphan.name = "robot$gone+x";
  orphan.project_id = 9999;
  auto no_project = iam_->create_robot(orphan);
  ASSERT_FALSE(no_project.ok());
  EXPECT_EQ(no_project.error().code, Errc::not_found);

  Robot change = g;
  change.name = "ignored";
  change.level = "system";  // ignored
  change.description = "CI v2";
  change.disabled = true;
  change.expires_at = -1;
  change.duration_days = -1;
  change.secret_hash = "$argon2id$rotated";
  change.permissions = {{"proj", "repository", "pull"}};
  ASSERT_TRUE(iam_->update_robot(change).ok());
  auto updated = iam_->get_robot(*id);
  ASSERT_TRUE(updated.ok() && updated->has_value());
  EXPECT_EQ((*updated)->name, "robot$proj+ci");
  EXPECT_EQ((*updated)->level, "project");
  EXPECT_EQ((*updated)->description, "CI v2");
  EXPECT_TRUE((*updated)->disabled);
  EXPECT_EQ((*updated)->expires_at, -1);
  EXPECT_EQ((*updated)->duration_days, -1);
  EXPECT_EQ((*updated)->secret_hash, "$argon2id$rotated");
  ASSERT_EQ((*updated)->permissions.size(), 1u);
  EXPECT_EQ((*updated)->permissions[0].action, "pull");

  change.id = 9999;
  auto missing = iam_->update_robot(change);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::not_found);

  ASSERT_TRUE(iam_->delete_robot(*id).ok());
  EXPECT_FALSE(iam_->get_robot(*id)->has_value());
  auto again = iam_->delete_robot(*id);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::not_found);
  EXPECT_TRUE(db_->integrity_check().ok());
}

TEST_F(MetaIamTest, ListRobotsByNameLevelAndProject) {
  std::int64_t p = project("proj", user("alice"));
  std::int64_t q = project("other", user("bob"));
  auto make = [&](std::string name, std::string level, std::int64_t project_id) {
    Robot r;
    r.name = std::move(name);
    r.level = std::move(level);
    r.project_id = project_id;
    r.permissions = {{"*", "repository", "pull"}, {"*", "repository", "push"}};
    auto id = iam_->create_robot(r);
    EXPECT_TRUE(id.ok()) << id.error().message;
  };
  make("robot$proj+ci", "project", p);
  make("robot$other+ci", "project", q);
  make("robot$proj+deploy", "project", p);
  make("robot$backup", "system", 0);
  auto name = [](const Robot& r) { return r.name; };

  auto all = iam_->list_robots(query());
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_EQ(all->total, 4);
  for (const auto& r : all->items) EXPECT_EQ(r.permissions.size(), 2u) << r.name;
  EXPECT_EQ(names_of(*iam_->list_robots(query({exact("level", "system")})), name), Strings{"robot$backup"});
  EXPECT_EQ(all->items.back().project_id, 0);
  EXPECT_EQ(names_of(*iam_->list_robots(query({exact("project_id", std::to_string(p))})), name),
            (Strings{"robot$proj+ci", "robot$proj+deploy"}));
  EXPECT_EQ(names_of(*iam_->list_robots(query({exact("project_id", "0")})), name), Strings{"robot$backup"});
  EXPECT_EQ(names_of(*iam_->list_robots(query({fuzzy("name", "+CI")})), name),
            (Strings{"robot$proj+ci", "robot$other+ci"}));
  EXPECT_EQ(names_of(*iam_->list_robots(query({exact("name", "robot$backup")})), name),
            Strings{"robot$backup"});
  auto page = iam_->list_robots(query({exact("level", "project")}, "", 2, 2));
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->total, 3);
  EXPECT_EQ(names_of(*page, name), Strings{"robot$proj+deploy"});
  auto bad = iam_->list_robots(query({fuzzy("level", "sys")}));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::invalid_argument);
}

// --- sessions -------------------------------------------------------------------------------

TEST_F(MetaIamTest, SessionsExpireAndCanBeDeleted) {
  std::int64_t alice = user("alice");
  const TimePoint now = at_seconds(1'700'000'000);
  Session live{"live", alice, "csrf-1", at_seconds(1'699'990'000), now + std::chrono::hours(1)};
  Session old{"old", alice, "csrf-2", at_seconds(1'699'000'000), now - std::chrono::seconds(1)};
  ASSERT_TRUE(iam_->create_session(live).ok());
  ASSERT_TRUE(iam_->create_session(old).ok());

  auto found = iam_->find_session("live", now);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->user_id, alice);
  EXPECT_EQ((*found)->csrf_token, "csrf-1");
  EXPECT_EQ((*found)->created, live.created);
  EXPECT_EQ((*found)->expires, live.expires);
  EXPECT_FALSE(iam_->find_session("old", now)->has_value());
  EXPECT_FALSE(iam_->find_session("live", live.expires)->has_value());  // expired at that instant
  EXPECT_FALSE(iam_->find_session("nope", now)->has_value());

  auto dup = iam_->create_session(live);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, Errc::already_exists);
  Session nobody{"x", 9999, "c", {}, now};
  auto no_user = iam_->create_session(nobody);
  ASSERT_FALSE(no_user.ok());
  EXPECT_EQ(no_user.error().code, Errc::not_found);

  ASSERT_TRUE(iam_->delete_expired_sessions(now).ok());
  EXPECT_TRUE(iam_->find_session("live", now)->has_value());
  // The expired row is gone, not just hidden: an earlier `now` no longer finds it.
  EXPECT_FALSE(iam_->find_session("old", now - std::chrono::hours(1))->has_value());

  ASSERT_TRUE(iam_->delete_session("live").ok());
  EXPECT_FALSE(iam_->find_session("live", now)->has_value());
  EXPECT_TRUE(iam_->delete_session("live").ok());  // idempotent
}

// --- audit log ------------------------------------------------------------------------------

class AuditTest : public MetaIamTest {
 protected:
  void SetUp() override {
    MetaIamTest::SetUp();
    std::vector<AuditRecord> records;
    auto add = [&](std::int64_t seconds, std::string username, std::string operation, std::string type,
                   std::string resource, std::string result = "success") {
      AuditRecord r;
      r.time = at_seconds(seconds);
      r.username = std::move(username);
      r.client_ip = "10.0.0." + std::to_string(records.size() + 1);
      r.operation = std::move(operation);
      r.resource_type = std::move(type);
      r.resource = std::move(resource);
      r.result = std::move(result);
      r.description = "d" + std::to_string(records.size());
      records.push_back(std::move(r));
    };
    add(1'700'000'000, "alice", "push", "artifact", "proj/app:1.0");
    add(1'700'000'100, "bob", "pull", "artifact", "proj/app:1.0");
    add(1'700'000'200, "alice", "delete", "tag", "proj/app:old");
    add(1'700'000'300, "robot$proj+ci", "push", "artifact", "proj/app_2:50%");
    add(1'700'000'400, "x' OR '1'='1", "login", "login", "x' OR '1'='1", "failure");
    ASSERT_TRUE(iam_->append_audit(records, IamDatabase::Commit::durable).ok());
  }

  Strings resources(const ListQuery& q) {
    auto r = iam_->list_audit(q);
    EXPECT_TRUE(r.ok()) << r.error().message;
    if (!r.ok()) return {};
    return names_of(*r, [](const AuditRecord& a) { return a.resource; });
  }
};

TEST_F(AuditTest, AppendAssignsIdsAndListsNewestFirst) {
  auto all = iam_->list_audit(query());
  ASSERT_TRUE(all.ok()) << all.error().message;
  ASSERT_EQ(all->total, 5);
  ASSERT_EQ(all->items.size(), 5u);
  EXPECT_EQ(all->items.front().username, "x' OR '1'='1");
  EXPECT_EQ(all->items.back().username, "alice");
  EXPECT_EQ(all->items.back().time, at_seconds(1'700'000'000));
  EXPECT_EQ(all->items.back().client_ip, "10.0.0.1");
  EXPECT_EQ(all->items.back().operation, "push");
  EXPECT_EQ(all->items.back().resource_type, "artifact");
  EXPECT_EQ(all->items.back().result, "success");
  EXPECT_EQ(all->items.back().description, "d0");
  for (std::size_t i = 1; i < all->items.size(); ++i) EXPECT_GT(all->items[i - 1].id, all->items[i].id);

  EXPECT_EQ(resources(query({}, "op_time"))[0], "proj/app:1.0");
  auto page = iam_->list_audit(query({}, "", 2, 1));
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->total, 5);
  EXPECT_EQ(names_of(*page, [](const AuditRecord& a) { return a.username; }),
            (Strings{"robot$proj+ci", "alice"}));
  EXPECT_TRUE(iam_->append_audit({}, IamDatabase::Commit::durable).ok());
}

// Relaxed appends are stored at once; sync_audit() reports when a reader's snapshot kept
// part of the log from reaching the database file, and succeeds once it is gone.
TEST_F(AuditTest, RelaxedAppendsAreStoredAndSyncWaitsForReaders) {
  AuditRecord r;
  r.username = "carol";
  r.operation = "pull";
  r.resource_type = "artifact";
  r.resource = "proj/app:1.0";
  r.result = "success";
  ASSERT_TRUE(iam_->append_audit({r}, IamDatabase::Commit::relaxed).ok());
  EXPECT_TRUE(iam_->sync_audit().ok());

  sqlite3* reader = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path().c_str(), &reader, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM audit_log;", nullptr, nullptr, nullptr),
            SQLITE_OK);
  ASSERT_TRUE(iam_->append_audit({r, r}, IamDatabase::Commit::relaxed).ok());
  auto blocked = iam_->sync_audit();
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.error().code, base::Errc::unavailable);
  ASSERT_EQ(sqlite3_exec(reader, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(reader);
  EXPECT_TRUE(iam_->sync_audit().ok());

  auto carol = iam_->list_audit(query({exact("username", "carol")}));
  ASSERT_TRUE(carol.ok()) << carol.error().message;
  EXPECT_EQ(carol->total, 3);
}

TEST_F(AuditTest, EveryTextFieldFiltersExactAndFuzzy) {
  EXPECT_EQ(resources(query({exact("username", "alice")}, "op_time")),
            (Strings{"proj/app:1.0", "proj/app:old"}));
  EXPECT_EQ(resources(query({fuzzy("username", "ROBOT")})), Strings{"proj/app_2:50%"});
  EXPECT_EQ(resources(query({exact("operation", "pull")})), Strings{"proj/app:1.0"});
  EXPECT_EQ(resources(query({fuzzy("operation", "ele")})), Strings{"proj/app:old"});
  EXPECT_EQ(resources(query({exact("resource_type", "tag")})), Strings{"proj/app:old"});
  EXPECT_EQ(resources(query({fuzzy("resource_type", "arti")})).size(), 3u);
  EXPECT_EQ(resources(query({exact("resource", "proj/app:old")})), Strings{"proj/app:old"});
  EXPECT_EQ(resources(query({fuzzy("resource", "app:")})).size(), 3u);
  EXPECT_EQ(resources(query({exact("client_ip", "10.0.0.2")})), Strings{"proj/app:1.0"});
  EXPECT_EQ(resources(query({fuzzy("client_ip", "0.0.3")})), Strings{"proj/app:old"});
  EXPECT_EQ(resources(query({exact("result", "failure")})), Strings{"x' OR '1'='1"});
  EXPECT_EQ(resources(query({fuzzy("result", "succ")})).size(), 4u);
  // All filters must hold.
  EXPECT_EQ(resources(query({exact("username", "alice"), exact("operation", "push")})),
            Strings{"proj/app:1.0"});
  EXPECT_TRUE(resources(query({exact("username", "alice"), exact("operation", "pull")})).empty());
}

TEST_F(AuditTest, OpTimeRangesAreInclusiveInSecondsOrDates) {
  EXPECT_EQ(resources(query({range("op_time", "1700000100", "1700000200")}, "op_time")),
            (Strings{"proj/app:1.0", "proj/app:old"}));
  // 1700000100 = 2023-11-14 22:15:00 UTC.
  EXPECT_EQ(resources(query({range("op_time", "2023-11-14 22:15:00", "2023-11-14T22:16:40Z")}, "op_time")),
            (Strings{"proj/app:1.0", "proj/app:old"}));
  EXPECT_EQ(resources(query({range("op_time", "1700000300", std::nullopt)}, "op_time")),
            (Strings{"proj/app_2:50%", "x' OR '1'='1"}));
  EXPECT_EQ(resources(query({range("op_time", std::nullopt, "1700000000")})), Strings{"proj/app:1.0"});
  EXPECT_EQ(resources(query({range("op_time", std::nullopt, std::nullopt)})).size(), 5u);

  for (const char* bad :
       {"2023-11-14", "yesterday", "2023-13-01 00:00:00", "2023-02-29 00:00:00", "1e9", ""}) {
    auto r = iam_->list_audit(query({range("op_time", bad, std::nullopt)}));
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, Errc::invalid_argument) << bad;
  }
  auto fuzzy_time = iam_->list_audit(query({fuzzy("op_time", "2023")}));
  ASSERT_FALSE(fuzzy_time.ok());
  EXPECT_EQ(fuzzy_time.error().code, Errc::invalid_argument);
  auto unknown_sort = iam_->list_audit(query({}, "username"));
  ASSERT_FALSE(unknown_sort.ok());
  EXPECT_EQ(unknown_sort.error().code, Errc::invalid_argument);
}

TEST_F(AuditTest, ValuesThatLookLikeSqlOrWildcardsAreData) {
  // A quote-laden value matches only the row that has exactly that text.
  EXPECT_EQ(resources(query({exact("username", "x' OR '1'='1")})), Strings{"x' OR '1'='1"});
  EXPECT_TRUE(resources(query({exact("username", "' OR 1=1 --")})).empty());
  EXPECT_TRUE(resources(query({exact("username", "alice'; DROP TABLE audit_log; --")})).empty());
  EXPECT_TRUE(resources(query({fuzzy("username", "') OR 1=1 --")})).empty());
  // LIKE wildcards in a fuzzy value are literal characters.
  EXPECT_EQ(resources(query({fuzzy("resource", "%")})), Strings{"proj/app_2:50%"});
  EXPECT_EQ(resources(query({fuzzy("resource", "_")})), Strings{"proj/app_2:50%"});
  EXPECT_TRUE(resources(query({fuzzy("resource", "app%old")})).empty());
  EXPECT_TRUE(resources(query({fuzzy("resource", "\\")})).empty());
  // Field names are looked up, never spliced into SQL.
  auto injected = iam_->list_audit(query({exact("username = username OR 1", "x")}));
  ASSERT_FALSE(injected.ok());
  EXPECT_EQ(injected.error().code, Errc::invalid_argument);
  auto injected_sort = iam_->list_audit(query({}, "op_time; DROP TABLE audit_log"));
  ASSERT_FALSE(injected_sort.ok());
  EXPECT_EQ(iam_->list_audit(query())->total, 5);
}

TEST_F(AuditTest, PurgeDeletesOlderRecordsAndCountsThem) {
  auto purged = iam_->purge_audit(at_seconds(1'700'000'200));
  ASSERT_TRUE(purged.ok()) << purged.error().message;
  EXPECT_EQ(*purged, 2);
  EXPECT_EQ(resources(query({}, "op_time")), (Strings{"proj/app:old", "proj/app_2:50%", "x' OR '1'='1"}));
  EXPECT_EQ(*iam_->purge_audit(at_seconds(1'700'000'200)), 0);
}

// --- the query compiler ------------------------------------------------------------------------

namespace sq = berth::meta::sqlite;

sq::QuerySchema test_schema() {
  return sq::QuerySchema{
      {sq::column_field("name", "t.name", sq::FieldType::text, sq::kExact | sq::kFuzzy | sq::kAnyOf),
       sq::column_field("size", "t.size", sq::FieldType::integer, sq::kExact | sq::kRange | sq::kAnyOf),
       sq::column_field("time", "t.at", sq::FieldType::time_millis, sq::kExact | sq::kRange),
       sq::column_field("flag", "t.flag", sq::FieldType::boolean, sq::kExact)},
      {{"name", "t.name"}, {"size", "t.size"}},
      "t.id",
      "t.id",
  };
}

bool holds_int(const sq::SqlValue& v, std::int64_t n) {
  return std::holds_alternative<std::int64_t>(v) && std::get<std::int64_t>(v) == n;
}

TEST(QueryCompilerTest, EachKindBecomesAParameterizedCondition) {
  auto c =
      sq::compile_query(query({exact("name", "it's"), fuzzy("name", "50%_x"), range("size", "10", "20"),
                               any_of("name", {"a", "b", "c"}), exact("flag", "true"), exact("time", "100"),
                               range("time", std::nullopt, "1970-01-01T00:03:20Z")},
                              "-size,name", 5, 7),
                        test_schema());
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->where.sql,
            "(t.name = ?) AND (t.name LIKE ? ESCAPE '\\') AND (t.size >= ? AND t.size <= ?) AND "
            "(t.name IN (?, ?, ?)) AND (t.flag = ?) AND (t.at BETWEEN ? AND ?) AND (t.at <= ?)");
  ASSERT_EQ(c->where.params.size(), 11u);
  EXPECT_EQ(std::get<std::string>(c->where.params[0]), "it's");
  EXPECT_EQ(std::get<std::string>(c->where.params[1]), "%50\\%\\_x%");
  EXPECT_TRUE(holds_int(c->where.params[2], 10));
  EXPECT_TRUE(holds_int(c->where.params[3], 20));
  EXPECT_EQ(std::get<std::string>(c->where.params[6]), "c");
  EXPECT_TRUE(holds_int(c->where.params[7], 1));
  EXPECT_TRUE(holds_int(c->where.params[8], 100'000));  // a whole second, in millis
  EXPECT_TRUE(holds_int(c->where.params[9], 100'999));
  EXPECT_TRUE(holds_int(c->where.params[10], 200'999));  // inclusive upper bound
  EXPECT_EQ(c->order_by, "t.size DESC, t.name ASC, t.id ASC");
  EXPECT_EQ(c->limit, 5);
  EXPECT_EQ(c->offset, 7);
}

TEST(QueryCompilerTest, DefaultsAndEdgeCases) {
  auto none = sq::compile_query(query(), test_schema());
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->where.sql, "1");
  EXPECT_TRUE(none->where.params.empty());
  EXPECT_EQ(none->order_by, "t.id");
  EXPECT_EQ(none->limit, -1);  // limit 0 = no limit
  EXPECT_EQ(none->offset, 0);

  auto desc = sq::compile_query(query({}, "-name"), test_schema());
  ASSERT_TRUE(desc.ok());
  EXPECT_EQ(desc->order_by, "t.name DESC, t.id DESC");

  auto empty_set = sq::compile_query(query({any_of("name", {})}), test_schema());
  ASSERT_TRUE(empty_set.ok());
  EXPECT_EQ(empty_set->where.sql, "(0)");

  ListQuery defaults;
  auto ten = sq::compile_query(defaults, test_schema());
  ASSERT_TRUE(ten.ok());
  EXPECT_EQ(ten->limit, 10);
}

TEST(QueryCompilerTest, RefusesUnknownFieldsKindsAndBadValues) {
  struct Case {
    ListQuery q;
    std::string message;
  };
  std::vector<Case> cases = {
      {query({exact("nope", "1")}), "unknown query field nope"},
      {query({}, "nope"), "unknown query field nope"},
      {query({}, "-flag"), "unknown query field flag"},
      {query({}, "name,"), "unknown query field "},
      {query({fuzzy("size", "1")}), "does not accept"},
      {query({range("name", "a", "b")}), "does not accept"},
      {query({any_of("flag", {"true"})}), "does not accept"},
      {query({exact("size", "12abc")}), "invalid value for query field size"},
      {query({exact("size", "")}), "invalid value for query field size"},
      {query({any_of("size", {"1", "two"})}), "invalid value for query field size"},
      {query({exact("flag", "TRUE ")}), "invalid value for query field flag"},
      {query({exact("time", "2024-01-01 00:00")}), "invalid value for query field time"},
  };
  for (const auto& c : cases) {
    auto r = sq::compile_query(c.q, test_schema());
    ASSERT_FALSE(r.ok()) << c.message;
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
    EXPECT_NE(r.error().message.find(c.message), std::string::npos) << r.error().message;
  }
}

TEST(QueryCompilerTest, ParsesTimesAsUtc) {
  EXPECT_EQ(*sq::parse_query_time("0"), 0);
  EXPECT_EQ(*sq::parse_query_time("1700000000"), 1'700'000'000);
  EXPECT_EQ(*sq::parse_query_time("1970-01-01 00:00:00"), 0);
  EXPECT_EQ(*sq::parse_query_time("2023-11-14 22:13:20"), 1'700'000'000);
  EXPECT_EQ(*sq::parse_query_time("2023-11-14T22:13:20Z"), 1'700'000'000);
  EXPECT_EQ(*sq::parse_query_time("2024-02-29 23:59:59"), 1'709'251'199);
  for (const char* bad :
       {"", "abc", "2023-11-14", "2023-11-14T22:13:20", "2023-11-14 22:13:20Z", "2023-11-14 24:00:00",
        "2023-11-14 23:60:00", "2023-11-31 00:00:00", "2023/11/14 22:13:20", "+1", "99999999999999999999"}) {
    auto r = sq::parse_query_time(bad);
    EXPECT_FALSE(r.ok()) << bad;
  }
}

TEST(QueryCompilerTest, LikeSubstringEscapesWildcards) {
  EXPECT_EQ(sq::like_substring("abc"), "%abc%");
  EXPECT_EQ(sq::like_substring("a%b_c\\d"), "%a\\%b\\_c\\\\d%");
  EXPECT_EQ(sq::like_substring(""), "%%");
}

// --- management reads ---------------------------------------------------------------------------

TEST_F(MetaIamTest, RepositorySummariesListAProjectsRepositories) {
  push("proj/app", "a1", "v1");
  push("proj/app", "a2", "v2");
  push("proj/db", "d1", "latest");
  push("proj/tools/cli", "c1");
  push("projx/app", "x1");
  push("other/app", "o1");
  ASSERT_TRUE(db_->record_pulls({{"proj/db", digest_of("d1"), "latest", {}},
                                 {"proj/db", digest_of("d1"), "", {}},
                                 {"proj/app", digest_of("a1"), "", {}}})
                  .ok());
  ASSERT_TRUE(db_->set_repository_description("proj/db", "the database").ok());
  auto name = [](const RepositorySummary& r) { return r.name; };

  auto all = db_->list_repository_summaries("proj", query());
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_EQ(all->total, 3);
  EXPECT_EQ(names_of(*all, name), (Strings{"proj/app", "proj/db", "proj/tools/cli"}));
  const RepositorySummary& app = all->items[0];
  EXPECT_GT(app.id, 0);
  EXPECT_EQ(app.artifact_count, 2);
  EXPECT_EQ(app.pull_count, 1);
  EXPECT_EQ(all->items[1].pull_count, 2);
  EXPECT_EQ(all->items[1].description, "the database");
  EXPECT_EQ(all->items[2].artifact_count, 1);
  EXPECT_GE(app.updated, app.created);

  EXPECT_EQ(names_of(*db_->list_repository_summaries("proj", query({fuzzy("name", "APP")})), name),
            Strings{"proj/app"});
  EXPECT_EQ(names_of(*db_->list_repository_summaries("proj", query({exact("name", "proj/db")})), name),
            Strings{"proj/db"});
  EXPECT_TRUE(db_->list_repository_summaries("proj", query({exact("name", "db")}))->items.empty());
  EXPECT_EQ(names_of(*db_->list_repository_summaries("proj", query({}, "-pull_count")), name),
            (Strings{"proj/db", "proj/app", "proj/tools/cli"}));
  EXPECT_EQ(names_of(*db_->list_repository_summaries("proj", query({}, "-name")), name),
            (Strings{"proj/tools/cli", "proj/db", "proj/app"}));
  auto page = db_->list_repository_summaries("proj", query({}, "name", 1, 1));
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->total, 3);
  EXPECT_EQ(names_of(*page, name), Strings{"proj/db"});
  EXPECT_TRUE(db_->list_repository_summaries("nope", query())->items.empty());
  for (const char* sort : {"creation_time", "-update_time"}) {
    auto sorted = db_->list_repository_summaries("proj", query({}, sort));
    EXPECT_TRUE(sorted.ok()) << sort;
    EXPECT_EQ(sorted->total, 3);
  }
  auto bad = db_->list_repository_summaries("proj", query({exact("description", "x")}));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::invalid_argument);

  auto one = db_->repository_summary("proj/db");
  ASSERT_TRUE(one.ok() && one->has_value());
  EXPECT_EQ((*one)->id, all->items[1].id);
  EXPECT_EQ((*one)->pull_count, 2);
  EXPECT_EQ((*one)->description, "the database");
  EXPECT_FALSE(db_->repository_summary("proj/none")->has_value());
}

TEST_F(MetaIamTest, RepositoryUpdateTimeFollowsPushesTagChangesAndDescription) {
  auto updated = [&](const std::string& repository) {
    auto s = db_->repository_summary(repository);
    EXPECT_TRUE(s.ok() && s->has_value());
    return (s.ok() && s->has_value()) ? (*s)->updated : TimePoint{};
  };
  auto later = [] { std::this_thread::sleep_for(std::chrono::milliseconds(3)); };
  layer("proj/app", "l1", 10);
  TimePoint t0 = updated("proj/app");
  later();
  layer("proj/app", "l2", 10);
  EXPECT_EQ(updated("proj/app"), t0);  // a blob upload alone is not a change of the listing
  std::string digest = push("proj/app", "m1", "v1");
  TimePoint t1 = updated("proj/app");
  EXPECT_GT(t1, t0);
  later();
  push("proj/app", "m1", "v2");  // same manifest, new tag
  TimePoint t2 = updated("proj/app");
  EXPECT_GT(t2, t1);
  later();
  ASSERT_TRUE(db_->add_tag("proj/app", digest, "v3").ok());
  TimePoint t3 = updated("proj/app");
  EXPECT_GT(t3, t2);
  later();
  ASSERT_TRUE(db_->delete_tag("proj/app", "v1").ok());
  TimePoint t4 = updated("proj/app");
  EXPECT_GT(t4, t3);
  later();
  ASSERT_TRUE(db_->set_repository_description("proj/app", "d").ok());
  TimePoint t5 = updated("proj/app");
  EXPECT_GT(t5, t4);
  later();
  ASSERT_TRUE(db_->record_pulls({{"proj/app", digest, "v2", {}}}).ok());
  EXPECT_EQ(updated("proj/app"), t5);  // pulls are not changes
  ASSERT_TRUE(db_->delete_manifest("proj/app", digest).ok());
  EXPECT_GT(updated("proj/app"), t5);

  auto missing = db_->set_repository_description("proj/none", "d");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::not_found);
}

TEST_F(MetaIamTest, DeleteRepositoryRemovesManifestsTagsAndLinksButKeepsBlobs) {
  std::string shared = layer("proj/app", "shared", 1000);
  ASSERT_TRUE(db_->link_blob("proj/other", shared).ok());
  std::string m1 = push("proj/app", "m1", "v1", 100, {}, {shared});
  std::string m2 = push("proj/app", "m2", "v2");
  std::string kept = push("proj/other", "m3", "v1", 100, {}, {shared});

  ASSERT_TRUE(db_->delete_repository("proj/app").ok());
  EXPECT_FALSE(*db_->repository_exists("proj/app"));
  EXPECT_FALSE(db_->get_manifest("proj/app", m1)->has_value());
  EXPECT_FALSE(db_->resolve_tag("proj/app", "v1")->has_value());
  EXPECT_FALSE(db_->linked_blob_size("proj/app", shared)->has_value());
  EXPECT_FALSE(db_->repository_summary("proj/app")->has_value());
  auto tags = db_->list_tags("proj/app", {});
  ASSERT_FALSE(tags.ok());
  EXPECT_EQ(tags.error().code, Errc::not_found);
  // Blob rows stay for gc; the other repository is untouched.
  EXPECT_EQ(db_->blob_size(m2)->value_or(-1), 100);
  EXPECT_EQ(db_->blob_size(shared)->value_or(-1), 1000);
  EXPECT_EQ(db_->resolve_tag("proj/other", "v1")->value_or(""), kept);
  EXPECT_EQ(db_->linked_blob_size("proj/other", shared)->value_or(-1), 1000);
  EXPECT_TRUE(db_->integrity_check().ok());
  // gc now finds the deleted repository's manifests unreferenced, and not the shared layer.
  auto removed = db_->gc_candidates(std::chrono::system_clock::now() + std::chrono::minutes(1), "", 100);
  ASSERT_TRUE(removed.ok());
  Strings found;
  for (const auto& c : *removed) found.push_back(c.digest);
  Strings expected{m1, m2};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(found, expected);

  auto again = db_->delete_repository("proj/app");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::not_found);
  // The name can be pushed again from scratch.
  push("proj/app", "m1", "v9");
  EXPECT_EQ(db_->list_artifacts("proj/app", query())->total, 1);
}

class ArtifactTest : public MetaIamTest {
 protected:
  void SetUp() override {
    MetaIamTest::SetUp();
    tagged_ = push("proj/app", "tagged", "v1", 300, at_seconds(1000));
    push("proj/app", "tagged", "latest");
    two_ = push("proj/app", "second", "release-2", 100, at_seconds(2000));
    untagged_ = push("proj/app", "untagged", "", 200, at_seconds(3000));
    ManifestRecord index;
    index.repository = "proj/app";
    index.digest = digest_of("index");
    index.media_type = "application/vnd.oci.image.index.v1+json";
    index.artifact_type = "application/vnd.example.sbom";
    index.size = 50;
    index.created = at_seconds(4000);
    ASSERT_TRUE(db_->put_manifest(index, {{}, {two_}}, "").ok());
    index_ = index.digest;
    push("proj/other", "elsewhere", "v1", 10, at_seconds(5000));
  }

  Strings digests(const ListQuery& q) {
    auto r = db_->list_artifacts("proj/app", q);
    EXPECT_TRUE(r.ok()) << r.error().message;
    if (!r.ok()) return {};
    return names_of(*r, [](const ArtifactRecord& a) { return a.manifest.digest; });
  }

  std::string tagged_, two_, untagged_, index_;
};

TEST_F(ArtifactTest, ListsManifestsWithTheirTagsNewestFirst) {
  auto all = db_->list_artifacts("proj/app", query());
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_EQ(all->total, 4);
  ASSERT_EQ(all->items.size(), 4u);
  EXPECT_EQ(names_of(*all, [](const ArtifactRecord& a) { return a.manifest.digest; }),
            (Strings{index_, untagged_, two_, tagged_}));
  const ArtifactRecord& t = all->items[3];
  EXPECT_EQ(t.manifest.repository, "proj/app");
  EXPECT_EQ(t.manifest.size, 300);
  EXPECT_EQ(t.manifest.created, at_seconds(1000));
  EXPECT_EQ(t.repository_id, (*db_->repository_summary("proj/app"))->id);
  ASSERT_EQ(t.tags.size(), 2u);
  EXPECT_EQ(t.tags[0].name, "latest");
  EXPECT_EQ(t.tags[1].name, "v1");
  EXPECT_GT(t.tags[0].pushed, at_seconds(1'600'000'000));
  EXPECT_EQ(t.tags[0].pulled, TimePoint{});
  EXPECT_EQ(t.pulled, TimePoint{});
  EXPECT_TRUE(all->items[1].tags.empty());
  EXPECT_EQ(all->items[0].manifest.artifact_type, "application/vnd.example.sbom");

  auto missing = db_->list_artifacts("proj/none", query());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::not_found);
}

TEST_F(ArtifactTest, TagFiltersFollowHarbor) {
  EXPECT_EQ(digests(query({exact("tags", "*")})), (Strings{two_, tagged_}));
  EXPECT_EQ(digests(query({exact("tags", "nil")})), (Strings{index_, untagged_}));
  EXPECT_EQ(digests(query({exact("tags", "v1")})), Strings{tagged_});
  EXPECT_TRUE(digests(query({exact("tags", "v")})).empty());
  EXPECT_EQ(digests(query({fuzzy("tags", "LEASE")})), Strings{two_});
  EXPECT_EQ(digests(query({fuzzy("tags", "e")})), (Strings{two_, tagged_}));
  EXPECT_TRUE(digests(query({fuzzy("tags", "%")})).empty());
  // A tag of the same name in another repository does not count.
  EXPECT_TRUE(digests(query({exact("tags", "nope")})).empty());
}

TEST_F(ArtifactTest, OtherFiltersSortAndPaging) {
  EXPECT_EQ(digests(query({exact("digest", two_)})), Strings{two_});
  EXPECT_EQ(digests(query({fuzzy("media_type", "INDEX")})), Strings{index_});
  EXPECT_EQ(digests(query({exact("media_type", "application/vnd.oci.image.manifest.v1+json")})).size(), 3u);
  EXPECT_EQ(digests(query({exact("artifact_type", "application/vnd.example.sbom")})), Strings{index_});
  EXPECT_EQ(digests(query({fuzzy("artifact_type", "sbom")})), Strings{index_});
  EXPECT_EQ(digests(query({range("push_time", "2000", "3000")})), (Strings{untagged_, two_}));
  EXPECT_EQ(digests(query({range("push_time", std::nullopt, "1999")})), Strings{tagged_});
  EXPECT_EQ(digests(query({exact("tags", "nil"), range("push_time", "3500", std::nullopt)})),
            Strings{index_});

  EXPECT_EQ(digests(query({}, "size")), (Strings{index_, two_, untagged_, tagged_}));
  EXPECT_EQ(digests(query({}, "-size")), (Strings{tagged_, untagged_, two_, index_}));
  EXPECT_EQ(digests(query({}, "push_time")), (Strings{tagged_, two_, untagged_, index_}));
  auto page = db_->list_artifacts("proj/app", query({}, "push_time", 2, 1));
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->total, 4);
  EXPECT_EQ(names_of(*page, [](const ArtifactRecord& a) { return a.manifest.digest; }),
            (Strings{two_, untagged_}));

  for (const auto& bad : {query({fuzzy("digest", "sha")}), query({exact("repository", "x")}),
                          query({}, "name"), query({exact("push_time", "1000")})}) {
    auto r = db_->list_artifacts("proj/app", bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::invalid_argument) << r.error().message;
  }
}

TEST_F(ArtifactTest, GetArtifactAndAddTag) {
  auto got = db_->get_artifact("proj/app", tagged_);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->manifest.digest, tagged_);
  ASSERT_EQ((*got)->tags.size(), 2u);
  EXPECT_FALSE(db_->get_artifact("proj/app", digest_of("none"))->has_value());
  EXPECT_FALSE(db_->get_artifact("proj/other", tagged_)->has_value());

  ASSERT_TRUE(db_->add_tag("proj/app", untagged_, "new").ok());
  EXPECT_EQ(db_->resolve_tag("proj/app", "new")->value_or(""), untagged_);
  auto after = db_->get_artifact("proj/app", untagged_);
  ASSERT_TRUE(after.ok() && after->has_value());
  ASSERT_EQ((*after)->tags.size(), 1u);
  EXPECT_EQ((*after)->tags[0].name, "new");

  auto taken = db_->add_tag("proj/app", untagged_, "v1");  // points elsewhere
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.error().code, Errc::already_exists);
  EXPECT_EQ(db_->resolve_tag("proj/app", "v1")->value_or(""), tagged_);
  auto same = db_->add_tag("proj/app", untagged_, "new");  // points here already
  ASSERT_FALSE(same.ok());
  EXPECT_EQ(same.error().code, Errc::already_exists);
  auto no_manifest = db_->add_tag("proj/app", digest_of("none"), "x");
  ASSERT_FALSE(no_manifest.ok());
  EXPECT_EQ(no_manifest.error().code, Errc::not_found);
  auto no_repo = db_->add_tag("proj/none", tagged_, "x");
  ASSERT_FALSE(no_repo.ok());
  EXPECT_EQ(no_repo.error().code, Errc::not_found);
}

TEST_F(ArtifactTest, RecordPullsCountsAndKeepsTheLatestTime) {
  ASSERT_TRUE(db_->record_pulls({{"proj/app", tagged_, "v1", at_millis(5'000'000)},
                                 {"proj/app", tagged_, "", at_millis(4'000'000)},
                                 {"proj/app", two_, "", at_millis(6'000'000)},
                                 {"proj/gone", tagged_, "v1", at_millis(7'000'000)}})
                  .ok());
  EXPECT_EQ((*db_->repository_summary("proj/app"))->pull_count, 3);
  EXPECT_EQ((*db_->repository_summary("proj/other"))->pull_count, 0);
  EXPECT_FALSE(*db_->repository_exists("proj/gone"));  // a pull never creates a repository
  auto t = db_->get_artifact("proj/app", tagged_);
  ASSERT_TRUE(t.ok() && t->has_value());
  EXPECT_EQ((*t)->pulled, at_millis(5'000'000));  // the later of the two
  ASSERT_EQ((*t)->tags.size(), 2u);
  EXPECT_EQ((*t)->tags[0].name, "latest");
  EXPECT_EQ((*t)->tags[0].pulled, TimePoint{});
  EXPECT_EQ((*t)->tags[1].pulled, at_millis(5'000'000));
  EXPECT_EQ((*db_->get_artifact("proj/app", two_))->pulled, at_millis(6'000'000));

  // An older pull recorded late does not move the time back; a pull without a time is now.
  ASSERT_TRUE(db_->record_pulls({{"proj/app", tagged_, "v1", at_millis(1'000)}}).ok());
  EXPECT_EQ((*db_->get_artifact("proj/app", tagged_))->pulled, at_millis(5'000'000));
  auto before = std::chrono::system_clock::now() - std::chrono::seconds(1);
  ASSERT_TRUE(db_->record_pulls({{"proj/app", untagged_, "", {}}}).ok());
  EXPECT_GE((*db_->get_artifact("proj/app", untagged_))->pulled, before);
  EXPECT_EQ((*db_->repository_summary("proj/app"))->pull_count, 5);
  EXPECT_TRUE(db_->record_pulls({}).ok());
  // A record may stand for several pulls of the same thing.
  ASSERT_TRUE(db_->record_pulls({{"proj/app", two_, "", at_millis(6'500'000), 40}}).ok());
  EXPECT_EQ((*db_->repository_summary("proj/app"))->pull_count, 45);
  EXPECT_EQ((*db_->get_artifact("proj/app", two_))->pulled, at_millis(6'500'000));

  EXPECT_EQ(digests(query({}, "-pull_time")), (Strings{untagged_, two_, tagged_, index_}));
}

TEST_F(MetaIamTest, CountRepositoriesAndStorageUsedCountEachBlobOnce) {
  std::string shared = layer("proj/a", "shared", 1000);
  ASSERT_TRUE(db_->link_blob("proj/b", shared).ok());
  std::string only_a = layer("proj/a", "only-a", 10);
  layer("other/c", "only-c", 5000);
  push("proj/a", "ma", "v1", 100, {}, {shared, only_a});
  push("proj/b", "mb", "v1", 200, {}, {shared});
  push("proj/b", "ma", "v1", 100, {}, {shared});  // same manifest content in a second repository
  push("other/c", "mc", "v1", 300);

  EXPECT_EQ(*db_->count_repositories("proj/"), 2);
  EXPECT_EQ(*db_->count_repositories(""), 3);
  EXPECT_EQ(*db_->count_repositories("other/"), 1);
  EXPECT_EQ(*db_->count_repositories("nope/"), 0);
  EXPECT_EQ(*db_->count_repositories("proj/a"), 1);

  // proj/: shared 1000 + only-a 10 + ma 100 + mb 200, each once.
  EXPECT_EQ(*db_->storage_used("proj/"), 1310);
  EXPECT_EQ(*db_->storage_used("proj/b"), 1300);
  EXPECT_EQ(*db_->storage_used(""), 1310 + 5000 + 300);
  EXPECT_EQ(*db_->storage_used("nope/"), 0);

  // A manifest whose link was removed still counts while it is stored; deleting it stops that.
  ASSERT_TRUE(db_->unlink_blob("proj/b", digest_of("mb")).ok());
  EXPECT_EQ(*db_->storage_used("proj/b"), 1300);
  ASSERT_TRUE(db_->delete_manifest("proj/b", digest_of("mb")).ok());
  EXPECT_EQ(*db_->storage_used("proj/b"), 1100);
  ASSERT_TRUE(db_->delete_repository("proj/a").ok());
  EXPECT_EQ(*db_->storage_used("proj/"), 1100);
  EXPECT_EQ(*db_->count_repositories("proj/"), 1);
}

// --- both interfaces on one file ------------------------------------------------------------------

TEST_F(MetaIamTest, BothInterfacesWriteConcurrentlyWithoutErrors) {
  std::int64_t owner = user("owner");
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 30; ++i) {
        AuditRecord r;
        r.username = "u" + std::to_string(t);
        r.operation = "push";
        if (!iam_->append_audit({r}, IamDatabase::Commit::durable).ok()) ++failures;
        if (!iam_->create_project(
                     Project{0, "p" + std::to_string(t) + "-" + std::to_string(i), owner, "", {}, {}, {}, 0})
                 .ok())
          ++failures;
      }
    });
    threads.emplace_back([&, t] {
      for (int i = 0; i < 30; ++i) {
        std::string repository = "p" + std::to_string(t) + "-0/r" + std::to_string(i);
        ManifestRecord m;
        m.repository = repository;
        m.digest = digest_of(repository);
        m.media_type = "x";
        m.size = 1;
        if (!db_->put_manifest(m, {}, "v1").ok()) ++failures;
        if (!db_->record_pulls({{repository, m.digest, "v1", {}}}).ok()) ++failures;
        if (!db_->list_artifacts(repository, query()).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(iam_->list_audit(query())->total, 60);
  EXPECT_EQ((*iam_->find_project("p1-0"))->repo_count, 30);
  EXPECT_EQ(*db_->count_repositories(""), 60);
}

// --- migration from the first released schema ------------------------------------------------------

// The schema Berth 1 (user_version 1) wrote, kept verbatim: a file written by it must open.
constexpr const char* kReleasedSchemaV1 = R"sql(
CREATE TABLE repositories (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL);
CREATE TABLE blobs (digest TEXT PRIMARY KEY, size INTEGER NOT NULL, created_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE pending_blobs (digest TEXT PRIMARY KEY, created_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE repository_blobs (
  repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
  digest TEXT NOT NULL REFERENCES blobs(digest),
  PRIMARY KEY (repository_id, digest)
) WITHOUT ROWID;
CREATE INDEX repository_blobs_by_digest ON repository_blobs(digest);
CREATE TABLE manifests (
  repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
  digest TEXT NOT NULL REFERENCES blobs(digest),
  media_type TEXT NOT NULL, artifact_type TEXT NOT NULL, size INTEGER NOT NULL, subject TEXT,
  annotations TEXT NOT NULL, created_at INTEGER NOT NULL,
  PRIMARY KEY (repository_id, digest)
) WITHOUT ROWID;
CREATE INDEX manifests_by_subject ON manifests(repository_id, subject);
CREATE INDEX manifests_by_digest ON manifests(digest);
CREATE TABLE manifest_references (
  repository_id INTEGER NOT NULL, manifest_digest TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('blob', 'manifest')), child_digest TEXT NOT NULL,
  PRIMARY KEY (repository_id, manifest_digest, kind, child_digest),
  FOREIGN KEY (repository_id, manifest_digest) REFERENCES manifests(repository_id, digest) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX manifest_references_by_child ON manifest_references(child_digest);
CREATE TABLE tags (
  repository_id INTEGER NOT NULL, name TEXT NOT NULL, digest TEXT NOT NULL, updated_at INTEGER NOT NULL,
  PRIMARY KEY (repository_id, name),
  FOREIGN KEY (repository_id, digest) REFERENCES manifests(repository_id, digest) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX tags_by_digest ON tags(repository_id, digest);
CREATE TABLE uploads (id TEXT PRIMARY KEY, repository TEXT NOT NULL, started_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX uploads_by_start ON uploads(started_at);
PRAGMA user_version = 1;
)sql";

TEST_F(MetaIamTest, AVersionOneDatabaseIsMigratedWithItsRowsIntact) {
  iam_.reset();
  db_.reset();
  fs::remove_all(dir_);
  fs::create_directories(dir_);
  const std::string digest = digest_of("old");
  const std::string layer_digest = digest_of("old-layer");
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path().c_str(), &raw), SQLITE_OK);
    std::string rows = std::string(kReleasedSchemaV1) +
                       "INSERT INTO repositories(id, name, created_at) VALUES(7, 'proj/old', 1000);"
                       "INSERT INTO blobs VALUES('" +
                       digest +
                       "', 321, 1000);"
                       "INSERT INTO blobs VALUES('" +
                       layer_digest +
                       "', 4000, 1000);"
                       "INSERT INTO repository_blobs VALUES(7, '" +
                       digest +
                       "');"
                       "INSERT INTO repository_blobs VALUES(7, '" +
                       layer_digest +
                       "');"
                       "INSERT INTO manifests VALUES(7, '" +
                       digest +
                       "', 'application/vnd.oci.image.manifest.v1+json', '', 321, NULL, '', 2000);"
                       "INSERT INTO tags VALUES(7, 'v1', '" +
                       digest + "', 3000);";
    char* error = nullptr;
    ASSERT_EQ(sqlite3_exec(raw, rows.c_str(), nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "");
    sqlite3_close(raw);
  }

  open();
  ASSERT_NE(db_, nullptr);
  // The old rows survive.
  EXPECT_TRUE(*db_->repository_exists("proj/old"));
  EXPECT_EQ(db_->resolve_tag("proj/old", "v1")->value_or(""), digest);
  auto m = db_->get_manifest("proj/old", digest);
  ASSERT_TRUE(m.ok() && m->has_value());
  EXPECT_EQ((*m)->size, 321);
  EXPECT_EQ((*m)->created, at_millis(2000));
  // The new columns have their defaults; updated_at is the latest known change.
  auto summary = db_->repository_summary("proj/old");
  ASSERT_TRUE(summary.ok() && summary->has_value()) << (summary.ok() ? "" : summary.error().message);
  EXPECT_EQ((*summary)->id, 7);
  EXPECT_EQ((*summary)->description, "");
  EXPECT_EQ((*summary)->pull_count, 0);
  EXPECT_EQ((*summary)->artifact_count, 1);
  EXPECT_EQ((*summary)->created, at_millis(1000));
  EXPECT_EQ((*summary)->updated, at_millis(3000));
  auto artifact = db_->get_artifact("proj/old", digest);
  ASSERT_TRUE(artifact.ok() && artifact->has_value());
  EXPECT_EQ((*artifact)->pulled, TimePoint{});
  ASSERT_EQ((*artifact)->tags.size(), 1u);
  EXPECT_EQ((*artifact)->tags[0].pushed, at_millis(3000));
  EXPECT_EQ(*db_->storage_used("proj/"), 4321);
  // The new tables work.
  std::int64_t alice = user("alice");
  std::int64_t p = project("proj", alice);
  EXPECT_EQ((*iam_->get_project(p))->repo_count, 1);
  ASSERT_TRUE(iam_->append_audit({AuditRecord{}}, IamDatabase::Commit::durable).ok());
  ASSERT_TRUE(db_->record_pulls({{"proj/old", digest, "v1", {}}}).ok());
  EXPECT_EQ((*db_->repository_summary("proj/old"))->pull_count, 1);
  EXPECT_TRUE(db_->integrity_check().ok());

  // The file now carries the latest version, and opening it again changes nothing.
  open();
  EXPECT_EQ((*iam_->find_user("alice"))->id, alice);
  iam_.reset();
  db_.reset();
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path().c_str(), &raw), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(raw, "PRAGMA user_version", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), static_cast<int>(sqlite::schema_migrations().size()));
  sqlite3_finalize(stmt);
  ASSERT_EQ(
      sqlite3_prepare_v2(raw,
                         "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('users', "
                         "'projects', 'project_metadata', 'project_members', 'robots', 'robot_permissions', "
                         "'sessions', 'audit_log')",
                         -1, &stmt, nullptr),
      SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), 8);
  sqlite3_finalize(stmt);
  sqlite3_close(raw);
}

}  // namespace
}  // namespace berth::meta
