#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <atomic>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "iam/token.h"

namespace berth::iam {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using base::Errc;

constexpr std::int64_t kNow = 1'700'000'000;
constexpr char kService[] = "berth.example.com";
constexpr char kIssuer[] = "berth-token-issuer";

// ---- independent JOSE helpers (not the code under test) ------------------------------

std::string b64url_encode(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

std::string b64url_decode(std::string in) {
  for (char& c : in) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  while (in.size() % 4 != 0) in.push_back('=');
  std::string out(in.size() / 4 * 3, '\0');
  const int n =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  EXPECT_GE(n, 0);
  std::size_t pad = 0;
  for (auto it = in.rbegin(); it != in.rend() && *it == '='; ++it) ++pad;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

struct Parts {
  std::string header, payload, signature;  // encoded
};

Parts split(const std::string& token) {
  const auto d1 = token.find('.');
  const auto d2 = token.find('.', d1 + 1);
  return {token.substr(0, d1), token.substr(d1 + 1, d2 - d1 - 1), token.substr(d2 + 1)};
}

json::object decode_json(const std::string& part) {
  return json::parse(b64url_decode(part)).as_object();
}

std::string str(const json::value& v) {
  return v.is_string() ? std::string(v.get_string()) : "<not a string: " + json::serialize(v) + ">";
}

std::string encode_json(const json::object& o) {
  return b64url_encode(json::serialize(o));
}

// ---- fixture ----------------------------------------------------------------------

class KeyRingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "berth-iam-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    dir_ = root_ / "keys";
    auto ring = KeyRing::open(dir_);
    ASSERT_TRUE(ring.ok()) << ring.error().message;
    ring_ = std::move(ring).value();
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  static TokenClaims claims() {
    TokenClaims c;
    c.issuer = kIssuer;
    c.subject = "alice";
    c.audience = kService;
    c.issued_at = kNow;
    c.not_before = kNow;
    c.expires_at = kNow + 300;
    c.id = "jti-1";
    c.access = {{"repository", "proj/app", {"pull", "push"}}, {"registry", "catalog", {"*"}}};
    return c;
  }

  base::Result<TokenClaims> verify(const std::string& token, std::int64_t now = kNow) const {
    return ring_->verify(token, kService, kIssuer, now);
  }

  // The reason a token was refused ("" if it was accepted).
  std::string refusal(const std::string& token, std::int64_t now = kNow) const {
    const auto result = verify(token, now);
    if (result.ok()) return "";
    EXPECT_EQ(result.error().code, Errc::invalid_argument);
    return result.error().message;
  }

  static json::object claims_json() {
    return json::object{{"iss", kIssuer}, {"sub", "alice"}, {"aud", kService}, {"exp", kNow + 300},
                        {"nbf", kNow},    {"iat", kNow},    {"jti", "jti-2"},  {"access", json::array{}}};
  }

  // Signs `input` ("<header>.<payload>", already encoded) with the ring's current key
  // file, independently of KeyRing::sign.
  std::string forge_raw(const std::string& input) const {
    const std::string kid = ring_->current_key_id();
    std::optional<fs::path> file;
    for (const auto& f : key_files()) {
      if (f.filename().string().find(kid) != std::string::npos) file = f;
    }
    EXPECT_TRUE(file.has_value());
    if (!file) return "";
    FILE* fp = std::fopen(file->c_str(), "r");
    EVP_PKEY* pkey = fp ? PEM_read_PrivateKey(fp, nullptr, nullptr, nullptr) : nullptr;
    if (fp) std::fclose(fp);
    EXPECT_NE(pkey, nullptr);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    std::size_t len = 0;
    const auto* data = reinterpret_cast<const unsigned char*>(input.data());
    EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, pkey);
    EVP_DigestSign(ctx, nullptr, &len, data, input.size());
    std::vector<unsigned char> der(len);
    EVP_DigestSign(ctx, der.data(), &len, data, input.size());
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pkey);
    const unsigned char* p = der.data();
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len));
    EXPECT_NE(sig, nullptr);
    std::string raw(64, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(raw.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
    ECDSA_SIG_free(sig);
    return input + "." + b64url_encode(raw);
  }

  std::string forge(const json::object& payload) const {
    const json::object header{{"typ", "JWT"}, {"alg", "ES256"}, {"kid", ring_->current_key_id()}};
    return forge_raw(encode_json(header) + "." + encode_json(payload));
  }

  std::vector<fs::path> key_files() const {
    std::vector<fs::path> out;
    for (const auto& entry : fs::directory_iterator(dir_)) out.push_back(entry.path());
    return out;
  }

  fs::path root_, dir_;
  std::unique_ptr<KeyRing> ring_;
};

