// HttpClient: a small blocking HTTP/1.1 client over libcurl, for driving a registry from
// tests exactly as a remote client would. Paths are sent as written (no dot-segment
// removal), nothing is followed or retried, and every header of the answer is kept.
// Not thread-safe: use one HttpClient per thread. It keeps its connection alive.
#pragma once

#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::integration {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct Response {
  long status = 0;              // 0 when no HTTP answer arrived
  HeaderList headers;           // in arrival order, as sent by the server
  std::string body;             // empty for HEAD
  std::string transport_error;  // libcurl's message when the exchange failed (even after a status)

  // Case-insensitive lookup: the first value of `name`, or "" when absent.
  std::string header(std::string_view name) const;
  bool has_header(std::string_view name) const;
};

// "HTTP 404, headers..., body..." (body cut short) for failure messages.
std::string describe(const Response& response);
std::ostream& operator<<(std::ostream& out, const Response& response);

struct Request {
  Request() = default;
  Request(std::string method_, std::string target_, HeaderList headers_ = {},
          std::optional<std::string> body_ = std::nullopt, bool chunked_ = false)
      : method(std::move(method_)),
        target(std::move(target_)),
        headers(std::move(headers_)),
        body(std::move(body_)),
        chunked(chunked_) {}

  std::string method = "GET";
  std::string target;               // "/v2/..." (relative to the base URL) or an absolute URL
  HeaderList headers;               // "Name: value" pairs added as given
  std::optional<std::string> body;  // when set, sent with Content-Length (even if empty)
  bool chunked = false;             // send `body` with Transfer-Encoding: chunked instead
};

class HttpClient {
 public:
  explicit HttpClient(std::string base_url);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  Response send(const Request& request);

  Response get(std::string target, HeaderList headers = {});
  Response head(std::string target, HeaderList headers = {});
  Response del(std::string target, HeaderList headers = {});
  // These always send a body, so an empty one goes out with "Content-Length: 0".
  Response post(std::string target, std::string body = {}, HeaderList headers = {});
  Response put(std::string target, std::string body = {}, HeaderList headers = {});
  Response patch(std::string target, std::string body, HeaderList headers = {});

  // The absolute URL for a target: absolute URLs are kept, paths are joined to the base.
  std::string absolute(std::string_view target) const;
  const std::string& base_url() const { return base_url_; }
  void set_timeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }
  // Sends HTTP basic credentials with every request that does not set its own
  // Authorization header, until clear_auth().
  void set_basic_auth(std::string user, std::string password);
  void clear_auth();

 private:
  std::string base_url_;
  std::chrono::milliseconds timeout_{60'000};
  std::optional<std::pair<std::string, std::string>> basic_auth_;
  void* curl_ = nullptr;  // CURL*, kept for connection reuse
};

// Appends "key=value" (value percent-encoded) to a URL that may already carry a query.
std::string with_query(std::string_view url, std::string_view key, std::string_view value);
std::string percent_encode(std::string_view text);

// The path (and query) of a URL that may be absolute ("http://h:p/v2/x") or relative.
std::string path_of(std::string_view url);

// Opens a TCP connection to the host:port of `base_url` and writes `bytes`. Then, if
// `read_reply`, reads until the server closes or `timeout` passes and returns what came;
// otherwise closes at once (an abrupt client disconnect) and returns "". Returns
// std::nullopt when the connection could not be made.
std::optional<std::string> raw_exchange(const std::string& base_url, std::string_view bytes, bool read_reply,
                                        std::chrono::milliseconds timeout);

}  // namespace berth::integration
