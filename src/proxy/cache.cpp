#include "proxy/cache.h"

#include "base/log.h"
#include "oci/manifest.h"
#include "oci/names.h"

namespace berth::proxy {
namespace {

using berth::oci::ErrorCode;

constexpr int kMaxDepth = 4;

berth::oci::Error upstream_error(ErrorCode missing, const std::string& what, const base::Error& error) {
  if (error.code == base::Errc::not_found)
    return berth::oci::make_error(missing, what + " is not at the upstream");
  if (error.code == base::Errc::corrupt)
    return berth::oci::make_error(ErrorCode::digest_invalid, error.message);
  return berth::oci::make_error(ErrorCode::unavailable, what + " is not cached and the upstream failed",
                                error.message);
}

}  // namespace

// A client of an upstream, returned to the pool when done.
class Cache::Lease {
 public:
  Lease(Cache& cache, std::int64_t registry_id, std::unique_ptr<remote::RegistryClient> client)
      : cache_(cache), registry_id_(registry_id), client_(std::move(client)) {}
  ~Lease() {
    if (client_) cache_.give_back(registry_id_, std::move(client_));
  }
  remote::RegistryClient* operator->() { return client_.get(); }

 private:
  Cache& cache_;
  std::int64_t registry_id_;
  std::unique_ptr<remote::RegistryClient> client_;
};

Cache::Cache(registry::Registry& registry, replication::Registries& registries, Options options)
    : registry_(registry), registries_(registries), options_(options), keeper_([this] { keeper(); }) {}

Cache::~Cache() {
  {
    std::lock_guard lock(keep_mu_);
    stopping_ = true;
  }
  keep_wake_.notify_all();
  keeper_.join();
}

void Cache::set_project(const std::string& project, std::int64_t registry_id) {
  std::unique_lock lock(projects_mu_);
  if (registry_id == 0) {
    projects_.erase(project);
  } else {
    projects_[project] = registry_id;
  }
  any_.store(!projects_.empty(), std::memory_order_release);
}

bool Cache::proxied(std::string_view repository) const {
  const auto slash = repository.find('/');
  if (slash == std::string_view::npos || !any_.load(std::memory_order_acquire)) return false;
  std::shared_lock lock(projects_mu_);
  return projects_.find(repository.substr(0, slash)) != projects_.end();
}

std::optional<std::string> Cache::project_of(std::int64_t registry_id) const {
  std::shared_lock lock(projects_mu_);
  for (const auto& [project, id] : projects_)
    if (id == registry_id) return project;
  return std::nullopt;
}

std::optional<Cache::Upstream> Cache::upstream_of(const std::string& repository) const {
  const auto slash = repository.find('/');
  if (slash == std::string::npos) return std::nullopt;
  std::int64_t id = 0;
  {
    std::shared_lock lock(projects_mu_);
    auto it = projects_.find(std::string_view(repository).substr(0, slash));
    if (it == projects_.end()) return std::nullopt;
    id = it->second;
  }
  Upstream out{id, repository.substr(slash + 1)};
  // Docker Hub's official images are named without "library/".
  if (out.repository.find('/') == std::string::npos) {
    auto record = registries_.get(id);
    if (record && *record && (*record)->type == "docker-hub") out.repository = "library/" + out.repository;
  }
  return out;
}

base::Result<std::unique_ptr<remote::RegistryClient>> Cache::take_client(std::int64_t registry_id) {
  {
    std::lock_guard lock(clients_mu_);
    auto& idle = idle_[registry_id];
    if (!idle.empty()) {
      auto client = std::move(idle.back());
      idle.pop_back();
      return client;
    }
  }
  auto endpoint = registries_.endpoint(registry_id);
  if (!endpoint) return std::move(endpoint).error();
  remote::ClientOptions options;
  options.connect_timeout = options_.connect_timeout;
  options.request_timeout = options_.check_timeout;
  options.stall_timeout = options_.stall_timeout;
  auto client = remote::RegistryClient::open(std::move(*endpoint), options);
  if (!client) return std::move(client).error();
  return std::make_unique<remote::RegistryClient>(std::move(*client));
}

void Cache::give_back(std::int64_t registry_id, std::unique_ptr<remote::RegistryClient> client) {
  std::lock_guard lock(clients_mu_);
  auto& idle = idle_[registry_id];
  if (idle.size() < 16) idle.push_back(std::move(client));
}

registry::Result<registry::ManifestContent> Cache::manifest(const std::string& repository,
                                                            const std::string& reference) {
  auto upstream = upstream_of(repository);
  if (!upstream) return registry_.get_manifest(repository, reference);
  const bool by_digest = berth::oci::looks_like_digest(reference);
  if (by_digest) {
    if (auto kept = registry_.get_manifest(repository, reference)) return kept;
  }
  auto taken = take_client(upstream->registry_id);
  if (!taken) {
    if (auto kept = registry_.get_manifest(repository, reference)) return kept;
    return upstream_error(ErrorCode::manifest_unknown, repository + ":" + reference, taken.error());
  }
  Lease client(*this, upstream->registry_id, std::move(*taken));
  if (!by_digest) {
    auto head = client->head_manifest(upstream->repository, reference);
    if (!head || !*head) {
      // The upstream failed or no longer has the tag: what is kept stands in for it.
      if (auto kept = registry_.get_manifest(repository, reference)) {
        if (!head)
          BERTH_LOG_INFO("proxy {}:{}: upstream failed ({}); serving the cached copy", repository, reference,
                         head.error().message);
        return kept;
      }
      if (!head)
        return upstream_error(ErrorCode::manifest_unknown, repository + ":" + reference, head.error());
      return berth::oci::make_error(ErrorCode::manifest_unknown,
                                    repository + ":" + reference + " is not at the upstream");
    }
    if (!(*head)->digest.empty()) {
      if (auto kept = registry_.get_manifest(repository, (*head)->digest)) {
        auto tagged = registry_.get_manifest(repository, reference);
        if (!tagged || tagged->digest != kept->digest) {
          remote::RemoteManifest moved{*kept->body, kept->media_type, kept->digest};
          queue_keep(Keep{repository, reference, std::move(moved)});
        }
        return kept;
      }
    }
  }
  auto fetched = client->get_manifest(upstream->repository, reference);
  if (!fetched) {
    if (auto kept = registry_.get_manifest(repository, reference)) return kept;
    return upstream_error(ErrorCode::manifest_unknown, repository + ":" + reference, fetched.error());
  }
  registry::ManifestContent out;
  out.digest = fetched->digest;
  out.media_type = fetched->media_type;
  out.body = std::make_shared<const std::string>(fetched->bytes);
  queue_keep(Keep{repository, by_digest ? std::string() : reference, std::move(*fetched)});
  return out;
}

registry::Status Cache::fetch_blob(const std::string& repository, const std::string& digest) {
  auto upstream = upstream_of(repository);
  if (!upstream) return berth::oci::make_error(ErrorCode::blob_unknown, "blob unknown to registry");
  const std::string key = repository + "@" + digest;
  {
    std::unique_lock lock(fetch_mu_);
    if (fetching_.contains(key)) {
      // Another request is fetching it: wait for that one, then look again.
      fetch_done_.wait(lock, [&] { return !fetching_.contains(key); });
      lock.unlock();
      if (registry_.stat_blob(repository, digest)) return {};
      return berth::oci::make_error(ErrorCode::unavailable, "the upstream fetch of " + digest + " failed");
    }
    fetching_[key] = 1;
  }
  auto done = [&] {
    {
      std::lock_guard lock(fetch_mu_);
      fetching_.erase(key);
    }
    fetch_done_.notify_all();
  };
  if (registry_.stat_blob(repository, digest)) {
    done();
    return {};
  }
  registry::Status result = [&]() -> registry::Status {
    auto taken = take_client(upstream->registry_id);
    if (!taken) return upstream_error(ErrorCode::blob_unknown, "blob " + digest, taken.error());
    Lease client(*this, upstream->registry_id, std::move(*taken));
    auto lease = registry_.start_upload(repository);
    if (!lease) return lease.error();
    bool write_failed = false;
    auto streamed = client->stream_blob(upstream->repository, digest, [&](std::string_view data) {
      if (!lease->append(data)) {
        write_failed = true;
        return false;
      }
      return true;
    });
    if (!streamed) {
      registry_.abandon_upload(std::move(*lease));
      if (write_failed)
        return berth::oci::make_error(ErrorCode::blob_upload_invalid, "cannot store " + digest);
      return upstream_error(ErrorCode::blob_unknown, "blob " + digest, streamed.error());
    }
    auto completed = registry_.complete_upload(std::move(*lease), digest);
    if (!completed) return completed.error();
    return {};
  }();
  done();
  return result;
}

void Cache::queue_keep(Keep keep) {
  {
    std::lock_guard lock(keep_mu_);
    if (keeps_.size() >= options_.max_pending_keeps) return;  // a later pull queues it again
    keeps_.push_back(std::move(keep));
  }
  keep_wake_.notify_one();
}

void Cache::drain() {
  std::unique_lock lock(keep_mu_);
  keep_idle_.wait(lock, [&] { return keeps_.empty() && !keeping_; });
}

void Cache::keeper() {
  std::unique_lock lock(keep_mu_);
  for (;;) {
    keep_wake_.wait(lock, [&] { return stopping_ || !keeps_.empty(); });
    if (stopping_) return;
    Keep keep = std::move(keeps_.front());
    keeps_.pop_front();
    keeping_ = true;
    lock.unlock();
    if (auto s = store(keep); !s)
      BERTH_LOG_WARN("proxy: cannot keep {}@{}: {}", keep.repository, keep.manifest.digest,
                     s.error().message);
    lock.lock();
    keeping_ = false;
    if (keeps_.empty()) keep_idle_.notify_all();
  }
}

base::Status Cache::store(const Keep& keep) {
  auto upstream = upstream_of(keep.repository);
  if (!upstream) return {};  // no longer a proxy project
  if (auto s = store_manifest(keep.repository, *upstream, keep.manifest, 0); !s) return s;
  if (!keep.tag.empty()) {
    auto tagged =
        registry_.put_manifest(keep.repository, keep.tag, keep.manifest.media_type, keep.manifest.bytes);
    if (!tagged) return base::make_error(base::Errc::unavailable, tagged.error().message);
  }
  return {};
}

base::Status Cache::store_manifest(const std::string& repository, const Upstream& upstream,
                                   const remote::RemoteManifest& manifest, int depth) {
  if (registry_.get_manifest(repository, manifest.digest)) return {};
  if (depth > kMaxDepth) return base::make_error(base::Errc::invalid_argument, "manifests nested too deep");
  auto parsed = berth::oci::parse_manifest(manifest.bytes, manifest.media_type);
  if (!parsed) return base::make_error(base::Errc::invalid_argument, parsed.error().message);
  for (const auto& child : parsed->manifests) {
    if (registry_.get_manifest(repository, child.digest.str())) continue;
    auto taken = take_client(upstream.registry_id);
    if (!taken) return taken.error();
    Lease client(*this, upstream.registry_id, std::move(*taken));
    auto fetched = client->get_manifest(upstream.repository, child.digest.str());
    if (!fetched) return fetched.error();
    if (auto s = store_manifest(repository, upstream, *fetched, depth + 1); !s) return s;
  }
  for (const auto& blob : parsed->blob_references()) {
    if (auto s = fetch_blob(repository, blob.digest.str()); !s)
      return base::make_error(base::Errc::unavailable, s.error().message);
  }
  auto stored = registry_.put_manifest(repository, manifest.digest, manifest.media_type, manifest.bytes);
  if (!stored) return base::make_error(base::Errc::unavailable, stored.error().message);
  return {};
}

}  // namespace berth::proxy
