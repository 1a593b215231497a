// make_handler: matches /api/v2.0/... to a route of the resource tables, authenticates
// the caller (basic auth, else the portal session cookie with its CSRF token, else
// anonymous) and runs the route's handler.
#include "api/rest/routes.h"

#include <algorithm>
#include <cctype>
#include <exception>
#include <memory>

#include "api/rest/rest.h"
#include "base/log.h"
#include "http/authorization.h"
#include "iam/password.h"

namespace berth::api::rest {
namespace {

constexpr std::string_view kPrefix = "/api/v2.0";
constexpr std::string_view kCsrfHeader = "X-Harbor-CSRF-Token";

struct CompiledRoute {
  http::Method method;
  std::vector<std::string> segments;  // literal text, or "{name}" for a parameter
  RouteHandler handler;
  bool allow_anonymous;
};

bool is_parameter(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// The segments of a path relative to the prefix ("/a/b" -> {"a", "b"}); a trailing slash
// is ignored, as Harbor's router does. nullopt for an empty segment inside the path.
std::optional<std::vector<std::string_view>> split_segments(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path == "/") return out;
  if (path.front() != '/') return std::nullopt;
  path.remove_prefix(1);
  if (path.ends_with('/')) path.remove_suffix(1);
  while (true) {
    const auto slash = path.find('/');
    const std::string_view segment = path.substr(0, slash);
    if (segment.empty()) return std::nullopt;
    out.push_back(segment);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

}  // namespace

std::vector<Route> all_routes() {
  std::vector<Route> out;
  for (auto table : {user_routes(), project_routes(), member_routes(), robot_routes(), repository_routes(),
                     artifact_routes(), label_routes(), audit_routes(), system_routes(), jobservice_routes(),
                     scan_routes(), document_routes(), quota_routes(), gc_routes(), immutability_routes(),
                     retention_routes(), replication_routes(), webhook_routes()}) {
    for (auto& route : table) out.push_back(std::move(route));
  }
  return out;
}

namespace {

// Every route of every resource file, ordered so that at each position a literal segment
// is tried before a parameter ("/users/current" before "/users/{user_id}").
std::vector<CompiledRoute> compile_routes() {
  std::vector<CompiledRoute> routes;
  for (auto& route : all_routes()) {
    CompiledRoute compiled{route.method, {}, std::move(route.handler), route.allow_anonymous};
    for (auto segment : split_segments(route.pattern).value_or(std::vector<std::string_view>{}))
      compiled.segments.emplace_back(segment);
    routes.push_back(std::move(compiled));
  }
  auto shape = [](const CompiledRoute& route) {
    std::string key;
    for (const auto& segment : route.segments) key.push_back(is_parameter(segment) ? '1' : '0');
    return key;
  };
  std::stable_sort(routes.begin(), routes.end(),
                   [&](const CompiledRoute& a, const CompiledRoute& b) { return shape(a) < shape(b); });
  return routes;
}

bool path_matches(const CompiledRoute& route, const std::vector<std::string_view>& segments) {
  if (route.segments.size() != segments.size()) return false;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (!is_parameter(route.segments[i]) && route.segments[i] != segments[i]) return false;
  }
  return true;
}

// Decodes the path parameters. A repository name is decoded a second time when the first
// pass left an encoded slash ("a%252Fb" -> "a%2Fb" -> "a/b"), as Harbor's clients send it.
std::optional<std::map<std::string, std::string, std::less<>>> decode_params(
    const CompiledRoute& route, const std::vector<std::string_view>& segments) {
  std::map<std::string, std::string, std::less<>> params;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string& pattern = route.segments[i];
    if (!is_parameter(pattern)) continue;
    auto decoded = http::percent_decode(segments[i]);
    if (!decoded) return std::nullopt;
    std::string name = pattern.substr(1, pattern.size() - 2);
    if (name == "repository_name" &&
        (decoded->find("%2F") != std::string::npos || decoded->find("%2f") != std::string::npos)) {
      if (auto twice = http::percent_decode(*decoded)) decoded = std::move(twice);
    }
    params.emplace(std::move(name), std::move(*decoded));
  }
  return params;
}

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  }
  return true;
}

bool unsafe_method(http::Method method) {
  return method == http::Method::post || method == http::Method::put || method == http::Method::patch ||
         method == http::Method::del;
}

// Who the request comes from. `error` is set when the request must be refused as it is.
struct Authentication {
  iam::Caller caller;
  std::optional<std::string> csrf_token;  // set for portal-session callers
  std::optional<http::Response> error;
};