TEST_F(KeyRingTest, RoundTrip) {
  const std::string token = ring_->sign(claims());
  const auto verified = verify(token);
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  const TokenClaims& c = verified.value();
  EXPECT_EQ(c.issuer, kIssuer);
  EXPECT_EQ(c.subject, "alice");
  EXPECT_EQ(c.audience, kService);
  EXPECT_EQ(c.issued_at, kNow);
  EXPECT_EQ(c.not_before, kNow);
  EXPECT_EQ(c.expires_at, kNow + 300);
  EXPECT_EQ(c.id, "jti-1");
  EXPECT_EQ(c.access, claims().access);
}

TEST_F(KeyRingTest, TokenIsCompactJwsWithEs256HeaderAndRawSignature) {
  const std::string token = ring_->sign(claims());
  EXPECT_EQ(token.find('='), std::string::npos);  // base64url without padding
  EXPECT_EQ(token.find('+'), std::string::npos);
  EXPECT_EQ(token.find('/'), std::string::npos);
  const Parts parts = split(token);
  const json::object header = decode_json(parts.header);
  EXPECT_EQ(str(header.at("alg")), "ES256");
  EXPECT_EQ(str(header.at("typ")), "JWT");
  EXPECT_EQ(str(header.at("kid")), ring_->current_key_id());
  const json::object payload = decode_json(parts.payload);
  EXPECT_EQ(str(payload.at("iss")), kIssuer);
  EXPECT_EQ(str(payload.at("aud")), kService);
  EXPECT_EQ(payload.at("exp").to_number<std::int64_t>(), kNow + 300);
  EXPECT_EQ(str(payload.at("access").as_array().at(0).as_object().at("name")), "proj/app");
  EXPECT_EQ(b64url_decode(parts.signature).size(), 64u);  // R || S, not DER
}

TEST_F(KeyRingTest, SignatureVerifiesWithThePublicKeyAsRfc7518Says) {
  // An independent ES256 verifier: load the PEM, rebuild DER from R || S, verify.
  const std::string token = ring_->sign(claims());
  const Parts parts = split(token);
  const std::string raw = b64url_decode(parts.signature);
  ASSERT_EQ(raw.size(), 64u);

  const auto files = key_files();
  ASSERT_EQ(files.size(), 1u);
  FILE* f = std::fopen(files[0].c_str(), "r");
  ASSERT_NE(f, nullptr);
  EVP_PKEY* pkey = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  ASSERT_NE(pkey, nullptr);

  ECDSA_SIG* sig = ECDSA_SIG_new();
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  ECDSA_SIG_set0(sig, BN_bin2bn(bytes, 32, nullptr), BN_bin2bn(bytes + 32, 32, nullptr));
  unsigned char* der = nullptr;
  const int der_len = i2d_ECDSA_SIG(sig, &der);
  const std::string input = parts.header + "." + parts.payload;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ASSERT_EQ(EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, pkey), 1);
  EXPECT_EQ(EVP_DigestVerify(ctx, der, static_cast<std::size_t>(der_len),
                             reinterpret_cast<const unsigned char*>(input.data()), input.size()),
            1);
  EVP_MD_CTX_free(ctx);
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  EVP_PKEY_free(pkey);
}

