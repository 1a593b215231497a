#include "oci/digest.h"

#include <openssl/evp.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <new>

namespace berth::oci {
namespace {

using base::Errc;

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool is_lower_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

// algorithm ::= component ([+._-] component)*, component ::= [a-z0-9]+
bool valid_algorithm(std::string_view text) {
  bool after_separator = true;  // the first character must start a component
  for (char c : text) {
    if (is_lower_alnum(c)) {
      after_separator = false;
    } else if (c == '+' || c == '.' || c == '_' || c == '-') {
      if (after_separator) return false;
      after_separator = true;
    } else {
      return false;
    }
  }
  return !after_separator;  // also rejects the empty algorithm
}

// encoded ::= [a-zA-Z0-9=_-]+
bool valid_encoded(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '=' ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool valid_hex(std::string_view text, std::size_t length) {
  if (text.size() != length) return false;
  for (char c : text) {
    if (!is_lower_hex(c)) return false;
  }
  return true;
}

std::size_t hex_length(DigestAlgorithm algorithm) {
  return algorithm == DigestAlgorithm::sha256 ? 64 : 128;
}

// A failing digest primitive for SHA-2 means the crypto library itself is broken (or out of
// memory); no caller could recover, and silently producing a wrong digest would be worse.
[[noreturn]] void crypto_failure(const char* what) {
  std::fprintf(stderr, "berth: OpenSSL %s failed\n", what);
  std::abort();
}

const EVP_MD* fetch_md(const char* name, const EVP_MD* fallback) {
  const EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  return md != nullptr ? md : fallback;
}

// OpenSSL 3 resolves EVP_sha256() through a provider lookup on every init; fetching the
// implementation once and keeping it for the life of the process avoids that per hash.
const EVP_MD* message_digest(DigestAlgorithm algorithm) {
  static const EVP_MD* const sha256 = fetch_md("SHA2-256", EVP_sha256());
  static const EVP_MD* const sha512 = fetch_md("SHA2-512", EVP_sha512());
  return algorithm == DigestAlgorithm::sha256 ? sha256 : sha512;
}

std::string to_hex(const unsigned char* bytes, unsigned int size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(static_cast<std::size_t>(size) * 2, '\0');
  for (unsigned int i = 0; i < size; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0x0f];
  }
  return out;
}

// Digest has no public way to set its fields, and parse() re-checks the length and
// alphabet, which a fresh hash output always satisfies.
Digest digest_from_bytes(DigestAlgorithm algorithm, const unsigned char* bytes, unsigned int size) {
  std::string text(algorithm_name(algorithm));
  text += ':';
  text += to_hex(bytes, size);
  return Digest::parse(text).value();
}

struct ContextDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using ContextPtr = std::unique_ptr<EVP_MD_CTX, ContextDeleter>;

ContextPtr new_context() {
  ContextPtr ctx(EVP_MD_CTX_new());
  if (!ctx) throw std::bad_alloc();
  return ctx;
}

}  // namespace

std::string_view algorithm_name(DigestAlgorithm algorithm) {
  switch (algorithm) {
    case DigestAlgorithm::sha256:
      return "sha256";
    case DigestAlgorithm::sha512:
      return "sha512";
  }
  return "unknown";
}

base::Result<Digest> Digest::parse(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) {
    return base::make_error(Errc::invalid_argument, "digest has no algorithm prefix");
  }
  const std::string_view algorithm = text.substr(0, colon);
  const std::string_view encoded = text.substr(colon + 1);
  if (!valid_algorithm(algorithm) || !valid_encoded(encoded)) {
    return base::make_error(Errc::invalid_argument, "digest is malformed");
  }

  Digest digest;
  if (algorithm == "sha256") {
    digest.algorithm_ = DigestAlgorithm::sha256;
  } else if (algorithm == "sha512") {
    digest.algorithm_ = DigestAlgorithm::sha512;
  } else {
    // The name comes from the client; bound what is echoed back.
    constexpr std::size_t kMaxEchoed = 32;
    return base::make_error(Errc::unsupported, "digest algorithm " +
                                                   std::string(algorithm.substr(0, kMaxEchoed)) +
                                                   " is not supported (only sha256 and sha512 are)");
  }
  if (!valid_hex(encoded, hex_length(digest.algorithm_))) {
    return base::make_error(Errc::invalid_argument, std::string(algorithm) + " digest must be " +
                                                        std::to_string(hex_length(digest.algorithm_)) +
                                                        " lowercase hex characters");
  }
  digest.hex_ = encoded;
  return digest;
}

std::string Digest::str() const {
  std::string out(algorithm_name(algorithm_));
  out += ':';
  out += hex_;
  return out;
}

struct Hasher::State {
  ContextPtr ctx;
};

Hasher::Hasher(DigestAlgorithm algorithm)
    : algorithm_(algorithm), state_(std::make_unique<State>(State{new_context()})) {
  if (EVP_DigestInit_ex(state_->ctx.get(), message_digest(algorithm), nullptr) != 1) {
    crypto_failure("EVP_DigestInit_ex");
  }
}

Hasher::~Hasher() = default;
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;

void Hasher::update(const void* data, std::size_t size) {
  if (size == 0) return;
  if (EVP_DigestUpdate(state_->ctx.get(), data, size) != 1) crypto_failure("EVP_DigestUpdate");
}

Digest Hasher::digest() const {
  // Finalizing consumes a context, so finalize a copy and keep the running state.
  ContextPtr copy = new_context();
  if (EVP_MD_CTX_copy_ex(copy.get(), state_->ctx.get()) != 1) crypto_failure("EVP_MD_CTX_copy_ex");
  std::array<unsigned char, EVP_MAX_MD_SIZE> bytes{};
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(copy.get(), bytes.data(), &size) != 1) crypto_failure("EVP_DigestFinal_ex");
  return digest_from_bytes(algorithm_, bytes.data(), size);
}

Digest digest_of(std::string_view data, DigestAlgorithm algorithm) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> bytes{};
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), bytes.data(), &size, message_digest(algorithm), nullptr) != 1) {
    crypto_failure("EVP_Digest");
  }
  return digest_from_bytes(algorithm, bytes.data(), size);
}

}  // namespace berth::oci
