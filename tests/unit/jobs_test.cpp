// The job queue: cron specs and their next times (jobs/cron), the SQLite queue and
// schedules (meta::JobDatabase), the workers (jobs::Runner) and the scheduler, end to end
// on a real database file.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "base/random.h"
#include "jobs/cron.h"
#include "jobs/housekeeping.h"
#include "jobs/runner.h"
#include "jobs/scheduler.h"
#include "meta/sqlite.h"

namespace berth::jobs {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;
using meta::JobOutcome;
using meta::JobState;

// "2026-01-02T03:04:05" (UTC) as a time point.
TimePoint utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  return sys_days(year{y} / month{mo} / day{d}) + hours(h) + minutes(mi) + seconds(s);
}

std::optional<TimePoint> next_of(std::string_view spec, TimePoint after) {
  auto parsed = CronSpec::parse(spec);
  EXPECT_TRUE(parsed.ok()) << spec << ": " << (parsed ? "" : parsed.error().message);
  if (!parsed) return std::nullopt;
  return parsed->next(after);
}

// Polls `done` every 5 ms until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& done, milliseconds timeout = 5s) {
  const auto deadline = steady_clock::now() + timeout;
  while (steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return done();
}

// --- cron ------------------------------------------------------------------------------------

TEST(Cron, RejectsMalformedSpecs) {
  for (const char* spec : {"",           "* * * *",      "* * * * * * *", "60 * * * *",
                           "* 24 * * *", "* * 0 * *",    "* * 32 * *",    "* * * 0 *",
                           "* * * 13 *", "* * * * 8",    "5-1 * * * *",   "*/0 * * * *",
                           "a * * * *",  "1,,2 * * * *", "* * * FOO *",   "@fortnightly",
                           "0 0 30 2 *", "60 * * * * *", "1-2-3 * * * *", "*/x * * * *"}) {
    auto parsed = CronSpec::parse(spec);
    ASSERT_FALSE(parsed.ok()) << "accepted: \"" << spec << "\"";
    EXPECT_EQ(parsed.error().code, base::Errc::invalid_argument);
  }
}

TEST(Cron, FiveFieldsRunAtSecondZero) {
  EXPECT_EQ(next_of("*/15 * * * *", utc(2026, 3, 14, 10, 7, 30)), utc(2026, 3, 14, 10, 15));
  EXPECT_EQ(next_of("* * * * *", utc(2026, 3, 14, 10, 7, 30)), utc(2026, 3, 14, 10, 8));
  EXPECT_EQ(next_of("0 0 * * *", utc(2026, 3, 14, 10)), utc(2026, 3, 15));
  EXPECT_EQ(next_of("30 2 * * MON-FRI", utc(2026, 1, 2, 3)), utc(2026, 1, 5, 2, 30));  // Fri -> Mon
  EXPECT_EQ(next_of("5/20 * * * *", utc(2026, 3, 14, 10, 26)), utc(2026, 3, 14, 10, 45));
  EXPECT_EQ(next_of("1-5,10-20/5,30 * * * *", utc(2026, 3, 14, 10, 5)), utc(2026, 3, 14, 10, 10));
  EXPECT_EQ(next_of("1-5,10-20/5,30 * * * *", utc(2026, 3, 14, 10, 20)), utc(2026, 3, 14, 10, 30));
}

TEST(Cron, NextIsStrictlyAfter) {
  EXPECT_EQ(next_of("0 0 * * *", utc(2026, 3, 14)), utc(2026, 3, 15));
  EXPECT_EQ(next_of("0 0 * * *", utc(2026, 3, 14) + 500ms), utc(2026, 3, 15));
  EXPECT_EQ(next_of("0 0 * * *", utc(2026, 3, 14) - 1ms), utc(2026, 3, 14));
}

TEST(Cron, HarborSixFieldsStartWithSeconds) {
  EXPECT_EQ(next_of("0 0 0 * * *", utc(2026, 3, 14, 10)), utc(2026, 3, 15));
  EXPECT_EQ(next_of("0 0 * * * *", utc(2026, 3, 14, 10, 0, 1)), utc(2026, 3, 14, 11));
  EXPECT_EQ(next_of("*/10 * * * * *", utc(2026, 3, 14, 10, 0, 5)), utc(2026, 3, 14, 10, 0, 10));
  EXPECT_EQ(next_of("* * * * * *", utc(2026, 3, 14, 10, 0, 5)), utc(2026, 3, 14, 10, 0, 6));
  EXPECT_EQ(next_of("0 0 0 * * 0", utc(2026, 1, 1)), utc(2026, 1, 4));  // Harbor's weekly: Sunday
  EXPECT_EQ(next_of("15 30 4 1 * *", utc(2026, 1, 1, 5)), utc(2026, 2, 1, 4, 30, 15));
}

TEST(Cron, MonthEndsLeapDaysAndYearEnds) {
  // The 31st skips the months without one.
  EXPECT_EQ(next_of("0 0 31 * *", utc(2026, 1, 31)), utc(2026, 3, 31));
  EXPECT_EQ(next_of("0 0 31 * *", utc(2026, 4, 1)), utc(2026, 5, 31));
  // February 29th only in leap years.
  EXPECT_EQ(next_of("0 0 29 2 *", utc(2025, 3, 1)), utc(2028, 2, 29));
  EXPECT_EQ(next_of("0 0 1 1 *", utc(2026, 6, 1)), utc(2027, 1, 1));
  EXPECT_EQ(next_of("59 23 31 12 *", utc(2026, 12, 31, 23, 59)), utc(2027, 12, 31, 23, 59));
  EXPECT_EQ(next_of("0 12 * FEB *", utc(2026, 2, 28, 13)), utc(2027, 2, 1, 12));
}

TEST(Cron, DayOfMonthAndDayOfWeek) {
  // Both restricted: either matches (cron's rule).
  EXPECT_EQ(next_of("0 0 1 * MON", utc(2026, 1, 2)), utc(2026, 1, 5));     // the Monday first
  EXPECT_EQ(next_of("0 0 1 * MON", utc(2026, 1, 26)), utc(2026, 2, 1));    // then the 1st (a Sunday)
  EXPECT_EQ(next_of("0 0 1-7 * MON", utc(2026, 1, 8)), utc(2026, 1, 12));  // not "first Monday"
  // One of them "*": both must match.
  EXPECT_EQ(next_of("0 0 * * MON", utc(2026, 1, 1)), utc(2026, 1, 5));
  EXPECT_EQ(next_of("0 0 13 * *", utc(2026, 1, 14)), utc(2026, 2, 13));
  EXPECT_EQ(next_of("0 0 ? * 5", utc(2026, 1, 1)), utc(2026, 1, 2));
  // Sunday is 0 or 7; names in any case.
  EXPECT_EQ(next_of("0 0 * * 7", utc(2026, 1, 1)), utc(2026, 1, 4));
  EXPECT_EQ(next_of("0 0 * * sun", utc(2026, 1, 1)), utc(2026, 1, 4));
  EXPECT_EQ(next_of("0 0 * * FRI-SUN", utc(2026, 1, 3, 1)), utc(2026, 1, 4));
  EXPECT_EQ(next_of("0 12 * jan,Jul *", utc(2026, 2, 1)), utc(2026, 7, 1, 12));
}

