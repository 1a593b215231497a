// Matching an inventory against the vulnerability database.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "inventory/inventory.h"
#include "version/compare.h"
#include "vulndb/database.h"
#include "vulndb/model.h"

namespace berth::vulndb {

// Where a package's advisories are filed and which of its versions they speak of.
struct Coordinates {
  std::string ecosystem;  // "Debian:12", "Alpine:v3.18", "AlmaLinux:9", "PyPI", "Go", ...
  std::string package;    // Debian and Alpine: the source package; rpm: the binary package
  std::string version;    // Debian and Alpine: the source version; rpm: [epoch:]version-release
  version::Scheme scheme = version::Scheme::semver;
};

// Nothing when the package's ecosystem (or its OS release) has no advisory feed Berth knows.
std::optional<Coordinates> coordinates(const inventory::Package& package,
                                       const inventory::OperatingSystem& os);

// OSV's evaluation of `affected` for one version: within an explicit version, or within a
// range (events in version order: introduced opens, fixed closes before, last_affected closes
// after, limit bounds the range). SEMVER ranges use SemVer order, ECOSYSTEM ranges `scheme`.
bool affects(const Affected& affected, std::string_view version, version::Scheme scheme);

// The first fixed version above `version` in a range that affects it; "" when none.
std::string fixed_version(const Affected& affected, std::string_view version, version::Scheme scheme);

struct Finding {
  std::string vuln_id;
  inventory::Package package;
  std::string fixed_version;  // "" when there is no fix
  Status status = Status::affected;
  Severity severity = Severity::unknown;
  std::string severity_source;  // "debian" for a vendor's package severity, else ""
  std::vector<std::string> vendor_ids;
};

// Every finding for every package of the inventory, sorted by (package name, version,
// vulnerability id). Each vulnerability is reported once per package.
base::Result<std::vector<Finding>> match(Database& db, const inventory::Inventory& inventory);

// The pure part of match(): the findings for one package given its advisories.
std::vector<Finding> match_package(const inventory::Package& package, const Coordinates& coordinates,
                                   const std::vector<Affected>& advisories);

}  // namespace berth::vulndb
