// Cosign simple-signing payloads and their signatures, made here with OpenSSL as cosign makes
// them: ECDSA P-256 (DER over SHA-256 of the payload) and Ed25519 (over the payload).
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>
#include <string>

#include "oci/cosign.h"

namespace berth::oci::cosign {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

Pkey generate_ec(const char* curve) {
  return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
}
Pkey generate_ed25519() {
  return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
}
Pkey generate_rsa() {
  return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048)));
}

std::string public_pem(EVP_PKEY* key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PUBKEY(bio.get(), key);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string sign(EVP_PKEY* key, std::string_view payload, bool ed25519) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::size_t size = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(payload.data());
  EVP_DigestSignInit(ctx.get(), nullptr, ed25519 ? nullptr : EVP_sha256(), nullptr, key);
  EVP_DigestSign(ctx.get(), nullptr, &size, data, payload.size());
  std::string out(size, '\0');
  EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &size, data, payload.size());
  out.resize(size);
  return out;
}

const std::string kDigest = "sha256:" + std::string(64, 'c');
const std::string kPayload =
    R"({"critical":{"identity":{"docker-reference":"example/app"},"image":{"docker-manifest-digest":")" +
    kDigest + R"("},"type":"cosign container image signature"},"optional":null})";

TEST(CosignPayload, NamesOnlyItsDigest) {
  EXPECT_TRUE(payload_names(kPayload, kDigest));
  EXPECT_FALSE(payload_names(kPayload, "sha256:" + std::string(64, 'd')));
  EXPECT_FALSE(payload_names(
      R"({"critical":{"image":{"docker-manifest-digest":")" + kDigest + R"("},"type":"other"}})", kDigest));
  EXPECT_FALSE(payload_names("not json", kDigest));
  EXPECT_FALSE(payload_names(R"({"critical":[]})", kDigest));
}

TEST(CosignKeys, EcdsaP256AndEd25519SignaturesVerify) {
  Pkey ec = generate_ec("P-256");
  Pkey ed = generate_ed25519();
  auto keys = PublicKeys::parse(public_pem(ec.get()) + public_pem(ed.get()));
  ASSERT_TRUE(keys) << keys.error().message;
  EXPECT_EQ(keys->size(), 2u);
  EXPECT_TRUE(keys->verify(kPayload, sign(ec.get(), kPayload, false)));
  EXPECT_TRUE(keys->verify(kPayload, sign(ed.get(), kPayload, true)));
  // Another payload, a flipped byte, another key: refused.
  EXPECT_FALSE(keys->verify(kPayload + " ", sign(ec.get(), kPayload, false)));
  std::string tampered = sign(ed.get(), kPayload, true);
  tampered[5] = static_cast<char>(tampered[5] ^ 1);
  EXPECT_FALSE(keys->verify(kPayload, tampered));
  Pkey stranger = generate_ec("P-256");
  EXPECT_FALSE(keys->verify(kPayload, sign(stranger.get(), kPayload, false)));
  EXPECT_FALSE(keys->verify(kPayload, ""));
}

TEST(CosignKeys, OtherKeysAndGarbageAreRefused) {
  EXPECT_FALSE(PublicKeys::parse(""));
  EXPECT_FALSE(PublicKeys::parse("-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n"));
  Pkey p384 = generate_ec("P-384");
  auto refused = PublicKeys::parse(public_pem(p384.get()));
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("P-256"), std::string::npos);
  Pkey rsa = generate_rsa();
  EXPECT_FALSE(PublicKeys::parse(public_pem(rsa.get())));
}

}  // namespace
}  // namespace berth::oci::cosign