TEST(Cron, Descriptors) {
  EXPECT_EQ(next_of("@daily", utc(2026, 3, 14, 10)), utc(2026, 3, 15));
  EXPECT_EQ(next_of("@midnight", utc(2026, 3, 14, 10)), utc(2026, 3, 15));
  EXPECT_EQ(next_of("@hourly", utc(2026, 3, 14, 10, 1)), utc(2026, 3, 14, 11));
  EXPECT_EQ(next_of("@weekly", utc(2026, 1, 1)), utc(2026, 1, 4));
  EXPECT_EQ(next_of("@monthly", utc(2026, 1, 15)), utc(2026, 2, 1));
  EXPECT_EQ(next_of("@yearly", utc(2026, 1, 15)), utc(2027, 1, 1));
}

TEST(Cron, Matches) {
  auto spec = CronSpec::parse("0 30 4 * * MON");
  ASSERT_TRUE(spec.ok());
  EXPECT_TRUE(spec->matches(utc(2026, 1, 5, 4, 30)));
  EXPECT_TRUE(spec->matches(utc(2026, 1, 5, 4, 30) + 999ms));
  EXPECT_FALSE(spec->matches(utc(2026, 1, 6, 4, 30)));
  EXPECT_FALSE(spec->matches(utc(2026, 1, 5, 4, 30, 1)));
  EXPECT_EQ(spec->text(), "0 30 4 * * MON");
}

// --- the SQLite queue ------------------------------------------------------------------------

class JobDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("berth-jobs-" + base::random_hex(6));
    std::filesystem::create_directories(dir_);
    auto opened = meta::open_sqlite(path());
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    metadata_ = std::move(*opened);
  }
  void TearDown() override {
    metadata_ = {};
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string path() const { return (dir_ / "meta.db").string(); }
  meta::JobDatabase& db() { return *metadata_.jobs; }

  std::int64_t enqueue(const std::string& kind, TimePoint now, std::optional<std::string> key = std::nullopt,
                       int max_attempts = 3, TimePoint run_after = {}) {
    auto r = db().enqueue(meta::NewJob{kind, "{\"n\":1}", std::move(key), run_after, max_attempts}, now);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r ? r->id : 0;
  }
  std::optional<meta::Job> claim(const std::vector<std::string>& kinds, TimePoint now,
                                 const std::string& worker = "node/a/0") {
    auto r = db().claim(kinds, worker, now);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r ? *r : std::nullopt;
  }
  meta::Job job(std::int64_t id) {
    auto r = db().get_job(id);
    EXPECT_TRUE(r.ok() && r->has_value());
    return r && *r ? **r : meta::Job{};
  }

  const TimePoint t0_ = utc(2026, 1, 1, 12);
  std::filesystem::path dir_;
  meta::SqliteMetadata metadata_;
};

TEST_F(JobDatabaseTest, EnqueueClaimFinish) {
  const std::int64_t id = enqueue("SCAN", t0_);
  ASSERT_GT(id, 0);
  meta::Job queued = job(id);
  EXPECT_EQ(queued.state, JobState::queued);
  EXPECT_EQ(queued.kind, "SCAN");
  EXPECT_EQ(queued.payload, "{\"n\":1}");
  EXPECT_EQ(queued.attempts, 0);
  EXPECT_EQ(queued.created, t0_);
  EXPECT_EQ(queued.run_after, t0_);
  EXPECT_FALSE(queued.started);

  auto claimed = claim({"SCAN"}, t0_ + 1s);
  ASSERT_TRUE(claimed);
  EXPECT_EQ(claimed->id, id);
  EXPECT_EQ(claimed->state, JobState::running);
  EXPECT_EQ(claimed->attempts, 1);
  EXPECT_EQ(claimed->worker, "node/a/0");
  EXPECT_EQ(claimed->started, t0_ + 1s);
  EXPECT_EQ(claimed->heartbeat, t0_ + 1s);
  EXPECT_FALSE(claim({"SCAN"}, t0_ + 2s)) << "a running job is claimed once";

  auto hb = db().heartbeat(meta::lease_of(*claimed), t0_ + 3s, "half way");
  ASSERT_TRUE(hb.ok()) << hb.error().message;
  EXPECT_FALSE(*hb);
  EXPECT_EQ(job(id).progress, "half way");
  EXPECT_EQ(job(id).heartbeat, t0_ + 3s);

  auto done = db().finish(meta::lease_of(*claimed),
                          JobOutcome{JobOutcome::Kind::succeeded, {}, {}, "all done"}, t0_ + 4s);
  ASSERT_TRUE(done.ok()) << done.error().message;
  EXPECT_EQ(*done, JobState::succeeded);
  meta::Job finished = job(id);
  EXPECT_EQ(finished.state, JobState::succeeded);
  EXPECT_EQ(finished.finished, t0_ + 4s);
  EXPECT_EQ(finished.progress, "all done");
  EXPECT_EQ(finished.error, "");
  EXPECT_FALSE(claim({"SCAN"}, t0_ + 5s));
}

TEST_F(JobDatabaseTest, ClaimTakesTheLongestWaitingDueJobOfTheGivenKinds) {
  const std::int64_t later = enqueue("SCAN", t0_, std::nullopt, 3, t0_ + 60s);
  const std::int64_t second = enqueue("SCAN", t0_ + 2s);
  const std::int64_t first = enqueue("SCAN", t0_ + 1s);
  const std::int64_t other = enqueue("GC", t0_);
  EXPECT_FALSE(claim({"REPLICATION"}, t0_ + 10s));
  EXPECT_FALSE(claim({}, t0_ + 10s));
  EXPECT_EQ(claim({"SCAN"}, t0_ + 10s)->id, first);
  EXPECT_EQ(claim({"SCAN", "GC"}, t0_ + 10s)->id, other);
  EXPECT_EQ(claim({"SCAN"}, t0_ + 10s)->id, second);
  EXPECT_FALSE(claim({"SCAN"}, t0_ + 59s)) << "not due yet";
  EXPECT_EQ(claim({"SCAN"}, t0_ + 60s)->id, later);
}

