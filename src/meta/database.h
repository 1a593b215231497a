// meta::Database: the registry's metadata (repositories, blob links, manifests, tags,
// uploads) behind one narrow interface. SQLite is the embedded back end; PostgreSQL
// will implement the same interface. Every mutating call is one transaction: it
// happens whole or not at all.
//
// Thread-safety: all methods may be called concurrently from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "meta/query.h"

namespace berth::meta {

using TimePoint = std::chrono::system_clock::time_point;

struct ManifestRecord {
  std::string repository;
  std::string digest;  // "sha256:..."
  std::string media_type;
  std::string artifact_type;  // may be empty
  std::int64_t size = 0;
  std::string subject;           // digest of the subject manifest, empty if none
  std::string annotations_json;  // JSON object of the manifest's annotations ("" if none)
  TimePoint created;
  // When this manifest is an accessory (a signature, an SBOM, any referrer) of another
  // artifact of the repository: that artifact's digest and Harbor's accessory type.
  std::string accessory_of;
  std::string accessory_type;
};

// What a manifest references inside its repository.
struct ManifestReferences {
  std::vector<std::string> blobs;      // config and layer digests
  std::vector<std::string> manifests;  // child manifest digests (index)
};

struct UploadRecord {
  std::string id;
  std::string repository;
  TimePoint started;
};

// A repository as the management API lists it.
struct RepositorySummary {
  std::int64_t id = 0;
  std::string name;
  std::string description;
  std::int64_t artifact_count = 0;  // manifests stored in it
  std::int64_t pull_count = 0;
  TimePoint created;
  TimePoint updated;  // last push, tag change or description change
};

struct TagRecord {
  std::string name;
  TimePoint pushed;  // when the tag last moved
  TimePoint pulled;  // epoch if never
};

// A manifest as the management API lists it, with its tags.
struct ArtifactRecord {
  ManifestRecord manifest;
  std::int64_t repository_id = 0;
  std::vector<TagRecord> tags;
  TimePoint pulled;  // last pull by digest or tag; epoch if never
};

// A pull to count (management API's pull_count / pull_time).
struct PullRecord {
  std::string repository;
  std::string digest;
  std::string tag;         // empty for a pull by digest
  TimePoint time;          // of the latest pull counted here
  std::int64_t count = 1;  // pulls this record stands for
};

// What a manifest write did to the storage accounting, or why it was refused.
struct StorageOutcome {
  enum class Refusal { none, project_quota, registry_cap };
  std::string project;
  std::int64_t added = 0;          // bytes the project's usage grew (or would have grown) by
  std::int64_t used = 0;           // the project's usage before the write
  std::int64_t hard = -1;          // the project's quota; -1 = none
  std::int64_t registry_used = 0;  // every project's usage before the write
  std::int64_t registry_cap = -1;  // the registry's storage cap (set_storage_cap); -1 = none
  Refusal refused = Refusal::none;
};

// A project's storage: what it uses and may use.
struct StorageUsage {
  std::int64_t used = 0;
  std::int64_t hard = -1;  // -1 = no quota
};

// A blob that garbage collection may delete.
struct BlobCandidate {
  std::string digest;
  std::int64_t size = 0;
};

// A blob whose row garbage collection removed; its file must go next.
struct DoomedBlob {
  std::string digest;
  std::int64_t size = 0;
  std::vector<std::string> repositories;  // that linked it (their cached links are stale)
};

// What the registry holds, for the operator.
struct RegistryCounts {
  std::int64_t projects = 0;
  std::int64_t repositories = 0;
  std::int64_t artifacts = 0;     // manifests, accessories included
  std::int64_t used_storage = 0;  // every project's usage (what quotas and the plan count)
  std::int64_t stored_bytes = 0;  // every recorded blob, once (what the disk holds)
};

// A manifest of a repository.
struct ArtifactRef {
  std::string repository;
  std::string digest;
};

struct Page {
  std::optional<std::string> last;   // return entries strictly after this one
  std::optional<std::size_t> limit;  // at most this many; nullopt = all
};

class Database {
 public:
  virtual ~Database() = default;

