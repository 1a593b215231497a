// PUT / GET / HEAD / DELETE /v2/<name>/manifests/<reference>
#include <strings.h>

#include "api/oci/handlers.h"
#include "api/oci/responses.h"
#include "oci/manifest.h"
#include "oci/media_types.h"
#include "oci/names.h"

namespace berth::api::oci {
namespace {

using berth::oci::ErrorCode;

// Content negotiation: a client whose Accept header names manifest media types but not
// the stored one (and no wildcard) cannot use this manifest; Berth never converts.
bool accepted(const http::Request& request, std::string_view media_type) {
  auto header = request.headers.get("Accept");
  if (!header) return true;
  bool names_manifest_types = false;
  // Accept may be repeated; Headers::get returns the first, so walk every field.
  for (const auto& [name, value] : request.headers.fields()) {
    if (name.size() != 6 || strncasecmp(name.c_str(), "accept", 6) != 0) continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      std::string_view item = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      if (auto semicolon = item.find(';'); semicolon != std::string_view::npos)
        item = item.substr(0, semicolon);
      while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
      while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
      if (item == "*/*" || item == media_type) return true;
      if (berth::oci::media_type::is_manifest(item)) names_manifest_types = true;
    }
  }
  return !names_manifest_types;
}

http::Response manifest_response(const registry::ManifestContent& content, bool head) {
  http::Response response;
  response.headers.set("Content-Type", content.media_type);
  response.headers.set("Docker-Content-Digest", content.digest);
  response.headers.set("ETag", "\"" + content.digest + "\"");
  if (head) {
    response.content_length_override = content.body->size();
  } else {
    response.body = *content.body;
  }
  return response;
}

// Harbor's answer to a pull a project policy refuses: 412 with PROJECTPOLICYVIOLATION.
http::Response policy_violation(const std::string& message) {
  http::Response response;
  response.status = 412;
  response.headers.set("Content-Type", "application/json");
  response.body = berth::oci::error_body("PROJECTPOLICYVIOLATION", message);
  return response;
}

// "repo:tag" for a tag reference, "repo@digest" otherwise: how the audit log names it.
std::string artifact_name(const Route& route, const std::string& digest) {
  bool by_digest = route.reference.find(':') != std::string::npos;
  return by_digest || route.reference.empty() ? route.name + "@" + digest
                                              : route.name + ":" + route.reference;
}

Awaitable get_manifest(Context& context, http::Exchange& exchange, const Route& route, bool head) {
  auto& registry = context.registry;
  const bool proxied = context.options.proxied && context.options.proxied(route.name);
  std::optional<registry::ManifestContent> content;
  if (proxied) {
    registry::Result<registry::ManifestContent> loaded = berth::oci::make_error(ErrorCode::internal, "");
    co_await exchange.run_blocking(
        [&] { loaded = context.options.proxy_manifest(route.name, route.reference); });
    if (!loaded) co_return error_response(loaded.error());
    content = std::move(loaded).value();
  } else {
    content = registry.cached_manifest(route.name, route.reference);
  }
  if (!content) {
    registry::Result<registry::ManifestContent> loaded = berth::oci::make_error(ErrorCode::internal, "");
    co_await exchange.run_blocking([&] { loaded = registry.get_manifest(route.name, route.reference); });
    if (!loaded) co_return error_response(loaded.error());
    content = std::move(loaded).value();
  }
  if (!accepted(exchange.request(), content->media_type))
    co_return error_response(ErrorCode::manifest_unknown, "manifest media type not accepted by the client",
                             content->media_type);
  if (context.options.pull_gate && context.options.pull_policy_may_apply &&
      context.options.pull_policy_may_apply(route.name)) {
    std::optional<std::string> refusal;
    const bool cosign_client =
        exchange.request().headers.get("User-Agent").value_or("").find("cosign") != std::string_view::npos;
    co_await exchange.run_blocking([&] {
      // cosign reads an image to sign it: someone who may push here is let through (as Harbor).
      const bool signer =
          cosign_client &&
          context.auth.permits(route.principal,
                               auth::Need{auth::Need::Kind::repository, route.name, "push", {}});
      refusal = context.options.pull_gate(policy::PullCheck{route.name, content->digest, head, signer});
    });
    if (refusal) co_return policy_violation(*refusal);
  }
  http::Response response = manifest_response(*content, head);
  if (http::matches_if_none_match(exchange.request(), *response.headers.get("ETag"))) {
    response.status = 304;
    response.body.clear();
    response.content_length_override.reset();
  }
  if (!head) {
    bool by_digest = route.reference.find(':') != std::string::npos;
    context.activity.pulled(
        meta::PullRecord{route.name, content->digest, by_digest ? "" : route.reference, {}});
    audit(context, exchange, route, "pull", artifact_name(route, content->digest));
    if (context.options.on_artifact_event)
      context.options.on_artifact_event("PULL_ARTIFACT", route.name, content->digest,
                                        by_digest ? "" : route.reference, route.principal.name);
  }
  co_return response;
}

Awaitable put_manifest(Context& context, http::Exchange& exchange, const Route& route) {
  auto body = co_await http::read_small_body(exchange, berth::oci::kMaxManifestSize);
  if (body.too_large)
    co_return error_response(ErrorCode::manifest_invalid, "manifest too large",
                             "limit is " + std::to_string(berth::oci::kMaxManifestSize) + " bytes");
  if (!body.text) co_return error_response(ErrorCode::manifest_invalid, "manifest body incomplete");
  std::string content_type(exchange.request().headers.get("Content-Type").value_or(""));
  registry::Result<registry::PutManifestResult> stored = berth::oci::make_error(ErrorCode::internal, "");
  co_await exchange.run_blocking([&] {
    stored = context.registry.put_manifest(route.name, route.reference, content_type, std::move(*body.text));
  });
  if (!stored) {
    co_return error_response(stored.error());
  }
  audit(context, exchange, route, "create", artifact_name(route, stored->digest));
  if (context.options.on_artifact_event) {
    const bool by_digest = berth::oci::looks_like_digest(route.reference);
    context.options.on_artifact_event("PUSH_ARTIFACT", route.name, stored->digest,
                                      by_digest ? "" : route.reference, route.principal.name);
  }
  if (context.options.on_manifest_pushed) {
    co_await exchange.run_blocking(
        [&] { context.options.on_manifest_pushed(route.name, stored->digest, route.reference); });
  }
  http::Response response = empty_response(201);
  response.headers.set("Location", "/v2/" + route.name + "/manifests/" + stored->digest);
  response.headers.set("Docker-Content-Digest", stored->digest);
  if (!stored->subject.empty()) response.headers.set("OCI-Subject", stored->subject);
  co_return response;
}

Awaitable delete_manifest(Context& context, http::Exchange& exchange, const Route& route) {
  registry::Status deleted;
  co_await exchange.run_blocking(
      [&] { deleted = context.registry.delete_manifest(route.name, route.reference); });
  if (!deleted) co_return error_response(deleted.error());
  audit(context, exchange, route, "delete", artifact_name(route, route.reference));
  if (context.options.on_artifact_event && berth::oci::looks_like_digest(route.reference))
    context.options.on_artifact_event("DELETE_ARTIFACT", route.name, route.reference, "",
                                      route.principal.name);
  if (context.options.on_manifest_deleted && berth::oci::looks_like_digest(route.reference)) {
    co_await exchange.run_blocking([&] { context.options.on_manifest_deleted(route.name, route.reference); });
  }
  co_return empty_response(202);
}

}  // namespace

Awaitable handle_manifest(Context& context, http::Exchange& exchange, const Route& route) {
  switch (exchange.request().method) {
    case http::Method::get:
      co_return co_await get_manifest(context, exchange, route, false);
    case http::Method::head:
      co_return co_await get_manifest(context, exchange, route, true);
    case http::Method::put:
      co_return co_await put_manifest(context, exchange, route);
    case http::Method::del:
      co_return co_await delete_manifest(context, exchange, route);
    default:
      co_return method_not_allowed("method not allowed on manifests");
  }
}

}  // namespace berth::api::oci
