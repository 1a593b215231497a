// Content digests as the OCI image spec defines them ("algorithm:encoded"), and a
// streaming hasher for the algorithms Berth supports (sha256, sha512).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"

namespace berth::oci {

enum class DigestAlgorithm { sha256, sha512 };

std::string_view algorithm_name(DigestAlgorithm algorithm);

class Digest {
 public:
  Digest() = default;
  // Parses "sha256:<64 lowercase hex>" or "sha512:<128 lowercase hex>".
  // Errors: Errc::unsupported for a well-formed digest of another algorithm
  // (e.g. "sha384:..." or "blake3:..."), Errc::invalid_argument for anything malformed.
  static base::Result<Digest> parse(std::string_view text);

  DigestAlgorithm algorithm() const { return algorithm_; }
  const std::string& hex() const { return hex_; }
  std::string str() const;  // "sha256:abcd..."

  friend bool operator==(const Digest&, const Digest&) = default;
  friend auto operator<=>(const Digest&, const Digest&) = default;

 private:
  DigestAlgorithm algorithm_ = DigestAlgorithm::sha256;
  std::string hex_;
};

// Incremental hash of a byte stream. Not thread-safe; cheap to move.
class Hasher {
 public:
  explicit Hasher(DigestAlgorithm algorithm);
  ~Hasher();
  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  void update(const void* data, std::size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  // Returns the digest of everything fed so far. The hasher stays usable.
  Digest digest() const;
  DigestAlgorithm algorithm() const { return algorithm_; }

 private:
  DigestAlgorithm algorithm_;
  struct State;
  std::unique_ptr<State> state_;
};

// Digest of a whole buffer.
Digest digest_of(std::string_view data, DigestAlgorithm algorithm = DigestAlgorithm::sha256);

}  // namespace berth::oci
