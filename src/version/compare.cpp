#include "version/compare.h"

#include <string>
#include <utility>

#include "version/detail.h"

namespace berth::version {
namespace detail {

std::string to_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = to_lower(c);
  return out;
}

std::string_view trim_space(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

bool all_digits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!is_digit(c)) return false;
  }
  return true;
}

std::size_t digits_end(std::string_view text, std::size_t pos) {
  while (pos < text.size() && is_digit(text[pos])) ++pos;
  return pos;
}

int compare_bytes(std::string_view a, std::string_view b) {
  const std::size_t n = a.size() < b.size() ? a.size() : b.size();
  for (std::size_t i = 0; i < n; ++i) {
    const auto ca = static_cast<unsigned char>(a[i]);
    const auto cb = static_cast<unsigned char>(b[i]);
    if (ca != cb) return ca < cb ? -1 : 1;
  }
  if (a.size() == b.size()) return 0;
  return a.size() < b.size() ? -1 : 1;
}

int compare_numeric(std::string_view a, std::string_view b) {
  while (!a.empty() && a.front() == '0') a.remove_prefix(1);
  while (!b.empty() && b.front() == '0') b.remove_prefix(1);
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  return compare_bytes(a, b);  // same length, digits only: byte order is numeric order
}

int natural_compare(std::string_view a, std::string_view b) {
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < a.size() && j < b.size()) {
    const bool da = is_digit(a[i]);
    const bool db = is_digit(b[j]);
    if (da != db) return da ? 1 : -1;
    std::size_t ie = i;
    std::size_t je = j;
    while (ie < a.size() && is_digit(a[ie]) == da) ++ie;
    while (je < b.size() && is_digit(b[je]) == db) ++je;
    const std::string_view ra = a.substr(i, ie - i);
    const std::string_view rb = b.substr(j, je - j);
    const int r = da ? compare_numeric(ra, rb) : compare_bytes(ra, rb);
    if (r != 0) return r;
    i = ie;
    j = je;
  }
  if (i < a.size()) return 1;
  if (j < b.size()) return -1;
  return compare_bytes(a, b);  // "01" and "1" are equal so far; keep the order total
}

}  // namespace detail

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (detail::to_lower(a[i]) != detail::to_lower(b[i])) return false;
  }
  return true;
}

bool istarts_with(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

}  // namespace

std::optional<Scheme> scheme_for_ecosystem(std::string_view ecosystem) {
  // OSV names an ecosystem "Name" or "Name:release" ("Debian:12", "Alpine:v3.18",
  // "Red Hat:enterprise_linux:9::appstream"); the ordering depends on the name alone.
  ecosystem = detail::trim_space(ecosystem);
  const std::string_view name = ecosystem.substr(0, ecosystem.find(':'));

  static constexpr std::pair<std::string_view, Scheme> kExact[] = {
      {"Debian", Scheme::dpkg},      {"Ubuntu", Scheme::dpkg},    {"Alpine", Scheme::apk},
      {"Wolfi", Scheme::apk},        {"Chainguard", Scheme::apk}, {"AlmaLinux", Scheme::rpm},
      {"Rocky Linux", Scheme::rpm},  {"openEuler", Scheme::rpm},  {"npm", Scheme::semver},
      {"crates.io", Scheme::semver}, {"Go", Scheme::semver},      {"NuGet", Scheme::semver},
      {"Hex", Scheme::semver},       {"Pub", Scheme::semver},     {"Packagist", Scheme::semver},
      {"PyPI", Scheme::pep440},      {"Maven", Scheme::maven},    {"RubyGems", Scheme::rubygems},
      {"Photon OS", Scheme::rpm},
  };
  for (const auto& [known, scheme] : kExact) {
    if (iequals(name, known)) return scheme;
  }
  // Families whose OSV names carry a product after the family name ("SUSE:Linux Enterprise
  // Server 15 SP5", "openSUSE:Leap 15.5", "Red Hat Enterprise Linux 9").
  static constexpr std::string_view kRpmPrefixes[] = {"Red Hat", "openSUSE", "SUSE", "Mageia"};
  for (std::string_view prefix : kRpmPrefixes) {
    if (istarts_with(name, prefix)) return Scheme::rpm;
  }
  return std::nullopt;
}

int compare(Scheme scheme, std::string_view a, std::string_view b) {
  switch (scheme) {
    case Scheme::dpkg:
      return detail::compare_dpkg(a, b);
    case Scheme::apk:
      return detail::compare_apk(a, b);
    case Scheme::rpm:
      return detail::compare_rpm(a, b);
    case Scheme::semver:
      return detail::compare_semver(a, b);
    case Scheme::pep440:
      return detail::compare_pep440(a, b);
    case Scheme::maven:
      return detail::compare_maven(a, b);
    case Scheme::rubygems:
      return detail::compare_rubygems(a, b);
  }
  return detail::natural_compare(a, b);
}

bool valid(Scheme scheme, std::string_view text) {
  switch (scheme) {
    case Scheme::dpkg:
      return detail::valid_dpkg(text);
    case Scheme::apk:
      return detail::valid_apk(text);
    case Scheme::rpm:
      return detail::valid_rpm(text);
    case Scheme::semver:
      return detail::valid_semver(text);
    case Scheme::pep440:
      return detail::valid_pep440(text);
    case Scheme::maven:
      return detail::valid_maven(text);
    case Scheme::rubygems:
      return detail::valid_rubygems(text);
  }
  return false;
}

}  // namespace berth::version