  // --- blobs --------------------------------------------------------------
  // Records that blob `digest` is about to be moved into the blob store. Crash
  // recovery looks at pending entries (see take_pending_blobs), and garbage collection
  // leaves pending digests alone. Errors: conflict while garbage collection is deleting
  // the digest's file (see doom_blobs): try again when it is done.
  virtual base::Status begin_blob(const std::string& digest) = 0;
  // Ends a begin_blob whose commit did not happen: records the blob if `stored_size` is
  // given (its file is in the store) and clears the pending entry.
  virtual base::Status settle_blob(const std::string& digest, std::optional<std::int64_t> stored_size) = 0;
  // Records a stored blob of `size` bytes, links it to `repository` (created if
  // needed), clears its pending entry and, if `upload_id` is not empty, the upload.
  virtual base::Status commit_blob(const std::string& repository, const std::string& digest,
                                   std::int64_t size, const std::string& upload_id) = 0;
  // Returns pending digests and clears them; the caller registers those whose file
  // exists (via add_blob) and deletes the rest.
  virtual base::Result<std::vector<std::string>> take_pending_blobs() = 0;
  // Records a stored blob without linking it (recovery). Idempotent.
  virtual base::Status add_blob(const std::string& digest, std::int64_t size) = 0;
  // Size of a stored blob, if recorded.
  virtual base::Result<std::optional<std::int64_t>> blob_size(const std::string& digest) = 0;
  // Size of a blob if it is linked to `repository`.
  virtual base::Result<std::optional<std::int64_t>> linked_blob_size(const std::string& repository,
                                                                     const std::string& digest) = 0;
  // Links an already stored blob to `repository` (cross-repository mount).
  // Errors: not_found if the blob is not recorded.
  virtual base::Status link_blob(const std::string& repository, const std::string& digest) = 0;
  // Removes the link. Errors: not_found if it was not linked.
  virtual base::Status unlink_blob(const std::string& repository, const std::string& digest) = 0;
  // Every recorded blob digest with its size (fsck).
  virtual base::Result<std::vector<std::pair<std::string, std::int64_t>>> all_blobs() = 0;

  // --- garbage collection ---------------------------------------------------------
  // Blobs no manifest of any repository is stored under or references, not pending, that
  // were recorded and last linked before `cutoff`; in digest order after `after`, at most
  // `limit`. A read, for a dry run: the answer may be stale by the time it is shown.
  virtual base::Result<std::vector<BlobCandidate>> gc_candidates(TimePoint cutoff, const std::string& after,
                                                                 std::size_t limit) = 0;
  // In one transaction: the blobs gc_candidates(cutoff, after, limit) would list at that
  // moment lose their row and their links and are marked doomed. Returns them, in digest order.
  // Errors: conflict while a hold (hold_blobs) is in force: nothing was doomed.
  virtual base::Result<std::vector<DoomedBlob>> doom_blobs(TimePoint cutoff, const std::string& after,
                                                           std::size_t limit) = 0;
  // Clears the doomed marks of blobs whose files are gone.
  virtual base::Status forget_doomed(const std::vector<std::string>& digests) = 0;
  // Digests marked doomed (a crash came before their files were removed).
  virtual base::Result<std::vector<std::string>> doomed_blobs() = 0;
  // Keeps doom_blobs from deleting anything until `until` or release_blobs(holder), whichever
  // comes first (a backup holds the blobs while it copies their files). Renewing a hold moves
  // its end.
  virtual base::Status hold_blobs(const std::string& holder, TimePoint until) = 0;
  // Ends the hold of `holder` (every hold when `holder` is empty). Idempotent.
  virtual base::Status release_blobs(const std::string& holder) = 0;
  // Manifests with no tag that are neither an accessory nor a child of an index of their
  // repository, ordered by (repository, digest) after `after`, at most `limit`.
  virtual base::Result<std::vector<ArtifactRef>> untagged_artifacts(const ArtifactRef& after,
                                                                    std::size_t limit) = 0;