TEST_F(JobDatabaseTest, RejectsInvalidKindsAndAttempts) {
  for (const char* kind : {"", "has space", "quote\"", "slash/"}) {
    auto r = db().enqueue(meta::NewJob{kind, "{}", std::nullopt, {}, 1}, t0_);
    ASSERT_FALSE(r.ok()) << kind;
    EXPECT_EQ(r.error().code, base::Errc::invalid_argument);
  }
  auto zero = db().enqueue(meta::NewJob{"SCAN", "{}", std::nullopt, {}, 0}, t0_);
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.error().code, base::Errc::invalid_argument);
  auto bad_claim = db().claim({"bad kind"}, "w", t0_);
  ASSERT_FALSE(bad_claim.ok());
  EXPECT_EQ(bad_claim.error().code, base::Errc::invalid_argument);
  EXPECT_FALSE(db().set_paused("bad kind", true, t0_).ok());
}

TEST_F(JobDatabaseTest, DedupeKeyReturnsTheActiveJob) {
  auto a = db().enqueue(meta::NewJob{"SCAN", "{}", "scan:sha256:1", {}, 3}, t0_);
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->created);
  auto b = db().enqueue(meta::NewJob{"SCAN", "{\"other\":1}", "scan:sha256:1", {}, 3}, t0_ + 1s);
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->created);
  EXPECT_EQ(b->id, a->id);
  auto c = db().enqueue(meta::NewJob{"SCAN", "{}", "scan:sha256:2", {}, 3}, t0_);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->created);
  EXPECT_NE(c->id, a->id);

  auto running = claim({"SCAN"}, t0_ + 2s);
  ASSERT_TRUE(running);
  ASSERT_EQ(running->id, a->id);
  auto while_running = db().enqueue(meta::NewJob{"SCAN", "{}", "scan:sha256:1", {}, 3}, t0_ + 3s);
  ASSERT_TRUE(while_running.ok());
  EXPECT_EQ(while_running->id, a->id);
  EXPECT_FALSE(while_running->created);

  ASSERT_TRUE(db().finish(meta::lease_of(*running), JobOutcome{}, t0_ + 4s).ok());
  auto after = db().enqueue(meta::NewJob{"SCAN", "{}", "scan:sha256:1", {}, 3}, t0_ + 5s);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->created) << "a finished job no longer holds its key";
  EXPECT_NE(after->id, a->id);
}

TEST_F(JobDatabaseTest, ConcurrentClaimsNeverShareAJob) {
  constexpr int kJobs = 150;
  for (int i = 0; i < kJobs; ++i) enqueue("SCAN", t0_);
  // A second handle on the same file: its own writer connection, as another process has.
  auto other = meta::open_sqlite(path());
  ASSERT_TRUE(other.ok()) << other.error().message;
  std::vector<meta::JobDatabase*> handles = {metadata_.jobs.get(), other->jobs.get()};

  std::mutex mu;
  std::vector<std::int64_t> claimed;
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      meta::JobDatabase& handle = *handles[static_cast<std::size_t>(t) % handles.size()];
      const std::string worker = "node/t/" + std::to_string(t);
      for (;;) {
        auto r = handle.claim({"SCAN"}, worker, t0_ + 1s);
        if (!r) {
          ++errors;
          continue;
        }
        if (!*r) return;
        std::lock_guard lock(mu);
        claimed.push_back((*r)->id);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(errors.load(), 0);
  std::set<std::int64_t> unique(claimed.begin(), claimed.end());
  EXPECT_EQ(claimed.size(), static_cast<std::size_t>(kJobs));
  EXPECT_EQ(unique.size(), static_cast<std::size_t>(kJobs));
}

TEST_F(JobDatabaseTest, FailuresRetryWithBackoffUntilAttemptsRunOut) {
  const std::int64_t id = enqueue("SCAN", t0_, std::nullopt, 3);
  TimePoint now = t0_;
  for (int attempt = 1; attempt <= 3; ++attempt) {
    auto claimed = claim({"SCAN"}, now);
    ASSERT_TRUE(claimed) << "attempt " << attempt;
    EXPECT_EQ(claimed->attempts, attempt);
    const TimePoint retry_at = now + seconds(10 * attempt);
    auto state = db().finish(
        meta::lease_of(*claimed),
        JobOutcome{JobOutcome::Kind::failed, "boom " + std::to_string(attempt), retry_at, {}}, now);
    ASSERT_TRUE(state.ok()) << state.error().message;
    meta::Job after = job(id);
    EXPECT_EQ(after.error, "boom " + std::to_string(attempt));
    if (attempt < 3) {
      EXPECT_EQ(*state, JobState::queued);
      EXPECT_EQ(after.state, JobState::queued);
      EXPECT_EQ(after.run_after, retry_at);
      EXPECT_FALSE(after.finished);
      EXPECT_FALSE(claim({"SCAN"}, retry_at - 1ms)) << "the backoff is respected";
      now = retry_at;
    } else {
      EXPECT_EQ(*state, JobState::failed);
      EXPECT_EQ(after.state, JobState::failed);
      EXPECT_EQ(after.attempts, 3);
      EXPECT_EQ(after.finished, now);
    }
  }
  EXPECT_FALSE(claim({"SCAN"}, now + 1h));
}

TEST_F(JobDatabaseTest, AnInterruptedAttemptIsGivenBack) {
  const std::int64_t id = enqueue("SCAN", t0_, std::nullopt, 1);
  auto claimed = claim({"SCAN"}, t0_);
  ASSERT_TRUE(claimed);
  auto state =
      db().finish(meta::lease_of(*claimed), JobOutcome{JobOutcome::Kind::interrupted, {}, {}, {}}, t0_);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(*state, JobState::queued);
  EXPECT_EQ(job(id).attempts, 0);
  auto again = claim({"SCAN"}, t0_ + 1s);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->attempts, 1);
}

TEST_F(JobDatabaseTest, ALostLeaseCannotFinishOrHeartbeat) {
  enqueue("SCAN", t0_);
  auto claimed = claim({"SCAN"}, t0_);
  ASSERT_TRUE(claimed);
  meta::JobLease wrong_worker = meta::lease_of(*claimed);
  wrong_worker.worker = "node/b/0";
  meta::JobLease wrong_attempt = meta::lease_of(*claimed);
  wrong_attempt.attempt = 2;
  for (const auto& lease : {wrong_worker, wrong_attempt}) {
    auto finished = db().finish(lease, JobOutcome{}, t0_);
    ASSERT_FALSE(finished.ok());
    EXPECT_EQ(finished.error().code, base::Errc::conflict);
    auto hb = db().heartbeat(lease, t0_, std::nullopt);
    ASSERT_FALSE(hb.ok());
    EXPECT_EQ(hb.error().code, base::Errc::conflict);
  }
}

