// The job service dashboard: Harbor's /jobservice/queues (list; stop, pause, resume a
// queue or "all"), PUT /jobservice/jobs/{job_id} (stop), and Berth's /jobservice/jobs
// listing. System administrators only. Berth always runs the PURGE_JOBS job type (the
// queue's own upkeep), so there is at least that queue to act on.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "harbor_api.h"

namespace berth::integration {
namespace {

namespace json = boost::json;

constexpr const char* kPurgeKind = "PURGE_JOBS";

std::string queues_path() {
  return std::string(kApi) + "/jobservice/queues";
}

std::string jobs_path() {
  return std::string(kApi) + "/jobservice/jobs";
}

Response act(HttpClient& client, const std::string& job_type, const std::string& body) {
  return client.put(queues_path() + "/" + job_type, body, {{"Content-Type", "application/json"}});
}

// The item of `kind` in a GET /jobservice/queues answer (null when absent).
json::value queue_of(const Response& response, std::string_view kind) {
  const json::value items = json_of(response);
  if (!items.is_array()) return nullptr;
  for (const auto& item : items.as_array()) {
    if (text_of(item, "job_type") == kind) return item;
  }
  return nullptr;
}

// The "paused" flag of `kind` in a GET /jobservice/queues answer (nullopt when absent).
std::optional<bool> paused_of(const Response& response, std::string_view kind) {
  const json::value queue = queue_of(response, kind);
  const json::value* paused = queue.is_object() ? queue.as_object().if_contains("paused") : nullptr;
  if (paused == nullptr || !paused->is_bool()) return std::nullopt;
  return paused->as_bool();
}

class JobServiceApiTest : public HarborApiTest {};

TEST_F(JobServiceApiTest, QueuesListEachJobTypeInHarborsShape) {
  Response r = client().get(queues_path());
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_NE(r.header("Content-Type").find("application/json"), std::string::npos);
  ASSERT_TRUE(json_of(r).is_array()) << r;
  const json::value purge = queue_of(r, kPurgeKind);
  ASSERT_TRUE(purge.is_object()) << r;
  EXPECT_GE(int_of(purge, "count").value_or(-1), 0);
  EXPECT_GE(int_of(purge, "latency").value_or(-1), 0);
  EXPECT_GE(int_of(purge, "running").value_or(-1), 0);
  ASSERT_TRUE(purge.as_object().contains("paused"));
  EXPECT_TRUE(purge.at("paused").is_bool());
}

TEST_F(JobServiceApiTest, PauseAndResumeAQueue) {
  ASSERT_EQ(act(client(), kPurgeKind, R"({"action":"pause"})").status, 200);
  Response paused = client().get(queues_path());
  ASSERT_EQ(paused.status, 200) << paused;
  EXPECT_EQ(paused_of(paused, kPurgeKind), true) << paused;

  ASSERT_EQ(act(client(), kPurgeKind, R"({"action":"resume"})").status, 200);
  Response resumed = client().get(queues_path());
  EXPECT_EQ(paused_of(resumed, kPurgeKind), false) << resumed;

  // "stop" cancels what is queued; the queue itself stays.
  ASSERT_EQ(act(client(), kPurgeKind, R"({"action":"stop"})").status, 200);
  Response stopped = client().get(queues_path());
  EXPECT_EQ(int_of(queue_of(stopped, kPurgeKind), "count"), 0) << stopped;
}

TEST_F(JobServiceApiTest, AllStandsForEveryQueue) {
  ASSERT_EQ(act(client(), "all", R"({"action":"pause"})").status, 200);
  Response paused = client().get(queues_path());
  ASSERT_EQ(paused.status, 200);
  const json::value paused_items = json_of(paused);
  ASSERT_FALSE(paused_items.as_array().empty());
  for (const auto& queue : paused_items.as_array())
    EXPECT_EQ(paused_of(paused, text_of(queue, "job_type")), true) << text_of(queue, "job_type");
  ASSERT_EQ(act(client(), "all", R"({"action":"resume"})").status, 200);
  Response resumed = client().get(queues_path());
  const json::value resumed_items = json_of(resumed);
  for (const auto& queue : resumed_items.as_array())
    EXPECT_EQ(paused_of(resumed, text_of(queue, "job_type")), false) << text_of(queue, "job_type");
}

TEST_F(JobServiceApiTest, BadQueueActionsAreRefused) {
  EXPECT_TRUE(IsHarborError(act(client(), kPurgeKind, "{}"), 400, "BAD_REQUEST"));
  EXPECT_TRUE(IsHarborError(act(client(), kPurgeKind, R"({"action":"explode"})"), 400, "BAD_REQUEST"));
  EXPECT_TRUE(IsHarborError(act(client(), kPurgeKind, R"({"action":1})"), 400, "BAD_REQUEST"));
  EXPECT_TRUE(IsHarborError(act(client(), kPurgeKind, "not json"), 400, "BAD_REQUEST"));
  EXPECT_TRUE(IsHarborError(act(client(), "NO_SUCH_JOB_TYPE", R"({"action":"pause"})"), 404, "NOT_FOUND"));
}

TEST_F(JobServiceApiTest, JobsArePagedAndFiltered) {
  Response r = client().get(with_query(jobs_path(), "page_size", "5"));
  ASSERT_EQ(r.status, 200) << r;
  const json::value page = json_of(r);
  ASSERT_TRUE(page.is_array()) << r;
  EXPECT_LE(page.as_array().size(), 5u);
  EXPECT_FALSE(r.header("X-Total-Count").empty());
  for (const auto& job : page.as_array()) {
    EXPECT_GT(int_of(job, "id").value_or(0), 0);
    EXPECT_FALSE(text_of(job, "kind").empty());
    EXPECT_FALSE(text_of(job, "state").empty());
    EXPECT_EQ(text_of(job, "creation_time").size(), 24u);
  }

  Response filtered = client().get(with_query(jobs_path(), "q", "state={queued running},kind=~PURGE"));
  ASSERT_EQ(filtered.status, 200) << filtered;
  const json::value matching = json_of(filtered);
  ASSERT_TRUE(matching.is_array()) << filtered;
  for (const auto& job : matching.as_array()) {
    EXPECT_EQ(text_of(job, "kind"), kPurgeKind);
    const std::string state = text_of(job, "state");
    EXPECT_TRUE(state == "queued" || state == "running") << state;
  }
  EXPECT_TRUE(IsHarborError(client().get(with_query(jobs_path(), "q", "payload=x")), 400, "BAD_REQUEST"));
  EXPECT_TRUE(IsHarborError(client().get(with_query(jobs_path(), "sort", "worker")), 400, "BAD_REQUEST"));
}

TEST_F(JobServiceApiTest, UnknownJobsAreNotFound) {
  EXPECT_TRUE(IsHarborError(client().get(jobs_path() + "/987654321"), 404, "NOT_FOUND"));
  EXPECT_TRUE(IsHarborError(client().put(jobs_path() + "/987654321"), 404, "NOT_FOUND"));
  EXPECT_TRUE(IsHarborError(client().get(jobs_path() + "/abc"), 400, "BAD_REQUEST"));
  EXPECT_EQ(client().put(jobs_path() + "/all").status, 200) << "stop every running job";
}

TEST_F(JobServiceApiTest, SystemAdministratorsOnly) {
  auto anonymous = client_as("", "");
  EXPECT_TRUE(IsHarborError(anonymous->get(queues_path()), 401, "UNAUTHORIZED"));
  EXPECT_TRUE(IsHarborError(anonymous->get(jobs_path()), 401, "UNAUTHORIZED"));

  const std::string user = unique_name("jobs");
  create_user(user);
  auto member = client_as(user, kUserPassword);
  EXPECT_TRUE(IsHarborError(member->get(queues_path()), 403, "FORBIDDEN"));
  EXPECT_TRUE(IsHarborError(act(*member, kPurgeKind, R"({"action":"pause"})"), 403, "FORBIDDEN"));
  EXPECT_TRUE(IsHarborError(member->get(jobs_path()), 403, "FORBIDDEN"));
  EXPECT_TRUE(IsHarborError(member->get(jobs_path() + "/1"), 403, "FORBIDDEN"));
  EXPECT_TRUE(IsHarborError(member->put(jobs_path() + "/all"), 403, "FORBIDDEN"));
}

// A paused queue stays paused across a restart: the flag lives in the database.
class JobServiceRestartTest : public DedicatedBerthTest {};

TEST_F(JobServiceRestartTest, PauseSurvivesARestart) {
  ASSERT_EQ(act(client(), kPurgeKind, R"({"action":"pause"})").status, 200);
  ASSERT_TRUE(registry().restart());
  reconnect();
  Response r = client().get(queues_path());
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(paused_of(r, kPurgeKind), true) << r;
}

}  // namespace
}  // namespace berth::integration
