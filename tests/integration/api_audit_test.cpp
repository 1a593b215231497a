// The audit log through Harbor's /audit-logs, /projects/{p}/logs and the 2.13
// auditlog-exts paths: pushes, deletes and logins are recorded with the user and the
// client address, and the filters Harbor's portal uses work.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <thread>

#include "harbor_api.h"

namespace berth::integration {
namespace {

namespace json = boost::json;

// "YYYY-MM-DD HH:MM:SS" UTC, as Harbor's q takes times.
std::string harbor_query_time(std::chrono::system_clock::time_point time) {
  const std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S", &tm);
  return buffer;
}

class AuditApiTest : public HarborApiTest {
 protected:
  void SetUp() override {
    HarborApiTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    project_ = unique_name("audit");
    ASSERT_GT(create_project(project_), 0);
    image_ = make_image();
    ASSERT_TRUE(push_image(client(), project_ + "/app", "v1", image_));
    ASSERT_EQ(client().del(repository_api_path(project_, "app") + "/artifacts/v1").status, 200);
  }

  // GET `path` with q (as admin unless `as`), retried until `count` records match (the
  // audit log is written in the background, within a fraction of a second).
  Response logs(const std::string& path, const std::string& q, std::size_t count, HttpClient* as = nullptr) {
    HttpClient& sender = as == nullptr ? client() : *as;
    Response r;
    for (int attempt = 0; attempt < 50; ++attempt) {
      r = sender.get(q.empty() ? path : with_query(path, "q", q));
      if (r.status != 200 || json_of(r).as_array().size() >= count) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return r;
  }

  std::string project_;
  Image image_;
};

TEST_F(AuditApiTest, PushAndDeleteAreRecordedWithUserAndAddress) {
  Response r = logs(std::string(kApi) + "/audit-logs", "resource=~" + project_ + "/app", 2);
  ASSERT_EQ(r.status, 200) << r;
  json::value items = json_of(r);
  const json::object* push = nullptr;
  const json::object* deletion = nullptr;
  for (const auto& item : items.as_array()) {
    if (text_of(item, "operation") == "create" && text_of(item, "resource") == project_ + "/app:v1")
      push = &item.as_object();
    if (text_of(item, "operation") == "delete" &&
        text_of(item, "resource") == project_ + "/app@" + image_.digest)
      deletion = &item.as_object();
  }
  ASSERT_NE(push, nullptr) << r;
  ASSERT_NE(deletion, nullptr) << r;
  for (const json::object* record : {push, deletion}) {
    EXPECT_EQ(text_of(*record, "username"), "admin");
    EXPECT_EQ(text_of(*record, "client_ip"), "127.0.0.1");
    EXPECT_EQ(text_of(*record, "resource_type"), "artifact");
    EXPECT_GT(int_of(*record, "id").value_or(0), 0);
    EXPECT_EQ(text_of(*record, "op_time").size(), 24u);
    EXPECT_EQ(record->at("operation_result"), json::value(true));
    EXPECT_TRUE(record->contains("operation_description"));
  }
  // Newest first by default.
  EXPECT_GT(int_of(*deletion, "id"), int_of(*push, "id"));
  EXPECT_EQ(text_of(items.as_array()[0], "operation"), "delete");
}

TEST_F(AuditApiTest, FiltersByOperationTimeAndPage) {
  const std::string path = std::string(kApi) + "/audit-logs";
  const std::string mine = "resource=~" + project_ + "/";
  ASSERT_EQ(logs(path, mine, 2).header("X-Total-Count"), "2");

  Response deletes = client().get(with_query(path, "q", mine + ",operation=delete"));
  ASSERT_EQ(deletes.status, 200) << deletes;
  ASSERT_EQ(json_of(deletes).as_array().size(), 1u) << deletes;
  EXPECT_EQ(text_of(json_of(deletes).as_array()[0], "operation"), "delete");

  const auto now = std::chrono::system_clock::now();
  const std::string around = "op_time=[" + harbor_query_time(now - std::chrono::hours(1)) + "~" +
                             harbor_query_time(now + std::chrono::hours(1)) + "]";
  Response recent = client().get(with_query(path, "q", mine + "," + around));
  ASSERT_EQ(recent.status, 200) << recent;
  EXPECT_EQ(recent.header("X-Total-Count"), "2");
  Response long_ago =
      client().get(with_query(path, "q", mine + ",op_time=[2001-01-01 00:00:00~2001-01-02 00:00:00]"));
  ASSERT_EQ(long_ago.status, 200) << long_ago;
  EXPECT_EQ(long_ago.header("X-Total-Count"), "0");
  EXPECT_TRUE(json_of(long_ago).as_array().empty());

  Response first = client().get(with_query(path, "q", mine) + "&page_size=1&sort=op_time");
  ASSERT_EQ(first.status, 200) << first;
  ASSERT_EQ(json_of(first).as_array().size(), 1u);
  EXPECT_EQ(text_of(json_of(first).as_array()[0], "operation"), "create");
  EXPECT_EQ(first.header("X-Total-Count"), "2");
  EXPECT_NE(first.header("Link").find("rel=\"next\""), std::string::npos) << first;
  EXPECT_TRUE(IsHarborError(client().get(with_query(path, "q", "no_such_field=1")), 400));
}

TEST_F(AuditApiTest, ProjectLogsShowThatProjectToItsMembers) {
  const std::string path = std::string(kApi) + "/projects/" + project_ + "/logs";
  Response r = logs(path, "", 3);
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.header("X-Total-Count"), "3") << r;  // the project's creation, the push, the delete
  const json::value items = json_of(r);
  for (const auto& item : items.as_array()) {
    const std::string resource = text_of(item, "resource");
    EXPECT_TRUE(resource == project_ || resource.starts_with(project_ + "/")) << resource;
  }

