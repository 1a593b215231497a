// Base64 (RFC 4648): the standard alphabet with padding (HTTP basic auth, Docker config
// files) and the URL-safe alphabet without padding (JWS).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace berth::base {

std::string base64_encode(std::string_view bytes);
// nullopt on a character outside the alphabet or a bad length/padding.
std::optional<std::string> base64_decode(std::string_view text);

std::string base64url_encode(std::string_view bytes);
// Strict, as JWS wants: the URL-safe alphabet, no padding, unused trailing bits zero (so
// each byte string has exactly one encoding).
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace berth::base
