// The project policies that can refuse a pull: "prevent vulnerable images from running"
// (with a severity threshold and CVE allowlists) and "only pull scanned images". Pure
// decisions; the caller supplies the project's settings and the artifact's scan result.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "vulndb/model.h"

namespace berth::policy {

struct PullPolicy {
  bool prevent_vulnerable = false;                     // project metadata prevent_vul
  vulndb::Severity threshold = vulndb::Severity::low;  // metadata severity: refused at or above it
  bool only_scanned = false;                           // metadata prevent_unscanned (Berth's)
  std::vector<std::string>
      allowlist;  // the CVE ids exempted (already resolved: project or system, unexpired)
};

// Builds the policy from a project's metadata ("prevent_vul", "severity", "prevent_unscanned")
// and its effective allowlist.
PullPolicy pull_policy_from(const std::map<std::string, std::string>& metadata,
                            std::vector<std::string> allowlist);

// The effective allowlist: the system's when the project reuses it (reuse_sys_cve_allowlist),
// else the project's own; an expired list (expires_at in unix seconds, -1 = never) is empty.
std::vector<std::string> effective_allowlist(const std::map<std::string, std::string>& metadata,
                                             std::vector<std::string> project_ids,
                                             std::int64_t project_expires_at,
                                             std::vector<std::string> system_ids,
                                             std::int64_t system_expires_at, std::int64_t now);

// What is known of the artifact's scan.
struct ScanState {
  bool scanned = false;                                                   // a successful scan exists
  std::vector<std::pair<std::string, vulndb::Severity>> vulnerabilities;  // (id, severity)
};

// Nothing when the pull may go ahead, else the message to refuse it with (Harbor's words).
std::optional<std::string> refuse_pull(const PullPolicy& policy, const ScanState& scan);

}  // namespace berth::policy
