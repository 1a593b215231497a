#include "retention/service.h"

#include <algorithm>
#include <boost/json.hpp>

#include "base/log.h"
#include "jobs/cron.h"

namespace berth::retention {
namespace {

namespace json = boost::json;
using base::Errc;

constexpr std::size_t kRepositoryPage = 500;   // repositories listed at a time
constexpr std::size_t kTaskBatch = 64;         // tasks written per transaction
constexpr std::size_t kMaxLogBytes = 1 << 20;  // of one task's log

base::Error not_found(std::int64_t id) {
  return base::make_error(Errc::not_found, "retention policy " + std::to_string(id) + " not found");
}

base::Result<policy::RetentionPolicy> parse_record(const meta::RetentionPolicyRecord& record) {
  boost::system::error_code ec;
  auto value = json::parse(record.policy_json, ec);
  if (ec || !value.is_object())
    return base::make_error(Errc::corrupt, "retention policy " + std::to_string(record.id) + " is not JSON");
  auto parsed = policy::parse_retention_policy(value.get_object());
  if (!parsed) return parsed.error();
  parsed->id = record.id;
  parsed->project_id = record.project_id;
  return parsed;
}

std::string stored_text(const policy::RetentionPolicy& policy) {
  return json::serialize(policy::retention_policy_json(policy));
}

bool finished(const std::string& status) {
  return status == "Success" || status == "Error" || status == "Stopped";
}

}  // namespace

std::string schedule_name(std::int64_t policy_id) {
  return "retention:" + std::to_string(policy_id);
}

Service::Service(meta::RetentionDatabase& database, meta::Database& metadata, registry::Registry& registry,
                 policy::Immutability& immutability, iam::Service& iam, jobs::Runner& runner,
                 jobs::Scheduler& scheduler, Options options)
    : db_(database),
      metadata_(metadata),
      registry_(registry),
      immutability_(immutability),
      iam_(iam),
      runner_(runner),
      scheduler_(scheduler),
      options_(std::move(options)) {}

std::chrono::system_clock::time_point Service::now() const {
  return options_.clock ? options_.clock() : std::chrono::system_clock::now();
}

base::Status Service::register_job() {
  return runner_.handle(kJobKind,
                        [this](const meta::Job& job, jobs::Context& context) { return run(job, context); });
}

base::Status Service::schedule(const policy::RetentionPolicy& policy) {
  const std::string name = schedule_name(policy.id);
  if (policy.cron.empty()) {
    auto removed = scheduler_.remove(name);
    if (!removed && removed.error().code != Errc::not_found) return removed;
    return base::ok_status();
  }
  const std::string payload =
      json::serialize(json::object{{"policy_id", policy.id}, {"trigger", "Schedule"}});
  return scheduler_.set(jobs::ScheduleSpec{name, policy.cron, kJobKind, payload, 1});
}

base::Result<std::int64_t> Service::create(const policy::RetentionPolicy& policy) {
  if (!policy.cron.empty())
    if (auto cron = jobs::CronSpec::parse(policy.cron); !cron) return cron.error();
  auto project = iam_.project_by_id(policy.project_id);
  if (!project) return base::make_error(Errc::internal, project.error().message);
  if (!*project)
    return base::make_error(Errc::not_found, "invalid Project id " + std::to_string(policy.project_id));
  if (auto existing = db_.project_retention_policy(policy.project_id); !existing) {
    return existing.error();
  } else if (*existing) {
    return base::make_error(Errc::already_exists, "project " + std::to_string(policy.project_id) +
                                                      " already has retention policy " +
                                                      std::to_string((*existing)->id));
  }
  auto id = db_.create_retention_policy(policy.project_id, stored_text(policy));
  if (!id) return id.error();
  policy::RetentionPolicy stored = policy;
  stored.id = *id;  // reads take the id from the row, so the stored text need not carry it
  if (auto s = iam_.set_project_retention(policy.project_id, std::to_string(*id)); !s)
    return base::make_error(Errc::internal, s.error().message);
  if (auto s = schedule(stored); !s) return s.error();
  return *id;
}

base::Result<std::optional<policy::RetentionPolicy>> Service::get(std::int64_t id) {
  auto record = db_.get_retention_policy(id);
  if (!record) return record.error();
  if (!*record) return std::optional<policy::RetentionPolicy>();
  auto parsed = parse_record(**record);
  if (!parsed) return parsed.error();
  return std::optional<policy::RetentionPolicy>(std::move(*parsed));
}

base::Status Service::update(const policy::RetentionPolicy& policy) {
  if (!policy.cron.empty())
    if (auto cron = jobs::CronSpec::parse(policy.cron); !cron) return cron.error();
  auto record = db_.get_retention_policy(policy.id);
  if (!record) return record.error();
  if (!*record) return not_found(policy.id);
  policy::RetentionPolicy stored = policy;
  stored.project_id = (*record)->project_id;
  if (auto s = db_.update_retention_policy(policy.id, stored_text(stored)); !s) return s;
  return schedule(stored);
}

base::Status Service::remove(std::int64_t id) {
  auto record = db_.get_retention_policy(id);
  if (!record) return record.error();
  if (!*record) return not_found(id);
  if (auto removed = scheduler_.remove(schedule_name(id));
      !removed && removed.error().code != Errc::not_found)
    return removed;
  if (auto s = db_.delete_retention_policy(id); !s) return s;
  if (auto s = iam_.set_project_retention((*record)->project_id, "");
      !s && s.error().code != iam::Error::Code::not_found)
    return base::make_error(Errc::internal, s.error().message);
  return base::ok_status();
}

base::Result<std::int64_t> Service::trigger(std::int64_t policy_id, bool dry_run,
                                            const std::string& trigger) {
  meta::RetentionExecutionRecord execution;
  execution.policy_id = policy_id;
  execution.trigger = trigger;
  execution.dry_run = dry_run;
  execution.started = now();
  auto id = db_.create_retention_execution(execution, kKeptExecutions);
  if (!id) return id.error();
  execution.id = *id;
  meta::NewJob job;
  job.kind = kJobKind;
  job.payload = json::serialize(json::object{{"execution_id", *id}});
  job.max_attempts = 1;
  auto queued = runner_.enqueue(job);
  if (!queued) {
    execution.status = "Error";
    execution.ended = now();
    (void)db_.update_retention_execution(execution);
    return queued.error();
  }
  execution.job_id = queued->id;
  if (auto s = db_.update_retention_execution(execution); !s) return s.error();
  return *id;
}

meta::RetentionExecutionRecord Service::reconciled(meta::RetentionExecutionRecord execution) {
  if (finished(execution.status) || !execution.job_id) return execution;
  auto job = runner_.database().get_job(*execution.job_id);
  if (!job || !*job) return execution;
  execution.status = std::string(meta::harbor_job_status((*job)->state));
  if (finished(execution.status)) execution.ended = (*job)->finished;
  return execution;
}

base::Result<meta::Listing<meta::RetentionExecutionRecord>> Service::executions(std::int64_t policy_id,
                                                                                std::size_t offset,
                                                                                std::size_t limit) {
  auto listed = db_.list_retention_executions(policy_id, offset, limit);
  if (!listed) return listed.error();
  for (auto& execution : listed->items) execution = reconciled(std::move(execution));
  return listed;
}

base::Result<meta::RetentionExecutionRecord> Service::execution(std::int64_t policy_id,
                                                                std::int64_t execution_id) {
  auto found = db_.get_retention_execution(execution_id);
  if (!found) return found.error();
  if (!*found || (*found)->policy_id != policy_id)
    return base::make_error(Errc::not_found,
                            "retention execution " + std::to_string(execution_id) + " not found");
  return reconciled(std::move(**found));
}

base::Status Service::stop(std::int64_t policy_id, std::int64_t execution_id) {
  auto execution = this->execution(policy_id, execution_id);
  if (!execution) return execution.error();
  if (finished(execution->status) || !execution->job_id) return base::ok_status();
  auto state = runner_.cancel(*execution->job_id);
  if (!state) return state.error();
  if (*state == meta::JobState::cancelled && execution->status == "Pending") {
    execution->status = "Stopped";
    execution->ended = now();
    return db_.update_retention_execution(*execution);
  }
  return base::ok_status();
}

base::Status Service::run(const meta::Job& job, jobs::Context& context) {
  boost::system::error_code ec;
  auto payload = json::parse(job.payload, ec);
  const json::object* fields = !ec && payload.is_object() ? &payload.get_object() : nullptr;
  auto field = [&](const char* key) -> std::int64_t {
    const auto* v = fields != nullptr ? fields->if_contains(key) : nullptr;
    return v != nullptr && v->is_int64() ? v->get_int64() : 0;
  };
  // A scheduled run starts its execution here; a manual one was started by trigger().
  std::int64_t execution_id = field("execution_id");
  if (execution_id == 0 && field("policy_id") != 0) {
    meta::RetentionExecutionRecord scheduled;
    scheduled.policy_id = field("policy_id");
    scheduled.trigger = "Schedule";
    scheduled.job_id = job.id;
    scheduled.started = now();
    auto id = db_.create_retention_execution(scheduled, kKeptExecutions);
    if (!id) {
      context.fail_for_good();
      // The policy went with its project: its schedule goes too.
      if (id.error().code == Errc::not_found) (void)scheduler_.remove(schedule_name(scheduled.policy_id));
      return id.error();
    }
    execution_id = *id;
  }
  auto found = db_.get_retention_execution(execution_id);
  if (!found) return found.error();
  if (!*found) {
    context.fail_for_good();
    return base::make_error(Errc::not_found,
                            "retention execution " + std::to_string(execution_id) + " not found");
  }
  meta::RetentionExecutionRecord execution = std::move(**found);
  std::int64_t event_project = 0;
  std::size_t event_deleted = 0;
  auto end = [&](std::string status, base::Status result) -> base::Status {
    execution.status = std::move(status);
    execution.ended = now();
    if (auto s = db_.update_retention_execution(execution); !s) return s;
    if (options_.on_finished && event_project != 0)
      options_.on_finished(execution, event_project, event_deleted);
    return result;
  };
  auto record = db_.get_retention_policy(execution.policy_id);
  if (!record) return record.error();
  if (!*record) {
    context.fail_for_good();
    return end("Error", not_found(execution.policy_id));
  }
  auto policy = parse_record(**record);
  if (!policy) return end("Error", policy.error());
  auto project = iam_.project_by_id(policy->project_id);
  if (!project) return base::make_error(Errc::internal, project.error().message);
  if (!*project) return end("Error", base::make_error(Errc::not_found, "the policy's project is gone"));
  event_project = policy->project_id;
  execution.job_id = job.id;
  execution.status = "Running";
  if (auto s = db_.update_retention_execution(execution); !s) return s;

  const std::string prefix = (*project)->name + "/";
  std::vector<meta::RetentionTaskRecord> tasks;
  bool stopped = false;
  bool failed = false;
  std::size_t deleted_total = 0;
  auto flush = [&]() -> base::Status {
    auto s = db_.add_retention_tasks(tasks);
    tasks.clear();
    return s;
  };
  for (std::size_t offset = 0; !stopped;) {
    meta::ListQuery query;
    query.offset = offset;
    query.limit = kRepositoryPage;
    auto repositories = metadata_.list_repository_summaries((*project)->name, query);
    if (!repositories) return end("Error", repositories.error());
    for (const auto& repository : repositories->items) {
      if (context.stop_requested()) {
        stopped = true;
        break;
      }
      const std::string_view name = std::string_view(repository.name).substr(prefix.size());
      if (!policy::retention_covers(*policy, name)) continue;
      meta::RetentionTaskRecord task;
      task.execution_id = execution.id;
      task.repository = repository.name;
      task.started = now();
      auto artifacts = metadata_.retention_candidates(repository.name);
      if (!artifacts) {
        if (artifacts.error().code == Errc::not_found) continue;  // deleted meanwhile
        return end("Error", artifacts.error());
      }
      std::vector<policy::RetentionCandidate> candidates;
      candidates.reserve(artifacts->size());
      for (const auto& artifact : *artifacts) {
        policy::RetentionCandidate candidate;
        candidate.digest = artifact.manifest.digest;
        candidate.pushed = artifact.manifest.created;
        candidate.created = artifact.manifest.created;
        candidate.pulled = artifact.pulled;
        for (const auto& tag : artifact.tags) {
          candidate.tags.push_back(tag.name);
          candidate.pushed = std::max(candidate.pushed, tag.pushed);
          auto immutable = immutability_.is_immutable(repository.name, tag.name);
          candidate.immutable = candidate.immutable || (immutable && *immutable);
        }
        candidates.push_back(std::move(candidate));
      }
      std::sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) {
        return a.pushed != b.pushed ? a.pushed > b.pushed : a.digest < b.digest;
      });
      const auto verdicts = policy::evaluate_retention(*policy, name, candidates, now());
      std::string log = "Run retention process.\n Repository: " + repository.name +
                        " \n Rule Algorithm: " + policy->algorithm +
                        " \n Dry Run: " + (execution.dry_run ? "true" : "false") + "\nLoad " +
                        std::to_string(candidates.size()) + " candidates from repository " + repository.name +
                        "\n";
      log += policy::retention_table(candidates, verdicts);
      std::int64_t removed = 0;
      bool task_failed = false;
      for (std::size_t i = 0; i < candidates.size(); ++i) {
        if (verdicts[i] != policy::Retention::remove) continue;
        if (execution.dry_run) {
          ++removed;
          continue;
        }
        if (auto s = registry_.delete_manifest(repository.name, candidates[i].digest); !s) {
          task_failed = true;
          if (log.size() < kMaxLogBytes)
            log += "Retention error for artifact " + candidates[i].kind + ":" + repository.name + ":" +
                   candidates[i].digest + " : " + s.error().message + "\n";
          continue;
        }
        ++removed;
      }
      task.total = static_cast<std::int64_t>(candidates.size());
      task.retained = task.total - removed;
      task.status = task_failed ? "Error" : "Success";
      task.ended = now();
      if (log.size() > kMaxLogBytes) log.resize(kMaxLogBytes);
      task.log = std::move(log);
      failed = failed || task_failed;
      deleted_total += static_cast<std::size_t>(removed);
      tasks.push_back(std::move(task));
      if (tasks.size() >= kTaskBatch)
        if (auto s = flush(); !s) return end("Error", s);
    }
    offset += repositories->items.size();
    if (repositories->items.size() < kRepositoryPage) break;
  }
  if (auto s = flush(); !s) return end("Error", s);
  event_deleted = deleted_total;
  BERTH_LOG_INFO("retention: execution {} of policy {} ({}): {} artifact(s) {}{}", execution.id,
                 execution.policy_id, (*project)->name, deleted_total,
                 execution.dry_run ? "would go" : "deleted", stopped ? " before it was stopped" : "");
  if (stopped) return end("Stopped", base::make_error(Errc::cancelled, "Retention job is stopped"));
  if (failed) return end("Error", base::make_error(Errc::internal, "some artifacts could not be deleted"));
  return end("Success", base::ok_status());
}

}  // namespace berth::retention
