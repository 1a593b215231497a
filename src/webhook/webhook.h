// webhook::Service: Harbor's webhooks. Each project has policies (event types, and targets: an
// http(s) address, an optional Authorization header, the payload format Default or
// CloudEvents); the registry's events go to the policies of their project that ask for them.
//
// notify() only queues the event in memory (when no policy wants its type it returns at once),
// so pushes and pulls never wait on a receiver. A dispatcher thread records one execution per
// policy and event with one task per target, and each task is a job of kind WEBHOOK on a runner
// of its own, so a slow or dead receiver holds only webhook workers. A delivery is one POST with
// a timeout; a failure (no answer, a status that is not 2xx) is retried with backoff by the
// runner, and every attempt is written to the task's log with its status code. The newest 50
// executions of a policy are kept.
#pragma once

#include <atomic>
#include <boost/json/object.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "jobs/runner.h"
#include "meta/iam_database.h"
#include "meta/webhook_database.h"

namespace berth::webhook {

inline constexpr const char* kJobKind = "WEBHOOK";
inline constexpr std::size_t kKeptExecutions = 50;

// Harbor's event types, in the order /webhook/events lists them.
const std::vector<std::string>& event_types();

struct Target {
  std::string type = "http";
  std::string address;
  std::string auth_header;  // sent as the Authorization header when not empty
  bool skip_cert_verify = false;
  std::string payload_format = "Default";  // or CloudEvents
};

struct Policy {
  std::int64_t id = 0;
  std::int64_t project_id = 0;
  std::string name;
  std::string description;
  bool enabled = true;
  std::vector<std::string> event_types;
  std::vector<Target> targets;
  std::string creator;
  std::chrono::system_clock::time_point created;
  std::chrono::system_clock::time_point updated;
};

// A policy from Harbor's WebhookPolicy JSON. Errors: invalid_argument.
base::Result<Policy> parse_policy(const boost::json::object& body);
// Harbor's WebhookPolicy JSON.
boost::json::object policy_json(const Policy& policy);

struct Event {
  std::string type;        // PUSH_ARTIFACT, ...
  std::string project;     // the project's name
  std::string repository;  // "project/name"; "" for events about no repository
  std::string digest;
  std::string tag;
  std::string operator_name;
  std::chrono::system_clock::time_point time{};  // epoch = now
  // Merged into event_data: scan_overview, custom_attributes, replication, retention ...
  boost::json::object extra;
};

// The bodies a delivery sends. `host` is the registry's external host ("" = none), for
// resource_url; `public_project` sets repo_type.
std::string default_payload(const Event& event, const std::string& host, bool public_project);
std::string cloudevents_payload(const Event& event, const std::string& host, bool public_project,
                                std::int64_t project_id, std::int64_t policy_id);
// "harbor.artifact.pushed", ... for an event type.
std::string cloudevents_type(const std::string& event_type);

struct Options {
  std::string external_host;  // "registry.example.com[:port]" for resource_url
  std::chrono::seconds delivery_timeout{10};
  std::size_t max_queued = 10000;  // events beyond this many waiting are dropped (and logged)
};

class Service {
 public:
  Service(meta::WebhookDatabase& database, meta::IamDatabase& iam, jobs::Runner& runner,
          Options options = {});
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Registers the WEBHOOK job on the runner (before it starts) and loads the policies.
  base::Status register_job();

  // Errors: invalid_argument, already_exists.
  base::Result<std::int64_t> create(Policy policy);
  base::Result<std::optional<Policy>> get(std::int64_t id);
  base::Result<std::vector<Policy>> list(std::int64_t project_id);
  // Errors: not_found, invalid_argument, already_exists.
  base::Status update(Policy policy);
  base::Status remove(std::int64_t id);

  // True when some enabled policy wants events of `type`: callers on a hot path ask first and
  // build the event only then. Lock-free.
  bool wants(std::string_view type) const;
  // Queues an event for the policies that want it. Never blocks on the database or the network.
  void notify(Event event);
  // Waits until every event queued so far has its executions recorded and jobs queued (tests).
  void flush();

 private:
  base::Status reload();
  void dispatch_loop();
  void dispatch(const Event& event);
  base::Status deliver(const meta::Job& job, jobs::Context& context);

  meta::WebhookDatabase& db_;
  meta::IamDatabase& iam_;
  jobs::Runner& runner_;
  Options options_;

  std::mutex policies_mu_;
  std::vector<Policy> policies_;          // enabled ones
  std::atomic<std::uint64_t> wanted_{0};  // bit i: some enabled policy wants event_types()[i]

  std::mutex queue_mu_;
  std::condition_variable queue_wake_;
  std::condition_variable queue_idle_;
  std::deque<Event> queue_;
  bool dispatching_ = false;
  bool stopping_ = false;
  std::thread dispatcher_;
};

}  // namespace berth::webhook
