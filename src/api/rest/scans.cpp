// Vulnerability scanning in Harbor's API: scan an artifact, its report and SBOM
// ("additions"), the system CVE allowlist, and scan-all with its metrics. The scanner itself
// is scan::Service; results come from meta::ScanDatabase.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include "api/rest/content.h"
#include "api/rest/scan_shapes.h"
#include "jobs/scheduler.h"
#include "plan/plan.h"
#include "scan/formats.h"
#include "scan/service.h"

namespace berth::api::rest {
namespace {

namespace json = boost::json;
namespace resource = iam::resource;
namespace action = iam::action;

constexpr const char* kScanAllSchedule = "scan_all";

// 503 while the server runs without a scanner (unit tests of the API); 403 on a plan without
// scanning.
std::optional<http::Response> scanner_missing(const Call& call) {
  if (call.context.scanner == nullptr || call.context.scans == nullptr || call.context.scheduler == nullptr)
    return error_response(503, "vulnerability scanning is not available");
  if (call.context.plan != nullptr) {
    const plan::Limits plan = call.context.plan->get();
    if (!plan.scanning)
      return error_response(
          403, "vulnerability scanning is not in your plan (" + plan.name + "): it comes with plans M and L");
  }
  return std::nullopt;
}

struct Target {
  meta::Project project;
  std::string digest;
};

// The project and the digest of the artifact that {project_name} and {reference} name, once the
// caller is found to have one of `needs` there; else the response that refuses.
base::Result<Target, http::Response> authorized_target(Call& call, const std::string& repository,
                                                       std::initializer_list<iam::Permission> needs) {
  auto project = authorize_project(call, call.param("project_name"), needs);
  if (!project) return std::move(project).error();
  const std::string& reference = call.param("reference");
  if (reference.find(':') != std::string::npos) return Target{std::move(*project), reference};
  auto resolved = call.context.metadata.resolve_tag(repository, reference);
  if (!resolved) return metadata_error("resolve tag", resolved.error());
  if (!*resolved) return error_response(404, "artifact " + repository + ":" + reference + " not found");
  return Target{std::move(*project), std::move(**resolved)};
}

// POST .../artifacts/{reference}/scan, body {"scan_type": "vulnerability" | "sbom"} (optional).
Awaitable scan_artifact(Call& call) {
  if (auto missing = scanner_missing(call)) co_return *missing;
  auto repository = full_repository_name(call);
  if (!repository) co_return std::move(repository).error();
  bool sbom = false;
  const auto length = call.request().content_length;
  const bool chunked = call.request().headers.get("Transfer-Encoding").has_value();
  if ((length && *length > 0) || chunked) {
    auto body = co_await read_json_object(call);
    if (!body) co_return std::move(body).error();
    auto type = string_member(*body, "scan_type");
    if (!type) co_return std::move(type).error();
    if (*type && **type != "vulnerability" && **type != "sbom")
      co_return error_response(400, "scan_type must be vulnerability or sbom");
    sbom = *type && **type == "sbom";
  }
  co_return co_await blocking(call, [&]() -> http::Response {
    auto target = authorized_target(call, *repository, {{resource::scan, action::create}});
    if (!target) return std::move(target).error();
    auto queued = call.context.scanner->request_scan(*repository, target->digest, sbom);
    if (!queued) {
      const auto& e = queued.error();
      if (e.code == base::Errc::not_found) return error_response(404, e.message);
      if (e.code == base::Errc::unsupported || e.code == base::Errc::invalid_argument)
        return error_response(400, e.message);
      return internal_error("scan artifact", e);
    }
    call.context.iam.audit(call.caller, "create", "scan", *repository + "@" + target->digest,
                           target->project.name, true, sbom ? "sbom" : "vulnerability");
    return empty_response(202);
  });
}

// GET .../artifacts/{reference}/additions/vulnerabilities: {"<report mime type>": report},
// or {} when the artifact has no finished scan.
Awaitable artifact_vulnerabilities(Call& call) {
  if (auto missing = scanner_missing(call)) co_return *missing;
  auto repository = full_repository_name(call);
  if (!repository) co_return std::move(repository).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto target = authorized_target(
        call, *repository, {{resource::artifact, action::read}, {resource::repository, action::pull}});
    if (!target) return std::move(target).error();
    const std::string& digest = target->digest;
    auto record = call.context.scans->get_scan(digest, meta::ScanDetail::full);
    if (!record) return internal_error("read scan", record.error());
    json::object out;
    if (*record && (*record)->status == "Success" && !(*record)->report.empty()) {
      boost::system::error_code ec;
      json::value report = json::parse((*record)->report, ec);
      if (!ec) out[scan::kHarborReportMediaType] = std::move(report);
    }
    return json_response(200, out);
  });
}

