// The pure parsers of the two APIs: /v2 paths (api/oci/paths.h) and Harbor's q and sort
// (api/rest/query_syntax.h).
#include <gtest/gtest.h>

#include "api/oci/paths.h"
#include "api/rest/query_syntax.h"

namespace berth::api {
namespace {

using oci::Resource;

TEST(OciPaths, NameMayHoldSlashesAndKeywords) {
  auto parsed = oci::parse_path("/v2/proj/blobs/app/manifests/v1%2E0");
  EXPECT_EQ(parsed.resource, Resource::manifest);
  EXPECT_EQ(parsed.name, "proj/blobs/app");
  EXPECT_EQ(parsed.reference, "v1.0");
  parsed = oci::parse_path("/v2/a/b/blobs/uploads/");
  EXPECT_EQ(parsed.resource, Resource::upload_start);
  EXPECT_EQ(parsed.name, "a/b");
  parsed = oci::parse_path("/v2/a/blobs/uploads/u-1");
  EXPECT_EQ(parsed.resource, Resource::upload);
  EXPECT_EQ(parsed.reference, "u-1");
  EXPECT_EQ(oci::parse_path("/v2/a/tags/list").resource, Resource::tags);
  EXPECT_EQ(oci::parse_path("/v2/_catalog").resource, Resource::catalog);
  EXPECT_EQ(oci::parse_path("/v2").resource, Resource::base);
}

TEST(OciPaths, WhatMatchesNothingIsUnknown) {
  EXPECT_EQ(oci::parse_path("/v2/a/manifests/x/y").resource, Resource::unknown);
  EXPECT_EQ(oci::parse_path("/v2/a/manifests/%zz").resource, Resource::unknown);
  EXPECT_EQ(oci::parse_path("/v2/manifests/x").resource, Resource::unknown);
  EXPECT_EQ(oci::parse_path("/v").resource, Resource::unknown);
  EXPECT_EQ(oci::parse_path("").resource, Resource::unknown);
}

TEST(QuerySyntax, EveryKindOfTerm) {
  auto filters = rest::parse_q("name=~lib,public=true,creation_time=[1~2],project_id={1 '2'},tag=\"x,y\"");
  ASSERT_FALSE(filters.ok());  // a comma always separates terms, quoted or not, as in Harbor
  filters = rest::parse_q("name=~lib,public=true,creation_time=[1~],project_id={1 '2'},tag=\"x\"");
  ASSERT_TRUE(filters.ok()) << filters.error();
  ASSERT_EQ(filters->size(), 5u);
  EXPECT_EQ((*filters)[0].kind, meta::Filter::Kind::fuzzy);
  EXPECT_EQ((*filters)[0].value, "lib");
  EXPECT_EQ((*filters)[1].kind, meta::Filter::Kind::exact);
  EXPECT_EQ((*filters)[2].kind, meta::Filter::Kind::range);
  EXPECT_EQ((*filters)[2].low, "1");
  EXPECT_FALSE((*filters)[2].high.has_value());
  EXPECT_EQ((*filters)[3].values, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ((*filters)[4].value, "x");
  filters = rest::parse_q("labels=(1 2)");  // all of: which fields take it is the listing's call
  ASSERT_TRUE(filters.ok()) << filters.error();
  EXPECT_EQ((*filters)[0].kind, meta::Filter::Kind::all_of);
  EXPECT_EQ((*filters)[0].values, (std::vector<std::string>{"1", "2"}));
}

TEST(QuerySyntax, DecodedOnceMoreAndRefusals) {
  auto filters = rest::parse_q("tags%3Dnil");
  ASSERT_TRUE(filters.ok()) << filters.error();
  EXPECT_EQ((*filters)[0].field, "tags");
  EXPECT_EQ((*filters)[0].value, "nil");
  EXPECT_TRUE(rest::parse_q("").ok());
  EXPECT_FALSE(rest::parse_q("name").ok());
  EXPECT_FALSE(rest::parse_q("na me=x").ok());
  EXPECT_FALSE(rest::parse_q("labels=()").ok());
  EXPECT_FALSE(rest::parse_q("labels=(1 2").ok());
  EXPECT_FALSE(rest::parse_q("id=[1~2~3]").ok());
  EXPECT_EQ(rest::parse_sort("-name,id"), "-name");
  EXPECT_FALSE(rest::parse_sort("name;drop").has_value());
}

}  // namespace
}  // namespace berth::api
