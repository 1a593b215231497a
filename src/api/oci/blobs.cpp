// GET / HEAD / DELETE /v2/<name>/blobs/<digest>
#include <memory>

#include "api/oci/handlers.h"
#include "api/oci/responses.h"
#include "http/ranges.h"

namespace berth::api::oci {
namespace {

using berth::oci::ErrorCode;

void set_blob_headers(http::Response& response, const registry::BlobInfo& info) {
  std::string digest = info.digest.str();
  response.headers.set("Content-Type", "application/octet-stream");
  response.headers.set("ETag", "\"" + digest + "\"");
  response.headers.set("Docker-Content-Digest", std::move(digest));
  response.headers.set("Accept-Ranges", "bytes");
}

Awaitable get_blob(Context& context, http::Exchange& exchange, const Route& route, bool head) {
  auto& registry = context.registry;
  registry::Result<registry::BlobInfo> info = berth::oci::make_error(ErrorCode::internal, "");
  auto digest = berth::oci::Digest::parse(route.reference);
  std::optional<registry::BlobInfo> hit;
  if (digest) hit = registry.cached_blob(route.name, *digest);
  if (hit) {
    info = *hit;
  } else {
    co_await exchange.run_blocking([&] { info = registry.stat_blob(route.name, route.reference); });
  }
  if (!info && info.error().code == ErrorCode::blob_unknown && context.options.proxied &&
      context.options.proxied(route.name)) {
    co_await exchange.run_blocking([&] {
      auto fetched = context.options.proxy_blob(route.name, route.reference);
      info = fetched ? registry.stat_blob(route.name, route.reference)
                     : registry::Result<registry::BlobInfo>(fetched.error());
    });
  }
  if (!info) co_return error_response(info.error());

  http::Response response;
  set_blob_headers(response, *info);
  if (http::matches_if_none_match(exchange.request(), *response.headers.get("ETag"))) {
    response.status = 304;
    co_return response;
  }
  const std::uint64_t size = info->size;
  std::uint64_t offset = 0;
  std::uint64_t length = size;
  if (auto range_header = exchange.request().headers.get("Range")) {
    auto range = http::parse_range(*range_header, size);
    if (!range) {
      auto failure = error_response(ErrorCode::range_invalid, "requested range not satisfiable",
                                    std::string(*range_header));
      failure.headers.set("Content-Range", "bytes */" + std::to_string(size));
      co_return failure;
    }
    offset = range->first;
    length = range->length();
    response.status = 206;
    response.headers.set("Content-Range", "bytes " + std::to_string(range->first) + "-" +
                                              std::to_string(range->last) + "/" + std::to_string(size));
  }
  if (head) {
    response.content_length_override = length;
    co_return response;
  }
  registry::Result<blob::BlobReader> reader = berth::oci::make_error(ErrorCode::internal, "");
  co_await exchange.run_blocking([&] { reader = registry.open_blob(route.name, info->digest); });
  if (!reader) co_return error_response(reader.error());
  response.file = http::FileBody{std::make_shared<base::UniqueFd>(std::move(reader->fd)), offset, length};
  co_return response;
}

Awaitable delete_blob(Context& context, http::Exchange& exchange, const Route& route) {
  registry::Status status;
  co_await exchange.run_blocking([&] { status = context.registry.delete_blob(route.name, route.reference); });
  if (!status) co_return error_response(status.error());
  co_return empty_response(202);
}

}  // namespace

Awaitable handle_blob(Context& context, http::Exchange& exchange, const Route& route) {
  switch (exchange.request().method) {
    case http::Method::get:
      co_return co_await get_blob(context, exchange, route, false);
    case http::Method::head:
      co_return co_await get_blob(context, exchange, route, true);
    case http::Method::del:
      co_return co_await delete_blob(context, exchange, route);
    default:
      co_return method_not_allowed("method not allowed on blobs");
  }
}

}  // namespace berth::api::oci
