// Python package versions, PEP 440 (as the "packaging" library reads and orders them):
//   [N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]
//
// Reading follows PEP 440's normalisation rules: case does not matter, a leading 'v' and
// surrounding spaces are ignored, '-', '_' or '.' may separate the parts or be left out,
// "alpha", "beta", "c", "pre" and "preview" spell a, b and rc, "rev" and "r" spell post, a
// missing number is 0, and "1.0-1" is the post-release 1.0.post1.
//
// Ordering: epoch; release numbers with trailing zeros ignored; then a dev release of the
// plain version ("1.0.dev1") before its pre-releases, pre-releases (a < b < rc) before the
// final; post-releases after it; a dev release before its parent. A local label sorts after
// the same public version, and labels compare part by part, numbers above words.
// Text that is not a PEP 440 version sorts before every version, and among itself naturally.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "version/detail.h"

namespace berth::version::detail {
namespace {

struct Pep440 {
  std::string_view epoch;  // "" for 0
  std::vector<std::string_view> release;
  int pre_kind = -1;  // -1 none, 0 a, 1 b, 2 rc
  std::string_view pre_number;
  bool has_post = false;
  std::string_view post_number;
  bool has_dev = false;
  std::string_view dev_number;
  bool has_local = false;
  std::vector<std::string_view> local;
};

bool separator(char c) {
  return c == '-' || c == '_' || c == '.';
}

// Reads lower-cased, trimmed text; the views point into it.
class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  std::optional<Pep440> parse() {
    Pep440 v;
    if (peek() == 'v') ++i_;
    // Epoch: digits followed by '!'.
    if (const std::size_t e = digits_end(s_, i_); e > i_ && e < s_.size() && s_[e] == '!') {
      v.epoch = s_.substr(i_, e - i_);
      i_ = e + 1;
    }
    // Release: N(.N)*
    std::size_t e = digits_end(s_, i_);
    if (e == i_) return std::nullopt;
    v.release.push_back(s_.substr(i_, e - i_));
    i_ = e;
    while (peek() == '.' && i_ + 1 < s_.size() && is_digit(s_[i_ + 1])) {
      e = digits_end(s_, i_ + 1);
      v.release.push_back(s_.substr(i_ + 1, e - i_ - 1));
      i_ = e;
    }
    parse_pre(v);
    parse_post(v);
    parse_dev(v);
    if (peek() == '+' && !parse_local(v)) return std::nullopt;
    if (i_ != s_.size()) return std::nullopt;
    return v;
  }

 private:
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }

  bool at(std::size_t pos, std::string_view word) const { return s_.substr(pos, word.size()) == word; }

  // An optional separator, then an optional number. Both are taken greedily, as the
  // reference regular expression does; a lone trailing separator is allowed.
  std::string_view optional_number() {
    if (separator(peek())) ++i_;
    const std::size_t e = digits_end(s_, i_);
    const std::string_view number = s_.substr(i_, e - i_);
    i_ = e;
    return number;
  }

  void parse_pre(Pep440& v) {
    static constexpr struct {
      std::string_view word;
      int kind;
    } kLabels[] = {{"alpha", 0},   {"a", 0},   {"beta", 1}, {"b", 1},
                   {"preview", 2}, {"pre", 2}, {"c", 2},    {"rc", 2}};
    std::size_t pos = i_;
    if (separator(peek())) ++pos;
    for (const auto& label : kLabels) {
      if (at(pos, label.word)) {
        i_ = pos + label.word.size();
        v.pre_kind = label.kind;
        v.pre_number = optional_number();
        return;
      }
    }
  }

  void parse_post(Pep440& v) {
    // "-N" is a post-release on its own.
    if (peek() == '-' && i_ + 1 < s_.size() && is_digit(s_[i_ + 1])) {
      const std::size_t e = digits_end(s_, i_ + 1);
      v.has_post = true;
      v.post_number = s_.substr(i_ + 1, e - i_ - 1);
      i_ = e;
      return;
    }
    std::size_t pos = i_;
    if (separator(peek())) ++pos;
    for (std::string_view word : {std::string_view("post"), std::string_view("rev"), std::string_view("r")}) {
      if (at(pos, word)) {
        i_ = pos + word.size();
        v.has_post = true;
        v.post_number = optional_number();
        return;
      }
    }
  }

