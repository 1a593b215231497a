#include "http/authorization.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>

#include "base/base64.h"

namespace berth::http {

Authorization split_authorization(std::string_view value) {
  const auto space = value.find(' ');
  Authorization out;
  out.scheme = value.substr(0, space);
  if (space != std::string_view::npos) {
    out.credentials = value.substr(space + 1);
    while (!out.credentials.empty() && out.credentials.front() == ' ') out.credentials.remove_prefix(1);
  }
  return out;
}

bool has_scheme(const Authorization& authorization, std::string_view scheme) {
  return std::equal(authorization.scheme.begin(), authorization.scheme.end(), scheme.begin(), scheme.end(),
                    [](char a, char b) {
                      return std::tolower(static_cast<unsigned char>(a)) ==
                             std::tolower(static_cast<unsigned char>(b));
                    });
}

std::optional<BasicCredentials> decode_basic_credentials(std::string_view credentials) {
  auto decoded = base::base64_decode(credentials);
  if (!decoded) return std::nullopt;
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return std::optional<BasicCredentials>(std::in_place, std::move(*decoded), colon);
}

BasicCredentials::BasicCredentials(BasicCredentials&& other) noexcept
    : decoded_(std::move(other.decoded_)), colon_(other.colon_) {
  OPENSSL_cleanse(other.decoded_.data(), other.decoded_.size());
}

BasicCredentials::~BasicCredentials() {
  OPENSSL_cleanse(decoded_.data(), decoded_.size());
}

}  // namespace berth::http
