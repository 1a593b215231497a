// Byte ranges (http/ranges.h): a blob GET's Range header and an upload chunk's Content-Range.
// Input: the header value.
// Checks: a Range is inside the resource for every size it is asked against; a range's length
// never wraps around (the upload handler compares it with Content-Length).
#include <limits>

#include "fuzz_support.h"
#include "http/ranges.h"

namespace {

using namespace berth;

constexpr std::uint64_t kSizes[] = {0,   1,    2,          10,
                                    100, 4096, 1ull << 32, std::numeric_limits<std::uint64_t>::max()};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view header = fuzz::as_text(data, size);
  for (std::uint64_t resource : kSizes) {
    auto range = http::parse_range(header, resource);
    if (!range) continue;
    FUZZ_CHECK(range->first <= range->last);
    FUZZ_CHECK(range->last < resource);
    FUZZ_CHECK(range->length() >= 1 && range->length() <= resource);
  }
  if (auto chunk = http::parse_content_range(header)) {
    FUZZ_CHECK(chunk->first <= chunk->last);
    FUZZ_CHECK(chunk->length() >= 1);
  }
  return 0;
}
