#include "policy/signature_gate.h"

#include <openssl/sha.h>

#include "base/base64.h"
#include "base/log.h"
#include "oci/artifact.h"
#include "oci/cosign.h"

namespace berth::policy {
namespace {

constexpr const char* kUnsigned = "The image is not signed by cosign.";
constexpr const char* kUntrusted = "The image is not signed by cosign with a key this project trusts.";

std::string sha256_hex(std::string_view text) {
  unsigned char hash[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), hash);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char byte : hash) {
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 15]);
  }
  return out;
}

}  // namespace

SignatureGate::SignatureGate(meta::Database& metadata, blob::Store& blobs)
    : metadata_(metadata), blobs_(blobs) {}

bool SignatureGate::required(const std::map<std::string, std::string>& metadata) {
  auto it = metadata.find(std::string(kCosignRequired));
  return it != metadata.end() && it->second == "true";
}

std::optional<std::string> SignatureGate::check(const meta::Project& project, const std::string& repository,
                                                const std::string& digest) {
  if (!required(project.metadata)) return std::nullopt;
  auto record = metadata_.get_manifest(repository, digest);
  if (!record) {
    BERTH_LOG_WARN("signature policy: cannot read {}@{}: {}", repository, digest, record.error().message);
    return std::string("the signature policy of project ") + project.name + " cannot be checked now";
  }
  if (*record && (*record)->accessory_type.starts_with("signature.")) return std::nullopt;
  meta::ListQuery all;
  all.limit = 0;
  auto accessories = metadata_.list_accessories(repository, digest, all);
  if (!accessories) {
    BERTH_LOG_WARN("signature policy: cannot list the accessories of {}@{}: {}", repository, digest,
                   accessories.error().message);
    return std::string("the signature policy of project ") + project.name + " cannot be checked now";
  }
  const auto keys = project.metadata.find(std::string(kCosignKeys));
  const bool with_keys = keys != project.metadata.end() && !keys->second.empty();
  bool any = false;
  for (const auto& accessory : accessories->items) {
    if (accessory.manifest.accessory_type != oci::accessory_type::cosign_signature) continue;
    any = true;
    if (!with_keys || verified(keys->second, accessory.manifest.digest, digest)) return std::nullopt;
  }
  return std::string(any ? kUntrusted : kUnsigned);
}

bool SignatureGate::verified(const std::string& keys_pem, const std::string& signature,
                             const std::string& digest) {
  const std::string key = sha256_hex(keys_pem) + "|" + signature + "|" + digest;
  if (auto known = results_.get(key)) return *known;
  auto remember = [&](bool result) {
    results_.put(key, result, 1);
    return result;
  };
  auto keys = oci::cosign::PublicKeys::parse(keys_pem);
  if (!keys) {
    BERTH_LOG_WARN("signature policy: the project's cosign keys do not parse: {}", keys.error().message);
    return false;  // not remembered: the keys may be fixed
  }
  auto signature_digest = oci::Digest::parse(signature);
  if (!signature_digest) return remember(false);
  auto body = blobs_.read_all(*signature_digest);
  if (!body) return false;
  auto manifest = oci::parse_manifest(*body, "");
  if (!manifest) return remember(false);
  for (const auto& layer : manifest->layers) {
    if (layer.media_type != oci::artifact_media_type::cosign_simple_signing) continue;
    auto annotation = layer.annotations.find(std::string(oci::cosign::kSignatureAnnotation));
    if (annotation == layer.annotations.end()) continue;
    auto raw = base::base64_decode(annotation->second);
    if (!raw || layer.size < 0 || static_cast<std::size_t>(layer.size) > oci::cosign::kMaxPayloadBytes)
      continue;
    auto payload = blobs_.read_all(layer.digest);
    if (!payload || payload->size() > oci::cosign::kMaxPayloadBytes) continue;
    if (oci::cosign::payload_names(*payload, digest) && keys->verify(*payload, *raw)) return remember(true);
  }
  return remember(false);
}

}  // namespace berth::policy