boost::asio::awaitable<Authentication> authenticate(Context& context, http::Exchange& exchange) {
  const http::Request& request = exchange.request();
  Authentication result;
  result.caller.client_ip = request.remote_address;
  if (auto header = request.headers.get("Authorization"); header && iequals_prefix(*header, "basic ")) {
    auto credentials = http::decode_basic_credentials(http::split_authorization(*header).credentials);
    if (!credentials) {
      result.error = error_response(401, "invalid basic authorization header");
      co_return result;
    }
    std::optional<iam::Result<iam::Principal>> principal;
    co_await exchange.run_blocking([&] {
      principal.emplace(
          context.iam.authenticate(credentials->user(), credentials->password(), result.caller.client_ip));
    });
    if (!*principal) {
      result.error = error_response(principal->error());
      co_return result;
    }
    result.caller.principal = std::move(**principal);
    co_return result;
  }
  if (auto cookie = request_cookie(request, "sid"); cookie && !cookie->empty()) {
    std::optional<iam::Result<iam::SessionPrincipal>> session;
    co_await exchange.run_blocking([&] { session.emplace(context.iam.session_principal(*cookie)); });
    // An unknown or expired session is no session: the request goes on as anonymous.
    if (!*session && session->error().code == iam::Error::Code::internal) {
      result.error = error_response(session->error());
      co_return result;
    }
    if (!*session) co_return result;
    if (unsafe_method(request.method)) {
      const auto sent = request.headers.get(kCsrfHeader);
      if (!sent || !iam::constant_time_equal(*sent, (*session)->csrf_token)) {
        result.error = error_response(403, "CSRF token invalid");
        co_return result;
      }
    }
    result.caller.principal = std::move((*session)->principal);
    result.csrf_token = std::move((*session)->csrf_token);
  }
  co_return result;
}

class Dispatcher {
 public:
  explicit Dispatcher(Context& context) : context_(context), routes_(compile_routes()) {}

  boost::asio::awaitable<http::Response> handle(http::Exchange& exchange) {
    const http::Request& request = exchange.request();
    std::string_view path = request.path;
    if (!path.starts_with(kPrefix) || (path.size() > kPrefix.size() && path[kPrefix.size()] != '/'))
      co_return error_response(404, "no such API: " + request.path);
    auto segments = split_segments(path.substr(kPrefix.size()));
    if (!segments) co_return error_response(404, "no such API: " + request.path);

    const CompiledRoute* route = nullptr;
    const CompiledRoute* get_route = nullptr;
    std::vector<std::string_view> allowed;
    for (const auto& candidate : routes_) {
      if (!path_matches(candidate, *segments)) continue;
      if (candidate.method == request.method && route == nullptr) route = &candidate;
      if (candidate.method == http::Method::get && get_route == nullptr) get_route = &candidate;
      const auto name = http::method_name(candidate.method);
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) allowed.push_back(name);
    }
    if (route == nullptr && request.method == http::Method::head) route = get_route;
    if (route == nullptr) {
      if (allowed.empty()) co_return error_response(404, "no such API: " + request.path);
      http::Response response = error_response(405, "method not allowed");
      std::string allow;
      for (auto name : allowed) allow += (allow.empty() ? "" : ", ") + std::string(name);
      response.headers.set("Allow", std::move(allow));
      co_return response;
    }

    auto params = decode_params(*route, *segments);
    if (!params) co_return error_response(400, "invalid percent-encoding in the path");

    Authentication auth = co_await authenticate(context_, exchange);
    if (auth.error) co_return std::move(*auth.error);
    if (auth.caller.principal.anonymous() && !route->allow_anonymous)
      co_return error_response(401, "unauthorized");

    Call call{context_, exchange, std::move(auth.caller), std::move(*params)};
    http::Response response = co_await run(*route, call);
    if (auth.csrf_token) response.headers.set(std::string(kCsrfHeader), *auth.csrf_token);
    co_return response;
  }

 private:
  static boost::asio::awaitable<http::Response> run(const CompiledRoute& route, Call& call) {
    std::optional<http::Response> response;
    try {
      response = co_await route.handler(call);
    } catch (const std::exception& e) {
      BERTH_LOG_ERROR("management API: {} {} failed: {}", http::method_name(call.request().method),
                      call.request().path, e.what());
    } catch (...) {
      BERTH_LOG_ERROR("management API: {} {} failed", http::method_name(call.request().method),
                      call.request().path);
    }
    if (!response) co_return error_response(500, "internal server error");
    co_return std::move(*response);
  }

  Context& context_;
  std::vector<CompiledRoute> routes_;
};

// The coroutine frame holds its own reference, so the dispatcher outlives every request
// it started even if the handler is dropped first.
boost::asio::awaitable<http::Response> dispatch(std::shared_ptr<Dispatcher> dispatcher,
                                                http::Exchange& exchange) {
  co_return co_await dispatcher->handle(exchange);
}

}  // namespace

http::Handler make_handler(Context& context) {
  auto dispatcher = std::make_shared<Dispatcher>(context);
  return [dispatcher](http::Exchange& exchange) { return dispatch(dispatcher, exchange); };
}

}  // namespace berth::api::rest
