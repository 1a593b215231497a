#include "http/body.h"

#include <span>

namespace berth::http {

boost::asio::awaitable<BodyText> read_small_body(Exchange& exchange, std::size_t limit) {
  BodyText result;
  const auto& request = exchange.request();
  if (request.content_length && *request.content_length > limit) {
    result.too_large = true;
    co_return result;
  }
  std::string body;
  if (request.content_length) body.reserve(*request.content_length);
  char buffer[64 * 1024];
  for (;;) {
    auto n = co_await exchange.read_body(std::span<char>(buffer, sizeof buffer));
    if (!n) co_return result;
    if (*n == 0) break;
    if (body.size() + *n > limit) {
      result.too_large = true;
      co_return result;
    }
    body.append(buffer, *n);
  }
  result.text = std::move(body);
  co_return result;
}

}  // namespace berth::http
