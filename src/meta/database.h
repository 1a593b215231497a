// meta::Database: the registry's metadata (repositories, blob links, manifests, tags,
// uploads) behind one narrow interface. SQLite is the embedded back end; PostgreSQL
// will implement the same interface. Every mutating call is one transaction: it
// happens whole or not at all.
//
// Thread-safety: all methods may be called concurrently from any thread.
#pragma once

#include <chrono>
#include <cstdint>
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

struct Page {
  std::optional<std::string> last;   // return entries strictly after this one
  std::optional<std::size_t> limit;  // at most this many; nullopt = all
};

class Database {
 public:
  virtual ~Database() = default;

  // --- blobs --------------------------------------------------------------
  // Records that blob `digest` is about to be moved into the blob store. Crash
  // recovery looks at pending entries (see recover_pending_blobs).
  virtual base::Status begin_blob(const std::string& digest) = 0;
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
  // Removes blob rows that no repository links and no manifest uses; returns their digests
  // (garbage collection deletes the files afterwards).
  virtual base::Result<std::vector<std::string>> remove_unreferenced_blobs() = 0;

  // --- manifests and tags -----------------------------------------------------
  // In one transaction: records the manifest's own blob (digest, size) and clears its
  // pending entry, creates the repository if needed, stores the manifest row (an
  // existing row for the same digest is kept), its references, and points `tag` (if
  // not empty) at it, replacing what the tag pointed at before.
  // Errors: not_found, with the digest as message, if a referenced blob is not linked to
  // the repository or a referenced manifest is not in it (checked in the transaction).
  virtual base::Status put_manifest(const ManifestRecord& manifest, const ManifestReferences& refs,
                                    const std::string& tag) = 0;
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
  // Manifests of a repository with their tags, accessories left out (as Harbor lists them;
  // they are listed with their subject). Fields: digest (exact), media_type,
  // artifact_type (exact/fuzzy), tags (exact: a tag name, "*" = tagged, "nil" = untagged;
  // fuzzy on tag names), push_time (range, unix seconds). Sort: push_time (default
  // -push_time), pull_time, size. Errors: not_found if the repository is unknown.
  virtual base::Result<Listing<ArtifactRecord>> list_artifacts(const std::string& repository,
                                                               const ListQuery& query) = 0;
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
};

}  // namespace berth::meta
