// Storage of the vulnerability database: what each advisory source says about which
// packages, and the details of each vulnerability. The vulndb module gives the rows their
// meaning (`spec` and `doc` are its JSON); this interface only stores, diffs and finds them.
// It lives in its own file, apart from the registry's metadata: it is derived data that can
// be rebuilt from its sources at any time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace berth::meta {

// One advisory's statement about one package of one ecosystem ("Debian:12", "PyPI", ...).
struct VulnAffectedRow {
  std::string ecosystem;
  std::string package;
  std::string vuln_id;
  std::string spec;  // ranges, status, severity, vendor ids (vulndb's JSON)
};

// What one source says about one vulnerability (summary, severity, references...).
struct VulnDetailRow {
  std::string vuln_id;
  std::string source;
  std::string doc;  // vulndb's JSON
};

struct VulnSource {
  std::string name;      // "debian", "alpine", "osv:PyPI", ...
  std::string location;  // the path or URL it was imported from
  std::int64_t affected_rows = 0;
  std::int64_t vulnerabilities = 0;
  std::int64_t imported_at_ms = 0;
};

struct VulnDbInfo {
  std::int64_t version = 0;  // grows by one with every import that changed something
  std::int64_t updated_at_ms = 0;
  std::vector<VulnSource> sources;
};

struct VulnChange {
  std::int64_t version = 0;                          // the database version after the import
  std::int64_t added = 0, changed = 0, removed = 0;  // affected rows
  std::int64_t details_changed = 0;
  // (ecosystem, package) pairs whose rows were added, changed or removed, sorted.
  std::vector<std::pair<std::string, std::string>> packages;
};

class VulnDatabase {
 public:
  virtual ~VulnDatabase() = default;

  // Makes `rows` and `details` everything `source.name` says, in one transaction: rows and
  // details the source no longer has go, new ones come, changed ones are rewritten, equal
  // ones are left alone. The version grows only when something changed.
  virtual base::Result<VulnChange> replace_source(const VulnSource& source, std::vector<VulnAffectedRow> rows,
                                                  std::vector<VulnDetailRow> details) = 0;

  // Every source's rows for one package, ordered by vulnerability id.
  virtual base::Result<std::vector<VulnAffectedRow>> affected(std::string_view ecosystem,
                                                              std::string_view package) = 0;

  // Every source's details of one vulnerability.
  virtual base::Result<std::vector<VulnDetailRow>> details(std::string_view vuln_id) = 0;

  virtual base::Result<VulnDbInfo> info() = 0;
};

// Opens (creating if needed) the vulnerability database file at `path` (SQLite, WAL).
base::Result<std::unique_ptr<VulnDatabase>> open_sqlite_vulndb(const std::string& path);

}  // namespace berth::meta
