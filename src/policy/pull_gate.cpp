#include "policy/pull_gate.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <chrono>

#include "base/log.h"
#include "policy/pull_policy.h"

namespace berth::policy {

namespace {

std::string_view project_of(std::string_view repository) {
  return repository.substr(0, repository.find('/'));
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// [[id, "HIGH"], ...] as stored with a scan result.
std::vector<std::pair<std::string, vulndb::Severity>> decode(const std::string& text) {
  std::vector<std::pair<std::string, vulndb::Severity>> out;
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec || !v.is_array()) return out;
  for (const auto& item : v.get_array()) {
    if (!item.is_array() || item.get_array().size() != 2) continue;
    const auto& pair = item.get_array();
    if (!pair[0].is_string() || !pair[1].is_string()) continue;
    out.emplace_back(std::string(pair[0].get_string()), vulndb::severity_from_name(pair[1].get_string()));
  }
  return out;
}

}  // namespace

namespace {

bool has_scan_policy(const std::map<std::string, std::string>& metadata) {
  for (const char* key : {"prevent_vul", "prevent_unscanned"}) {
    auto it = metadata.find(key);
    if (it != metadata.end() && it->second == "true") return true;
  }
  return false;
}

}  // namespace

bool has_pull_policy(const std::map<std::string, std::string>& metadata) {
  return has_scan_policy(metadata) || SignatureGate::required(metadata);
}

bool PullGate::may_apply(std::string_view repository) {
  bool applies = true;  // not in memory: ask the database
  iam_.visit_cached_project(project_of(repository), [&](const meta::Project* project) {
    // No such project: the pull fails anyway.
    applies = project != nullptr && has_pull_policy(project->metadata);
  });
  return applies;
}

std::optional<std::string> PullGate::check(const PullCheck& pull) {
  const std::string& repository = pull.repository;
  const std::string& digest = pull.digest;
  auto project = iam_.project(project_of(repository));
  if (!project || !has_pull_policy(project->metadata)) return std::nullopt;
  if (signatures_ != nullptr && !pull.signer) {
    if (auto refused = signatures_->check(*project, repository, digest)) return refused;
  }
  if (pull.head || !has_scan_policy(project->metadata)) return std::nullopt;
  auto own = scans_.get_allowlist(project->id);
  auto system = scans_.get_allowlist(0);
  if (!own || !system) {
    BERTH_LOG_WARN("pull policy: cannot read the CVE allowlists: {}",
                   (!own ? own.error() : system.error()).message);
    return std::string("the pull policy of project ") + project->name + " cannot be checked now";
  }
  const auto allowlist = effective_allowlist(project->metadata, own->cve_ids, own->expires_at,
                                             system->cve_ids, system->expires_at, now_seconds());
  const PullPolicy policy = pull_policy_from(project->metadata, allowlist);
  ScanState state;
  auto record = scans_.get_scan(digest, meta::ScanDetail::overview);
  if (!record) {
    BERTH_LOG_WARN("pull policy: cannot read the scan of {}: {}", digest, record.error().message);
    return std::string("the pull policy of project ") + project->name + " cannot be checked now";
  }
  if (*record && (*record)->status == "Success") {
    state.scanned = true;
    state.vulnerabilities = decode((*record)->vulnerabilities);
  }
  return refuse_pull(policy, state);
}

}  // namespace berth::policy
