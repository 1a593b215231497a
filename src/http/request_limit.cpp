#include "http/request_limit.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>

namespace berth::http {

bool RequestLimit::try_acquire() {
  const std::size_t cap = limit_.load(std::memory_order_relaxed);
  if (cap == 0) {
    in_flight_.fetch_add(1);
    return true;
  }
  std::size_t now = in_flight_.load();
  while (now < cap)
    if (in_flight_.compare_exchange_weak(now, now + 1)) return true;
  return false;
}

Handler with_request_limit(RequestLimit& limit, std::string busy_body, Handler next) {
  return [&limit, busy_body = std::move(busy_body),
          next = std::move(next)](Exchange& exchange) -> boost::asio::awaitable<Response> {
    if (!limit.try_acquire()) {
      // Over the cap: look for a free slot every few milliseconds until the wait is over. Only
      // this request waits; the ones holding slots are not touched.
      boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
      const auto deadline = std::chrono::steady_clock::now() + limit.wait();
      bool admitted = false;
      while (!admitted && std::chrono::steady_clock::now() < deadline) {
        timer.expires_after(std::chrono::milliseconds(5));
        boost::system::error_code ec;
        co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        admitted = limit.try_acquire();
      }
      if (!admitted) {
        Response busy;
        busy.status = 429;
        busy.headers.set("Content-Type", "application/json");
        busy.headers.set("Retry-After", "1");
        busy.body = busy_body;
        co_return busy;
      }
    }
    std::shared_ptr<const void> slot(nullptr, [&limit](const void*) { limit.release(); });
    Response response = co_await next(exchange);
    response.held_until_sent = std::move(slot);
    co_return response;
  };
}

}  // namespace berth::http
