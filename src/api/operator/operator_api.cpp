#include "api/operator/operator_api.h"

#include <openssl/crypto.h>

#include <boost/json.hpp>

#include "api/rest/plan_shape.h"
#include "backup/backup_job.h"
#include "base/time.h"
#include "http/body.h"
#include "layout/transfer_jobs.h"

namespace berth::api::operator_api {
namespace {

namespace json = boost::json;

http::Response reply(int status, const json::value& body) {
  http::Response response;
  response.status = status;
  response.headers.set("Content-Type", "application/json");
  response.body = json::serialize(body);
  return response;
}

http::Response failure(int status, std::string_view code, std::string_view message) {
  return reply(status,
               json::object{{"errors", json::array{json::object{{"code", code}, {"message", message}}}}});
}

bool authorized(const Context& context, const http::Request& request) {
  auto header = request.headers.get("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (!header || header->size() <= kBearer.size() || header->substr(0, kBearer.size()) != kBearer)
    return false;
  const std::string_view given = header->substr(kBearer.size());
  return given.size() == context.token.size() && !context.token.empty() &&
         CRYPTO_memcmp(given.data(), context.token.data(), given.size()) == 0;
}

json::object run_json(const meta::Job& job) {
  json::object out{{"id", job.id},
                   {"status", meta::harbor_job_status(job.state)},
                   {"creation_time", base::format_rfc3339_millis(job.created)},
                   {"log", job.progress}};
  boost::system::error_code ec;
  auto payload = json::parse(job.payload, ec);
  const json::value* trigger =
      !ec && payload.is_object() ? payload.get_object().if_contains("trigger") : nullptr;
  out["trigger"] = trigger != nullptr && trigger->is_string() ? trigger->get_string() : "MANUAL";
  if (job.started) out["start_time"] = base::format_rfc3339_millis(*job.started);
  if (job.finished) out["end_time"] = base::format_rfc3339_millis(*job.finished);
  if (!job.error.empty()) out["error"] = job.error;
  return out;
}

json::object backup_json(const backup::Summary& summary) {
  return json::object{{"name", summary.name},
                      {"created", base::format_rfc3339_millis(summary.created)},
                      {"berth_version", summary.berth_version},
                      {"blobs", summary.blobs},
                      {"bytes", summary.bytes}};
}

// GET <prefix>{id}: a run of kind `kind` or `other_kind`.
boost::asio::awaitable<http::Response> run_by_id(Context& context, http::Exchange& exchange,
                                                 std::string_view prefix, std::string_view kind,
                                                 std::string_view other_kind) {
  const http::Request& request = exchange.request();
  if (request.method != http::Method::get) co_return failure(405, "METHOD_NOT_ALLOWED", "GET");
  std::int64_t id = 0;
  const std::string_view text = std::string_view(request.path).substr(prefix.size());
  for (char ch : text) {
    if (ch < '0' || ch > '9' || id > (std::int64_t{1} << 50))
      co_return failure(404, "NOT_FOUND", "no such run");
    id = id * 10 + (ch - '0');
  }
  base::Result<std::optional<meta::Job>> job = std::optional<meta::Job>();
  co_await exchange.run_blocking([&] { job = context.jobs->database().get_job(id); });
  if (!job) co_return failure(500, "UNKNOWN", "reading the run failed");
  if (!job->has_value() || ((*job)->kind != kind && (*job)->kind != other_kind))
    co_return failure(404, "NOT_FOUND", "no such run");
  co_return reply(200, run_json(**job));
}

// GET and POST /operator/v1/exports, POST /operator/v1/imports, GET /operator/v1/exports/runs/{id}.
boost::asio::awaitable<http::Response> transfers(Context& context, http::Exchange& exchange) {
  const http::Request& request = exchange.request();
  constexpr std::string_view kRuns = "/operator/v1/exports/runs/";
  if (context.transfers == nullptr || context.jobs == nullptr)
    co_return failure(409, "CONFLICT",
                      "exports are off: set backup.dir in the configuration (exports go under it)");
  if (request.path.starts_with(kRuns))
    co_return co_await run_by_id(context, exchange, kRuns, layout::kExportJob, layout::kImportJob);
  const bool exporting = request.path == "/operator/v1/exports";
  if (!exporting && request.path != "/operator/v1/imports")
    co_return failure(404, "NOT_FOUND", "no such operator endpoint");
  if (request.method == http::Method::post) {
    auto body = co_await http::read_small_body(exchange, 64 * 1024);
    boost::system::error_code ec;
    json::value parsed =
        body.text && !body.text->empty() ? json::parse(*body.text, ec) : json::value(json::object{});
    if (ec || !parsed.is_object()) co_return failure(400, "BAD_REQUEST", "the body must be a JSON object");
    const auto* field = parsed.as_object().if_contains(exporting ? "project" : "dir");
    const std::string value = field != nullptr && field->is_string() ? std::string(field->as_string()) : "";
    std::string payload;
    if (exporting) {
      payload = layout::export_payload(value);
    } else {
      auto checked = layout::import_payload(*context.transfers, value.empty() ? "" : "exports/" + value);
      if (value.empty() || value.find('/') != std::string::npos || !checked)
        co_return failure(400, "BAD_REQUEST", "name an export of GET /operator/v1/exports in \"dir\"");
      payload = *checked;
    }
    base::Result<meta::Enqueued> enqueued = meta::Enqueued{};
    co_await exchange.run_blocking([&] {
      enqueued = context.jobs->enqueue(
          meta::NewJob{exporting ? layout::kExportJob : layout::kImportJob, payload, std::nullopt, {}, 1});
    });
    if (!enqueued) co_return failure(500, "UNKNOWN", "starting the job failed");
    http::Response response = reply(202, json::object{{"id", enqueued->id}});
    response.headers.set("Location", std::string(kRuns) + std::to_string(enqueued->id));
    co_return response;
  }
  if (!exporting || request.method != http::Method::get)
    co_return failure(405, "METHOD_NOT_ALLOWED", "GET or POST");
  base::Result<meta::Listing<meta::Job>> runs = meta::Listing<meta::Job>{};
  std::vector<std::string> names;
  co_await exchange.run_blocking([&] {
    names = layout::list_exports(context.transfers->dir);
    meta::ListQuery query;
    query.limit = 10;
    query.filters.push_back(meta::Filter{
        "kind", meta::Filter::Kind::any_of, "", {}, {}, {layout::kExportJob, layout::kImportJob}});
    runs = context.jobs->database().list_jobs(query);
  });
  if (!runs) co_return failure(500, "UNKNOWN", "listing the exports failed");
  json::array exports;
  for (const auto& name : names) exports.emplace_back(name);
  json::array recent;
  for (const auto& job : runs->items) {
    json::object run = run_json(job);
    run["kind"] = job.kind;
    recent.push_back(std::move(run));
  }
  co_return reply(200, json::object{{"dir", (context.transfers->dir / "exports").string()},
                                    {"exports", std::move(exports)},
                                    {"runs", std::move(recent)}});
}

// GET and POST /operator/v1/backups, GET /operator/v1/backups/runs/{id}.
boost::asio::awaitable<http::Response> backups(Context& context, http::Exchange& exchange) {
  const http::Request& request = exchange.request();
  constexpr std::string_view kRuns = "/operator/v1/backups/runs/";
  if (context.backup_dir.empty() || context.jobs == nullptr)
    co_return failure(409, "CONFLICT", "backups are off: set backup.dir in the configuration");
  if (request.path.starts_with(kRuns))
    co_return co_await run_by_id(context, exchange, kRuns, backup::kJobKind, backup::kJobKind);
  if (request.path != "/operator/v1/backups")
    co_return failure(404, "NOT_FOUND", "no such operator endpoint");
  if (request.method == http::Method::post) {
    base::Result<meta::Enqueued> enqueued = meta::Enqueued{};
    co_await exchange.run_blocking([&] {
      enqueued = context.jobs->enqueue(
          meta::NewJob{backup::kJobKind, backup::job_payload("MANUAL"), std::string("backup:manual"), {}, 1});
    });
    if (!enqueued) co_return failure(500, "UNKNOWN", "starting the backup failed");
    http::Response response = reply(202, json::object{{"id", enqueued->id}, {"created", enqueued->created}});
    response.headers.set("Location", std::string(kRuns) + std::to_string(enqueued->id));
    co_return response;
  }
  if (request.method != http::Method::get) co_return failure(405, "METHOD_NOT_ALLOWED", "GET or POST");
  base::Result<std::vector<backup::Summary>> listed = std::vector<backup::Summary>{};
  base::Result<meta::Listing<meta::Job>> runs = meta::Listing<meta::Job>{};
  co_await exchange.run_blocking([&] {
    listed = backup::list(context.backup_dir);
    meta::ListQuery query;
    query.limit = 10;
    query.filters.push_back(meta::Filter{"kind", meta::Filter::Kind::exact, backup::kJobKind, {}, {}, {}});
    runs = context.jobs->database().list_jobs(query);
  });
  if (!listed || !runs) co_return failure(500, "UNKNOWN", "listing the backups failed");
  json::array items;
  for (const auto& summary : *listed) items.push_back(backup_json(summary));
  json::array recent;
  for (const auto& job : runs->items) recent.push_back(run_json(job));
  co_return reply(200, json::object{{"dir", context.backup_dir.string()},
                                    {"schedule", context.backup_schedule},
                                    {"keep", context.backup_keep},
                                    {"backups", std::move(items)},
                                    {"runs", std::move(recent)}});
}

}  // namespace

http::Handler make_handler(Context& context) {
  return [&context](http::Exchange& exchange) -> boost::asio::awaitable<http::Response> {
    const http::Request& request = exchange.request();
    if (!authorized(context, request)) {
      http::Response denied = failure(401, "UNAUTHORIZED", "a valid operator bearer token is required");
      denied.headers.set("WWW-Authenticate", "Bearer realm=\"berth-operator\"");
      co_return denied;
    }
    if (request.path == "/operator/v1/registry" && request.method == http::Method::get) {
      base::Result<meta::RegistryCounts> counts = meta::RegistryCounts{};
      base::Status healthy;
      co_await exchange.run_blocking([&] {
        counts = context.metadata.registry_counts();
        healthy = context.registry.check_metadata();
        if (healthy) healthy = context.registry.check_storage();
      });
      if (!counts) co_return failure(500, "UNKNOWN", "reading the registry's counts failed");
      co_return reply(
          200,
          json::object{
              {"name", context.name},
              {"version", context.version},
              {"status", healthy ? "healthy" : "unhealthy"},
              {"plan", rest::plan_json(context.plan.get(), counts->used_storage)},
              {"storage", json::object{{"used", counts->used_storage}, {"stored", counts->stored_bytes}}},
              {"projects", counts->projects},
              {"repositories", counts->repositories},
              {"artifacts", counts->artifacts},
          });
    }
    if (request.path == "/operator/v1/plan") {
      if (request.method == http::Method::put) {
        std::string body;
        char buffer[4096];
        for (;;) {
          auto n = co_await exchange.read_body(std::span<char>(buffer, sizeof buffer));
          if (!n) co_return failure(400, "BAD_REQUEST", "the request body could not be read");
          if (*n == 0) break;
          body.append(buffer, *n);
          if (body.size() > 64 * 1024) co_return failure(413, "BAD_REQUEST", "the request body is too large");
        }
        boost::system::error_code ec;
        auto parsed = json::parse(body, ec);
        const json::value* name =
            !ec && parsed.is_object() ? parsed.get_object().if_contains("name") : nullptr;
        if (name == nullptr || !name->is_string())
          co_return failure(400, "BAD_REQUEST", "expected {\"name\": \"S\"|\"M\"|\"L\"|\"unlimited\"}");
        base::Status changed;
        co_await exchange.run_blocking(
            [&] { changed = context.plan.upgrade(std::string(name->get_string())); });
        if (!changed) {
          if (changed.error().code == base::Errc::conflict)
            co_return failure(409, "CONFLICT", changed.error().message);
          if (changed.error().code == base::Errc::invalid_argument)
            co_return failure(400, "BAD_REQUEST", changed.error().message);
          co_return failure(500, "UNKNOWN", "changing the plan failed");
        }
      } else if (request.method != http::Method::get) {
        co_return failure(405, "METHOD_NOT_ALLOWED", "GET or PUT");
      }
      base::Result<std::int64_t> used = std::int64_t{0};
      co_await exchange.run_blocking([&] { used = context.metadata.registry_storage(); });
      co_return reply(200, rest::plan_json(context.plan.get(), used ? *used : 0));
    }
    if (request.path == "/operator/v1/backups" || request.path.starts_with("/operator/v1/backups/"))
      co_return co_await backups(context, exchange);
    if (request.path == "/operator/v1/exports" || request.path == "/operator/v1/imports" ||
        request.path.starts_with("/operator/v1/exports/"))
      co_return co_await transfers(context, exchange);
    co_return failure(404, "NOT_FOUND", "no such operator endpoint");
  };
}

}  // namespace berth::api::operator_api
