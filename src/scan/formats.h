// The documents a scan produces: a text table, Harbor's vulnerability report, and SBOMs.
#pragma once

#include <string>
#include <string_view>

#include "inventory/inventory.h"
#include "scan/scanner.h"

namespace berth::scan {

// What was scanned.
struct Subject {
  std::string name;        // "project/repo:tag", an archive's file name, or a directory
  std::string digest;      // the manifest digest, "" when not from a registry
  std::string media_type;  // the manifest media type, "" when unknown
};

// Who scanned it.
struct Tool {
  std::string name = "Berth";
  std::string vendor = "Berth";
  std::string version;
};

inline constexpr std::string_view kHarborReportMediaType =
    "application/vnd.security.vulnerability.report; version=1.1";
inline constexpr std::string_view kCycloneDxMediaType = "application/vnd.cyclonedx+json";
inline constexpr std::string_view kSpdxMediaType = "application/spdx+json";

// Harbor's severity names: "Critical", "High", "Medium", "Low", "Unknown"; "None" for no finding.
std::string_view harbor_severity(vulndb::Severity severity);

// A table for a terminal: the OS, then one line per finding, then counts by severity.
std::string format_table(const Report& report, const Subject& subject);

// Harbor's vulnerability report (the pluggable scanner API's format, version 1.1). Berth's own
// facts that format has no field for (status, package type, path, purl, vendor ids) are kept
// in each item's `vendor_attributes`.
std::string harbor_report(const Report& report, const Subject& subject, const Tool& tool);

// CycloneDX 1.5 JSON: the image as metadata.component, one component per package (and one
// for the OS), with purls.
std::string cyclonedx(const inventory::Inventory& inventory, const Subject& subject, const Tool& tool);

// SPDX 2.3 JSON: the image as the described package, CONTAINS relationships to each package.
std::string spdx(const inventory::Inventory& inventory, const Subject& subject, const Tool& tool);

}  // namespace berth::scan
