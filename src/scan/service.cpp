#include "scan/service.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <map>
#include <set>

#include "base/log.h"
#include "base/time.h"
#include "oci/media_types.h"
#include "scan/inventory_json.h"
#include "scan/scanner.h"
#include "vulndb/match.h"
#include "vulndb/sources.h"

namespace berth::scan {
namespace json = boost::json;
using base::Errc;
using base::Result;
using base::Status;

namespace {

constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";

base::Error from_oci(const oci::Error& e, std::string_view what) {
  const Errc code = e.code == oci::ErrorCode::manifest_unknown || e.code == oci::ErrorCode::name_unknown ||
                            e.code == oci::ErrorCode::blob_unknown
                        ? Errc::not_found
                        : Errc::invalid_argument;
  return base::make_error(code, std::string(what) + ": " + e.message);
}

bool image_manifest(const oci::Manifest& m) {
  return !m.is_index() && m.config &&
         (m.config->media_type == oci::media_type::oci_config || m.config->media_type == kDockerConfig);
}

// Harbor's summary object: {"total":n,"fixable":n,"summary":{"High":n,...}}.
json::object summary_of(const std::vector<std::pair<std::string, vulndb::Severity>>& severities,
                        int fixable) {
  std::map<std::string, int> counts;
  for (const auto& [id, s] : severities) ++counts[std::string(harbor_severity(s))];
  json::object by;
  for (const auto& [name, n] : counts) by[name] = n;
  return {{"total", severities.size()}, {"fixable", fixable}, {"summary", std::move(by)}};
}

std::string highest_name(const std::vector<std::pair<std::string, vulndb::Severity>>& severities) {
  if (severities.empty()) return "None";
  vulndb::Severity highest = vulndb::Severity::unknown;
  for (const auto& [id, s] : severities) highest = std::max(highest, s);
  return std::string(harbor_severity(highest));
}

std::string encode_vulnerabilities(const std::vector<std::pair<std::string, vulndb::Severity>>& severities) {
  json::array out;
  for (const auto& [id, s] : severities)
    out.push_back(json::array{json::string(id), json::string(vulndb::severity_name(s))});
  return json::serialize(out);
}

std::string payload(const std::string& repository, const std::string& digest, bool sbom) {
  return json::serialize(json::object{{"repository", repository}, {"digest", digest}, {"sbom", sbom}});
}

Result<json::object> parse_payload(const meta::Job& job) {
  boost::system::error_code ec;
  json::value v = json::parse(job.payload, ec);
  if (ec || !v.is_object())
    return base::make_error(Errc::invalid_argument, "job payload is not a JSON object");
  return std::move(v.get_object());
}

std::string field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

// The artifact itself is at fault (a layer that is no archive, leaves the root or is a
// bomb, a corrupt package database, an artifact gone): scanning it again changes nothing.
bool fault_of_the_artifact(const base::Error& e) {
  return e.code == Errc::corrupt || e.code == Errc::too_large || e.code == Errc::invalid_argument ||
         e.code == Errc::unsupported || e.code == Errc::not_found;
}

}  // namespace

bool scannable(const oci::Manifest& manifest) {
  if (manifest.is_index()) return !manifest.manifests.empty();
  return image_manifest(manifest);
}

Service::Service(registry::Registry& registry, meta::Database& metadata, meta::ScanDatabase& scans,
                 vulndb::Database& db, jobs::Runner& runner, ServiceOptions options)
    : registry_(registry),
      metadata_(metadata),
      scans_(scans),
      db_(db),
      runner_(runner),
      options_(std::move(options)) {
  tool_.version = options_.version;
}

Status Service::register_jobs() {
  if (auto s = runner_.handle(kScanJob,
                              [this](const meta::Job& job, jobs::Context& context) -> Status {
                                auto p = parse_payload(job);
                                if (!p) return std::move(p).error();
                                const auto* sbom = p->if_contains("sbom");
                                Status scanned =
                                    scan_now(field(*p, "repository"), field(*p, "digest"),
                                             sbom != nullptr && sbom->is_bool() && sbom->get_bool());
                                if (!scanned && fault_of_the_artifact(scanned.error()))
                                  context.fail_for_good();
                                return scanned;
                              });
      !s) {
    return s;
  }
  if (auto s = runner_.handle(kRefreshJob,
                              [this](const meta::Job& job, jobs::Context&) -> Status {
                                auto p = parse_payload(job);
                                if (!p) return std::move(p).error();
                                return refresh_now(field(*p, "digest"));
                              });
      !s) {
    return s;
  }
  if (auto s = runner_.handle(kDbUpdateJob, [this](const meta::Job&, jobs::Context&) { return update_db(); });
      !s)
    return s;
  return runner_.handle(kScanAllJob, [this](const meta::Job&, jobs::Context&) { return scan_all(); });
}

Status Service::request_db_update() {
  meta::NewJob job;
  job.kind = kDbUpdateJob;
  job.dedupe_key = kDbUpdateJob;
  job.max_attempts = 1;
  auto queued = runner_.enqueue(job);
  if (!queued) return std::move(queued).error();
  return base::ok_status();
}

Status Service::update_db() {
  auto before = db_.info();
  if (!before) return std::move(before).error();
  if (before->version > handled_version_.load()) {
    // Imported by someone else (the command line, another node): no change set to go by.
    auto queued = refresh_stale();
    if (!queued) return std::move(queued).error();
    if (*queued > 0)
      BERTH_LOG_INFO("vulnerability database version {}: refreshing {} result(s)", before->version, *queued);
    handled_version_ = before->version;
  }
  // A source that fails leaves what it gave before; the others are imported all the same, and
  // the job fails naming every source that failed.
  std::optional<base::Error> failure;
  for (const auto& source : options_.vulndb_sources) {
    auto change = vulndb::update_from(db_, source, options_.work_dir);
    if (!change) {
      BERTH_LOG_WARN("vulnerability database source {}: {}", source, change.error().message);
      if (!failure)
        failure = change.error();
      else
        failure->message += "; " + change.error().message;
      continue;
    }
    handled_version_ = change->version;
    if (change->packages.empty()) continue;
    auto queued = refresh_changed(*change);
    if (!queued) return std::move(queued).error();
    BERTH_LOG_INFO(
        "vulnerability database source {}: {} added, {} changed, {} removed; refreshing {} result(s)", source,
        change->added, change->changed, change->removed, *queued);
  }
  if (failure) return *failure;
  return base::ok_status();
}

Status Service::request_scan(const std::string& repository, const std::string& digest, bool sbom) {
  auto content = registry_.get_manifest(repository, digest);
  if (!content) return from_oci(content.error(), "scan " + repository + "@" + digest);
  auto manifest = oci::parse_manifest(*content->body, content->media_type);
  if (!manifest) return from_oci(manifest.error(), "scan " + repository + "@" + digest);
  if (sbom && options_.external) {
    return base::make_error(Errc::unsupported,
                            "SBOMs come from the built-in scanner; an external scanner is configured");
  }
  if (!scannable(*manifest)) {
    return base::make_error(
        Errc::unsupported,
        "the artifact " + repository + "@" + content->digest + " is not an image (" +
            (manifest->artifact_type.empty() ? manifest->media_type : manifest->artifact_type) +
            "): the scanner reads container images only");
  }
  if (auto s = scans_.set_scan_status(content->digest, repository, "Pending", ""); !s) return s;
  meta::NewJob job;
  job.kind = kScanJob;
  job.payload = payload(repository, content->digest, sbom);
  job.dedupe_key = "scan:" + content->digest + (sbom ? ":sbom" : "");
  job.max_attempts = options_.max_attempts;
  auto queued = runner_.enqueue(job);
  if (!queued) return std::move(queued).error();
  return base::ok_status();
}

Status Service::request_scan_all() {
  meta::NewJob job;
  job.kind = kScanAllJob;
  job.dedupe_key = "scan_all";
  job.max_attempts = 1;
  auto queued = runner_.enqueue(job);
  if (!queued) return std::move(queued).error();
  return base::ok_status();
}

Status Service::scan_all() {
  meta::ListQuery all;
  all.limit = 0;
  auto repositories = metadata_.list_repository_summaries("", all);
  if (!repositories) return std::move(repositories).error();
  std::size_t queued = 0;
  for (const auto& repo : repositories->items) {
    auto artifacts = metadata_.list_artifacts(repo.name, all);
    if (!artifacts) continue;  // deleted meanwhile
    for (const auto& a : artifacts->items) {
      if (request_scan(repo.name, a.manifest.digest, false)) ++queued;
    }
  }
  BERTH_LOG_INFO("scan all: {} artifact(s) queued", queued);
  return base::ok_status();
}

Result<std::size_t> Service::refresh_changed(const meta::VulnChange& change) {
  auto digests = scans_.scans_with_packages(change.packages);
  if (!digests) return std::move(digests).error();
  // Indexes aggregate their images: refresh every stale one too (there are few).
  auto stale = scans_.scans_older_than(change.version);
  if (!stale) return std::move(stale).error();
  std::set<std::string> todo(digests->begin(), digests->end());
  for (const auto& d : *stale) {
    auto record = scans_.get_scan(d, meta::ScanDetail::overview);
    if (record && *record && (*record)->summary.find("\"platforms\"") != std::string::npos) todo.insert(d);
  }
  std::size_t n = 0;
  for (const auto& digest : todo) {
    meta::NewJob job;
    job.kind = kRefreshJob;
    job.payload = json::serialize(json::object{{"digest", digest}});
    job.dedupe_key = "scan_refresh:" + digest;
    if (runner_.enqueue(job)) ++n;
  }
  return n;
}

Result<std::size_t> Service::refresh_stale() {
  auto info = db_.info();
  if (!info) return std::move(info).error();
  auto stale = scans_.scans_older_than(info->version);
  if (!stale) return std::move(stale).error();
  std::size_t n = 0;
  for (const auto& digest : *stale) {
    meta::NewJob job;
    job.kind = kRefreshJob;
    job.payload = json::serialize(json::object{{"digest", digest}});
    job.dedupe_key = "scan_refresh:" + digest;
    if (runner_.enqueue(job)) ++n;
  }
  return n;
}

Result<std::optional<meta::ScanRecord>> Service::result(const std::string& digest, meta::ScanDetail detail) {
  return scans_.get_scan(digest, detail);
}

Status Service::scan_now(const std::string& repository, const std::string& digest, bool sbom) {
  auto content = registry_.get_manifest(repository, digest);
  if (!content) {
    auto e = from_oci(content.error(), "scan " + repository + "@" + digest);
    (void)scans_.set_scan_status(digest, repository, "Error", e.message);
    return e;
  }
  auto manifest = oci::parse_manifest(*content->body, content->media_type);
  if (!manifest) return from_oci(manifest.error(), "scan " + repository + "@" + digest);
  if (auto s = scans_.set_scan_status(digest, repository, "Running", ""); !s) return s;
  const auto started = std::chrono::steady_clock::now();
  Status s = manifest->is_index() ? scan_index(repository, digest, *manifest, content->media_type, sbom)
                                  : scan_image(repository, digest, *manifest, content->media_type, sbom);
  if (!s) {
    BERTH_LOG_WARN("scan of {}@{} failed: {}", repository, digest, s.error().message);
    (void)scans_.set_scan_status(digest, repository, "Error", s.error().message);
    if (options_.on_scanned) options_.on_scanned(repository, digest, s.error().message);
    return s;
  }
  BERTH_LOG_INFO(
      "scanned {}@{} in {} ms", repository, digest,
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
          .count());
  if (options_.on_scanned) options_.on_scanned(repository, digest, "");
  return base::ok_status();
}

Status Service::scan_image(const std::string& repository, const std::string& digest,
                           const oci::Manifest& manifest, const std::string& media_type, bool sbom) {
  if (!image_manifest(manifest)) {
    return base::make_error(Errc::unsupported, repository + "@" + digest + " is not an image");
  }
  if (options_.external) return scan_externally(repository, digest, media_type);
  // The layers as stored, read through open descriptors (kept open for the whole walk).
  std::vector<blob::BlobReader> readers;
  std::vector<image::Layer> layers;
  readers.reserve(manifest.layers.size());
  for (const auto& d : manifest.layers) {
    auto reader = registry_.open_blob(repository, d.digest);
    if (!reader) return from_oci(reader.error(), "layer " + d.digest.str());
    readers.push_back(std::move(*reader));
  }
  for (const auto& r : readers) {
    image::Layer layer;
    layer.fd = r.fd.get();
    layer.length = r.size;
    layers.push_back(layer);
  }
  auto inventory = inventory_of_layers(layers, options_.limits);
  if (!inventory) return std::move(inventory).error();
  auto report = assess(std::move(*inventory), db_);
  if (!report) return std::move(report).error();
  // The SBOM first: once the status reads Success, everything the scan makes is there.
  if (sbom) {
    std::int64_t size = 0;
    if (auto record = metadata_.get_artifact(repository, digest); record && *record)
      size = (*record)->manifest.size;
    if (auto s = attach_sbom(repository, digest, media_type, size, report->inventory); !s) return s;
  }
  return store(repository, digest, media_type, *report, true);
}

Status Service::scan_externally(const std::string& repository, const std::string& digest,
                                const std::string& media_type) {
  ExternalTarget target;
  target.registry_url = options_.registry_url;
  target.authorization = options_.authorization ? options_.authorization(repository) : std::string();
  target.repository = repository;
  target.digest = digest;
  target.mime_type = media_type;
  auto report = options_.external->scan(target);
  if (!report) return std::move(report).error();
  boost::system::error_code ec;
  json::value doc = json::parse(*report, ec);
  if (ec || !doc.is_object())
    return base::make_error(Errc::corrupt, "the external scanner's report is not JSON");
  std::vector<std::pair<std::string, vulndb::Severity>> severities;
  int fixable = 0;
  if (const auto* vulns = doc.get_object().if_contains("vulnerabilities");
      vulns != nullptr && vulns->is_array()) {
    for (const auto& v : vulns->get_array()) {
      if (!v.is_object()) continue;
      severities.emplace_back(field(v.get_object(), "id"),
                              vulndb::severity_from_name(field(v.get_object(), "severity")));
      if (!field(v.get_object(), "fix_version").empty()) ++fixable;
    }
  }
  auto info = db_.info();
  meta::ScanRecord record;
  record.digest = digest;
  record.repository = repository;
  record.status = "Success";
  record.db_version = info ? info->version : 0;
  record.severity = highest_name(severities);
  record.summary = json::serialize(summary_of(severities, fixable));
  record.report = *report;
  record.vulnerabilities = encode_vulnerabilities(severities);
  record.finished = std::chrono::system_clock::now();
  if (auto existing = scans_.get_scan(digest, meta::ScanDetail::overview); existing && *existing) {
    record.started = (*existing)->started;
  }
  return scans_.put_scan(record, {});
}

Status Service::store(const std::string& repository, const std::string& digest, const std::string& media_type,
                      const Report& report, bool keep_inventory) {
  std::vector<std::pair<std::string, vulndb::Severity>> severities;
  int fixable = 0;
  for (const auto& f : report.findings) {
    severities.emplace_back(f.vuln_id, f.severity);
    if (!f.fixed_version.empty()) ++fixable;
  }
  meta::ScanRecord record;
  record.digest = digest;
  record.repository = repository;
  record.status = "Success";
  record.db_version = report.db_version;
  record.severity = highest_name(severities);
  record.summary = json::serialize(summary_of(severities, fixable));
  record.report = harbor_report(report, {repository, digest, media_type}, tool_);
  record.vulnerabilities = encode_vulnerabilities(severities);
  record.finished = std::chrono::system_clock::now();
  if (auto existing = scans_.get_scan(digest, meta::ScanDetail::overview); existing && *existing) {
    record.started = (*existing)->started;
  }
  std::vector<std::pair<std::string, std::string>> packages;
  if (keep_inventory) {
    record.inventory = encode_inventory(report.inventory);
    for (const auto& p : report.inventory.packages) {
      if (auto c = vulndb::coordinates(p, report.inventory.os))
        packages.emplace_back(c->ecosystem, c->package);
    }
  }
  return scans_.put_scan(record, packages);
}

Status Service::scan_index(const std::string& repository, const std::string& digest,
                           const oci::Manifest& manifest, const std::string& media_type, bool sbom,
                           bool scan_images) {
  // Each platform image is scanned (and stored) on its own; the index gets their union.
  json::array items;
  std::set<std::tuple<std::string, std::string, std::string>> seen;
  std::vector<std::pair<std::string, vulndb::Severity>> severities;
  int fixable = 0;
  json::array platforms;
  std::int64_t db_version = 0;
  for (const auto& child : manifest.manifests) {
    if (child.platform && child.platform->os == "unknown") continue;  // attestations
    const std::string child_digest = child.digest.str();
    auto content = registry_.get_manifest(repository, child_digest);
    if (!content) return from_oci(content.error(), "platform image " + child_digest);
    auto child_manifest = oci::parse_manifest(*content->body, content->media_type);
    if (!child_manifest) return from_oci(child_manifest.error(), "platform image " + child_digest);
    if (!image_manifest(*child_manifest)) continue;
    if (scan_images) {
      if (auto s = scans_.set_scan_status(child_digest, repository, "Running", ""); !s) return s;
      if (auto s = scan_image(repository, child_digest, *child_manifest, content->media_type, sbom); !s) {
        (void)scans_.set_scan_status(child_digest, repository, "Error", s.error().message);
        return s;
      }
    }
    auto record = scans_.get_scan(child_digest, meta::ScanDetail::full);
    if (!record) return std::move(record).error();
    if (!*record) continue;
    db_version = std::max(db_version, (*record)->db_version);
    platforms.emplace_back(child_digest);
    boost::system::error_code ec;
    json::value report = json::parse((*record)->report, ec);
    if (ec || !report.is_object()) continue;
    const auto* vulns = report.get_object().if_contains("vulnerabilities");
    if (vulns == nullptr || !vulns->is_array()) continue;
    for (const auto& v : vulns->get_array()) {
      if (!v.is_object()) continue;
      const auto& o = v.get_object();
      if (!seen.emplace(field(o, "id"), field(o, "package"), field(o, "version")).second) continue;
      severities.emplace_back(field(o, "id"), vulndb::severity_from_name(field(o, "severity")));
      if (!field(o, "fix_version").empty()) ++fixable;
      items.push_back(v);
    }
  }
  if (platforms.empty()) return base::make_error(Errc::unsupported, "the index holds no image to scan");
  json::object report{
      {"generated_at", base::format_rfc3339_millis(std::chrono::system_clock::now())},
      {"artifact", {{"repository", repository}, {"digest", digest}, {"mime_type", media_type}}},
      {"scanner", {{"name", tool_.name}, {"vendor", tool_.vendor}, {"version", tool_.version}}},
      {"severity", highest_name(severities)},
      {"vulnerabilities", std::move(items)}};
  json::object summary = summary_of(severities, fixable);
  summary["platforms"] = std::move(platforms);  // marks an index's aggregate
  meta::ScanRecord record;
  record.digest = digest;
  record.repository = repository;
  record.status = "Success";
  record.db_version = db_version;
  record.severity = highest_name(severities);
  record.summary = json::serialize(summary);
  record.report = json::serialize(report);
  record.vulnerabilities = encode_vulnerabilities(severities);
  record.finished = std::chrono::system_clock::now();
  if (auto existing = scans_.get_scan(digest, meta::ScanDetail::overview); existing && *existing) {
    record.started = (*existing)->started;
  }
  return scans_.put_scan(record, {});
}

Status Service::refresh_now(const std::string& digest) {
  auto record = scans_.get_scan(digest, meta::ScanDetail::full);
  if (!record) return std::move(record).error();
  if (!*record || (*record)->status != "Success") return base::ok_status();
  const auto& r = **record;
  if (r.inventory.empty()) {
    // An index: refresh its images, then aggregate again.
    auto content = registry_.get_manifest(r.repository, digest);
    if (!content) return base::ok_status();  // deleted meanwhile
    auto manifest = oci::parse_manifest(*content->body, content->media_type);
    if (!manifest || !manifest->is_index()) return base::ok_status();
    for (const auto& child : manifest->manifests) {
      if (auto s = refresh_now(child.digest.str()); !s) return s;
    }
    // The union again, from the refreshed results: no layer is read.
    return scan_index(r.repository, digest, *manifest, content->media_type, false, false);
  }
  auto inventory = decode_inventory(r.inventory);
  if (!inventory) return std::move(inventory).error();
  auto report = assess(std::move(*inventory), db_);
  if (!report) return std::move(report).error();
  auto content = registry_.get_manifest(r.repository, digest);
  const std::string media_type = content ? content->media_type : std::string();
  return store(r.repository, digest, media_type, *report, true);
}

Result<std::string> Service::push_blob(const std::string& repository, const std::string& bytes) {
  auto digest = oci::digest_of(bytes);
  auto lease = registry_.start_upload(repository);
  if (!lease) return from_oci(lease.error(), "sbom upload");
  if (auto s = lease->append(bytes); !s) return from_oci(s.error(), "sbom upload");
  auto info = registry_.complete_upload(std::move(*lease), digest.str());
  if (!info) return from_oci(info.error(), "sbom upload");
  return digest.str();
}

Status Service::attach_sbom(const std::string& repository, const std::string& digest,
                            const std::string& media_type, std::int64_t size,
                            const inventory::Inventory& inventory) {
  const Subject subject{repository + "@" + digest, digest, media_type};
  const std::string cdx = cyclonedx(inventory, subject, tool_);
  const std::string spdx_doc = spdx(inventory, subject, tool_);
  const std::string empty = "{}";
  auto cdx_digest = push_blob(repository, cdx);
  if (!cdx_digest) return std::move(cdx_digest).error();
  auto spdx_digest = push_blob(repository, spdx_doc);
  if (!spdx_digest) return std::move(spdx_digest).error();
  auto empty_digest = push_blob(repository, empty);
  if (!empty_digest) return std::move(empty_digest).error();
  const std::string now = base::format_rfc3339(std::chrono::system_clock::now());
  auto descriptor = [](std::string_view type, const std::string& d, std::size_t bytes) {
    json::object o;
    o["mediaType"] = type;
    o["digest"] = d;
    o["size"] = bytes;
    return o;
  };
  auto titled = [&](std::string_view type, const std::string& d, std::size_t bytes, std::string_view title) {
    json::object o = descriptor(type, d, bytes);
    json::object annotations;
    annotations["org.opencontainers.image.title"] = title;
    o["annotations"] = std::move(annotations);
    return o;
  };
  json::object manifest;
  manifest["schemaVersion"] = 2;
  manifest["mediaType"] = oci::media_type::oci_manifest;
  manifest["artifactType"] = kSbomArtifactType;
  manifest["config"] = descriptor(oci::media_type::oci_empty, *empty_digest, empty.size());
  json::array layers;
  layers.push_back(titled(kCycloneDxMediaType, *cdx_digest, cdx.size(), "sbom.cdx.json"));
  layers.push_back(titled(kSpdxMediaType, *spdx_digest, spdx_doc.size(), "sbom.spdx.json"));
  manifest["layers"] = std::move(layers);
  manifest["subject"] = descriptor(media_type, digest, static_cast<std::size_t>(size));
  json::object annotations;
  annotations["created-by"] = "Berth";
  annotations["org.opencontainers.artifact.created"] = now;
  annotations["org.opencontainers.artifact.description"] = "CycloneDX and SPDX SBOM";
  manifest["annotations"] = std::move(annotations);
  const std::string body = json::serialize(manifest);
  const std::string manifest_digest = oci::digest_of(body).str();
  auto put = registry_.put_manifest(repository, manifest_digest, oci::media_type::oci_manifest, body);
  if (!put) return from_oci(put.error(), "sbom manifest");
  return scans_.set_sbom(digest, put->digest);
}

}  // namespace berth::scan