TEST_F(JobDatabaseTest, StaleRunningJobsAreQueuedAgain) {
  const std::int64_t retried = enqueue("SCAN", t0_, std::nullopt, 3);
  const std::int64_t last_try = enqueue("SCAN", t0_, std::nullopt, 1);
  const std::int64_t cancelled = enqueue("SCAN", t0_, std::nullopt, 3);
  auto a = claim({"SCAN"}, t0_);
  auto b = claim({"SCAN"}, t0_);
  auto c = claim({"SCAN"}, t0_);
  ASSERT_TRUE(a && b && c);
  ASSERT_TRUE(db().cancel(cancelled, t0_).ok());
  ASSERT_TRUE(db().heartbeat(meta::lease_of(*a), t0_ + 10s, std::nullopt).ok());

  auto none = db().requeue_stale(t0_, t0_ + 20s);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0) << "heartbeats at the cutoff are not stale";
  auto some = db().requeue_stale(t0_ + 5s, t0_ + 20s);
  ASSERT_TRUE(some.ok());
  EXPECT_EQ(*some, 2);
  EXPECT_EQ(job(retried).state, JobState::running) << "its heartbeat is recent";
  EXPECT_EQ(job(last_try).state, JobState::failed);
  EXPECT_EQ(job(cancelled).state, JobState::cancelled);
  EXPECT_NE(job(last_try).error.find("node/a/0"), std::string::npos);

  auto all = db().requeue_stale(t0_ + 30s, t0_ + 40s);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, 1);
  meta::Job requeued = job(retried);
  EXPECT_EQ(requeued.state, JobState::queued);
  EXPECT_EQ(requeued.attempts, 1);
  EXPECT_EQ(requeued.run_after, t0_ + 40s);
  auto finish_old = db().finish(meta::lease_of(*a), JobOutcome{}, t0_ + 41s);
  ASSERT_FALSE(finish_old.ok());
  EXPECT_EQ(finish_old.error().code, base::Errc::conflict);
  auto again = claim({"SCAN"}, t0_ + 41s, "node/b/0");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->id, retried);
  EXPECT_EQ(again->attempts, 2);
}

TEST_F(JobDatabaseTest, AbandonedJobsOfANodeAreQueuedAgain) {
  const std::int64_t mine = enqueue("SCAN", t0_);
  const std::int64_t theirs = enqueue("SCAN", t0_);
  ASSERT_TRUE(claim({"SCAN"}, t0_, "node-a/1234/0"));
  ASSERT_TRUE(claim({"SCAN"}, t0_, "node-ab/5678/0"));
  auto r = db().requeue_abandoned("node-a/", t0_ + 1s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 1);
  EXPECT_EQ(job(mine).state, JobState::queued);
  EXPECT_EQ(job(theirs).state, JobState::running);
  EXPECT_FALSE(db().requeue_abandoned("", t0_).ok());
}

TEST_F(JobDatabaseTest, Cancel) {
  const std::int64_t queued = enqueue("SCAN", t0_);
  const std::int64_t running = enqueue("SCAN", t0_ + 1s);
  auto first = claim({"SCAN"}, t0_ + 2s);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->id, queued);
  // The first job is running now; cancel the other (queued) one and then the running one.
  auto cancelled = db().cancel(running, t0_ + 3s);
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(*cancelled, JobState::cancelled);
  EXPECT_EQ(job(running).finished, t0_ + 3s);
  EXPECT_FALSE(claim({"SCAN"}, t0_ + 4s));

  auto asked = db().cancel(queued, t0_ + 4s);
  ASSERT_TRUE(asked.ok());
  EXPECT_EQ(*asked, JobState::running);
  EXPECT_TRUE(job(queued).cancel_requested);
  auto hb = db().heartbeat(meta::lease_of(*first), t0_ + 5s, std::nullopt);
  ASSERT_TRUE(hb.ok());
  EXPECT_TRUE(*hb) << "the worker learns of the cancel";
  auto end =
      db().finish(meta::lease_of(*first), JobOutcome{JobOutcome::Kind::failed, "stopped", t0_, {}}, t0_ + 6s);
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(*end, JobState::cancelled) << "a cancelled job is not retried";

  auto again = db().cancel(queued, t0_ + 7s);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, JobState::cancelled);
  auto missing = db().cancel(999999, t0_);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, base::Errc::not_found);
}

TEST_F(JobDatabaseTest, CancelQueuedAndRunningByKind) {
  enqueue("SCAN", t0_);
  enqueue("SCAN", t0_);
  enqueue("GC", t0_);
  enqueue("GC", t0_);
  auto running = claim({"GC"}, t0_);
  ASSERT_TRUE(running);
  auto scans = db().cancel_queued(std::string("SCAN"), t0_ + 1s);
  ASSERT_TRUE(scans.ok());
  EXPECT_EQ(*scans, 2);
  auto rest = db().cancel_queued(std::nullopt, t0_ + 1s);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(*rest, 1);
  auto stop = db().cancel_running(std::string("GC"));
  ASSERT_TRUE(stop.ok());
  EXPECT_EQ(*stop, 1);
  EXPECT_TRUE(job(running->id).cancel_requested);
}

TEST_F(JobDatabaseTest, PausedKindsAreNotClaimed) {
  const std::int64_t id = enqueue("SCAN", t0_);
  ASSERT_TRUE(db().set_paused("SCAN", true, t0_).ok());
  EXPECT_FALSE(claim({"SCAN"}, t0_ + 1s));
  auto stats = db().queue_stats(t0_ + 1s);
  ASSERT_TRUE(stats.ok());
  ASSERT_EQ(stats->size(), 1u);
  EXPECT_TRUE((*stats)[0].paused);
  EXPECT_EQ((*stats)[0].queued, 1);
  ASSERT_TRUE(db().set_paused("SCAN", false, t0_ + 2s).ok());
  auto claimed = claim({"SCAN"}, t0_ + 3s);
  ASSERT_TRUE(claimed);
  EXPECT_EQ(claimed->id, id);
}

