// GET /service/token: Docker's token endpoint (distribution's token specification).
#include <boost/json.hpp>

#include "api/auth/authenticate.h"
#include "oci/errors.h"

namespace berth::api::auth {
namespace {

using berth::oci::ErrorCode;

http::Response token_error(int status, std::string_view code, std::string message) {
  http::Response response;
  response.status = status;
  response.headers.set("Content-Type", "application/json");
  boost::json::object error;
  error["code"] = code;
  error["message"] = std::move(message);
  boost::json::array errors;
  errors.push_back(std::move(error));
  boost::json::object body;
  body["errors"] = std::move(errors);
  response.body = boost::json::serialize(body);
  return response;
}

// Every value of a repeated query parameter, percent-decoded ('+' is a space, as in forms).
std::vector<std::string> query_values(const std::string& query, std::string_view name) {
  std::vector<std::string> values;
  std::string_view rest = query;
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    auto eq = pair.find('=');
    if (pair.substr(0, eq) != name || eq == std::string_view::npos) continue;
    std::string raw(pair.substr(eq + 1));
    for (char& c : raw)
      if (c == '+') c = ' ';
    if (auto decoded = http::percent_decode(raw)) values.push_back(std::move(*decoded));
  }
  return values;
}

}  // namespace

http::Handler make_token_handler(Authenticator& authenticator) {
  return [&authenticator](http::Exchange& exchange) -> boost::asio::awaitable<http::Response> {
    const http::Request& request = exchange.request();
    if (request.method != http::Method::get)
      co_return token_error(405, "METHOD_NOT_ALLOWED", "use GET /service/token");
    auto services = query_values(request.query, "service");
    if (!services.empty() && services.front() != authenticator.settings().service)
      co_return token_error(400, "BAD_REQUEST", "unknown service " + services.front());
    std::vector<iam::Access> requested;
    for (const auto& scope_list : query_values(request.query, "scope")) {
      // One parameter may carry several scopes separated by spaces.
      std::string_view rest = scope_list;
      while (!rest.empty()) {
        auto space = rest.find(' ');
        std::string_view one = rest.substr(0, space);
        rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
        if (one.empty()) continue;
        auto access = iam::parse_scope(one);
        if (!access) co_return token_error(400, "BAD_REQUEST", "invalid scope: " + access.error().message);
        requested.push_back(std::move(*access));
      }
    }
    Decision decision;
    std::string body;
    co_await exchange.run_blocking([&] {
      decision = authenticator.identify(request);
      if (!decision.refusal && !decision.principal.token_access)
        body = authenticator.issue_token(decision.principal, requested);
    });
    if (decision.refusal) {
      // Same statuses as the registry API (401 bad credentials, 429 locked out), in the
      // token endpoint's error format, without a challenge.
      int status = decision.refusal->status;
      co_return token_error(
          status, status == 429 ? "TOO_MANY_REQUESTS" : "UNAUTHORIZED",
          status == 429 ? "too many failed logins from this address" : "authentication failed");
    }
    if (decision.principal.token_access)
      co_return token_error(401, "UNAUTHORIZED", "a token cannot be exchanged for another token");
    http::Response response;
    response.headers.set("Content-Type", "application/json");
    response.headers.set("Cache-Control", "no-store");
    response.body = std::move(body);
    co_return response;
  };
}

}  // namespace berth::api::auth
