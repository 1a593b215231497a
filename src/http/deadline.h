// Deadline: a time limit on the operations a connection has pending on its socket. When
// it passes, those operations are cancelled (they complete with operation_aborted) and
// expired() turns true; the socket stays open, so the server can still answer (408, or
// the handler's error for a body that came too slowly). Used on one io thread only.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>

namespace berth::http {

class Deadline {
 public:
  explicit Deadline(boost::asio::ip::tcp::socket& socket)
      : timer_(socket.get_executor()), state_(std::make_shared<State>()) {
    state_->socket = &socket;
  }
  ~Deadline() { state_->socket = nullptr; }
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

  // Starts a limit of `duration` from now, replacing any earlier one.
  void arm(std::chrono::steady_clock::duration duration) {
    const std::uint64_t generation = ++state_->generation;
    state_->expired = false;
    timer_.expires_after(duration);
    // The handler owns the state, and checks the generation: a timer that fired just as
    // the operation finished must not cancel the next operation, or touch a closed connection.
    timer_.async_wait([state = state_, generation](const boost::system::error_code& ec) {
      if (ec || state->socket == nullptr || state->generation != generation) return;
      state->expired = true;
      boost::system::error_code ignored;
      state->socket->cancel(ignored);
    });
  }
  // Ends the current limit; returns whether it had passed (and cancelled the operations).
  bool disarm() {
    ++state_->generation;
    timer_.cancel();
    return state_->expired;
  }
  bool expired() const { return state_->expired; }

 private:
  struct State {
    boost::asio::ip::tcp::socket* socket = nullptr;
    std::uint64_t generation = 0;
    bool expired = false;
  };
  boost::asio::steady_timer timer_;
  std::shared_ptr<State> state_;
};

}  // namespace berth::http
