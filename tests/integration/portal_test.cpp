// The portal as berth serves it: the embedded build of portal/ at /, its hashed assets with
// long caching and gzip, index.html for the portal's own routes, and the APIs left alone.
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "harbor_api.h"

namespace berth::integration {
namespace {

class PortalTest : public HarborApiTest {
 protected:
  // The script and stylesheet index.html loads (/assets/index-<hash>.js, .css).
  std::vector<std::string> linked_assets(const std::string& html) {
    std::vector<std::string> out;
    std::regex link(R"re((?:src|href)="(/assets/[^"]+)")re");
    for (auto it = std::sregex_iterator(html.begin(), html.end(), link); it != std::sregex_iterator(); ++it)
      out.push_back((*it)[1]);
    return out;
  }
};

TEST_F(PortalTest, TheRootServesTheApplicationToAnyone) {
  Response r = client_as("", "")->get("/");
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(r.header("Cache-Control"), "no-cache");
  EXPECT_NE(r.header("Content-Security-Policy").find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(r.header("X-Frame-Options"), "DENY");
  EXPECT_NE(r.header("Content-Security-Policy").find("script-src 'self';"), std::string::npos);
  EXPECT_EQ(r.header("Content-Security-Policy").find("unsafe"), std::string::npos)
      << "no inline script or eval";
  EXPECT_EQ(r.body.find("<script>"), std::string::npos) << "no inline script in index.html";
  EXPECT_NE(r.body.find("<div id=\"app\">"), std::string::npos) << r;
  auto assets = linked_assets(r.body);
  ASSERT_EQ(assets.size(), 2u) << r.body;  // one script, one stylesheet

  for (const auto& path : assets) {
    Response asset = client_as("", "")->get(path);
    ASSERT_EQ(asset.status, 200) << path << ": " << asset;
    EXPECT_EQ(asset.header("Cache-Control"), "public, max-age=31536000, immutable") << path;
    const bool script = path.ends_with(".js");
    EXPECT_EQ(asset.header("Content-Type"),
              script ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8");
    EXPECT_FALSE(asset.body.empty());
    EXPECT_TRUE(asset.header("Content-Encoding").empty()) << "not asked for gzip";

    Response packed = client_as("", "")->get(path, {{"Accept-Encoding", "gzip"}});
    ASSERT_EQ(packed.status, 200);
    EXPECT_EQ(packed.header("Content-Encoding"), "gzip");
    EXPECT_LT(packed.body.size(), asset.body.size());
    ASSERT_GE(packed.body.size(), 2u);
    EXPECT_EQ(static_cast<unsigned char>(packed.body[0]), 0x1f);  // the gzip magic
    EXPECT_EQ(static_cast<unsigned char>(packed.body[1]), 0x8b);

    Response again = client_as("", "")->get(path, {{"If-None-Match", asset.header("ETag")}});
    EXPECT_EQ(again.status, 304) << path;
    Response head = client_as("", "")->head(path);
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.header("Content-Length"), std::to_string(asset.body.size()));
  }
}

TEST_F(PortalTest, ThePortalsOwnRoutesLoadTheApplication) {
  const std::string index = client_as("", "")->get("/").body;
  for (const char* route :
       {"/projects", "/projects/7/repositories", "/login?next=%2Fprojects", "/index.html"}) {
    Response r = client_as("", "")->get(route);
    EXPECT_EQ(r.status, 200) << route;
    EXPECT_EQ(r.body, index) << route;
  }
}

TEST_F(PortalTest, MissingAssetsAndApiPathsAre404AndOtherMethods405) {
  EXPECT_EQ(client_as("", "")->get("/assets/index-nothere.js").status, 404);
  for (const char* path :
       {"/api/v2.0/no-such-thing", "/c/nothing", "/service/nothing", "/operator/v1/registry"}) {
    Response r = client_as("", "")->get(path);
    EXPECT_EQ(r.status, 404) << path << ": " << r;
    EXPECT_EQ(r.body.find("<div id=\"app\">"), std::string::npos) << path;
  }
  Response post = client_as("", "")->post("/projects", "x");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.header("Allow"), "GET, HEAD");
  EXPECT_EQ(client_as("", "")->get("/v2/").status, 401) << "the registry API is not the portal's";
}

}  // namespace
}  // namespace berth::integration