TEST_F(JobDatabaseTest, QueueStats) {
  enqueue("SCAN", t0_);
  enqueue("SCAN", t0_ + 5s);
  enqueue("SCAN", t0_, std::nullopt, 3, t0_ + 1h);  // not due
  enqueue("GC", t0_ + 1s);
  enqueue("OLD", t0_);
  auto gc = claim({"GC"}, t0_ + 10s);
  ASSERT_TRUE(gc);
  auto old = claim({"OLD"}, t0_ + 10s);
  ASSERT_TRUE(old);
  ASSERT_TRUE(db().finish(meta::lease_of(*old), JobOutcome{}, t0_ + 11s).ok());
  ASSERT_TRUE(db().set_paused("IDLE", true, t0_).ok());

  auto stats = db().queue_stats(t0_ + 20s);
  ASSERT_TRUE(stats.ok()) << stats.error().message;
  ASSERT_EQ(stats->size(), 3u) << "kinds with active jobs or a pause flag";
  EXPECT_EQ((*stats)[0].kind, "GC");
  EXPECT_EQ((*stats)[0].queued, 0);
  EXPECT_EQ((*stats)[0].running, 1);
  EXPECT_FALSE((*stats)[0].oldest_due);
  EXPECT_EQ((*stats)[1].kind, "IDLE");
  EXPECT_TRUE((*stats)[1].paused);
  EXPECT_EQ((*stats)[2].kind, "SCAN");
  EXPECT_EQ((*stats)[2].queued, 3);
  EXPECT_EQ((*stats)[2].running, 0);
  EXPECT_EQ((*stats)[2].oldest_due, t0_);
  EXPECT_FALSE((*stats)[2].paused);
}

TEST_F(JobDatabaseTest, ListPagesAndFilters) {
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 25; ++i) ids.push_back(enqueue(i % 5 == 0 ? "GC" : "SCAN", t0_ + seconds(i)));
  auto running = claim({"GC"}, t0_ + 1min);
  ASSERT_TRUE(running);

  meta::ListQuery page;
  page.offset = 10;
  page.limit = 10;
  auto listing = db().list_jobs(page);
  ASSERT_TRUE(listing.ok()) << listing.error().message;
  EXPECT_EQ(listing->total, 25);
  ASSERT_EQ(listing->items.size(), 10u);
  EXPECT_EQ(listing->items[0].id, ids[14]) << "newest first";
  EXPECT_EQ(listing->items[9].id, ids[5]);

  meta::ListQuery by_kind;
  by_kind.filters.push_back(meta::Filter{"kind", meta::Filter::Kind::exact, "GC", {}, {}, {}});
  auto gc = db().list_jobs(by_kind);
  ASSERT_TRUE(gc.ok());
  EXPECT_EQ(gc->total, 5);

  meta::ListQuery by_state;
  by_state.filters.push_back(
      meta::Filter{"state", meta::Filter::Kind::any_of, {}, {}, {}, {"running", "failed"}});
  auto active = db().list_jobs(by_state);
  ASSERT_TRUE(active.ok());
  ASSERT_EQ(active->total, 1);
  EXPECT_EQ(active->items[0].id, running->id);
  EXPECT_EQ(active->items[0].state, JobState::running);

  meta::ListQuery oldest;
  oldest.sort = "creation_time";
  oldest.limit = 1;
  auto first = db().list_jobs(oldest);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->items.size(), 1u);
  EXPECT_EQ(first->items[0].id, ids[0]);

  meta::ListQuery unknown;
  unknown.filters.push_back(meta::Filter{"payload", meta::Filter::Kind::exact, "x", {}, {}, {}});
  auto refused = db().list_jobs(unknown);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, base::Errc::invalid_argument);
}

TEST_F(JobDatabaseTest, PurgeDeletesOnlyOldFinishedJobs) {
  const std::int64_t old_done = enqueue("SCAN", t0_);
  const std::int64_t new_done = enqueue("SCAN", t0_);
  const std::int64_t waiting = enqueue("SCAN", t0_, std::nullopt, 3, t0_ + 1h);
  auto a = claim({"SCAN"}, t0_);
  ASSERT_TRUE(db().finish(meta::lease_of(*a), JobOutcome{}, t0_ + 1s).ok());
  auto b = claim({"SCAN"}, t0_);
  ASSERT_TRUE(
      db().finish(meta::lease_of(*b), JobOutcome{JobOutcome::Kind::cancelled, {}, {}, {}}, t0_ + 10s).ok());
  auto purged = db().purge_finished(t0_ + 5s);
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(*purged, 1);
  auto gone = db().get_job(old_done);
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  EXPECT_EQ(job(new_done).state, JobState::cancelled);
  EXPECT_EQ(job(waiting).state, JobState::queued);
}

TEST_F(JobDatabaseTest, Schedules) {
  meta::Schedule s;
  s.name = "gc";
  s.cron = "0 0 0 * * *";
  s.kind = "GC";
  s.payload = "{\"dry_run\":false}";
  s.max_attempts = 2;
  s.next_run = t0_ + 1h;
  ASSERT_TRUE(db().put_schedule(s, t0_).ok());
  s.name = "scan-all";
  s.kind = "SCAN_ALL";
  s.next_run = t0_ + 2h;
  ASSERT_TRUE(db().put_schedule(s, t0_).ok());

  auto got = db().get_schedule("gc");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->kind, "GC");
  EXPECT_EQ((*got)->payload, "{\"dry_run\":false}");
  EXPECT_EQ((*got)->max_attempts, 2);
  EXPECT_EQ((*got)->next_run, t0_ + 1h);
  EXPECT_FALSE((*got)->last_run);
  auto listed = db().list_schedules();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].name, "gc");
  auto next = db().next_schedule_time();
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, t0_ + 1h);

  auto due = db().due_schedules(t0_ + 1h);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].name, "gc");

  const meta::NewJob job_spec{"GC", "{}", "schedule:gc", {}, 2};
  auto stale = db().fire_schedule("gc", t0_ + 30min, t0_ + 25h, job_spec, t0_ + 1h);
  ASSERT_TRUE(stale.ok());
  EXPECT_FALSE(stale->has_value()) << "next_run moved: another node fired it";
  auto fired = db().fire_schedule("gc", t0_ + 1h, t0_ + 25h, job_spec, t0_ + 1h);
  ASSERT_TRUE(fired.ok()) << fired.error().message;
  ASSERT_TRUE(fired->has_value());
  EXPECT_TRUE((*fired)->created);
  auto twice = db().fire_schedule("gc", t0_ + 1h, t0_ + 25h, job_spec, t0_ + 1h);
  ASSERT_TRUE(twice.ok());
  EXPECT_FALSE(twice->has_value()) << "fired once only";
  got = db().get_schedule("gc");
  EXPECT_EQ((*got)->next_run, t0_ + 25h);
  EXPECT_EQ((*got)->last_run, t0_ + 1h);
  EXPECT_EQ((*got)->last_job_id, (*fired)->id);
  EXPECT_EQ(job((*fired)->id).dedupe_key, "schedule:gc");

  // The job is still queued at the next run: no second job.
  auto again = db().fire_schedule("gc", t0_ + 25h, t0_ + 49h, job_spec, t0_ + 25h);
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_FALSE((*again)->created);
  EXPECT_EQ((*again)->id, (*fired)->id);

  // Replacing keeps last_run; deleting removes.
  s.name = "gc";
  s.cron = "0 0 1 * * *";
  s.next_run = std::nullopt;
  ASSERT_TRUE(db().put_schedule(s, t0_ + 26h).ok());
  got = db().get_schedule("gc");
  EXPECT_EQ((*got)->cron, "0 0 1 * * *");
  EXPECT_FALSE((*got)->next_run);
  EXPECT_EQ((*got)->last_run, t0_ + 25h);
  ASSERT_TRUE(db().delete_schedule("gc").ok());
  auto missing = db().delete_schedule("gc");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, base::Errc::not_found);
  auto bad = s;
  bad.kind = "no spaces";
  EXPECT_FALSE(db().put_schedule(bad, t0_).ok());
}

