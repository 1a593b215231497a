// RequestLimit: a cap on requests in flight (a plan's "parallel requests"). A request over the
// cap waits up to the configured time for a slot, then is answered 429 with Retry-After. A
// request holds its slot until its response has been sent (a blob download counts for as long
// as it streams). Requests under the cap pay two atomic operations and never wait.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <string>

#include "http/exchange.h"

namespace berth::http {

class RequestLimit {
 public:
  explicit RequestLimit(std::chrono::milliseconds wait) : wait_(wait) {}
  // 0 = no cap. Takes effect for the next request (and waiters' next try).
  void set_limit(std::size_t limit) { limit_.store(limit); }
  std::size_t limit() const { return limit_.load(); }
  std::size_t in_flight() const { return in_flight_.load(); }

  // Takes a slot if one is free now.
  bool try_acquire();
  void release() { in_flight_.fetch_sub(1); }
  std::chrono::milliseconds wait() const { return wait_; }

 private:
  std::atomic<std::size_t> limit_{0};
  std::atomic<std::size_t> in_flight_{0};
  std::chrono::milliseconds wait_;
};

// Wraps `next` in the cap; `busy_body` is the 429 body (in the error format of the API behind).
Handler with_request_limit(RequestLimit& limit, std::string busy_body, Handler next);

}  // namespace berth::http
