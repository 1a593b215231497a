// Registry: the distribution service. It enforces the OCI rules on names, blobs,
// uploads, manifests, tags and referrers over a blob::Store and a meta::Database, and
// keeps the hot read paths (manifest by tag or digest, blob existence) in memory caches
// that it keeps coherent itself (every write goes through this class).
//
// Cache coherence: a write commits to the database, then (under cache_mutex_) drops the
// entries it made stale and bumps a generation counter. A read that missed the cache
// fills it only if the generation did not move while it read the database, so an
// answer read before a concurrent write is never cached after it. Entries are only ever
// positive facts (no "absent" entries).
//
// Thread-safety: all methods may be called concurrently. Methods marked "fast" only
// touch memory on a cache hit; the others may block on disk or the database and should
// run on the blocking pool.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "blob/store.h"
#include "meta/database.h"
#include "oci/digest.h"
#include "oci/errors.h"
#include "oci/manifest.h"
#include "registry/lru_cache.h"

namespace berth::registry {

template <class T>
using Result = base::Result<T, oci::Error>;
using Status = base::Result<void, oci::Error>;

// A storage event for the audit log (and webhooks): a push refused by its project's quota or
// the registry's storage cap (quota_exceed), or one that took its project to 85 % of its quota
// or more (quota_warning).
struct StorageEvent {
  enum class Kind { quota_warning, quota_exceed };
  Kind kind = Kind::quota_warning;
  std::string repository;
  std::string project;
  std::string digest;   // of the manifest or blob pushed
  std::string message;  // what happened, with the sizes
};

struct Options {
  std::size_t manifest_cache_bytes = 64 * 1024 * 1024;
  std::size_t link_cache_entries = 200000;
  // Uploads open at once (each holds a file descriptor); more are refused with
  // TOOMANYREQUESTS until some finish or are purged.
  std::size_t max_open_uploads = 1024;
  // Called (on the pushing thread) for every storage event; may be empty.
  std::function<void(const StorageEvent&)> on_storage_event;
  // Whether a tag of a repository is immutable (tag immutability rules); may be empty. Such a
  // tag cannot be pushed to another digest, moved, or deleted, nor can its artifact or repository.
  std::function<base::Result<bool>(const std::string& repository, const std::string& tag)> immutable_tag;
};

// What garbage collection is asked to do.
struct GcOptions {
  std::chrono::seconds grace{std::chrono::hours(2)};  // younger unreferenced blobs are kept
  bool delete_untagged = false;  // first delete artifacts without tags (not accessories or index children)
  bool dry_run = false;          // only count what would go
  unsigned workers = 1;          // files removed in parallel (1..5)
  // Uploads not written to for this long are purged by the same run.
  std::chrono::seconds upload_max_age{std::chrono::hours(24)};
  std::function<bool()> cancelled;              // polled between batches; may be empty
  std::function<void(const std::string&)> log;  // progress lines; may be empty
};

struct GcReport {
  std::size_t artifacts_deleted = 0;
  std::size_t blobs_deleted = 0;
  std::uint64_t bytes_freed = 0;
  std::size_t uploads_purged = 0;
  bool cancelled = false;
};

struct BlobInfo {
  oci::Digest digest;
  std::uint64_t size = 0;
};

struct ManifestContent {
  std::string digest;
  std::string media_type;
  std::shared_ptr<const std::string> body;
};

struct PutManifestResult {
  std::string digest;
  std::string subject;  // digest of the subject, empty if none
};

// An upload held for writing by one request at a time. Released when destroyed.
class UploadLease {
 public:
  UploadLease() = default;
  UploadLease(const UploadLease&) = delete;
  UploadLease& operator=(const UploadLease&) = delete;
  UploadLease(UploadLease&&) noexcept = default;
  // Releases the lease held before, if any, then takes over `other`'s.
  UploadLease& operator=(UploadLease&& other) noexcept;
  ~UploadLease();

  const std::string& id() const;
  const std::string& repository() const;
  std::uint64_t size() const;
  // Appends bytes (hashed as they come). Errors: BLOB_UPLOAD_INVALID on an i/o failure.
  Status append(std::string_view data);

 private:
  friend class Registry;
  struct State;
  std::shared_ptr<State> state_;
};

class Registry {
 public:
  Registry(blob::Store& blobs, meta::Database& metadata, Options options);
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Registers blobs whose commit was interrupted by a crash and finishes deletions garbage
  // collection began. Call once at start-up, before serving.
  base::Status recover();

