// Importers: each reads one source format into the vulndb model. They read files only; the
// caller stores the result (vulndb::Database::import).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "version/compare.h"
#include "vulndb/model.h"

namespace berth::vulndb {

// The Debian security tracker in the JSON form of aquasecurity/vuln-list-debian: a `tracker`
// directory with distributions.json, CVE/**.json, DLA/**.json, DSA/**.json, and optionally
// source/<codename>/**.json and updates-source/<codename>/**.json (Sources indices). Applies
// the tracker's rules per release (fixed lines, <no-dsa>, <ignored>, <postponed>, <unfixed>,
// <not-affected>, <removed>, sid-only fixes checked against the release's Sources version).
// `source_versions` adds or overrides Sources versions: (codename, source package, version).
struct SourceVersion {
  std::string codename, package, version;
};
base::Result<Advisories> import_debian_tracker(const std::filesystem::path& dir,
                                               const std::vector<SourceVersion>& source_versions = {});

// Alpine secdb YAML files (`distroversion`, `packages[].pkg.{name,secfixes}`): one file or a
// directory of them.
base::Result<Advisories> import_alpine_secdb(const std::filesystem::path& path);

// OSV: one .json/.yaml file, a directory of them (recursively), or a .zip of them as OSV
// publishes per ecosystem. Withdrawn entries are left out.
base::Result<Advisories> import_osv(const std::filesystem::path& path);

// The Ruby advisory database (rubysec YAML: gem, patched_versions, unaffected_versions) and
// the Node.js security WG's npm advisories (module_name, vulnerable_versions,
// patched_versions), converted to OSV ranges.
base::Result<Advisories> import_rubysec(const std::filesystem::path& path);
base::Result<Advisories> import_npm_legacy(const std::filesystem::path& path);

// Which importer a path needs, from what it holds; unsupported when none fits.
enum class Format { debian_tracker, alpine_secdb, osv, rubysec, npm_legacy };
base::Result<Format> detect_format(const std::filesystem::path& path);
base::Result<Advisories> import_any(const std::filesystem::path& path, Format format);

// CVSS base scores from vectors ("CVSS:3.1/AV:N/AC:L/..."); nothing for a malformed vector.
std::optional<double> cvss3_base_score(std::string_view vector);
std::optional<double> cvss4_base_score(std::string_view vector);

// Shared by the importers that turn version constraints into OSV ranges (rubysec's gem
// requirements, npm's semver ranges).
namespace detail {
struct Comparator {
  enum class Op { eq, ne, lt, le, gt, ge };
  Op op = Op::eq;
  std::string version;
};
using ComparatorSet = std::vector<Comparator>;  // an intersection: every comparator holds

// The events of one OSV range covering the union of `sets` (with `complement`: every version
// that no set covers), versions ordered by `scheme`. No events when it covers nothing. OSV has
// no exclusive lower bound: a region starting just after v (`> v`, or a complement of `<= v`)
// starts at v's successor in the scheme: v.(patch+1)-0 for semver, v.0.0.1 for rubygems (below
// any real release after v); in other schemes at v itself.
std::vector<Event> events_from_sets(const std::vector<ComparatorSet>& sets, bool complement,
                                    version::Scheme scheme);
}  // namespace detail

}  // namespace berth::vulndb
