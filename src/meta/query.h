// Listing queries shared by the metadata interfaces: Harbor's `q` filters, a sort
// field and a page (offset/limit), and a page of results with the total before paging.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace berth::meta {

// One condition of a listing, as Harbor's q= syntax states it (`k=v`, `k=~v`,
// `k=[a~b]`, `k={a b c}` any of them, `k=(a b c)` all of them).
struct Filter {
  enum class Kind { exact, fuzzy, range, any_of, all_of };
  std::string field;
  Kind kind = Kind::exact;
  std::string value;               // exact, fuzzy (substring, case-insensitive)
  std::optional<std::string> low;  // range: inclusive bounds; either may be absent
  std::optional<std::string> high;
  std::vector<std::string> values;  // any_of, all_of
};

struct ListQuery {
  std::vector<Filter> filters;  // all must hold
  // A listed field, "-field" for descending; empty = the listing's default order.
  std::string sort;
  std::size_t offset = 0;
  std::size_t limit = 10;  // 0 = no limit
};

template <class T>
struct Listing {
  std::vector<T> items;
  std::int64_t total = 0;  // matching rows before offset/limit
};

}  // namespace berth::meta
