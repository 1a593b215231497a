// Server: the HTTP/1.1 listener. Boost.Beast + Asio, one io thread per core, one
// coroutine per connection, keep-alive, a bounded pool for blocking work, optional TLS.
// A plain-HTTP listener answers a TLS ClientHello at once (so clients that try TLS
// first fall back without stalling).
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
  std::uint16_t port = 5000;                 // 0 = any free port
  std::string tls_certificate;               // PEM file; TLS is on when both are set
  std::string tls_private_key;               // PEM file
  unsigned io_threads = 0;                   // 0 = one per core
  unsigned blocking_threads = 8;             // pool for Exchange::run_blocking
  std::size_t max_header_bytes = 16 * 1024;  // larger heads get 431
  std::uint64_t max_body_bytes = 0;          // 0 = unlimited
  std::size_t max_connections = 4096;        // further ones are closed at once
  std::chrono::seconds idle_timeout{60};     // keep-alive idle limit
  std::chrono::seconds read_timeout{300};    // no progress on a body for this long
  std::chrono::seconds shutdown_grace{30};   // in-flight requests get this long on stop
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
  // Serves until stop() or, if `handle_signals`, SIGTERM/SIGINT. Then stops accepting,
  // lets in-flight requests finish (up to shutdown_grace) and returns.
  void run(bool handle_signals);
  // Asks run() to shut down gracefully; callable from any thread or a signal context
  // of Asio's.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::http
