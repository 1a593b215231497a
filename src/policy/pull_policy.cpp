#include "policy/pull_policy.h"

#include <algorithm>
#include <set>

namespace berth::policy {
using vulndb::Severity;

namespace {

bool is_true(const std::map<std::string, std::string>& metadata, const std::string& key) {
  auto it = metadata.find(key);
  return it != metadata.end() && it->second == "true";
}

// Harbor writes the threshold capitalised in its message: "High".
std::string title_case(Severity s) {
  std::string name(vulndb::severity_name(s));
  for (std::size_t i = 1; i < name.size(); ++i) name[i] = static_cast<char>(std::tolower(name[i]));
  return name;
}

}  // namespace

PullPolicy pull_policy_from(const std::map<std::string, std::string>& metadata,
                            std::vector<std::string> allowlist) {
  PullPolicy policy;
  policy.prevent_vulnerable = is_true(metadata, "prevent_vul");
  policy.only_scanned = is_true(metadata, "prevent_unscanned");
  if (auto it = metadata.find("severity"); it != metadata.end()) {
    const Severity s = vulndb::severity_from_name(it->second);
    // Harbor's "none" (and anything unknown) blocks at the lowest level.
    policy.threshold = s == Severity::unknown ? Severity::low : s;
  }
  policy.allowlist = std::move(allowlist);
  return policy;
}

std::vector<std::string> effective_allowlist(const std::map<std::string, std::string>& metadata,
                                             std::vector<std::string> project_ids,
                                             std::int64_t project_expires_at,
                                             std::vector<std::string> system_ids,
                                             std::int64_t system_expires_at, std::int64_t now) {
  const bool reuse = is_true(metadata, "reuse_sys_cve_allowlist");
  std::vector<std::string> ids = reuse ? std::move(system_ids) : std::move(project_ids);
  const std::int64_t expires = reuse ? system_expires_at : project_expires_at;
  if (expires >= 0 && expires <= now) return {};
  return ids;
}

std::optional<std::string> refuse_pull(const PullPolicy& policy, const ScanState& scan) {
  if (!policy.prevent_vulnerable && !policy.only_scanned) return std::nullopt;
  if (!scan.scanned) {
    if (policy.prevent_vulnerable) {
      return "current image without vulnerability scanning cannot be pulled due to configured policy in "
             "'Prevent images with vulnerability severity of \"" +
             title_case(policy.threshold) +
             "\" or higher from running.' To continue with pull, please contact your project administrator "
             "for help.";
    }
    return "current image without vulnerability scanning cannot be pulled due to configured policy in "
           "'Only pull scanned images'. To continue with pull, please scan the image or contact your project "
           "administrator for help.";
  }
  if (!policy.prevent_vulnerable) return std::nullopt;
  const std::set<std::string> exempt(policy.allowlist.begin(), policy.allowlist.end());
  std::set<std::string> blocking;
  for (const auto& [id, severity] : scan.vulnerabilities) {
    // Unknown severities are below Low in Harbor's order, so they never reach a threshold.
    if (severity == Severity::unknown || severity < policy.threshold) continue;
    if (exempt.count(id) != 0) continue;
    blocking.insert(id);
  }
  if (blocking.empty()) return std::nullopt;
  return "current image with '" + std::to_string(blocking.size()) +
         " vulnerabilities' cannot be pulled due to configured policy in 'Prevent images with vulnerability "
         "severity of \"" +
         title_case(policy.threshold) +
         "\" or higher from running.' To continue with pull, please contact your project administrator to "
         "exempt matched vulnerabilities through configuring the CVE allowlist.";
}

}  // namespace berth::policy