  // --- storage lifecycle (lifecycle.cpp) ---------------------------------------------
  // The registry's storage cap (-1 = none) and the plan it comes from (named in refusals).
  void set_storage_cap(std::int64_t bytes, const std::string& plan);
  // Deletes blobs no manifest references that have been unreferenced (and unlinked) for
  // longer than the grace period, while the registry keeps serving; see the architecture
  // page for why a push racing it never loses a blob. Also purges abandoned uploads and,
  // when asked, untagged artifacts. Errors: INTERNAL when the metadata fails.
  Result<GcReport> collect_garbage(const GcOptions& options);

  // NAME_INVALID unless `repository` follows the spec's grammar. Fast.
  static Status check_name(std::string_view repository);

  // --- blobs ---------------------------------------------------------------------
  // The blob if it is linked to the repository. Fast on a cache hit.
  // Errors: DIGEST_INVALID / UNSUPPORTED (bad digest), BLOB_UNKNOWN.
  Result<BlobInfo> stat_blob(const std::string& repository, std::string_view digest);
  // Cache-only variant of stat_blob: nullopt when the answer is not in memory.
  std::optional<BlobInfo> cached_blob(const std::string& repository, const oci::Digest& digest);
  Result<blob::BlobReader> open_blob(const std::string& repository, const oci::Digest& digest);
  // Unlinks the blob from the repository. Errors: BLOB_UNKNOWN.
  Status delete_blob(const std::string& repository, std::string_view digest);

  // --- uploads -------------------------------------------------------------------
  // Starts an upload session and leases it to the caller. Errors: TOOMANYREQUESTS when
  // max_open_uploads are open.
  Result<UploadLease> start_upload(const std::string& repository);
  // Leases an existing upload (reopening it from disk after a restart).
  // Errors: BLOB_UPLOAD_UNKNOWN (no such upload in this repository),
  // BLOB_UPLOAD_INVALID (another request is writing to it).
  Result<UploadLease> lease_upload(const std::string& repository, std::string_view id);
  // Current size of an upload, without leasing it. Errors: BLOB_UPLOAD_UNKNOWN.
  Result<std::uint64_t> upload_size(const std::string& repository, std::string_view id);
  // Verifies the upload against `digest`, stores the blob and links it to the
  // repository; the upload is then gone. Errors: DIGEST_INVALID (mismatch or bad
  // digest; the upload is discarded), UNSUPPORTED.
  Result<BlobInfo> complete_upload(UploadLease lease, std::string_view digest);
  // Discards an upload. Errors: BLOB_UPLOAD_UNKNOWN.
  Status cancel_upload(const std::string& repository, std::string_view id);
  // Discards a leased upload (used when a request fails half-way).
  void abandon_upload(UploadLease lease);
  // Links a blob of `from` into `repository`; nullopt when that is not possible (the
  // blob is not in `from`, or names are invalid), in which case the caller starts an
  // ordinary upload.
  std::optional<BlobInfo> mount_blob(const std::string& repository, const std::string& from,
                                     std::string_view digest);
  // Removes uploads started and last written before `cutoff` (abandoned), and upload
  // data without a record older than that. Returns how many.
  std::size_t purge_uploads(std::chrono::system_clock::time_point cutoff);

  // --- manifests -----------------------------------------------------------------
  // Validates and stores a manifest under a tag or a digest reference.
  // Errors: TAG_INVALID, DIGEST_INVALID (reference digest differs from the content),
  // MANIFEST_INVALID, MANIFEST_BLOB_UNKNOWN (a missing blob or child manifest, as the
  // spec and distribution report both).
  Result<PutManifestResult> put_manifest(const std::string& repository, std::string_view reference,
                                         std::string_view content_type, std::string body);
  // The manifest by tag or digest. Errors: MANIFEST_UNKNOWN (also for a reference that
  // cannot name a manifest, as the spec wants on pull), DIGEST_INVALID, UNSUPPORTED.
  Result<ManifestContent> get_manifest(const std::string& repository, std::string_view reference);
  // Cache-only variant of get_manifest: nullopt when the answer is not in memory.
  std::optional<ManifestContent> cached_manifest(const std::string& repository, std::string_view reference);
  // By digest: deletes the manifest and its tags. By tag: deletes the tag only.
  // Errors: MANIFEST_UNKNOWN (also for an invalid tag), DIGEST_INVALID.
  Status delete_manifest(const std::string& repository, std::string_view reference);
  // Manifests whose subject is `digest`, optionally only those of `artifact_type`.
  Result<std::vector<meta::ManifestRecord>> referrers(const std::string& repository, std::string_view digest,
                                                      const std::string& artifact_type);

