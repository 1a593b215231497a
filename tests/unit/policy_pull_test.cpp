// The pull policy decisions: threshold, allowlists and their expiry, "only scanned".
#include <gtest/gtest.h>

#include "policy/pull_policy.h"

namespace berth::policy {
namespace {

using vulndb::Severity;

ScanState scanned(std::vector<std::pair<std::string, Severity>> vulns) {
  return ScanState{true, std::move(vulns)};
}

TEST(PullPolicy, NoPolicyAllowsEverything) {
  const auto policy = pull_policy_from({{"public", "true"}}, {});
  EXPECT_FALSE(refuse_pull(policy, ScanState{}));
  EXPECT_FALSE(refuse_pull(policy, scanned({{"CVE-1", Severity::critical}})));
}

TEST(PullPolicy, ThresholdCountsVulnerabilitiesAtOrAboveIt) {
  const auto policy = pull_policy_from({{"prevent_vul", "true"}, {"severity", "high"}}, {});
  EXPECT_FALSE(refuse_pull(policy, scanned({{"CVE-1", Severity::medium}, {"CVE-2", Severity::unknown}})));
  auto refusal = refuse_pull(
      policy, scanned({{"CVE-1", Severity::high}, {"CVE-2", Severity::critical}, {"CVE-3", Severity::low}}));
  ASSERT_TRUE(refusal);
  EXPECT_NE(refusal->find("'2 vulnerabilities'"), std::string::npos) << *refusal;
  EXPECT_NE(refusal->find("severity of \"High\" or higher"), std::string::npos) << *refusal;
}

TEST(PullPolicy, AllowlistedVulnerabilitiesDoNotCount) {
  const auto policy = pull_policy_from({{"prevent_vul", "true"}, {"severity", "low"}}, {"CVE-1", "CVE-2"});
  EXPECT_FALSE(refuse_pull(policy, scanned({{"CVE-1", Severity::high}, {"CVE-2", Severity::low}})));
  EXPECT_TRUE(refuse_pull(policy, scanned({{"CVE-1", Severity::high}, {"CVE-3", Severity::low}})));
}

TEST(PullPolicy, UnscannedImagesAreRefusedUnderEitherPolicy) {
  auto vul =
      refuse_pull(pull_policy_from({{"prevent_vul", "true"}, {"severity", "critical"}}, {}), ScanState{});
  ASSERT_TRUE(vul);
  EXPECT_NE(vul->find("without vulnerability scanning"), std::string::npos);
  auto only = pull_policy_from({{"prevent_unscanned", "true"}}, {});
  EXPECT_TRUE(refuse_pull(only, ScanState{}));
  EXPECT_FALSE(refuse_pull(only, scanned({{"CVE-1", Severity::critical}})));
}

TEST(PullPolicy, EffectiveAllowlistHonoursReuseAndExpiry) {
  const std::int64_t now = 1'000'000;
  EXPECT_EQ(effective_allowlist({}, {"P"}, -1, {"S"}, -1, now), std::vector<std::string>{"P"});
  EXPECT_EQ(effective_allowlist({{"reuse_sys_cve_allowlist", "true"}}, {"P"}, -1, {"S"}, -1, now),
            std::vector<std::string>{"S"});
  EXPECT_TRUE(effective_allowlist({}, {"P"}, now - 1, {"S"}, -1, now).empty());
  EXPECT_EQ(effective_allowlist({}, {"P"}, now + 60, {"S"}, -1, now), std::vector<std::string>{"P"});
  EXPECT_TRUE(effective_allowlist({{"reuse_sys_cve_allowlist", "true"}}, {"P"}, -1, {"S"}, now, now).empty());
}

}  // namespace
}  // namespace berth::policy
