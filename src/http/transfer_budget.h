// TransferBudget: how long the server keeps waiting on a slow peer during one transfer (a
// request body, a response). Each wait may last at most `stall_limit`; and the time spent
// waiting in all is at most stall_limit + bytes moved / min_rate, so a peer keeps the
// connection only while it moves at least min_rate bytes per second on average. A fast
// start earns time for a later pause (as Apache's mod_reqtimeout MinRate does), so a real
// client on a slow or bursty link is not cut off; a trickle is. Not thread-safe; pure.
#pragma once

#include <chrono>
#include <cstdint>

namespace berth::http {

class TransferBudget {
 public:
  using Duration = std::chrono::steady_clock::duration;

  // min_rate 0 = no rate rule (each wait is still limited to stall_limit).
  TransferBudget(Duration stall_limit, std::uint64_t min_rate)
      : stall_limit_(stall_limit), min_rate_(min_rate) {}

  // Starts a new transfer: nothing waited, nothing moved.
  void reset() {
    waited_ = Duration::zero();
    bytes_ = 0;
  }
  // The longest the next wait may last; zero when the budget is spent (the peer is too slow).
  Duration next_wait() const;
  // One wait took `waited` and moved `bytes`.
  void record(Duration waited, std::uint64_t bytes) {
    waited_ += waited;
    bytes_ += bytes;
  }

  std::uint64_t bytes() const { return bytes_; }
  Duration waited() const { return waited_; }

 private:
  Duration stall_limit_;
  std::uint64_t min_rate_;
  Duration waited_{};
  std::uint64_t bytes_ = 0;
};

}  // namespace berth::http
