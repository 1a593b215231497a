#include "api/operator/operator_api.h"

#include <openssl/crypto.h>

#include <boost/json.hpp>

#include "api/rest/plan_shape.h"

namespace berth::api::operator_api {
namespace {

namespace json = boost::json;

http::Response reply(int status, const json::value& body) {
  http::Response response;
  response.status = status;
  response.headers.set("Content-Type", "application/json");
  response.body = json::serialize(body);
  return response;
}

http::Response failure(int status, std::string_view code, std::string_view message) {
  return reply(status,
               json::object{{"errors", json::array{json::object{{"code", code}, {"message", message}}}}});
}

bool authorized(const Context& context, const http::Request& request) {
  auto header = request.headers.get("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (!header || header->size() <= kBearer.size() || header->substr(0, kBearer.size()) != kBearer)
    return false;
  const std::string_view given = header->substr(kBearer.size());
  return given.size() == context.token.size() && !context.token.empty() &&
         CRYPTO_memcmp(given.data(), context.token.data(), given.size()) == 0;
}

}  // namespace

http::Handler make_handler(Context& context) {
  return [&context](http::Exchange& exchange) -> boost::asio::awaitable<http::Response> {
    const http::Request& request = exchange.request();
    if (!authorized(context, request)) {
      http::Response denied = failure(401, "UNAUTHORIZED", "a valid operator bearer token is required");
      denied.headers.set("WWW-Authenticate", "Bearer realm=\"berth-operator\"");
      co_return denied;
    }
    if (request.path == "/operator/v1/registry" && request.method == http::Method::get) {
      base::Result<meta::RegistryCounts> counts = meta::RegistryCounts{};
      base::Status healthy;
      co_await exchange.run_blocking([&] {
        counts = context.metadata.registry_counts();
        healthy = context.registry.check_metadata();
        if (healthy) healthy = context.registry.check_storage();
      });
      if (!counts) co_return failure(500, "UNKNOWN", "reading the registry's counts failed");
      co_return reply(
          200,
          json::object{
              {"name", context.name},
              {"version", context.version},
              {"status", healthy ? "healthy" : "unhealthy"},
              {"plan", rest::plan_json(context.plan.get(), counts->used_storage)},
              {"storage", json::object{{"used", counts->used_storage}, {"stored", counts->stored_bytes}}},
              {"projects", counts->projects},
              {"repositories", counts->repositories},
              {"artifacts", counts->artifacts},
          });
    }
    if (request.path == "/operator/v1/plan") {
      if (request.method == http::Method::put) {
        std::string body;
        char buffer[4096];
        for (;;) {
          auto n = co_await exchange.read_body(std::span<char>(buffer, sizeof buffer));
          if (!n) co_return failure(400, "BAD_REQUEST", "the request body could not be read");
          if (*n == 0) break;
          body.append(buffer, *n);
          if (body.size() > 64 * 1024) co_return failure(413, "BAD_REQUEST", "the request body is too large");
        }
        boost::system::error_code ec;
        auto parsed = json::parse(body, ec);
        const json::value* name =
            !ec && parsed.is_object() ? parsed.get_object().if_contains("name") : nullptr;
        if (name == nullptr || !name->is_string())
          co_return failure(400, "BAD_REQUEST", "expected {\"name\": \"S\"|\"M\"|\"L\"|\"unlimited\"}");
        base::Status changed;
        co_await exchange.run_blocking(
            [&] { changed = context.plan.upgrade(std::string(name->get_string())); });
        if (!changed) {
          if (changed.error().code == base::Errc::conflict)
            co_return failure(409, "CONFLICT", changed.error().message);
          if (changed.error().code == base::Errc::invalid_argument)
            co_return failure(400, "BAD_REQUEST", changed.error().message);
          co_return failure(500, "UNKNOWN", "changing the plan failed");
        }
      } else if (request.method != http::Method::get) {
        co_return failure(405, "METHOD_NOT_ALLOWED", "GET or PUT");
      }
      base::Result<std::int64_t> used = std::int64_t{0};
      co_await exchange.run_blocking([&] { used = context.metadata.registry_storage(); });
      co_return reply(200, rest::plan_json(context.plan.get(), used ? *used : 0));
    }
    co_return failure(404, "NOT_FOUND", "no such operator endpoint");
  };
}

}  // namespace berth::api::operator_api
