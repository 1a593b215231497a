#include "vulndb/database.h"

#include <algorithm>

namespace berth::vulndb {
using base::Result;

Result<std::unique_ptr<Database>> Database::open(const std::string& path) {
  auto storage = meta::open_sqlite_vulndb(path);
  if (!storage) return std::move(storage).error();
  return std::make_unique<Database>(std::move(*storage));
}

Result<meta::VulnChange> Database::import(const std::string& name, const std::string& location,
                                          const Advisories& advisories) {
  std::vector<meta::VulnAffectedRow> rows;
  rows.reserve(advisories.affected.size());
  for (const auto& a : advisories.affected) {
    rows.push_back({a.ecosystem, a.package, a.vuln_id, encode(a)});
  }
  std::vector<meta::VulnDetailRow> details;
  details.reserve(advisories.vulnerabilities.size());
  for (const auto& v : advisories.vulnerabilities) details.push_back({v.id, name, encode(v)});
  meta::VulnSource source;
  source.name = name;
  source.location = location;
  return storage_->replace_source(source, std::move(rows), std::move(details));
}

Result<std::vector<Affected>> Database::affected(std::string_view ecosystem, std::string_view package) {
  auto rows = storage_->affected(ecosystem, package);
  if (!rows) return std::move(rows).error();
  std::vector<Affected> out;
  out.reserve(rows->size());
  for (const auto& row : *rows) {
    auto a = decode_affected(row.ecosystem, row.package, row.vuln_id, row.spec);
    if (!a) return std::move(a).error();
    out.push_back(std::move(*a));
  }
  return out;
}

Result<std::optional<Vulnerability>> Database::vulnerability(std::string_view id) {
  auto rows = storage_->details(id);
  if (!rows) return std::move(rows).error();
  if (rows->empty()) return std::optional<Vulnerability>{};
  Vulnerability merged;
  merged.id = id;
  for (const auto& row : *rows) {
    auto v = decode_vulnerability(row.vuln_id, row.doc);
    if (!v) return std::move(v).error();
    if (merged.title.empty()) merged.title = v->title;
    if (merged.description.empty()) merged.description = v->description;
    if (v->severity > merged.severity) merged.severity = v->severity;
    if (merged.cvss_v3_vector.empty() && !v->cvss_v3_vector.empty()) {
      merged.cvss_v3_vector = v->cvss_v3_vector;
      merged.cvss_v3_score = v->cvss_v3_score;
    }
    if (merged.cvss_v4_vector.empty() && !v->cvss_v4_vector.empty()) {
      merged.cvss_v4_vector = v->cvss_v4_vector;
      merged.cvss_v4_score = v->cvss_v4_score;
    }
    for (auto& alias : v->aliases) {
      if (std::find(merged.aliases.begin(), merged.aliases.end(), alias) == merged.aliases.end())
        merged.aliases.push_back(std::move(alias));
    }
    for (auto& ref : v->references) {
      if (std::find(merged.references.begin(), merged.references.end(), ref) == merged.references.end())
        merged.references.push_back(std::move(ref));
    }
    if (merged.published.empty() || (!v->published.empty() && v->published < merged.published))
      merged.published = v->published;
    if (v->modified > merged.modified) merged.modified = v->modified;
  }
  return std::optional<Vulnerability>(std::move(merged));
}

Result<meta::VulnDbInfo> Database::info() {
  return storage_->info();
}

}  // namespace berth::vulndb
