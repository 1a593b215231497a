#include "api/oci/paths.h"

#include "http/message.h"

namespace berth::api::oci {

ParsedPath parse_path(std::string_view path) {
  ParsedPath parsed;
  constexpr std::string_view kPrefix = "/v2/";
  if (path == "/v2" || path == kPrefix) {
    parsed.resource = Resource::base;
    return parsed;
  }
  if (!path.starts_with(kPrefix)) return parsed;
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
    parsed.name = std::string(rest.substr(0, at));
    parsed.reference = std::move(*decoded);
    return true;
  };
  if (rest.size() > 9 && rest.ends_with("/tags/list")) {
    parsed.resource = Resource::tags;
    parsed.name = std::string(rest.substr(0, rest.size() - 10));
    return parsed;
  }
  if (split("/manifests/", Resource::manifest, false)) return parsed;
  if (split("/referrers/", Resource::referrers, false)) return parsed;
  if (split("/blobs/uploads/", Resource::upload, true)) {
    if (parsed.reference.empty()) parsed.resource = Resource::upload_start;
    return parsed;
  }
  if (rest.ends_with("/blobs/uploads") && rest.size() > 14) {
    parsed.resource = Resource::upload_start;
    parsed.name = std::string(rest.substr(0, rest.size() - 14));
    return parsed;
  }
  if (split("/blobs/", Resource::blob, false)) return parsed;
  return parsed;
}

}  // namespace berth::api::oci
