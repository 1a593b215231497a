// Reading a small request body (a manifest, a JSON document) whole, with a size limit.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "http/exchange.h"

namespace berth::http {

// Reads the whole request body up to `limit` bytes. nullopt if the body is larger, the
// client went away, or it is malformed; `too_large` tells the first case apart.
struct BodyText {
  std::optional<std::string> text;
  bool too_large = false;
};
boost::asio::awaitable<BodyText> read_small_body(Exchange& exchange, std::size_t limit);

}  // namespace berth::http
