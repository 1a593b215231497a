// Outgoing HTTP over libcurl: one exchange at a time on a connection that is kept for reuse.
// Everything Berth sends to other servers (registries, scanner adapters, webhook receivers)
// goes through here. Only http and https URLs are followed; redirects only when asked, and
// an Authorization header never leaves the first host.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace berth::remote {

using Headers = std::vector<std::pair<std::string, std::string>>;

// First value of header `name` (case-insensitive), or nullopt.
std::optional<std::string> find_header(const Headers& headers, std::string_view name);

struct HttpCall {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::optional<std::string> body;   // sent with Content-Length when set
  bool follow_redirects = false;     // http(s) only, at most 5; Authorization stays with the first host
  std::size_t max_response_bytes = 16 << 20;
  std::chrono::seconds timeout{30};  // the whole exchange; 0 = none
  std::chrono::seconds connect_timeout{15};
  bool verify_tls = true;
};

struct HttpReply {
  long status = 0;
  Headers headers;  // of the last response
  std::string body;
  std::optional<std::string> header(std::string_view name) const { return find_header(headers, name); }
};

// Performs one exchange on a fresh connection. Errors: unavailable (connection failed, timed
// out, cut short), too_large (a body past max_response_bytes), invalid_argument (a malformed
// URL). Any HTTP status is a success here.
base::Result<HttpReply> http_call(const HttpCall& call);

// Percent-encodes everything outside RFC 3986's unreserved characters.
std::string url_encode(std::string_view text);

// Receives a 2xx response's body as it arrives; returning false aborts the exchange
// (the call then fails with the error the sink's owner recorded, or io_error).
using BodySink = std::function<bool(std::string_view)>;

// One request on a Connection.
struct Exchange {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string_view body;             // sent with Content-Length for every method but GET and HEAD
  bool follow_redirects = false;
  std::size_t max_response_bytes = 16 << 20;  // of a body kept in memory (and of an error body's start)
  BodySink sink;                              // when set, a 2xx body goes here instead of the reply
  std::chrono::seconds timeout{30};           // the whole exchange; 0 = none
  std::chrono::seconds stall_timeout{0};      // fails when no byte moves this long; 0 = never
  std::stop_token stop;                       // aborts the exchange (Errc::cancelled)
};

struct ConnectionOptions {
  std::chrono::seconds connect_timeout{15};
  bool verify_tls = true;
  std::string user_agent = "berth";
};

// A libcurl handle whose connections are kept between exchanges. One thread at a time.
class Connection {
 public:
  explicit Connection(ConnectionOptions options = {});
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Errors: as http_call; cancelled (the stop token); io_error (the sink refused).
  base::Result<HttpReply> perform(const Exchange& exchange);

  const ConnectionOptions& options() const { return options_; }

 private:
  struct Handle;
  ConnectionOptions options_;
  std::unique_ptr<Handle> handle_;
};

}  // namespace berth::remote