// --- the runner ------------------------------------------------------------------------------

RunnerOptions fast_options(std::string node = "test-node") {
  RunnerOptions options;
  options.workers = 2;
  options.node_id = std::move(node);
  options.poll_interval = 20ms;
  options.heartbeat_interval = 20ms;
  options.stale_after = 200ms;
  options.retry_base = 10ms;
  options.retry_max = 50ms;
  return options;
}

class RunnerTest : public JobDatabaseTest {
 protected:
  meta::Job wait_for_state(std::int64_t id, JobState state, milliseconds timeout = 5s) {
    meta::Job last;
    eventually(
        [&] {
          last = job(id);
          return last.state == state;
        },
        timeout);
    return last;
  }
  std::int64_t add(Runner& runner, const std::string& kind, int max_attempts = 3) {
    auto r = runner.enqueue(meta::NewJob{kind, "{}", std::nullopt, {}, max_attempts});
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r ? r->id : 0;
  }
};

TEST_F(RunnerTest, AFailingJobIsRetriedUntilItSucceeds) {
  Runner runner(db(), fast_options());
  std::atomic<int> calls{0};
  ASSERT_TRUE(runner
                  .handle("FLAKY",
                          [&](const meta::Job&, Context& context) -> base::Status {
                            const int n = ++calls;
                            context.report_progress("call " + std::to_string(n));
                            if (n <= 2)
                              return base::make_error(base::Errc::unavailable, "try " + std::to_string(n));
                            return base::ok_status();
                          })
                  .ok());
  ASSERT_TRUE(runner.start().ok());
  const std::int64_t id = add(runner, "FLAKY", 3);
  meta::Job done = wait_for_state(id, JobState::succeeded);
  EXPECT_EQ(done.state, JobState::succeeded);
  EXPECT_EQ(done.attempts, 3);
  EXPECT_EQ(calls.load(), 3);
  EXPECT_EQ(done.progress, "call 3");
  EXPECT_EQ(done.error, "");
}

TEST_F(RunnerTest, AJobThatKeepsFailingEndsFailed) {
  Runner runner(db(), fast_options());
  ASSERT_TRUE(runner
                  .handle("BROKEN",
                          [](const meta::Job&, Context&) -> base::Status {
                            throw std::runtime_error("no such thing");
                          })
                  .ok());
  ASSERT_TRUE(runner.start().ok());
  const std::int64_t id = add(runner, "BROKEN", 2);
  meta::Job failed = wait_for_state(id, JobState::failed);
  EXPECT_EQ(failed.state, JobState::failed);
  EXPECT_EQ(failed.attempts, 2);
  EXPECT_NE(failed.error.find("no such thing"), std::string::npos) << failed.error;
  EXPECT_TRUE(failed.finished);
}

TEST_F(RunnerTest, AFailureMadeFinalIsNotRetried) {
  Runner runner(db(), fast_options());
  std::atomic<int> calls{0};
  ASSERT_TRUE(runner
                  .handle("BAD_INPUT",
                          [&](const meta::Job&, Context& context) -> base::Status {
                            ++calls;
                            context.fail_for_good();
                            return base::make_error(base::Errc::corrupt, "layer 1 is not a tar archive");
                          })
                  .ok());
  ASSERT_TRUE(runner.start().ok());
  const std::int64_t id = add(runner, "BAD_INPUT", 5);
  meta::Job failed = wait_for_state(id, JobState::failed);
  EXPECT_EQ(failed.state, JobState::failed);
  EXPECT_EQ(failed.attempts, 1);
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(failed.error, "layer 1 is not a tar archive");
  EXPECT_TRUE(failed.finished);
}

TEST_F(RunnerTest, BackoffGrowsExponentiallyUpToTheMaximum) {
  RunnerOptions options;
  options.retry_base = 10s;
  options.retry_max = 1min;
  Runner runner(db(), options);
  EXPECT_EQ(runner.backoff(1), 10s);
  EXPECT_EQ(runner.backoff(2), 20s);
  EXPECT_EQ(runner.backoff(3), 40s);
  EXPECT_EQ(runner.backoff(4), 1min);
  EXPECT_EQ(runner.backoff(60), 1min);
}

TEST_F(RunnerTest, EnqueueWakesAnIdleWorkerAtOnce) {
  RunnerOptions options = fast_options();
  options.poll_interval = 30s;  // only a wake-up can start the job in time
  Runner runner(db(), options);
  std::atomic<bool> ran{false};
  ASSERT_TRUE(runner
                  .handle("QUICK",
                          [&](const meta::Job&, Context&) {
                            ran = true;
                            return base::ok_status();
                          })
                  .ok());
  ASSERT_TRUE(runner.start().ok());
  std::this_thread::sleep_for(100ms);  // the workers found nothing and wait
  const auto start = steady_clock::now();
  const std::int64_t id = add(runner, "QUICK");
  EXPECT_TRUE(eventually([&] { return ran.load(); }, 3s));
  EXPECT_LT(steady_clock::now() - start, 3s);
  EXPECT_EQ(wait_for_state(id, JobState::succeeded).state, JobState::succeeded);
}

