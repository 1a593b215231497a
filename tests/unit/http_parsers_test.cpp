// The pure parsers of http/: request heads (as the server reads them), byte ranges and the
// Authorization header.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "http/authorization.h"
#include "http/ranges.h"
#include "http/request_head.h"

namespace berth::http {
namespace {

std::string regression(const std::string& name) {
  std::ifstream in(std::filesystem::path(BERTH_FUZZ_REGRESSIONS) / name, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(RequestHead, SplitsTargetAndKeepsFieldsInOrder) {
  auto request = parse_request_head(
      "PUT /v2/a/b/blobs/uploads/u1?digest=sha256%3Aab&x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
      "x-one: 1\r\nX-One: 2\r\n\r\nhello",
      16 * 1024);
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_EQ(request->method, Method::put);
  EXPECT_EQ(request->target, "/v2/a/b/blobs/uploads/u1?digest=sha256%3Aab&x=1");
  EXPECT_EQ(request->path, "/v2/a/b/blobs/uploads/u1");
  EXPECT_EQ(request->query, "digest=sha256%3Aab&x=1");
  EXPECT_EQ(request->query_param("digest"), "sha256:ab");
  EXPECT_EQ(request->content_length, 5u);
  EXPECT_EQ(request->headers.get("X-ONE"), "1");
  ASSERT_EQ(request->headers.fields().size(), 4u);
}

TEST(RequestHead, ChunkedHasNoContentLength) {
  auto request =
      parse_request_head("PATCH /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", 16 * 1024);
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_EQ(request->method, Method::patch);
  EXPECT_FALSE(request->content_length.has_value());
}

TEST(RequestHead, RefusalsAreTheServersThree) {
  EXPECT_EQ(parse_request_head("GET / HTTP/1.1\r\nHost: h\r\n", 16 * 1024).error().code,
            base::Errc::io_error);
  EXPECT_EQ(parse_request_head("GET / HTTP/1.1\r\nBad Header\r\n\r\n", 16 * 1024).error().code,
            base::Errc::invalid_argument);
  const std::string big = "GET / HTTP/1.1\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n";
  EXPECT_EQ(parse_request_head(big, 1024).error().code, base::Errc::too_large);
}

TEST(Ranges, RangeHeaderIsClippedToTheResource) {
  auto range = parse_range("bytes=10-99", 50);
  ASSERT_TRUE(range);
  EXPECT_EQ(range->first, 10u);
  EXPECT_EQ(range->last, 49u);
  EXPECT_EQ(range->length(), 40u);
  range = parse_range("bytes=-5", 50);
  ASSERT_TRUE(range);
  EXPECT_EQ(range->first, 45u);
  EXPECT_EQ(range->last, 49u);
  range = parse_range("bytes=7-", 50);
  ASSERT_TRUE(range);
  EXPECT_EQ(range->last, 49u);
  EXPECT_FALSE(parse_range("bytes=50-60", 50));
  EXPECT_FALSE(parse_range("bytes=0-1,3-4", 50));
  EXPECT_FALSE(parse_range("bytes=-0", 50));
  EXPECT_FALSE(parse_range("items=0-1", 50));
}

TEST(Ranges, ContentRangeOfAChunk) {
  for (const char* text : {"0-1023", "bytes=0-1023", "bytes 0-1023/2048"}) {
    auto range = parse_content_range(text);
    ASSERT_TRUE(range) << text;
    EXPECT_EQ(range->first, 0u);
    EXPECT_EQ(range->length(), 1024u);
  }
  EXPECT_FALSE(parse_content_range("10-9"));
  EXPECT_FALSE(parse_content_range("bytes=a-9"));
  EXPECT_FALSE(parse_content_range("+1-9"));
}

// Found by range_fuzz: a chunk of 2^64 bytes has a length that wraps to 0, so with
// "Content-Length: 0" the upload handler took it for an in-order empty chunk.
TEST(Ranges, ContentRangeOfTwoToTheSixtyFourBytesIsRefused) {
  const std::string header = regression("range/chunk-of-2-to-the-64-bytes");
  ASSERT_EQ(header, "0-18446744073709551615");
  EXPECT_FALSE(parse_content_range(header));
  auto almost = parse_content_range("1-18446744073709551615");
  ASSERT_TRUE(almost);
  EXPECT_EQ(almost->length(), 18446744073709551615u);
}

TEST(Authorization, SchemeAndBasicCredentials) {
  const Authorization authorization = split_authorization("bAsIc   dXNlcjpwYTpzcw==");
  EXPECT_TRUE(has_scheme(authorization, "Basic"));
  EXPECT_FALSE(has_scheme(authorization, "Bearer"));
  auto credentials = decode_basic_credentials(authorization.credentials);
  ASSERT_TRUE(credentials);
  EXPECT_EQ(credentials->user(), "user");
  EXPECT_EQ(credentials->password(), "pa:ss");
  EXPECT_FALSE(decode_basic_credentials("bm9jb2xvbg=="));  // "nocolon"
  EXPECT_FALSE(decode_basic_credentials("not base64!"));
  EXPECT_EQ(split_authorization("Bearer").credentials, "");
}

}  // namespace
}  // namespace berth::http
