// Maven versions, ordered as Maven's ComparableVersion (maven-artifact 3.8) orders them.
//
// The lower-cased text becomes a tree: '.' separates items of the current list, '-' starts
// a nested list, and so does a change between letters and digits ("1.0alpha1" reads as
// [1, [alpha, [1]]]); a word directly after a '.' that is followed by digits or ends the
// text also opens a nested list, so "1.0.x1" reads like "1.0-x1". Numbers compare as
// numbers; words by qualifier rank: alpha (a) < beta (b) < milestone (m) < rc (cr) <
// snapshot < "" (ga, final, release) < sp < any other word, others among themselves
// alphabetically; the one-letter forms only count when a digit follows. Trailing "null"
// items (0, the release qualifier, empty lists) are dropped from each list, so "1.0.0" == "1"
// and "1-ga" == "1".
//
// Between kinds: a number beats a word or a list ("1.1" > "1-sp", "1.1" > "1-1"), a list
// beats a word ("1-1" > "1-sp"), and a missing item compares as a null item.
#include <string>
#include <string_view>
#include <vector>

#include "version/detail.h"

namespace berth::version::detail {
namespace {

struct Item {
  enum class Kind { number, word, list };
  Kind kind = Kind::list;
  std::string text;  // number: digits without leading zeros ("" is 0); word: its qualifier
  std::vector<Item> items;

  static Item number(std::string_view digits) {
    while (!digits.empty() && digits.front() == '0') digits.remove_prefix(1);
    return Item{Kind::number, std::string(digits), {}};
  }

  static Item word(std::string_view word, bool followed_by_digit) {
    if (followed_by_digit && word.size() == 1) {
      if (word == "a") word = "alpha";
      if (word == "b") word = "beta";
      if (word == "m") word = "milestone";
    }
    if (word == "ga" || word == "final" || word == "release") word = "";
    if (word == "cr") word = "rc";
    return Item{Kind::word, std::string(word), {}};
  }

  bool is_null() const {
    switch (kind) {
      case Kind::number:
        return text.empty();
      case Kind::word:
        return text.empty();
      case Kind::list:
        return items.empty();
    }
    return false;
  }
};

// Qualifier rank as a string, compared byte-wise: "0".."6" for the known qualifiers, "7-" +
// word for the others, so unknown words sort after sp and alphabetically among themselves.
std::string qualifier_key(const std::string& word) {
  static constexpr std::string_view kKnown[] = {"alpha", "beta", "milestone", "rc", "snapshot", "", "sp"};
  for (std::size_t i = 0; i < std::size(kKnown); ++i) {
    if (kKnown[i] == word) return std::string(1, static_cast<char>('0' + i));
  }
  return "7-" + word;
}

constexpr std::string_view kReleaseKey = "5";

int compare_items(const Item* a, const Item* b);

// An item against a missing one.
int compare_to_missing(const Item& a) {
  switch (a.kind) {
    case Item::Kind::number:
      return a.text.empty() ? 0 : 1;
    case Item::Kind::word:
      return compare_bytes(qualifier_key(a.text), kReleaseKey);
    case Item::Kind::list:
      for (const Item& item : a.items) {
        if (const int r = compare_to_missing(item); r != 0) return r;
      }
      return 0;
  }
  return 0;
}

int compare_lists(const std::vector<Item>& a, const std::vector<Item>& b) {
  const std::size_t n = a.size() > b.size() ? a.size() : b.size();
  for (std::size_t k = 0; k < n; ++k) {
    const Item* x = k < a.size() ? &a[k] : nullptr;
    const Item* y = k < b.size() ? &b[k] : nullptr;
    if (const int r = compare_items(x, y); r != 0) return r;
  }
  return 0;
}

int compare_items(const Item* a, const Item* b) {
  if (a == nullptr) return b == nullptr ? 0 : -compare_to_missing(*b);
  if (b == nullptr) return compare_to_missing(*a);
  using Kind = Item::Kind;
  switch (a->kind) {
    case Kind::number:
      if (b->kind == Kind::number) return compare_numeric(a->text, b->text);
      return 1;
    case Kind::word:
      if (b->kind == Kind::word) return compare_bytes(qualifier_key(a->text), qualifier_key(b->text));
      return -1;
    case Kind::list:
      if (b->kind == Kind::list) return compare_lists(a->items, b->items);
      return b->kind == Kind::number ? -1 : 1;
  }
  return 0;
}

// Drops trailing null items; a non-null list item does not stop the scan, a number or a
// word does.
void normalize(std::vector<Item>& items) {
  for (std::size_t k = items.size(); k-- > 0;) {
    if (items[k].is_null()) {
      items.erase(items.begin() + static_cast<std::ptrdiff_t>(k));
    } else if (items[k].kind != Item::Kind::list) {
      break;
    }
  }
}

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(to_lower(text)) {}

  std::vector<Item> parse() {
    std::vector<Item> root;
    // Lists are addressed by their path of indices from the root, since adding items
    // reallocates the vectors that hold them.
    path_.clear();
    bool digit = false;
    std::size_t start = 0;
    for (std::size_t i = 0; i < s_.size(); ++i) {
      const char c = s_[i];
      if (c == '.' || c == '-') {
        current(root).push_back(i == start ? Item::number("") : make_item(digit, start, i));
        start = i + 1;
        if (c == '-') open_list(root);
      } else if (is_digit(c)) {
        if (!digit && i > start) {
          // A word followed by digits: "x1" is [x, [1]], and ".x1" after items is "-x1".
          if (!current(root).empty()) open_list(root);
          current(root).push_back(Item::word(std::string_view(s_).substr(start, i - start), true));
          start = i;
          open_list(root);
        }
        digit = true;
      } else {
        if (digit && i > start) {
          current(root).push_back(make_item(true, start, i));
          start = i;
          open_list(root);
        }
        digit = false;
      }
    }
    if (s_.size() > start) {
      if (!digit && !current(root).empty()) open_list(root);  // a trailing ".x" reads as "-x"
      current(root).push_back(make_item(digit, start, s_.size()));
    }
    // Normalise the innermost lists first, as they close.
    while (!path_.empty()) {
      normalize(current(root));
      path_.pop_back();
    }
    normalize(root);
    return root;
  }

 private:
  Item make_item(bool digit, std::size_t start, std::size_t end) const {
    const std::string_view text = std::string_view(s_).substr(start, end - start);
    return digit ? Item::number(text) : Item::word(text, false);
  }

  std::vector<Item>& current(std::vector<Item>& root) {
    std::vector<Item>* list = &root;
    for (std::size_t index : path_) list = &(*list)[index].items;
    return *list;
  }

  void open_list(std::vector<Item>& root) {
    std::vector<Item>& list = current(root);
    list.push_back(Item{Item::Kind::list, {}, {}});
    path_.push_back(list.size() - 1);
  }

  std::string s_;
  std::vector<std::size_t> path_;
};

}  // namespace

int compare_maven(std::string_view a, std::string_view b) {
  return sign(compare_lists(Parser(a).parse(), Parser(b).parse()));
}

bool valid_maven(std::string_view text) {
  // Maven orders any text; as a sanity check for importers, accept what appears in real
  // POMs: starts with a letter or digit, then letters, digits and . - _ + only.
  if (text.empty() || !is_alnum(text.front())) return false;
  for (char c : text) {
    if (!is_alnum(c) && c != '.' && c != '-' && c != '_' && c != '+') return false;
  }
  return true;
}

}  // namespace berth::version::detail
