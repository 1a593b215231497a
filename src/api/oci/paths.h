// The paths of the distribution API: /v2/<name>/<resource>/<reference> split into what a
// handler needs. Pure; names and references are validated by the handlers.
#pragma once

#include <string>
#include <string_view>

namespace berth::api::oci {

enum class Resource { base, catalog, blob, upload_start, upload, manifest, tags, referrers, unknown };

struct ParsedPath {
  Resource resource = Resource::unknown;
  std::string name;       // repository name (may hold '/'), not yet validated
  std::string reference;  // digest, tag or upload id, percent-decoded; empty for the others
};

// Splits a request path that starts with "/v2". The name may itself contain slashes (and even
// words like "blobs"), so the resource keyword is searched from the right and the reference
// must be a single path segment. Resource::unknown when nothing matches (or a reference has a
// malformed percent escape).
ParsedPath parse_path(std::string_view path);

}  // namespace berth::api::oci
