// Storage of scan results and of CVE allowlists. A scan result belongs to a manifest digest
// (the same image pushed to two repositories is scanned once); it keeps the report, the
// package inventory it was made from (so a changed vulnerability database can refresh the
// report without reading layers again) and the (ecosystem, package) pairs that inventory
// has (so the artifacts a database change concerns are found by a lookup).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "meta/database.h"

namespace berth::meta {

struct ScanRecord {
  std::string digest;      // the scanned manifest
  std::string repository;  // a repository it was read from (for its layers)
  std::string status;      // Harbor's: Pending, Running, Success, Error
  std::int64_t db_version = 0;
  std::string severity;         // Harbor's highest severity: None, Unknown, Low, Medium, High, Critical
  std::string summary;          // JSON {"total":n,"fixable":n,"summary":{"High":n,...}}
  std::string report;           // the Harbor vulnerability report (JSON), on Success
  std::string inventory;        // the package inventory (JSON), on Success
  std::string vulnerabilities;  // JSON [[id, severity], ...] for pull-time policy checks
  std::string error;            // on Error
  std::string sbom_digest;      // the SBOM artifact's manifest digest, "" when none
  TimePoint started;
  TimePoint finished;
};

// Which columns a read brings back.
enum class ScanDetail { overview, full };

// A CVE allowlist: the system's (project_id 0) or a project's.
struct CveAllowlist {
  std::int64_t project_id = 0;
  std::int64_t expires_at = -1;  // unix seconds; -1 = never
  std::vector<std::string> cve_ids;
  TimePoint updated;
};

class ScanDatabase {
 public:
  virtual ~ScanDatabase() = default;

  // Creates or replaces the record of `record.digest`; with a non-empty `packages`, also
  // replaces the (ecosystem, package) pairs its inventory has.
  virtual base::Status put_scan(const ScanRecord& record,
                                const std::vector<std::pair<std::string, std::string>>& packages) = 0;
  // Sets the status (and error, and times when given) of an existing record, or creates one.
  virtual base::Status set_scan_status(const std::string& digest, const std::string& repository,
                                       const std::string& status, const std::string& error) = 0;
  virtual base::Status set_sbom(const std::string& digest, const std::string& sbom_digest) = 0;
  virtual base::Result<std::optional<ScanRecord>> get_scan(const std::string& digest, ScanDetail detail) = 0;
  // Overviews of many digests at once (for artifact listings); missing ones are left out.
  virtual base::Result<std::vector<ScanRecord>> scan_overviews(const std::vector<std::string>& digests) = 0;
  // Digests of successful scans whose inventory has any of the pairs.
  virtual base::Result<std::vector<std::string>> scans_with_packages(
      const std::vector<std::pair<std::string, std::string>>& packages) = 0;
  // Every successful scan whose database version is older than `version`.
  virtual base::Result<std::vector<std::string>> scans_older_than(std::int64_t version) = 0;
  virtual base::Status delete_scan(const std::string& digest) = 0;
  // How many results are in each status ("Success" -> n, ...).
  virtual base::Result<std::map<std::string, std::int64_t>> count_by_status() = 0;

  virtual base::Result<CveAllowlist> get_allowlist(std::int64_t project_id) = 0;
  virtual base::Status put_allowlist(const CveAllowlist& allowlist) = 0;
};

}  // namespace berth::meta
