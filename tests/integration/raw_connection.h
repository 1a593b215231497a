// RawConnection: one TCP connection to 127.0.0.1 for a client that misbehaves on purpose
// (sends a byte at a time, sends nothing, reads slowly or not at all), and what the server
// did to it: the bytes it answered and whether (and when) it closed the connection.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace berth::integration {

class RawConnection {
 public:
  using Clock = std::chrono::steady_clock;

  // Connects at once; ok() tells whether it worked. `receive_buffer` > 0 sets SO_RCVBUF
  // before connecting (a small window makes a slow reader slow for the server too).
  explicit RawConnection(int port, int receive_buffer = 0);
  ~RawConnection();
  RawConnection(RawConnection&& other) noexcept;
  RawConnection& operator=(RawConnection&&) = delete;
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  // Sends all of `bytes`. False when the server has closed or reset the connection.
  bool send(std::string_view bytes);
  // Reads what is already there without waiting (appends to received()). Returns closed().
  bool poll_now() { return read_for(std::chrono::milliseconds(0), SIZE_MAX); }
  // Reads until the server closes the connection or `timeout` passes. Returns closed().
  bool read_until_closed(std::chrono::milliseconds timeout) { return read_for(timeout, SIZE_MAX); }
  // Reads up to `limit` bytes that arrive within `timeout`; returns how many came.
  std::size_t read_some(std::size_t limit, std::chrono::milliseconds timeout);

  // True once the server closed (end of stream) or reset the connection.
  bool closed() const { return closed_at_.has_value(); }
  // When closed() first turned true.
  std::optional<Clock::time_point> closed_at() const { return closed_at_; }
  const std::string& received() const { return received_; }
  std::size_t received_bytes() const { return received_count_; }
  // Keep only a count of what arrives, not the bytes (for large bodies).
  void count_only() { keep_bytes_ = false; }

 private:
  bool read_for(std::chrono::milliseconds timeout, std::size_t limit);

  int fd_ = -1;
  std::string received_;
  std::size_t received_count_ = 0;
  bool keep_bytes_ = true;
  std::optional<Clock::time_point> closed_at_;
};

// The VmRSS of a process in KiB (0 when unreadable).
std::size_t resident_kib(int pid);
// How many file descriptors a process has open (-1 when unreadable).
int open_descriptors(int pid);

}  // namespace berth::integration
