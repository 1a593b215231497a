// rpm versions: [epoch:]version[-release], ordered as rpm 4.18 orders two EVR strings
// (rpmverCmp over rpmvercmp).
//
// Splitting: an epoch only when the string starts with digits followed by ':' (":1" has
// epoch 0); the release is whatever follows the last '-'. A missing epoch is 0. A missing
// release sorts before any release, even an empty one ("1" < "1-").
//
// rpmvercmp: separators (anything but ASCII letters, digits, '~' and '^') are skipped; '~'
// sorts before anything, even the end; '^' sorts after the end but before anything else;
// then alternating runs of letters and of digits are compared, digits as numbers, letters
// byte-wise, and a digit run beats a letter run. When one side runs out first, the side with
// something left wins.
#include <string_view>

#include "version/detail.h"

namespace berth::version::detail {
namespace {

struct Evr {
  std::string_view epoch = "0";
  std::string_view version;
  std::string_view release;
  bool has_release = false;
};

Evr split(std::string_view text) {
  Evr evr;
  const std::size_t digits = digits_end(text, 0);
  std::string_view rest = text;
  if (digits < text.size() && text[digits] == ':') {
    if (digits > 0) evr.epoch = text.substr(0, digits);
    rest = text.substr(digits + 1);
  }
  const std::size_t hyphen = rest.rfind('-');
  if (hyphen != std::string_view::npos) {
    evr.version = rest.substr(0, hyphen);
    evr.release = rest.substr(hyphen + 1);
    evr.has_release = true;
  } else {
    evr.version = rest;
  }
  return evr;
}

bool separator(char c) {
  return !is_alnum(c) && c != '~' && c != '^';
}

int rpmvercmp(std::string_view a, std::string_view b) {
  if (a == b) return 0;
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < a.size() || j < b.size()) {
    while (i < a.size() && separator(a[i])) ++i;
    while (j < b.size() && separator(b[j])) ++j;

    const bool tilde_a = i < a.size() && a[i] == '~';
    const bool tilde_b = j < b.size() && b[j] == '~';
    if (tilde_a || tilde_b) {
      if (!tilde_a) return 1;
      if (!tilde_b) return -1;
      ++i;
      ++j;
      continue;
    }

    const bool caret_a = i < a.size() && a[i] == '^';
    const bool caret_b = j < b.size() && b[j] == '^';
    if (caret_a || caret_b) {
      if (i == a.size()) return -1;  // the base version sorts before its '^' snapshot
      if (j == b.size()) return 1;
      if (!caret_a) return 1;
      if (!caret_b) return -1;
      ++i;
      ++j;
      continue;
    }

    if (i == a.size() || j == b.size()) break;

    const bool numeric = is_digit(a[i]);
    std::size_t ie = i;
    std::size_t je = j;
    if (numeric) {
      ie = digits_end(a, i);
      je = digits_end(b, j);
    } else {
      while (ie < a.size() && is_alpha(a[ie])) ++ie;
      while (je < b.size() && is_alpha(b[je])) ++je;
    }
    if (je == j) return numeric ? 1 : -1;  // different kinds of run: digits are newer

    const std::string_view ra = a.substr(i, ie - i);
    const std::string_view rb = b.substr(j, je - j);
    const int r = numeric ? compare_numeric(ra, rb) : compare_bytes(ra, rb);
    if (r != 0) return r;
    i = ie;
    j = je;
  }
  if (i == a.size() && j == b.size()) return 0;
  return i < a.size() ? 1 : -1;
}

bool field_char(char c) {
  return is_alnum(c) || c == '.' || c == '_' || c == '+' || c == '~' || c == '^';
}

bool valid_field(std::string_view field) {
  if (field.empty()) return false;
  for (char c : field) {
    if (!field_char(c)) return false;
  }
  return true;
}

}  // namespace

int compare_rpm(std::string_view a, std::string_view b) {
  const Evr ea = split(a);
  const Evr eb = split(b);
  if (const int r = rpmvercmp(ea.epoch, eb.epoch); r != 0) return r;
  if (const int r = rpmvercmp(ea.version, eb.version); r != 0) return r;
  if (ea.has_release != eb.has_release) return ea.has_release ? 1 : -1;
  return rpmvercmp(ea.release, eb.release);
}

bool valid_rpm(std::string_view text) {
  // [digits:]version[-release], with the characters rpmbuild allows in Version and Release
  // (macros aside) and at most one '-'.
  const std::size_t colon = text.find(':');
  if (colon != std::string_view::npos) {
    if (!all_digits(text.substr(0, colon))) return false;
    text.remove_prefix(colon + 1);
  }
  const std::size_t hyphen = text.find('-');
  if (hyphen == std::string_view::npos) return valid_field(text);
  return valid_field(text.substr(0, hyphen)) && valid_field(text.substr(hyphen + 1));
}

}  // namespace berth::version::detail
