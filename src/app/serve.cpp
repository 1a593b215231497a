// `berth serve`: wires storage, the registry service and the HTTP server together.
#include <algorithm>
#include <boost/json/parse.hpp>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "api/auth/authenticate.h"
#include "api/oci/routes.h"
#include "api/operator/operator_api.h"
#include "api/portal/handler.h"
#include "api/rest/routes.h"
#include "api/scanner/adapter.h"
#include "app/commands.h"
#include "app/identity.h"
#include "app/plans.h"
#include "app/storage.h"
#include "artifact/inspector.h"
#include "backup/backup_job.h"
#include "base/log.h"
#include "base/open_files.h"
#include "base/secret_box.h"
#include "gc/gc_job.h"
#include "http/middleware.h"
#include "http/request_limit.h"
#include "http/router.h"
#include "http/server.h"
#include "iam/allowlist.h"
#include "jobs/housekeeping.h"
#include "jobs/runner.h"
#include "jobs/scheduler.h"
#include "layout/transfer_jobs.h"
#include "plan/plan.h"
#include "policy/immutability.h"
#include "policy/pull_gate.h"
#include "proxy/cache.h"
#include "registry/registry.h"
#include "replication/service.h"
#include "retention/service.h"
#include "scan/service.h"
#include "vulndb/database.h"
#include "webhook/webhook.h"

namespace berth::app {
namespace {

// "host[:port]" of an external URL ("" when none is configured).
std::string url_host(const std::string& url) {
  std::string host = url;
  if (const auto scheme = host.find("://"); scheme != std::string::npos) host = host.substr(scheme + 3);
  return host.substr(0, host.find('/'));
}

// Periodically purges uploads that were abandoned longer than the configured age.
class UploadPurger {
 public:
  UploadPurger(registry::Registry& registry, std::chrono::seconds max_age, std::chrono::seconds interval)
      : thread_([&registry, max_age,
                 interval = std::max(interval, std::chrono::seconds(1))](std::stop_token stop) {
          std::mutex mutex;
          std::condition_variable_any wake;
          while (!stop.stop_requested()) {
            std::size_t purged = registry.purge_uploads(std::chrono::system_clock::now() - max_age);
            if (purged > 0) BERTH_LOG_INFO("purged {} abandoned upload(s)", purged);
            std::unique_lock lock(mutex);
            wake.wait_for(lock, stop, interval, [] { return false; });
          }
        }) {}

 private:
  std::jthread thread_;
};

// Periodically deletes audit records older than the configured age (0 = never).
class AuditPurger {
 public:
  AuditPurger(meta::IamDatabase& iam, std::chrono::seconds max_age)
      : thread_([&iam, max_age](std::stop_token stop) {
          if (max_age.count() == 0) return;
          std::mutex mutex;
          std::condition_variable_any wake;
          while (!stop.stop_requested()) {
            auto purged = iam.purge_audit(std::chrono::system_clock::now() - max_age);
            if (!purged)
              BERTH_LOG_WARN("audit purge failed: {}", purged.error().message);
            else if (*purged > 0)
              BERTH_LOG_INFO("purged {} audit record(s)", *purged);
            std::unique_lock lock(mutex);
            wake.wait_for(lock, stop, std::chrono::hours(1), [] { return false; });
          }
        }) {}

 private:
  std::jthread thread_;
};

// Applies a plan another process stored (`berth admin plan set`) within half a second.
class PlanWatcher {
 public:
  explicit PlanWatcher(plan::Current& plan)
      : thread_([&plan](std::stop_token stop) {
          std::mutex mutex;
          std::condition_variable_any wake;
          while (!stop.stop_requested()) {
            std::unique_lock lock(mutex);
            wake.wait_for(lock, stop, std::chrono::milliseconds(500), [] { return false; });
            plan.refresh();
          }
        }) {}

