// A client of Harbor's pluggable scanner API (goharbor/pluggable-scanner-spec, v1.1/v1.2): lets
// Berth have an image scanned by an external adapter (harbor-scanner-trivy, ... or another
// Berth with scanner.adapter.enabled).
//
// scan() POSTs a ScanRequest to <adapter>/api/v1/scan, then polls
// <adapter>/api/v1/scan/{id}/report: 302 means not ready (wait Refresh-After seconds, 5 when
// absent), 200 carries the report, 404 and 500 end the scan with the adapter's
// {"error":{"message":...}}. The adapter pulls the image from the registry itself, with the
// authorization value the target carries.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace berth::scan {

// The media types of the pluggable scanner API.
namespace adapter_media {
inline constexpr std::string_view kScanRequest =
    "application/vnd.scanner.adapter.scan.request+json; version=1.0";
inline constexpr std::string_view kScanResponse =
    "application/vnd.scanner.adapter.scan.response+json; version=1.0";
inline constexpr std::string_view kMetadata = "application/vnd.scanner.adapter.metadata+json; version=1.0";
inline constexpr std::string_view kError = "application/vnd.scanner.adapter.error+json; version=1.0";
// The vulnerability report: Harbor's current type, and the spec's v1.0 "native" type (the same
// document for Berth's purposes).
inline constexpr std::string_view kVulnerabilityReport =
    "application/vnd.security.vulnerability.report; version=1.1";
inline constexpr std::string_view kNativeReport =
    "application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0";
inline constexpr std::string_view kSbomReport = "application/vnd.security.sbom.report+json; version=1.0";
}  // namespace adapter_media

// A media type with parameters, normalised for comparison: lower case, no blanks
// ("application/vnd.security.vulnerability.report;version=1.1").
std::string normalize_media_type(std::string_view type);

// What the adapter is asked to scan.
struct ExternalTarget {
  std::string registry_url;   // Berth's base URL as the adapter reaches it ("https://berth.example.com")
  std::string authorization;  // Authorization header value the adapter sends to the registry ("Basic ...",
                              // "Bearer ...")
  std::string repository;     // "project/repo"
  std::string digest;         // the manifest digest
  std::string tag;            // optional
  std::string mime_type;      // the manifest media type
};

struct ExternalOptions {
  // The adapter's base URL, as registered in Harbor ("http://trivy:8080"); "/api/v1" is added
  // unless the URL already ends with it.
  std::string url;
  std::string secret;  // sent as "Authorization: Bearer <secret>" when not empty
  // The report type asked for; metadata() tells which one the adapter produces.
  std::string report_media_type = std::string(adapter_media::kVulnerabilityReport);
  std::chrono::seconds timeout{std::chrono::minutes(30)};  // submit to report, in all
  std::chrono::seconds request_timeout{30};                // each request
  std::chrono::seconds default_refresh{5};                 // wait when a 302 has no Refresh-After
  std::chrono::seconds max_refresh{60};                    // Refresh-After is capped at this
  bool verify_tls = true;
};

struct AdapterCapability {
  std::string type;  // "vulnerability" (also when absent) or "sbom"
  std::vector<std::string> consumes;
  std::vector<std::string> produces;
};

struct AdapterMetadata {
  std::string name;
  std::string vendor;
  std::string version;
  std::vector<AdapterCapability> capabilities;
  std::map<std::string, std::string> properties;
  // The vulnerability report type to ask for: v1.1 when produced, else the v1.0 native type.
  std::string report_media_type;
};

class ExternalScanner {
 public:
  explicit ExternalScanner(ExternalOptions options);

  // GET /metadata, validated: a scanner name, and a vulnerability capability that consumes OCI
  // or Docker image manifests and produces a report type Berth reads. Errors: unavailable (no
  // answer, HTTP errors), invalid_argument (401/403: the secret), unsupported (a metadata
  // document without such a capability), corrupt (not the documented shape).
  base::Result<AdapterMetadata> metadata();

  // POST /scan; the scan request id. Errors: as metadata(), plus invalid_argument for 400/422
  // and unsupported for 501 (with the adapter's message).
  base::Result<std::string> submit(const ExternalTarget& target);

  // One GET /scan/{id}/report: the report when ready, nothing (and *refresh_after set) while the
  // scan runs. Errors: not_found (404: unknown id), internal (500: the scan failed, with the
  // adapter's message), unavailable, corrupt (a 200 that is not a JSON report).
  base::Result<std::optional<std::string>> poll(const std::string& id, std::chrono::seconds* refresh_after);

  // submit() then poll() until the report arrives, the timeout passes (Errc::unavailable) or
  // `stop` is requested (Errc::cancelled). The report is Harbor's JSON, as the adapter sent it.
  base::Result<std::string> scan(const ExternalTarget& target, std::stop_token stop = {});

  const std::string& api_url() const { return api_url_; }

 private:
  std::vector<std::string> headers(std::string_view accept) const;

  ExternalOptions options_;
  std::string api_url_;  // ".../api/v1"
};

// The request body scan() sends (exposed for tests).
std::string scan_request_json(const ExternalTarget& target);

}  // namespace berth::scan
