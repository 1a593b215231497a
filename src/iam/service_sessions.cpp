// iam::Service, portal sessions: a cookie of 32 random bytes (hex) that stands for a
// signed-in user until it expires. The database holds only the cookie's SHA-256, so a
// copy of the database does not let anyone take over a session.
#include <openssl/evp.h>

#include <algorithm>
#include <array>

#include "base/log.h"
#include "base/random.h"
#include "iam/service.h"

namespace berth::iam {
namespace {

constexpr std::size_t kCookieBytes = 32;
constexpr std::size_t kCsrfBytes = 32;

std::string sha256_hex(std::string_view text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) return {};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

// A cookie value this service could have issued: 64 lowercase hex digits.
bool well_formed_cookie(std::string_view cookie) {
  if (cookie.size() != kCookieBytes * 2) return false;
  return std::all_of(cookie.begin(), cookie.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Error session_error(std::string_view what, const base::Error& error) {
  BERTH_LOG_ERROR("portal sessions: {}: {}", what, error.message);
  return Error{Error::Code::internal, "session storage failed"};
}

}  // namespace

Result<PortalSession> Service::create_session(const Principal& user, std::chrono::seconds lifetime) {
  if (user.kind != Principal::Kind::user)
    return Error{Error::Code::bad_request, "only users have portal sessions"};
  const auto now = std::chrono::system_clock::now();
  if (auto purged = db_.delete_expired_sessions(now); !purged)
    BERTH_LOG_WARN("portal sessions: purging expired sessions failed: {}", purged.error().message);
  PortalSession session{base::random_hex(kCookieBytes), base::random_hex(kCsrfBytes)};
  meta::Session record;
  record.id_hash = sha256_hex(session.cookie);
  if (record.id_hash.empty()) return Error{Error::Code::internal, "hashing the session id failed"};
  record.user_id = user.id;
  record.csrf_token = session.csrf_token;
  record.created = now;
  record.expires = now + lifetime;
  if (auto created = db_.create_session(record); !created) return session_error("create", created.error());
  return session;
}

Result<SessionPrincipal> Service::session_principal(std::string_view cookie) {
  const Error expired{Error::Code::unauthorized, "the session has expired or is unknown"};
  if (!well_formed_cookie(cookie)) return expired;
  auto session = db_.find_session(sha256_hex(cookie), std::chrono::system_clock::now());
  if (!session) return session_error("look-up", session.error());
  if (!*session) return expired;
  auto principal = principal_by_user_id((*session)->user_id);
  if (!principal) return expired;
  return SessionPrincipal{std::move(*principal), std::move((*session)->csrf_token)};
}

Status Service::end_session(std::string_view cookie) {
  if (!well_formed_cookie(cookie)) return {};
  auto deleted = db_.delete_session(sha256_hex(cookie));
  if (!deleted && deleted.error().code != base::Errc::not_found)
    return session_error("delete", deleted.error());
  return {};
}

}  // namespace berth::iam
