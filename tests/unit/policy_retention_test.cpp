// Tag retention policies: parsing with Harbor's errors, and what each template keeps, with a
// fixed clock.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "policy/retention.h"

namespace berth::policy {
namespace {

using namespace std::chrono_literals;

const TimePoint kNow = TimePoint(std::chrono::seconds(1'800'000'000));  // 2027-01-15 08:00:00 UTC

TimePoint days_ago(int days) {
  return kNow - std::chrono::hours(24) * days;
}

// A rule of `template_name` over every repository and tag (untagged included unless said).
std::string rule(const std::string& template_name, std::optional<int> n, const std::string& tags = "**",
                 const std::string& decoration = "matches", bool untagged = true,
                 const std::string& repositories = "**") {
  std::string params = n ? "{\"" + template_name + "\":" + std::to_string(*n) + "}" : "{}";
  return R"({"disabled":false,"action":"retain","template":")" + template_name + R"(","params":)" + params +
         R"(,"tag_selectors":[{"kind":"doublestar","decoration":")" + decoration + R"(","pattern":")" + tags +
         R"(","extras":"{\"untagged\":)" + (untagged ? "true" : "false") +
         R"(}"}],"scope_selectors":{"repository":[{"kind":"doublestar","decoration":"repoMatches","pattern":")" +
         repositories + R"("}]}})";
}

std::string policy_text(const std::vector<std::string>& rules, const std::string& cron = "") {
  std::string joined;
  for (const auto& r : rules) joined += (joined.empty() ? "" : ",") + r;
  return R"({"algorithm":"or","rules":[)" + joined +
         R"(],"trigger":{"kind":"Schedule","settings":{"cron":")" + cron +
         R"("}},"scope":{"level":"project","ref":7}})";
}

base::Result<RetentionPolicy> parse(const std::string& text) {
  return parse_retention_policy(boost::json::parse(text).as_object());
}

RetentionPolicy must_parse(const std::vector<std::string>& rules) {
  auto policy = parse(policy_text(rules));
  EXPECT_TRUE(policy) << (policy ? "" : policy.error().message);
  return policy ? *policy : RetentionPolicy{};
}

RetentionCandidate artifact(std::string digest, std::vector<std::string> tags, TimePoint pushed,
                            TimePoint pulled = {}) {
  RetentionCandidate c;
  c.digest = std::move(digest);
  c.tags = std::move(tags);
  c.pushed = pushed;
  c.created = pushed;
  c.pulled = pulled;
  return c;
}

// The digests kept (retained or immutable) of `candidates` under `rules` in repository "app".
std::vector<std::string> kept(const std::vector<std::string>& rules,
                              const std::vector<RetentionCandidate>& candidates,
                              std::string_view repository = "app") {
  auto verdicts = evaluate_retention(must_parse(rules), repository, candidates, kNow);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < candidates.size(); ++i)
    if (verdicts[i] != Retention::remove) out.push_back(candidates[i].digest);
  return out;
}

using Digests = std::vector<std::string>;

const std::vector<RetentionCandidate> kFive = {
    artifact("a", {"v1"}, days_ago(50), days_ago(1)),
    artifact("b", {"v2"}, days_ago(40)),
    artifact("c", {"v3"}, days_ago(30), days_ago(20)),
    artifact("d", {"v4"}, days_ago(2), days_ago(10)),
    artifact("e", {"latest"}, days_ago(1)),
};

TEST(Retention, LatestPushedKKeepsTheKNewestPushes) {
  EXPECT_EQ(kept({rule("latestPushedK", 2)}, kFive), (Digests{"d", "e"}));
  EXPECT_EQ(kept({rule("latestPushedK", 0)}, kFive), Digests{});
  EXPECT_EQ(kept({rule("latestPushedK", 10)}, kFive).size(), 5u);
}

TEST(Retention, LatestPulledNKeepsTheNMostRecentlyPulledAndNeverTheUnpulled) {
  EXPECT_EQ(kept({rule("latestPulledN", 2)}, kFive), (Digests{"a", "d"}));
  EXPECT_EQ(kept({rule("latestPulledN", 5)}, kFive), (Digests{"a", "c", "d"})) << "b and e were never pulled";
}

TEST(Retention, NDaysSinceLastPushKeepsWhatWasPushedWithinTheDays) {
  EXPECT_EQ(kept({rule("nDaysSinceLastPush", 30)}, kFive), (Digests{"c", "d", "e"}))
      << "30 days ago exactly is in";
  EXPECT_EQ(kept({rule("nDaysSinceLastPush", 1)}, kFive), (Digests{"e"}));
  EXPECT_EQ(kept({rule("nDaysSinceLastPush", 0)}, kFive), Digests{});
}

