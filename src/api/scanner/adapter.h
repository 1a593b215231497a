// Berth as a Harbor scanner: the pluggable scanner API (goharbor/pluggable-scanner-spec v1.1,
// with v1.2's SBOM capability) served at /api/v1/...:
//
//   GET  /api/v1/metadata                 scanner, capabilities, properties
//   POST /api/v1/scan                     ScanRequest -> 202 {"id": ...}; the scan runs in the background
//   GET  /api/v1/scan/{id}/report         302 + Refresh-After while it runs, 200 + the report when done,
//                                         404 for an unknown id, 500 {"error":{"message"}} if it failed
//
// A scan pulls the image from the registry the request names (scan::pull_image, with the
// request's authorization), reads its layers into an inventory, matches it against the
// vulnerability database and keeps the result in memory (a bounded number, each for a TTL after
// it finished; like harbor-scanner-trivy's Redis store, a restart forgets them). Scans run on a
// small pool of threads of the adapter's own, with a bounded queue (503 when it is full).
//
// Errors are {"error":{"message": ...}} with the spec's media type: 400 malformed JSON, 422 a
// missing or invalid field, 501 an artifact type the scanner cannot read, 401 without the
// shared secret.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "base/result.h"
#include "http/exchange.h"
#include "image/layers.h"
#include "inventory/inventory.h"
#include "scan/remote.h"
#include "vulndb/database.h"

namespace berth::api::scanner {

// A ScanRequest, validated.
struct ScanRequest {
  std::string registry_url;   // http(s) base URL of the registry holding the artifact
  std::string authorization;  // Authorization value for that registry ("" = none)
  std::string repository;
  std::string digest;
  std::string tag;        // may be empty
  std::string mime_type;  // may be empty
};

struct RequestError {
  int status = 400;
  std::string message;
};

// Parses a ScanRequest body. 400 for malformed JSON or a member of the wrong type; 422 for a
// missing or invalid registry.url, artifact.repository or artifact.digest, or an unknown
// capability type; 501 for an artifact mime_type that is not an image manifest or index.
base::Result<ScanRequest, RequestError> parse_scan_request(std::string_view body);

// {"error":{"message":"..."}}
std::string error_body(std::string_view message);

// What a finished scan keeps.
struct ScanResult {
  std::string vulnerability_report;                       // Harbor's report JSON
  std::shared_ptr<const inventory::Inventory> inventory;  // for SBOM reports
  ScanRequest artifact;  // what was scanned (set by the adapter; authorization cleared)
};

// Scans what a request names. The default pulls the image and scans it; tests replace it.
using ScanFunction = std::function<base::Result<ScanResult>(const ScanRequest&, std::stop_token)>;

// Scan states by id, in memory. Finished entries expire `ttl` after they finished; past
// `max_entries` the oldest finished entry goes first. Unfinished entries are never evicted:
// add() fails instead. Thread-safe.
class ResultStore {
 public:
  using Clock = std::chrono::steady_clock;
  enum class State { queued, running, done, failed };
  struct Entry {
    State state = State::queued;
    std::string error;                         // failed
    std::shared_ptr<const ScanResult> result;  // done
    Clock::time_point updated;
  };

  ResultStore(std::size_t max_entries, std::chrono::seconds ttl);

  // A new queued entry and its id; nothing when the store is full of unfinished scans.
  std::optional<std::string> add(Clock::time_point now = Clock::now());
  void set_running(const std::string& id, Clock::time_point now = Clock::now());
  void finish(const std::string& id, ScanResult result, Clock::time_point now = Clock::now());
  void fail(const std::string& id, std::string message, Clock::time_point now = Clock::now());
  void remove(const std::string& id);
  std::optional<Entry> get(const std::string& id, Clock::time_point now = Clock::now());
  std::size_t size() const;

 private:
  void purge(Clock::time_point now);  // with mutex_ held

  const std::size_t max_entries_;
  const std::chrono::seconds ttl_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry, std::less<>> entries_;
};

struct Options {
  vulndb::Database* database = nullptr;  // required unless `scan` is set; must outlive the handler
  // The shared secret Harbor sends (Authorization: Bearer <secret>, or X-ScannerAdapter-API-Key);
  // "" = no authentication.
  std::string secret;
  std::string version;          // Berth's version, reported as the scanner version
  std::size_t workers = 2;      // scans running at once
  std::size_t max_queued = 64;  // scans waiting beyond those; more get 503
  std::size_t max_results = 1000;
  std::chrono::seconds result_ttl{std::chrono::hours(1)};
  std::chrono::seconds refresh_after{3};  // Refresh-After of a 302
  scan::RemoteOptions remote;             // how images are pulled
  image::Limits limits;                   // how layers are read
  ScanFunction scan;                      // "" = pull and scan against `database`
};

// Serves /api/v1/... . The handler owns the worker threads; destroying its last copy cancels
// the scans in progress and joins them.
http::Handler make_handler(Options options);

}  // namespace berth::api::scanner
