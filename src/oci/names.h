// The name and reference grammar of the OCI distribution spec.
#pragma once

#include <string_view>

namespace berth::oci {

// Repository name: path components of [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* joined by '/',
// at most 255 characters in all. Rejects "..", empty components, upper case, '%'.
bool valid_repository_name(std::string_view name);

// Tag: [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}.
bool valid_tag(std::string_view tag);

// True if `reference` has the shape of a digest ("alg:encoded"), which distinguishes
// a manifest reference by digest from one by tag. Does not validate the digest.
bool looks_like_digest(std::string_view reference);

}  // namespace berth::oci