TEST(Retention, NDaysSinceLastPullKeepsWhatWasPulledWithinTheDays) {
  EXPECT_EQ(kept({rule("nDaysSinceLastPull", 10)}, kFive), (Digests{"a", "d"}));
  EXPECT_EQ(kept({rule("nDaysSinceLastPull", 365)}, kFive), (Digests{"a", "c", "d"}));
}

TEST(Retention, HarborsOtherTemplates) {
  EXPECT_EQ(kept({rule("always", std::nullopt)}, kFive).size(), 5u);
  EXPECT_EQ(kept({rule("nothing", std::nullopt)}, kFive), Digests{});
  // latestActiveK: by the later of push and pull. a was pulled a day ago, e pushed a day ago.
  EXPECT_EQ(kept({rule("latestActiveK", 2)}, kFive), (Digests{"a", "e"}));
  EXPECT_EQ(kept({rule("lastXDays", 2)}, kFive), (Digests{"d", "e"}));
}

TEST(Retention, RulesAreOredAndSelectorsNarrowEachRule) {
  // Keep the newest v* tag, and everything tagged latest.
  EXPECT_EQ(kept({rule("latestPushedK", 1, "v*"), rule("always", std::nullopt, "latest")}, kFive),
            (Digests{"d", "e"}));
  // excludes: the rule looks at the artifacts with a tag that does not match.
  EXPECT_EQ(kept({rule("always", std::nullopt, "v*", "excludes")}, kFive), (Digests{"e"}));
  // {a,b} alternatives.
  EXPECT_EQ(kept({rule("always", std::nullopt, "{v1,v3}")}, kFive), (Digests{"a", "c"}));
}

TEST(Retention, AnArtifactIsKeptWhenAnyOfItsTagsIsSelected) {
  std::vector<RetentionCandidate> candidates = {artifact("x", {"dev-1", "release-1"}, days_ago(9)),
                                                artifact("y", {"dev-2"}, days_ago(8))};
  EXPECT_EQ(kept({rule("always", std::nullopt, "release-*")}, candidates), (Digests{"x"}));
}

TEST(Retention, UntaggedArtifactsAreKeptOnlyWhenARuleTakesThem) {
  std::vector<RetentionCandidate> candidates = {artifact("tagged", {"v1"}, days_ago(3)),
                                                artifact("untagged", {}, days_ago(1))};
  EXPECT_EQ(kept({rule("always", std::nullopt, "**", "matches", true)}, candidates),
            (Digests{"tagged", "untagged"}));
  EXPECT_EQ(kept({rule("always", std::nullopt, "**", "matches", false)}, candidates), (Digests{"tagged"}));
  // latestPushedK 1 counts the untagged artifact when it is taken, and then keeps only it.
  EXPECT_EQ(kept({rule("latestPushedK", 1, "**", "matches", true)}, candidates), (Digests{"untagged"}));
}

TEST(Retention, ImmutableArtifactsStayWhateverTheRules) {
  auto candidates = kFive;
  candidates[0].immutable = true;
  auto verdicts = evaluate_retention(must_parse({rule("latestPushedK", 1)}), "app", candidates, kNow);
  EXPECT_EQ(verdicts[0], Retention::immutable);
  EXPECT_EQ(verdicts[1], Retention::remove);
  EXPECT_EQ(verdicts[4], Retention::retain);
  EXPECT_EQ(retention_name(verdicts[0]), "IMMUTABLE");
  EXPECT_EQ(retention_name(verdicts[1]), "DEL");
  EXPECT_EQ(retention_name(verdicts[4]), "RETAIN");
}

TEST(Retention, RepositoriesNoEnabledRuleCoversAreLeftAlone) {
  auto policy = must_parse({rule("latestPushedK", 1, "**", "matches", true, "team/**")});
  EXPECT_TRUE(retention_covers(policy, "team/web"));
  EXPECT_FALSE(retention_covers(policy, "other"));
  auto verdicts = evaluate_retention(policy, "other", kFive, kNow);
  EXPECT_EQ(std::count(verdicts.begin(), verdicts.end(), Retention::remove), 5)
      << "the job skips uncovered repositories; evaluating one anyway keeps nothing";
  auto disabled = rule("always", std::nullopt);
  disabled.replace(disabled.find("\"disabled\":false"), 16, "\"disabled\":true");
  EXPECT_FALSE(retention_covers(must_parse({disabled}), "app"));
  auto excluding = must_parse({rule("always", std::nullopt, "**", "matches", true, "team/**")});
  excluding.rules[0].repository_selectors[0].decoration = "repoExcludes";
  EXPECT_FALSE(retention_covers(excluding, "team/web"));
  EXPECT_TRUE(retention_covers(excluding, "other"));
}