TEST_F(KeyRingTest, TamperedPayloadIsRefused) {
  const Parts parts = split(ring_->sign(claims()));
  json::object payload = decode_json(parts.payload);
  payload["access"] = json::array{json::object{
      {"type", "repository"}, {"name", "proj/app"}, {"actions", json::array{"pull", "push", "delete"}}}};
  const std::string forged = parts.header + "." + encode_json(payload) + "." + parts.signature;
  EXPECT_EQ(refusal(forged), "token signature does not verify");

  // Even one flipped bit of the signature itself.
  std::string sig = b64url_decode(parts.signature);
  sig[10] = static_cast<char>(sig[10] ^ 1);
  EXPECT_EQ(refusal(parts.header + "." + parts.payload + "." + b64url_encode(sig)),
            "token signature does not verify");
}

TEST_F(KeyRingTest, SignatureFromAnotherKeyIsRefused) {
  // Another ring whose key we relabel with our kid: the signature must not verify.
  auto other = KeyRing::open(root_ / "other-keys");
  ASSERT_TRUE(other.ok());
  const Parts theirs = split(other.value()->sign(claims()));
  json::object header = decode_json(theirs.header);
  header["kid"] = ring_->current_key_id();
  const std::string forged = encode_json(header) + "." + theirs.payload + "." + theirs.signature;
  EXPECT_EQ(refusal(forged), "token signature does not verify");

  // Left as it is, its kid is simply unknown here.
  EXPECT_EQ(refusal(other.value()->sign(claims())), "token signed by an unknown key");
}

TEST_F(KeyRingTest, AlgNoneIsRefused) {
  const Parts parts = split(ring_->sign(claims()));
  json::object header = decode_json(parts.header);
  header["alg"] = "none";
  EXPECT_EQ(refusal(encode_json(header) + "." + parts.payload + "."),
            "token algorithm \"none\" is not accepted (only ES256)");
  header["alg"] = "None";
  EXPECT_NE(refusal(encode_json(header) + "." + parts.payload + "."), "");
  header.erase("alg");
  EXPECT_EQ(refusal(encode_json(header) + "." + parts.payload + "." + parts.signature),
            "malformed token: header has no alg");
}

TEST_F(KeyRingTest, Hs256WithThePublicKeyAsSecretIsRefused) {
  // The classic key-confusion forgery: HMAC the token with the (public) verification key.
  const auto files = key_files();
  ASSERT_EQ(files.size(), 1u);
  FILE* f = std::fopen(files[0].c_str(), "r");
  ASSERT_NE(f, nullptr);
  EVP_PKEY* pkey = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  ASSERT_NE(pkey, nullptr);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, pkey);
  char* pem = nullptr;
  const long pem_len = BIO_get_mem_data(bio, &pem);
  const std::string public_pem(pem, static_cast<std::size_t>(pem_len));
  BIO_free(bio);
  EVP_PKEY_free(pkey);

  const Parts parts = split(ring_->sign(claims()));
  json::object header = decode_json(parts.header);
  header["alg"] = "HS256";
  const std::string input = encode_json(header) + "." + parts.payload;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), public_pem.data(), static_cast<int>(public_pem.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &mac_len);
  const std::string forged = input + "." + b64url_encode(std::string(reinterpret_cast<char*>(mac), mac_len));
  EXPECT_EQ(refusal(forged), "token algorithm \"HS256\" is not accepted (only ES256)");

  for (const char* alg : {"ES384", "RS256", "es256", "PS256"}) {
    header["alg"] = alg;
    EXPECT_EQ(refusal(encode_json(header) + "." + parts.payload + "." + parts.signature),
              std::string("token algorithm \"") + alg + "\" is not accepted (only ES256)");
  }
}

