// proxy::Cache: proxy-cache projects (Harbor: a project created with a registry_id). A pull of
// <project>/<repo> is answered from the upstream registry and kept here; later pulls are served
// from what is kept.
//
// - A pull by tag asks the upstream for the tag's digest (a HEAD, with a short timeout). When
//   that digest is kept here, the kept manifest is served (and the tag moved to it); when it is
//   not, the upstream manifest is served as it came, and a keeper thread stores it with every
//   blob and child manifest it needs. When the upstream fails (unreachable, 5xx, 429, a timeout)
//   the kept tag is served, so an outage or a rate limit upstream is not one here.
// - A pull by digest is served from here when kept (content addressing makes a check useless),
//   else from the upstream, and kept.
// - A blob that is not kept is fetched from the upstream into the store before it is served; the
//   same blob asked for by many clients at once is fetched once (the others wait for it).
// - Docker Hub's official images are named without "library/": <project>/nginx pulls
//   library/nginx.
// Pushes into a proxy project are refused by the OCI API (see api/oci).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "registry/registry.h"
#include "remote/registry_client.h"
#include "replication/registries.h"

namespace berth::proxy {

struct Options {
  std::chrono::seconds connect_timeout{3};
  std::chrono::seconds check_timeout{10};  // the upstream check of a tag, and manifests
  std::chrono::seconds stall_timeout{60};  // a blob download that makes no progress this long fails
  std::size_t max_pending_keeps = 1000;    // manifests waiting to be stored; more are dropped
};

class Cache {
 public:
  Cache(registry::Registry& registry, replication::Registries& registries, Options options = {});
  ~Cache();
  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;

  // Marks `project` a proxy of registry `registry_id` (0: an ordinary project again).
  void set_project(const std::string& project, std::int64_t registry_id);
  // True when `repository` is in a proxy project. From memory; without a lock while there is
  // no proxy project.
  bool proxied(std::string_view repository) const;
  // A proxy project of registry `registry_id`, if any.
  std::optional<std::string> project_of(std::int64_t registry_id) const;

  // The manifest to answer a pull with. Blocking. Errors: MANIFEST_UNKNOWN (neither kept nor
  // upstream), UNAVAILABLE (not kept, and the upstream failed), DIGEST_INVALID.
  registry::Result<registry::ManifestContent> manifest(const std::string& repository,
                                                       const std::string& reference);
  // Makes sure the blob is kept, fetching it from the upstream once however many ask. Blocking.
  // Errors: BLOB_UNKNOWN (the upstream does not have it), UNAVAILABLE.
  registry::Status fetch_blob(const std::string& repository, const std::string& digest);

  // Waits until every manifest queued for keeping so far is stored (tests, shutdown).
  void drain();

 private:
  struct Upstream {
    std::int64_t registry_id = 0;
    std::string repository;  // at the upstream
  };
  struct Keep {
    std::string repository;
    std::string tag;  // "" when pulled by digest
    remote::RemoteManifest manifest;
  };
  class Lease;

  // The upstream registry and repository of `repository` (Docker Hub's "library/" filled in).
  std::optional<Upstream> upstream_of(const std::string& repository) const;
  base::Result<std::unique_ptr<remote::RegistryClient>> take_client(std::int64_t registry_id);
  void give_back(std::int64_t registry_id, std::unique_ptr<remote::RegistryClient> client);
  void queue_keep(Keep keep);
  void keeper();
  base::Status store(const Keep& keep);
  base::Status store_manifest(const std::string& repository, const Upstream& upstream,
                              const remote::RemoteManifest& manifest, int depth);

  registry::Registry& registry_;
  replication::Registries& registries_;
  Options options_;

  mutable std::shared_mutex projects_mu_;
  std::map<std::string, std::int64_t, std::less<>> projects_;  // proxy project -> registry id
  std::atomic<bool> any_{false};                               // projects_ is not empty

  std::mutex clients_mu_;
  std::map<std::int64_t, std::vector<std::unique_ptr<remote::RegistryClient>>> idle_;

  std::mutex fetch_mu_;
  std::condition_variable fetch_done_;
  std::map<std::string, int> fetching_;  // "<repository>@<digest>" being fetched -> waiters

  std::mutex keep_mu_;
  std::condition_variable keep_wake_;
  std::condition_variable keep_idle_;
  std::deque<Keep> keeps_;
  bool keeping_ = false;
  bool stopping_ = false;
  std::thread keeper_;
};

}  // namespace berth::proxy