TEST_F(RunnerTest, StopInterruptsARunningJobWhichRunsAgainLater) {
  std::atomic<bool> started{false};
  {
    Runner runner(db(), fast_options("node-1"));
    ASSERT_TRUE(runner
                    .handle("LONG",
                            [&](const meta::Job&, Context& context) -> base::Status {
                              started = true;
                              if (!context.sleep_for(30s))
                                return base::make_error(base::Errc::cancelled, "stopped");
                              return base::ok_status();
                            })
                    .ok());
    ASSERT_TRUE(runner.start().ok());
    add(runner, "LONG");
    ASSERT_TRUE(eventually([&] { return started.load(); }));
    const auto before = steady_clock::now();
    runner.stop();
    EXPECT_LT(steady_clock::now() - before, 5s) << "the job was told to stop";
  }
  auto listing = db().list_jobs(meta::ListQuery{});
  ASSERT_TRUE(listing.ok());
  ASSERT_EQ(listing->items.size(), 1u);
  const meta::Job interrupted = listing->items[0];
  EXPECT_EQ(interrupted.state, JobState::queued);
  EXPECT_EQ(interrupted.attempts, 0) << "an interrupted attempt does not count";

  Runner next(db(), fast_options("node-2"));
  ASSERT_TRUE(next.handle("LONG", [](const meta::Job&, Context&) { return base::ok_status(); }).ok());
  ASSERT_TRUE(next.start().ok());
  EXPECT_EQ(wait_for_state(interrupted.id, JobState::succeeded).state, JobState::succeeded);
}

TEST_F(RunnerTest, CancelStopsARunningJob) {
  Runner runner(db(), fast_options());
  std::atomic<bool> started{false};
  ASSERT_TRUE(runner
                  .handle("LONG",
                          [&](const meta::Job&, Context& context) -> base::Status {
                            started = true;
                            while (context.sleep_for(10ms)) {
                            }
                            return base::make_error(base::Errc::cancelled, "stopped on request");
                          })
                  .ok());
  ASSERT_TRUE(runner.start().ok());
  const std::int64_t id = add(runner, "LONG");
  ASSERT_TRUE(eventually([&] { return started.load(); }));
  auto state = runner.cancel(id);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(*state, JobState::running);
  meta::Job cancelled = wait_for_state(id, JobState::cancelled);
  EXPECT_EQ(cancelled.state, JobState::cancelled);
  EXPECT_EQ(cancelled.error, "stopped on request");
}

TEST_F(RunnerTest, ACancelFromAnotherNodeArrivesWithTheHeartbeat) {
  Runner runner(db(), fast_options());
  std::atomic<bool> started{false};
  ASSERT_TRUE(runner
                  .handle("LONG",
                          [&](const meta::Job&, Context& context) -> base::Status {
                            started = true;
                            context.sleep_for(30s);
                            return context.cancelled() ? base::make_error(base::Errc::cancelled, "cancelled")
                                                       : base::ok_status();
                          })
                  .ok());
  ASSERT_TRUE(runner.start().ok());
  const std::int64_t id = add(runner, "LONG");
  ASSERT_TRUE(eventually([&] { return started.load(); }));
  ASSERT_TRUE(db().cancel(id, system_clock::now()).ok());  // straight to the database
  EXPECT_EQ(wait_for_state(id, JobState::cancelled).state, JobState::cancelled);
}

TEST_F(RunnerTest, JobsOfADeadWorkerAreRecovered) {
  // A job claimed by a worker that died: its heartbeat stops.
  const auto long_ago = system_clock::now() - 1h;
  const std::int64_t id = enqueue("WORK", long_ago);
  ASSERT_TRUE(claim({"WORK"}, long_ago, "dead-node/0000/0"));
  Runner runner(db(), fast_options());
  std::atomic<int> calls{0};
  ASSERT_TRUE(runner
                  .handle("WORK",
                          [&](const meta::Job&, Context&) {
                            ++calls;
                            return base::ok_status();
                          })
                  .ok());
  ASSERT_TRUE(runner.start().ok());
  meta::Job done = wait_for_state(id, JobState::succeeded);
  EXPECT_EQ(done.state, JobState::succeeded);
  EXPECT_EQ(done.attempts, 2);
  EXPECT_EQ(calls.load(), 1);
}

TEST_F(RunnerTest, AtStartTheJobsThisNodeLeftRunningAreQueuedAgain) {
  const auto now = system_clock::now();
  const std::int64_t id = enqueue("WORK", now);
  ASSERT_TRUE(claim({"WORK"}, now, "node-x/0000/1"));  // a heartbeat just now: not stale
  RunnerOptions options = fast_options("node-x");
  options.stale_after = 1h;
  Runner runner(db(), options);
  ASSERT_TRUE(runner.handle("WORK", [](const meta::Job&, Context&) { return base::ok_status(); }).ok());
  ASSERT_TRUE(runner.start().ok());
  EXPECT_EQ(wait_for_state(id, JobState::succeeded).state, JobState::succeeded);
}

TEST_F(RunnerTest, PausedKindsWaitForResume) {
  Runner runner(db(), fast_options());
  std::atomic<int> calls{0};
  ASSERT_TRUE(runner
                  .handle("WORK",
                          [&](const meta::Job&, Context&) {
                            ++calls;
                            return base::ok_status();
                          })
                  .ok());
  ASSERT_TRUE(runner.pause("WORK").ok());
  ASSERT_TRUE(runner.start().ok());
  const std::int64_t id = add(runner, "WORK");
  std::this_thread::sleep_for(150ms);
  EXPECT_EQ(calls.load(), 0);
  auto queues = runner.queues();
  ASSERT_TRUE(queues.ok());
  ASSERT_EQ(queues->size(), 1u);
  EXPECT_EQ((*queues)[0].stats.kind, "WORK");
  EXPECT_TRUE((*queues)[0].stats.paused);
  EXPECT_TRUE((*queues)[0].handled);
  EXPECT_EQ((*queues)[0].stats.queued, 1);
  ASSERT_TRUE(runner.resume("WORK").ok());
  EXPECT_EQ(wait_for_state(id, JobState::succeeded).state, JobState::succeeded);
}

TEST_F(RunnerTest, QueuesListHandledKindsWithoutJobs) {
  Runner runner(db(), fast_options());
  ASSERT_TRUE(runner.handle("B_KIND", [](const meta::Job&, Context&) { return base::ok_status(); }).ok());
  ASSERT_TRUE(runner.handle("A_KIND", [](const meta::Job&, Context&) { return base::ok_status(); }).ok());
  EXPECT_FALSE(runner.handle("A_KIND", [](const meta::Job&, Context&) { return base::ok_status(); }).ok());
  EXPECT_FALSE(runner.handle("bad kind", [](const meta::Job&, Context&) { return base::ok_status(); }).ok());
  enqueue("OTHER", t0_);
  auto queues = runner.queues();
  ASSERT_TRUE(queues.ok());
  ASSERT_EQ(queues->size(), 3u);
  EXPECT_EQ((*queues)[0].stats.kind, "A_KIND");
  EXPECT_TRUE((*queues)[0].handled);
  EXPECT_EQ((*queues)[2].stats.kind, "OTHER");
  EXPECT_FALSE((*queues)[2].handled);
  EXPECT_EQ((*queues)[2].stats.queued, 1);
  EXPECT_TRUE(*runner.knows_kind("OTHER"));
  EXPECT_TRUE(*runner.knows_kind("A_KIND"));
  EXPECT_FALSE(*runner.knows_kind("NONE"));
  ASSERT_TRUE(runner.start().ok());
  EXPECT_FALSE(runner.handle("LATE", [](const meta::Job&, Context&) { return base::ok_status(); }).ok());
  EXPECT_FALSE(runner.start().ok());
}

