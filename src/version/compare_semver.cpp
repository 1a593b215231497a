// SemVer 2.0.0 precedence (section 11), read leniently for the ecosystems that use it:
// surrounding spaces and a leading 'v' or '=' are ignored, missing minor and patch numbers
// are 0 ("1.2" == "1.2.0"), a fourth number (NuGet) is compared too, and text glued to the
// numbers without a '-' ("1.2.3beta1") is taken as the pre-release. Build metadata never
// counts. Text without a leading number sorts before every version, and among itself
// naturally.
#include <string_view>
#include <vector>

#include "version/detail.h"

namespace berth::version::detail {
namespace {

struct Semver {
  std::vector<std::string_view> numbers;
  std::vector<std::string_view> prerelease;  // empty: a release
};

std::vector<std::string_view> split_dots(std::string_view text) {
  std::vector<std::string_view> parts;
  while (true) {
    const std::size_t dot = text.find('.');
    parts.push_back(text.substr(0, dot));
    if (dot == std::string_view::npos) return parts;
    text.remove_prefix(dot + 1);
  }
}

std::string_view strip_prefix(std::string_view text) {
  text = trim_space(text);
  if (!text.empty() && (text.front() == 'v' || text.front() == 'V' || text.front() == '=')) {
    text.remove_prefix(1);
  }
  return text;
}

bool parse(std::string_view text, Semver& out) {
  text = strip_prefix(text);
  std::size_t i = digits_end(text, 0);
  if (i == 0) return false;
  out.numbers.push_back(text.substr(0, i));
  while (i + 1 < text.size() && text[i] == '.' && is_digit(text[i + 1])) {
    const std::size_t end = digits_end(text, i + 1);
    out.numbers.push_back(text.substr(i + 1, end - i - 1));
    i = end;
  }
  std::string_view rest = text.substr(i);
  rest = rest.substr(0, rest.find('+'));  // build metadata
  if (!rest.empty() && (rest.front() == '-' || rest.front() == '.' || rest.front() == '_')) {
    rest.remove_prefix(1);
  }
  if (!rest.empty()) out.prerelease = split_dots(rest);
  return true;
}

int compare_identifier(std::string_view a, std::string_view b) {
  const bool na = all_digits(a);
  const bool nb = all_digits(b);
  if (na && nb) return compare_numeric(a, b);
  if (na != nb) return na ? -1 : 1;  // numeric identifiers have lower precedence
  return compare_bytes(a, b);
}

bool valid_identifier(std::string_view id, bool numeric_needs_no_leading_zero) {
  if (id.empty()) return false;
  for (char c : id) {
    if (!is_alnum(c) && c != '-') return false;
  }
  return !(numeric_needs_no_leading_zero && all_digits(id) && id.size() > 1 && id.front() == '0');
}

}  // namespace

int compare_semver(std::string_view a, std::string_view b) {
  Semver va;
  Semver vb;
  const bool oka = parse(a, va);
  const bool okb = parse(b, vb);
  if (!oka || !okb) {
    if (oka != okb) return oka ? 1 : -1;
    return natural_compare(trim_space(a), trim_space(b));
  }
  const std::size_t n = va.numbers.size() > vb.numbers.size() ? va.numbers.size() : vb.numbers.size();
  for (std::size_t k = 0; k < n; ++k) {
    const std::string_view x = k < va.numbers.size() ? va.numbers[k] : "0";
    const std::string_view y = k < vb.numbers.size() ? vb.numbers[k] : "0";
    if (const int r = compare_numeric(x, y); r != 0) return r;
  }
  if (va.prerelease.empty() || vb.prerelease.empty()) {
    if (va.prerelease.empty() == vb.prerelease.empty()) return 0;
    return va.prerelease.empty() ? 1 : -1;  // a pre-release precedes its release
  }
  const std::size_t m =
      va.prerelease.size() < vb.prerelease.size() ? va.prerelease.size() : vb.prerelease.size();
  for (std::size_t k = 0; k < m; ++k) {
    if (const int r = compare_identifier(va.prerelease[k], vb.prerelease[k]); r != 0) return r;
  }
  if (va.prerelease.size() == vb.prerelease.size()) return 0;
  return va.prerelease.size() < vb.prerelease.size() ? -1 : 1;
}

bool valid_semver(std::string_view text) {
  // MAJOR[.MINOR[.PATCH]][-PRERELEASE][+BUILD] with an optional leading 'v': the SemVer
  // grammar, except that minor and patch may be left out.
  if (!text.empty() && (text.front() == 'v' || text.front() == 'V')) text.remove_prefix(1);
  std::string_view build;
  if (const std::size_t plus = text.find('+'); plus != std::string_view::npos) {
    build = text.substr(plus + 1);
    if (build.empty()) return false;
    text = text.substr(0, plus);
  }
  std::string_view prerelease;
  bool has_prerelease = false;
  if (const std::size_t hyphen = text.find('-'); hyphen != std::string_view::npos) {
    prerelease = text.substr(hyphen + 1);
    has_prerelease = true;
    text = text.substr(0, hyphen);
  }
  const std::vector<std::string_view> numbers = split_dots(text);
  if (numbers.size() > 3) return false;
  for (std::string_view number : numbers) {
    if (!all_digits(number) || (number.size() > 1 && number.front() == '0')) return false;
  }
  if (has_prerelease) {
    for (std::string_view id : split_dots(prerelease)) {
      if (!valid_identifier(id, true)) return false;
    }
  }
  if (!build.empty()) {
    for (std::string_view id : split_dots(build)) {
      if (!valid_identifier(id, false)) return false;
    }
  }
  return true;
}

}  // namespace berth::version::detail
