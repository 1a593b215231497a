// base::SecretBox: secrets kept at rest (credentials of other registries), sealed with
// AES-256-GCM under a key of the data directory. The key file is created on first use (32
// random bytes, mode 0600) and goes with the data directory's keys into backups; without it the
// sealed values cannot be opened.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.h"

namespace berth::base {

class SecretBox {
 public:
  // Reads the key at `path`, creating it (and its directory) when absent. Errors: io_error,
  // corrupt (a key file of the wrong size).
  static Result<SecretBox> open(const std::filesystem::path& path);
  // A box with a given 32-byte key (tests). Errors: invalid_argument.
  static Result<SecretBox> with_key(std::string_view key);

  // "v1:" + base64(nonce | ciphertext | tag); "" for "".
  std::string seal(std::string_view plain) const;
  // The plain text of a sealed value. Errors: corrupt (not sealed by this key, or altered).
  Result<std::string> unseal(std::string_view sealed) const;

 private:
  explicit SecretBox(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

}  // namespace berth::base
