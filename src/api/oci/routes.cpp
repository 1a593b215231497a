#include "api/oci/routes.h"

#include <memory>

#include "api/oci/handlers.h"
#include "api/oci/paths.h"
#include "api/oci/responses.h"

namespace berth::api::oci {
namespace {

using berth::oci::ErrorCode;

// What the request needs to be allowed: reads need pull, writes push, deletes delete.
auth::Need need_of(const ParsedPath& parsed, const http::Request& request) {
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
                                                   *from != parsed.name &&
                                                   registry::Registry::check_name(*from))
        need.mount_from = std::move(*from);
      need.action = "push";
      break;
    case Resource::upload:
      need.action = "push";
      break;
  }
  need.kind = auth::Need::Kind::repository;
  need.repository = parsed.name;
  return need;
}

http::Response api_base(const http::Exchange& exchange) {
  auto method = exchange.request().method;
  if (method != http::Method::get && method != http::Method::head)
    return method_not_allowed("method not allowed");
  return json_response(200, "{}");
}

boost::asio::awaitable<http::Response> dispatch(Context& context, http::Exchange& exchange) {
  ParsedPath parsed = parse_path(exchange.request().path);
  if (parsed.resource != Resource::base && parsed.resource != Resource::catalog &&
      parsed.resource != Resource::unknown) {
    if (auto valid = registry::Registry::check_name(parsed.name); !valid)
      co_return error_response(valid.error());
  }
  auto decision = co_await context.auth.authorize(exchange, need_of(parsed, exchange.request()));
  if (decision.refusal) co_return std::move(*decision.refusal);
  Route route{std::move(parsed.name), std::move(parsed.reference), std::move(decision.principal)};
  const http::Method method = exchange.request().method;
  const bool writes = parsed.resource == Resource::upload_start || parsed.resource == Resource::upload ||
                      (parsed.resource == Resource::manifest && method == http::Method::put);
  if (writes && context.options.proxied && context.options.proxied(route.name)) {
    co_return error_response(ErrorCode::denied, "can not push artifact to a proxy project: " +
                                                    route.name.substr(0, route.name.find('/')));
  }
  switch (parsed.resource) {
    case Resource::base:
      co_return api_base(exchange);
    case Resource::catalog:
      co_return co_await handle_catalog(context, exchange);
    case Resource::blob:
      co_return co_await handle_blob(context, exchange, route);
    case Resource::upload_start:
      co_return co_await handle_upload_start(context, exchange, route);
    case Resource::upload:
      co_return co_await handle_upload(context, exchange, route);
    case Resource::manifest:
      co_return co_await handle_manifest(context, exchange, route);
    case Resource::tags:
      co_return co_await handle_tags(context, exchange, route);
    case Resource::referrers:
      co_return co_await handle_referrers(context, exchange, route);
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
