#include "api/scanner/adapter.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <exception>
#include <thread>
#include <vector>

#include "base/log.h"
#include "base/random.h"
#include "base/text.h"
#include "base/time.h"
#include "http/body.h"
#include "oci/digest.h"
#include "oci/media_types.h"
#include "oci/names.h"
#include "scan/external.h"
#include "scan/formats.h"
#include "scan/scanner.h"

namespace berth::api::scanner {
namespace {

namespace json = boost::json;
namespace media = scan::adapter_media;

constexpr std::string_view kPrefix = "/api/v1/";
constexpr std::size_t kMaxRequestBody = 64 * 1024;
constexpr std::string_view kSpdx = "application/spdx+json";
constexpr std::string_view kCycloneDx = "application/vnd.cyclonedx+json";

using base::iequals;

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool valid_registry_url(std::string_view url) {
  std::string_view rest;
  if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    return false;
  }
  if (rest.empty() || rest.front() == '/' || rest.front() == ':') return false;
  return std::none_of(url.begin(), url.end(), [](char c) {
    return static_cast<unsigned char>(c) <= 0x20 || c == '?' || c == '#' || c == '\x7f';
  });
}

bool consumable(std::string_view type) {
  return type == oci::media_type::oci_manifest || type == oci::media_type::docker_manifest ||
         type == oci::media_type::oci_index || type == oci::media_type::docker_manifest_list;
}

// ---- responses ----

http::Response document(int status, std::string_view type, std::string body) {
  http::Response response;
  response.status = status;
  response.headers.set("Content-Type", std::string(type));
  response.body = std::move(body);
  return response;
}

http::Response failure(int status, std::string_view message) {
  return document(status, media::kError, error_body(message));
}

// ---- authentication ----

using Hash = std::array<unsigned char, SHA256_DIGEST_LENGTH>;

Hash sha256(std::string_view text) {
  Hash out{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), out.data());
  return out;
}

// The shared secret from "Authorization: Bearer <secret>" or "X-ScannerAdapter-API-Key: <secret>".
std::optional<std::string_view> presented_secret(const http::Request& request) {
  if (auto value = request.headers.get("Authorization")) {
    std::string_view v = trim(*value);
    if (v.size() > 7 && iequals(v.substr(0, 7), "bearer ")) return trim(v.substr(7));
    return std::nullopt;
  }
  if (auto key = request.headers.get("X-ScannerAdapter-API-Key")) return trim(*key);
  return std::nullopt;
}

// ---- the report kinds a GET /report can ask for ----

enum class ReportKind { vulnerability, native, sbom };

// The report kind an Accept header asks for; nothing when it names none Berth produces. An
// absent or wildcard Accept means the vulnerability report.
std::optional<ReportKind> report_kind(std::optional<std::string_view> accept) {
  if (!accept || trim(*accept).empty()) return ReportKind::vulnerability;
  std::string_view list = *accept;
  while (!list.empty()) {
    const auto comma = list.find(',');
    const std::string item = scan::normalize_media_type(list.substr(0, comma));
    list.remove_prefix(comma == std::string_view::npos ? list.size() : comma + 1);
    // type;param=value;... with the quality parameter ignored
    std::string base = item.substr(0, item.find(';'));
    std::string version;
    for (std::size_t at = item.find(';'); at != std::string::npos;) {
      const auto next = item.find(';', at + 1);
      const std::string param =
          item.substr(at + 1, next == std::string::npos ? std::string::npos : next - at - 1);
      if (param.starts_with("version=")) version = param.substr(8);
      at = next;
    }
    if (base == "*/*" || base == "application/*") return ReportKind::vulnerability;
    if (base == "application/vnd.security.vulnerability.report" && (version.empty() || version == "1.1"))
      return ReportKind::vulnerability;
    if (base == "application/vnd.scanner.adapter.vuln.report.harbor+json" &&
        (version.empty() || version == "1.0"))
      return ReportKind::native;
    if (base == "application/vnd.security.sbom.report+json" && (version.empty() || version == "1.0"))
      return ReportKind::sbom;
  }
  return std::nullopt;
}

// ---- the scan itself ----

