// Registry bearer tokens (the Docker token flow): scopes, claims, and ES256-signed JWTs
// with a persisted, rotatable key ring.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace berth::iam {

// One entry of a token's `access` claim, and of a requested scope:
// "repository:proj/app:pull,push" -> {repository, proj/app, {pull, push}}.
struct Access {
  std::string type;  // "repository", "registry"
  std::string name;  // repository name, or "catalog"
  std::vector<std::string> actions;
  friend bool operator==(const Access&, const Access&) = default;
};

// Parses one scope string. Errors: invalid_argument. The resource type may carry a
// class ("repository(plugin)") which is dropped; the name may contain ':' (a
// registry host with a port) so the actions are taken after the last ':'.
base::Result<Access> parse_scope(std::string_view scope);

struct TokenClaims {
  std::string issuer;
  std::string subject;         // user or robot name; "" for anonymous
  std::string audience;        // the service name
  std::int64_t issued_at = 0;  // unix seconds
  std::int64_t not_before = 0;
  std::int64_t expires_at = 0;
  std::string id;  // jti
  std::vector<Access> access;
};

// Signing keys in a directory (<data>/keys, mode 0700): one file per key,
// token-<seq>-<kid>.pem, holding an EC P-256 private key (PKCS#8 PEM, mode 0600, written
// to a temp file, fsynced and renamed into place). <seq> is a decimal creation counter
// that orders the ring (file times are not trusted: copies and restores change them);
// <kid> is the first 16 hex digits of the SHA-256 of the DER public key. The newest key
// signs; every key in the ring verifies, so tokens signed before a rotation stay valid
// until they expire.
//
// Thread-safety: every method may be called concurrently. One process per directory.
class KeyRing {
 public:
  // Loads every key in `dir`, creating the directory (0700) and a first key if there is
  // none. Errors: io_error, corrupt (a token-*.pem file that cannot be read, is not an
  // EC P-256 key, or whose name does not match its key).
  static base::Result<std::unique_ptr<KeyRing>> open(const std::filesystem::path& dir);

  ~KeyRing();
  KeyRing(const KeyRing&) = delete;
  KeyRing& operator=(const KeyRing&) = delete;

  // Creates a new key that signs from now on; keeps at most `keep` older keys for
  // verification and deletes the rest. Returns the new key id. Safe to call while other
  // threads sign and verify (they are never blocked by the disk). Errors: io_error,
  // either before the new key was written (nothing changed) or while deleting old key
  // files (the rotation took effect; a file left behind is loaded again by open()).
  base::Result<std::string> rotate(std::size_t keep = 1);

  // The kid of the signing key.
  std::string current_key_id() const;

  // A compact JWS: header {"typ":"JWT","alg":"ES256","kid":...}, the claims as the
  // distribution token spec names them (iss, sub, aud, exp, nbf, iat, jti, access).
  // The signature is ES256 as RFC 7518 defines it (raw 64-byte R || S).
  std::string sign(const TokenClaims& claims) const;

  // Verifies a compact JWS and returns its claims. Refused (Errc::invalid_argument,
  // with a reason) unless: three base64url parts; header alg is ES256 and kid names a key
  // in the ring; no "crit" header; the signature verifies; `iss` equals `issuer`; `aud`
  // equals `audience` or is an array holding it; exp is present and
  // nbf - leeway <= now < exp + leeway (leeway 30 s; nbf may be absent). Each failure
  // has its own message.
  base::Result<TokenClaims> verify(std::string_view token, std::string_view audience, std::string_view issuer,
                                   std::int64_t now) const;

 private:
  struct Key;
  KeyRing() = default;
  std::filesystem::path dir_;
  std::mutex rotate_mutex_;                       // serialises rotate(); held across its disk I/O
  mutable std::mutex mutex_;                      // guards keys_ only; never held across I/O
  std::vector<std::shared_ptr<const Key>> keys_;  // never empty; newest (signing) last
};

}  // namespace berth::iam
