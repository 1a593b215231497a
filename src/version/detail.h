// Internal to src/version: one compare/valid pair per scheme, and the small text helpers they
// share. Not part of the module's interface; include "version/compare.h" instead.
#pragma once

#include <string>
#include <string_view>

namespace berth::version::detail {

// ASCII-only character classes: version grammars are defined on ASCII, and the C <cctype>
// functions depend on the locale and on the sign of char.
constexpr bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
constexpr bool is_lower(char c) {
  return c >= 'a' && c <= 'z';
}
constexpr bool is_upper(char c) {
  return c >= 'A' && c <= 'Z';
}
constexpr bool is_alpha(char c) {
  return is_lower(c) || is_upper(c);
}
constexpr bool is_alnum(char c) {
  return is_alpha(c) || is_digit(c);
}
constexpr bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
constexpr char to_lower(char c) {
  return is_upper(c) ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr int sign(int v) {
  return v < 0 ? -1 : (v > 0 ? 1 : 0);
}

std::string to_lower(std::string_view text);
std::string_view trim_space(std::string_view text);
bool all_digits(std::string_view text);  // false for ""

// The end of the run of digits starting at pos (pos itself when there is none).
std::size_t digits_end(std::string_view text, std::size_t pos);

// Unsigned byte-wise comparison, like memcmp then length: -1, 0 or 1.
int compare_bytes(std::string_view a, std::string_view b);

// Compares two runs of ASCII digits as unbounded non-negative integers; leading zeros do not
// count and "" is 0. -1, 0 or 1.
int compare_numeric(std::string_view a, std::string_view b);

// Fallback order for text a scheme cannot parse: runs of digits compare as numbers, other
// runs byte-wise, and a digit run sorts after a non-digit run at the same position.
int natural_compare(std::string_view a, std::string_view b);

int compare_dpkg(std::string_view a, std::string_view b);
bool valid_dpkg(std::string_view text);

int compare_apk(std::string_view a, std::string_view b);
bool valid_apk(std::string_view text);

int compare_rpm(std::string_view a, std::string_view b);
bool valid_rpm(std::string_view text);

int compare_semver(std::string_view a, std::string_view b);
bool valid_semver(std::string_view text);

int compare_pep440(std::string_view a, std::string_view b);
bool valid_pep440(std::string_view text);

int compare_maven(std::string_view a, std::string_view b);
bool valid_maven(std::string_view text);

int compare_rubygems(std::string_view a, std::string_view b);
bool valid_rubygems(std::string_view text);

}  // namespace berth::version::detail