base::Result<ScanResult> pull_and_scan(const Options& options, const ScanRequest& request,
                                       std::stop_token stop) {
  if (options.database == nullptr) return base::make_error(base::Errc::internal, "no vulnerability database");
  scan::RemoteTarget target{request.registry_url, request.authorization, request.repository, request.digest};
  std::string pulled_type;
  base::Result<inventory::Inventory> inventory = base::make_error(base::Errc::internal, "not scanned");
  {
    auto pulled = scan::pull_image(target, options.remote, stop);
    if (!pulled) return std::move(pulled).error();
    pulled_type = pulled->media_type;
    inventory = scan::inventory_of_layers(pulled->layers, options.limits);
  }  // the layer files are gone from here on
  if (!inventory) return std::move(inventory).error();
  auto report = scan::assess(std::move(*inventory), *options.database);
  if (!report) return std::move(report).error();
  scan::Subject subject{request.repository, request.digest,
                        request.mime_type.empty() ? pulled_type : request.mime_type};
  scan::Tool tool;
  tool.version = options.version;
  ScanResult result;
  result.vulnerability_report = scan::harbor_report(*report, subject, tool);
  result.inventory = std::make_shared<const inventory::Inventory>(std::move(report->inventory));
  return result;
}

// ---- the adapter's state: options, results, the worker threads ----

struct Job {
  std::string id;
  ScanRequest request;
};

class State {
 public:
  explicit State(Options options)
      : options_(std::move(options)),
        secret_hash_(sha256(options_.secret)),
        store_(std::max<std::size_t>(options_.max_results, 1), options_.result_ttl) {
    if (!options_.scan) {
      options_.scan = [this](const ScanRequest& request, std::stop_token stop) {
        return pull_and_scan(options_, request, std::move(stop));
      };
    }
    const std::size_t workers = std::max<std::size_t>(options_.workers, 1);
    for (std::size_t i = 0; i < workers; ++i) {
      threads_.emplace_back([this](std::stop_token stop) { work(std::move(stop)); });
    }
  }

  ~State() {
    for (auto& thread : threads_) thread.request_stop();
    wake_.notify_all();
    threads_.clear();  // joins
  }

  State(const State&) = delete;
  State& operator=(const State&) = delete;

  const Options& options() const { return options_; }
  ResultStore& store() { return store_; }

  bool authorized(const http::Request& request) const {
    if (options_.secret.empty()) return true;
    auto presented = presented_secret(request);
    if (!presented) return false;
    const Hash hash = sha256(*presented);
    return CRYPTO_memcmp(hash.data(), secret_hash_.data(), hash.size()) == 0;
  }

  // Queues a scan; its id, or nothing when the queue or the store is full.
  std::optional<std::string> submit(ScanRequest request) {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= options_.max_queued) return std::nullopt;
    auto id = store_.add();
    if (!id) return std::nullopt;
    queue_.push_back(Job{*id, std::move(request)});
    wake_.notify_one();
    return id;
  }

 private:
  void work(std::stop_token stop) {
    for (;;) {
      Job job;
      {
        std::unique_lock lock(mutex_);
        if (!wake_.wait(lock, stop, [&] { return !queue_.empty(); })) return;
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      store_.set_running(job.id);
      const auto started = std::chrono::steady_clock::now();
      base::Result<ScanResult> result = base::make_error(base::Errc::internal, "not run");
      try {
        result = options_.scan(job.request, stop);
      } catch (const std::exception& e) {
        result = base::make_error(base::Errc::internal, std::string("scan failed: ") + e.what());
      }
      const auto ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
              .count();
      if (result) {
        result->artifact = std::move(job.request);
        result->artifact.authorization.clear();
        BERTH_LOG_INFO("scanner adapter: scan {} of {}@{} done in {} ms", job.id, result->artifact.repository,
                       result->artifact.digest, ms);
        store_.finish(job.id, std::move(*result));
      } else {
        BERTH_LOG_WARN("scanner adapter: scan {} of {}@{} failed after {} ms: {}", job.id,
                       job.request.repository, job.request.digest, ms, result.error().message);
        store_.fail(job.id, result.error().message);
      }
    }
  }

  Options options_;
  const Hash secret_hash_;
  ResultStore store_;
  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::deque<Job> queue_;
  std::vector<std::jthread> threads_;  // last: joined before the rest goes
};

// ---- the endpoints ----

json::array strings(std::initializer_list<std::string_view> items) {
  json::array out;
  for (auto item : items) out.emplace_back(item);
  return out;
}