// GET .../artifacts/{reference}/additions/sbom[?format=cyclonedx|spdx]: the SBOM document
// of the artifact's SBOM accessory (CycloneDX unless SPDX is asked for).
Awaitable artifact_sbom(Call& call) {
  if (auto missing = scanner_missing(call)) co_return *missing;
  auto repository = full_repository_name(call);
  if (!repository) co_return std::move(repository).error();
  const std::string format(call.request().query_param("format").value_or("cyclonedx"));
  if (format != "cyclonedx" && format != "spdx")
    co_return error_response(400, "format must be cyclonedx or spdx");
  co_return co_await blocking(call, [&]() -> http::Response {
    auto target = authorized_target(
        call, *repository, {{resource::artifact, action::read}, {resource::repository, action::pull}});
    if (!target) return std::move(target).error();
    const std::string& digest = target->digest;
    auto record = call.context.scans->get_scan(digest, meta::ScanDetail::overview);
    if (!record) return internal_error("read scan", record.error());
    if (!*record || (*record)->sbom_digest.empty())
      return error_response(404, "artifact " + *repository + "@" + digest + " has no SBOM");
    auto content = call.context.registry.get_manifest(*repository, (*record)->sbom_digest);
    if (!content) return registry_error("read sbom", content.error());
    auto manifest = oci::parse_manifest(*content->body, content->media_type);
    if (!manifest) return registry_error("read sbom", manifest.error());
    const std::string_view wanted = format == "spdx" ? scan::kSpdxMediaType : scan::kCycloneDxMediaType;
    for (const auto& layer : manifest->layers) {
      if (layer.media_type != wanted) continue;
      auto reader = call.context.registry.open_blob(*repository, layer.digest);
      if (!reader) return registry_error("read sbom", reader.error());
      std::string body(reader->size, '\0');
      std::size_t done = 0;
      while (done < body.size()) {
        const ssize_t n =
            ::pread(reader->fd.get(), body.data() + done, body.size() - done, static_cast<off_t>(done));
        if (n <= 0) return internal_error("read sbom", base::make_error(base::Errc::io_error, "short read"));
        done += static_cast<std::size_t>(n);
      }
      http::Response response;
      response.status = 200;
      response.headers.set("Content-Type", std::string(wanted));
      response.body = std::move(body);
      return response;
    }
    return error_response(404,
                          "the SBOM of " + *repository + "@" + digest + " has no " + format + " document");
  });
}

// GET .../artifacts/{reference}/scan/{report_id}/log: what the scan of the artifact did, as
// text (its start, then its findings or the reason it failed). The report id is the one the
// scan overview gives.
Awaitable scan_log(Call& call) {
  if (auto missing = scanner_missing(call)) co_return *missing;
  auto repository = full_repository_name(call);
  if (!repository) co_return std::move(repository).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    auto target = authorized_target(call, *repository, {{resource::scan, action::read}});
    if (!target) return std::move(target).error();
    const std::string& digest = target->digest;
    auto record = call.context.scans->get_scan(digest, meta::ScanDetail::overview);
    if (!record) return internal_error("read scan", record.error());
    if (!*record || (*record)->digest != call.param("report_id"))
      return error_response(404, "no scan report " + std::string(call.param("report_id")) + " for " +
                                     *repository + "@" + digest);
    const meta::ScanRecord& r = **record;
    std::string log = format_time(r.started) + " [INFO] scan of " + *repository + "@" + digest + "\n";
    const bool done = r.finished.time_since_epoch().count() != 0;
    const std::string at = done ? format_time(r.finished) : format_time(r.started);
    if (r.status == "Error") {
      log += at + " [ERROR] " + r.error + "\n";
    } else if (r.status == "Success") {
      log += at + " [INFO] finished with database version " + std::to_string(r.db_version) + ": " +
             r.summary + "\n";
    } else {
      log += at + " [INFO] " + r.status + "\n";
    }
    http::Response response;
    response.status = 200;
    response.headers.set("Content-Type", "text/plain; charset=utf-8");
    response.body = std::move(log);
    return response;
  });
}

