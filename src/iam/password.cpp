#include "iam/password.h"

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <optional>
#include <semaphore>
#include <stdexcept>
#include <thread>

namespace berth::iam {
namespace {

// OWASP's password storage settings for argon2id list five of equal strength that trade
// memory for passes (46 MiB t=1 ... 19 MiB t=2 ... 7 MiB t=5). A server runs one check
// per core at a time, so the one with the least memory: 7 MiB, 5 passes, one lane; the
// CPU time is that of 19 MiB with 2 passes. 16-byte salt, 32-byte tag.
constexpr std::uint32_t kTimeCost = 5;
constexpr std::uint32_t kMemoryKiB = 7 * 1024;
constexpr std::uint32_t kLanes = 1;
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;

// A stored hash names its own cost. These bounds stop a corrupt or planted hash from
// making one login allocate gigabytes or spin for minutes.
constexpr std::uint32_t kMaxMemoryKiB = 256 * 1024;
constexpr std::uint32_t kMaxTimeCost = 16;
constexpr std::uint32_t kMaxLanes = 16;

void fill_random(unsigned char* out, std::size_t n) {
  if (RAND_bytes(out, static_cast<int>(n)) != 1) throw std::runtime_error("RAND_bytes failed");
}

// The value of `key=` inside the parameter segment "m=...,t=...,p=..." of a PHC string.
std::optional<std::uint32_t> phc_param(std::string_view params, std::string_view key) {
  while (!params.empty()) {
    const auto comma = params.find(',');
    const auto item = params.substr(0, comma);
    if (item.size() > key.size() + 1 && item.substr(0, key.size()) == key && item[key.size()] == '=') {
      const auto digits = item.substr(key.size() + 1);
      std::uint32_t value = 0;
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
      if (ec != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
      return value;
    }
    if (comma == std::string_view::npos) break;
    params.remove_prefix(comma + 1);
  }
  return std::nullopt;
}

// The argon2 variant a PHC string names, if its costs are within bounds.
std::optional<argon2_type> phc_variant(std::string_view phc) {
  argon2_type type;
  std::string_view rest;
  if (phc.starts_with("$argon2id$")) {
    type = Argon2_id;
    rest = phc.substr(10);
  } else if (phc.starts_with("$argon2i$")) {
    type = Argon2_i;
    rest = phc.substr(9);
  } else if (phc.starts_with("$argon2d$")) {
    type = Argon2_d;
    rest = phc.substr(9);
  } else {
    return std::nullopt;
  }
  if (rest.starts_with("v=")) {
    const auto dollar = rest.find('$');
    if (dollar == std::string_view::npos) return std::nullopt;
    rest.remove_prefix(dollar + 1);
  }
  const auto params = rest.substr(0, rest.find('$'));
  const auto m = phc_param(params, "m");
  const auto t = phc_param(params, "t");
  const auto p = phc_param(params, "p");
  if (!m || !t || !p || *m > kMaxMemoryKiB || *t > kMaxTimeCost || *p > kMaxLanes) return std::nullopt;
  return type;
}

bool is_upper(char c) {
  return c >= 'A' && c <= 'Z';
}
bool is_lower(char c) {
  return c >= 'a' && c <= 'z';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Length in characters (UTF-8 code points), as Harbor counts it; bytes of an invalid
// sequence count one each.
std::size_t utf8_length(std::string_view text) {
  std::size_t n = 0;
  for (const char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

// Each argon2 computation holds kMemoryKiB of memory for its whole run and keeps a core
// busy, so running more of them at once than there are cores only adds memory (a burst
// of logins would otherwise cost 7 MiB per blocking thread). Callers beyond that wait.
class Argon2Gate {
 public:
  Argon2Gate()
      : slots_(static_cast<std::ptrdiff_t>(std::clamp(std::thread::hardware_concurrency(), 1u, 4u))) {}
  void acquire() { slots_.acquire(); }
  void release() { slots_.release(); }

 private:
  std::counting_semaphore<4> slots_;
};

// Holds one of the gate's slots for its lifetime.
class Argon2Slot {
 public:
  Argon2Slot() { gate().acquire(); }
  ~Argon2Slot() { gate().release(); }
  Argon2Slot(const Argon2Slot&) = delete;
  Argon2Slot& operator=(const Argon2Slot&) = delete;

 private:
  static Argon2Gate& gate() {
    static Argon2Gate instance;
    return instance;
  }
};

}  // namespace

std::string hash_password(std::string_view password) {
  std::array<unsigned char, kSaltBytes> salt{};
  fill_random(salt.data(), salt.size());
  std::string encoded(argon2_encodedlen(kTimeCost, kMemoryKiB, kLanes, kSaltBytes, kHashBytes, Argon2_id),
                      '\0');
  Argon2Slot slot;
  const int rc = argon2id_hash_encoded(kTimeCost, kMemoryKiB, kLanes, password.data(), password.size(),
                                       salt.data(), salt.size(), kHashBytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) throw std::runtime_error(std::string("argon2id: ") + argon2_error_message(rc));
  encoded.resize(encoded.find('\0'));
  return encoded;
}

bool password_hash_outdated(std::string_view phc_hash) {
  constexpr std::string_view kPrefix = "$argon2id$v=19$";
  if (!phc_hash.starts_with(kPrefix)) return true;
  const auto rest = phc_hash.substr(kPrefix.size());
  const auto params = rest.substr(0, rest.find('$'));
  return phc_param(params, "m") != kMemoryKiB || phc_param(params, "t") != kTimeCost ||
         phc_param(params, "p") != kLanes;
}

bool verify_password(std::string_view password, std::string_view phc_hash) {
  const auto type = phc_variant(phc_hash);
  if (!type || phc_hash.find('\0') != std::string_view::npos) return false;
  const std::string encoded(phc_hash);  // argon2_verify needs a NUL-terminated string
  // argon2_verify recomputes the tag and compares it in constant time.
  Argon2Slot slot;
  return argon2_verify(encoded.c_str(), password.data(), password.size(), *type) == ARGON2_OK;
}

base::Status check_password_policy(std::string_view password, const PasswordPolicy& policy) {
  const std::size_t length = utf8_length(password);
  if (length < policy.min_length) {
    return base::make_error(
        base::Errc::invalid_argument,
        "password must be at least " + std::to_string(policy.min_length) + " characters long");
  }
  if (length > policy.max_length) {
    return base::make_error(
        base::Errc::invalid_argument,
        "password must be at most " + std::to_string(policy.max_length) + " characters long");
  }
  if (policy.require_classes) {
    bool upper = false, lower = false, digit = false;
    for (const char c : password) {
      upper = upper || is_upper(c);
      lower = lower || is_lower(c);
      digit = digit || is_digit(c);
    }
    if (!upper) {
      return base::make_error(base::Errc::invalid_argument,
                              "password must contain at least one upper-case letter");
    }
    if (!lower) {
      return base::make_error(base::Errc::invalid_argument,
                              "password must contain at least one lower-case letter");
    }
    if (!digit)
      return base::make_error(base::Errc::invalid_argument, "password must contain at least one digit");
  }
  return base::ok_status();
}

std::string generate_secret(std::size_t length) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  // Bytes below 248 = 4 * 62 map evenly onto the alphabet; the rest are drawn again.
  constexpr unsigned kLimit = 256 - 256 % kAlphabet.size();
  const PasswordPolicy policy;
  if (length < policy.min_length || length > policy.max_length) {
    throw std::invalid_argument("generate_secret: length outside the password policy");
  }
  std::array<unsigned char, 64> pool{};
  std::size_t used = pool.size();
  // Drawing whole strings again until one satisfies the policy keeps the result uniform
  // over the strings that do.
  for (;;) {
    std::string secret;
    secret.reserve(length);
    while (secret.size() < length) {
      if (used == pool.size()) {
        fill_random(pool.data(), pool.size());
        used = 0;
      }
      const unsigned byte = pool[used++];
      if (byte < kLimit) secret.push_back(kAlphabet[byte % kAlphabet.size()]);
    }
    OPENSSL_cleanse(pool.data(), pool.size());
    used = pool.size();
    if (check_password_policy(secret, policy).ok()) return secret;
  }
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  // With different lengths, compare `a` with itself so the time still depends on the
  // lengths only, never on where the contents differ.
  const bool same_length = a.size() == b.size();
  const std::string_view other = same_length ? b : a;
  const int diff = CRYPTO_memcmp(a.data(), other.data(), a.size());
  return same_length && diff == 0;
}

}  // namespace berth::iam