boost::asio::awaitable<http::Response> metadata(State& state, http::Exchange& exchange) {
  json::object properties;
  properties["harbor.scanner-adapter/scanner-type"] = "os-package-vulnerability";
  if (vulndb::Database* db = state.options().database; db != nullptr) {
    base::Result<meta::VulnDbInfo> info = base::make_error(base::Errc::internal, "not read");
    co_await exchange.run_blocking([&] { info = db->info(); });
    if (info) {
      properties["berth.vulnerability-database/version"] = std::to_string(info->version);
      if (info->updated_at_ms > 0) {
        properties["harbor.scanner-adapter/vulnerability-database-updated-at"] = base::format_rfc3339(
            std::chrono::system_clock::time_point(std::chrono::milliseconds(info->updated_at_ms)));
      }
    }
  }
  const auto consumes = [] {
    return strings({oci::media_type::oci_manifest, oci::media_type::docker_manifest});
  };
  json::object root{
      {"scanner", {{"name", "Berth"}, {"vendor", "Berth"}, {"version", state.options().version}}},
      {"capabilities",
       json::array{
           json::object{{"type", "vulnerability"},
                        {"consumes_mime_types", consumes()},
                        {"produces_mime_types", strings({media::kVulnerabilityReport})}},
           json::object{{"type", "sbom"},
                        {"consumes_mime_types", consumes()},
                        {"produces_mime_types", strings({media::kSbomReport})},
                        {"additional_attributes", {{"sbom_media_types", strings({kSpdx, kCycloneDx})}}}}}},
      {"properties", std::move(properties)}};
  co_return document(200, media::kMetadata, json::serialize(root));
}

boost::asio::awaitable<http::Response> accept_scan(State& state, http::Exchange& exchange) {
  http::BodyText body = co_await http::read_small_body(exchange, kMaxRequestBody);
  if (body.too_large) co_return failure(413, "the scan request is larger than 64 KiB");
  if (!body.text) co_return failure(400, "the scan request body could not be read");
  auto request = parse_scan_request(*body.text);
  if (!request) co_return failure(request.error().status, request.error().message);
  const std::string repository = request->repository;
  auto id = state.submit(std::move(*request));
  if (!id) {
    http::Response busy = failure(503, "too many scans in progress; try again later");
    busy.headers.set("Retry-After", "10");
    co_return busy;
  }
  BERTH_LOG_DEBUG("scanner adapter: scan {} of {} queued", *id, repository);
  co_return document(202, media::kScanResponse, json::serialize(json::object{{"id", *id}}));
}

std::string sbom_report(const ScanResult& result, const ScanRequest& artifact, std::string_view sbom_type,
                        const std::string& version) {
  scan::Subject subject{artifact.repository + (artifact.tag.empty() ? "" : ":" + artifact.tag),
                        artifact.digest, artifact.mime_type};
  scan::Tool tool;
  tool.version = version;
  const std::string sbom = sbom_type == kSpdx ? scan::spdx(*result.inventory, subject, tool)
                                              : scan::cyclonedx(*result.inventory, subject, tool);
  json::object artifact_json{{"repository", artifact.repository}, {"digest", artifact.digest}};
  if (!artifact.tag.empty()) artifact_json["tag"] = artifact.tag;
  if (!artifact.mime_type.empty()) artifact_json["mime_type"] = artifact.mime_type;
  json::object root{{"generated_at", base::format_rfc3339(std::chrono::system_clock::now())},
                    {"artifact", std::move(artifact_json)},
                    {"scanner", {{"name", "Berth"}, {"vendor", "Berth"}, {"version", version}}},
                    {"vendor_attributes", json::object{}},
                    {"media_type", sbom_type},
                    {"sbom", json::parse(sbom)}};
  return json::serialize(root);
}