// GET /system/CVEAllowlist
Awaitable get_system_allowlist(Call& call) {
  if (auto missing = scanner_missing(call)) co_return *missing;
  co_return co_await blocking(call, [&]() -> http::Response {
    auto list = call.context.scans->get_allowlist(0);
    if (!list) return internal_error("read allowlist", list.error());
    return json_response(200, allowlist_json(*list));
  });
}

// PUT /system/CVEAllowlist (system administrators)
Awaitable put_system_allowlist(Call& call) {
  if (auto missing = scanner_missing(call)) co_return *missing;
  if (!call.caller.principal.sysadmin)
    co_return error_response(403, "only system administrators may do this");
  auto body = co_await read_json_object(call);
  if (!body) co_return std::move(body).error();
  auto list = parse_allowlist(*body, 0);
  if (!list) co_return std::move(list).error();
  co_return co_await blocking(call, [&]() -> http::Response {
    if (auto s = call.context.scans->put_allowlist(*list); !s)
      return internal_error("write allowlist", s.error());
    call.context.iam.audit(call.caller, "update", "cve_allowlist", "system", "", true);
    return empty_response(200);
  });
}

json::object schedule_json(const std::optional<meta::Schedule>& schedule) {
  json::object inner;
  if (!schedule) {
    inner["type"] = "None";
    inner["cron"] = "";
  } else {
    inner["type"] = "Custom";
    inner["cron"] = schedule->cron;
    if (schedule->next_run) inner["next_scheduled_time"] = format_time(*schedule->next_run);
  }
  return json::object{{"schedule", std::move(inner)}};
}

// GET /system/scanAll/schedule
Awaitable get_scan_all_schedule(Call& call) {
  if (auto missing = scanner_missing(call)) co_return *missing;
  if (!call.caller.principal.sysadmin)
    co_return error_response(403, "only system administrators may do this");
  co_return co_await blocking(call, [&]() -> http::Response {
    auto schedule = call.context.scheduler->get(kScanAllSchedule);
    if (!schedule) return internal_error("read schedule", schedule.error());
    return json_response(200, schedule_json(*schedule));
  });
}

// POST or PUT /system/scanAll/schedule: {"schedule": {"type": "Manual"|"None"|"Hourly"|
// "Daily"|"Weekly"|"Custom", "cron": "0 0 * * * *"}}. Manual runs a scan of everything now.
Awaitable set_scan_all_schedule(Call& call) {
  if (auto missing = scanner_missing(call)) co_return *missing;
  if (!call.caller.principal.sysadmin)
    co_return error_response(403, "only system administrators may do this");
  auto body = co_await read_json_object(call);
  if (!body) co_return std::move(body).error();
  auto requested = parse_schedule(*body);
  if (!requested) co_return std::move(requested).error();
  const std::string kind = requested->type;
  const std::string spec = requested->cron;
  co_return co_await blocking(call, [&]() -> http::Response {
    if (kind == "Manual") {
      if (auto s = call.context.scanner->request_scan_all(); !s) return internal_error("scan all", s.error());
      call.context.iam.audit(call.caller, "create", "scan_all", "manual", "", true);
      return empty_response(201);
    }
    if (kind == "None") {
      if (auto s = call.context.scheduler->remove(kScanAllSchedule);
          !s && s.error().code != base::Errc::not_found)
        return internal_error("delete schedule", s.error());
      return empty_response(200);
    }
    jobs::ScheduleSpec wanted;
    wanted.name = kScanAllSchedule;
    wanted.cron = spec;
    wanted.kind = scan::kScanAllJob;
    wanted.max_attempts = 1;
    auto stored = call.context.scheduler->set(wanted);
    if (!stored) {
      if (stored.error().code == base::Errc::invalid_argument)
        return error_response(400, stored.error().message);
      return internal_error("set schedule", stored.error());
    }
    call.context.iam.audit(call.caller, "update", "scan_all", spec, "", true);
    return empty_response(call.request().method == http::Method::post ? 201 : 200);
  });
}

