// SQLite implementation of meta::JobDatabase over the shared sqlite::Core (see
// sqlite_core.h for connections, locking and durability, sqlite_schema.cpp for the tables).
//
// Claiming is one write transaction (BEGIN IMMEDIATE on the single writer connection), so
// two workers, threads or processes never claim the same job. Queue bookkeeping that a
// power loss could only roll back to an earlier, still consistent state (heartbeats) is
// committed with Sync::relaxed.

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "meta/job_database.h"
#include "meta/sqlite_core.h"
#include "meta/sqlite_query.h"

namespace berth::meta::sqlite {
namespace {

using base::Errc;
using base::Result;
using base::Status;

#define BERTH_JOB_COLUMNS                                                                                   \
  "j.id, j.kind, j.payload, j.state, j.dedupe_key, j.attempts, j.max_attempts, j.run_after, j.created_at, " \
  "j.started_at, j.finished_at, j.heartbeat_at, j.worker, j.error, j.progress, j.cancel_requested"

Job job_from_row(const Statement& s) {
  Job j;
  j.id = s.int64(0);
  j.kind = s.text(1);
  j.payload = s.text(2);
  j.state = parse_job_state(s.text(3)).value_or(JobState::failed);
  if (!s.is_null(4)) j.dedupe_key = s.text(4);
  j.attempts = static_cast<int>(s.int64(5));
  j.max_attempts = static_cast<int>(s.int64(6));
  j.run_after = from_millis(s.int64(7));
  j.created = from_millis(s.int64(8));
  j.started = optional_time(s, 9);
  j.finished = optional_time(s, 10);
  j.heartbeat = optional_time(s, 11);
  j.worker = s.text(12);
  j.error = s.text(13);
  j.progress = s.text(14);
  j.cancel_requested = s.int64(15) != 0;
  return j;
}

#define BERTH_SCHEDULE_COLUMNS                                                                               \
  "s.name, s.cron, s.kind, s.payload, s.max_attempts, s.next_run, s.last_run, s.last_job_id, s.created_at, " \
  "s.updated_at"

Schedule schedule_from_row(const Statement& s) {
  Schedule out;
  out.name = s.text(0);
  out.cron = s.text(1);
  out.kind = s.text(2);
  out.payload = s.text(3);
  out.max_attempts = static_cast<int>(s.int64(4));
  out.next_run = optional_time(s, 5);
  out.last_run = optional_time(s, 6);
  if (!s.is_null(7)) out.last_job_id = s.int64(7);
  out.created = from_millis(s.int64(8));
  out.updated = from_millis(s.int64(9));
  return out;
}

// Reads at most one row of a cached query through `from_row`.
template <class T, class FromRow, class... Args>
Result<std::optional<T>> one_row(Connection& c, std::string_view sql, FromRow from_row, const Args&... args) {
  auto stmt = c.prepare(sql);
  if (!stmt) return std::move(stmt).error();
  auto row = stmt->bind(args...).step();
  if (!row) return std::move(row).error();
  if (!*row) return std::optional<T>{};
  return std::optional<T>(from_row(static_cast<const Statement&>(*stmt)));
}

Status check_kind(std::string_view kind) {
  if (valid_job_kind(kind)) return base::ok_status();
  return base::make_error(Errc::invalid_argument,
                          "invalid job kind \"" + std::string(kind) + "\" (1..100 of A-Z a-z 0-9 _ . : -)");
}

Status check_attempts(int max_attempts) {
  if (max_attempts >= 1) return base::ok_status();
  return base::make_error(Errc::invalid_argument, "max_attempts must be at least 1");
}

base::Error lease_lost(const JobLease& lease) {
  return base::make_error(Errc::conflict, "job " + std::to_string(lease.id) + " attempt " +
                                              std::to_string(lease.attempt) + " is no longer held by " +
                                              lease.worker);
}

// The kinds as a JSON array for json_each (kinds are checked, so they need no escaping).
Result<std::string> kinds_json(const std::vector<std::string>& kinds) {
  std::string out = "[";
  for (const auto& kind : kinds) {
    if (auto s = check_kind(kind); !s) return std::move(s).error();
    if (out.size() > 1) out += ',';
    out += '"' + kind + '"';
  }
  return out + "]";
}

// Inserts a job, or finds the active job with its dedupe key. Runs inside a write.
Result<Enqueued> enqueue_in(Connection& c, const NewJob& job, std::int64_t now) {
  if (auto s = check_kind(job.kind); !s) return std::move(s).error();
  if (auto s = check_attempts(job.max_attempts); !s) return std::move(s).error();
  if (job.dedupe_key) {
    auto existing =
        c.prepare("SELECT id FROM jobs WHERE dedupe_key = ?1 AND state IN ('queued', 'running') LIMIT 1");
    if (!existing) return std::move(existing).error();
    auto id = optional_int64(existing->bind(*job.dedupe_key));
    if (!id) return std::move(id).error();
    if (*id) return Enqueued{**id, false};
  }
  const std::int64_t run_after =
      job.run_after.time_since_epoch().count() == 0 ? now : to_millis(job.run_after);
  std::optional<std::string_view> key;
  if (job.dedupe_key) key = *job.dedupe_key;
  if (auto s = c.run(
          "INSERT INTO jobs(kind, payload, state, dedupe_key, attempts, max_attempts, run_after, created_at) "
          "VALUES(?1, ?2, 'queued', ?3, 0, ?4, ?5, ?6)",
          job.kind, job.payload, key, static_cast<std::int64_t>(job.max_attempts), run_after, now);
      !s) {
    return std::move(s).error();
  }
  return Enqueued{c.last_insert_rowid(), true};
}

// What requeue_stale and requeue_abandoned do to each running job they select: back to
// queued while attempts remain, else failed; cancelled when a cancel was requested.
#define BERTH_REQUEUE_SET                                                                            \
  "UPDATE jobs SET "                                                                                 \
  "state = CASE WHEN cancel_requested = 1 THEN 'cancelled' "                                         \
  "WHEN attempts < max_attempts THEN 'queued' ELSE 'failed' END, "                                   \
  "finished_at = CASE WHEN cancel_requested = 1 OR attempts >= max_attempts THEN ?1 ELSE NULL END, " \
  "run_after = ?1, "                                                                                 \
  "error = 'worker ' || worker || ' stopped before the job finished' "

QueryField job_text_field(const std::string& name, unsigned kinds) {
  return column_field(name, "j." + name, FieldType::text, kinds);
}

const QuerySchema& job_schema() {
  static const QuerySchema schema{
      .fields =
          {
              column_field("id", "j.id", FieldType::integer, kExact | kRange | kAnyOf),
              job_text_field("kind", kExact | kFuzzy | kAnyOf),
              job_text_field("state", kExact | kAnyOf),
              column_field("creation_time", "j.created_at", FieldType::time_millis, kRange),
          },
      .sorts =
          {
              {"id", "j.id"},
              {"creation_time", "j.created_at"},
              {"start_time", "j.started_at"},
              {"end_time", "j.finished_at"},
          },
      .default_order = "j.id DESC",
      .tie_break = "j.id",
  };
  return schema;
}

class SqliteJobDatabase final : public JobDatabase {
 public:
  explicit SqliteJobDatabase(std::shared_ptr<Core> core) : core_(std::move(core)) {}