boost::asio::awaitable<http::Response> get_report(State& state, http::Exchange& exchange,
                                                  const std::string& id) {
  const http::Request& request = exchange.request();
  const auto kind = report_kind(request.headers.get("Accept"));
  if (!kind) {
    co_return failure(501, "unsupported report type " +
                               std::string(request.headers.get("Accept").value_or("")) +
                               "; this scanner produces " + std::string(media::kVulnerabilityReport) +
                               " and " + std::string(media::kSbomReport));
  }
  std::string sbom_type;
  if (*kind == ReportKind::sbom) {
    sbom_type = request.query_param("sbom_media_type").value_or("");
    if (sbom_type != kSpdx && sbom_type != kCycloneDx) {
      co_return failure(400, "an SBOM report needs ?sbom_media_type=" + std::string(kSpdx) + " or " +
                                 std::string(kCycloneDx));
    }
  }
  auto entry = state.store().get(id);
  if (!entry) co_return failure(404, "cannot find scan request " + id);
  switch (entry->state) {
    case ResultStore::State::queued:
    case ResultStore::State::running: {
      http::Response pending;
      pending.status = 302;
      pending.headers.set("Refresh-After",
                          std::to_string(std::max<long>(state.options().refresh_after.count(), 1)));
      pending.headers.set("Location", request.target);
      co_return pending;
    }
    case ResultStore::State::failed:
      co_return failure(500, entry->error);
    case ResultStore::State::done:
      break;
  }
  const ScanResult& result = *entry->result;
  switch (*kind) {
    case ReportKind::vulnerability:
      co_return document(200, media::kVulnerabilityReport, result.vulnerability_report);
    case ReportKind::native:
      co_return document(200, media::kNativeReport, result.vulnerability_report);
    case ReportKind::sbom:
      break;
  }
  if (!result.inventory) co_return failure(500, "this scan kept no inventory for an SBOM");
  std::string body;
  std::string problem;
  co_await exchange.run_blocking([&] {
    try {
      body = sbom_report(result, result.artifact, sbom_type, state.options().version);
    } catch (const std::exception& e) {
      problem = e.what();
    }
  });
  if (!problem.empty()) co_return failure(500, "cannot render the SBOM: " + problem);
  co_return document(200, media::kSbomReport, std::move(body));
}

http::Response method_not_allowed(std::string_view allow) {
  http::Response response = failure(405, "method not allowed; use " + std::string(allow));
  response.headers.set("Allow", std::string(allow));
  return response;
}

boost::asio::awaitable<http::Response> serve(std::shared_ptr<State> state, http::Exchange& exchange) {
  const http::Request& request = exchange.request();
  if (!state->authorized(request)) {
    http::Response response = failure(401, "missing or invalid scanner adapter credentials");
    response.headers.set("WWW-Authenticate", "Bearer realm=\"berth-scanner-adapter\"");
    co_return response;
  }
  std::string_view path = request.path;
  if (!path.starts_with(kPrefix)) co_return failure(404, "not found");
  path.remove_prefix(kPrefix.size());
  const bool get = request.method == http::Method::get;
  if (path == "metadata") {
    if (!get) co_return method_not_allowed("GET");
    co_return co_await metadata(*state, exchange);
  }
  if (path == "scan") {
    if (request.method != http::Method::post) co_return method_not_allowed("POST");
    co_return co_await accept_scan(*state, exchange);
  }
  constexpr std::string_view kScan = "scan/";
  constexpr std::string_view kReport = "/report";
  if (path.starts_with(kScan) && path.ends_with(kReport) && path.size() > kScan.size() + kReport.size()) {
    auto encoded = path.substr(kScan.size(), path.size() - kScan.size() - kReport.size());
    auto id = http::percent_decode(encoded);
    if (!id || id->find('/') != std::string::npos) co_return failure(404, "not found");
    if (!get) co_return method_not_allowed("GET");
    co_return co_await get_report(*state, exchange, *id);
  }
  co_return failure(404, "not found");
}

// ---- parsing ----

using Parsed = base::Result<ScanRequest, RequestError>;

RequestError bad(int status, std::string message) {
  return RequestError{status, std::move(message)};
}

// A string member: nullopt (and *error set) when present but not a string; "" when absent or null.
std::optional<std::string> text(const json::object& object, std::string_view key, std::string_view path,
                                RequestError& error) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr || value->is_null()) return std::string();
  if (!value->is_string()) {
    error = bad(400, std::string(path) + " must be a string");
    return std::nullopt;
  }
  return std::string(value->as_string());
}

}  // namespace

std::string error_body(std::string_view message) {
  return json::serialize(json::object{{"error", {{"message", message}}}});
}

