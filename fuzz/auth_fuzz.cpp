// Credentials: the Authorization header and Basic credentials (http/authorization.h), bearer
// tokens (iam::KeyRing::verify), token scopes (iam::parse_scope) and base64url (base/base64.h).
// Input: an Authorization header value; its scheme picks what reads the credentials:
//   "Basic <base64>"            Basic credentials
//   "Bearer <jws>"              a token, verified with the ring of fuzz/keys
//   "Claims [<header>\n]<json>" a harness-only scheme: the JSON is signed as a token's claims
//                               (with the header given, else a valid one) and verified, so that
//                               the claims parser is reached past the signature check
//   "Scope <scope>"             one scope of a token request
//   anything else               base64url of the credentials
// Checks: decoded base64 encodes back to its input (both decoders are strict); a verified
// token meets every rule token.h lists; a parsed scope prints back to one that parses the same.
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <memory>
#include <vector>

#include "base/base64.h"
#include "fuzz_support.h"
#include "http/authorization.h"
#include "iam/token.h"

#ifndef BERTH_FUZZ_KEYS
#error "BERTH_FUZZ_KEYS must name the directory of the fuzz signing key"
#endif

namespace {

using namespace berth;

constexpr std::string_view kAudience = "berth-registry";
constexpr std::string_view kIssuer = "berth-token-issuer";
constexpr std::int64_t kNow = 1'800'000'000;  // fixed, so that a saved input replays the same

struct Signer {
  std::unique_ptr<iam::KeyRing> ring;
  EVP_PKEY* key = nullptr;  // the same key, to sign what the harness makes up
};

const Signer& signer() {
  static const Signer s = [] {
    Signer out;
    const auto dir = fuzz::scratch_dir() / "keys";
    std::filesystem::create_directories(dir);
    for (const auto& file : std::filesystem::directory_iterator(BERTH_FUZZ_KEYS)) {
      std::filesystem::copy_file(file.path(), dir / file.path().filename());
      std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(file.path().c_str(), "r"), &BIO_free);
      if (bio) out.key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
    }
    auto ring = iam::KeyRing::open(dir);
    if (!ring || out.key == nullptr) {
      std::fprintf(stderr, "auth_fuzz: cannot load the key ring of %s\n", BERTH_FUZZ_KEYS);
      std::abort();
    }
    out.ring = std::move(*ring);
    return out;
  }();
  return s;
}

// ES256 over `input` as JWS wants it: R || S, 32 bytes each.
std::string es256(std::string_view input) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  std::size_t len = 0;
  const auto* bytes = reinterpret_cast<const unsigned char*>(input.data());
  FUZZ_CHECK(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, signer().key) == 1);
  FUZZ_CHECK(EVP_DigestSign(ctx.get(), nullptr, &len, bytes, input.size()) == 1);
  std::vector<unsigned char> der(len);
  FUZZ_CHECK(EVP_DigestSign(ctx.get(), der.data(), &len, bytes, input.size()) == 1);
  const unsigned char* p = der.data();
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(
      d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len)), &ECDSA_SIG_free);
  FUZZ_CHECK(sig != nullptr);
  std::string raw(64, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  FUZZ_CHECK(BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, 32) == 32);
  FUZZ_CHECK(BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + 32, 32) == 32);
  return raw;
}

void check_verified(const iam::TokenClaims& claims) {
  FUZZ_CHECK(claims.issuer == kIssuer);
  FUZZ_CHECK(claims.audience == kAudience);
  FUZZ_CHECK(kNow < claims.expires_at + 30);
  FUZZ_CHECK(claims.not_before <= kNow + 30);
}

void verify(std::string_view token) {
  auto claims = signer().ring->verify(token, kAudience, kIssuer, kNow);
  if (claims) {
    check_verified(*claims);
  } else {
    FUZZ_CHECK(claims.error().code == base::Errc::invalid_argument && !claims.error().message.empty());
  }
}

void sign_and_verify(std::string_view text) {
  auto [header, payload] = fuzz::split_once(text, '\n');
  std::string header_json;
  if (payload.empty()) {
    payload = header;
    header_json = boost::json::serialize(
        boost::json::object{{"typ", "JWT"}, {"alg", "ES256"}, {"kid", signer().ring->current_key_id()}});
  } else {
    header_json = std::string(header);
  }
  std::string token = base::base64url_encode(header_json) + "." + base::base64url_encode(payload);
  token += "." + base::base64url_encode(es256(token));
  verify(token);
}

void check_basic(std::string_view credentials) {
  auto basic = http::decode_basic_credentials(credentials);
  if (!basic) return;
  FUZZ_CHECK(basic->user().find(':') == std::string::npos);
  FUZZ_CHECK(base::base64_encode(std::string(basic->user()) + ":" + std::string(basic->password())) ==
             credentials);
}

void check_scope(std::string_view text) {
  auto scope = iam::parse_scope(text);
  if (!scope) return;
  FUZZ_CHECK(!scope->type.empty() && !scope->name.empty() && !scope->actions.empty());
  std::string printed = scope->type + ":" + scope->name + ":";
  for (std::size_t i = 0; i < scope->actions.size(); ++i) {
    FUZZ_CHECK(!scope->actions[i].empty() && scope->actions[i].find(',') == std::string::npos);
    printed += (i == 0 ? "" : ",") + scope->actions[i];
  }
  auto again = iam::parse_scope(printed);
  FUZZ_CHECK(again && *again == *scope);
}

void check_base64url(std::string_view text) {
  if (auto decoded = base::base64url_decode(text)) FUZZ_CHECK(base::base64url_encode(*decoded) == text);
  if (auto decoded = base::base64_decode(text)) FUZZ_CHECK(base::base64_encode(*decoded) == text);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::quiet_logs();
  (void)signer();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const http::Authorization authorization = http::split_authorization(fuzz::as_text(data, size));
  if (http::has_scheme(authorization, "Basic")) {
    check_basic(authorization.credentials);
  } else if (http::has_scheme(authorization, "Bearer")) {
    verify(authorization.credentials);
  } else if (http::has_scheme(authorization, "Claims")) {
    sign_and_verify(authorization.credentials);
  } else if (http::has_scheme(authorization, "Scope")) {
    check_scope(authorization.credentials);
  } else {
    check_base64url(authorization.credentials);
  }
  return 0;
}
