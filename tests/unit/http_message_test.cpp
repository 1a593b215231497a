#include <gtest/gtest.h>

#include "http/message.h"

namespace berth::http {
namespace {

TEST(HttpHeaders, LookupIsCaseInsensitiveAndReturnsFirstValue) {
  Headers headers;
  headers.add("Content-Type", "application/json");
  headers.add("X-Multi", "one");
  headers.add("x-multi", "two");
  EXPECT_EQ(headers.get("content-type"), "application/json");
  EXPECT_EQ(headers.get("X-MULTI"), "one");
  EXPECT_TRUE(headers.has("x-Multi"));
  EXPECT_FALSE(headers.get("Missing").has_value());
  EXPECT_EQ(headers.fields().size(), 3u);
}

TEST(HttpHeaders, SetReplacesEveryFieldOfThatName) {
  Headers headers;
  headers.add("X-Multi", "one");
  headers.add("Other", "keep");
  headers.add("x-multi", "two");
  headers.set("X-MULTI", "three");
  ASSERT_EQ(headers.fields().size(), 2u);
  EXPECT_EQ(headers.get("x-multi"), "three");
  EXPECT_EQ(headers.get("other"), "keep");
  headers.clear();
  EXPECT_TRUE(headers.fields().empty());
}

TEST(HttpMethod, Names) {
  EXPECT_EQ(method_name(Method::get), "GET");
  EXPECT_EQ(method_name(Method::head), "HEAD");
  EXPECT_EQ(method_name(Method::post), "POST");
  EXPECT_EQ(method_name(Method::put), "PUT");
  EXPECT_EQ(method_name(Method::patch), "PATCH");
  EXPECT_EQ(method_name(Method::del), "DELETE");
  EXPECT_EQ(method_name(Method::options), "OPTIONS");
  EXPECT_EQ(method_name(Method::other), "OTHER");
}

TEST(HttpPercentDecode, DecodesEscapesAndRejectsMalformedOnes) {
  EXPECT_EQ(percent_decode("plain"), "plain");
  EXPECT_EQ(percent_decode("a%20b%2Fc%2f"), "a b/c/");
  EXPECT_EQ(percent_decode("sha256%3Aabc"), "sha256:abc");
  EXPECT_EQ(percent_decode("a+b"), "a+b");  // '+' is a space only in query values
  EXPECT_EQ(percent_decode(""), "");
  EXPECT_EQ(percent_decode("%00"), std::string(1, '\0'));
  EXPECT_FALSE(percent_decode("%").has_value());
  EXPECT_FALSE(percent_decode("%4").has_value());
  EXPECT_FALSE(percent_decode("abc%zz").has_value());
  EXPECT_FALSE(percent_decode("%g0").has_value());
}

TEST(HttpRequest, QueryParamDecodesTheFirstMatch) {
  Request request;
  request.query = "n=10&last=library%2Fubuntu&scope=repository%3Afoo%3Apull+push&n=20&empty=&flag&a+b=c";
  EXPECT_EQ(request.query_param("n"), "10");
  EXPECT_EQ(request.query_param("last"), "library/ubuntu");
  EXPECT_EQ(request.query_param("scope"), "repository:foo:pull push");
  EXPECT_EQ(request.query_param("empty"), "");
  EXPECT_EQ(request.query_param("flag"), "");
  EXPECT_EQ(request.query_param("a b"), "c");
  EXPECT_FALSE(request.query_param("missing").has_value());
  EXPECT_FALSE(request.query_param("fla").has_value());
}

TEST(HttpRequest, QueryParamWithMalformedEscapeIsAbsent) {
  Request request;
  request.query = "digest=sha256%3";
  EXPECT_FALSE(request.query_param("digest").has_value());
  request.query = "";
  EXPECT_FALSE(request.query_param("digest").has_value());
  request.query = "&&digest=x&";
  EXPECT_EQ(request.query_param("digest"), "x");
}

TEST(HttpHeaderList, SplitsOnCommasAndTrimsSpaces) {
  EXPECT_EQ(header_list_items(" gzip;q=0 , br,,  * "),
            (std::vector<std::string_view>{"gzip;q=0", "br", "*"}));
  EXPECT_TRUE(header_list_items("").empty());
  EXPECT_TRUE(header_list_items(" , ").empty());
}

}  // namespace
}  // namespace berth::http
