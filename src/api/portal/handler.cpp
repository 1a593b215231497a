#include "api/portal/handler.h"

#include <algorithm>
#include <string>
#include <string_view>

#include "portal/assets.h"

namespace berth::api::portal {
namespace {

using berth::portal::Asset;

// What the portal may load: its own scripts, styles and images, nothing inline, no framing.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const Asset* find_asset(std::string_view path) {
  auto all = berth::portal::assets();
  auto it = std::lower_bound(all.begin(), all.end(), path,
                             [](const Asset& a, std::string_view p) { return a.path < p; });
  return it != all.end() && it->path == path ? &*it : nullptr;
}

// True unless the client refuses gzip or does not name it ("gzip;q=0" refuses).
bool accepts_gzip(const http::Request& request) {
  auto header = request.headers.get("Accept-Encoding");
  if (!header) return false;
  for (std::string_view item : http::header_list_items(*header)) {
    auto semicolon = item.find(';');
    std::string_view coding = item.substr(0, semicolon);
    while (!coding.empty() && coding.back() == ' ') coding.remove_suffix(1);
    if (coding != "gzip" && coding != "*") continue;
    if (semicolon == std::string_view::npos) return true;
    std::string_view params = item.substr(semicolon + 1);
    params.remove_prefix(std::min(params.find_first_not_of(' '), params.size()));
    return !(params.starts_with("q=0") && params.find_first_not_of("q=0.") == std::string_view::npos);
  }
  return false;
}

http::Response plain(int status, std::string text) {
  http::Response response;
  response.status = status;
  response.headers.set("Content-Type", "text/plain; charset=utf-8");
  response.body = std::move(text);
  return response;
}

http::Response serve(const http::Request& request) {
  if (request.method != http::Method::get && request.method != http::Method::head) {
    http::Response response = plain(405, "the portal answers GET and HEAD only\n");
    response.headers.set("Allow", "GET, HEAD");
    return response;
  }
  // The APIs' own namespaces: a path there that no API serves is not a portal page.
  for (std::string_view api : {"/api/", "/c/", "/service/", "/v2/", "/operator/"})
    if (request.path.starts_with(api)) return plain(404, "not found\n");
  const bool hashed = request.path.starts_with("/assets/");
  const Asset* asset = find_asset(request.path);
  if (!asset && hashed) return plain(404, "no such portal asset\n");
  if (!asset || request.path == "/index.html") asset = find_asset("/index.html");

  http::Response response;
  response.headers.set("Content-Type", std::string(asset->content_type));
  response.headers.set("ETag", std::string(asset->etag));
  response.headers.set("Cache-Control", hashed ? "public, max-age=31536000, immutable" : "no-cache");
  response.headers.set("Vary", "Accept-Encoding");
  response.headers.set("X-Content-Type-Options", "nosniff");
  response.headers.set("X-Frame-Options", "DENY");
  response.headers.set("Referrer-Policy", "same-origin");
  response.headers.set("Content-Security-Policy", std::string(kContentSecurityPolicy));
  if (http::matches_if_none_match(request, asset->etag)) {
    response.status = 304;
    return response;
  }
  const bool gzip = accepts_gzip(request);
  const std::string_view body = gzip ? asset->gzip : asset->body;
  if (gzip) response.headers.set("Content-Encoding", "gzip");
  if (request.method == http::Method::head)
    response.content_length_override = body.size();
  else
    response.body = std::string(body);
  return response;
}

}  // namespace

http::Handler make_handler() {
  return [](http::Exchange& exchange) -> boost::asio::awaitable<http::Response> {
    co_return serve(exchange.request());
  };
}

}  // namespace berth::api::portal