TEST_F(KeyRingTest, SignatureHasExactlyOneEncoding) {
  // 64 bytes take 86 base64url characters whose last 4 bits are unused. Setting one of
  // them leaves the decoded bytes unchanged; a strict decoder must still refuse it, or the
  // same token has several spellings.
  const Parts parts = split(ring_->sign(claims()));
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string sig = parts.signature;
  ASSERT_EQ(sig.size(), 86u);
  sig.back() = alphabet[alphabet.find(sig.back()) ^ 1];
  EXPECT_EQ(b64url_decode(sig), b64url_decode(parts.signature));
  EXPECT_EQ(refusal(parts.header + "." + parts.payload + "." + sig),
            "malformed token: signature is not base64url");
}

TEST_F(KeyRingTest, CritHeaderIsRefused) {
  const Parts parts = split(ring_->sign(claims()));
  json::object header = decode_json(parts.header);
  header["crit"] = json::array{"exp"};
  EXPECT_EQ(refusal(encode_json(header) + "." + parts.payload + "." + parts.signature),
            "token header names critical extensions");
}

TEST_F(KeyRingTest, WrongAudienceIsRefused) {
  const std::string token = ring_->sign(claims());
  const auto result = ring_->verify(token, "other.example.com", kIssuer, kNow);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "token audience does not match");
}

TEST_F(KeyRingTest, AudienceMayBeAnArrayHoldingIt) {
  json::object payload = claims_json();
  payload["aud"] = json::array{"other.example.com", kService};
  EXPECT_EQ(refusal(forge(payload)), "");
  payload["aud"] = json::array{"other.example.com", "third.example.com"};
  EXPECT_EQ(refusal(forge(payload)), "token audience does not match");
  payload["aud"] = json::array{};
  EXPECT_EQ(refusal(forge(payload)), "token audience does not match");
  payload["aud"] = 5;
  EXPECT_EQ(refusal(forge(payload)), "token audience does not match");
  payload.erase("aud");
  EXPECT_EQ(refusal(forge(payload)), "token audience does not match");
}

TEST_F(KeyRingTest, ForgedHelperProducesTokensTheRingAccepts) {
  // Guards the tests below: a refusal there is about the claim, not the helper.
  EXPECT_EQ(refusal(forge(claims_json())), "");
}

TEST_F(KeyRingTest, SignedButMalformedClaimsAreRefused) {
  json::object header{{"typ", "JWT"}, {"alg", "ES256"}, {"kid", ring_->current_key_id()}};
  EXPECT_EQ(refusal(forge_raw(encode_json(header) + "." + b64url_encode("{broken"))),
            "malformed token: claims are not a JSON object");
  EXPECT_EQ(refusal(forge_raw(encode_json(header) + "." + b64url_encode("\"a string\""))),
            "malformed token: claims are not a JSON object");
  EXPECT_EQ(refusal(forge_raw(encode_json(header) + ".$$$")), "malformed token: claims are not base64url");

  json::object payload = claims_json();
  payload.erase("exp");
  EXPECT_EQ(refusal(forge(payload)), "token has no valid expiry (exp)");
  payload["exp"] = "tomorrow";
  EXPECT_EQ(refusal(forge(payload)), "token has no valid expiry (exp)");
  payload["exp"] = 1.5e300;
  EXPECT_EQ(refusal(forge(payload)), "token has no valid expiry (exp)");
  payload["exp"] = static_cast<double>(kNow + 300);  // an integral double is a fine NumericDate
  EXPECT_EQ(refusal(forge(payload)), "");

  payload = claims_json();
  payload.erase("nbf");  // optional
  EXPECT_EQ(refusal(forge(payload)), "");
  payload["nbf"] = "now";
  EXPECT_EQ(refusal(forge(payload)), "malformed token: nbf is not a number");

  payload = claims_json();
  payload["iss"] = 7;
  EXPECT_EQ(refusal(forge(payload)), "token issuer does not match");

  payload = claims_json();
  payload["sub"] = json::array{};
  EXPECT_EQ(refusal(forge(payload)), "malformed token: sub is not a string");

  payload = claims_json();
  payload["access"] = json::array{json::object{{"type", "repository"}, {"name", "p/a"}, {"actions", "pull"}}};
  EXPECT_EQ(refusal(forge(payload)), "malformed token: access is not a list of {type, name, actions}");
}

