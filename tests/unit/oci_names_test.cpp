#include <gtest/gtest.h>

#include <string>

#include "oci/names.h"

namespace berth::oci {
namespace {

TEST(RepositoryName, AcceptsSpecExamples) {
  for (const char* name : {"a", "library/ubuntu", "0", "a/b-c/d__e.f", "my-org/my_team/app.v2", "a--b",
                           "a---b/c", "foo/bar/baz/qux", "1.0/x", "abc123/9z"}) {
    EXPECT_TRUE(valid_repository_name(name)) << name;
  }
}

TEST(RepositoryName, RejectsTraversalAndEncodings) {
  for (const char* name :
       {"..", "a/../b", "../a", "a/..", ".", "./a", "a/./b", "%2e%2e", "a/%2e%2e/b", "a%2fb"}) {
    EXPECT_FALSE(valid_repository_name(name)) << name;
  }
}

TEST(RepositoryName, RejectsBadShapes) {
  for (const char* name :
       {"",     "/",     "a/",   "/a", "a//b", "A",  "library/Ubuntu", "a b",  "a\tb", "a.",   ".a",
        "a..b", "a___b", "a_",   "_a", "-a",   "a-", "a._b",           "a_.b", "a-.b", "a.-b", "a_-b",
        "a:b",  "a@b",   "a\\b", "é",  "a\nb"}) {
    EXPECT_FALSE(valid_repository_name(name)) << name;
  }
  EXPECT_FALSE(valid_repository_name(std::string_view("a\0b", 3)));
}

TEST(RepositoryName, AllowsAtMost255Characters) {
  const std::string at_limit = std::string(127, 'a') + "/" + std::string(127, 'b');
  ASSERT_EQ(at_limit.size(), 255u);
  EXPECT_TRUE(valid_repository_name(at_limit));
  EXPECT_TRUE(valid_repository_name(std::string(255, 'a')));
  EXPECT_FALSE(valid_repository_name(std::string(256, 'a')));
  EXPECT_FALSE(valid_repository_name(at_limit + "c"));
}

TEST(Tag, AcceptsSpecShapes) {
  for (const char* tag :
       {"latest", "v1.2.3", "1", "_", "_private", "A-B_c.D", "sha256-abc.sig", "0.1-rc.1"}) {
    EXPECT_TRUE(valid_tag(tag)) << tag;
  }
}

TEST(Tag, RejectsBadShapes) {
  for (const char* tag : {"", ".hidden", "-dash", "a/b", "a:b", "a@b", "a b", "a+b", "é", "..", "a\nb"}) {
    EXPECT_FALSE(valid_tag(tag)) << tag;
  }
}

TEST(Tag, AllowsAtMost128Characters) {
  EXPECT_TRUE(valid_tag(std::string(128, 'a')));
  EXPECT_FALSE(valid_tag(std::string(129, 'a')));
  EXPECT_TRUE(valid_tag("_" + std::string(127, '-')));
}

TEST(LooksLikeDigest, DistinguishesDigestsFromTags) {
  EXPECT_TRUE(looks_like_digest("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  EXPECT_TRUE(looks_like_digest("blake3:abc"));
  EXPECT_TRUE(looks_like_digest("sha256:"));  // a digest reference, if a malformed one
  EXPECT_FALSE(looks_like_digest("latest"));
  EXPECT_FALSE(looks_like_digest("sha256-abc.sig"));
  EXPECT_FALSE(looks_like_digest(""));
}

}  // namespace
}  // namespace berth::oci