  // --- management (the Harbor API) --------------------------------------------------
  // Deletes a repository with its manifests and tags. Errors: NAME_UNKNOWN.
  Status delete_repository(const std::string& repository);
  // Points a new tag at a stored manifest. Errors: TAG_INVALID, MANIFEST_UNKNOWN,
  // DIGEST_INVALID, DENIED (the tag exists already).
  Status add_tag(const std::string& repository, std::string_view digest, std::string_view tag);

  // Copies an artifact (`reference`: a tag or a digest of `from`) into `to` as Harbor's copy
  // does: the blobs are linked (not copied), an index's children go first, then the manifest,
  // then its accessories (signatures, SBOMs, ...) with their tags, recursively; `tag`, when not
  // empty, then points at the copy. Returns the digest. Errors: MANIFEST_UNKNOWN, TAG_INVALID,
  // NAME_INVALID, DIGEST_INVALID.
  Result<std::string> copy_artifact(const std::string& from, std::string_view reference,
                                    const std::string& to, const std::string& tag);

  // --- listings ------------------------------------------------------------------
  // Errors: NAME_UNKNOWN for a repository that does not exist.
  Result<std::vector<std::string>> list_tags(const std::string& repository, const meta::Page& page);
  Result<std::vector<std::string>> list_repositories(const meta::Page& page);

  // --- health --------------------------------------------------------------------
  base::Status check_storage() const;
  base::Status check_metadata() const;

 private:
  struct UploadSlot;
  Result<oci::Digest> parse_digest(std::string_view text) const;
  Result<std::string> resolve_reference(const std::string& repository, std::string_view reference);
  // copy_artifact's recursion: one manifest (children and accessories first/after).
  Status copy_manifest(const std::string& from, const std::string& digest, const std::string& to,
                       const std::vector<std::string>& tags, int depth);
  void cache_manifest(const std::string& repository, const ManifestContent& content);
  std::uint64_t cache_generation();
  // Runs `fill` (which puts entries into the caches) only if no write happened since
  // `generation` was read.
  template <class Fill>
  void fill_cache(std::uint64_t generation, Fill fill);
  // Runs `drop` (which erases stale entries) and starts a new generation. Call after the
  // database write committed.
  template <class Drop>
  void invalidate(Drop drop);

  // begin_blob, waiting while garbage collection deletes the same digest's file.
  Status begin_blob(const std::string& digest);
  // Refuses a blob whose size would take `repository`'s project past its quota or the
  // registry past its cap (a read ahead of the commit; put_manifest checks exactly).
  Status check_blob_headroom(const std::string& repository, const oci::Digest& digest, std::uint64_t size);
  // PRECONDITION when `tag` of `repository` is immutable; `verb` says what was refused
  // ("deleted", "updated"), or "" for a push (Harbor's push message).
  Status check_mutable(const std::string& repository, const std::string& tag, std::string_view verb);
  // The same for every tag of the manifest `digest`.
  Status check_mutable_manifest(const std::string& repository, const std::string& digest);
  // Turns a refused or accepted manifest write's accounting into events and errors.
  Status report_storage(const std::string& repository, const std::string& digest,
                        const meta::StorageOutcome& outcome, bool refused);

  blob::Store& blobs_;
  meta::Database& meta_;
  Options options_;
  LruCache<std::string, ManifestContent> manifests_;  // key: repo + '@' + digest
  LruCache<std::string, std::string> tags_;           // key: repo + ':' + tag -> digest
  LruCache<std::string, std::uint64_t> links_;        // key: repo + '@' + digest -> size
  std::mutex cache_mutex_;
  std::uint64_t generation_ = 0;  // guarded by cache_mutex_
  std::mutex uploads_mutex_;
  std::unordered_map<std::string, std::shared_ptr<UploadLease::State>> open_uploads_;
  std::mutex plan_mutex_;
  std::int64_t storage_cap_ = -1;  // guarded by plan_mutex_
  std::string plan_;               // guarded by plan_mutex_
};

template <class Fill>
void Registry::fill_cache(std::uint64_t generation, Fill fill) {
  std::lock_guard lock(cache_mutex_);
  if (generation == generation_) fill();
}

template <class Drop>
void Registry::invalidate(Drop drop) {
  std::lock_guard lock(cache_mutex_);
  drop();
  ++generation_;
}

}  // namespace berth::registry
