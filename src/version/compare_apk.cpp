// Alpine apk versions:
//   digits{.digits}...{letter}{_suffix{digits}}...{~hash}{-rN}
//
// A version is read into its parts, which are compared in turn: the dotted numbers (as
// numbers, except that after the first a part with a leading zero compares as text, so
// "1.02" < "1.1"; a missing part is 0), the letter (none < a < ... < z), the suffixes (each
// by rank, _alpha < _beta < _pre < _rc < none < _cvs < _svn < _git < _hg < _p, then by its
// number; a missing suffix ranks as none), the -rN revision, and finally whether anything was
// left unread (a version read to its end is newer). The commit hash is not compared.
//
// Text the grammar does not cover is ordered as OSV's reference implementation orders it,
// which the ordering tables in tests/data follow: a version whose tail after the suffixes and
// hash is not a revision is invalid; an invalid version against a valid one is compared part
// by part as above; two invalid versions (the old "6.6.1p1-r1" style of Alpine's security
// data among them) are compared as text, with runs of digits as numbers.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "version/detail.h"

namespace berth::version::detail {
namespace {

// valid_apk() reads a version as apk-tools 2 does, token by token. Token kinds in grammar
// order; a kind may only follow kinds before it, with the exceptions in next_kind().
enum class Kind { invalid, digits_or_zero, digits, letter, suffix, suffix_number, revision, end };

// A token's value: a number of any size, or a small signed value (zero counts, letters,
// suffix ranks).
struct Value {
  bool big = false;
  std::string_view digits;
  int small = 0;
};

// Ranks: pre-release suffixes negative, post-release ones from 0; -1 also marks an unknown
// suffix, which ends the reading.
int suffix_rank(std::string_view rest, std::size_t& length) {
  static constexpr std::string_view kPre[] = {"alpha", "beta", "pre", "rc"};
  static constexpr std::string_view kPost[] = {"cvs", "svn", "git", "hg", "p"};
  for (std::size_t i = 0; i < std::size(kPre); ++i) {
    if (rest.substr(0, kPre[i].size()) == kPre[i]) {
      length = kPre[i].size();
      return static_cast<int>(i) - static_cast<int>(std::size(kPre));
    }
  }
  for (std::size_t i = 0; i < std::size(kPost); ++i) {
    if (rest.substr(0, kPost[i].size()) == kPost[i]) {
      length = kPost[i].size();
      return static_cast<int>(i);
    }
  }
  return -1;
}

class Tokenizer {
 public:
  explicit Tokenizer(std::string_view text) : rest_(text.substr(0, text.find('\0'))) {}

  Kind kind() const { return kind_; }

  // Reads the token of the current kind and moves on to the kind of the next one.
  Value take() {
    Value v;
    if (rest_.empty()) {
      kind_ = Kind::end;
      return v;
    }
    std::size_t length = 0;
    bool forced_digits = false;
    switch (kind_) {
      case Kind::digits_or_zero:
        if (rest_.front() == '0') {
          while (length < rest_.size() && rest_[length] == '0') ++length;
          v.small = -static_cast<int>(length);
          forced_digits = true;
          break;
        }
        [[fallthrough]];
      case Kind::digits:
      case Kind::suffix_number:
      case Kind::revision:
        length = digits_end(rest_, 0);
        v.big = true;
        v.digits = rest_.substr(0, length);
        break;
      case Kind::letter:
        v.small = static_cast<unsigned char>(rest_.front());
        length = 1;
        break;
      case Kind::suffix:
        v.small = suffix_rank(rest_, length);
        if (length == 0) {
          kind_ = Kind::invalid;
          return v;
        }
        break;
      case Kind::invalid:
      case Kind::end:
        kind_ = Kind::invalid;
        v.small = -1;
        return v;
    }
    rest_.remove_prefix(length);
    if (rest_.empty()) {
      kind_ = Kind::end;
    } else if (forced_digits) {
      kind_ = Kind::digits;  // the rest of a part with leading zeros
    } else {
      next_kind();
    }
    return v;
  }

 private:
  void next_kind() {
    const char c = rest_.front();
    Kind next = Kind::invalid;
    if ((kind_ == Kind::digits || kind_ == Kind::digits_or_zero) && is_lower(c)) {
      next = Kind::letter;
    } else if (kind_ == Kind::letter && is_digit(c)) {
      next = Kind::digits;
    } else if (kind_ == Kind::suffix && is_digit(c)) {
      next = Kind::suffix_number;
    } else {
      if (c == '.') {
        next = Kind::digits_or_zero;
      } else if (c == '_') {
        next = Kind::suffix;
      } else if (c == '-' && rest_.size() > 1 && rest_[1] == 'r') {
        next = Kind::revision;
        rest_.remove_prefix(1);
      }
      rest_.remove_prefix(1);
    }
    if (next < kind_) {
      const bool allowed = (next == Kind::digits_or_zero && kind_ == Kind::digits) ||
                           (next == Kind::suffix && kind_ == Kind::suffix_number) ||
                           (next == Kind::digits && kind_ == Kind::letter);
      if (!allowed) next = Kind::invalid;
    }
    kind_ = next;
  }