  // --- the queue ---

  Result<Enqueued> enqueue(const NewJob& job, TimePoint now) override {
    return core_->write("enqueue_job", [&](Connection& c) { return enqueue_in(c, job, to_millis(now)); });
  }

  Result<std::optional<Job>> claim(const std::vector<std::string>& kinds, const std::string& worker,
                                   TimePoint now) override {
    auto kinds_text = kinds_json(kinds);
    if (!kinds_text) return std::move(kinds_text).error();
    if (kinds.empty()) return std::optional<Job>{};
    const std::int64_t at = to_millis(now);
    auto pick = [&](Connection& c) -> Result<std::optional<std::int64_t>> {
      auto stmt = c.prepare(
          "SELECT id FROM jobs WHERE state = 'queued' AND run_after <= ?1 "
          "AND kind IN (SELECT value FROM json_each(?2)) "
          "AND kind NOT IN (SELECT kind FROM job_kinds WHERE paused = 1) "
          "ORDER BY run_after, id LIMIT 1");
      if (!stmt) return std::move(stmt).error();
      return optional_int64(stmt->bind(at, *kinds_text));
    };
    // Idle workers poll: a reader looks first, so that finding nothing never takes the
    // writer (which every registry write needs too).
    auto candidate = core_->read("claim_job", pick);
    if (!candidate) return std::move(candidate).error();
    if (!*candidate) return std::optional<Job>{};
    return core_->write("claim_job", [&](Connection& c) -> Result<std::optional<Job>> {
      auto id = pick(c);  // again inside the transaction: another worker may have taken it
      if (!id) return std::move(id).error();
      if (!*id) return std::optional<Job>{};
      if (auto s = c.run("UPDATE jobs SET state = 'running', attempts = attempts + 1, started_at = ?2, "
                         "heartbeat_at = ?2, "
                         "worker = ?3, progress = '' WHERE id = ?1",
                         **id, at, worker);
          !s) {
        return std::move(s).error();
      }
      return one_row<Job>(c, "SELECT " BERTH_JOB_COLUMNS " FROM jobs j WHERE j.id = ?1", job_from_row, **id);
    });
  }

