// POST /v2/<name>/blobs/uploads/ (start, monolithic, mount) and
// GET / PATCH / PUT / DELETE /v2/<name>/blobs/uploads/<id>.
#include <algorithm>
#include <cstdint>
#include <memory>

#include "api/oci/handlers.h"
#include "api/oci/responses.h"
#include "http/ranges.h"

namespace berth::api::oci {
namespace {

using berth::oci::ErrorCode;
constexpr std::size_t kChunk = 256 * 1024;

std::string upload_location(const std::string& name, const std::string& id) {
  return "/v2/" + name + "/blobs/uploads/" + id;
}

// "0-<last byte>", the way distribution reports an empty upload too ("0-0").
std::string range_value(std::uint64_t size) {
  return "0-" + std::to_string(size == 0 ? 0 : size - 1);
}

http::Response upload_accepted(int status, const std::string& name, const std::string& id,
                               std::uint64_t size) {
  http::Response response = empty_response(status);
  response.headers.set("Location", upload_location(name, id));
  response.headers.set("Range", range_value(size));
  response.headers.set("Docker-Upload-UUID", id);
  return response;
}

http::Response blob_created(const std::string& name, const registry::BlobInfo& info) {
  http::Response response = empty_response(201);
  std::string digest = info.digest.str();
  response.headers.set("Location", "/v2/" + name + "/blobs/" + digest);
  response.headers.set("Docker-Content-Digest", std::move(digest));
  return response;
}

// Streams the request body into the upload. The chunk buffer is reused across reads; it
// is no larger than a body of known length needs, and is not zero-filled.
boost::asio::awaitable<registry::Status> stream_body(http::Exchange& exchange, registry::UploadLease& lease) {
  constexpr std::uint64_t kSmallest = 4096;
  const std::size_t size = static_cast<std::size_t>(
      std::clamp(exchange.request().content_length.value_or(kChunk), kSmallest, std::uint64_t{kChunk}));
  const auto buffer = std::make_unique_for_overwrite<char[]>(size);
  for (;;) {
    auto n = co_await exchange.read_body(std::span<char>(buffer.get(), size));
    if (!n) {
      const auto& error = n.error();
      if (error.code == base::Errc::too_large)
        co_return berth::oci::make_error(ErrorCode::size_invalid, "request body too large");
      co_return berth::oci::make_error(ErrorCode::blob_upload_invalid, "request body incomplete",
                                       error.message);
    }
    if (*n == 0) co_return registry::Status{};
    if (auto written = lease.append(std::string_view(buffer.get(), *n)); !written) co_return written;
  }
}

// Completes a leased upload with the digest from the query, off the reactor (fsync).
boost::asio::awaitable<http::Response> finish(Context& context, http::Exchange& exchange, const Route& route,
                                              registry::UploadLease lease, const std::string& digest) {
  registry::Result<registry::BlobInfo> info = berth::oci::make_error(ErrorCode::internal, "");
  co_await exchange.run_blocking([&] { info = context.registry.complete_upload(std::move(lease), digest); });
  if (!info) co_return error_response(info.error());
  co_return blob_created(route.name, *info);
}

// Takes the lease off the reactor: reopening an upload after a restart re-hashes it.
boost::asio::awaitable<registry::Result<registry::UploadLease>> lease(Context& context,
                                                                      http::Exchange& exchange,
                                                                      const Route& route) {
  registry::Result<registry::UploadLease> result = berth::oci::make_error(ErrorCode::internal, "");
  co_await exchange.run_blocking(
      [&] { result = context.registry.lease_upload(route.name, route.reference); });
  co_return result;
}

Awaitable start(Context& context, http::Exchange& exchange, const Route& route) {
  const auto& request = exchange.request();
  auto mount = request.query_param("mount");
  auto from = request.query_param("from");
  if (mount && from) {
    std::optional<registry::BlobInfo> mounted;
    // The blob is shared only from a repository the principal may pull from.
    auth::Need source{auth::Need::Kind::repository, *from, "pull", {}};
    co_await exchange.run_blocking([&] {
      if (context.auth.permits(route.principal, source))
        mounted = context.registry.mount_blob(route.name, *from, *mount);
    });
    if (mounted) co_return blob_created(route.name, *mounted);
  }
  // A mount without `from` is not attempted: a blob is only shared from a repository
  // the client names (and, with access control, may read).
  registry::Result<registry::UploadLease> started = berth::oci::make_error(ErrorCode::internal, "");
  co_await exchange.run_blocking([&] { started = context.registry.start_upload(route.name); });
  if (!started) co_return error_response(started.error());
  registry::UploadLease upload = std::move(started).value();

  if (auto digest = request.query_param("digest")) {
    // Monolithic upload: the whole blob is the body of this POST.
    if (auto streamed = co_await stream_body(exchange, upload); !streamed) {
      co_await exchange.run_blocking([&] { context.registry.abandon_upload(std::move(upload)); });
      co_return error_response(streamed.error());
    }
    co_return co_await finish(context, exchange, route, std::move(upload), *digest);
  }
  co_return upload_accepted(202, route.name, upload.id(), 0);
}

Awaitable patch(Context& context, http::Exchange& exchange, const Route& route) {
  auto leased = co_await lease(context, exchange, route);
  if (!leased) co_return error_response(leased.error());
  registry::UploadLease upload = std::move(leased).value();
  const auto& request = exchange.request();
  if (auto header = request.headers.get("Content-Range")) {
    auto range = http::parse_content_range(*header);
    bool in_order = range && range->first == upload.size();
    if (in_order && request.content_length) in_order = *request.content_length == range->length();
    if (!in_order) {
      auto refused = error_response(ErrorCode::range_invalid, "chunk out of order or malformed Content-Range",
                                    std::string(*header));
      refused.headers.set("Location", upload_location(route.name, upload.id()));
      refused.headers.set("Range", range_value(upload.size()));
      refused.headers.set("Docker-Upload-UUID", upload.id());
      co_return refused;
    }
  }
  if (auto streamed = co_await stream_body(exchange, upload); !streamed)
    co_return error_response(streamed.error());
  co_return upload_accepted(202, route.name, upload.id(), upload.size());
}

Awaitable put(Context& context, http::Exchange& exchange, const Route& route) {
  auto digest = exchange.request().query_param("digest");
  if (!digest) co_return error_response(ErrorCode::digest_invalid, "digest query parameter is required");
  auto leased = co_await lease(context, exchange, route);
  if (!leased) co_return error_response(leased.error());
  registry::UploadLease upload = std::move(leased).value();
  if (auto streamed = co_await stream_body(exchange, upload); !streamed)
    co_return error_response(streamed.error());
  co_return co_await finish(context, exchange, route, std::move(upload), *digest);
}

Awaitable status(Context& context, http::Exchange& exchange, const Route& route) {
  registry::Result<std::uint64_t> size = berth::oci::make_error(ErrorCode::internal, "");
  co_await exchange.run_blocking([&] { size = context.registry.upload_size(route.name, route.reference); });
  if (!size) co_return error_response(size.error());
  co_return upload_accepted(204, route.name, route.reference, *size);
}

Awaitable cancel(Context& context, http::Exchange& exchange, const Route& route) {
  registry::Status cancelled;
  co_await exchange.run_blocking(
      [&] { cancelled = context.registry.cancel_upload(route.name, route.reference); });
  if (!cancelled) co_return error_response(cancelled.error());
  co_return empty_response(204);
}

}  // namespace

Awaitable handle_upload_start(Context& context, http::Exchange& exchange, const Route& route) {
  if (exchange.request().method != http::Method::post)
    co_return method_not_allowed("method not allowed on uploads");
  co_return co_await start(context, exchange, route);
}

Awaitable handle_upload(Context& context, http::Exchange& exchange, const Route& route) {
  switch (exchange.request().method) {
    case http::Method::patch:
      co_return co_await patch(context, exchange, route);
    case http::Method::put:
      co_return co_await put(context, exchange, route);
    case http::Method::get:
      co_return co_await status(context, exchange, route);
    case http::Method::del:
      co_return co_await cancel(context, exchange, route);
    default:
      co_return method_not_allowed("method not allowed on an upload");
  }
}

}  // namespace berth::api::oci
