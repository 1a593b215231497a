// Cosign signatures in their "simple signing" form: a layer whose bytes are a JSON payload
// naming the signed manifest's digest (critical.image.docker-manifest-digest), and whose
// annotation dev.cosignproject.cosign/signature holds the base64 signature over those bytes.
// Verified with public keys: ECDSA P-256 (an ASN.1 DER signature over the payload's SHA-256,
// as cosign writes it) and Ed25519 (over the payload itself). Pure: no I/O.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace berth::oci::cosign {

inline constexpr std::string_view kSignatureAnnotation = "dev.cosignproject.cosign/signature";
// The largest payload read to verify a signature (cosign's are a few hundred bytes).
inline constexpr std::size_t kMaxPayloadBytes = 64 * 1024;

// Public keys that signatures are checked against. Immutable once parsed; thread-safe.
class PublicKeys {
 public:
  // Every "-----BEGIN PUBLIC KEY-----" block of `pem` (one or more, as cosign.pub files hold
  // them). Errors: invalid_argument when there is none, a block does not parse, or a key is
  // neither ECDSA P-256 nor Ed25519 (the message says which).
  static base::Result<PublicKeys> parse(std::string_view pem);

  std::size_t size() const { return keys_.size(); }
  // True if `signature` (raw bytes) over `payload` verifies against one of the keys.
  bool verify(std::string_view payload, std::string_view signature) const;

 private:
  struct Key;
  std::vector<std::shared_ptr<const Key>> keys_;
};

// True if `payload` is a simple-signing payload of type "cosign container image signature"
// naming `digest` as the signed manifest.
bool payload_names(std::string_view payload, std::string_view digest);

}  // namespace berth::oci::cosign
