// RubyGems versions, ordered as Gem::Version orders them.
//
// A version is digits followed by dot-separated alphanumeric segments, optionally "-" and
// more (each '-' reads as ".pre."). It splits into runs of digits (numbers) and runs of
// letters (strings): "1.0.b1" is [1, 0, "b", 1]. Any string makes the version a
// pre-release. Trailing zeros of the leading numeric part and of the rest are ignored, so
// "1.0.0" == "1" and "1.0.a.0" == "1.a". Segments then compare in turn, a missing one as 0:
// numbers as numbers, strings byte-wise, and a string before a number ("1.0.a" < "1.0").
// Text that is not a gem version sorts before every version, and among itself naturally.
#include <string_view>
#include <vector>

#include "version/detail.h"

namespace berth::version::detail {
namespace {

struct Segment {
  bool numeric;
  std::string_view text;  // digits, or letters
};

bool segment_char(char c) {
  return is_alnum(c);
}

// [0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?
bool well_formed(std::string_view text) {
  std::size_t i = digits_end(text, 0);
  if (i == 0) return false;
  while (i < text.size() && text[i] == '.') {
    std::size_t e = i + 1;
    while (e < text.size() && segment_char(text[e])) ++e;
    if (e == i + 1) return false;
    i = e;
  }
  if (i == text.size()) return true;
  if (text[i] != '-') return false;
  ++i;
  while (true) {
    std::size_t e = i;
    while (e < text.size() && (segment_char(text[e]) || text[e] == '-')) ++e;
    if (e == i) return false;
    if (e == text.size()) return true;
    if (text[e] != '.') return false;
    i = e + 1;
  }
}

std::vector<Segment> segments(std::string_view text) {
  std::vector<Segment> out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (is_digit(text[i])) {
      const std::size_t e = digits_end(text, i);
      out.push_back({true, text.substr(i, e - i)});
      i = e;
    } else if (is_alpha(text[i])) {
      std::size_t e = i;
      while (e < text.size() && is_alpha(text[e])) ++e;
      out.push_back({false, text.substr(i, e - i)});
      i = e;
    } else {
      if (text[i] == '-') out.push_back({false, "pre"});  // '-' reads as ".pre."
      ++i;
    }
  }
  return out;
}

bool is_zero(const Segment& s) {
  return s.numeric && compare_numeric(s.text, "") == 0;
}

// Gem::Version#canonical_segments: trailing zeros dropped from the numeric prefix and from
// the rest separately.
std::vector<Segment> canonical(std::vector<Segment> all) {
  std::size_t first_string = 0;
  while (first_string < all.size() && all[first_string].numeric) ++first_string;
  std::vector<Segment> out;
  std::size_t end = first_string;
  while (end > 0 && is_zero(all[end - 1])) --end;
  out.insert(out.end(), all.begin(), all.begin() + static_cast<std::ptrdiff_t>(end));
  end = all.size();
  while (end > first_string && is_zero(all[end - 1])) --end;
  out.insert(out.end(), all.begin() + static_cast<std::ptrdiff_t>(first_string),
             all.begin() + static_cast<std::ptrdiff_t>(end));
  return out;
}

int compare_segment(const Segment& a, const Segment& b) {
  if (a.numeric && b.numeric) return compare_numeric(a.text, b.text);
  if (a.numeric != b.numeric) return a.numeric ? 1 : -1;
  return compare_bytes(a.text, b.text);
}

}  // namespace

int compare_rubygems(std::string_view a, std::string_view b) {
  a = trim_space(a);
  b = trim_space(b);
  // Gem::Version reads "" as "0".
  if (a.empty()) a = "0";
  if (b.empty()) b = "0";
  const bool oka = well_formed(a);
  const bool okb = well_formed(b);
  if (!oka || !okb) {
    if (oka != okb) return oka ? 1 : -1;
    return natural_compare(a, b);
  }
  const std::vector<Segment> sa = canonical(segments(a));
  const std::vector<Segment> sb = canonical(segments(b));
  const Segment zero{true, "0"};
  const std::size_t n = sa.size() > sb.size() ? sa.size() : sb.size();
  for (std::size_t k = 0; k < n; ++k) {
    const Segment& x = k < sa.size() ? sa[k] : zero;
    const Segment& y = k < sb.size() ? sb[k] : zero;
    if (const int r = compare_segment(x, y); r != 0) return r;
  }
  return 0;
}

bool valid_rubygems(std::string_view text) {
  text = trim_space(text);
  return !text.empty() && well_formed(text);
}

}  // namespace berth::version::detail