TEST_F(RunnerTest, PurgeJobDeletesOldFinishedJobs) {
  const auto long_ago = system_clock::now() - 48h;
  const std::int64_t old = enqueue("WORK", long_ago);
  auto claimed = claim({"WORK"}, long_ago);
  ASSERT_TRUE(claimed);
  ASSERT_TRUE(db().finish(meta::lease_of(*claimed), JobOutcome{}, long_ago).ok());
  Runner runner(db(), fast_options());
  ASSERT_TRUE(register_job_purge(runner, 24h).ok());
  ASSERT_TRUE(runner.start().ok());
  const std::int64_t purge = add(runner, kPurgeJobsKind, 1);
  meta::Job done = wait_for_state(purge, JobState::succeeded);
  EXPECT_EQ(done.progress, "deleted 1 finished job(s)");
  auto gone = db().get_job(old);
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
}

// --- the scheduler ---------------------------------------------------------------------------

TEST_F(RunnerTest, SchedulerEnqueuesDueSchedulesOnceAndSetsTheNextRun) {
  Runner runner(db(), fast_options());  // not started: jobs stay queued
  TimePoint clock = utc(2026, 1, 1, 0, 0, 30);
  SchedulerOptions options;
  options.clock = [&] { return clock; };
  Scheduler scheduler(runner, options);
  ASSERT_TRUE(scheduler.set(ScheduleSpec{"minutely", "0 * * * * *", "TICK", "{\"a\":1}", 2}).ok());
  auto s = scheduler.get("minutely");
  ASSERT_TRUE(s.ok() && s->has_value());
  EXPECT_EQ((*s)->next_run, utc(2026, 1, 1, 0, 1));

  auto none = scheduler.run_due(utc(2026, 1, 1, 0, 0, 59));
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0u);
  auto one = scheduler.run_due(utc(2026, 1, 1, 0, 1));
  ASSERT_TRUE(one.ok()) << one.error().message;
  EXPECT_EQ(*one, 1u);
  s = scheduler.get("minutely");
  EXPECT_EQ((*s)->next_run, utc(2026, 1, 1, 0, 2));
  ASSERT_TRUE((*s)->last_job_id);
  meta::Job queued = job(*(*s)->last_job_id);
  EXPECT_EQ(queued.kind, "TICK");
  EXPECT_EQ(queued.payload, "{\"a\":1}");
  EXPECT_EQ(queued.max_attempts, 2);
  EXPECT_EQ(queued.dedupe_key, schedule_dedupe_key("minutely"));

  // The previous run's job has not run yet: the next run adds nothing.
  auto stacked = scheduler.run_due(utc(2026, 1, 1, 0, 2));
  ASSERT_TRUE(stacked.ok());
  EXPECT_EQ(*stacked, 0u);
  s = scheduler.get("minutely");
  EXPECT_EQ((*s)->next_run, utc(2026, 1, 1, 0, 3));

  // After downtime, a missed run happens once and the next is in the future.
  ASSERT_TRUE(db().cancel_queued(std::nullopt, utc(2026, 1, 1, 0, 2)).ok());
  auto late = scheduler.run_due(utc(2026, 1, 1, 5, 0, 10));
  ASSERT_TRUE(late.ok());
  EXPECT_EQ(*late, 1u);
  s = scheduler.get("minutely");
  EXPECT_EQ((*s)->next_run, utc(2026, 1, 1, 5, 1));
}

TEST_F(RunnerTest, SchedulerKeepsTheNextRunWhileTheCronIsUnchanged) {
  Runner runner(db(), fast_options());
  TimePoint clock = utc(2026, 1, 1, 10);
  SchedulerOptions options;
  options.clock = [&] { return clock; };
  Scheduler scheduler(runner, options);
  ASSERT_TRUE(scheduler.set(ScheduleSpec{"daily", "0 0 0 * * *", "GC"}).ok());
  EXPECT_EQ((*scheduler.get("daily"))->next_run, utc(2026, 1, 2));
  clock = utc(2026, 1, 3, 10);  // a restart after missing a run
  ASSERT_TRUE(scheduler.set(ScheduleSpec{"daily", "0 0 0 * * *", "GC"}).ok());
  EXPECT_EQ((*scheduler.get("daily"))->next_run, utc(2026, 1, 2)) << "the missed run is kept";
  ASSERT_TRUE(scheduler.set(ScheduleSpec{"daily", "0 0 6 * * *", "GC"}).ok());
  EXPECT_EQ((*scheduler.get("daily"))->next_run, utc(2026, 1, 4, 6));

  auto bad = scheduler.set(ScheduleSpec{"bad", "61 * * * *", "GC"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, base::Errc::invalid_argument);
  EXPECT_FALSE(scheduler.set(ScheduleSpec{"bad", "* * * * *", "no kind"}).ok());
  EXPECT_FALSE(scheduler.set(ScheduleSpec{"", "* * * * *", "GC"}).ok());
  auto listed = scheduler.list();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 1u);
  ASSERT_TRUE(scheduler.remove("daily").ok());
  EXPECT_FALSE(scheduler.remove("daily").ok());
}

TEST_F(RunnerTest, SchedulerRunsJobsOnTime) {
  Runner runner(db(), fast_options());
  std::mutex mu;
  std::vector<TimePoint> runs;
  ASSERT_TRUE(runner
                  .handle("TICK",
                          [&](const meta::Job&, Context&) {
                            std::lock_guard lock(mu);
                            runs.push_back(system_clock::now());
                            return base::ok_status();
                          })
                  .ok());
  ASSERT_TRUE(runner.start().ok());
  Scheduler scheduler(runner);
  ASSERT_TRUE(scheduler.set(ScheduleSpec{"every-second", "* * * * * *", "TICK"}).ok());
  scheduler.start();
  ASSERT_TRUE(eventually(
      [&] {
        std::lock_guard lock(mu);
        return runs.size() >= 2;
      },
      5s));
  scheduler.stop();
  std::lock_guard lock(mu);
  // Each run starts soon after the whole second it was due at.
  for (const auto& run : runs) EXPECT_LT(run - floor<seconds>(run), 900ms);
}

}  // namespace
}  // namespace berth::jobs
