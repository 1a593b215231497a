#include <argon2.h>
#include <gtest/gtest.h>

#include <array>
#include <cctype>
#include <map>
#include <set>
#include <stdexcept>
#include <string>

#include "iam/password.h"

namespace berth::iam {
namespace {

using base::Errc;

TEST(PasswordHash, VerifiesTheRightPasswordOnly) {
  const std::string hash = hash_password("Harbor12345");
  EXPECT_TRUE(verify_password("Harbor12345", hash));
  EXPECT_FALSE(verify_password("Harbor12346", hash));
  EXPECT_FALSE(verify_password("harbor12345", hash));
  EXPECT_FALSE(verify_password("", hash));
  EXPECT_FALSE(verify_password("Harbor123456", hash));
}

TEST(PasswordHash, IsAnArgon2idPhcStringWithTheDocumentedCost) {
  const std::string hash = hash_password("Harbor12345");
  EXPECT_TRUE(hash.starts_with("$argon2id$v=19$m=7168,t=5,p=1$")) << hash;
  EXPECT_FALSE(password_hash_outdated(hash)) << hash;
}

// Hashes made before (19 MiB, t=2) or by other tools still verify, and are reported as
// worth replacing.
TEST(PasswordHash, OlderCostsVerifyAndAreOutdated) {
  const std::string password = "Harbor12345";
  const std::array<unsigned char, 16> salt{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  std::array<char, 128> encoded{};
  ASSERT_EQ(argon2id_hash_encoded(2, 19456, 1, password.data(), password.size(), salt.data(), salt.size(), 32,
                                  encoded.data(), encoded.size()),
            ARGON2_OK);
  const std::string old_hash(encoded.data());
  ASSERT_TRUE(old_hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$")) << old_hash;
  EXPECT_TRUE(verify_password(password, old_hash));
  EXPECT_TRUE(password_hash_outdated(old_hash));
  EXPECT_TRUE(password_hash_outdated(
      "$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA"));
  EXPECT_TRUE(password_hash_outdated("$argon2id$v=19$m=7168,t=4,p=1$c29tZXNhbHQ$abc"));
  EXPECT_TRUE(password_hash_outdated("$argon2id$v=19$m=7168,t=5,p=2$c29tZXNhbHQ$abc"));
  EXPECT_TRUE(password_hash_outdated("$argon2id$v=16$m=7168,t=5,p=1$c29tZXNhbHQ$abc"));
  EXPECT_TRUE(password_hash_outdated(""));
}

TEST(PasswordHash, SaltMakesEveryHashDifferent) {
  const std::string a = hash_password("Harbor12345");
  const std::string b = hash_password("Harbor12345");
  EXPECT_NE(a, b);
  EXPECT_TRUE(verify_password("Harbor12345", a));
  EXPECT_TRUE(verify_password("Harbor12345", b));
}

TEST(PasswordHash, EmptyAndBinaryPasswordsRoundTrip) {
  const std::string binary("a\0b\xff", 4);
  EXPECT_TRUE(verify_password(binary, hash_password(binary)));
  EXPECT_FALSE(verify_password(std::string("a\0c\xff", 4), hash_password(binary)));
  EXPECT_TRUE(verify_password("", hash_password("")));
}

TEST(PasswordHash, AcceptsOtherArgon2VariantsTheStringNames) {
  // Reference vector from libargon2's own test suite (argon2i, v=19, m=64 KiB, t=2, p=1).
  const std::string argon2i =
      "$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA";
  EXPECT_TRUE(verify_password("password", argon2i));
  EXPECT_FALSE(verify_password("passwore", argon2i));
}

TEST(PasswordHash, MalformedHashesAreFalse) {
  const std::string good = hash_password("Harbor12345");
  EXPECT_FALSE(verify_password("Harbor12345", ""));
  EXPECT_FALSE(verify_password("Harbor12345", "not a hash"));
  EXPECT_FALSE(verify_password("Harbor12345", "$2a$10$abcdefghijklmnopqrstuv"));  // bcrypt
  EXPECT_FALSE(verify_password("Harbor12345", good.substr(0, good.size() - 5)));
  EXPECT_FALSE(verify_password("Harbor12345", good.substr(0, good.rfind('$'))));
  std::string flipped = good;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verify_password("Harbor12345", flipped));
  std::string with_nul = good;
  with_nul.insert(with_nul.size() - 3, 1, '\0');
  EXPECT_FALSE(verify_password("Harbor12345", with_nul));
}

TEST(PasswordHash, RefusesHashesThatNameAbsurdCosts) {
  // Valid syntax, but 4 GiB of memory: must be refused without being computed.
  EXPECT_FALSE(verify_password(
      "password",
      "$argon2id$v=19$m=4194304,t=2,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA"));
  EXPECT_FALSE(verify_password(
      "password",
      "$argon2id$v=19$m=65536,t=1000,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA"));
}

TEST(PasswordHash, RefusesAValidHashOverTheLaneLimit) {
  // Correct password, cheap to compute, but p=17 is over the documented bound.
  const std::array<unsigned char, 16> salt{};
  std::array<char, 256> encoded{};
  ASSERT_EQ(argon2id_hash_encoded(1, 8 * 17, 17, "pw", 2, salt.data(), salt.size(), 32, encoded.data(),
                                  encoded.size()),
            ARGON2_OK);
  EXPECT_FALSE(verify_password("pw", encoded.data()));
  std::array<char, 256> within{};
  ASSERT_EQ(argon2id_hash_encoded(1, 8 * 16, 16, "pw", 2, salt.data(), salt.size(), 32, within.data(),
                                  within.size()),
            ARGON2_OK);
  EXPECT_TRUE(verify_password("pw", within.data()));
}

TEST(PasswordPolicy, AcceptsHarborsDefaultAdminPassword) {
  EXPECT_TRUE(check_password_policy("Harbor12345").ok());
  EXPECT_TRUE(check_password_policy("aB3aaaaa").ok());                     // exactly 8
  EXPECT_TRUE(check_password_policy("aB3" + std::string(125, 'x')).ok());  // exactly 128
}

TEST(PasswordPolicy, SaysWhichRuleFailed) {
  struct Case {
    std::string password;
    std::string expected_in_message;
  };
  const Case cases[] = {
      {"aB3aaaa", "at least 8"},
      {"", "at least 8"},
      {"aB3" + std::string(126, 'x'), "at most 128"},
      {"harbor12345", "upper-case"},
      {"HARBOR12345", "lower-case"},
      {"HarborHarbor", "digit"},
  };
  for (const auto& c : cases) {
    const auto status = check_password_policy(c.password);
    ASSERT_FALSE(status.ok()) << c.password;
    EXPECT_EQ(status.error().code, Errc::invalid_argument);
    EXPECT_NE(status.error().message.find(c.expected_in_message), std::string::npos)
        << c.password << " -> " << status.error().message;
  }
}

TEST(PasswordPolicy, CountsCharactersNotBytes) {
  // Seven characters, eleven bytes: too short. 128 characters with multi-byte ones: fine.
  EXPECT_FALSE(check_password_policy("aB3\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9").ok());
  std::string long_utf8 = "aB3";
  for (int i = 0; i < 125; ++i) long_utf8 += "\xc3\xa9";
  EXPECT_TRUE(check_password_policy(long_utf8).ok());
}

TEST(PasswordPolicy, CustomPolicy) {
  PasswordPolicy relaxed;
  relaxed.require_classes = false;
  relaxed.min_length = 4;
  EXPECT_TRUE(check_password_policy("abcd", relaxed).ok());
  EXPECT_FALSE(check_password_policy("abc", relaxed).ok());
}

TEST(GenerateSecret, SatisfiesThePolicyAndUsesTheAlphabet) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string secret = generate_secret(8);  // short: classes often missing, must retry
    ASSERT_EQ(secret.size(), 8u);
    EXPECT_TRUE(check_password_policy(secret).ok()) << secret;
    for (const char c : secret) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << secret;
    seen.insert(secret);
  }
  EXPECT_EQ(seen.size(), 200u);
  EXPECT_EQ(generate_secret().size(), 32u);
  EXPECT_EQ(generate_secret(128).size(), 128u);
}

TEST(GenerateSecret, CharactersAreUniform) {
  // 20480 draws over 62 characters. A modulo bias (e.g. 256 % 62 folded onto the first
  // characters) gives chi-square in the hundreds; a fair source exceeds 130 (61 degrees
  // of freedom) about once in a million runs.
  std::map<char, int> counts;
  constexpr int kSecrets = 160;
  for (int i = 0; i < kSecrets; ++i) {
    for (const char c : generate_secret(128)) ++counts[c];
  }
  ASSERT_EQ(counts.size(), 62u);
  const double expected = kSecrets * 128.0 / 62.0;
  double chi_square = 0;
  for (const auto& [c, n] : counts) chi_square += (n - expected) * (n - expected) / expected;
  EXPECT_LT(chi_square, 130.0);
}

TEST(GenerateSecret, RefusesLengthsThePolicyCannotMeet) {
  EXPECT_THROW(generate_secret(7), std::invalid_argument);
  EXPECT_THROW(generate_secret(129), std::invalid_argument);
}

TEST(ConstantTimeEqual, ComparesContentAndLength) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("secret", "secret"));
  EXPECT_FALSE(constant_time_equal("secret", "secreT"));
  EXPECT_FALSE(constant_time_equal("secret", "Secret"));
  EXPECT_FALSE(constant_time_equal("secret", "secret2"));
  EXPECT_FALSE(constant_time_equal("secret2", "secret"));
  EXPECT_FALSE(constant_time_equal("", "x"));
  EXPECT_FALSE(constant_time_equal("x", ""));
  EXPECT_FALSE(constant_time_equal(std::string("a\0b", 3), std::string("a\0c", 3)));
  EXPECT_TRUE(constant_time_equal(std::string("a\0b", 3), std::string("a\0b", 3)));
}

}  // namespace
}  // namespace berth::iam
