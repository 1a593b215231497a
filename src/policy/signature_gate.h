// Content trust with cosign (Harbor's project metadata enable_content_trust_cosign): a pull of
// an artifact needs a cosign signature of it, an accessory of type signature.cosign (pushed
// under the tag sha256-<hex>.sig or as an OCI 1.1 referrer). Harbor only checks that one
// exists. When the project also holds cosign public keys (metadata cosign_public_keys: PEM,
// ECDSA P-256 or Ed25519), Berth counts a signature only if its simple-signing payload names
// the artifact's digest and the signature over it verifies against one of the keys.
//
// Thread-safety: all methods may be called concurrently. check() reads the metadata and
// blobs: call it on the blocking pool.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "blob/store.h"
#include "meta/database.h"
#include "meta/iam_database.h"
#include "registry/lru_cache.h"

namespace berth::policy {

inline constexpr std::string_view kCosignRequired = "enable_content_trust_cosign";
inline constexpr std::string_view kCosignKeys = "cosign_public_keys";

class SignatureGate {
 public:
  SignatureGate(meta::Database& metadata, blob::Store& blobs);

  // Whether project metadata asks for cosign signatures.
  static bool required(const std::map<std::string, std::string>& metadata);

  // Nothing when `digest` of `repository` may be pulled, else Harbor's refusal message. A
  // signature itself may always be pulled (cosign reads them to verify).
  std::optional<std::string> check(const meta::Project& project, const std::string& repository,
                                   const std::string& digest);

 private:
  // Whether signature manifest `signature` holds a layer whose payload names `digest` and
  // whose signature verifies against `keys` (PEM).
  bool verified(const std::string& keys, const std::string& signature, const std::string& digest);

  meta::Database& metadata_;
  blob::Store& blobs_;
  // Verification results by keys, signature and subject: all content-addressed or fixed, so
  // a result never goes stale (a deleted signature is no longer listed to be looked up).
  registry::LruCache<std::string, bool> results_{4096};
};

}  // namespace berth::policy
