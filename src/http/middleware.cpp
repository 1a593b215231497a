#include "http/middleware.h"

#include <cctype>
#include <chrono>
#include <exception>
#include <string>
#include <string_view>

#include "base/log.h"
#include "base/random.h"

namespace berth::http {
namespace {

constexpr std::size_t kMaxRequestIdLength = 64;

bool is_sane_request_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// Presents another exchange's request with an id attached, for exchanges that cannot
// store one themselves (see Exchange::set_request_id).
class IdentifiedExchange final : public Exchange {
 public:
  IdentifiedExchange(Exchange& inner, std::string id) : inner_(inner), request_(inner.request()) {
    request_.request_id = std::move(id);
  }
  const Request& request() const override { return request_; }
  void set_request_id(std::string id) override { request_.request_id = std::move(id); }
  boost::asio::awaitable<base::Result<std::size_t>> read_body(std::span<char> buffer) override {
    return inner_.read_body(buffer);
  }
  boost::asio::awaitable<void> run_blocking(std::function<void()> work) override {
    return inner_.run_blocking(std::move(work));
  }

 private:
  Exchange& inner_;
  Request request_;
};

// Parameter names whose values must never reach a log (tokens, passwords, signed URLs).
bool is_sensitive_name(std::string_view name) {
  static constexpr std::string_view kMarkers[] = {"token",      "passw", "secret", "signature",
                                                  "credential", "auth",  "key"};
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view marker : kMarkers) {
    if (lower.find(marker) != std::string::npos) return true;
  }
  return false;
}

// The target as it may be logged: the path, and the query with sensitive values masked.
std::string loggable_target(const Request& request) {
  if (request.query.empty()) return request.path;
  std::string out = request.path;
  out.push_back('?');
  std::string_view rest = request.query;
  bool first = true;
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (!first) out.push_back('&');
    first = false;
    const auto eq = pair.find('=');
    const std::string_view name = pair.substr(0, eq);
    if (eq != std::string_view::npos && is_sensitive_name(name)) {
      out.append(name);
      out.append("=***");
    } else {
      out.append(pair);
    }
  }
  return out;
}

std::uint64_t body_bytes(const Request& request, const Response& response) {
  if (request.method == Method::head) return 0;
  if (response.file) return response.file->length;
  return response.body.size();
}

}  // namespace

Handler with_request_id(Handler next) {
  return [next = std::move(next)](Exchange& exchange) -> boost::asio::awaitable<Response> {
    const auto given = exchange.request().headers.get("X-Request-Id");
    std::string id = given && is_sane_request_id(*given) ? std::string(*given) : base::random_hex(8);
    exchange.set_request_id(id);
    Response response;
    if (exchange.request().request_id == id) {
      response = co_await next(exchange);
    } else {
      IdentifiedExchange identified(exchange, id);
      response = co_await next(identified);
    }
    response.headers.set("X-Request-Id", std::move(id));
    co_return response;
  };
}

Handler with_access_log(Handler next) {
  return [next = std::move(next)](Exchange& exchange) -> boost::asio::awaitable<Response> {
    const auto start = std::chrono::steady_clock::now();
    const auto log_line = [&](int status, std::uint64_t bytes) {
      const Request& request = exchange.request();
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      BERTH_LOG_INFO("{} {} {} {} {:.1f}ms {} {}", method_name(request.method), loggable_target(request),
                     status, bytes, ms, request.remote_address, request.request_id);
    };
    Response response;
    try {
      response = co_await next(exchange);
    } catch (...) {
      log_line(500, 0);  // the server turns the exception into a 500
      throw;
    }
    log_line(response.status, body_bytes(exchange.request(), response));
    co_return response;
  };
}

}  // namespace berth::http