TEST_F(KeyRingTest, WrongIssuerIsRefused) {
  const std::string token = ring_->sign(claims());
  const auto result = ring_->verify(token, kService, "someone-else", kNow);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "token issuer does not match");
}

TEST_F(KeyRingTest, ExpiredTokenIsRefusedAfterTheLeeway) {
  const std::string token = ring_->sign(claims());  // exp = kNow + 300
  EXPECT_EQ(refusal(token, kNow + 300), "");        // within 30 s leeway
  EXPECT_EQ(refusal(token, kNow + 329), "");
  EXPECT_EQ(refusal(token, kNow + 330), "token has expired");
  EXPECT_EQ(refusal(token, kNow + 100000), "token has expired");
}

TEST_F(KeyRingTest, NotYetValidTokenIsRefusedBeforeTheLeeway) {
  TokenClaims c = claims();
  c.not_before = kNow + 100;
  c.expires_at = kNow + 1000;
  const std::string token = ring_->sign(c);
  EXPECT_EQ(refusal(token, kNow), "token is not valid yet");
  EXPECT_EQ(refusal(token, kNow + 69), "token is not valid yet");
  EXPECT_EQ(refusal(token, kNow + 70), "");  // nbf - 30 s
  EXPECT_EQ(refusal(token, kNow + 100), "");
}

TEST_F(KeyRingTest, MalformedTokensAreRefusedWithDistinctReasons) {
  const Parts parts = split(ring_->sign(claims()));
  EXPECT_EQ(refusal(""), "malformed token: not three dot-separated parts");
  EXPECT_EQ(refusal("abc"), "malformed token: not three dot-separated parts");
  EXPECT_EQ(refusal(parts.header + "." + parts.payload), "malformed token: not three dot-separated parts");
  EXPECT_EQ(refusal(parts.header + "." + parts.payload + "." + parts.signature + ".x"),
            "malformed token: not three dot-separated parts");
  EXPECT_EQ(refusal("!!!." + parts.payload + "." + parts.signature),
            "malformed token: header is not base64url");
  EXPECT_EQ(refusal(parts.header + "=." + parts.payload + "." + parts.signature),
            "malformed token: header is not base64url");
  EXPECT_EQ(refusal(b64url_encode("{not json") + "." + parts.payload + "." + parts.signature),
            "malformed token: header is not a JSON object");
  EXPECT_EQ(refusal(b64url_encode("[1,2]") + "." + parts.payload + "." + parts.signature),
            "malformed token: header is not a JSON object");
  EXPECT_EQ(refusal(parts.header + "." + parts.payload + ".***"),
            "malformed token: signature is not base64url");
  EXPECT_EQ(refusal(parts.header + "." + parts.payload + "." + b64url_encode("short")),
            "token signature does not verify");

  json::object header = decode_json(parts.header);
  header.erase("kid");
  EXPECT_EQ(refusal(encode_json(header) + "." + parts.payload + "." + parts.signature),
            "malformed token: header has no kid");
  header["kid"] = "0000000000000000";
  EXPECT_EQ(refusal(encode_json(header) + "." + parts.payload + "." + parts.signature),
            "token signed by an unknown key");
}

TEST_F(KeyRingTest, TokensSignedBeforeARotationStillVerify) {
  const std::string before = ring_->sign(claims());
  const std::string old_kid = ring_->current_key_id();
  const auto new_kid = ring_->rotate(1);
  ASSERT_TRUE(new_kid.ok()) << new_kid.error().message;
  EXPECT_NE(new_kid.value(), old_kid);
  EXPECT_EQ(ring_->current_key_id(), new_kid.value());

  EXPECT_EQ(refusal(before), "");
  const std::string after = ring_->sign(claims());
  EXPECT_EQ(str(decode_json(split(after).header).at("kid")), new_kid.value());
  EXPECT_EQ(refusal(after), "");
  EXPECT_EQ(key_files().size(), 2u);
}

