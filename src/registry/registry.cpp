#include "registry/registry.h"

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>

#include "base/log.h"
#include "base/random.h"
#include "oci/artifact.h"
#include "oci/names.h"

namespace berth::registry {

using oci::ErrorCode;
using oci::make_error;

struct UploadLease::State {
  std::string id;
  std::string repository;
  std::unique_ptr<blob::Upload> upload;
  std::atomic<bool> leased{false};
};

UploadLease::~UploadLease() {
  if (state_) state_->leased.store(false);
}
UploadLease& UploadLease::operator=(UploadLease&& other) noexcept {
  if (this != &other) {
    if (state_) state_->leased.store(false);
    state_ = std::move(other.state_);
  }
  return *this;
}
const std::string& UploadLease::id() const {
  return state_->id;
}
const std::string& UploadLease::repository() const {
  return state_->repository;
}
std::uint64_t UploadLease::size() const {
  return state_->upload->size();
}

Status UploadLease::append(std::string_view data) {
  auto status = state_->upload->append(data);
  if (!status)
    return make_error(ErrorCode::blob_upload_invalid, "writing upload data failed", status.error().message);
  return {};
}

namespace {

std::string link_key(const std::string& repository, const oci::Digest& digest) {
  return repository + '@' + digest.str();
}
std::string manifest_key(const std::string& repository, const std::string& digest) {
  return repository + '@' + digest;
}
std::string tag_key(const std::string& repository, std::string_view tag) {
  std::string key = repository;
  key += ':';
  key += tag;
  return key;
}

oci::Error internal(std::string_view what, const base::Error& error) {
  BERTH_LOG_ERROR("{}: {}", what, error.message);
  return make_error(ErrorCode::internal, std::string(what));
}

// Upload ids are UUIDs; anything else cannot name an upload of ours.
bool plausible_upload_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string annotations_json(const std::map<std::string, std::string>& annotations) {
  if (annotations.empty()) return {};
  boost::json::object object;
  for (const auto& [key, value] : annotations) object[key] = value;
  return boost::json::serialize(object);
}

}  // namespace

Registry::Registry(blob::Store& blobs, meta::Database& metadata, Options options)
    : blobs_(blobs),
      meta_(metadata),
      options_(options),
      manifests_(options.manifest_cache_bytes),
      tags_(options.manifest_cache_bytes / 16 + 1),
      links_(options.link_cache_entries) {}

Registry::~Registry() = default;

std::uint64_t Registry::cache_generation() {
  std::lock_guard lock(cache_mutex_);
  return generation_;
}

base::Status Registry::recover() {
  // Deletions garbage collection began: the rows are gone, the files may not be.
  auto doomed = meta_.doomed_blobs();
  if (!doomed) return doomed.error();
  std::vector<std::string> removed;
  for (const auto& text : *doomed) {
    auto digest = oci::Digest::parse(text);
    if (digest) {
      if (auto gone = blobs_.remove(*digest); !gone) return gone.error();
    }
    removed.push_back(text);
  }
  if (auto forgotten = meta_.forget_doomed(removed); !forgotten) return forgotten.error();
  if (!removed.empty())
    BERTH_LOG_INFO("finished deleting {} blob(s) an interrupted garbage collection left", removed.size());
  auto pending = meta_.take_pending_blobs();
  if (!pending) return pending.error();
  for (const auto& text : *pending) {
    auto digest = oci::Digest::parse(text);
    if (!digest) continue;
    auto size = blobs_.stat(*digest);
    if (!size) continue;  // the crash came before the rename: nothing was stored
    if (auto added = meta_.add_blob(text, static_cast<std::int64_t>(*size)); !added) return added.error();
    BERTH_LOG_INFO("recovered blob {} left by an interrupted commit", text);
  }
  return {};
}

Status Registry::check_name(std::string_view repository) {
  if (!oci::valid_repository_name(repository))
    return make_error(ErrorCode::name_invalid, "invalid repository name", std::string(repository));
  return {};
}

Result<oci::Digest> Registry::parse_digest(std::string_view text) const {
  auto digest = oci::Digest::parse(text);
  if (digest) return std::move(digest).value();
  if (digest.error().code == base::Errc::unsupported)
    return make_error(ErrorCode::unsupported, "unsupported digest algorithm", std::string(text));
  return make_error(ErrorCode::digest_invalid, "invalid digest", std::string(text));
}

// --- blobs ---------------------------------------------------------------------

std::optional<BlobInfo> Registry::cached_blob(const std::string& repository, const oci::Digest& digest) {
  if (auto size = links_.get(link_key(repository, digest))) return BlobInfo{digest, *size};
  return std::nullopt;
}

Result<BlobInfo> Registry::stat_blob(const std::string& repository, std::string_view digest_text) {
  auto digest = parse_digest(digest_text);
  if (!digest) return std::move(digest).error();
  if (auto hit = cached_blob(repository, *digest)) return *hit;
  const std::uint64_t generation = cache_generation();
  auto size = meta_.linked_blob_size(repository, digest->str());
  if (!size) return internal("looking up a blob failed", size.error());
  if (!size->has_value())
    return make_error(ErrorCode::blob_unknown, "blob unknown to registry", digest->str());
  auto bytes = static_cast<std::uint64_t>(**size);
  fill_cache(generation, [&] { links_.put(link_key(repository, *digest), bytes, 1); });
  return BlobInfo{*digest, bytes};
}

Result<blob::BlobReader> Registry::open_blob(const std::string& repository, const oci::Digest& digest) {
  auto info = stat_blob(repository, digest.str());
  if (!info) return std::move(info).error();
  auto reader = blobs_.open(digest);
  if (!reader) {
    if (reader.error().code == base::Errc::not_found)
      return make_error(ErrorCode::blob_unknown, "blob content is missing", digest.str());
    return internal("opening a blob failed", reader.error());
  }
  return std::move(reader).value();
}

Status Registry::delete_blob(const std::string& repository, std::string_view digest_text) {
  auto digest = parse_digest(digest_text);
  if (!digest) return std::move(digest).error();
  auto removed = meta_.unlink_blob(repository, digest->str());
  invalidate([&] { links_.erase(link_key(repository, *digest)); });
  if (!removed) {
    if (removed.error().code == base::Errc::not_found)
      return make_error(ErrorCode::blob_unknown, "blob unknown to registry", digest->str());
    return internal("deleting a blob failed", removed.error());
  }
  return {};
}

// --- uploads -------------------------------------------------------------------

Result<UploadLease> Registry::start_upload(const std::string& repository) {
  {
    std::lock_guard lock(uploads_mutex_);
    if (open_uploads_.size() >= options_.max_open_uploads)
      return make_error(ErrorCode::too_many_requests, "too many uploads in progress; finish or cancel some");
  }
  auto state = std::make_shared<UploadLease::State>();
  state->id = base::random_uuid();
  state->repository = repository;
  auto upload = blobs_.create_upload(state->id);
  if (!upload) return internal("creating an upload failed", upload.error());
  state->upload = std::move(upload).value();
  auto recorded =
      meta_.create_upload(meta::UploadRecord{state->id, repository, std::chrono::system_clock::now()});
  if (!recorded) {
    (void)blobs_.remove_upload(state->id);
    return internal("recording an upload failed", recorded.error());
  }
  state->leased.store(true);
  {
    std::lock_guard lock(uploads_mutex_);
    open_uploads_[state->id] = state;
  }
  UploadLease lease;
  lease.state_ = std::move(state);
  return lease;
}

Result<UploadLease> Registry::lease_upload(const std::string& repository, std::string_view id_text) {
  auto unknown = [&] {
    return make_error(ErrorCode::blob_upload_unknown, "blob upload unknown to registry");
  };
  auto busy = [&] {
    return make_error(ErrorCode::blob_upload_invalid, "another request is writing to this upload");
  };
  if (!plausible_upload_id(id_text)) return unknown();
  std::string id(id_text);
  UploadLease lease;
  {
    // The lease is taken under the same lock under which purge_uploads decides what to
    // remove, so an upload is never purged while someone holds it.
    std::lock_guard lock(uploads_mutex_);
    if (auto it = open_uploads_.find(id); it != open_uploads_.end()) {
      if (it->second->repository != repository) return unknown();
      if (it->second->leased.exchange(true)) return busy();
      lease.state_ = it->second;
      return lease;
    }
  }
  // Not in memory: an upload begun before a restart, or one that does not exist.
  auto record = meta_.get_upload(id);
  if (!record) return internal("looking up an upload failed", record.error());
  if (!record->has_value() || (*record)->repository != repository) return unknown();
  auto upload = blobs_.open_upload(id);
  if (!upload) {
    if (upload.error().code == base::Errc::not_found) return unknown();
    return internal("reopening an upload failed", upload.error());
  }
  auto fresh = std::make_shared<UploadLease::State>();
  fresh->id = id;
  fresh->repository = repository;
  fresh->upload = std::move(upload).value();
  std::lock_guard lock(uploads_mutex_);
  auto [it, inserted] = open_uploads_.emplace(id, fresh);
  if (inserted) {
    // A purge may have removed the upload while it was being reopened.
    auto still = meta_.get_upload(id);
    if (!still || !still->has_value()) {
      open_uploads_.erase(it);
      return unknown();
    }
  }
  if (it->second->repository != repository) return unknown();
  if (it->second->leased.exchange(true)) return busy();
  lease.state_ = it->second;
  return lease;
}

Result<std::uint64_t> Registry::upload_size(const std::string& repository, std::string_view id_text) {
  auto unknown = [&] {
    return make_error(ErrorCode::blob_upload_unknown, "blob upload unknown to registry");
  };
  if (!plausible_upload_id(id_text)) return unknown();
  std::string id(id_text);
  {
    std::lock_guard lock(uploads_mutex_);
    if (auto it = open_uploads_.find(id); it != open_uploads_.end()) {
      if (it->second->repository != repository) return unknown();
      return it->second->upload->size();  // safe while another request appends
    }
  }
  // Not in memory (begun before a restart): the size is the length of the data on disk.
  auto record = meta_.get_upload(id);
  if (!record) return internal("looking up an upload failed", record.error());
  if (!record->has_value() || (*record)->repository != repository) return unknown();
  auto uploads = blobs_.list_uploads();
  if (!uploads) return internal("listing uploads failed", uploads.error());
  for (const auto& info : *uploads)
    if (info.id == id) return info.size;
  return unknown();
}

Result<BlobInfo> Registry::complete_upload(UploadLease lease, std::string_view digest_text) {
  auto state = lease.state_;
  auto forget = [&] {
    std::lock_guard lock(uploads_mutex_);
    open_uploads_.erase(state->id);
  };
  auto digest = parse_digest(digest_text);
  if (!digest) {
    (void)blobs_.remove_upload(state->id);
    (void)meta_.delete_upload(state->id);
    forget();
    return std::move(digest).error();
  }
  const std::uint64_t size = state->upload->size();
  if (auto room = check_blob_headroom(state->repository, *digest, size); !room) {
    state->upload.reset();
    (void)blobs_.remove_upload(state->id);
    (void)meta_.delete_upload(state->id);
    forget();
    return std::move(room).error();
  }
  if (auto pending = begin_blob(digest->str()); !pending) return std::move(pending).error();
  auto committed = state->upload->commit(*digest);
  if (!committed) {
    forget();
    (void)meta_.delete_upload(state->id);
    (void)meta_.settle_blob(digest->str(), std::nullopt);
    if (committed.error().code == base::Errc::invalid_argument)
      return make_error(ErrorCode::digest_invalid, "provided digest did not match uploaded content",
                        digest->str());
    return internal("storing a blob failed", committed.error());
  }
  forget();
  const std::uint64_t generation = cache_generation();
  auto recorded =
      meta_.commit_blob(state->repository, digest->str(), static_cast<std::int64_t>(size), state->id);
  if (!recorded) return internal("recording a blob failed", recorded.error());
  fill_cache(generation, [&] { links_.put(link_key(state->repository, *digest), size, 1); });
  return BlobInfo{*digest, size};
}

Status Registry::cancel_upload(const std::string& repository, std::string_view id) {
  auto lease = lease_upload(repository, id);
  if (!lease) return std::move(lease).error();
  abandon_upload(std::move(lease).value());
  return {};
}

void Registry::abandon_upload(UploadLease lease) {
  auto state = lease.state_;
  {
    std::lock_guard lock(uploads_mutex_);
    open_uploads_.erase(state->id);
  }
  state->upload.reset();
  if (auto removed = blobs_.remove_upload(state->id); !removed)
    BERTH_LOG_WARN("removing upload {} failed: {}", state->id, removed.error().message);
  if (auto removed = meta_.delete_upload(state->id); !removed)
    BERTH_LOG_WARN("forgetting upload {} failed: {}", state->id, removed.error().message);
}

std::optional<BlobInfo> Registry::mount_blob(const std::string& repository, const std::string& from,
                                             std::string_view digest_text) {
  if (!check_name(from)) return std::nullopt;
  auto info = stat_blob(from, digest_text);
  if (!info) return std::nullopt;
  const std::uint64_t generation = cache_generation();
  if (auto linked = meta_.link_blob(repository, info->digest.str()); !linked) {
    BERTH_LOG_WARN("mounting {} into {} failed: {}", info->digest.str(), repository, linked.error().message);
    return std::nullopt;
  }
  fill_cache(generation, [&] { links_.put(link_key(repository, info->digest), info->size, 1); });
  return *info;
}

std::size_t Registry::purge_uploads(std::chrono::system_clock::time_point cutoff) {
  std::size_t purged = 0;
  auto stale = meta_.uploads_started_before(cutoff);
  if (!stale) {
    BERTH_LOG_WARN("listing stale uploads failed: {}", stale.error().message);
    return 0;
  }
  // An upload counts as abandoned by its last write, not its start: a long upload that
  // is still receiving chunks is kept.
  std::unordered_map<std::string, std::chrono::system_clock::time_point> modified;
  auto files = blobs_.list_uploads();
  if (files)
    for (const auto& info : *files) modified.emplace(info.id, info.modified);
  for (const auto& record : *stale) {
    if (auto it = modified.find(record.id); it != modified.end() && it->second >= cutoff) continue;
    std::lock_guard lock(uploads_mutex_);
    if (auto it = open_uploads_.find(record.id); it != open_uploads_.end()) {
      if (it->second->leased.load()) continue;  // being written right now
      open_uploads_.erase(it);
    }
    (void)meta_.delete_upload(record.id);
    (void)blobs_.remove_upload(record.id);
    modified.erase(record.id);
    ++purged;
  }
  // Upload data with no record: left by a crash between creating the file and the row.
  if (files) {
    for (const auto& info : *files) {
      if (info.modified >= cutoff || !modified.contains(info.id)) continue;
      auto record = meta_.get_upload(info.id);
      if (record && !record->has_value()) {
        (void)blobs_.remove_upload(info.id);
        ++purged;
      }
    }
  }
  return purged;
}

// --- manifests -------------------------------------------------------------------

void Registry::cache_manifest(const std::string& repository, const ManifestContent& content) {
  manifests_.put(manifest_key(repository, content.digest), content,
                 content.body->size() + content.digest.size() + repository.size() + 64);
}

Result<std::string> Registry::resolve_reference(const std::string& repository, std::string_view reference) {
  if (oci::looks_like_digest(reference)) {
    auto digest = parse_digest(reference);
    if (!digest) return std::move(digest).error();
    return digest->str();
  }
  if (!oci::valid_tag(reference))
    return make_error(ErrorCode::manifest_unknown, "manifest unknown to registry", std::string(reference));
  if (auto hit = tags_.get(tag_key(repository, reference))) return *hit;
  const std::uint64_t generation = cache_generation();
  auto resolved = meta_.resolve_tag(repository, std::string(reference));
  if (!resolved) return internal("resolving a tag failed", resolved.error());
  if (!resolved->has_value())
    return make_error(ErrorCode::manifest_unknown, "manifest unknown to registry", std::string(reference));
  fill_cache(generation, [&] {
    tags_.put(tag_key(repository, reference), **resolved, repository.size() + reference.size() + 100);
  });
  return std::move(**resolved);
}

std::optional<ManifestContent> Registry::cached_manifest(const std::string& repository,
                                                         std::string_view reference) {
  std::string digest;
  if (oci::looks_like_digest(reference)) {
    digest = reference;
  } else if (auto hit = tags_.get(tag_key(repository, reference))) {
    digest = std::move(*hit);
  } else {
    return std::nullopt;
  }
  return manifests_.get(manifest_key(repository, digest));
}

Result<ManifestContent> Registry::get_manifest(const std::string& repository, std::string_view reference) {
  auto digest = resolve_reference(repository, reference);
  if (!digest) return std::move(digest).error();
  if (auto hit = manifests_.get(manifest_key(repository, *digest))) return *hit;
  const std::uint64_t generation = cache_generation();
  auto record = meta_.get_manifest(repository, *digest);
  if (!record) return internal("looking up a manifest failed", record.error());
  if (!record->has_value())
    return make_error(ErrorCode::manifest_unknown, "manifest unknown to registry", std::string(reference));
  auto parsed = oci::Digest::parse(*digest);
  if (!parsed) return internal("stored manifest digest is invalid", parsed.error());
  auto body = blobs_.read_all(*parsed);
  if (!body) return internal("reading a manifest failed", body.error());
  ManifestContent content{*digest, (*record)->media_type,
                          std::make_shared<const std::string>(std::move(body).value())};
  fill_cache(generation, [&] { cache_manifest(repository, content); });
  return content;
}

Result<PutManifestResult> Registry::put_manifest(const std::string& repository, std::string_view reference,
                                                 std::string_view content_type, std::string body) {
  std::string tag;
  std::optional<oci::Digest> expected;
  if (oci::looks_like_digest(reference)) {
    auto digest = parse_digest(reference);
    if (!digest) return std::move(digest).error();
    expected = std::move(digest).value();
  } else if (oci::valid_tag(reference)) {
    tag = reference;
  } else {
    return make_error(ErrorCode::tag_invalid, "invalid tag", std::string(reference));
  }

  auto manifest = oci::parse_manifest(body, content_type);
  if (!manifest) return std::move(manifest).error();

  auto algorithm = expected ? expected->algorithm() : oci::DigestAlgorithm::sha256;
  oci::Digest digest = oci::digest_of(body, algorithm);
  if (expected && *expected != digest)
    return make_error(ErrorCode::digest_invalid, "manifest digest does not match the reference",
                      "computed " + digest.str());

  meta::ManifestReferences refs;
  for (const auto& descriptor : manifest->blob_references()) refs.blobs.push_back(descriptor.digest.str());
  for (const auto& descriptor : manifest->manifests) refs.manifests.push_back(descriptor.digest.str());
  auto missing = meta_.missing_references(repository, refs);
  if (!missing) return internal("checking manifest references failed", missing.error());
  if (!missing->blobs.empty())
    return make_error(ErrorCode::manifest_blob_unknown,
                      "manifest references a blob unknown to the repository", missing->blobs.front());
  if (!missing->manifests.empty())
    return make_error(ErrorCode::manifest_blob_unknown,
                      "index references a manifest unknown to the repository", missing->manifests.front());

  meta::ManifestRecord record;
  record.repository = repository;
  record.digest = digest.str();
  record.media_type = manifest->media_type;
  record.artifact_type = manifest->artifact_type;
  record.size = static_cast<std::int64_t>(body.size());
  if (manifest->subject) record.subject = manifest->subject->digest.str();
  record.annotations_json = annotations_json(manifest->annotations);
  record.created = std::chrono::system_clock::now();
  if (auto link = oci::accessory_link(*manifest, tag)) {
    record.accessory_of = std::move(link->subject);
    record.accessory_type = std::move(link->type);
  }

  if (!tag.empty() && options_.immutable_tag) {
    auto current = meta_.resolve_tag(repository, tag);
    if (!current) return internal("resolving a tag failed", current.error());
    if (*current && **current != record.digest)
      if (auto s = check_mutable(repository, tag, ""); !s) return std::move(s).error();
  }
  if (auto pending = begin_blob(record.digest); !pending) return std::move(pending).error();
  auto stored = blobs_.put(body, algorithm);
  if (!stored) {
    (void)meta_.settle_blob(record.digest, std::nullopt);
    return internal("storing a manifest failed", stored.error());
  }
  const std::uint64_t generation = cache_generation();
  meta::StorageOutcome outcome;
  if (auto written = meta_.put_manifest(record, refs, tag, &outcome); !written) {
    // The file is stored: it stays as an unreferenced blob until garbage collection.
    (void)meta_.settle_blob(record.digest, record.size);
    if (written.error().code == base::Errc::limit_exceeded)
      return report_storage(repository, record.digest, outcome, true).error();
    if (written.error().code == base::Errc::not_found)  // a reference was deleted meanwhile
      return make_error(ErrorCode::manifest_blob_unknown,
                        "manifest references content unknown to the repository", written.error().message);
    return internal("recording a manifest failed", written.error());
  }
  (void)report_storage(repository, record.digest, outcome, false);
  ManifestContent content{record.digest, record.media_type,
                          std::make_shared<const std::string>(std::move(body))};
  {
    // The tag moved: drop its entry. The manifest itself is cached only if no other write
    // (a delete of this digest, say) happened since before this one committed.
    std::lock_guard lock(cache_mutex_);
    if (generation == generation_) {
      cache_manifest(repository, content);
      links_.put(link_key(repository, digest), static_cast<std::uint64_t>(record.size), 1);
    }
    if (!tag.empty()) tags_.erase(tag_key(repository, tag));
    ++generation_;
  }
  return PutManifestResult{record.digest, record.subject};
}

Status Registry::delete_manifest(const std::string& repository, std::string_view reference) {
  if (!oci::looks_like_digest(reference)) {
    if (!oci::valid_tag(reference))
      return make_error(ErrorCode::manifest_unknown, "tag unknown to registry", std::string(reference));
    if (auto s = check_mutable(repository, std::string(reference), "deleted"); !s) return s;
    auto removed = meta_.delete_tag(repository, std::string(reference));
    invalidate([&] { tags_.erase(tag_key(repository, reference)); });
    if (!removed) {
      if (removed.error().code == base::Errc::not_found)
        return make_error(ErrorCode::manifest_unknown, "tag unknown to registry", std::string(reference));
      return internal("deleting a tag failed", removed.error());
    }
    return {};
  }
  auto digest = parse_digest(reference);
  if (!digest) return std::move(digest).error();
  const std::string text = digest->str();
  if (auto s = check_mutable_manifest(repository, text); !s) return s;
  auto removed = meta_.delete_manifest(repository, text);
  // Drop cached entries whatever the outcome: the database is the truth. Accessories went
  // with the manifest.
  std::vector<std::string> gone{text};
  if (removed) gone = *removed;
  const std::string prefix = repository + ':';
  invalidate([&] {
    for (const auto& d : gone) {
      manifests_.erase(manifest_key(repository, d));
      links_.erase(manifest_key(repository, d));
    }
    tags_.erase_if([&](const std::string& key, const std::string& value) {
      return key.compare(0, prefix.size(), prefix) == 0 &&
             std::find(gone.begin(), gone.end(), value) != gone.end();
    });
  });
  if (!removed) {
    if (removed.error().code == base::Errc::not_found)
      return make_error(ErrorCode::manifest_unknown, "manifest unknown to registry", text);
    return internal("deleting a manifest failed", removed.error());
  }
  return {};
}

Status Registry::delete_repository(const std::string& repository) {
  if (options_.immutable_tag) {
    auto tags = meta_.list_tags(repository, meta::Page{});
    if (tags)
      for (const auto& tag : *tags)
        if (auto s = check_mutable(repository, tag, "deleted"); !s) return s;
  }
  auto removed = meta_.delete_repository(repository);
  // Every entry of the repository goes, whatever the outcome: the database is the truth.
  const std::string tag_prefix = repository + ':';
  const std::string digest_prefix = repository + '@';
  invalidate([&] {
    auto in_repository = [&](const std::string& key, const auto&) {
      return key.compare(0, tag_prefix.size(), tag_prefix) == 0 ||
             key.compare(0, digest_prefix.size(), digest_prefix) == 0;
    };
    manifests_.erase_if(in_repository);
    links_.erase_if(in_repository);
    tags_.erase_if(in_repository);
  });
  if (!removed) {
    if (removed.error().code == base::Errc::not_found)
      return make_error(ErrorCode::name_unknown, "repository name not known to registry", repository);
    return internal("deleting a repository failed", removed.error());
  }
  return {};
}

Status Registry::add_tag(const std::string& repository, std::string_view digest_text, std::string_view tag) {
  if (!oci::valid_tag(tag)) return make_error(ErrorCode::tag_invalid, "invalid tag", std::string(tag));
  auto digest = parse_digest(digest_text);
  if (!digest) return std::move(digest).error();
  auto added = meta_.add_tag(repository, digest->str(), std::string(tag));
  invalidate([&] { tags_.erase(tag_key(repository, tag)); });
  if (!added) {
    if (added.error().code == base::Errc::not_found)
      return make_error(ErrorCode::manifest_unknown, "manifest unknown to registry", digest->str());
    if (added.error().code == base::Errc::already_exists)
      return make_error(ErrorCode::denied, "the tag exists already", std::string(tag));
    return internal("adding a tag failed", added.error());
  }
  return {};
}

Result<std::string> Registry::copy_artifact(const std::string& from, std::string_view reference,
                                            const std::string& to, const std::string& tag) {
  if (auto valid = check_name(from); !valid) return std::move(valid).error();
  if (auto valid = check_name(to); !valid) return std::move(valid).error();
  if (!tag.empty() && !oci::valid_tag(tag)) return make_error(ErrorCode::tag_invalid, "invalid tag", tag);
  auto digest = resolve_reference(from, reference);
  if (!digest) return std::move(digest).error();
  std::vector<std::string> tags;
  if (!tag.empty()) {
    auto current = meta_.resolve_tag(to, tag);
    if (!current) return internal("resolving a tag failed", current.error());
    if (*current && **current != *digest)
      if (auto s = check_mutable(to, tag, "updated"); !s) return std::move(s).error();
    tags.push_back(tag);
  }
  if (auto copied = copy_manifest(from, *digest, to, tags, 0); !copied) return std::move(copied).error();
  return std::move(digest).value();
}

Status Registry::copy_manifest(const std::string& from, const std::string& digest, const std::string& to,
                               const std::vector<std::string>& tags, int depth) {
  constexpr int kMaxDepth = 16;  // nested indexes and accessories of accessories
  if (depth > kMaxDepth) return make_error(ErrorCode::manifest_invalid, "artifact nested too deeply", digest);
  auto record = meta_.get_manifest(from, digest);
  if (!record) return internal("reading a manifest failed", record.error());
  if (!*record) return make_error(ErrorCode::manifest_unknown, "manifest unknown to registry", digest);
  auto parsed_digest = parse_digest(digest);
  if (!parsed_digest) return std::move(parsed_digest).error();
  auto body = blobs_.read_all(*parsed_digest);
  if (!body) return internal("reading a manifest failed", body.error());
  auto manifest = oci::parse_manifest(*body, (*record)->media_type);
  if (!manifest) return std::move(manifest).error();

  meta::ManifestReferences refs;
  for (const auto& child : manifest->manifests) {
    if (auto s = copy_manifest(from, child.digest.str(), to, {}, depth + 1); !s) return s;
    refs.manifests.push_back(child.digest.str());
  }
  for (const auto& blob : manifest->blob_references()) {
    if (auto s = meta_.link_blob(to, blob.digest.str()); !s) {
      if (s.error().code == base::Errc::not_found)
        return make_error(ErrorCode::manifest_blob_unknown, "the artifact references a missing blob",
                          blob.digest.str());
      return internal("linking a blob failed", s.error());
    }
    refs.blobs.push_back(blob.digest.str());
  }
  meta::ManifestRecord copy = std::move(**record);
  copy.repository = to;
  copy.created = std::chrono::system_clock::now();
  // Pending while it is written, so that garbage collection cannot take the file meanwhile.
  if (auto pending = begin_blob(digest); !pending) return std::move(pending).error();
  if (!blobs_.stat(*parsed_digest)) {
    (void)meta_.settle_blob(digest, std::nullopt);
    return make_error(ErrorCode::manifest_unknown, "manifest unknown to registry", digest);
  }
  meta::StorageOutcome outcome;
  auto written = meta_.put_manifest(copy, refs, tags.empty() ? std::string() : tags.front(), &outcome);
  if (!written) {
    (void)meta_.settle_blob(digest, copy.size);
    if (written.error().code == base::Errc::limit_exceeded) return report_storage(to, digest, outcome, true);
    return internal("recording a copied manifest failed", written.error());
  }
  (void)report_storage(to, digest, outcome, false);
  for (std::size_t i = 1; i < tags.size(); ++i) {
    if (auto s = meta_.add_tag(to, digest, tags[i]); !s && s.error().code != base::Errc::already_exists)
      return internal("tagging a copied manifest failed", s.error());
  }
  invalidate([&] {
    for (const auto& t : tags) tags_.erase(tag_key(to, t));
  });

  // Accessories follow their subject, with their tags (a cosign signature keeps the tag
  // "sha256-<hex>.sig" by which cosign finds it).
  meta::ListQuery all;
  all.limit = 0;
  auto accessories = meta_.list_accessories(from, digest, all);
  if (!accessories) return internal("listing accessories failed", accessories.error());
  for (const auto& accessory : accessories->items) {
    std::vector<std::string> accessory_tags;
    for (const auto& t : accessory.tags) accessory_tags.push_back(t.name);
    if (auto s = copy_manifest(from, accessory.manifest.digest, to, accessory_tags, depth + 1); !s) return s;
  }
  return {};
}

Result<std::vector<meta::ManifestRecord>> Registry::referrers(const std::string& repository,
                                                              std::string_view digest_text,
                                                              const std::string& artifact_type) {
  auto digest = parse_digest(digest_text);
  if (!digest) return std::move(digest).error();
  auto records = meta_.referrers(repository, digest->str());
  if (!records) return internal("listing referrers failed", records.error());
  if (artifact_type.empty()) return std::move(records).value();
  std::vector<meta::ManifestRecord> filtered;
  for (auto& record : *records)
    if (record.artifact_type == artifact_type) filtered.push_back(std::move(record));
  return filtered;
}

// --- listings ----------------------------------------------------------------------

Result<std::vector<std::string>> Registry::list_tags(const std::string& repository, const meta::Page& page) {
  auto tags = meta_.list_tags(repository, page);
  if (!tags) {
    if (tags.error().code == base::Errc::not_found)
      return make_error(ErrorCode::name_unknown, "repository name not known to registry", repository);
    return internal("listing tags failed", tags.error());
  }
  return std::move(tags).value();
}

Result<std::vector<std::string>> Registry::list_repositories(const meta::Page& page) {
  auto names = meta_.list_repositories(page);
  if (!names) return internal("listing repositories failed", names.error());
  return std::move(names).value();
}

base::Status Registry::check_storage() const {
  return blobs_.check();
}
base::Status Registry::check_metadata() const {
  return meta_.check();
}

// --- tag immutability -------------------------------------------------------------

Status Registry::check_mutable(const std::string& repository, const std::string& tag, std::string_view verb) {
  if (!options_.immutable_tag) return {};
  auto immutable = options_.immutable_tag(repository, tag);
  if (!immutable) return internal("reading the immutability rules failed", immutable.error());
  if (!*immutable) return {};
  if (verb.empty()) {
    const std::string name = repository.substr(repository.find('/') + 1);
    return make_error(ErrorCode::precondition,
                      "Failed to process request due to '" + name + ":" + tag + "' configured as immutable.");
  }
  return make_error(ErrorCode::precondition,
                    "the tag " + tag + " configured as immutable, cannot be " + std::string(verb));
}

Status Registry::check_mutable_manifest(const std::string& repository, const std::string& digest) {
  if (!options_.immutable_tag) return {};
  auto tags = meta_.tags_of(repository, digest);
  if (!tags) return internal("reading tags failed", tags.error());
  for (const auto& tag : *tags)
    if (auto s = check_mutable(repository, tag, "deleted"); !s) return s;
  return {};
}

}  // namespace berth::registry
