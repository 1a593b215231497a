#include "webhook/webhook.h"

#include <algorithm>
#include <boost/json.hpp>
#include <map>

#include "base/log.h"
#include "base/random.h"
#include "base/time.h"
#include "remote/http.h"

namespace berth::webhook {
namespace {

namespace json = boost::json;
using base::Errc;
using Clock = std::chrono::system_clock;

base::Error invalid(std::string message) {
  return base::make_error(Errc::invalid_argument, std::move(message));
}

std::string text(const json::object& object, std::string_view key) {
  const auto* v = object.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::optional<std::size_t> type_index(std::string_view type) {
  const auto& all = event_types();
  for (std::size_t i = 0; i < all.size(); ++i)
    if (all[i] == type) return i;
  return std::nullopt;
}

std::int64_t unix_seconds(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

json::object event_data(const Event& event, const std::string& host, bool public_project) {
  json::object data;
  if (!event.repository.empty()) {
    json::object resource;
    if (!event.digest.empty()) resource["digest"] = event.digest;
    if (!event.tag.empty()) resource["tag"] = event.tag;
    std::string url = (host.empty() ? std::string() : host + "/") + event.repository;
    url += event.tag.empty() ? (event.digest.empty() ? "" : "@" + event.digest) : ":" + event.tag;
    resource["resource_url"] = url;
    if (const auto* overview = event.extra.if_contains("scan_overview"))
      resource["scan_overview"] = *overview;
    data["resources"] = json::array{std::move(resource)};
    const auto slash = event.repository.find('/');
    data["repository"] = json::object{
        {"date_created", unix_seconds(event.time)},
        {"name", slash == std::string::npos ? event.repository : event.repository.substr(slash + 1)},
        {"namespace", event.project},
        {"repo_full_name", event.repository},
        {"repo_type", public_project ? "public" : "private"}};
  }
  for (const auto& [key, value] : event.extra) {
    if (key != "scan_overview") data[key] = value;
  }
  return data;
}

Event with_time(Event event) {
  if (event.time.time_since_epoch().count() == 0) event.time = Clock::now();
  return event;
}

Policy from_record(const meta::WebhookPolicyRecord& r) {
  boost::system::error_code ec;
  auto parsed = json::parse(r.policy_json, ec);
  Policy p;
  if (!ec && parsed.is_object()) {
    if (auto read = parse_policy(parsed.as_object())) p = std::move(*read);
    p.creator = text(parsed.as_object(), "creator");
  }
  p.id = r.id;
  p.project_id = r.project_id;
  p.name = r.name;
  p.enabled = r.enabled;
  p.created = r.created;
  p.updated = r.updated;
  return p;
}

meta::WebhookPolicyRecord to_record(const Policy& p) {
  meta::WebhookPolicyRecord r;
  r.id = p.id;
  r.project_id = p.project_id;
  r.name = p.name;
  r.enabled = p.enabled;
  r.policy_json = json::serialize(policy_json(p));
  return r;
}

}  // namespace

const std::vector<std::string>& event_types() {
  static const std::vector<std::string> types{"PUSH_ARTIFACT",      "PULL_ARTIFACT",   "DELETE_ARTIFACT",
                                              "SCANNING_COMPLETED", "SCANNING_FAILED", "QUOTA_WARNING",
                                              "QUOTA_EXCEED",       "REPLICATION",     "TAG_RETENTION"};
  return types;
}

std::string cloudevents_type(const std::string& event_type) {
  static const std::map<std::string, std::string, std::less<>> names{
      {"PUSH_ARTIFACT", "harbor.artifact.pushed"},       {"PULL_ARTIFACT", "harbor.artifact.pulled"},
      {"DELETE_ARTIFACT", "harbor.artifact.deleted"},    {"SCANNING_COMPLETED", "harbor.scan.completed"},
      {"SCANNING_FAILED", "harbor.scan.failed"},         {"QUOTA_WARNING", "harbor.quota.warned"},
      {"QUOTA_EXCEED", "harbor.quota.exceeded"},         {"REPLICATION", "harbor.replication.status.changed"},
      {"TAG_RETENTION", "harbor.tag_retention.finished"}};
  auto it = names.find(event_type);
  return it == names.end() ? "harbor." + event_type : it->second;
}

base::Result<Policy> parse_policy(const json::object& body) {
  Policy p;
  p.name = text(body, "name");
  if (p.name.empty()) return invalid("name is required");
  if (p.name.size() > 256) return invalid("the name is longer than 256 characters");
  p.description = text(body, "description");
  const auto* enabled = body.if_contains("enabled");
  p.enabled = enabled == nullptr || !enabled->is_bool() || enabled->as_bool();
  const auto* types = body.if_contains("event_types");
  if (types == nullptr || !types->is_array() || types->as_array().empty())
    return invalid("event_types must name at least one event type");
  for (const auto& t : types->as_array()) {
    if (!t.is_string() || !type_index(std::string_view(t.as_string())))
      return invalid("invalid event type: " +
                     (t.is_string() ? std::string(t.as_string()) : json::serialize(t)));
    p.event_types.emplace_back(t.as_string());
  }
  const auto* targets = body.if_contains("targets");
  if (targets == nullptr || !targets->is_array() || targets->as_array().empty())
    return invalid("targets must hold at least one target");
  for (const auto& item : targets->as_array()) {
    if (!item.is_object()) return invalid("a target must be an object");
    const auto& o = item.as_object();
    Target t;
    t.type = text(o, "type");
    if (t.type.empty()) t.type = "http";
    if (t.type != "http") return invalid("unsupported notify type: " + t.type + " (Berth sends http only)");
    t.address = text(o, "address");
    if (!t.address.starts_with("http://") && !t.address.starts_with("https://"))
      return invalid("the target address must be an http(s) URL: " + t.address);
    t.auth_header = text(o, "auth_header");
    if (t.auth_header.find_first_of("\r\n") != std::string::npos) return invalid("invalid auth_header");
    const auto* skip = o.if_contains("skip_cert_verify");
    t.skip_cert_verify = skip != nullptr && skip->is_bool() && skip->as_bool();
    t.payload_format = text(o, "payload_format");
    if (t.payload_format.empty()) t.payload_format = "Default";
    if (t.payload_format != "Default" && t.payload_format != "CloudEvents")
      return invalid("invalid payload format: " + t.payload_format);
    p.targets.push_back(std::move(t));
  }
  return p;
}

json::object policy_json(const Policy& p) {
  json::array types;
  for (const auto& t : p.event_types) types.emplace_back(t);
  json::array targets;
  for (const auto& t : p.targets)
    targets.push_back(json::object{{"type", t.type},
                                   {"address", t.address},
                                   {"auth_header", t.auth_header},
                                   {"skip_cert_verify", t.skip_cert_verify},
                                   {"payload_format", t.payload_format}});
  return json::object{{"id", p.id},
                      {"name", p.name},
                      {"description", p.description},
                      {"project_id", p.project_id},
                      {"targets", std::move(targets)},
                      {"event_types", std::move(types)},
                      {"creator", p.creator},
                      {"creation_time", base::format_rfc3339_millis(p.created)},
                      {"update_time", base::format_rfc3339_millis(p.updated)},
                      {"enabled", p.enabled}};
}

std::string default_payload(const Event& raw, const std::string& host, bool public_project) {
  const Event event = with_time(raw);
  return json::serialize(json::object{{"type", event.type},
                                      {"occur_at", unix_seconds(event.time)},
                                      {"operator", event.operator_name},
                                      {"event_data", event_data(event, host, public_project)}});
}

std::string cloudevents_payload(const Event& raw, const std::string& host, bool public_project,
                                std::int64_t project_id, std::int64_t policy_id) {
  const Event event = with_time(raw);
  return json::serialize(json::object{{"specversion", "1.0"},
                                      {"id", base::random_uuid()},
                                      {"requestid", base::random_uuid()},
                                      {"source", "/projects/" + std::to_string(project_id) +
                                                     "/webhook/policies/" + std::to_string(policy_id)},
                                      {"type", cloudevents_type(event.type)},
                                      {"datacontenttype", "application/json"},
                                      {"time", base::format_rfc3339_millis(event.time)},
                                      {"operator", event.operator_name},
                                      {"data", event_data(event, host, public_project)}});
}

Service::Service(meta::WebhookDatabase& database, meta::IamDatabase& iam, jobs::Runner& runner,
                 Options options)
    : db_(database), iam_(iam), runner_(runner), options_(std::move(options)), dispatcher_([this] {
        dispatch_loop();
      }) {}

Service::~Service() {
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;
  }
  queue_wake_.notify_all();
  dispatcher_.join();
}

base::Status Service::register_job() {
  if (auto s = reload(); !s) return s;
  return runner_.handle(
      kJobKind, [this](const meta::Job& job, jobs::Context& context) { return deliver(job, context); });
}

base::Status Service::reload() {
  auto records = db_.list_webhook_policies(0);
  if (!records) return records.error();
  std::vector<Policy> enabled;
  std::uint64_t wanted = 0;
  for (const auto& r : *records) {
    if (!r.enabled) continue;
    Policy p = from_record(r);
    for (const auto& t : p.event_types)
      if (auto i = type_index(t)) wanted |= std::uint64_t{1} << *i;
    enabled.push_back(std::move(p));
  }
  std::lock_guard lock(policies_mu_);
  policies_ = std::move(enabled);
  wanted_.store(wanted);
  return {};
}

base::Result<std::int64_t> Service::create(Policy policy) {
  policy.id = 0;
  auto id = db_.create_webhook_policy(to_record(policy));
  if (!id) return id;
  if (auto s = reload(); !s) return s.error();
  return id;
}

base::Result<std::optional<Policy>> Service::get(std::int64_t id) {
  auto record = db_.get_webhook_policy(id);
  if (!record) return record.error();
  if (!*record) return std::optional<Policy>();
  return std::optional<Policy>(from_record(**record));
}

base::Result<std::vector<Policy>> Service::list(std::int64_t project_id) {
  auto records = db_.list_webhook_policies(project_id);
  if (!records) return records.error();
  std::vector<Policy> out;
  for (const auto& r : *records) out.push_back(from_record(r));
  return out;
}

base::Status Service::update(Policy policy) {
  if (auto s = db_.update_webhook_policy(to_record(policy)); !s) return s;
  return reload();
}

base::Status Service::remove(std::int64_t id) {
  if (auto s = db_.delete_webhook_policy(id); !s) return s;
  return reload();
}

bool Service::wants(std::string_view type) const {
  const auto index = type_index(type);
  return index && (wanted_.load(std::memory_order_relaxed) & (std::uint64_t{1} << *index)) != 0;
}

void Service::notify(Event event) {
  if (!wants(event.type)) return;
  if (event.project.empty() && !event.repository.empty())
    event.project = event.repository.substr(0, event.repository.find('/'));
  event = with_time(std::move(event));
  {
    std::lock_guard lock(queue_mu_);
    if (queue_.size() >= options_.max_queued) {
      BERTH_LOG_WARN("webhooks: the queue is full; {} of {} dropped", event.type, event.repository);
      return;
    }
    queue_.push_back(std::move(event));
  }
  queue_wake_.notify_one();
}

void Service::flush() {
  std::unique_lock lock(queue_mu_);
  queue_idle_.wait(lock, [&] { return queue_.empty() && !dispatching_; });
}

void Service::dispatch_loop() {
  std::unique_lock lock(queue_mu_);
  for (;;) {
    queue_wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_ && queue_.empty()) return;
    Event event = std::move(queue_.front());
    queue_.pop_front();
    dispatching_ = true;
    lock.unlock();
    dispatch(event);
    lock.lock();
    dispatching_ = false;
    if (queue_.empty()) queue_idle_.notify_all();
  }
}

void Service::dispatch(const Event& event) {
  auto project = iam_.find_project(event.project);
  if (!project || !*project) return;
  std::vector<Policy> wanted;
  {
    std::lock_guard lock(policies_mu_);
    for (const auto& p : policies_) {
      if (p.project_id == (*project)->id &&
          std::find(p.event_types.begin(), p.event_types.end(), event.type) != p.event_types.end())
        wanted.push_back(p);
    }
  }
  const auto it = (*project)->metadata.find("public");
  const bool public_project = it != (*project)->metadata.end() && it->second == "true";
  for (const auto& p : wanted) {
    meta::WebhookExecutionRecord execution;
    execution.policy_id = p.id;
    execution.event_type = event.type;
    execution.payload = default_payload(event, options_.external_host, public_project);
    execution.started = Clock::now();
    std::vector<meta::WebhookTaskRecord> tasks;
    std::vector<std::string> bodies;
    for (const auto& t : p.targets) {
      meta::WebhookTaskRecord task;
      task.address = t.address;
      task.payload_format = t.payload_format;
      task.created = Clock::now();
      tasks.push_back(task);
      bodies.push_back(
          t.payload_format == "CloudEvents"
              ? cloudevents_payload(event, options_.external_host, public_project, p.project_id, p.id)
              : execution.payload);
    }
    auto added = db_.add_webhook_execution(execution, tasks, kKeptExecutions);
    if (!added) {
      BERTH_LOG_WARN("webhooks: cannot record {} for policy {}: {}", event.type, p.name,
                     added.error().message);
      continue;
    }
    for (std::size_t i = 0; i < added->second.size(); ++i) {
      meta::NewJob job;
      job.kind = kJobKind;
      job.payload = json::serialize(json::object{{"task_id", added->second[i]}, {"body", bodies[i]}});
      job.max_attempts = 4;
      if (auto queued = runner_.enqueue(job); !queued)
        BERTH_LOG_WARN("webhooks: cannot queue a delivery to {}: {}", tasks[i].address,
                       queued.error().message);
    }
  }
}

base::Status Service::deliver(const meta::Job& job, jobs::Context& context) {
  boost::system::error_code ec;
  auto parsed = json::parse(job.payload, ec);
  if (ec || !parsed.is_object()) {
    context.fail_for_good();
    return invalid("a webhook job without a task");
  }
  const auto& fields = parsed.as_object();
  const auto* task_id = fields.if_contains("task_id");
  auto task =
      task_id != nullptr && task_id->is_int64()
          ? db_.get_webhook_task(task_id->as_int64())
          : base::Result<std::optional<meta::WebhookTaskRecord>>(std::optional<meta::WebhookTaskRecord>());
  if (!task || !*task) {
    context.fail_for_good();
    return base::make_error(Errc::not_found, "the webhook task is gone");
  }
  meta::WebhookTaskRecord& t = **task;
  auto execution = db_.get_webhook_execution(t.execution_id);
  auto policy = execution && *execution ? get((*execution)->policy_id)
                                        : base::Result<std::optional<Policy>>(std::optional<Policy>());
  if (!policy || !*policy) {
    context.fail_for_good();
    return base::make_error(Errc::not_found, "the webhook policy is gone");
  }
  const Target* target = nullptr;
  for (const auto& candidate : (*policy)->targets)
    if (candidate.address == t.address) target = &candidate;
  if (target == nullptr) {
    context.fail_for_good();
    return base::make_error(Errc::not_found, "the policy no longer has the target " + t.address);
  }
  remote::HttpCall call;
  call.method = "POST";
  call.url = target->address;
  call.headers = {target->payload_format == "CloudEvents" ? "Content-Type: application/cloudevents+json"
                                                          : "Content-Type: application/json"};
  if (!target->auth_header.empty()) call.headers.push_back("Authorization: " + target->auth_header);
  call.body = text(fields, "body");
  call.timeout = options_.delivery_timeout;
  call.connect_timeout = std::min(options_.delivery_timeout, std::chrono::seconds(5));
  call.verify_tls = !target->skip_cert_verify;
  call.max_response_bytes = 64 * 1024;
  t.run_count = job.attempts;
  t.started = t.started.value_or(Clock::now());
  t.status = "Running";
  const auto reply = remote::http_call(call);
  const bool ok = reply && reply->status >= 200 && reply->status < 300;
  t.status_code = reply ? reply->status : 0;
  const std::string outcome = reply ? "HTTP " + std::to_string(reply->status) : reply.error().message;
  t.log += base::format_rfc3339_millis(Clock::now()) + " attempt " + std::to_string(job.attempts) + " of " +
           std::to_string(job.max_attempts) + ": POST " + target->address + " (" + target->payload_format +
           "): " + outcome + "\n";
  const bool last = job.attempts >= job.max_attempts;
  if (ok) {
    t.status = "Success";
    t.status_message = "";
  } else {
    t.status = last ? "Error" : "Pending";
    t.status_message = outcome;
  }
  if (ok || last) t.ended = Clock::now();
  (void)db_.update_webhook_task(t);
  // The execution ends with its tasks.
  if (auto tasks = db_.list_webhook_tasks(t.execution_id); tasks && execution && *execution) {
    bool all_done = true, any_error = false;
    for (const auto& other : *tasks) {
      const auto& status = other.id == t.id ? t.status : other.status;
      all_done = all_done && (status == "Success" || status == "Error");
      any_error = any_error || status == "Error";
    }
    meta::WebhookExecutionRecord e = **execution;
    e.status = all_done ? (any_error ? "Error" : "Success") : "Running";
    e.status_message = any_error ? outcome : "";
    if (all_done) e.ended = Clock::now();
    (void)db_.update_webhook_execution(e);
  }
  if (ok) return {};
  return base::make_error(Errc::unavailable, target->address + ": " + outcome);
}

}  // namespace berth::webhook