TEST_F(KeyRingTest, DroppedKeysNoLongerVerify) {
  const std::string first = ring_->sign(claims());
  ASSERT_TRUE(ring_->rotate(1).ok());
  const std::string second = ring_->sign(claims());
  ASSERT_TRUE(ring_->rotate(0).ok());  // keeps no older key
  EXPECT_EQ(refusal(first), "token signed by an unknown key");
  EXPECT_EQ(refusal(second), "token signed by an unknown key");
  EXPECT_EQ(refusal(ring_->sign(claims())), "");
  EXPECT_EQ(key_files().size(), 1u);

  // And they stay gone across a restart.
  ring_.reset();
  auto reopened = KeyRing::open(dir_);
  ASSERT_TRUE(reopened.ok());
  ring_ = std::move(reopened).value();
  EXPECT_EQ(refusal(first), "token signed by an unknown key");
}

TEST_F(KeyRingTest, RotateKeepsTheNewestOlderKeys) {
  std::vector<std::string> tokens{ring_->sign(claims())};
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(ring_->rotate(2).ok());
    tokens.push_back(ring_->sign(claims()));
  }
  // Five keys were made; the newest signs and the two before it verify.
  EXPECT_NE(refusal(tokens[0]), "");
  EXPECT_NE(refusal(tokens[1]), "");
  EXPECT_EQ(refusal(tokens[2]), "");
  EXPECT_EQ(refusal(tokens[3]), "");
  EXPECT_EQ(refusal(tokens[4]), "");
  EXPECT_EQ(key_files().size(), 3u);
}

TEST_F(KeyRingTest, KeysPersistAcrossOpen) {
  const std::string before = ring_->sign(claims());
  ASSERT_TRUE(ring_->rotate(3).ok());
  const std::string signer = ring_->current_key_id();
  const std::string after = ring_->sign(claims());
  ring_.reset();

  auto reopened = KeyRing::open(dir_);
  ASSERT_TRUE(reopened.ok()) << reopened.error().message;
  ring_ = std::move(reopened).value();
  EXPECT_EQ(ring_->current_key_id(), signer);  // the newest still signs, whatever the mtimes
  EXPECT_EQ(refusal(before), "");
  EXPECT_EQ(refusal(after), "");
  EXPECT_EQ(key_files().size(), 2u);
}

TEST_F(KeyRingTest, CreationOrderDoesNotDependOnFileTimes) {
  ASSERT_TRUE(ring_->rotate(5).ok());
  const std::string newest = ring_->current_key_id();
  // Make the newest file look oldest, as a restore without times might.
  for (const auto& file : key_files()) {
    if (file.filename().string().find(newest) != std::string::npos) {
      fs::last_write_time(file, fs::file_time_type::clock::now() - std::chrono::hours(24 * 365));
    }
  }
  ring_.reset();
  auto reopened = KeyRing::open(dir_);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(reopened.value()->current_key_id(), newest);
}

TEST_F(KeyRingTest, FileModes) {
  EXPECT_EQ(fs::status(dir_).permissions() & fs::perms::all, fs::perms::owner_all);
  ASSERT_TRUE(ring_->rotate(1).ok());
  const auto files = key_files();
  ASSERT_EQ(files.size(), 2u);
  for (const auto& file : files) {
    EXPECT_TRUE(file.filename().string().starts_with("token-")) << file;
    EXPECT_EQ(file.extension(), ".pem");
    EXPECT_EQ(fs::status(file).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write)
        << file;
  }
}

TEST_F(KeyRingTest, OpenTightensALooseDirectory) {
  ring_.reset();
  fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                            fs::perms::others_read | fs::perms::others_exec);
  auto reopened = KeyRing::open(dir_);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(fs::status(dir_).permissions() & fs::perms::all, fs::perms::owner_all);
}

