// dpkg versions, Debian policy 5.6.12: [epoch:]upstream_version[-debian_revision].
//
// The epoch is a number; upstream and revision are compared by the same rule, alternating a
// non-digit part and a digit part from the left. In a non-digit part '~' sorts before
// anything, even the end of the part; then the end; then letters; then the other characters.
// Digit parts compare as numbers (empty is 0). A missing revision compares as "0".
#include <string_view>

#include "version/detail.h"

namespace berth::version::detail {
namespace {

struct DpkgVersion {
  std::string_view epoch;  // digits, or "" for 0
  std::string_view upstream;
  std::string_view revision;  // "" when absent
};

// Lenient split for ordering: a prefix before the first ':' that is not a number is not an
// epoch (dpkg would reject the version; here the colon is just another character).
DpkgVersion split(std::string_view text) {
  text = trim_space(text);
  DpkgVersion v;
  const std::size_t colon = text.find(':');
  if (colon != std::string_view::npos && all_digits(text.substr(0, colon))) {
    v.epoch = text.substr(0, colon);
    text.remove_prefix(colon + 1);
  }
  const std::size_t hyphen = text.rfind('-');
  if (hyphen != std::string_view::npos) {
    v.upstream = text.substr(0, hyphen);
    v.revision = text.substr(hyphen + 1);
  } else {
    v.upstream = text;
  }
  return v;
}

// Weight of a character in a non-digit part; the end of the part (and a digit, where the
// part ends) weighs 0.
int weight(char c) {
  if (c == '~') return -1;
  if (is_digit(c)) return 0;
  if (is_alpha(c)) return static_cast<unsigned char>(c);
  return static_cast<unsigned char>(c) + 256;
}

int compare_part(std::string_view a, std::string_view b) {
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < a.size() || j < b.size()) {
    while ((i < a.size() && !is_digit(a[i])) || (j < b.size() && !is_digit(b[j]))) {
      const int wa = i < a.size() ? weight(a[i]) : 0;
      const int wb = j < b.size() ? weight(b[j]) : 0;
      if (wa != wb) return wa < wb ? -1 : 1;
      // Equal weights here mean both sides hold the same non-digit character.
      ++i;
      ++j;
    }
    const std::size_t ie = digits_end(a, i);
    const std::size_t je = digits_end(b, j);
    const int r = compare_numeric(a.substr(i, ie - i), b.substr(j, je - j));
    if (r != 0) return r;
    i = ie;
    j = je;
  }
  return 0;
}

bool upstream_char(char c) {
  return is_alnum(c) || c == '.' || c == '+' || c == '~' || c == '-' || c == ':';
}

bool revision_char(char c) {
  return is_alnum(c) || c == '.' || c == '+' || c == '~';
}

}  // namespace

int compare_dpkg(std::string_view a, std::string_view b) {
  const DpkgVersion va = split(a);
  const DpkgVersion vb = split(b);
  if (const int r = compare_numeric(va.epoch, vb.epoch); r != 0) return r;
  if (const int r = compare_part(va.upstream, vb.upstream); r != 0) return r;
  return compare_part(va.revision, vb.revision);
}

bool valid_dpkg(std::string_view text) {
  // What dpkg's parser accepts without complaint: a numeric epoch if there is a colon, a
  // non-empty revision if there is a hyphen, an upstream version that starts with a digit,
  // and only the characters policy allows in each part.
  std::string_view upstream = text;
  const std::size_t colon = text.find(':');
  if (colon != std::string_view::npos) {
    if (!all_digits(text.substr(0, colon))) return false;
    upstream.remove_prefix(colon + 1);
  }
  const std::size_t hyphen = upstream.rfind('-');
  if (hyphen != std::string_view::npos) {
    const std::string_view revision = upstream.substr(hyphen + 1);
    if (revision.empty()) return false;
    for (char c : revision) {
      if (!revision_char(c)) return false;
    }
    upstream = upstream.substr(0, hyphen);
  }
  if (upstream.empty() || !is_digit(upstream.front())) return false;
  for (char c : upstream) {
    if (!upstream_char(c)) return false;
  }
  return true;
}

}  // namespace berth::version::detail