 private:
  std::jthread thread_;
};

// The whole of a small file holding a secret, without a trailing newline. Errors: io_error,
// invalid_argument (empty).
base::Result<std::string> read_secret_file(const std::string& path) {
  if (path.empty()) return base::make_error(base::Errc::invalid_argument, "operator.token_file is not set");
  std::ifstream in(path);
  if (!in) return base::make_error(base::Errc::io_error, "cannot read " + path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  if (text.size() < 16)
    return base::make_error(base::Errc::invalid_argument,
                            path + " must hold a token of at least 16 characters");
  return text;
}

// Refuses requests from addresses outside `allowed` with 403 and `body` (the error format
// of the API behind). An empty list lets everything through.
http::Handler with_allowlist(iam::CidrList allowed, std::string body, http::Handler next) {
  if (allowed.empty()) return next;
  return [allowed = std::move(allowed), body = std::move(body),
          next = std::move(next)](http::Exchange& exchange) -> boost::asio::awaitable<http::Response> {
    if (allowed.allows(exchange.request().remote_address)) co_return co_await next(exchange);
    http::Response response;
    response.status = 403;
    response.headers.set("Content-Type", "application/json");
    response.body = body;
    co_return response;
  };
}

http::Handler health_handler(registry::Registry& registry) {
  return [&registry](http::Exchange& exchange) -> boost::asio::awaitable<http::Response> {
    base::Status storage;
    base::Status metadata;
    co_await exchange.run_blocking([&] {
      storage = registry.check_storage();
      metadata = registry.check_metadata();
    });
    http::Response response;
    response.status = storage && metadata ? 200 : 503;
    response.headers.set("Content-Type", "application/json");
    auto state = [](const base::Status& status) {
      return status ? std::string("ok") : status.error().message;
    };
    auto quote = [](const std::string& text) {
      std::string out = "\"";
      for (char c : text) {
        if (c == '"' || c == '\\') out.push_back('\\');
        if (static_cast<unsigned char>(c) >= 0x20) out.push_back(c);
      }
      return out + "\"";
    };
    response.body = "{\"status\":" + quote(response.status == 200 ? "ok" : "unavailable") +
                    ",\"storage\":" + quote(state(storage)) + ",\"metadata\":" + quote(state(metadata)) + "}";
    co_return response;
  };
}

// Raises the descriptor limit as far as allowed, and says when it is still too low for
// the configured connections and uploads (each holds a descriptor).
void check_open_file_limit(const Config& config) {
  constexpr std::uint64_t kReserve = 256;  // database, blob reads, logs, the vulnerability database
  auto limit = base::raise_open_file_limit();
  if (!limit) {
    BERTH_LOG_WARN("{}", limit.error().message);
    return;
  }
  const std::uint64_t needed = config.max_connections + config.max_open_uploads + kReserve;
  if (*limit < needed) {
    BERTH_LOG_WARN(
        "open file limit is {}, but limits.max_connections ({}) + limits.max_open_uploads ({}) need about "
        "{}: "
        "raise it (ulimit -n, systemd LimitNOFILE=) or lower those limits",
        *limit, config.max_connections, config.max_open_uploads, needed);
  } else {
    BERTH_LOG_DEBUG("open file limit: {}", *limit);
  }
}

}  // namespace

int serve(const Config& config) {
  auto address = split_listen_address(config.listen);
  if (!address) {
    BERTH_LOG_ERROR("{}", address.error().message);
    return 2;
  }
  check_open_file_limit(config);
  auto storage = open_storage(config.data_dir);
  if (!storage) {
    BERTH_LOG_ERROR("cannot open data directory: {}", storage.error().message);
    return 2;
  }
  // Storage events go to the audit log, and tags are checked against the immutability rules,
  // once those exist (below); the registry is built first.
  events::Activity* audit_log = nullptr;
  policy::Immutability* immutability_rules = nullptr;
  webhook::Service* webhook_sink = nullptr;  // events reach webhooks once the service exists (below)
  registry::Options registry_options;
  registry_options.manifest_cache_bytes = config.manifest_cache_mb * 1024 * 1024;
  registry_options.max_open_uploads = config.max_open_uploads;
  registry_options.on_storage_event = [&audit_log, &webhook_sink](const registry::StorageEvent& event) {
    BERTH_LOG_WARN(
        "{} {}: {}",
        event.kind == registry::StorageEvent::Kind::quota_exceed ? "QUOTA_EXCEED" : "QUOTA_WARNING",
        event.repository, event.message);
    if (audit_log == nullptr) return;
    meta::AuditRecord record;
    record.time = std::chrono::system_clock::now();
    record.username = "system";
    record.operation =
        event.kind == registry::StorageEvent::Kind::quota_exceed ? "QUOTA_EXCEED" : "QUOTA_WARNING";
    record.resource_type = "quota";
    record.resource = event.repository + "@" + event.digest;
    record.project = event.project;
    record.result = event.kind == registry::StorageEvent::Kind::quota_exceed ? "failure" : "success";
    record.description = event.message;
    audit_log->audit(std::move(record));
    if (webhook_sink != nullptr) {
      webhook::Event hook;
      hook.type = event.kind == registry::StorageEvent::Kind::quota_exceed ? "QUOTA_EXCEED" : "QUOTA_WARNING";
      hook.project = event.project;
      hook.repository = event.repository;
      hook.digest = event.digest;
      hook.operator_name = "system";
      hook.extra["custom_attributes"] = boost::json::object{{"Details", event.message}};
      webhook_sink->notify(std::move(hook));
    }
  };
  registry_options.immutable_tag = [&immutability_rules](const std::string& repository,
                                                         const std::string& tag) -> base::Result<bool> {
    if (immutability_rules == nullptr) return false;
    return immutability_rules->is_immutable(repository, tag);
  };
  registry::Registry registry(*storage->blobs, *storage->metadata, registry_options);
  if (auto recovered = registry.recover(); !recovered) {
    BERTH_LOG_ERROR("recovery failed: {}", recovered.error().message);
    return 2;
  }

  auto registry_allowlist = iam::CidrList::parse(config.registry_allowlist);
  auto management_allowlist = iam::CidrList::parse(config.management_allowlist);
  if (!registry_allowlist || !management_allowlist) {
    BERTH_LOG_ERROR(
        "config access.*_allowlist: {}",
        (!registry_allowlist ? registry_allowlist.error() : management_allowlist.error()).message);
    return 2;
  }
  auto keys = iam::KeyRing::open(std::filesystem::path(config.data_dir) / "keys");
  if (!keys) {
    BERTH_LOG_ERROR("cannot open the token keys: {}", keys.error().message);
    return 2;
  }
  events::Activity activity(*storage->iam, *storage->metadata);
  audit_log = &activity;
  iam::Service iam(*storage->iam, *storage->metadata, activity, iam_options(config));
  if (!bootstrap_identity(iam, config)) return 2;
  policy::Immutability immutability(*storage->immutability, iam);
  immutability_rules = &immutability;

  // The plan: storage cap, requests in flight, scanning. Changed live (operator API, berth admin
  // plan set) and applied by the listeners below.
  plan::Current plan(plan_catalog(config), *storage->limits);
  http::RequestLimit request_limit(config.request_queue_wait);
  plan.on_change([&registry, &request_limit](const plan::Limits& limits) {
    registry.set_storage_cap(limits.storage, limits.name);
    request_limit.set_limit(limits.parallel_requests);
  });
  if (auto loaded = plan.load(config.plan); !loaded) {
    BERTH_LOG_ERROR("cannot load the plan: {}", loaded.error().message);
    return 2;
  }

  api::auth::Settings auth_settings;
  auth_settings.external_url = config.external_url;
  auth_settings.tls = !config.tls_certificate.empty();
  auth_settings.token_lifetime = config.token_lifetime;
  api::auth::Authenticator authenticator(iam, **keys, auth_settings);

  // Background work: the persistent job queue, its cron schedules, and the scanner.
  auto vulndb = vulndb::Database::open(vulndb_file(config));
  if (!vulndb) {
    BERTH_LOG_ERROR("cannot open the vulnerability database {}: {}", vulndb_file(config),
                    vulndb.error().message);
    return 2;
  }
  jobs::RunnerOptions runner_options;
  runner_options.workers = std::max(1u, config.job_workers);
  jobs::Runner runner(*storage->jobs, runner_options);
  jobs::Scheduler scheduler(runner);
  // Webhook deliveries run on workers of their own: a slow receiver holds only those.
  jobs::RunnerOptions webhook_runner_options;
  webhook_runner_options.workers = 4;
  webhook_runner_options.retry_base = std::chrono::seconds(2);
  webhook_runner_options.retry_max = std::chrono::minutes(1);
  webhook_runner_options.recover_node_jobs = false;  // the main runner recovers this node's jobs
  jobs::Runner webhook_runner(*storage->jobs, webhook_runner_options);
  webhook::Options webhook_options;
  webhook_options.external_host = url_host(config.external_url);
  webhook::Service webhooks(*storage->webhooks, *storage->iam, webhook_runner, webhook_options);
  if (auto s = webhooks.register_job(); !s) {
    BERTH_LOG_ERROR("cannot register webhooks: {}", s.error().message);
    return 2;
  }
  webhook_sink = &webhooks;
  scan::ServiceOptions scan_options;
  scan_options.on_scanned = [&webhooks](const std::string& repository, const std::string& digest,
                                        const std::string& error) {
    webhook::Event hook;
    hook.type = error.empty() ? "SCANNING_COMPLETED" : "SCANNING_FAILED";
    hook.repository = repository;
    hook.digest = digest;
    hook.operator_name = "auto";
    if (!error.empty()) hook.extra["custom_attributes"] = boost::json::object{{"Details", error}};
    webhooks.notify(std::move(hook));
  };
  scan_options.version = BERTH_VERSION;
  scan_options.vulndb_sources = config.vulndb_sources;
  scan_options.work_dir = std::filesystem::path(config.data_dir) / "tmp";
  if (!config.scanner_external_url.empty()) {
    // An external scanner pulls what it scans from here, with a short-lived pull token issued in
    // the name of the first administrator ("admin", as Harbor's).
    scan::ExternalOptions external;
    external.url = config.scanner_external_url;
    external.secret = config.scanner_external_secret;
    scan_options.external = std::make_shared<scan::ExternalScanner>(external);
    scan_options.registry_url =
        !config.external_url.empty()
            ? config.external_url
            : (config.tls_certificate.empty() ? "http://" : "https://") + config.listen;
    scan_options.authorization = [&iam, &authenticator](const std::string& repository) -> std::string {
      auto admin = iam.principal_by_name("admin");
      if (!admin) return {};
      // issue_token answers with Docker's token response: {"token": ..., "expires_in": ...}.
      boost::system::error_code ec;
      auto body = boost::json::parse(
          authenticator.issue_token(*admin, {iam::Access{"repository", repository, {"pull"}}}), ec);
      const auto* token = !ec && body.is_object() ? body.get_object().if_contains("token") : nullptr;
      if (token == nullptr || !token->is_string()) return {};
      return "Bearer " + std::string(token->get_string());
    };
    BERTH_LOG_INFO("scanning with the external scanner at {}", config.scanner_external_url);
  }
  scan::Service scanner(registry, *storage->metadata, *storage->scans, **vulndb, runner, scan_options);
  if (auto s = jobs::register_job_purge(runner, std::chrono::hours(24 * 14)); !s) {
    BERTH_LOG_ERROR("cannot register the job purge: {}", s.error().message);
    return 2;
  }
  if (auto s = scanner.register_jobs(); !s) {
    BERTH_LOG_ERROR("cannot register the scan jobs: {}", s.error().message);
    return 2;
  }
  if (auto s = gc::register_job(runner, registry, gc::JobOptions{config.gc_grace, config.upload_max_age});
      !s) {
    BERTH_LOG_ERROR("cannot register garbage collection: {}", s.error().message);
    return 2;
  }
  retention::Options retention_options;
  retention_options.on_finished = [&webhooks, &iam_db = *storage->iam](
                                      const meta::RetentionExecutionRecord& execution,
                                      std::int64_t project_id, std::size_t deleted) {
    auto project = iam_db.get_project(project_id);
    if (!project || !*project) return;
    webhook::Event hook;
    hook.type = "TAG_RETENTION";
    hook.project = (*project)->name;
    hook.operator_name = "system";
    hook.extra["retention"] = boost::json::object{{"total", deleted},
                                                  {"retained", 0},
                                                  {"status", execution.status},
                                                  {"execution_id", execution.id},
                                                  {"dry_run", execution.dry_run},
                                                  {"project_name", (*project)->name}};
    webhooks.notify(std::move(hook));
  };
  retention::Service retention(*storage->retention, *storage->metadata, registry, immutability, iam, runner,
                               scheduler, retention_options);
  if (auto s = retention.register_job(); !s) {
    BERTH_LOG_ERROR("cannot register tag retention: {}", s.error().message);
    return 2;
  }
  auto secrets = base::SecretBox::open(std::filesystem::path(config.data_dir) / "keys" / "secrets.key");
  if (!secrets) {
    BERTH_LOG_ERROR("cannot open the secret key: {}", secrets.error().message);
    return 2;
  }
  replication::Registries registries(*storage->replication, std::move(*secrets));
  replication::Options replication_options;
  if (auto admin = storage->iam->find_user("admin"); admin && *admin)
    replication_options.owner_id = (*admin)->id;
  replication_options.on_finished = [&webhooks](const replication::Policy& policy,
                                                const meta::ReplicationExecutionRecord& execution,
                                                const std::vector<std::string>& projects) {
    for (const auto& project : projects) {
      webhook::Event hook;
      hook.type = "REPLICATION";
      hook.project = project;
      hook.operator_name = execution.trigger;
      hook.extra["replication"] = boost::json::object{
          {"harbor_hostname", ""},        {"job_status", execution.status},    {"policy_name", policy.name},
          {"execution_id", execution.id}, {"trigger_type", execution.trigger}, {"total", execution.total},
          {"succeed", execution.succeed}, {"failed", execution.failed}};
      webhooks.notify(std::move(hook));
    }
  };
  replication::Service replication(*storage->replication, registries, registry, *storage->iam,
                                   *storage->labels, runner, scheduler, replication_options);
  if (auto s = replication.register_job(); !s) {
    BERTH_LOG_ERROR("cannot register replication: {}", s.error().message);
    return 2;
  }
  proxy::Cache proxy(registry, registries);
  {
    meta::ListQuery all;
    all.limit = 0;
    auto projects = storage->iam->list_projects(all, std::nullopt, false);
    if (!projects) {
      BERTH_LOG_ERROR("cannot list the projects: {}", projects.error().message);
      return 2;
    }
    for (const auto& project : projects->items) {
      auto it = project.metadata.find("registry_id");
      if (it != project.metadata.end()) proxy.set_project(project.name, std::atoll(it->second.c_str()));
    }
  }
  if (config.backup_dir.empty() && !config.backup_schedule.empty()) {
    BERTH_LOG_ERROR("config backup.schedule needs backup.dir");
    return 2;
  }
  const backup::Sources backup_sources{*storage->metadata,
                                       *storage->blobs,
                                       std::filesystem::path(config.data_dir) / "keys",
                                       BERTH_VERSION,
                                       {}};
  // Exports and imports through the operator API: into and from backup.dir/exports.
  layout::JobSources transfer_sources{layout::Catalog{*storage->metadata,
                                                      *storage->iam,
                                                      *storage->limits,
                                                      *storage->immutability,
                                                      *storage->retention,
                                                      {},
                                                      {},
                                                      storage->labels.get(),
                                                      storage->webhooks.get()},
                                      *storage->blobs, registry, replication_options.owner_id,
                                      config.backup_dir};
  if (!config.backup_dir.empty()) {
    if (auto s = backup::register_job(runner, backup_sources,
                                      backup::JobOptions{config.backup_dir, config.backup_keep});
        !s) {
      BERTH_LOG_ERROR("cannot register backups: {}", s.error().message);
      return 2;
    }
    if (auto s = layout::register_jobs(runner, transfer_sources); !s) {
      BERTH_LOG_ERROR("cannot register exports and imports: {}", s.error().message);
      return 2;
    }
  }
  policy::SignatureGate signature_gate(*storage->metadata, *storage->blobs);
  policy::PullGate pull_gate(iam, *storage->scans, &signature_gate);
  api::oci::Options oci_options;
  oci_options.pull_policy_may_apply = [&pull_gate](const std::string& repository) {
    return pull_gate.may_apply(repository);
  };
  oci_options.pull_gate = [&pull_gate](const policy::PullCheck& pull) { return pull_gate.check(pull); };
  // Scan on push (project metadata auto_scan; auto_sbom_generation adds an SBOM).
  oci_options.proxied = [&proxy](const std::string& repository) { return proxy.proxied(repository); };
  oci_options.proxy_manifest = [&proxy](const std::string& repository, const std::string& reference) {
    return proxy.manifest(repository, reference);
  };
  oci_options.proxy_blob = [&proxy](const std::string& repository, const std::string& digest) {
    return proxy.fetch_blob(repository, digest);
  };
  oci_options.on_artifact_event = [&webhooks](const char* type, const std::string& repository,
                                              const std::string& digest, const std::string& tag,
                                              const std::string& operator_name) {
    if (!webhooks.wants(type)) return;  // every pull passes here: nothing built for nobody
    webhook::Event hook;
    hook.type = type;
    hook.repository = repository;
    hook.digest = digest;
    hook.tag = tag;
    hook.operator_name = operator_name;
    webhooks.notify(std::move(hook));
  };
  oci_options.on_manifest_deleted = [&replication](const std::string& repository, const std::string& digest) {
    replication.on_delete(repository, digest);
  };
  oci_options.on_manifest_pushed = [&iam, &scanner, &plan, &replication](const std::string& repository,
                                                                         const std::string& digest,
                                                                         const std::string& reference) {
    replication.on_push(repository, digest, reference == digest ? std::string() : reference);
    if (!plan.get().scanning) return;
    auto project = iam.project(repository.substr(0, repository.find('/')));
    if (!project) return;
    const auto& metadata = project->metadata;
    auto on = [&](const char* key) {
      auto it = metadata.find(key);
      return it != metadata.end() && it->second == "true";
    };
    if (!on("auto_scan") && !on("auto_sbom_generation")) return;
    auto queued = scanner.request_scan(repository, digest, on("auto_sbom_generation"));
    if (!queued && queued.error().code != base::Errc::unsupported)
      BERTH_LOG_WARN("scan on push of {}@{}: {}", repository, digest, queued.error().message);
  };
  api::rest::Context rest{iam,
                          registry,
                          *storage->metadata,
                          activity,
                          BERTH_VERSION,
                          config.external_url,
                          !config.tls_certificate.empty(),
                          config.session_lifetime};
  rest.jobs = &runner;
  rest.scanner = &scanner;
  rest.scans = storage->scans.get();
  rest.scheduler = &scheduler;
  artifact::Inspector artifacts(registry);
  rest.artifacts = &artifacts;
  rest.labels = storage->labels.get();
  rest.limits = storage->limits.get();
  rest.plan = &plan;
  rest.default_project_storage = config.default_project_storage;
  rest.immutability = &immutability;
  rest.retention = &retention;
  rest.retention_tasks = storage->retention.get();
  rest.registries = &registries;
  rest.replication = &replication;
  rest.replication_tasks = storage->replication.get();
  rest.proxy = &proxy;
  rest.webhooks = &webhooks;
  rest.webhook_records = storage->webhooks.get();

  const std::string registry_denied =
      R"({"errors":[{"code":"DENIED","message":"requests from this address are not allowed"}]})";
  const std::string management_denied =
      R"({"errors":[{"code":"FORBIDDEN","message":"requests from this address are not allowed"}]})";
  http::Router router;
  http::Handler oci = with_allowlist(
      *registry_allowlist, registry_denied,
      http::with_request_limit(
          request_limit,
          R"({"errors":[{"code":"TOOMANYREQUESTS","message":"too many requests in flight for the registry's plan; retry shortly"}]})",
          api::oci::make_handler(registry, authenticator, activity, oci_options)));
  router.add("/v2/", oci);
  router.add("/v2", oci);
  router.add("/service/token", with_allowlist(*registry_allowlist, registry_denied,
                                              api::auth::make_token_handler(authenticator)));
  http::Handler management = with_allowlist(
      *management_allowlist, management_denied,
      http::with_request_limit(
          request_limit,
          R"({"errors":[{"code":"TOO_MANY_REQUESTS","message":"too many requests in flight for the registry's plan; retry shortly"}]})",
          api::rest::make_handler(rest)));
  router.add("/api/v2.0/", management);
  router.add("/c/",
             with_allowlist(*management_allowlist, management_denied, api::rest::make_session_handler(rest)));
  router.add("/healthz", health_handler(registry));
  // Everything else is the portal's (its assets, and index.html for its own routes).
  router.add("/", with_allowlist(*management_allowlist, management_denied, api::portal::make_handler()));
  if (config.scanner_adapter_enabled) {
    // Harbor's pluggable scanner API: Berth as a scanner Harbor can register.
    api::scanner::Options adapter;
    adapter.database = vulndb->get();  // the scanner's database, opened above
    adapter.secret = config.scanner_adapter_secret;
    adapter.version = BERTH_VERSION;
    adapter.remote.temp_dir = std::filesystem::path(config.data_dir) / "uploads";
    if (adapter.secret.empty()) BERTH_LOG_WARN("scanner.adapter.enabled without a scanner.adapter.secret");
    router.add("/api/v1/",
               with_allowlist(*management_allowlist,
                              R"({"error":{"message":"requests from this address are not allowed"}})",
                              api::scanner::make_handler(std::move(adapter))));
  }

  http::ServerOptions options;
  options.address = address->first;
  options.port = address->second;
  options.tls_certificate = config.tls_certificate;
  options.tls_private_key = config.tls_private_key;
  options.io_threads = config.io_threads;
  options.blocking_threads = config.blocking_threads;
  options.max_header_bytes = config.max_header_bytes;
  options.max_body_bytes = config.max_body_bytes;
  options.max_connections = config.max_connections;
  options.idle_timeout = config.idle_timeout;
  options.header_timeout = config.header_timeout;
  options.body_timeout = config.body_timeout;
  options.min_body_rate = config.min_body_rate;
  options.send_timeout = config.send_timeout;
  options.min_send_rate = config.min_send_rate;
  options.hsts_max_age = config.hsts_max_age;
  options.shutdown_grace = config.shutdown_grace;
  http::Server server(options, http::with_request_id(http::with_access_log(router.handler())));
  if (auto listening = server.listen(); !listening) {
    BERTH_LOG_ERROR("cannot listen on {}: {}", config.listen, listening.error().message);
    return 2;
  }
  BERTH_LOG_INFO("berth serving on {}:{} ({}), data in {}", options.address, server.port(),
                 options.tls_certificate.empty() ? "http" : "https", config.data_dir);
  if (auto s = runner.start(); !s) {
    BERTH_LOG_ERROR("cannot start the job runner: {}", s.error().message);
    return 2;
  }
  if (auto s = webhook_runner.start(); !s) {
    BERTH_LOG_ERROR("cannot start the webhook runner: {}", s.error().message);
    return 2;
  }
  if (!config.vulndb_update_schedule.empty()) {
    jobs::ScheduleSpec update{"vulndb_update", config.vulndb_update_schedule, scan::kDbUpdateJob, "{}", 1};
    if (auto s = scheduler.set(update); !s) {
      BERTH_LOG_ERROR("config vulndb.update_schedule: {}", s.error().message);
      return 2;
    }
  } else if (auto s = scheduler.remove("vulndb_update"); !s && s.error().code != base::Errc::not_found) {
    BERTH_LOG_WARN("cannot remove the vulndb update schedule: {}", s.error().message);
  }
  if (!config.backup_schedule.empty()) {
    jobs::ScheduleSpec scheduled{backup::kScheduleName, config.backup_schedule, backup::kJobKind,
                                 backup::job_payload("SCHEDULE"), 1};
    if (auto s = scheduler.set(scheduled); !s) {
      BERTH_LOG_ERROR("config backup.schedule: {}", s.error().message);
      return 2;
    }
  } else if (auto s = scheduler.remove(backup::kScheduleName);
             !s && s.error().code != base::Errc::not_found) {
    BERTH_LOG_WARN("cannot remove the backup schedule: {}", s.error().message);
  }
  if (auto s = jobs::schedule_job_purge(scheduler); !s)
    BERTH_LOG_WARN("job purge schedule: {}", s.error().message);
  scheduler.start();
  // At start: import the configured sources and notice imports made while the server was down.
  if (auto s = scanner.request_db_update(); !s)
    BERTH_LOG_WARN("vulnerability database update: {}", s.error().message);
  // The operator API, when configured, on its own listener.
  std::unique_ptr<api::operator_api::Context> operator_context;
  std::unique_ptr<http::Server> operator_server;
  if (!config.operator_listen.empty()) {
    auto operator_address = split_listen_address(config.operator_listen);
    auto token = read_secret_file(config.operator_token_file);
    if (!operator_address || !token) {
      BERTH_LOG_ERROR("operator API: {}",
                      (!operator_address ? operator_address.error() : token.error()).message);
      return 2;
    }
    operator_context.reset(new api::operator_api::Context{
        *token, config.external_url.empty() ? config.listen : config.external_url, BERTH_VERSION, plan,
        *storage->metadata, registry, config.backup_dir.empty() ? nullptr : &runner, config.backup_dir,
        config.backup_schedule, config.backup_keep, config.backup_dir.empty() ? nullptr : &transfer_sources});
    http::ServerOptions operator_options;
    operator_options.address = operator_address->first;
    operator_options.port = operator_address->second;
    operator_options.io_threads = 1;
    operator_options.blocking_threads = 1;
    operator_options.max_connections = 64;
    operator_server = std::make_unique<http::Server>(
        operator_options, http::with_access_log(api::operator_api::make_handler(*operator_context)));
    if (auto listening = operator_server->listen(); !listening) {
      BERTH_LOG_ERROR("cannot listen on {} (operator API): {}", config.operator_listen,
                      listening.error().message);
      return 2;
    }
    BERTH_LOG_INFO("operator API on {}:{}", operator_options.address, operator_server->port());
  }
  {
    UploadPurger purger(registry, config.upload_max_age, config.upload_purge_interval);
    AuditPurger audit_purger(*storage->iam, config.audit_max_age);
    PlanWatcher plan_watcher(plan);
    std::jthread operator_thread;
    if (operator_server) operator_thread = std::jthread([&] { operator_server->run(false); });
    server.run(true);
    if (operator_server) operator_server->stop();
  }
  scheduler.stop();
  webhook_sink = nullptr;
  webhook_runner.stop();
  runner.stop();
  activity.flush();
  BERTH_LOG_INFO("berth stopped");
  return 0;
}

}  // namespace berth::app
