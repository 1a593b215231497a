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
  // Deletes the manifest, its references and every tag pointing at it.
  // Errors: not_found.
  virtual base::Status delete_manifest(const std::string& repository, const std::string& digest) = 0;
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
  // Manifests in `repository` whose subject is `digest`.
  virtual base::Result<std::vector<ManifestRecord>> referrers(const std::string& repository,
                                                              const std::string& digest) = 0;
  // Of the given blob / manifest digests, those not present in `repository`.
  virtual base::Result<ManifestReferences> missing_references(const std::string& repository,
                                                              const ManifestReferences& refs) = 0;

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

// Opens (creating if needed) the SQLite database at `path` in WAL mode and applies
// the schema migrations. Errors: io_error, corrupt.
base::Result<std::unique_ptr<Database>> open_sqlite(const std::string& path);

}  // namespace berth::meta