  void parse_dev(Pep440& v) {
    std::size_t pos = i_;
    if (separator(peek())) ++pos;
    if (at(pos, "dev")) {
      i_ = pos + 3;
      v.has_dev = true;
      v.dev_number = optional_number();
    }
  }

  // "+" then alphanumeric parts joined by single separators.
  bool parse_local(Pep440& v) {
    ++i_;
    v.has_local = true;
    while (true) {
      std::size_t e = i_;
      while (e < s_.size() && is_alnum(s_[e])) ++e;
      if (e == i_) return false;
      v.local.push_back(s_.substr(i_, e - i_));
      i_ = e;
      if (!separator(peek())) return true;
      ++i_;
    }
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

std::optional<Pep440> parse(const std::string& lowered) {
  return Parser(lowered).parse();
}

std::string normalise(std::string_view text) {
  return to_lower(trim_space(text));
}

// The pre-release slot of the sort key: -1 for a dev release of the plain version, 1 for no
// pre-release, 0 (then kind and number) for a pre-release.
int pre_slot(const Pep440& v) {
  if (v.pre_kind >= 0) return 0;
  return (!v.has_post && v.has_dev) ? -1 : 1;
}

int compare_local_part(std::string_view a, std::string_view b) {
  const bool na = all_digits(a);
  const bool nb = all_digits(b);
  if (na && nb) return compare_numeric(a, b);
  if (na != nb) return na ? 1 : -1;
  return compare_bytes(a, b);
}

int compare_parsed(const Pep440& a, const Pep440& b) {
  if (const int r = compare_numeric(a.epoch, b.epoch); r != 0) return r;

  const std::size_t n = a.release.size() > b.release.size() ? a.release.size() : b.release.size();
  for (std::size_t k = 0; k < n; ++k) {
    const std::string_view x = k < a.release.size() ? a.release[k] : "0";
    const std::string_view y = k < b.release.size() ? b.release[k] : "0";
    if (const int r = compare_numeric(x, y); r != 0) return r;
  }

  const int sa = pre_slot(a);
  const int sb = pre_slot(b);
  if (sa != sb) return sa < sb ? -1 : 1;
  if (sa == 0) {
    if (a.pre_kind != b.pre_kind) return a.pre_kind < b.pre_kind ? -1 : 1;
    if (const int r = compare_numeric(a.pre_number, b.pre_number); r != 0) return r;
  }

  if (a.has_post != b.has_post) return a.has_post ? 1 : -1;
  if (const int r = compare_numeric(a.post_number, b.post_number); r != 0) return r;

  if (a.has_dev != b.has_dev) return a.has_dev ? -1 : 1;
  if (const int r = compare_numeric(a.dev_number, b.dev_number); r != 0) return r;

  if (a.has_local != b.has_local) return a.has_local ? 1 : -1;
  const std::size_t m = a.local.size() < b.local.size() ? a.local.size() : b.local.size();
  for (std::size_t k = 0; k < m; ++k) {
    if (const int r = compare_local_part(a.local[k], b.local[k]); r != 0) return r;
  }
  if (a.local.size() == b.local.size()) return 0;
  return a.local.size() < b.local.size() ? -1 : 1;
}

}  // namespace

int compare_pep440(std::string_view a, std::string_view b) {
  const std::string la = normalise(a);
  const std::string lb = normalise(b);
  const std::optional<Pep440> pa = parse(la);
  const std::optional<Pep440> pb = parse(lb);
  if (pa && pb) return compare_parsed(*pa, *pb);
  if (pa || pb) return pa ? 1 : -1;
  return natural_compare(la, lb);
}

bool valid_pep440(std::string_view text) {
  return !trim_space(text).empty() && parse(normalise(text)).has_value();
}

}  // namespace berth::version::detail
