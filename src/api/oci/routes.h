// The OCI distribution API (/v2/...) as an http::Handler over a registry::Registry.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "api/auth/authenticate.h"
#include "events/activity.h"
#include "http/exchange.h"
#include "policy/pull_gate.h"
#include "registry/registry.h"

namespace berth::api::oci {

struct Options {
  // Largest number of entries a tags or catalog page returns when the client asks for
  // more (or gives no n).
  std::size_t max_page_size = 10000;
  // Pull policy. `pull_policy_may_apply` is asked first, on the connection's thread, and must
  // answer from memory; when it says yes, `pull_gate` is asked on the blocking pool and returns
  // a refusal message (answered 412 PROJECTPOLICYVIOLATION, as Harbor does) or nothing. GET and
  // HEAD of a manifest; unset = no policy.
  std::function<bool(const std::string& repository)> pull_policy_may_apply;
  std::function<std::optional<std::string>(const policy::PullCheck& pull)> pull_gate;
  // Told (on the blocking pool) after a manifest was stored under `reference` (a tag or its
  // digest): scan on push, event-based replication.
  std::function<void(const std::string& repository, const std::string& digest, const std::string& reference)>
      on_manifest_pushed;
  // Told (on the blocking pool) after a manifest was deleted by digest: replication of deletions.
  std::function<void(const std::string& repository, const std::string& digest)> on_manifest_deleted;
  // Proxy-cache projects: `proxied` answers from memory whether a repository is in one. Pulls
  // there take their manifest from `proxy_manifest`, a blob not kept is first fetched by
  // `proxy_blob` (both blocking), and pushes are refused. Unset = no proxy projects.
  std::function<bool(const std::string& repository)> proxied;
  std::function<registry::Result<registry::ManifestContent>(const std::string& repository,
                                                            const std::string& reference)>
      proxy_manifest;
  std::function<registry::Status(const std::string& repository, const std::string& digest)> proxy_blob;
  // Told on the connection's thread (so it must not block) of every manifest push, pull (GET)
  // and delete: `type` is PUSH_ARTIFACT, PULL_ARTIFACT or DELETE_ARTIFACT; `tag` is "" for a
  // reference by digest. Webhooks.
  std::function<void(const char* type, const std::string& repository, const std::string& digest,
                     const std::string& tag, const std::string& operator_name)>
      on_artifact_event;
};

// Serves every /v2/ route of the distribution spec, each request authorized by `auth`
// (anonymous, basic or bearer). Pushes, pulls and deletes of manifests are audited and
// pulls counted through `activity`. The arguments must outlive the handler.
http::Handler make_handler(registry::Registry& registry, auth::Authenticator& auth,
                           events::Activity& activity, Options options);

}  // namespace berth::api::oci