  // --- storage accounting ---------------------------------------------------------
  // The registry's storage cap in bytes (-1 = none): a manifest write that would take the
  // sum of every project's usage past it is refused. Not stored; set at start and when the
  // plan changes.
  virtual void set_storage_cap(std::int64_t bytes) = 0;
  // A project's usage and quota (zero and none for a project that never stored anything).
  virtual base::Result<StorageUsage> project_storage(const std::string& project) = 0;
  // The sum of every project's usage, and whether `digest` is used by `project` already.
  virtual base::Result<std::int64_t> registry_storage() = 0;
  virtual base::Result<bool> project_uses(const std::string& project, const std::string& digest) = 0;
  virtual base::Result<RegistryCounts> registry_counts() = 0;
  // Recomputes every project's usage from the manifests and compares it with what is kept;
  // returns one line per difference (none when the accounting is exact).
  virtual base::Result<std::vector<std::string>> verify_usage() = 0;

  // --- manifests and tags -----------------------------------------------------
  // In one transaction: records the manifest's own blob (digest, size) and clears its
  // pending entry, creates the repository if needed, stores the manifest row (an
  // existing row for the same digest is kept), its references, and points `tag` (if
  // not empty) at it, replacing what the tag pointed at before. A new row adds the blobs
  // it uses to its project's usage, refused past the project's quota or the storage cap.
  // `outcome`, if given, is filled either way.
  // Errors: not_found, with the digest as message, if a referenced blob is not linked to
  // the repository or a referenced manifest is not in it (checked in the transaction);
  // limit_exceeded (nothing is written; see outcome->refused).
  virtual base::Status put_manifest(const ManifestRecord& manifest, const ManifestReferences& refs,
                                    const std::string& tag, StorageOutcome* outcome = nullptr) = 0;
  virtual base::Result<std::optional<ManifestRecord>> get_manifest(const std::string& repository,
                                                                   const std::string& digest) = 0;
  // Digest the tag points at, if any.
  virtual base::Result<std::optional<std::string>> resolve_tag(const std::string& repository,
                                                               const std::string& tag) = 0;
  // Deletes the manifest, its references and every tag pointing at it, and in the same
  // transaction its accessories (and theirs, recursively). Returns the digests deleted, the
  // manifest's first. Errors: not_found.
  virtual base::Result<std::vector<std::string>> delete_manifest(const std::string& repository,
                                                                 const std::string& digest) = 0;
  // Deletes one tag (the manifest stays). Errors: not_found.
  virtual base::Status delete_tag(const std::string& repository, const std::string& tag) = 0;
  // Tags of a repository in lexical order. Errors: not_found if the repository is unknown.
  virtual base::Result<std::vector<std::string>> list_tags(const std::string& repository,
                                                           const Page& page) = 0;
  // Tags pointing at a manifest.
  virtual base::Result<std::vector<std::string>> tags_of(const std::string& repository,
                                                         const std::string& digest) = 0;
  // Repository names in lexical order.
  virtual base::Result<std::vector<std::string>> list_repositories(const Page& page) = 0;
  // True if the repository has ever been created (by a push or a mount).
  virtual base::Result<bool> repository_exists(const std::string& repository) = 0;
  // Accessories of the artifact `digest` in `repository` (manifests whose accessory_of is
  // `digest`), oldest first, paged by `query`'s offset and limit (no filters or sorts).
  virtual base::Result<Listing<ArtifactRecord>> list_accessories(const std::string& repository,
                                                                 const std::string& digest,
                                                                 const ListQuery& query) = 0;
  // Manifests in `repository` whose subject is `digest`.
  virtual base::Result<std::vector<ManifestRecord>> referrers(const std::string& repository,
                                                              const std::string& digest) = 0;
  // Of the given blob / manifest digests, those not present in `repository`.
  virtual base::Result<ManifestReferences> missing_references(const std::string& repository,
                                                              const ManifestReferences& refs) = 0;

