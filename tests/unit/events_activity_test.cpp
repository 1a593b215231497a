// events::Activity over a real SQLite database: every audit record and pull handed over
// is stored, pulls of the same thing are counted together, and a burst larger than a
// batch loses nothing.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "events/activity.h"
#include "meta/sqlite.h"
#include "temp_dir.h"

namespace berth::events {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string kDigest = "sha256:" + std::string(64, 'a');

meta::TimePoint at_seconds(std::int64_t seconds) {
  return meta::TimePoint(std::chrono::seconds(seconds));
}

class ActivityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_support::make_temp_dir("berth-activity");
    ASSERT_FALSE(dir_.empty());
    auto opened = meta::open_sqlite((dir_ / "meta.db").string());
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    db_ = std::move(*opened);
    meta::ManifestRecord m;
    m.repository = "proj/app";
    m.digest = kDigest;
    m.media_type = "application/vnd.oci.image.manifest.v1+json";
    m.size = 100;
    ASSERT_TRUE(db_.registry->put_manifest(m, {}, "v1").ok());
  }
  void TearDown() override {
    db_ = {};
    fs::remove_all(dir_);
  }

  std::int64_t pull_count() {
    auto summary = db_.registry->repository_summary("proj/app");
    EXPECT_TRUE(summary.ok() && summary->has_value());
    return summary.ok() && summary->has_value() ? (*summary)->pull_count : -1;
  }

  std::int64_t audit_total(const std::string& username) {
    meta::ListQuery q;
    meta::Filter by_user;
    by_user.field = "username";
    by_user.value = username;
    q.filters.push_back(std::move(by_user));
    auto listed = db_.iam->list_audit(q);
    EXPECT_TRUE(listed.ok()) << listed.error().message;
    return listed.ok() ? listed->total : -1;
  }

  fs::path dir_;
  meta::SqliteMetadata db_;
};

// A queue with room for two records still counts a thousand pulls of one tag and the
// pulls by digest: each kind waits as one record with its count and latest time.
TEST_F(ActivityTest, PullsOfTheSameThingWaitAsOneRecord) {
  Activity activity(*db_.iam, *db_.registry, ActivityOptions{1h, 512, 2});
  for (int i = 0; i < 1000; ++i) activity.pulled({"proj/app", kDigest, "v1", at_seconds(1000 + i)});
  for (int i = 0; i < 5; ++i) activity.pulled({"proj/app", kDigest, "", at_seconds(5000 - i)});
  activity.flush();
  EXPECT_EQ(activity.dropped(), 0u);
  EXPECT_EQ(pull_count(), 1005);
  auto artifact = db_.registry->get_artifact("proj/app", kDigest);
  ASSERT_TRUE(artifact.ok() && artifact->has_value());
  EXPECT_EQ((*artifact)->pulled, at_seconds(5000));
  ASSERT_EQ((*artifact)->tags.size(), 1u);
  EXPECT_EQ((*artifact)->tags[0].pulled, at_seconds(1999));

  // A third distinct record does not fit and is dropped (and counted as such).
  activity.pulled({"proj/app", kDigest, "v1", {}});
  activity.pulled({"proj/app", kDigest, "", {}});
  activity.pulled({"proj/other", kDigest, "", {}});
  activity.flush();
  EXPECT_EQ(activity.dropped(), 1u);
  EXPECT_EQ(pull_count(), 1007);
}

// Four threads hand over many more records than a batch while the worker writes; every
// one is stored, the last ones by stop.
TEST_F(ActivityTest, ABurstLargerThanABatchIsStoredWhole) {
  constexpr int kThreads = 4;
  constexpr int kEach = 3000;
  {
    Activity activity(*db_.iam, *db_.registry, ActivityOptions{20ms, 64, 100000});
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&activity, t] {
        for (int i = 0; i < kEach; ++i) {
          meta::AuditRecord r;
          r.username = "user" + std::to_string(t);
          r.client_ip = "192.0.2.1";
          r.operation = "pull";
          r.resource_type = "artifact";
          r.resource = "proj/app:" + std::to_string(i);
          r.result = "success";
          activity.audit(std::move(r));
          activity.pulled({"proj/app", kDigest, "v1", {}});
        }
      });
    }
    threads.clear();
    EXPECT_EQ(activity.dropped(), 0u);
  }
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(audit_total("user" + std::to_string(t)), kEach);
  EXPECT_EQ(pull_count(), kThreads * kEach);
}

}  // namespace
}  // namespace berth::events
