// The Authorization request header (RFC 9110 section 11.6.2) and the credentials of its Basic
// scheme (RFC 7617). Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace berth::http {

// The header value split at its first space: the scheme as sent, and the credentials with the
// blanks before them dropped ("" when there is no space).
struct Authorization {
  std::string_view scheme;
  std::string_view credentials;
};
Authorization split_authorization(std::string_view value);

// True when `authorization` uses `scheme`, compared case-insensitively as RFC 9110 says.
bool has_scheme(const Authorization& authorization, std::string_view scheme);

// Basic credentials: base64 of "user:password" (the user ends at the first ':', the password
// may hold more). The decoded text is wiped when the object goes away.
class BasicCredentials {
 public:
  BasicCredentials(std::string decoded, std::size_t colon) : decoded_(std::move(decoded)), colon_(colon) {}
  BasicCredentials(BasicCredentials&& other) noexcept;
  BasicCredentials& operator=(BasicCredentials&&) = delete;
  ~BasicCredentials();

  std::string_view user() const { return std::string_view(decoded_).substr(0, colon_); }
  std::string_view password() const { return std::string_view(decoded_).substr(colon_ + 1); }

 private:
  std::string decoded_;
  std::size_t colon_;
};
// nullopt when the text is not base64 or holds no ':'.
std::optional<BasicCredentials> decode_basic_credentials(std::string_view credentials);

}  // namespace berth::http