  // --- management reads (the Harbor API) -----------------------------------------
  // Repositories whose name starts with "<project>/" (every repository when `project` is
  // empty). Fields: name (exact/fuzzy, on the
  // full name). Sort: name, creation_time, update_time, pull_count. Default: name.
  virtual base::Result<Listing<RepositorySummary>> list_repository_summaries(const std::string& project,
                                                                             const ListQuery& query) = 0;
  virtual base::Result<std::optional<RepositorySummary>> repository_summary(
      const std::string& repository) = 0;
  // Errors: not_found.
  virtual base::Status set_repository_description(const std::string& repository,
                                                  const std::string& description) = 0;
  // Deletes the repository with its manifests, tags and blob links (blobs stay for
  // gc). Errors: not_found.
  virtual base::Status delete_repository(const std::string& repository) = 0;
  // Manifests of a repository with their tags, as Harbor lists them: accessories left out
  // (they are listed with their subject), and an index's images too unless they have a tag. Fields: digest
  // (exact), media_type, artifact_type (exact/fuzzy), tags (exact: a tag name, "*" = tagged, "nil" =
  // untagged; fuzzy on tag names), push_time (range, unix seconds). Sort: push_time (default -push_time),
  // pull_time, size. Errors: not_found if the repository is unknown.
  virtual base::Result<Listing<ArtifactRecord>> list_artifacts(const std::string& repository,
                                                               const ListQuery& query) = 0;
  // The artifacts tag retention weighs in a repository: its manifests that are neither an
  // accessory nor a child of an index of the repository, with their tags, in no particular
  // order. Errors: not_found if the repository is unknown.
  virtual base::Result<std::vector<ArtifactRecord>> retention_candidates(const std::string& repository) = 0;
  // One manifest with its tags. nullopt if absent.
  virtual base::Result<std::optional<ArtifactRecord>> get_artifact(const std::string& repository,
                                                                   const std::string& digest) = 0;
  // Points `tag` at an existing manifest. Errors: not_found (manifest), already_exists
  // (the tag exists, pointing anywhere: Harbor refuses to move a tag through this call).
  virtual base::Status add_tag(const std::string& repository, const std::string& digest,
                               const std::string& tag) = 0;
  // Counts pulls: repository pull_count (by each record's `count`) and manifest/tag pull
  // time (a time only moves forward; the epoch means now). One transaction; pulls of
  // unknown repositories are skipped. May be committed without its own fsync (a crash of
  // the machine, not of the process, can lose the last counts).
  virtual base::Status record_pulls(const std::vector<PullRecord>& pulls) = 0;
  // Repositories whose name starts with `prefix` ("" = all) and the total size of the
  // distinct blobs they link plus their manifests (Harbor's statistics and quota usage).
  virtual base::Result<std::int64_t> count_repositories(const std::string& prefix) = 0;
  virtual base::Result<std::int64_t> storage_used(const std::string& prefix) = 0;

  // --- uploads ----------------------------------------------------------------
  virtual base::Status create_upload(const UploadRecord& upload) = 0;
  virtual base::Result<std::optional<UploadRecord>> get_upload(const std::string& id) = 0;
  virtual base::Status delete_upload(const std::string& id) = 0;
  virtual base::Result<std::vector<UploadRecord>> uploads_started_before(TimePoint cutoff) = 0;

  // --- health -----------------------------------------------------------------
  // Runs a trivial read and reports whether the database is usable.
  virtual base::Status check() = 0;
  // Runs the back end's own integrity check (SQLite: PRAGMA integrity_check).
  virtual base::Status integrity_check() = 0;

  // --- backup ---------------------------------------------------------------
  // Writes a consistent copy of the whole database (one moment's view) to the new file
  // `path`, self-contained (no write-ahead log beside it), then calls `blob` with each blob
  // that copy records, in digest order; stops at the first error `blob` returns.
  // Errors: already_exists (path), io_error, and what `blob` returns.
  virtual base::Status snapshot(
      const std::string& path,
      const std::function<base::Status(const std::string& digest, std::int64_t size)>& blob) = 0;
};

}  // namespace berth::meta