  Result<bool> heartbeat(const JobLease& lease, TimePoint now, std::optional<std::string> progress) override {
    std::optional<std::string_view> text;
    if (progress) text = *progress;
    return core_->write(
        "job_heartbeat",
        [&](Connection& c) -> Result<bool> {
          auto stmt = c.prepare(
              "UPDATE jobs SET heartbeat_at = ?4, progress = COALESCE(?5, progress) "
              "WHERE id = ?1 AND state = 'running' AND worker = ?2 AND attempts = ?3 RETURNING "
              "cancel_requested");
          if (!stmt) return std::move(stmt).error();
          auto row = stmt->bind(lease.id, lease.worker, static_cast<std::int64_t>(lease.attempt),
                                to_millis(now), text)
                         .step();
          if (!row) return std::move(row).error();
          if (!*row) return lease_lost(lease);
          const bool cancel = stmt->int64(0) != 0;
          if (auto done = stmt->run(); !done) return std::move(done).error();
          return cancel;
        },
        Core::Sync::relaxed);
  }

  Result<JobState> finish(const JobLease& lease, const JobOutcome& outcome, TimePoint now) override {
    const std::int64_t at = to_millis(now);
    std::optional<std::string_view> progress;
    if (outcome.progress) progress = *outcome.progress;
    return core_->write("finish_job", [&](Connection& c) -> Result<JobState> {
      struct Held {
        bool cancel_requested;
        int attempts;
        int max_attempts;
      };
      auto held = one_row<Held>(
          c,
          "SELECT cancel_requested, attempts, max_attempts FROM jobs "
          "WHERE id = ?1 AND state = 'running' AND worker = ?2 AND attempts = ?3",
          [](const Statement& s) {
            return Held{s.int64(0) != 0, static_cast<int>(s.int64(1)), static_cast<int>(s.int64(2))};
          },
          lease.id, lease.worker, static_cast<std::int64_t>(lease.attempt));
      if (!held) return std::move(held).error();
      if (!*held) return lease_lost(lease);
      const Held& h = **held;

      JobState state = JobState::succeeded;
      std::string error = outcome.error;
      std::int64_t run_after = at;
      switch (outcome.kind) {
        case JobOutcome::Kind::succeeded:
          state = JobState::succeeded;
          error.clear();
          break;
        case JobOutcome::Kind::failed:
          if (h.cancel_requested) {
            state = JobState::cancelled;
          } else if (h.attempts < h.max_attempts && !outcome.final) {
            state = JobState::queued;
            run_after = std::max(at, to_millis(outcome.retry_at));
          } else {
            state = JobState::failed;
          }
          break;
        case JobOutcome::Kind::cancelled:
          state = JobState::cancelled;
          if (error.empty()) error = "cancelled";
          break;
        case JobOutcome::Kind::interrupted:
          if (h.cancel_requested) {
            state = JobState::cancelled;
            if (error.empty()) error = "cancelled";
          } else {
            state = JobState::queued;
          }
          break;
      }
      if (state == JobState::queued) {
        // An interrupted attempt is given back; a failed one stays counted.
        const std::int64_t give_back = outcome.kind == JobOutcome::Kind::interrupted ? 1 : 0;
        std::optional<std::string_view> new_error;
        if (outcome.kind == JobOutcome::Kind::failed) new_error = error;
        if (auto s = c.run("UPDATE jobs SET state = 'queued', attempts = attempts - ?2, run_after = ?3, "
                           "error = COALESCE(?4, error), progress = COALESCE(?5, progress) WHERE id = ?1",
                           lease.id, give_back, run_after, new_error, progress);
            !s) {
          return std::move(s).error();
        }
        return state;
      }
      if (auto s = c.run(
              "UPDATE jobs SET state = ?2, finished_at = ?3, error = ?4, progress = COALESCE(?5, progress) "
              "WHERE id = ?1",
              lease.id, std::string(job_state_name(state)), at, error, progress);
          !s) {
        return std::move(s).error();
      }
      return state;
    });
  }

