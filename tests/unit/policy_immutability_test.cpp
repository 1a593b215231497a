// Doublestar patterns as Harbor's tag rules read them, and which tags a rule selects.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "policy/doublestar.h"
#include "policy/immutability.h"

namespace berth::policy {
namespace {

TEST(Doublestar, StarStaysInAComponentAndDoubleStarCrossesThem) {
  EXPECT_TRUE(doublestar_match("**", "a/b/c"));
  EXPECT_TRUE(doublestar_match("**", "v1"));
  EXPECT_TRUE(doublestar_match("*", "v1.2.3"));
  EXPECT_FALSE(doublestar_match("*", "team/app"));
  EXPECT_TRUE(doublestar_match("team/*", "team/app"));
  EXPECT_FALSE(doublestar_match("team/*", "team/app/web"));
  EXPECT_TRUE(doublestar_match("team/**", "team/app/web"));
  EXPECT_TRUE(doublestar_match("**/web", "team/app/web"));
  EXPECT_TRUE(doublestar_match("a/**/z", "a/z"));
  EXPECT_TRUE(doublestar_match("a**", "abc")) << "** inside a component is *";
  EXPECT_FALSE(doublestar_match("a**", "ab/c"));
  EXPECT_TRUE(doublestar_match("", "anything")) << "an empty pattern matches everything";
}

TEST(Doublestar, ClassesAlternativesAndEscapes) {
  EXPECT_TRUE(doublestar_match("v?", "v1"));
  EXPECT_FALSE(doublestar_match("v?", "v10"));
  EXPECT_TRUE(doublestar_match("v[0-9].*", "v1.0"));
  EXPECT_FALSE(doublestar_match("v[!0-9]*", "v1"));
  EXPECT_TRUE(doublestar_match("{latest,stable}", "stable"));
  EXPECT_FALSE(doublestar_match("{latest,stable}", "dev"));
  EXPECT_TRUE(doublestar_match("release-{1.*,2.{0,1}}", "release-2.1"));
  EXPECT_TRUE(doublestar_match("a\\*", "a*"));
  EXPECT_FALSE(doublestar_match("a\\*", "ab"));
  EXPECT_FALSE(valid_doublestar("{a,b"));
  EXPECT_FALSE(valid_doublestar("[abc"));
  EXPECT_TRUE(valid_doublestar("release-{1.*,2.x}"));
}

ImmutableRule rule_of(const char* json) {
  auto parsed = parse_immutable_rule(boost::json::parse(json).as_object());
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().message);
  return parsed.ok() ? *parsed : ImmutableRule{};
}

TEST(ImmutableRules, SelectorsMatchOrExcludeAndDisabledRulesSelectNothing) {
  const ImmutableRule release = rule_of(
      R"({"tag_selectors":[{"kind":"doublestar","decoration":"matches","pattern":"v*"}],)"
      R"("scope_selectors":{"repository":[{"kind":"doublestar","decoration":"repoMatches","pattern":"**"}]}})");
  EXPECT_TRUE(selects(release, "app", "v1"));
  EXPECT_FALSE(selects(release, "app", "latest"));
  const ImmutableRule all_but_dev = rule_of(
      R"({"tag_selectors":[{"kind":"doublestar","decoration":"excludes","pattern":"dev-*"}],)"
      R"("scope_selectors":{"repository":[{"kind":"doublestar","decoration":"repoExcludes","pattern":"tmp/**"}]}})");
  EXPECT_TRUE(selects(all_but_dev, "app", "latest"));
  EXPECT_FALSE(selects(all_but_dev, "app", "dev-42"));
  EXPECT_FALSE(selects(all_but_dev, "tmp/scratch", "latest"));
  ImmutableRule off = release;
  off.disabled = true;
  EXPECT_FALSE(selects(off, "app", "v1"));
}

TEST(ImmutableRules, BadRulesAreRefusedWithAReason) {
  auto refused = [](const char* json) {
    auto parsed = parse_immutable_rule(boost::json::parse(json).as_object());
    return parsed.ok() ? std::string() : parsed.error().message;
  };
  EXPECT_NE(
      refused(
          R"({"scope_selectors":{"repository":[{"kind":"doublestar","decoration":"repoMatches","pattern":"**"}]}})"),
      "");
  EXPECT_NE(
      refused(
          R"({"tag_selectors":[{"kind":"regexp","decoration":"matches","pattern":"v*"}],)"
          R"("scope_selectors":{"repository":[{"kind":"doublestar","decoration":"repoMatches","pattern":"**"}]}})")
          .find("doublestar"),
      std::string::npos);
  EXPECT_NE(
      refused(
          R"({"tag_selectors":[{"kind":"doublestar","decoration":"repoMatches","pattern":"v*"}],)"
          R"("scope_selectors":{"repository":[{"kind":"doublestar","decoration":"repoMatches","pattern":"**"}]}})")
          .find("matches or excludes"),
      std::string::npos);
  EXPECT_NE(
      refused(
          R"({"tag_selectors":[{"kind":"doublestar","decoration":"matches","pattern":"{v1"}],)"
          R"("scope_selectors":{"repository":[{"kind":"doublestar","decoration":"repoMatches","pattern":"**"}]}})")
          .find("invalid pattern"),
      std::string::npos);
}

}  // namespace
}  // namespace berth::policy
