// The scanner inside the registry: scans artifacts as jobs (on push, on demand, all of them
// on a schedule), keeps each result with the manifest digest, refreshes results when the
// vulnerability database changes (from the stored inventories, without reading layers), and
// attaches SBOMs to images as OCI artifacts whose subject is the image.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "image/layers.h"
#include "jobs/runner.h"
#include "meta/database.h"
#include "meta/scan_database.h"
#include "registry/registry.h"
#include "scan/external.h"
#include "scan/formats.h"
#include "vulndb/database.h"

namespace berth::scan {

// Job kinds this service handles.
inline constexpr const char* kScanJob = "scan";               // {"repository","digest","sbom"}
inline constexpr const char* kRefreshJob = "scan_refresh";    // {"digest"}
inline constexpr const char* kScanAllJob = "scan_all";        // {}
inline constexpr const char* kDbUpdateJob = "vulndb_update";  // {}

// The SBOM artifact Berth attaches (as Harbor does, with both documents as layers).
inline constexpr std::string_view kSbomArtifactType = "application/vnd.goharbor.harbor.sbom.v1";

struct ServiceOptions {
  std::string version;  // Berth's, named in reports
  image::Limits limits;
  int max_attempts = 3;
  std::vector<std::string> vulndb_sources;  // paths or URLs imported by each database update
  std::filesystem::path work_dir;           // for downloads
  // An external scanner (Harbor's pluggable scanner API) used instead of the built-in one. It
  // pulls the image from `registry_url` with the Authorization value `authorization` gives for
  // the repository. Its results keep no inventory (no refresh on database changes, no SBOM).
  std::shared_ptr<ExternalScanner> external;
  std::string registry_url;
  std::function<std::string(const std::string& repository)> authorization;
  // Told when a scan of a manifest ends (webhooks): `error` is "" on success.
  std::function<void(const std::string& repository, const std::string& digest, const std::string& error)>
      on_scanned;
};

class Service {
 public:
  Service(registry::Registry& registry, meta::Database& metadata, meta::ScanDatabase& scans,
          vulndb::Database& db, jobs::Runner& runner, ServiceOptions options);

  // Registers the job handlers; call before the runner starts.
  base::Status register_jobs();

  // Queues a scan of one manifest (an index: each of its platform images), with an SBOM too
  // when `sbom`. Errors: not_found (no such manifest), unsupported (not an image or an index
  // of images: a Helm chart, a signature, an SBOM...).
  base::Status request_scan(const std::string& repository, const std::string& digest, bool sbom);

  // Queues one job that queues a scan of every image of every repository.
  base::Status request_scan_all();

  // After an import: re-assesses the results whose inventories have a changed package
  // (and every index result, which aggregates its images). Returns how many were queued.
  base::Result<std::size_t> refresh_changed(const meta::VulnChange& change);
  // Re-assesses every result made with an older database version than the current one
  // (after an import this process did not see). Returns how many were queued.
  base::Result<std::size_t> refresh_stale();

  // Queues a database update: each configured source is imported again and the results it
  // concerns are refreshed; an import made outside this process (`berth vulndb import`) is
  // noticed and every older result refreshed.
  base::Status request_db_update();
  // The update itself (the job handler).
  base::Status update_db();

  // The stored result (overview columns, or everything).
  base::Result<std::optional<meta::ScanRecord>> result(const std::string& digest, meta::ScanDetail detail);

  // Runs a scan now, in this thread (the job handler; also for tests).
  base::Status scan_now(const std::string& repository, const std::string& digest, bool sbom);
  // Re-assesses one stored result against the current database.
  base::Status refresh_now(const std::string& digest);

  const Tool& tool() const { return tool_; }
  // The vulnerability database's version and sources.
  base::Result<meta::VulnDbInfo> database_info() { return db_.info(); }

 private:
  base::Status scan_image(const std::string& repository, const std::string& digest,
                          const oci::Manifest& manifest, const std::string& media_type, bool sbom);
  base::Status scan_externally(const std::string& repository, const std::string& digest,
                               const std::string& media_type);
  // Scans each platform image of an index (or, with scan_images false, takes their stored
  // results as they are) and stores the union as the index's result.
  base::Status scan_index(const std::string& repository, const std::string& digest,
                          const oci::Manifest& manifest, const std::string& media_type, bool sbom,
                          bool scan_images = true);
  base::Status store(const std::string& repository, const std::string& digest, const std::string& media_type,
                     const Report& report, bool keep_inventory);
  base::Status attach_sbom(const std::string& repository, const std::string& digest,
                           const std::string& media_type, std::int64_t size,
                           const inventory::Inventory& inventory);
  base::Result<std::string> push_blob(const std::string& repository, const std::string& bytes);
  base::Status scan_all();

  registry::Registry& registry_;
  meta::Database& metadata_;
  meta::ScanDatabase& scans_;
  vulndb::Database& db_;
  jobs::Runner& runner_;
  ServiceOptions options_;
  Tool tool_;
  std::atomic<std::int64_t> handled_version_{0};  // the database version this process has refreshed for
};

// Whether a manifest is something the scanner reads: an image (OCI or Docker) or an index of them.
bool scannable(const oci::Manifest& manifest);

}  // namespace berth::scan
