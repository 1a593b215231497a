// Content discovery (spec "Listing Tags"; end-8a, end-8b) and the Docker catalog
// (/v2/_catalog), both with n/last pagination and RFC 5988 Link headers.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>

#include "registry_fixture.h"

namespace berth::integration {
namespace {
namespace json = boost::json;

class TagsTest : public RegistryTest {
 protected:
  void SetUp() override {
    RegistryTest::SetUp();
    if (HasFatalFailure()) return;
    repo_ = unique_repo();
    const Image image = make_image();
    ASSERT_TRUE(push_image(client(), repo_, "test2", image));
    for (const char* tag : {"test0", "beta", "test3", "alpha", "test1", "v1.0"}) {
      ASSERT_EQ(push_manifest(client(), repo_, tag, image.manifest, kOciManifest).status, 201);
    }
    all_ = {"alpha", "beta", "test0", "test1", "test2", "test3", "v1.0"};
  }

  Response list(const std::string& query = "") {
    return client().get("/v2/" + repo_ + "/tags/list" + (query.empty() ? "" : "?" + query));
  }

  std::vector<std::string> tags_of(const Response& r) {
    auto tags = tag_list(r);
    EXPECT_TRUE(tags.has_value()) << "not a tag list: " << r;
    return tags.value_or(std::vector<std::string>{});
  }

  std::string repo_;
  std::vector<std::string> all_;  // sorted
};

TEST_F(TagsTest, ListsEveryTagInLexicalOrder) {
  Response r = list();
  ASSERT_EQ(r.status, 200) << r;
  auto value = parse_json(r.body);
  ASSERT_TRUE(value && value->is_object()) << r;
  EXPECT_EQ(value->as_object().at("name").as_string(), repo_);
  EXPECT_EQ(tags_of(r), all_);
}

TEST_F(TagsTest, NLimitsTheCount) {
  Response r = list("n=3");
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(tags_of(r), std::vector<std::string>(all_.begin(), all_.begin() + 3));
}

TEST_F(TagsTest, NLargerThanTheTagCountListsEverythingWithoutLink) {
  Response r = list("n=100");
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(tags_of(r), all_);
  EXPECT_EQ(next_link(r), "") << r;
}

TEST_F(TagsTest, LastStartsAfterTheGivenTag) {
  Response r = list("last=beta");
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(tags_of(r), std::vector<std::string>(all_.begin() + 2, all_.end()));
  // `last` need not be a tag that exists: the listing starts after where it would sort.
  Response between = list("n=2&last=test00");
  ASSERT_EQ(between.status, 200) << between;
  EXPECT_EQ(tags_of(between), (std::vector<std::string>{"test1", "test2"}));
}

TEST_F(TagsTest, NAndLastTogether) {
  Response r = list("n=2&last=test0");
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(tags_of(r), (std::vector<std::string>{"test1", "test2"}));
}

TEST_F(TagsTest, LinkHeaderPagesThroughEveryTag) {
  std::vector<std::string> collected;
  std::string next = "/v2/" + repo_ + "/tags/list?n=2";
  int pages = 0;
  while (!next.empty() && pages < 20) {
    Response r = client().get(next);
    ASSERT_EQ(r.status, 200) << r;
    std::vector<std::string> page = tags_of(r);
    EXPECT_LE(page.size(), 2u) << r;
    collected.insert(collected.end(), page.begin(), page.end());
    ++pages;
    next = next_link(r);
    if (!next.empty()) {
      EXPECT_TRUE(path_of(next).starts_with("/v2/" + repo_ + "/tags/list?")) << "Link: " << r.header("Link");
    } else if (collected.size() < all_.size()) {
      // The Link header is a MAY; without it the client continues with last=.
      EXPECT_FALSE(against_berth()) << "Berth sends Link when more tags remain: " << r;
      next = "/v2/" + repo_ + "/tags/list?n=2&last=" + percent_encode(collected.back());
    }
  }
  EXPECT_EQ(collected, all_);
  EXPECT_EQ(pages, 4);
}

TEST_F(TagsTest, NZeroListsNothingAndNoLink) {
  Response r = list("n=0");
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_TRUE(tags_of(r).empty()) << r;
  EXPECT_EQ(next_link(r), "") << r;
}

TEST_F(TagsTest, UnknownRepositoryAnswers404) {
  Response r = client().get("/v2/" + unique_repo("nothing") + "/tags/list");
  EXPECT_TRUE(IsOciError(r, 404, {"NAME_UNKNOWN"}));
}

class CatalogTest : public RegistryTest {};

// The catalog is Docker's, not the OCI spec's, but every client of a private registry
// uses it. Paged from just before our own names, so other repositories do not matter.
TEST_F(CatalogTest, PagesWithNLastAndLink) {
  const std::string prefix = unique_repo();
  const std::vector<std::string> repos{prefix + "/a", prefix + "/b", prefix + "/c"};
  for (const auto& repo : repos) ASSERT_TRUE(push_image(client(), repo, "latest", make_image()));

  Response first = client().get(with_query("/v2/_catalog?n=2", "last", prefix));
  ASSERT_EQ(first.status, 200) << first;
  auto value = parse_json(first.body);
  ASSERT_TRUE(value && value->is_object() && value->as_object().contains("repositories")) << first;
  std::vector<std::string> page;
  for (const auto& name : value->as_object().at("repositories").as_array())
    page.emplace_back(name.as_string());
  EXPECT_EQ(page, (std::vector<std::string>{repos[0], repos[1]}));

  const std::string next = next_link(first);
  ASSERT_FALSE(next.empty()) << "no Link to the next page: " << first;
  EXPECT_TRUE(path_of(next).starts_with("/v2/_catalog?")) << next;
  Response second = client().get(next);
  ASSERT_EQ(second.status, 200) << second;
  auto second_value = parse_json(second.body);
  ASSERT_TRUE(second_value && second_value->is_object()) << second;
  const auto& names = second_value->as_object().at("repositories").as_array();
  ASSERT_FALSE(names.empty()) << second;
  EXPECT_EQ(names[0].as_string(), repos[2]);
  for (std::size_t i = 1; i < names.size(); ++i) {
    EXPECT_LT(names[i - 1].as_string(), names[i].as_string()) << "catalog not sorted: " << second;
  }
}

TEST_F(CatalogTest, RepositoryAppearsAfterItsFirstPush) {
  const std::string repo = unique_repo();
  ASSERT_TRUE(push_image(client(), repo, "latest", make_image()));
  // Just before `repo` in byte order: drop its last character.
  Response r = client().get(with_query("/v2/_catalog?n=1", "last", repo.substr(0, repo.size() - 1)));
  ASSERT_EQ(r.status, 200) << r;
  auto value = parse_json(r.body);
  ASSERT_TRUE(value && value->is_object()) << r;
  const auto& names = value->as_object().at("repositories").as_array();
  ASSERT_EQ(names.size(), 1u) << r;
  EXPECT_EQ(names[0].as_string(), repo);
}

}  // namespace
}  // namespace berth::integration
