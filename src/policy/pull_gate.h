// The registry's pull gate: reads a project's pull policy and an artifact's scan result and
// decides (policy/pull_policy.h) whether a manifest GET may be answered.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "iam/service.h"
#include "meta/scan_database.h"

namespace berth::policy {

class PullGate {
 public:
  PullGate(iam::Service& iam, meta::ScanDatabase& scans) : iam_(iam), scans_(scans) {}

  // From memory only: false when the repository's project is known to have no pull policy.
  bool may_apply(std::string_view repository);

  // Blocking: nothing when the pull may go ahead, else Harbor's refusal message.
  std::optional<std::string> check(const std::string& repository, const std::string& digest);

 private:
  iam::Service& iam_;
  meta::ScanDatabase& scans_;
};

// Whether project metadata turns a pull policy on.
bool has_pull_policy(const std::map<std::string, std::string>& metadata);

}  // namespace berth::policy