  Result<std::int64_t> requeue_stale(TimePoint heartbeat_before, TimePoint now) override {
    return core_->write("requeue_stale_jobs", [&](Connection& c) -> Result<std::int64_t> {
      if (auto s = c.run(BERTH_REQUEUE_SET "WHERE state = 'running' AND heartbeat_at < ?2", to_millis(now),
                         to_millis(heartbeat_before));
          !s) {
        return std::move(s).error();
      }
      return c.changes();
    });
  }

  Result<std::int64_t> requeue_abandoned(const std::string& worker_prefix, TimePoint now) override {
    if (worker_prefix.empty()) return base::make_error(Errc::invalid_argument, "empty worker prefix");
    return core_->write("requeue_abandoned_jobs", [&](Connection& c) -> Result<std::int64_t> {
      if (auto s = c.run(BERTH_REQUEUE_SET "WHERE state = 'running' AND substr(worker, 1, length(?2)) = ?2",
                         to_millis(now), worker_prefix);
          !s) {
        return std::move(s).error();
      }
      return c.changes();
    });
  }

  Result<JobState> cancel(std::int64_t id, TimePoint now) override {
    return core_->write("cancel_job", [&](Connection& c) -> Result<JobState> {
      auto state = one_row<std::string>(
          c, "SELECT state FROM jobs WHERE id = ?1", [](const Statement& s) { return s.text(0); }, id);
      if (!state) return std::move(state).error();
      if (!*state) return base::make_error(Errc::not_found, "job " + std::to_string(id) + " not found");
      const JobState current = parse_job_state(**state).value_or(JobState::failed);
      if (current == JobState::queued) {
        if (auto s = c.run(
                "UPDATE jobs SET state = 'cancelled', finished_at = ?2, error = 'cancelled' WHERE id = ?1",
                id, to_millis(now));
            !s) {
          return std::move(s).error();
        }
        return JobState::cancelled;
      }
      if (current == JobState::running) {
        if (auto s = c.run("UPDATE jobs SET cancel_requested = 1 WHERE id = ?1", id); !s)
          return std::move(s).error();
      }
      return current;
    });
  }

  Result<std::int64_t> cancel_queued(const std::optional<std::string>& kind, TimePoint now) override {
    std::optional<std::string_view> k;
    if (kind) k = *kind;
    return core_->write("cancel_queued_jobs", [&](Connection& c) -> Result<std::int64_t> {
      if (auto s = c.run("UPDATE jobs SET state = 'cancelled', finished_at = ?2, error = 'cancelled' "
                         "WHERE state = 'queued' AND (?1 IS NULL OR kind = ?1)",
                         k, to_millis(now));
          !s) {
        return std::move(s).error();
      }
      return c.changes();
    });
  }

