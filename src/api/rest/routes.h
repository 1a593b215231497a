// The management API (/api/v2.0/..., Harbor's paths and JSON shapes) and the portal's
// session endpoints (/c/login, /c/logout) as http::Handlers.
#pragma once

#include <chrono>
#include <string>

#include "events/activity.h"
#include "http/exchange.h"
#include "iam/service.h"
#include "meta/database.h"
#include "registry/registry.h"

namespace berth::jobs {
class Runner;
class Scheduler;
}  // namespace berth::jobs
namespace berth::scan {
class Service;
}
namespace berth::meta {
class ScanDatabase;
class LabelDatabase;
class LimitsDatabase;
}  // namespace berth::meta
namespace berth::plan {
class Current;
}
namespace berth::policy {
class Immutability;
}
namespace berth::retention {
class Service;
}
namespace berth::webhook {
class Service;
}  // namespace berth::webhook
namespace berth::proxy {
class Cache;
}  // namespace berth::proxy
namespace berth::replication {
class Service;
class Registries;
}  // namespace berth::replication
namespace berth::meta {
class ReplicationDatabase;
class WebhookDatabase;
class RetentionDatabase;
}  // namespace berth::meta
namespace berth::artifact {
class Inspector;
}

namespace berth::api::rest {

struct Context {
  iam::Service& iam;
  registry::Registry& registry;
  meta::Database& metadata;
  events::Activity& activity;
  std::string version;       // Berth's version, for /systeminfo
  std::string external_url;  // configured external URL; "" = derived from each request
  bool tls = false;          // the server itself speaks TLS (session cookies get Secure)
  std::chrono::seconds session_lifetime{std::chrono::hours(8)};
  // The job queue behind /jobservice/...; those endpoints answer 503 while it is null.
  jobs::Runner* jobs = nullptr;
  // Vulnerability scanning; its endpoints answer 503 while these are null.
  scan::Service* scanner = nullptr;
  meta::ScanDatabase* scans = nullptr;
  jobs::Scheduler* scheduler = nullptr;
  // Harbor's artifact model (types, attributes, additions) and labels; their endpoints and
  // fields answer 503 / stay empty while these are null.
  artifact::Inspector* artifacts = nullptr;
  meta::LabelDatabase* labels = nullptr;
  // Quotas (/quotas, a project's storage_limit and summary) and the plan (/systeminfo); the
  // quota endpoints answer 503 while `limits` is null, and no plan is shown without `plan`.
  meta::LimitsDatabase* limits = nullptr;
  plan::Current* plan = nullptr;
  std::int64_t default_project_storage = -1;  // quota of a project created without storage_limit
  // Tag immutability rules; their endpoints answer 503 while null.
  policy::Immutability* immutability = nullptr;
  // Tag retention: the policies and their runs, and the tasks' records; the endpoints answer
  // 503 while `retention` is null.
  retention::Service* retention = nullptr;
  meta::RetentionDatabase* retention_tasks = nullptr;
  // Registries and replication (policies, executions, the tasks' records); the endpoints
  // answer 503 while these are null.
  replication::Registries* registries = nullptr;
  replication::Service* replication = nullptr;
  meta::ReplicationDatabase* replication_tasks = nullptr;
  // Proxy-cache projects (a project created with registry_id); refused while null.
  proxy::Cache* proxy = nullptr;
  // Webhook policies and their deliveries; the endpoints answer 503 while these are null.
  webhook::Service* webhooks = nullptr;
  meta::WebhookDatabase* webhook_records = nullptr;
};

// Serves /api/v2.0/... . Authenticates each request by basic auth or by the portal
// session cookie "sid" (unsafe methods then need the X-Harbor-CSRF-Token header that
// responses to session requests carry). The context must outlive the handler.
http::Handler make_handler(Context& context);

// Serves POST /c/login (form fields principal, password: sets the session cookie and
// answers 200) and POST /c/logout.
http::Handler make_session_handler(Context& context);

}  // namespace berth::api::rest