// GET /scans/all/metrics and /scans/schedule/metrics: results by status.
Awaitable scan_metrics(Call& call) {
  if (auto missing = scanner_missing(call)) co_return *missing;
  co_return co_await blocking(call, [&]() -> http::Response {
    auto counts = call.context.scans->count_by_status();
    if (!counts) return internal_error("count scans", counts.error());
    std::int64_t total = 0, completed = 0;
    json::object metrics;
    for (const auto& [status, n] : *counts) {
      metrics[status] = n;
      total += n;
      if (status == "Success" || status == "Error") completed += n;
    }
    return json_response(200, json::object{{"total", total},
                                           {"completed", completed},
                                           {"metrics", std::move(metrics)},
                                           {"ongoing", completed < total},
                                           {"trigger", "Manual"}});
  });
}

// GET /vulndb: the vulnerability database's version and sources (Berth's addition).
Awaitable vulndb_info(Call& call) {
  if (auto missing = scanner_missing(call)) co_return *missing;
  co_return co_await blocking(call, [&]() -> http::Response {
    auto info = call.context.scanner->database_info();
    if (!info) return internal_error("vulndb info", info.error());
    json::array sources;
    for (const auto& s : info->sources) {
      sources.push_back(json::object{{"name", s.name},
                                     {"location", s.location},
                                     {"package_advisories", s.affected_rows},
                                     {"vulnerabilities", s.vulnerabilities},
                                     {"imported_at", format_time(std::chrono::system_clock::time_point(
                                                         std::chrono::milliseconds(s.imported_at_ms)))}});
    }
    return json_response(200,
                         json::object{{"version", info->version},
                                      {"updated_at", format_time(std::chrono::system_clock::time_point(
                                                         std::chrono::milliseconds(info->updated_at_ms)))},
                                      {"sources", std::move(sources)}});
  });
}

// POST /vulndb/update: imports the configured sources again now and refreshes the results
// a change concerns (system administrators; Berth's addition).
Awaitable vulndb_update(Call& call) {
  if (auto missing = scanner_missing(call)) co_return *missing;
  if (!call.caller.principal.sysadmin)
    co_return error_response(403, "only system administrators may do this");
  co_return co_await blocking(call, [&]() -> http::Response {
    if (auto s = call.context.scanner->request_db_update(); !s)
      return internal_error("vulndb update", s.error());
    call.context.iam.audit(call.caller, "create", "vulndb_update", "manual", "", true);
    return empty_response(202);
  });
}

}  // namespace

std::vector<Route> scan_routes() {
  using http::Method;
  const std::string artifact =
      "/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}";
  return {
      {Method::post, artifact + "/scan", scan_artifact},
      {Method::get, artifact + "/additions/vulnerabilities", artifact_vulnerabilities, true},
      {Method::get, artifact + "/additions/sbom", artifact_sbom, true},
      {Method::get, artifact + "/scan/{report_id}/log", scan_log, true},
      {Method::get, "/system/CVEAllowlist", get_system_allowlist},
      {Method::put, "/system/CVEAllowlist", put_system_allowlist},
      {Method::get, "/system/scanAll/schedule", get_scan_all_schedule},
      {Method::post, "/system/scanAll/schedule", set_scan_all_schedule},
      {Method::put, "/system/scanAll/schedule", set_scan_all_schedule},
      {Method::get, "/scans/all/metrics", scan_metrics},
      {Method::get, "/scans/schedule/metrics", scan_metrics},
      {Method::get, "/vulndb", vulndb_info},
      {Method::post, "/vulndb/update", vulndb_update},
  };
}

}  // namespace berth::api::rest
