// Server: the HTTP/1.1 listener. Boost.Beast + Asio, one io thread per core, one
// coroutine per connection, keep-alive, a bounded pool for blocking work, optional TLS.
// A plain-HTTP listener answers a TLS ClientHello at once (so clients that try TLS
// first fall back without stalling). Slow clients are bounded by time: a connection may
// wait idle_timeout for a request, the head must then arrive within header_timeout (else
// 408), and bodies and responses must keep moving (see TransferBudget). A connection
// waiting for its first byte holds no buffer and, under TLS, no TLS state yet.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "base/result.h"
#include "http/exchange.h"

namespace berth::http {

struct ServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 5000;                    // 0 = any free port
  std::string tls_certificate;                  // PEM file; TLS is on when both are set
  std::string tls_private_key;                  // PEM file
  unsigned io_threads = 0;                      // 0 = one per core
  unsigned blocking_threads = 8;                // pool for Exchange::run_blocking
  std::size_t max_header_bytes = 16 * 1024;     // larger heads get 431
  std::uint64_t max_body_bytes = 0;             // 0 = unlimited
  std::size_t max_connections = 4096;           // further ones are closed at once
  std::chrono::seconds idle_timeout{60};        // wait for a request (new or keep-alive connection)
  std::chrono::seconds header_timeout{20};      // the head (and a TLS handshake), from its first byte
  std::chrono::seconds body_timeout{60};        // longest pause in a request body
  std::uint64_t min_body_rate = 1024;           // bytes/s a request body must average; 0 = no rule
  std::chrono::seconds send_timeout{60};        // longest a response may wait for the client to read
  std::uint64_t min_send_rate = 1024;           // bytes/s a response must average; 0 = no rule
  std::chrono::seconds hsts_max_age{31536000};  // Strict-Transport-Security under TLS; 0 = none
  std::chrono::seconds shutdown_grace{30};      // in-flight requests get this long on stop
};

class Server {
 public:
  Server(ServerOptions options, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens. Errors: io_error (address in use, bad TLS files, ...).
  base::Status listen();
  // The bound port (after listen()).
  std::uint16_t port() const;
  // Loads the TLS certificate and key again from their files; new connections use them,
  // established ones keep theirs. On failure the current ones stay. Callable from any
  // thread. Errors: unsupported (TLS is off), io_error (as listen()).
  base::Status reload_tls();
  // Serves until stop() or, if `handle_signals`, SIGTERM/SIGINT. Then stops accepting,
  // lets in-flight requests finish (up to shutdown_grace) and returns. With
  // `handle_signals`, SIGHUP calls reload_tls() and logs the outcome.
  void run(bool handle_signals);
  // Asks run() to shut down gracefully; callable from any thread or a signal context
  // of Asio's.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::http
