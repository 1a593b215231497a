// oci/cosign.h: the public keys a project trusts (PEM, set through the API) and the
// simple-signing payloads and signatures read from pushed signature layers.
// Input: a first byte 0x01 makes the rest a PEM text of keys; otherwise the input is
// "payload\0signature": checked against the digest named below and the keys of fuzz/keys/.
// Checks: parsed keys are at least one and at most one per PEM block; a payload names at most one
// digest; a signature that verifies covers exactly its payload, not one a byte longer or shorter.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "fuzz_support.h"
#include "oci/cosign.h"

namespace {

using namespace berth;
namespace cosign = oci::cosign;

constexpr std::string_view kDigest =
    "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

const cosign::PublicKeys& trusted_keys() {
  static const cosign::PublicKeys keys = [] {
    std::ifstream in(BERTH_FUZZ_KEYS "/cosign.pub");
    std::stringstream pem;
    pem << in.rdbuf();
    auto parsed = cosign::PublicKeys::parse(pem.str());
    if (!parsed || parsed->size() != 2) {
      std::fprintf(stderr, "cosign_fuzz: cannot read the two keys of %s/cosign.pub\n", BERTH_FUZZ_KEYS);
      std::abort();
    }
    return std::move(*parsed);
  }();
  return keys;
}

std::size_t count(std::string_view text, std::string_view what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string_view::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::quiet_logs();
  (void)trusted_keys();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input = fuzz::as_text(data, size);
  if (input.starts_with('\x01')) {
    input.remove_prefix(1);
    auto keys = cosign::PublicKeys::parse(input);
    if (!keys) {
      FUZZ_CHECK(keys.error().code == base::Errc::invalid_argument);
      return 0;
    }
    FUZZ_CHECK(keys->size() >= 1);
    FUZZ_CHECK(keys->size() <= count(input, "-----BEGIN PUBLIC KEY-----"));
    (void)keys->verify(input, input);
    return 0;
  }
  const auto [payload, signature] = fuzz::split_once(input, '\0');
  if (cosign::payload_names(payload, kDigest)) {
    FUZZ_CHECK(!cosign::payload_names(payload, std::string(kDigest) + "0"));
    FUZZ_CHECK(!cosign::payload_names(payload, kDigest.substr(0, kDigest.size() - 1)));
  }
  // The seeds hold real signatures by those keys; one that verifies covers exactly its payload.
  if (trusted_keys().verify(payload, signature)) {
    FUZZ_CHECK(!trusted_keys().verify(std::string(payload) + " ", signature));
    if (!payload.empty()) FUZZ_CHECK(!trusted_keys().verify(payload.substr(1), signature));
  }
  return 0;
}
