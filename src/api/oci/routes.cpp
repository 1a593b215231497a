#include "api/oci/routes.h"

#include <memory>

#include "api/oci/handlers.h"
#include "api/oci/responses.h"

namespace berth::api::oci {
namespace {

using berth::oci::ErrorCode;

enum class Resource { base, catalog, blob, upload_start, upload, manifest, tags, referrers, unknown };

struct Parsed {
  Resource resource = Resource::unknown;
  Route route;
};

// Splits /v2/<name>/<resource>/<reference>. The name may itself contain slashes (and
// even words like "blobs"), so the resource keyword is searched from the right and the
// reference must be a single path segment.
Parsed parse_path(std::string_view path) {
  Parsed parsed;
  constexpr std::string_view kPrefix = "/v2/";
  if (path == "/v2" || path == kPrefix) {
    parsed.resource = Resource::base;
    return parsed;
  }
  std::string_view rest = path.substr(kPrefix.size());
  if (rest == "_catalog") {
    parsed.resource = Resource::catalog;
    return parsed;
  }
  auto split = [&](std::string_view keyword, Resource resource, bool allow_empty) {
    auto at = rest.rfind(keyword);
    if (at == std::string_view::npos || at == 0) return false;
    std::string_view reference = rest.substr(at + keyword.size());
    if (reference.find('/') != std::string_view::npos) return false;
    if (reference.empty() && !allow_empty) return false;
    auto decoded = http::percent_decode(reference);
    if (!decoded) return false;
    parsed.resource = resource;
    parsed.route.name = std::string(rest.substr(0, at));
    parsed.route.reference = std::move(*decoded);
    return true;
  };
  if (rest.size() > 9 && rest.ends_with("/tags/list")) {
    parsed.resource = Resource::tags;
    parsed.route.name = std::string(rest.substr(0, rest.size() - 10));
    return parsed;
  }
  if (split("/manifests/", Resource::manifest, false)) return parsed;
  if (split("/referrers/", Resource::referrers, false)) return parsed;
  if (split("/blobs/uploads/", Resource::upload, true)) {
    if (parsed.route.reference.empty()) parsed.resource = Resource::upload_start;
    return parsed;
  }
  if (rest.ends_with("/blobs/uploads") && rest.size() > 14) {
    parsed.resource = Resource::upload_start;
    parsed.route.name = std::string(rest.substr(0, rest.size() - 14));
    return parsed;
  }
  if (split("/blobs/", Resource::blob, false)) return parsed;
  return parsed;
}

// What the request needs to be allowed: reads need pull, writes push, deletes delete.
auth::Need need_of(const Parsed& parsed, const http::Request& request) {
  const http::Method method = request.method;
  auth::Need need;
  switch (parsed.resource) {
    case Resource::base:
    case Resource::unknown:
      return need;
    case Resource::catalog:
      need.kind = auth::Need::Kind::catalog;
      return need;
    case Resource::blob:
    case Resource::manifest:
    case Resource::tags:
    case Resource::referrers:
      need.action =
          method == http::Method::del ? "delete"
          : (method == http::Method::put || method == http::Method::post || method == http::Method::patch)
              ? "push"
              : "pull";
      break;
    case Resource::upload_start:
      // A mount (POST ?mount=<digest>&from=<repository>) also reads the source repository.
      if (auto from = request.query_param("from"); from && request.query_param("mount") &&
                                                   *from != parsed.route.name &&
                                                   registry::Registry::check_name(*from))
        need.mount_from = std::move(*from);
      need.action = "push";
      break;
    case Resource::upload:
      need.action = "push";
      break;
  }
  need.kind = auth::Need::Kind::repository;
  need.repository = parsed.route.name;
  return need;
}

http::Response api_base(const http::Exchange& exchange) {
  auto method = exchange.request().method;
  if (method != http::Method::get && method != http::Method::head)
    return method_not_allowed("method not allowed");
  return json_response(200, "{}");
}

boost::asio::awaitable<http::Response> dispatch(Context& context, http::Exchange& exchange) {
  Parsed parsed = parse_path(exchange.request().path);
  if (parsed.resource != Resource::base && parsed.resource != Resource::catalog &&
      parsed.resource != Resource::unknown) {
    if (auto valid = registry::Registry::check_name(parsed.route.name); !valid)
      co_return error_response(valid.error());
  }
  auto decision = co_await context.auth.authorize(exchange, need_of(parsed, exchange.request()));
  if (decision.refusal) co_return std::move(*decision.refusal);
  parsed.route.principal = std::move(decision.principal);
  switch (parsed.resource) {
    case Resource::base:
      co_return api_base(exchange);
    case Resource::catalog:
      co_return co_await handle_catalog(context, exchange);
    case Resource::blob:
      co_return co_await handle_blob(context, exchange, parsed.route);
    case Resource::upload_start:
      co_return co_await handle_upload_start(context, exchange, parsed.route);
    case Resource::upload:
      co_return co_await handle_upload(context, exchange, parsed.route);
    case Resource::manifest:
      co_return co_await handle_manifest(context, exchange, parsed.route);
    case Resource::tags:
      co_return co_await handle_tags(context, exchange, parsed.route);
    case Resource::referrers:
      co_return co_await handle_referrers(context, exchange, parsed.route);
    case Resource::unknown:
      break;
  }
  co_return error_response(ErrorCode::name_unknown, "no such route", std::string(exchange.request().path));
}

}  // namespace

void audit(Context& context, const http::Exchange& exchange, const Route& route, std::string operation,
           std::string resource) {
  meta::AuditRecord record;
  record.username = route.principal.name;
  record.client_ip = exchange.request().remote_address;
  record.operation = std::move(operation);
  record.resource_type = "artifact";
  record.resource = std::move(resource);
  record.project = route.name.substr(0, route.name.find('/'));
  record.result = "success";
  context.activity.audit(std::move(record));
}

http::Handler make_handler(registry::Registry& registry, auth::Authenticator& auth,
                           events::Activity& activity, Options options) {
  auto context = std::make_shared<Context>(Context{registry, auth, activity, options});
  return [context](http::Exchange& exchange) -> boost::asio::awaitable<http::Response> {
    http::Response response = co_await dispatch(*context, exchange);
    response.headers.set("Docker-Distribution-API-Version", "registry/2.0");
    co_return response;
  };
}

}  // namespace berth::api::oci
