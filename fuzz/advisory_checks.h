// What the vulnerability-source targets check of an import's result (vulndb/model.h): each
// record names what it is about, its text is UTF-8, it survives the stored form (encode, then
// decode, as the database writes and reads it), and it can be evaluated against versions
// (vulndb/match.h).
#pragma once

#include <string>

#include "base/utf8.h"
#include "fuzz_support.h"
#include "version/compare.h"
#include "vulndb/match.h"
#include "vulndb/model.h"

namespace berth::fuzz {

inline void check_advisories(const vulndb::Advisories& advisories) {
  for (const auto& affected : advisories.affected) {
    FUZZ_CHECK(!affected.ecosystem.empty() && !affected.package.empty() && !affected.vuln_id.empty());
    FUZZ_CHECK(base::is_valid_utf8(affected.ecosystem) && base::is_valid_utf8(affected.package) &&
               base::is_valid_utf8(affected.vuln_id));
    const std::string stored = vulndb::encode(affected);
    auto decoded = vulndb::decode_affected(affected.ecosystem, affected.package, affected.vuln_id, stored);
    FUZZ_CHECK(decoded.ok());
    FUZZ_CHECK(vulndb::encode(*decoded) == stored);
    const auto scheme = version::scheme_for_ecosystem(affected.ecosystem).value_or(version::Scheme::semver);
    for (const auto& range : affected.ranges) {
      for (const auto& event : range.events) {
        (void)vulndb::affects(affected, event.version, scheme);
        (void)vulndb::fixed_version(affected, event.version, scheme);
      }
    }
  }
  for (const auto& vulnerability : advisories.vulnerabilities) {
    FUZZ_CHECK(!vulnerability.id.empty());
    FUZZ_CHECK(base::is_valid_utf8(vulnerability.id) && base::is_valid_utf8(vulnerability.title) &&
               base::is_valid_utf8(vulnerability.description));
    const std::string stored = vulndb::encode(vulnerability);
    auto decoded = vulndb::decode_vulnerability(vulnerability.id, stored);
    FUZZ_CHECK(decoded.ok());
    FUZZ_CHECK(vulndb::encode(*decoded) == stored);
  }
}

}  // namespace berth::fuzz
