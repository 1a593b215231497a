// Exchange: one request as a handler sees it: the request head, a way to read the body
// as a stream, and a way to run blocking work off the reactor threads. Only the light
// Asio awaitable header is included here; Beast stays inside http/*.cpp.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <functional>
#include <span>
#include <string>

#include "base/result.h"
#include "http/message.h"

namespace berth::http {

class Exchange {
 public:
  virtual ~Exchange() = default;

  virtual const Request& request() const = 0;

  // Records the id the request-id middleware chose, so that request().request_id returns
  // it from then on. The server's exchanges store it; the default does nothing (the
  // middleware then hands later handlers a copy of the request that carries the id), so
  // test doubles need not implement it.
  virtual void set_request_id(std::string id) { static_cast<void>(id); }

  // Reads the next part of the request body into `buffer` and returns how many bytes
  // were read; 0 means the body is complete. Errors: cancelled (client went away, which
  // includes a body cut short of its Content-Length by a disconnect, or timed out),
  // invalid_argument (bad chunked encoding, or an empty `buffer`), too_large (more than
  // the configured body limit). After an error the connection is closed after responding.
  virtual boost::asio::awaitable<base::Result<std::size_t>> read_body(std::span<char> buffer) = 0;

  // Runs `work` on the blocking-work pool and resumes when it has finished. `work`
  // must not throw.
  virtual boost::asio::awaitable<void> run_blocking(std::function<void()> work) = 0;
};

// A handler produces the response for one exchange. A handler that does not read the
// whole body makes the server close the connection after responding.
using Handler = std::function<boost::asio::awaitable<Response>(Exchange&)>;

}  // namespace berth::http
