#include "oci/cosign.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace berth::oci::cosign {
namespace {

using base::Errc;

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

constexpr std::string_view kBegin = "-----BEGIN PUBLIC KEY-----";
constexpr std::string_view kEnd = "-----END PUBLIC KEY-----";

const boost::json::value* member(const boost::json::value& value, std::string_view key) {
  return value.is_object() ? value.as_object().if_contains(key) : nullptr;
}

}  // namespace

struct PublicKeys::Key {
  std::unique_ptr<EVP_PKEY, PkeyFree> pkey;
  bool ed25519 = false;
};

base::Result<PublicKeys> PublicKeys::parse(std::string_view pem) {
  PublicKeys out;
  std::size_t at = 0;
  while ((at = pem.find(kBegin, at)) != std::string_view::npos) {
    const auto end = pem.find(kEnd, at);
    if (end == std::string_view::npos)
      return base::make_error(Errc::invalid_argument, "a public key block has no end");
    const std::string_view block = pem.substr(at, end + kEnd.size() - at);
    at = end + kEnd.size();
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(block.data(), static_cast<int>(block.size())), BIO_free);
    auto key = std::make_shared<Key>();
    if (bio) key->pkey.reset(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
    if (!key->pkey) return base::make_error(Errc::invalid_argument, "a public key does not parse");
    if (EVP_PKEY_is_a(key->pkey.get(), "ED25519")) {
      key->ed25519 = true;
    } else if (EVP_PKEY_is_a(key->pkey.get(), "EC")) {
      char group[64] = {};
      std::size_t length = 0;
      if (EVP_PKEY_get_utf8_string_param(key->pkey.get(), "group", group, sizeof group, &length) != 1 ||
          std::string_view(group) != "prime256v1")
        return base::make_error(Errc::invalid_argument, "an ECDSA key must be on the P-256 curve");
    } else {
      return base::make_error(Errc::invalid_argument, "a key must be ECDSA P-256 or Ed25519");
    }
    out.keys_.push_back(std::move(key));
  }
  if (out.keys_.empty()) return base::make_error(Errc::invalid_argument, "no PEM public key found");
  return out;
}

bool PublicKeys::verify(std::string_view payload, std::string_view signature) const {
  const auto* data = reinterpret_cast<const unsigned char*>(payload.data());
  const auto* sig = reinterpret_cast<const unsigned char*>(signature.data());
  for (const auto& key : keys_) {
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    if (!ctx) return false;
    // Ed25519 signs the message itself (no digest); ECDSA here signs its SHA-256.
    const EVP_MD* md = key->ed25519 ? nullptr : EVP_sha256();
    if (EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key->pkey.get()) != 1) continue;
    if (EVP_DigestVerify(ctx.get(), sig, signature.size(), data, payload.size()) == 1) return true;
  }
  return false;
}

bool payload_names(std::string_view payload, std::string_view digest) {
  if (payload.size() > kMaxPayloadBytes) return false;
  boost::system::error_code ec;
  const boost::json::value value = boost::json::parse(payload, ec);
  if (ec) return false;
  const auto* critical = member(value, "critical");
  if (critical == nullptr) return false;
  const auto* type = member(*critical, "type");
  if (type == nullptr || !type->is_string() || type->as_string() != "cosign container image signature")
    return false;
  const auto* image = member(*critical, "image");
  const auto* named = image != nullptr ? member(*image, "docker-manifest-digest") : nullptr;
  return named != nullptr && named->is_string() && named->as_string() == digest;
}

}  // namespace berth::oci::cosign