  Result<std::int64_t> cancel_running(const std::optional<std::string>& kind) override {
    std::optional<std::string_view> k;
    if (kind) k = *kind;
    return core_->write("cancel_running_jobs", [&](Connection& c) -> Result<std::int64_t> {
      if (auto s = c.run("UPDATE jobs SET cancel_requested = 1 "
                         "WHERE state = 'running' AND cancel_requested = 0 AND (?1 IS NULL OR kind = ?1)",
                         k);
          !s) {
        return std::move(s).error();
      }
      return c.changes();
    });
  }

  Status set_paused(const std::string& kind, bool paused, TimePoint now) override {
    if (auto s = check_kind(kind); !s) return s;
    return core_->write("set_job_kind_paused", [&](Connection& c) {
      return c.run(
          "INSERT INTO job_kinds(kind, paused, updated_at) VALUES(?1, ?2, ?3) "
          "ON CONFLICT(kind) DO UPDATE SET paused = excluded.paused, updated_at = excluded.updated_at",
          kind, std::int64_t{paused ? 1 : 0}, to_millis(now));
    });
  }

  Result<std::optional<Job>> get_job(std::int64_t id) override {
    return core_->read("get_job", [&](Connection& c) {
      return one_row<Job>(c, "SELECT " BERTH_JOB_COLUMNS " FROM jobs j WHERE j.id = ?1", job_from_row, id);
    });
  }

  Result<Listing<Job>> list_jobs(const ListQuery& query) override {
    return core_->read("list_jobs", [&](Connection& c) {
      return run_listing<Job>(c, ListingSql{BERTH_JOB_COLUMNS, "jobs j", {}}, query, job_schema(),
                              job_from_row);
    });
  }

  Result<std::vector<JobQueueStats>> queue_stats(TimePoint now) override {
    return core_->read("job_queue_stats", [&](Connection& c) {
      return all_rows<JobQueueStats>(
          c,
          "SELECT k.kind, "
          "(SELECT COUNT(*) FROM jobs j WHERE j.kind = k.kind AND j.state = 'queued'), "
          "(SELECT COUNT(*) FROM jobs j WHERE j.kind = k.kind AND j.state = 'running'), "
          "(SELECT MIN(j.run_after) FROM jobs j WHERE j.kind = k.kind AND j.state = 'queued' "
          "AND j.run_after <= ?1), "
          "COALESCE((SELECT p.paused FROM job_kinds p WHERE p.kind = k.kind), 0) "
          "FROM (SELECT kind FROM jobs WHERE state IN ('queued', 'running') "
          "UNION SELECT kind FROM job_kinds) k ORDER BY k.kind",
          [](const Statement& s) {
            JobQueueStats q;
            q.kind = s.text(0);
            q.queued = s.int64(1);
            q.running = s.int64(2);
            q.oldest_due = optional_time(s, 3);
            q.paused = s.int64(4) != 0;
            return q;
          },
          to_millis(now));
    });
  }

  Result<std::int64_t> purge_finished(TimePoint cutoff) override {
    return core_->write("purge_finished_jobs", [&](Connection& c) -> Result<std::int64_t> {
      if (auto s = c.run(
              "DELETE FROM jobs WHERE finished_at < ?1 AND state IN ('succeeded', 'failed', 'cancelled')",
              to_millis(cutoff));
          !s) {
        return std::move(s).error();
      }
      return c.changes();
    });
  }

  // --- schedules ---

  Status put_schedule(const Schedule& schedule, TimePoint now) override {
    if (schedule.name.empty()) return base::make_error(Errc::invalid_argument, "empty schedule name");
    if (auto s = check_kind(schedule.kind); !s) return s;
    if (auto s = check_attempts(schedule.max_attempts); !s) return s;
    return core_->write("put_schedule", [&](Connection& c) {
      return c.run(
          "INSERT INTO job_schedules(name, cron, kind, payload, max_attempts, next_run, created_at, "
          "updated_at) "
          "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) "
          "ON CONFLICT(name) DO UPDATE SET cron = excluded.cron, kind = excluded.kind, "
          "payload = excluded.payload, max_attempts = excluded.max_attempts, next_run = excluded.next_run, "
          "updated_at = excluded.updated_at",
          schedule.name, schedule.cron, schedule.kind, schedule.payload,
          static_cast<std::int64_t>(schedule.max_attempts), optional_millis(schedule.next_run),
          to_millis(now));
    });
  }

