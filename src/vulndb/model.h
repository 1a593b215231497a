// The vulnerability database's own model, close to OSV (https://ossf.github.io/osv-schema/):
// every importer turns its source format into these, and matching reads only these.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace berth::vulndb {

enum class Severity { unknown, low, medium, high, critical };
std::string_view severity_name(Severity severity);   // "UNKNOWN", "LOW", ... "CRITICAL"
Severity severity_from_name(std::string_view name);  // case-insensitive; "moderate" = medium
Severity severity_from_score(double score);          // CVSS v3/v4 qualitative rating

// What a vendor says about a package it has not fixed (or has).
enum class Status { unknown, affected, fixed, will_not_fix, fix_deferred, end_of_life };
std::string_view status_name(Status status);  // "affected", "fixed", "will_not_fix", ...

// OSV range events.
struct Event {
  enum class Kind { introduced, fixed, last_affected, limit };
  Kind kind = Kind::introduced;
  std::string version;  // "0" for introduced means "from the beginning"
};
struct Range {
  bool semver = false;  // SEMVER range (else ECOSYSTEM: ordered by the ecosystem's scheme)
  std::vector<Event> events;
};

// One advisory's statement about one package of one ecosystem.
struct Affected {
  std::string ecosystem;  // OSV names with the release: "Debian:12", "Alpine:v3.18", "AlmaLinux:9", "PyPI"
  std::string package;    // source package (Debian, Alpine), binary package (rpm), module, ...
  std::string vuln_id;    // "CVE-2024-2961", "GHSA-...", "ALSA-2022:4940"
  std::vector<Range> ranges;
  std::vector<std::string> versions;      // explicitly affected versions
  Status status = Status::unknown;        // the vendor's word when there is no fix (will_not_fix, ...)
  Severity severity = Severity::unknown;  // a vendor's package-specific severity, if any
  std::string severity_source;            // who gave it ("debian"), "" when none
  std::vector<std::string> vendor_ids;    // "DSA-5514-1"
};

// What one source says about a vulnerability.
struct Vulnerability {
  std::string id;
  std::string title;
  std::string description;
  Severity severity = Severity::unknown;  // the source's overall rating (from CVSS or its own)
  std::string cvss_v3_vector;
  double cvss_v3_score = 0;
  std::string cvss_v4_vector;
  double cvss_v4_score = 0;
  std::vector<std::string> aliases;  // other ids of the same vulnerability (CVE for a GHSA, ...)
  std::vector<std::string> references;
  std::string published;  // RFC 3339, "" when unknown
  std::string modified;
};

// Everything one import read from one source.
struct Advisories {
  std::vector<Affected> affected;
  std::vector<Vulnerability> vulnerabilities;
};

// Replaces what is not UTF-8 in every text of `advisories` with U+FFFD (base/utf8.h). The
// YAML importers call it: YAML parsers pass any byte through, and the stored forms and the
// reports made from them are JSON.
void make_valid_utf8(Advisories& advisories);

// The stored forms (JSON), for meta::VulnDatabase rows.
std::string encode(const Affected& affected);  // ranges, versions, status, severity, vendor ids
base::Result<Affected> decode_affected(std::string_view ecosystem, std::string_view package,
                                       std::string_view vuln_id, std::string_view spec);
std::string encode(const Vulnerability& vulnerability);
base::Result<Vulnerability> decode_vulnerability(std::string_view id, std::string_view doc);

}  // namespace berth::vulndb
