#include "http/router.h"

#include <algorithm>

namespace berth::http {
namespace {

bool route_matches(std::string_view prefix, std::string_view path) {
  if (path == prefix) return true;
  return !prefix.empty() && prefix.back() == '/' && path.starts_with(prefix);
}

Response not_found() {
  Response response;
  response.status = 404;
  response.headers.add("Content-Type", "application/json");
  response.body = R"({"errors":[{"code":"NOT_FOUND","message":"no such resource"}]})";
  return response;
}

}  // namespace

void Router::add(std::string prefix, Handler handler) {
  // Kept longest-first so that the first match is the longest one; equal lengths keep
  // their order of registration.
  auto at = std::find_if(routes_.begin(), routes_.end(),
                         [&](const auto& route) { return route.first.size() < prefix.size(); });
  routes_.emplace(at, std::move(prefix), std::move(handler));
}

Handler Router::handler() const {
  return [this](Exchange& exchange) -> boost::asio::awaitable<Response> {
    const std::string& path = exchange.request().path;
    for (const auto& [prefix, route] : routes_) {
      if (route_matches(prefix, path)) co_return co_await route(exchange);
    }
    co_return not_found();
  };
}

}  // namespace berth::http