  Status delete_schedule(const std::string& name) override {
    return core_->write("delete_schedule", [&](Connection& c) -> Status {
      if (auto s = c.run("DELETE FROM job_schedules WHERE name = ?1", name); !s) return s;
      if (c.changes() == 0) return base::make_error(Errc::not_found, "schedule " + name + " not found");
      return base::ok_status();
    });
  }

  Result<std::optional<Schedule>> get_schedule(const std::string& name) override {
    return core_->read("get_schedule", [&](Connection& c) {
      return one_row<Schedule>(c, "SELECT " BERTH_SCHEDULE_COLUMNS " FROM job_schedules s WHERE s.name = ?1",
                               schedule_from_row, name);
    });
  }

  Result<std::vector<Schedule>> list_schedules() override {
    return core_->read("list_schedules", [&](Connection& c) {
      return all_rows<Schedule>(c, "SELECT " BERTH_SCHEDULE_COLUMNS " FROM job_schedules s ORDER BY s.name",
                                schedule_from_row);
    });
  }

  Result<std::vector<Schedule>> due_schedules(TimePoint now) override {
    return core_->read("due_schedules", [&](Connection& c) {
      return all_rows<Schedule>(c,
                                "SELECT " BERTH_SCHEDULE_COLUMNS
                                " FROM job_schedules s WHERE s.next_run IS NOT NULL AND s.next_run <= ?1 "
                                "ORDER BY s.next_run, s.name",
                                schedule_from_row, to_millis(now));
    });
  }

  Result<std::optional<TimePoint>> next_schedule_time() override {
    return core_->read("next_schedule_time", [&](Connection& c) -> Result<std::optional<TimePoint>> {
      auto stmt = c.prepare("SELECT MIN(next_run) FROM job_schedules WHERE next_run IS NOT NULL");
      if (!stmt) return std::move(stmt).error();
      auto row = stmt->step();
      if (!row) return std::move(row).error();
      if (!*row) return std::optional<TimePoint>{};
      return optional_time(*stmt, 0);
    });
  }

  Result<std::optional<Enqueued>> fire_schedule(const std::string& name, TimePoint expected_next_run,
                                                std::optional<TimePoint> next_run,
                                                const std::optional<NewJob>& job, TimePoint now) override {
    const std::int64_t at = to_millis(now);
    return core_->write("fire_schedule", [&](Connection& c) -> Result<std::optional<Enqueued>> {
      auto current = one_row<std::int64_t>(
          c, "SELECT next_run FROM job_schedules WHERE name = ?1 AND next_run = ?2",
          [](const Statement& s) { return s.int64(0); }, name, to_millis(expected_next_run));
      if (!current) return std::move(current).error();
      if (!*current) return std::optional<Enqueued>{};
      std::optional<Enqueued> enqueued;
      if (job) {
        auto added = enqueue_in(c, *job, at);
        if (!added) return std::move(added).error();
        enqueued = *added;
      }
      std::optional<std::int64_t> job_id;
      if (enqueued) job_id = enqueued->id;
      if (auto s = c.run("UPDATE job_schedules SET next_run = ?2, last_run = ?3, last_job_id = COALESCE(?4, "
                         "last_job_id) "
                         "WHERE name = ?1",
                         name, optional_millis(next_run), at, job_id);
          !s) {
        return std::move(s).error();
      }
      if (!enqueued) return std::optional<Enqueued>(Enqueued{});
      return enqueued;
    });
  }

 private:
  std::shared_ptr<Core> core_;
};

}  // namespace

std::unique_ptr<JobDatabase> make_job_database(std::shared_ptr<Core> core) {
  return std::make_unique<SqliteJobDatabase>(std::move(core));
}

}  // namespace berth::meta::sqlite
