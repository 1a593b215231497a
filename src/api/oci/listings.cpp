// GET /v2/<name>/tags/list, GET /v2/_catalog, GET /v2/<name>/referrers/<digest>
#include <boost/json.hpp>
#include <cctype>

#include "api/oci/handlers.h"
#include "api/oci/responses.h"
#include "oci/media_types.h"

namespace berth::api::oci {
namespace {

using berth::oci::ErrorCode;

std::string query_escape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/' || c == ':') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

// Lists a page: asks for one entry more than `n` to know whether a next page exists,
// and if so adds the spec's Link header pointing at it.
struct Paged {
  std::vector<std::string> items;
  std::optional<std::string> link;
};

template <class Fetch>
boost::asio::awaitable<registry::Result<Paged>> list_page(Context& context, http::Exchange& exchange,
                                                          const std::string& path, std::size_t n,
                                                          Fetch fetch) {
  if (n == 0) co_return Paged{};
  meta::Page page;
  page.last = exchange.request().query_param("last");
  page.limit = n + 1;
  registry::Result<std::vector<std::string>> items = berth::oci::make_error(ErrorCode::internal, "");
  co_await exchange.run_blocking([&] { items = fetch(page); });
  if (!items) co_return std::move(items).error();
  Paged paged;
  paged.items = std::move(items).value();
  if (paged.items.size() > n) {
    paged.items.resize(n);
    paged.link = "<" + path + "?n=" + std::to_string(n) + "&last=" + query_escape(paged.items.back()) +
                 ">; rel=\"next\"";
  }
  (void)context;
  co_return paged;
}

http::Response list_response(const std::string& key, const std::string* name, const Paged& paged) {
  boost::json::object object;
  if (name) object["name"] = *name;
  boost::json::array items;
  for (const auto& item : paged.items) items.emplace_back(item);
  object[key] = std::move(items);
  http::Response response = json_response(200, boost::json::serialize(object));
  if (paged.link) response.headers.set("Link", *paged.link);
  return response;
}

}  // namespace

Awaitable handle_tags(Context& context, http::Exchange& exchange, const Route& route) {
  if (exchange.request().method != http::Method::get && exchange.request().method != http::Method::head)
    co_return method_not_allowed("method not allowed on tags");
  auto size = parse_page_size(exchange.request());
  if (size.error) co_return std::move(*size.error);
  std::size_t n = std::min(size.n.value_or(context.options.max_page_size), context.options.max_page_size);
  auto paged = co_await list_page(
      context, exchange, "/v2/" + route.name + "/tags/list", n,
      [&](const meta::Page& page) { return context.registry.list_tags(route.name, page); });
  if (!paged) co_return error_response(paged.error());
  co_return list_response("tags", &route.name, *paged);
}

Awaitable handle_catalog(Context& context, http::Exchange& exchange) {
  if (exchange.request().method != http::Method::get && exchange.request().method != http::Method::head)
    co_return method_not_allowed("method not allowed on the catalog");
  auto size = parse_page_size(exchange.request());
  if (size.error) co_return std::move(*size.error);
  std::size_t n = std::min(size.n.value_or(context.options.max_page_size), context.options.max_page_size);
  auto paged = co_await list_page(context, exchange, "/v2/_catalog", n, [&](const meta::Page& page) {
    return context.registry.list_repositories(page);
  });
  if (!paged) co_return error_response(paged.error());
  co_return list_response("repositories", nullptr, *paged);
}

Awaitable handle_referrers(Context& context, http::Exchange& exchange, const Route& route) {
  if (exchange.request().method != http::Method::get && exchange.request().method != http::Method::head)
    co_return method_not_allowed("method not allowed on referrers");
  std::string artifact_type = exchange.request().query_param("artifactType").value_or("");
  registry::Result<std::vector<meta::ManifestRecord>> records =
      berth::oci::make_error(ErrorCode::internal, "");
  co_await exchange.run_blocking(
      [&] { records = context.registry.referrers(route.name, route.reference, artifact_type); });
  if (!records) co_return error_response(records.error());

  boost::json::array manifests;
  for (const auto& record : *records) {
    boost::json::object descriptor;
    descriptor["mediaType"] = record.media_type;
    descriptor["digest"] = record.digest;
    descriptor["size"] = record.size;
    if (!record.artifact_type.empty()) descriptor["artifactType"] = record.artifact_type;
    if (!record.annotations_json.empty()) {
      boost::system::error_code ec;
      auto annotations = boost::json::parse(record.annotations_json, ec);
      if (!ec && annotations.is_object() && !annotations.as_object().empty())
        descriptor["annotations"] = std::move(annotations);
    }
    manifests.emplace_back(std::move(descriptor));
  }
  boost::json::object index;
  index["schemaVersion"] = 2;
  index["mediaType"] = berth::oci::media_type::oci_index;
  index["manifests"] = std::move(manifests);
  http::Response response =
      json_response(200, boost::json::serialize(index), berth::oci::media_type::oci_index);
  if (!artifact_type.empty()) response.headers.set("OCI-Filters-Applied", "artifactType");
  co_return response;
}

}  // namespace berth::api::oci