Parsed parse_scan_request(std::string_view body) {
  boost::system::error_code ec;
  json::value root = json::parse(body, ec);
  if (ec) return bad(400, "malformed JSON: " + ec.message());
  if (!root.is_object()) return bad(400, "the scan request must be a JSON object");
  const json::object& object = root.as_object();
  RequestError error;
  ScanRequest out;

  const json::value* registry = object.if_contains("registry");
  if (registry == nullptr || registry->is_null()) return bad(422, "missing registry");
  if (!registry->is_object()) return bad(400, "registry must be an object");
  auto url = text(registry->as_object(), "url", "registry.url", error);
  if (!url) return error;
  if (url->empty()) return bad(422, "missing registry.url");
  if (!valid_registry_url(*url)) return bad(422, "invalid registry.url");
  out.registry_url = *url;
  auto authorization = text(registry->as_object(), "authorization", "registry.authorization", error);
  if (!authorization) return error;
  if (authorization->find_first_of("\r\n") != std::string::npos)
    return bad(422, "invalid registry.authorization");
  out.authorization = *authorization;

  const json::value* artifact = object.if_contains("artifact");
  if (artifact == nullptr || artifact->is_null()) return bad(422, "missing artifact");
  if (!artifact->is_object()) return bad(400, "artifact must be an object");
  const json::object& a = artifact->as_object();
  auto repository = text(a, "repository", "artifact.repository", error);
  if (!repository) return error;
  if (repository->empty()) return bad(422, "missing artifact.repository");
  if (!oci::valid_repository_name(*repository)) return bad(422, "invalid artifact.repository");
  out.repository = *repository;
  auto digest = text(a, "digest", "artifact.digest", error);
  if (!digest) return error;
  if (digest->empty()) return bad(422, "missing artifact.digest");
  if (!oci::Digest::parse(*digest)) return bad(422, "invalid artifact.digest");
  out.digest = *digest;
  auto tag = text(a, "tag", "artifact.tag", error);
  if (!tag) return error;
  if (!tag->empty() && !oci::valid_tag(*tag)) return bad(422, "invalid artifact.tag");
  out.tag = *tag;
  auto mime_type = text(a, "mime_type", "artifact.mime_type", error);
  if (!mime_type) return error;
  if (!mime_type->empty() && !consumable(*mime_type)) {
    return bad(501, "this scanner cannot scan artifacts of type " + *mime_type);
  }
  out.mime_type = *mime_type;

  // v1.2: which capabilities to run. Both always run; unknown types are refused.
  if (const json::value* capabilities = object.if_contains("enabled_capabilities");
      capabilities != nullptr && !capabilities->is_null()) {
    if (!capabilities->is_array()) return bad(400, "enabled_capabilities must be an array");
    for (const auto& item : capabilities->as_array()) {
      if (!item.is_object()) return bad(400, "enabled_capabilities items must be objects");
      auto type = text(item.as_object(), "type", "enabled_capabilities[].type", error);
      if (!type) return error;
      if (*type != "vulnerability" && *type != "sbom") return bad(422, "invalid scan type '" + *type + "'");
    }
  }
  return out;
}

// ---- ResultStore ----

ResultStore::ResultStore(std::size_t max_entries, std::chrono::seconds ttl)
    : max_entries_(max_entries), ttl_(ttl) {}

void ResultStore::purge(Clock::time_point now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    const bool finished = it->second.state == State::done || it->second.state == State::failed;
    if (finished && now - it->second.updated >= ttl_) {
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

std::optional<std::string> ResultStore::add(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  purge(now);
  if (entries_.size() >= max_entries_) {
    auto oldest = entries_.end();
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      const bool finished = it->second.state == State::done || it->second.state == State::failed;
      if (finished && (oldest == entries_.end() || it->second.updated < oldest->second.updated)) oldest = it;
    }
    if (oldest == entries_.end()) return std::nullopt;
    entries_.erase(oldest);
  }
  std::string id = base::random_uuid();
  Entry entry;
  entry.updated = now;
  entries_.emplace(id, std::move(entry));
  return id;
}

void ResultStore::set_running(const std::string& id, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (auto it = entries_.find(id); it != entries_.end()) {
    it->second.state = State::running;
    it->second.updated = now;
  }
}

void ResultStore::finish(const std::string& id, ScanResult result, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (auto it = entries_.find(id); it != entries_.end()) {
    it->second.state = State::done;
    it->second.result = std::make_shared<const ScanResult>(std::move(result));
    it->second.updated = now;
  }
}

void ResultStore::fail(const std::string& id, std::string message, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (auto it = entries_.find(id); it != entries_.end()) {
    it->second.state = State::failed;
    it->second.error = std::move(message);
    it->second.updated = now;
  }
}

void ResultStore::remove(const std::string& id) {
  std::lock_guard lock(mutex_);
  entries_.erase(id);
}

std::optional<ResultStore::Entry> ResultStore::get(const std::string& id, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  purge(now);
  auto it = entries_.find(id);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

std::size_t ResultStore::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

http::Handler make_handler(Options options) {
  auto state = std::make_shared<State>(std::move(options));
  return [state](http::Exchange& exchange) { return serve(state, exchange); };
}

}  // namespace berth::api::scanner
