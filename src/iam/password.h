// Passwords and secrets: argon2id hashing (PHC strings), the password policy, random
// secrets, and constant-time comparison.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.h"

namespace berth::iam {

// Hashes with argon2id (m=7 MiB, t=5, p=1: OWASP's setting of the least memory) and a
// random 16-byte salt. Returns the PHC string ("$argon2id$v=19$m=...,t=...,p=...$salt$hash").
std::string hash_password(std::string_view password);

// True unless `phc_hash` is argon2id version 19 with the costs hash_password uses now: a
// hash worth replacing by hash_password of the same password once it is known.
bool password_hash_outdated(std::string_view phc_hash);

// True if `password` matches the PHC string (any argon2 variant and parameters the
// string names). False for a malformed hash, and for one whose cost exceeds m=256 MiB,
// t=16 or p=16 (a corrupt or planted hash must not exhaust the server). Takes time
// independent of where a mismatch is.
bool verify_password(std::string_view password, std::string_view phc_hash);

struct PasswordPolicy {
  std::size_t min_length = 8;
  std::size_t max_length = 128;
  // Harbor's rule: at least one upper-case letter, one lower-case letter and one digit.
  bool require_classes = true;
};

// invalid_argument, with a message that says which rule failed, unless `password`
// satisfies the policy.
base::Status check_password_policy(std::string_view password, const PasswordPolicy& policy = {});

// A random secret of `length` characters from [A-Za-z0-9], uniform over the strings that
// satisfy the default policy (for robot secrets and generated admin passwords).
// REQUIRES: 8 <= length <= 128 (std::invalid_argument otherwise).
std::string generate_secret(std::size_t length = 32);

// Compares in time that depends only on the lengths.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace berth::iam
