#include <gtest/gtest.h>

#include <string>

#include "oci/digest.h"

namespace berth::oci {
namespace {

using base::Errc;

constexpr std::string_view kSha256Empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr std::string_view kSha256Abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr std::string_view kSha512Empty =
    "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
    "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e";
constexpr std::string_view kSha512Abc =
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";

std::string sha256(std::string_view hex) {
  return "sha256:" + std::string(hex);
}

TEST(DigestOf, KnownSha256Vectors) {
  EXPECT_EQ(digest_of("").str(), sha256(kSha256Empty));
  EXPECT_EQ(digest_of("abc").str(), sha256(kSha256Abc));
  EXPECT_EQ(digest_of("abc").algorithm(), DigestAlgorithm::sha256);
  EXPECT_EQ(digest_of("abc").hex(), kSha256Abc);
}

TEST(DigestOf, KnownSha512Vectors) {
  EXPECT_EQ(digest_of("", DigestAlgorithm::sha512).str(), "sha512:" + std::string(kSha512Empty));
  EXPECT_EQ(digest_of("abc", DigestAlgorithm::sha512).str(), "sha512:" + std::string(kSha512Abc));
}

TEST(Hasher, EmptyInputGivesDigestOfEmpty) {
  Hasher hasher(DigestAlgorithm::sha256);
  EXPECT_EQ(hasher.digest().str(), sha256(kSha256Empty));
}

TEST(Hasher, PiecesEqualWhole) {
  std::string data;
  for (int i = 0; i < 100000; ++i) data += static_cast<char>('a' + i % 26);
  for (DigestAlgorithm algorithm : {DigestAlgorithm::sha256, DigestAlgorithm::sha512}) {
    Hasher hasher(algorithm);
    std::size_t offset = 0;
    std::size_t piece = 1;
    while (offset < data.size()) {
      const std::size_t n = std::min(piece, data.size() - offset);
      hasher.update(data.data() + offset, n);
      offset += n;
      piece = piece * 3 + 1;  // uneven pieces cross the block boundaries
    }
    hasher.update(nullptr, 0);
    EXPECT_EQ(hasher.digest(), digest_of(data, algorithm));
  }
}

TEST(Hasher, MillionTimesAMatchesPublishedVector) {
  Hasher hasher(DigestAlgorithm::sha256);
  const std::string thousand(1000, 'a');
  for (int i = 0; i < 1000; ++i) hasher.update(thousand);
  EXPECT_EQ(hasher.digest().hex(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Hasher, DigestLeavesHasherUsable) {
  Hasher hasher(DigestAlgorithm::sha256);
  hasher.update("a");
  const Digest partial = hasher.digest();
  EXPECT_EQ(partial, digest_of("a"));
  EXPECT_EQ(hasher.digest(), partial);  // asking twice does not change the state
  hasher.update("bc");
  EXPECT_EQ(hasher.digest().str(), sha256(kSha256Abc));
}

TEST(Hasher, MoveKeepsState) {
  Hasher first(DigestAlgorithm::sha512);
  first.update("ab");
  Hasher second(std::move(first));
  second.update("c");
  EXPECT_EQ(second.algorithm(), DigestAlgorithm::sha512);
  EXPECT_EQ(second.digest().hex(), kSha512Abc);

  Hasher third(DigestAlgorithm::sha256);
  third = std::move(second);
  EXPECT_EQ(third.digest().hex(), kSha512Abc);
}

TEST(DigestParse, AcceptsSha256AndSha512) {
  auto a = Digest::parse(sha256(kSha256Abc));
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->algorithm(), DigestAlgorithm::sha256);
  EXPECT_EQ(a->hex(), kSha256Abc);
  EXPECT_EQ(a->str(), sha256(kSha256Abc));
  EXPECT_EQ(*a, digest_of("abc"));

  auto b = Digest::parse("sha512:" + std::string(kSha512Abc));
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(b->algorithm(), DigestAlgorithm::sha512);
  EXPECT_EQ(b->str(), "sha512:" + std::string(kSha512Abc));
}

TEST(DigestParse, RoundTripsThroughStr) {
  const Digest digest = digest_of("round trip");
  auto parsed = Digest::parse(digest.str());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, digest);
}

TEST(DigestParse, OrdersAndComparesByValue) {
  EXPECT_EQ(digest_of("x"), digest_of("x"));
  EXPECT_NE(digest_of("x"), digest_of("y"));
  EXPECT_NE(digest_of("x"), digest_of("x", DigestAlgorithm::sha512));
  EXPECT_TRUE(digest_of("x") < digest_of("x", DigestAlgorithm::sha512) ||
              digest_of("x", DigestAlgorithm::sha512) < digest_of("x"));
}

TEST(DigestParse, WellFormedOtherAlgorithmsAreUnsupported) {
  for (std::string text :
       {"sha384:" + std::string(96, 'a'), std::string("blake3:abcdef"),
        std::string("multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8"),
        std::string("sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564"), std::string("a.b_c-d:x=y")}) {
    auto result = Digest::parse(text);
    ASSERT_FALSE(result.ok()) << text;
    EXPECT_EQ(result.error().code, Errc::unsupported) << text;
  }
}

TEST(DigestParse, MalformedIsInvalidArgument) {
  const std::string upper_hex = "sha256:" + std::string(64, 'A');
  const std::string upper_sha512 = "sha512:" + std::string(128, 'F');
  for (std::string text : {
           std::string(""),
           std::string("sha256"),
           std::string(kSha256Abc),                            // no algorithm
           std::string(":") + std::string(kSha256Abc),         // empty algorithm
           std::string("sha256:"),                             // empty encoded part
           sha256(kSha256Abc.substr(1)),                       // 63 characters
           sha256(std::string(kSha256Abc) + "0"),              // 65 characters
           upper_hex,                                          // sha256 must be lower case
           upper_sha512,                                       // so must sha512
           "sha256:" + std::string(63, 'a') + "g",             // not hex
           "sha512:" + std::string(kSha256Abc),                // sha256 length under sha512
           "SHA256:" + std::string(kSha256Abc),                // algorithm is lower case
           "sha256:" + std::string(kSha256Abc) + ":",          // a second colon
           std::string("sha256 :") + std::string(kSha256Abc),  // blank
           std::string("-sha:abc"),                            // separator first
           std::string("sha-:abc"),                            // separator last
           std::string("sh..a:abc"),                           // two separators
           std::string("blake3:abc/def"),                      // '/' not in encoded alphabet
           std::string("blake3:ab c"),
       }) {
    auto result = Digest::parse(text);
    ASSERT_FALSE(result.ok()) << text;
    EXPECT_EQ(result.error().code, Errc::invalid_argument) << text;
    EXPECT_FALSE(result.error().message.empty());
  }
}

TEST(AlgorithmName, NamesBothAlgorithms) {
  EXPECT_EQ(algorithm_name(DigestAlgorithm::sha256), "sha256");
  EXPECT_EQ(algorithm_name(DigestAlgorithm::sha512), "sha512");
}

}  // namespace
}  // namespace berth::oci