TEST(Retention, ParsingGivesHarborsErrors) {
  std::vector<std::string> sixteen;
  for (int i = 0; i < 16; ++i) sixteen.push_back(rule("latestPushedK", i));
  auto too_many = parse(policy_text(sixteen));
  ASSERT_FALSE(too_many);
  EXPECT_EQ(too_many.error().message, "only 15 rules are allowed at most");
  sixteen.pop_back();
  EXPECT_TRUE(parse(policy_text(sixteen)));

  auto duplicate = parse(
      policy_text({rule("always", std::nullopt), rule("latestPushedK", 3), rule("always", std::nullopt)}));
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().code, base::Errc::conflict);
  EXPECT_EQ(duplicate.error().message, "rule 2 is conflict with rule 0");

  auto missing = parse(policy_text({rule("latestPushedK", std::nullopt)}));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "missing required parameter latestPushedK for rule latestPushedK");
  auto negative = parse(policy_text({rule("nDaysSinceLastPull", -1)}));
  ASSERT_FALSE(negative);
  EXPECT_EQ(negative.error().message, "nDaysSinceLastPull is less than zero");
  auto large = parse(policy_text({rule("latestPulledN", 32767)}));
  ASSERT_FALSE(large);
  EXPECT_EQ(large.error().message, "latestPulledN is too large");
  auto unknown = parse(policy_text({rule("oldestK", 1)}));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message, "rule evaluator oldestK is not registered");
  auto bad_pattern = parse(policy_text({rule("always", std::nullopt, "[a-")}));
  EXPECT_FALSE(bad_pattern);
  auto no_scope = parse(R"({"algorithm":"or","rules":[]})");
  EXPECT_FALSE(no_scope);
  auto other_scope = parse(R"({"algorithm":"or","rules":[],"scope":{"level":"system","ref":1}})");
  ASSERT_FALSE(other_scope);
  EXPECT_EQ(other_scope.error().message, "scope system is not support");
  auto no_cron = parse(
      R"({"algorithm":"or","rules":[],"trigger":{"kind":"Schedule","settings":{}},"scope":{"level":"project","ref":1}})");
  ASSERT_FALSE(no_cron);
  EXPECT_EQ(no_cron.error().message, "Trigger.Settings.cron: Can not be empty");
}

TEST(Retention, APolicyPrintsAsItWasGiven) {
  auto policy = parse(policy_text({rule("latestPushedK", 3, "v*")}, "0 0 0 * * *"));
  ASSERT_TRUE(policy);
  EXPECT_EQ(policy->project_id, 7);
  EXPECT_EQ(policy->cron, "0 0 0 * * *");
  auto again = parse_retention_policy(retention_policy_json(*policy));
  ASSERT_TRUE(again);
  EXPECT_EQ(boost::json::serialize(retention_policy_json(*again)),
            boost::json::serialize(retention_policy_json(*policy)));
  const auto json = retention_policy_json(*policy);
  const auto& selector = json.at("rules").at(0).at("tag_selectors").at(0);
  EXPECT_EQ(selector.at("pattern"), "v*");
  EXPECT_EQ(selector.at("extras"), "{\"untagged\":true}");
  EXPECT_EQ(json.at("rules").at(0).at("params").at("latestPushedK"), 3);
}

TEST(Retention, MetadataListsHarborsTemplatesFirst) {
  const auto metadata = retention_metadata_json();
  const auto& templates = metadata.at("templates").as_array();
  ASSERT_GE(templates.size(), 5u);
  EXPECT_EQ(templates[0].at("rule_template"), "latestPushedK");
  EXPECT_EQ(templates[1].at("rule_template"), "latestPulledN");
  EXPECT_EQ(templates[2].at("rule_template"), "nDaysSinceLastPush");
  EXPECT_EQ(templates[3].at("rule_template"), "nDaysSinceLastPull");
  EXPECT_EQ(templates[4].at("rule_template"), "always");
  EXPECT_EQ(templates[2].at("params").at(0).at("unit"), "DAYS");
  EXPECT_EQ(metadata.at("tag_selectors").at(0).at("decorations").at(1), "excludes");
}

TEST(Retention, TheTaskTableHasHarborsColumns) {
  auto candidates = kFive;
  auto verdicts = evaluate_retention(must_parse({rule("latestPushedK", 1)}), "app", candidates, kNow);
  const std::string table = retention_table(candidates, verdicts);
  EXPECT_NE(table.find("| Digest "), std::string::npos) << table;
  EXPECT_NE(table.find("| Retention |"), std::string::npos) << table;
  EXPECT_NE(table.find("| e      | latest |"), std::string::npos) << table;
  EXPECT_NE(table.find("2027/01/14 08:00:00"), std::string::npos) << "e was pushed a day before the clock\n"
                                                                  << table;
  EXPECT_NE(table.find("RETAIN"), std::string::npos);
  EXPECT_NE(table.find("DEL"), std::string::npos);
}

}  // namespace
}  // namespace berth::policy
