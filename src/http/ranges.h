// Byte ranges in request headers: the Range of a blob GET (RFC 9110, a single range) and the
// Content-Range of an upload chunk (the distribution spec's "<first>-<last>"). Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace berth::http {

// Bytes first..last, both included; first <= last, and the length never overflows.
struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  std::uint64_t length() const { return last - first + 1; }
};

// A Range header ("bytes=first-last", "bytes=first-" or "bytes=-suffix") against a resource of
// `size` bytes, clipped to it. nullopt when malformed, a list of ranges, or unsatisfiable.
std::optional<ByteRange> parse_range(std::string_view header, std::uint64_t size);

// An upload chunk's Content-Range: "<first>-<last>", optionally after "bytes=" or "bytes " and
// before "/<total>" (clients differ). nullopt when malformed or last < first.
std::optional<ByteRange> parse_content_range(std::string_view header);

}  // namespace berth::http