  auto guest = member_client(project_, HarborRole::guest);
  EXPECT_EQ(guest->get(path).status, 200);
  auto limited = member_client(project_, HarborRole::limited_guest);
  EXPECT_TRUE(IsHarborError(limited->get(path), 403));
  const std::string stranger = unique_name("stranger");
  create_user(stranger);
  auto outsider = client_as(stranger, kUserPassword);
  EXPECT_TRUE(IsHarborError(outsider->get(path), 403));
  EXPECT_TRUE(IsHarborError(guest->get(std::string(kApi) + "/audit-logs"), 403));
  EXPECT_TRUE(IsHarborError(client_as("", "")->get(std::string(kApi) + "/audit-logs"), 401));
}

TEST_F(AuditApiTest, AuditLogExtsAndFailedLogins) {
  const std::string user = unique_name("login");
  create_user(user);
  EXPECT_EQ(client_as(user, "Wrong-Password-1")->get(std::string(kApi) + "/users/current").status, 401);
  Response failed = logs(std::string(kApi) + "/auditlog-exts", "operation=login,username=" + user, 1);
  ASSERT_EQ(failed.status, 200) << failed;
  ASSERT_FALSE(json_of(failed).as_array().empty()) << failed;
  const json::value record = json_of(failed).as_array()[0];
  EXPECT_EQ(record.at("operation_result"), json::value(false));
  EXPECT_EQ(text_of(record, "client_ip"), "127.0.0.1");
  EXPECT_EQ(failed.body.find("Wrong-Password-1"), std::string::npos);

  Response only_failures = client().get(
      with_query(std::string(kApi) + "/auditlog-exts", "q", "username=" + user + ",operation_result=false"));
  ASSERT_EQ(only_failures.status, 200) << only_failures;
  EXPECT_FALSE(json_of(only_failures).as_array().empty());
  Response project_exts =
      logs(std::string(kApi) + "/projects/" + project_ + "/auditlog-exts", "operation=delete", 1);
  ASSERT_EQ(project_exts.status, 200) << project_exts;
  EXPECT_EQ(json_of(project_exts).as_array().size(), 1u);
}

// audit.max_age: records older than it are deleted (at start, then hourly).
TEST(AuditRetentionTest, RecordsOlderThanTheMaxAgeArePurged) {
  if (using_external_registry()) GTEST_SKIP() << "Berth-specific test; REGISTRY_URL is set";
  std::string error;
  BerthOptions options;
  options.environment["BERTH_AUDIT_MAX_AGE"] = "2s";
  auto berth = RegistryInstance::spawn_berth(&error, options);
  ASSERT_NE(berth, nullptr) << error;
  HttpClient admin(berth->url());
  admin.set_basic_auth("admin", kAdminPassword);
  const std::string project = unique_name("retained");
  Response created = admin.post(std::string(kApi) + "/projects", R"({"project_name":")" + project + R"("})",
                                {{"Content-Type", "application/json"}});
  ASSERT_EQ(created.status, 201) << created;
  const std::string query = std::string(kApi) + "/audit-logs?q=" + percent_encode("resource=" + project);
  auto records = [&] {
    Response r = admin.get(query);
    EXPECT_EQ(r.status, 200) << r;
    return r.status == 200 ? json_of(r).as_array().size() : std::size_t{0};
  };
  auto eventually = [&](std::size_t expected) {
    for (int i = 0; i < 50; ++i) {
      if (records() == expected) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  };
  ASSERT_TRUE(eventually(1)) << "the project's creation was not audited";
  std::this_thread::sleep_for(std::chrono::seconds(3));
  ASSERT_TRUE(berth->restart());
  EXPECT_TRUE(eventually(0)) << "a record older than audit.max_age survived a restart";
}

}  // namespace
}  // namespace berth::integration
