// The registry's pull gate: reads a project's pull policies (vulnerabilities, scanned-only,
// cosign signatures) and decides whether a manifest GET or HEAD may be answered.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "iam/service.h"
#include "meta/scan_database.h"
#include "policy/signature_gate.h"

namespace berth::policy {

// A manifest pull to decide on.
struct PullCheck {
  std::string repository;
  std::string digest;
  bool head = false;    // HEAD: only the signature policy applies (as in Harbor)
  bool signer = false;  // cosign, by someone who may push here: exempt from the signature policy
};

class PullGate {
 public:
  // `signatures` may be null (no signature policy).
  PullGate(iam::Service& iam, meta::ScanDatabase& scans, SignatureGate* signatures)
      : iam_(iam), scans_(scans), signatures_(signatures) {}

  // From memory only: false when the repository's project is known to have no pull policy.
  bool may_apply(std::string_view repository);

  // Blocking: nothing when the pull may go ahead, else Harbor's refusal message.
  std::optional<std::string> check(const PullCheck& pull);

 private:
  iam::Service& iam_;
  meta::ScanDatabase& scans_;
  SignatureGate* signatures_;
};

// Whether project metadata turns a pull policy on (vulnerabilities, scanned-only, signatures).
bool has_pull_policy(const std::map<std::string, std::string>& metadata);

}  // namespace berth::policy
