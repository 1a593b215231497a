// Alpine apk versions, ordered as apk-tools 2 (the apk of Alpine 3.x) orders them:
//   digits{.digits}...{letter}{_suffix{digits}}...{-rN}
//
// The text is read as a sequence of tokens, each with a value: numbers for the digit parts
// (a dotted part with leading zeros counts those zeros as a negative value and the rest as
// a further part, so "1.02" < "1.1" and "1.001" < "1.01"), a letter by its code, a suffix
// by its rank (_alpha < _beta < _pre < _rc < no suffix < _cvs < _svn < _git < _hg < _p),
// then its number, and the -rN revision. A letter may be followed by more digits
// ("6.6.2p1"). Both versions are read in step while their tokens have the same kind and
// value.
//
// When the kinds differ (or one side ends), the side with more is newer, unless what it has
// next is a pre-release suffix: "1.0" < "1.0.1", "1.0" < "1.0-r1", "1.0" < "1.0_p1", but
// "1.0" > "1.0_rc1". Text that breaks the grammar (an unknown suffix, a stray character)
// ends the reading with an invalid token.
#include <string>
#include <string_view>

#include "version/detail.h"

namespace berth::version::detail {
namespace {

// In grammar order; a token kind may only follow kinds before it, with the exceptions in
// next_kind().
enum class Kind { invalid, digits_or_zero, digits, letter, suffix, suffix_number, revision, end };

// A token's value: a number of any size, or a small signed value (zero counts, letters,
// suffix ranks).
struct Value {
  bool big = false;
  std::string_view digits;
  int small = 0;
};

int compare_values(const Value& a, const Value& b) {
  if (a.big && b.big) return compare_numeric(a.digits, b.digits);
  if (!a.big && !b.big) return a.small < b.small ? -1 : (a.small > b.small ? 1 : 0);
  const Value& small = a.big ? b : a;
  const int r = small.small < 0 ? -1 : compare_numeric(std::to_string(small.small), (a.big ? a : b).digits);
  return a.big ? -r : r;
}

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

bool pre_release_suffix_next(Tokenizer t) {
  return t.kind() == Kind::suffix && t.take().small < 0;
}

}  // namespace

int compare_apk(std::string_view a, std::string_view b) {
  Tokenizer ta(a);
  Tokenizer tb(b);
  Value va;
  Value vb;
  while (ta.kind() == tb.kind() && ta.kind() != Kind::end && ta.kind() != Kind::invalid &&
         compare_values(va, vb) == 0) {
    va = ta.take();
    vb = tb.take();
  }
  if (const int r = compare_values(va, vb); r != 0) return r;
  if (ta.kind() == tb.kind()) return 0;  // both ended, or both turned invalid at the same point
  if (pre_release_suffix_next(ta)) return -1;
  if (pre_release_suffix_next(tb)) return 1;
  return ta.kind() > tb.kind() ? -1 : 1;
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
