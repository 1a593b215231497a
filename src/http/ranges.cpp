#include "http/ranges.h"

#include <charconv>
#include <limits>

namespace berth::http {
namespace {

// A decimal number without sign, blanks or overflow.
bool parse_number(std::string_view text, std::uint64_t& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::optional<ByteRange> parse_range(std::string_view header, std::uint64_t size) {
  constexpr std::string_view kUnit = "bytes=";
  if (!header.starts_with(kUnit)) return std::nullopt;
  header.remove_prefix(kUnit.size());
  auto dash = header.find('-');
  if (dash == std::string_view::npos || header.find(',') != std::string_view::npos) return std::nullopt;
  std::string_view first_text = header.substr(0, dash);
  std::string_view last_text = header.substr(dash + 1);
  ByteRange range;
  if (first_text.empty()) {
    std::uint64_t suffix = 0;
    if (!parse_number(last_text, suffix) || suffix == 0 || size == 0) return std::nullopt;
    range.first = suffix >= size ? 0 : size - suffix;
    range.last = size - 1;
    return range;
  }
  if (!parse_number(first_text, range.first) || range.first >= size) return std::nullopt;
  if (last_text.empty()) {
    range.last = size - 1;
  } else {
    if (!parse_number(last_text, range.last) || range.last < range.first) return std::nullopt;
    if (range.last >= size) range.last = size - 1;
  }
  return range;
}

std::optional<ByteRange> parse_content_range(std::string_view header) {
  for (std::string_view prefix : {"bytes=", "bytes "})
    if (header.starts_with(prefix)) header.remove_prefix(prefix.size());
  if (auto slash = header.find('/'); slash != std::string_view::npos) header = header.substr(0, slash);
  auto dash = header.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  ByteRange range;
  if (!parse_number(header.substr(0, dash), range.first) ||
      !parse_number(header.substr(dash + 1), range.last))
    return std::nullopt;
  if (range.last < range.first) return std::nullopt;
  // 0-18446744073709551615 would be 2^64 bytes: its length wraps to 0 and matched an empty body.
  if (range.first == 0 && range.last == std::numeric_limits<std::uint64_t>::max()) return std::nullopt;
  return range;
}

}  // namespace berth::http
