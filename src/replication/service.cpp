#include "replication/service.h"

#include <atomic>
#include <boost/json.hpp>
#include <map>
#include <mutex>
#include <thread>

#include "base/log.h"
#include "oci/manifest.h"
#include "oci/media_types.h"
#include "replication/local_side.h"

namespace berth::replication {
namespace {

namespace json = boost::json;
using base::Errc;
using Clock = std::chrono::system_clock;

bool finished(const std::string& status) {
  return status == "Succeed" || status == "Failed" || status == "Stopped";
}

std::string field_text(const json::object& object, std::string_view key) {
  const auto* v = object.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::int64_t field_int(const json::object& object, std::string_view key) {
  const auto* v = object.if_contains(key);
  return v != nullptr && v->is_int64() ? v->as_int64() : 0;
}

bool has_glob(std::string_view pattern) {
  return pattern.find_first_of("*?[{\\") != std::string_view::npos;
}

// A cosign-style accessory tag ("sha256-<hex>.sig"): copied with its subject, not on its own.
bool is_accessory_tag(std::string_view tag) {
  return tag.starts_with("sha256-") && tag.find('.') != std::string_view::npos;
}

std::string resource(const std::string& repository, std::size_t items) {
  return repository + " [" + std::to_string(items) + " item(s) in total]";
}

std::string timestamp() {
  const auto now = Clock::to_time_t(Clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

// What one execution copies or deletes from one source repository.
struct Work {
  std::string repository;
  std::string destination;
  std::map<std::string, std::vector<std::string>> artifacts;  // digest -> tags
  bool deletion = false;
};

}  // namespace

std::string schedule_name(std::int64_t policy_id) {
  return "replication:" + std::to_string(policy_id);
}

Service::Service(meta::ReplicationDatabase& database, Registries& registries, registry::Registry& registry,
                 meta::IamDatabase& iam, meta::LabelDatabase& labels, jobs::Runner& runner,
                 jobs::Scheduler& scheduler, Options options)
    : db_(database),
      registries_(registries),
      registry_(registry),
      iam_(iam),
      labels_(labels),
      runner_(runner),
      scheduler_(scheduler),
      options_(std::move(options)) {}

base::Status Service::register_job() {
  if (auto s = reload_event_policies(); !s) return s;
  if (auto s = runner_.handle(kHealthJobKind,
                              [this](const meta::Job&, jobs::Context& context) -> base::Status {
                                auto all = registries_.list();
                                if (!all) return all.error();
                                for (const auto& r : *all) {
                                  if (context.stop_requested()) break;
                                  if (auto status = registries_.check(r.id); !status)
                                    BERTH_LOG_WARN("registry {}: health check: {}", r.name,
                                                   status.error().message);
                                }
                                return {};
                              });
      !s)
    return s;
  if (auto s =
          scheduler_.set(jobs::ScheduleSpec{"registry-health", "0 */5 * * * *", kHealthJobKind, "{}", 1});
      !s)
    return s;
  return runner_.handle(kJobKind,
                        [this](const meta::Job& job, jobs::Context& context) { return run(job, context); });
}

base::Status Service::reload_event_policies() {
  auto all = list_policies();
  if (!all) return all.error();
  std::vector<Policy> event;
  for (auto& p : *all) {
    if (p.enabled && p.trigger == "event_based") event.push_back(std::move(p));
  }
  std::lock_guard lock(event_mu_);
  event_policies_ = std::move(event);
  return {};
}

base::Status Service::schedule(const Policy& policy) {
  const std::string name = schedule_name(policy.id);
  if (policy.trigger != "scheduled" || !policy.enabled) {
    auto removed = scheduler_.remove(name);
    if (!removed && removed.error().code != Errc::not_found) return removed;
    return {};
  }
  const std::string payload =
      json::serialize(json::object{{"policy_id", policy.id}, {"trigger", "scheduled"}});
  return scheduler_.set(jobs::ScheduleSpec{name, policy.cron, kJobKind, payload, 1});
}

base::Result<std::int64_t> Service::create_policy(Policy policy) {
  policy.id = 0;
  auto id = db_.create_replication_policy(to_record(policy));
  if (!id) return id.error();
  policy.id = *id;
  if (auto s = schedule(policy); !s) {
    (void)db_.delete_replication_policy(*id);
    return s.error();
  }
  if (auto s = reload_event_policies(); !s) return s.error();
  return *id;
}

base::Result<std::optional<Policy>> Service::get_policy(std::int64_t id) {
  auto record = db_.get_replication_policy(id);
  if (!record) return record.error();
  if (!*record) return std::optional<Policy>();
  auto policy = from_record(**record);
  if (!policy) return policy.error();
  return std::optional<Policy>(std::move(*policy));
}

base::Result<std::vector<Policy>> Service::list_policies() {
  auto records = db_.list_replication_policies();
  if (!records) return records.error();
  std::vector<Policy> out;
  for (const auto& r : *records) {
    auto policy = from_record(r);
    if (!policy) return policy.error();
    out.push_back(std::move(*policy));
  }
  return out;
}

base::Status Service::update_policy(Policy policy) {
  if (auto s = db_.update_replication_policy(to_record(policy)); !s) return s;
  if (auto s = schedule(policy); !s) return s;
  return reload_event_policies();
}

base::Status Service::delete_policy(std::int64_t id) {
  auto policy = get_policy(id);
  if (!policy) return policy.error();
  if (!*policy)
    return base::make_error(Errc::not_found, "replication policy " + std::to_string(id) + " not found");
  // Running executions stop first.
  auto running = db_.list_replication_executions(id, "InProgress", "", 0, 1000);
  if (running) {
    for (const auto& e : running->items) (void)stop(e.id);
  }
  Policy off = **policy;
  off.enabled = false;
  if (auto s = schedule(off); !s) return s;
  if (auto s = db_.delete_replication_policy(id); !s) return s;
  return reload_event_policies();
}

base::Result<std::int64_t> Service::start(std::int64_t policy_id, const std::string& trigger,
                                          const std::string& payload) {
  auto policy = get_policy(policy_id);
  if (!policy) return policy.error();
  if (!*policy)
    return base::make_error(Errc::not_found,
                            "replication policy " + std::to_string(policy_id) + " not found");
  if (!(*policy)->enabled)
    return base::make_error(Errc::conflict, "the policy " + std::to_string(policy_id) + " is disabled");
  meta::ReplicationExecutionRecord execution;
  execution.policy_id = policy_id;
  execution.trigger = trigger;
  execution.payload = payload;
  execution.started = Clock::now();
  auto id = db_.create_replication_execution(execution, kKeptExecutions);
  if (!id) return id.error();
  execution.id = *id;
  meta::NewJob job;
  job.kind = kJobKind;
  job.payload = json::serialize(json::object{{"execution_id", *id}});
  job.max_attempts = 1;
  auto queued = runner_.enqueue(job);
  if (!queued) {
    execution.status = "Failed";
    execution.status_text = queued.error().message;
    execution.ended = Clock::now();
    (void)db_.update_replication_execution(execution);
    return queued.error();
  }
  execution.job_id = queued->id;
  if (auto s = db_.update_replication_execution(execution); !s) return s.error();
  return *id;
}

base::Status Service::stop(std::int64_t execution_id) {
  auto found = db_.get_replication_execution(execution_id);
  if (!found) return found.error();
  if (!*found)
    return base::make_error(Errc::not_found,
                            "replication execution " + std::to_string(execution_id) + " not found");
  auto execution = reconciled(std::move(**found));
  if (finished(execution.status) || !execution.job_id) return {};
  auto state = runner_.cancel(*execution.job_id);
  if (!state) return state.error();
  if (*state == meta::JobState::cancelled) {
    execution.status = "Stopped";
    execution.ended = Clock::now();
    return db_.update_replication_execution(execution);
  }
  return {};
}

meta::ReplicationExecutionRecord Service::reconciled(meta::ReplicationExecutionRecord execution) {
  if (finished(execution.status) || !execution.job_id) return execution;
  auto job = runner_.database().get_job(*execution.job_id);
  if (!job || !*job) return execution;
  // A job that ended without its handler recording the end (cancelled while queued, a node
  // that died and ran out of attempts).
  switch ((*job)->state) {
    case meta::JobState::cancelled:
      execution.status = "Stopped";
      break;
    case meta::JobState::failed:
      execution.status = "Failed";
      execution.status_text = (*job)->error;
      break;
    default:
      return execution;
  }
  execution.ended = (*job)->finished;
  return execution;
}

base::Result<meta::Listing<meta::ReplicationExecutionRecord>> Service::executions(std::int64_t policy_id,
                                                                                  const std::string& status,
                                                                                  const std::string& trigger,
                                                                                  std::size_t offset,
                                                                                  std::size_t limit) {
  auto listed = db_.list_replication_executions(policy_id, status, trigger, offset, limit);
  if (!listed) return listed.error();
  for (auto& e : listed->items) e = reconciled(std::move(e));
  return listed;
}

base::Result<std::optional<meta::ReplicationExecutionRecord>> Service::execution(std::int64_t id) {
  auto found = db_.get_replication_execution(id);
  if (!found) return found.error();
  if (!*found) return found;
  return std::optional<meta::ReplicationExecutionRecord>(reconciled(std::move(**found)));
}

void Service::on_push(const std::string& repository, const std::string& digest, const std::string& tag) {
  std::vector<std::int64_t> wanted;
  {
    std::lock_guard lock(event_mu_);
    for (const auto& p : event_policies_) {
      if (!selects_repository(p, repository)) continue;
      if (!tag.empty() && !is_accessory_tag(tag) && !selects_tag(p, tag)) continue;
      wanted.push_back(p.id);
    }
  }
  for (std::int64_t id : wanted) {
    const std::string payload =
        json::serialize(json::object{{"repository", repository}, {"digest", digest}, {"tag", tag}});
    if (auto started = start(id, "event_based", payload); !started)
      BERTH_LOG_WARN("event-based replication {} for {}@{}: {}", id, repository, digest,
                     started.error().message);
  }
}

void Service::on_delete(const std::string& repository, const std::string& digest) {
  std::vector<std::int64_t> wanted;
  {
    std::lock_guard lock(event_mu_);
    for (const auto& p : event_policies_) {
      if (p.replicate_deletion && selects_repository(p, repository)) wanted.push_back(p.id);
    }
  }
  for (std::int64_t id : wanted) {
    const std::string payload = json::serialize(
        json::object{{"repository", repository}, {"digest", digest}, {"operation", "deletion"}});
    if (auto started = start(id, "event_based", payload); !started)
      BERTH_LOG_WARN("replicating the deletion of {}@{}: {}", repository, digest, started.error().message);
  }
}

base::Status Service::run(const meta::Job& job, jobs::Context& context) {
  boost::system::error_code ec;
  auto parsed = json::parse(job.payload, ec);
  const json::object empty;
  const json::object& fields = !ec && parsed.is_object() ? parsed.as_object() : empty;
  std::int64_t execution_id = field_int(fields, "execution_id");
  if (execution_id == 0 && field_int(fields, "policy_id") != 0) {
    // A scheduled run: its execution starts here.
    meta::ReplicationExecutionRecord scheduled;
    scheduled.policy_id = field_int(fields, "policy_id");
    scheduled.trigger = "scheduled";
    scheduled.job_id = job.id;
    scheduled.started = Clock::now();
    auto id = db_.create_replication_execution(scheduled, kKeptExecutions);
    if (!id) return id.error();
    execution_id = *id;
  }
  auto found = db_.get_replication_execution(execution_id);
  if (!found) return found.error();
  if (!*found) {
    context.fail_for_good();
    return base::make_error(Errc::not_found,
                            "replication execution " + std::to_string(execution_id) + " is gone");
  }
  meta::ReplicationExecutionRecord execution = std::move(**found);
  execution.job_id = job.id;
  auto policy = get_policy(execution.policy_id);
  std::vector<std::string> local_projects;
  auto finish = [&](const std::string& status, const std::string& text) -> base::Status {
    execution.status = status;
    execution.status_text = text;
    execution.in_progress = 0;
    execution.ended = Clock::now();
    auto stored = db_.update_replication_execution(execution);
    if (options_.on_finished && policy && *policy) options_.on_finished(**policy, execution, local_projects);
    return stored;
  };
  if (!policy || !*policy) {
    const std::string why = policy ? "the policy is gone" : policy.error().message;
    (void)finish("Failed", why);
    context.fail_for_good();
    return base::make_error(Errc::not_found, why);
  }
  const Policy& p = **policy;

  // The two ends.
  remote::ClientOptions client = options_.client;
  std::stop_source stop_source;
  client.stop = stop_source.get_token();
  auto open_side = [&](std::int64_t registry_id) -> base::Result<std::unique_ptr<Side>> {
    if (registry_id == 0) return local_side(registry_, iam_, labels_, options_.owner_id);
    return registries_.open(registry_id, client);
  };
  auto source = open_side(p.src_registry_id);
  auto destination =
      source ? open_side(p.dest_registry_id) : base::Result<std::unique_ptr<Side>>(source.error());
  if (!source || !destination) {
    const std::string why = (!source ? source.error() : destination.error()).message;
    (void)finish("Failed", why);
    context.fail_for_good();
    return base::make_error(Errc::invalid_argument, why);
  }
  auto stopped = [&] {
    if (context.stop_requested()) stop_source.request_stop();
    return context.stop_requested();
  };

  // What to copy: one artifact for an event, else every selected tag of every selected repository.
  std::vector<Work> work;
  std::string listing_error;
  if (!execution.payload.empty()) {
    boost::system::error_code pec;
    auto event = json::parse(execution.payload, pec);
    if (!pec && event.is_object()) {
      const auto& e = event.as_object();
      Work w;
      w.repository = field_text(e, "repository");
      w.deletion = field_text(e, "operation") == "deletion";
      const std::string tag = field_text(e, "tag");
      w.artifacts[field_text(e, "digest")] =
          tag.empty() || is_accessory_tag(tag) ? std::vector<std::string>{} : std::vector<std::string>{tag};
      if (!w.repository.empty()) work.push_back(std::move(w));
    }
  } else {
    std::vector<std::string> repositories;
    auto listed = (*source)->repositories();
    if (listed) {
      repositories = std::move(*listed);
    } else {
      // A registry without a catalog (Docker Hub): the name filters that name one repository.
      for (const auto& f : p.filters)
        if (f.type == "name" && !f.value.empty() && !has_glob(f.value)) repositories.push_back(f.value);
      if (repositories.empty()) listing_error = listed.error().message;
    }
    for (const auto& repository : repositories) {
      if (stopped()) break;
      if (!selects_repository(p, repository)) continue;
      auto tags = (*source)->tags(repository);
      if (!tags) {
        listing_error = repository + ": " + tags.error().message;
        continue;
      }
      Work w;
      w.repository = repository;
      for (const auto& tag : *tags) {
        if (is_accessory_tag(tag) || !selects_tag(p, tag)) continue;
        auto digest = (*source)->resolve(repository, tag);
        if (!digest || !*digest) continue;
        w.artifacts[**digest].push_back(tag);
      }
      if (!w.artifacts.empty()) work.push_back(std::move(w));
    }
  }
  // Labels and kinds filter artifacts.
  for (auto& w : work) {
    for (auto it = w.artifacts.begin(); it != w.artifacts.end();) {
      bool keep = true;
      if (!w.deletion) {
        auto labels = (*source)->labels(w.repository, it->first);
        if (labels && !selects_labels(p, *labels)) keep = false;
        bool wants_kind = false;
        for (const auto& f : p.filters) wants_kind = wants_kind || (f.type == "resource" && !f.value.empty());
        if (keep && wants_kind) {
          auto manifest = (*source)->manifest(w.repository, it->first);
          if (manifest) {
            auto m = oci::parse_manifest(manifest->bytes, manifest->media_type);
            const bool image =
                m &&
                (m->is_index() ||
                 (m->config && (m->config->media_type == oci::media_type::oci_config ||
                                m->config->media_type == "application/vnd.docker.container.image.v1+json")));
            keep = selects_resource(p, image ? "image" : "artifact");
          }
        }
      }
      it = keep ? std::next(it) : w.artifacts.erase(it);
    }
  }
  std::erase_if(work, [](const Work& w) { return w.artifacts.empty(); });

  for (const auto& w : work) {
    auto mapped =
        p.push() ? base::Result<std::string>(w.repository) : destination_repository(p, w.repository);
    if (!mapped) continue;
    std::string project = mapped->substr(0, mapped->find('/'));
    if (std::find(local_projects.begin(), local_projects.end(), project) == local_projects.end())
      local_projects.push_back(std::move(project));
  }
  execution.total = static_cast<std::int64_t>(work.size());
  execution.in_progress = execution.total;
  execution.status = "InProgress";
  if (auto s = db_.update_replication_execution(execution); !s) return s;

  // One task per repository, several at once, each worker with ends of its own.
  std::mutex execution_mu;
  auto run_task = [&](Work& w, Side& src, Side& dst) -> base::Status {
    auto destination_name = destination_repository(p, w.repository);
    meta::ReplicationTaskRecord task;
    task.execution_id = execution.id;
    task.src_resource = resource(w.repository, w.artifacts.size());
    task.dst_resource = resource(destination_name ? *destination_name : w.repository, w.artifacts.size());
    task.operation = w.deletion ? "deletion" : "copy";
    task.status = "InProgress";
    task.started = Clock::now();
    auto task_id = db_.add_replication_task(task);
    if (!task_id) return task_id.error();
    task.id = *task_id;
    auto log = [&](const std::string& line) { task.log += timestamp() + " " + line + "\n"; };
    log("replicating " + w.repository + " from " + src.name() + " to " + dst.name() + " as " +
        (destination_name ? *destination_name : std::string("?")));

    base::Status outcome;
    if (!destination_name) {
      outcome = destination_name.error();
    } else {
      for (int attempt = 1; attempt <= options_.task_attempts; ++attempt) {
        if (attempt > 1) {
          const auto delay = options_.task_retry_base * (1 << (attempt - 2));
          log("attempt " + std::to_string(attempt - 1) + " failed: " + outcome.error().message +
              "; retrying in " + std::to_string(delay.count()) + " ms");
          (void)db_.update_replication_task(task);
          if (!context.sleep_for(delay)) break;
        }
        outcome = [&]() -> base::Status {
          if (w.deletion) {
            for (const auto& [digest, tags] : w.artifacts) {
              auto present = dst.resolve(*destination_name, digest);
              if (!present) return present.error();
              if (!*present) {
                log("manifest " + *destination_name + "@" + digest + " is not at the destination");
                continue;
              }
              if (auto s = dst.delete_manifest(*destination_name, digest); !s) return s;
              log("manifest " + *destination_name + "@" + digest + " deleted");
            }
            return {};
          }
          if (auto s = dst.prepare_namespace(*destination_name); !s) return s;
          CopyOptions copy = options_.copy;
          copy.override = p.override;
          copy.speed_kb = p.speed_kb;
          copy.log = log;
          copy.stopped = stopped;
          copy.sleep = [&](std::chrono::milliseconds d) { return context.sleep_for(d); };
          Copier copier(src, dst, copy);
          for (const auto& [digest, tags] : w.artifacts) {
            if (auto s = copier.copy(w.repository, *destination_name, digest, tags); !s) return s;
          }
          const auto& st = copier.stats();
          log("done: " + std::to_string(st.manifests_sent) + " manifests sent, " +
              std::to_string(st.manifests_present) + " present; " + std::to_string(st.blobs_sent) +
              " blobs sent (" + std::to_string(st.bytes_sent) + " bytes), " +
              std::to_string(st.blobs_present) + " present, " + std::to_string(st.blobs_mounted) +
              " mounted; " + std::to_string(st.tags_set) + " tags set, " + std::to_string(st.tags_kept) +
              " kept");
          return {};
        }();
        if (outcome || stopped()) break;
        const Errc code = outcome.error().code;
        if (code == Errc::invalid_argument || code == Errc::corrupt || code == Errc::conflict) break;
      }
    }
    std::lock_guard lock(execution_mu);
    --execution.in_progress;
    if (outcome) {
      task.status = "Succeed";
      ++execution.succeed;
    } else if (stopped()) {
      task.status = "Stopped";
      log("stopped");
      ++execution.stopped;
    } else {
      task.status = "Failed";
      log("failed: " + outcome.error().message);
      ++execution.failed;
    }
    task.ended = Clock::now();
    if (auto s = db_.update_replication_task(task); !s) return s;
    if (auto s = db_.update_replication_execution(execution); !s) return s;
    context.report_progress(std::to_string(execution.succeed + execution.failed + execution.stopped) + "/" +
                            std::to_string(execution.total) + " repositories");
    return base::Status{};
  };
  std::atomic<std::size_t> next{0};
  base::Status worker_error;
  auto worker = [&](Side& src, Side& dst) {
    while (!stopped()) {
      const std::size_t i = next.fetch_add(1);
      if (i >= work.size()) return;
      if (auto s = run_task(work[i], src, dst); !s) {
        std::lock_guard lock(execution_mu);
        worker_error = s;
        return;
      }
    }
  };
  std::vector<std::pair<std::unique_ptr<Side>, std::unique_ptr<Side>>> more_ends;
  for (std::size_t i = 1; i < std::min<std::size_t>(options_.parallel_tasks, work.size()); ++i) {
    auto more_source = open_side(p.src_registry_id);
    auto more_destination = open_side(p.dest_registry_id);
    if (!more_source || !more_destination) break;
    more_ends.emplace_back(std::move(*more_source), std::move(*more_destination));
  }
  std::vector<std::thread> workers;
  for (auto& [more_source, more_destination] : more_ends)
    workers.emplace_back(worker, std::ref(*more_source), std::ref(*more_destination));
  worker(**source, **destination);
  for (auto& t : workers) t.join();
  if (!worker_error) return worker_error;
  if (stopped()) {
    execution.stopped += execution.in_progress;
    (void)finish("Stopped", "");
    return base::make_error(Errc::cancelled, "stopped");
  }
  if (!listing_error.empty() && execution.failed == 0) ++execution.failed;
  const std::string text = !listing_error.empty() ? "cannot list the source: " + listing_error
                           : execution.failed > 0 ? std::to_string(execution.failed) + " of " +
                                                        std::to_string(execution.total) + " tasks failed"
                                                  : std::string();
  if (auto s = finish(execution.failed > 0 ? "Failed" : "Succeed", text); !s) return s;
  return {};
}

}  // namespace berth::replication