TEST_F(KeyRingTest, CorruptKeyFilesAreReported) {
  ring_.reset();
  const auto files = key_files();
  ASSERT_EQ(files.size(), 1u);
  {
    std::ofstream out(files[0], std::ios::trunc);
    out << "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n";
  }
  auto reopened = KeyRing::open(dir_);
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.error().code, Errc::corrupt);
}

TEST_F(KeyRingTest, AKeyFileWhoseNameDoesNotMatchItsKeyIsCorrupt) {
  ring_.reset();
  const auto files = key_files();
  ASSERT_EQ(files.size(), 1u);
  fs::rename(files[0], dir_ / "token-00000007-0123456789abcdef.pem");
  auto reopened = KeyRing::open(dir_);
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.error().code, Errc::corrupt);
}

TEST_F(KeyRingTest, LeftoverTempFilesAreIgnoredAndRemoved) {
  ring_.reset();
  const fs::path stale = dir_ / ".token-00000009-0123456789abcdef.pem.tmp";
  { std::ofstream(stale) << "half a key"; }
  auto reopened = KeyRing::open(dir_);
  ASSERT_TRUE(reopened.ok()) << reopened.error().message;
  EXPECT_FALSE(fs::exists(stale));
}

TEST_F(KeyRingTest, SignAndVerifyWhileRotating) {
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < 3; ++t) {
    workers.emplace_back([&] {
      while (!stop.load()) {
        if (!verify(ring_->sign(claims())).ok()) failures.fetch_add(1);
      }
    });
  }
  // keep covers every rotation here, so every token signed during the test must verify.
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(ring_->rotate(10).ok());
  stop.store(true);
  for (auto& w : workers) w.join();
  EXPECT_EQ(failures.load(), 0);
}

// ---- parse_scope ------------------------------------------------------------------

TEST(ParseScope, RepositoryScope) {
  const auto access = parse_scope("repository:proj/app:pull,push");
  ASSERT_TRUE(access.ok()) << access.error().message;
  EXPECT_EQ(access.value(), (Access{"repository", "proj/app", {"pull", "push"}}));
}

TEST(ParseScope, CatalogAndWildcard) {
  const auto access = parse_scope("registry:catalog:*");
  ASSERT_TRUE(access.ok());
  EXPECT_EQ(access.value(), (Access{"registry", "catalog", {"*"}}));
}

TEST(ParseScope, ResourceClassIsDropped) {
  const auto access = parse_scope("repository(plugin):proj/app:pull");
  ASSERT_TRUE(access.ok());
  EXPECT_EQ(access.value(), (Access{"repository", "proj/app", {"pull"}}));
}

TEST(ParseScope, NameMayContainAHostWithAPort) {
  const auto access = parse_scope("repository:localhost:5000/proj/app:pull");
  ASSERT_TRUE(access.ok());
  EXPECT_EQ(access.value(), (Access{"repository", "localhost:5000/proj/app", {"pull"}}));
}

TEST(ParseScope, EmptyActionsInTheListAreSkipped) {
  const auto access = parse_scope("repository:proj/app:pull,,push,");
  ASSERT_TRUE(access.ok());
  EXPECT_EQ(access.value().actions, (std::vector<std::string>{"pull", "push"}));
}

TEST(ParseScope, MalformedScopes) {
  for (const char* scope :
       {"", "repository", "repository:proj/app", ":proj/app:pull", "repository::pull",
        "repository:proj/app:", "repository:proj/app:,", "repository(plugin:proj/app:pull"}) {
    const auto access = parse_scope(scope);
    EXPECT_FALSE(access.ok()) << scope;
    if (!access.ok()) {
      EXPECT_EQ(access.error().code, Errc::invalid_argument);
    }
  }
}

}  // namespace
}  // namespace berth::iam
