// Version ordering as each package ecosystem defines it. Pure functions, no I/O.
#pragma once

#include <optional>
#include <string_view>

namespace berth::version {

enum class Scheme {
  dpkg,      // Debian policy 5.6.12: epoch, upstream, revision; '~' sorts before anything
  apk,       // Alpine apk-tools: digits, letter, suffixes (_alpha.._p), -rN
  rpm,       // rpmvercmp on [epoch:]version-release
  semver,    // SemVer 2.0.0 precedence (npm, crates.io, Go without the leading 'v')
  pep440,    // Python packaging versions, with normalisation
  maven,     // Maven ComparableVersion
  rubygems,  // Gem::Version
};

// The scheme an OSV ecosystem name uses ("Debian:12" -> dpkg, "PyPI" -> pep440, ...);
// nothing for an ecosystem without a known ordering.
std::optional<Scheme> scheme_for_ecosystem(std::string_view ecosystem);

// Negative, zero or positive as a sorts before, equal to or after b. Never fails: text that
// is not a well-formed version is ordered by the scheme's own fallback rules.
int compare(Scheme scheme, std::string_view a, std::string_view b);

// Whether text is a version the scheme accepts (for importers rejecting junk).
bool valid(Scheme scheme, std::string_view text);

}  // namespace berth::version