  std::string_view rest_;
  Kind kind_ = Kind::digits;
};

// A version read into its parts.
struct Parts {
  std::vector<std::string_view> numbers;                   // "" where two dots meet
  char letter = 0;                                         // 0 = none
  std::vector<std::pair<int, std::string_view>> suffixes;  // rank (none = 0), digits
  std::string_view revision;                               // digits of -rN ("" = 0)
  std::string_view rest;                                   // what was not read
  bool invalid = false;
};

constexpr std::string_view kSuffixes[] = {"alpha", "beta", "pre", "rc", "cvs", "svn", "git", "hg", "p"};
constexpr int kSuffixRanks[] = {-4, -3, -2, -1, 1, 2, 3, 4, 5};

Parts read_parts(std::string_view text) {
  Parts p;
  std::size_t pos = 0;
  // Runs of digits, each followed by at most one dot.
  while (pos < text.size() && is_digit(text[pos])) {
    pos = digits_end(text, pos);
    if (pos < text.size() && text[pos] == '.') ++pos;
  }
  for (std::string_view numbers = text.substr(0, pos); !numbers.empty();) {
    const std::size_t dot = numbers.find('.');
    p.numbers.push_back(numbers.substr(0, dot));
    if (dot == std::string_view::npos) break;
    numbers.remove_prefix(dot + 1);
    if (numbers.empty()) p.numbers.push_back(numbers);  // a trailing dot
  }
  if (pos < text.size() && is_lower(text[pos])) p.letter = text[pos++];
  // Every "_suffix{digits}" in the rest counts; only those at its start are consumed.
  std::string_view rest = text.substr(pos);
  std::size_t i = 0;
  while (i < rest.size()) {
    std::size_t end = 0;
    for (std::size_t k = 0; rest[i] == '_' && end == 0 && k < std::size(kSuffixes); ++k) {
      if (rest.substr(i + 1, kSuffixes[k].size()) != kSuffixes[k]) continue;
      const std::size_t number = i + 1 + kSuffixes[k].size();
      end = digits_end(rest, number);
      p.suffixes.emplace_back(kSuffixRanks[k], rest.substr(number, end - number));
    }
    if (end == 0) {
      ++i;
    } else if (i == 0) {
      rest.remove_prefix(end);
    } else {
      i = end;
    }
  }
  if (rest.size() > 1 && rest[0] == '~' && (is_digit(rest[1]) || (rest[1] >= 'a' && rest[1] <= 'f'))) {
    std::size_t end = 1;
    while (end < rest.size() && (is_digit(rest[end]) || (rest[end] >= 'a' && rest[end] <= 'f'))) ++end;
    rest.remove_prefix(end);
  }
  if (!rest.empty()) {
    if (rest.substr(0, 2) == "-r") {
      const std::size_t end = digits_end(rest, 2);
      p.revision = rest.substr(2, end - 2);
      rest.remove_prefix(end);
    } else {
      p.invalid = true;
    }
  }
  p.rest = rest;
  return p;
}

int compare_number_parts(const Parts& a, const Parts& b) {
  const std::size_t n = std::max(a.numbers.size(), b.numbers.size());
  for (std::size_t i = 0; i < n; ++i) {
    const std::string_view x = i < a.numbers.size() ? a.numbers[i] : std::string_view("0");
    const std::string_view y = i < b.numbers.size() ? b.numbers[i] : std::string_view("0");
    const bool as_text =
        i > 0 && i < a.numbers.size() && i < b.numbers.size() && (x.starts_with('0') || y.starts_with('0'));
    if (const int r = as_text ? compare_bytes(x, y) : compare_numeric(x, y); r != 0) return r;
  }
  return 0;
}

int compare_suffixes(const Parts& a, const Parts& b) {
  const std::size_t n = std::max(a.suffixes.size(), b.suffixes.size());
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = i < a.suffixes.size() ? a.suffixes[i] : std::pair<int, std::string_view>{0, ""};
    const auto y = i < b.suffixes.size() ? b.suffixes[i] : std::pair<int, std::string_view>{0, ""};
    if (x.first != y.first) return x.first < y.first ? -1 : 1;
    if (const int r = compare_numeric(x.second, y.second); r != 0) return r;
  }
  return 0;
}

// Two invalid versions: byte by byte, except that runs of digits met at the same place compare
// as numbers ("6.6.1p1-r9" < "6.6.1p1-r10").
int compare_invalid(std::string_view a, std::string_view b) {
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < a.size() && j < b.size()) {
    if (is_digit(a[i]) && is_digit(b[j])) {
      const std::size_t ei = digits_end(a, i);
      const std::size_t ej = digits_end(b, j);
      if (const int r = compare_numeric(a.substr(i, ei - i), b.substr(j, ej - j)); r != 0) return r;
      i = ei;
      j = ej;
      continue;
    }
    if (a[i] != b[j]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]) ? -1 : 1;
    ++i;
    ++j;
  }
  if (i < a.size()) return 1;
  return j < b.size() ? -1 : 0;
}

}  // namespace

int compare_apk(std::string_view a, std::string_view b) {
  a = a.substr(0, a.find('\0'));
  b = b.substr(0, b.find('\0'));
  const Parts pa = read_parts(a);
  const Parts pb = read_parts(b);
  if (pa.invalid && pb.invalid) return compare_invalid(a, b);
  if (const int r = compare_number_parts(pa, pb); r != 0) return r;
  if (pa.letter != pb.letter) return pa.letter < pb.letter ? -1 : 1;
  if (const int r = compare_suffixes(pa, pb); r != 0) return r;
  if (const int r = compare_numeric(pa.revision, pb.revision); r != 0) return r;
  if (pa.rest.empty() != pb.rest.empty()) return pa.rest.empty() ? 1 : -1;
  return 0;
}

bool valid_apk(std::string_view text) {
  // What apk-tools 2 reads to the end, but starting with a digit and with one revision at
  // most (apk-tools 2 itself lets "1.0-r1-r2" through).
  if (text.empty() || !is_digit(text.front())) return false;
  Tokenizer t(text);
  int revisions = 0;
  while (t.kind() != Kind::end && t.kind() != Kind::invalid) {
    if (t.kind() == Kind::revision) ++revisions;
    t.take();
  }
  return t.kind() == Kind::end && revisions <= 1;
}

}  // namespace berth::version::detail
