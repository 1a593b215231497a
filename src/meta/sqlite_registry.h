// SqliteDatabase: the SQLite implementation of meta::Database over a shared sqlite::Core.
// Internal to src/meta; its methods live in sqlite_database.cpp (the distribution API's
// calls) and sqlite_management.cpp (the management API's reads). Thread-safe.
#pragma once

#include <atomic>
#include <memory>

#include "meta/database.h"
#include "meta/sqlite_core.h"

namespace berth::meta::sqlite {

class SqliteDatabase final : public Database {
 public:
  explicit SqliteDatabase(std::shared_ptr<Core> core) : core_(std::move(core)) {}

  // blobs
  base::Status begin_blob(const std::string& digest) override;
  base::Status settle_blob(const std::string& digest, std::optional<std::int64_t> stored_size) override;
  base::Status commit_blob(const std::string& repository, const std::string& digest, std::int64_t size,
                           const std::string& upload_id) override;
  base::Result<std::vector<std::string>> take_pending_blobs() override;
  base::Status add_blob(const std::string& digest, std::int64_t size) override;
  base::Result<std::optional<std::int64_t>> blob_size(const std::string& digest) override;
  base::Result<std::optional<std::int64_t>> linked_blob_size(const std::string& repository,
                                                             const std::string& digest) override;
  base::Status link_blob(const std::string& repository, const std::string& digest) override;
  base::Status unlink_blob(const std::string& repository, const std::string& digest) override;
  base::Result<std::vector<std::pair<std::string, std::int64_t>>> all_blobs() override;

  // garbage collection (sqlite_storage.cpp)
  base::Result<std::vector<BlobCandidate>> gc_candidates(TimePoint cutoff, const std::string& after,
                                                         std::size_t limit) override;
  base::Result<std::vector<DoomedBlob>> doom_blobs(TimePoint cutoff, const std::string& after,
                                                   std::size_t limit) override;
  base::Status forget_doomed(const std::vector<std::string>& digests) override;
  base::Result<std::vector<std::string>> doomed_blobs() override;
  base::Status hold_blobs(const std::string& holder, TimePoint until) override;
  base::Status release_blobs(const std::string& holder) override;
  base::Result<std::vector<ArtifactRef>> untagged_artifacts(const ArtifactRef& after,
                                                            std::size_t limit) override;

  // storage accounting (sqlite_storage.cpp)
  void set_storage_cap(std::int64_t bytes) override { storage_cap_.store(bytes); }
  base::Result<StorageUsage> project_storage(const std::string& project) override;
  base::Result<std::int64_t> registry_storage() override;
  base::Result<bool> project_uses(const std::string& project, const std::string& digest) override;
  base::Result<RegistryCounts> registry_counts() override;
  base::Result<std::vector<std::string>> verify_usage() override;

  // manifests and tags
  base::Status put_manifest(const ManifestRecord& manifest, const ManifestReferences& refs,
                            const std::string& tag, StorageOutcome* outcome) override;
  base::Result<std::optional<ManifestRecord>> get_manifest(const std::string& repository,
                                                           const std::string& digest) override;
  base::Result<std::optional<std::string>> resolve_tag(const std::string& repository,
                                                       const std::string& tag) override;
  base::Result<std::vector<std::string>> delete_manifest(const std::string& repository,
                                                         const std::string& digest) override;
  base::Status delete_tag(const std::string& repository, const std::string& tag) override;
  base::Result<std::vector<std::string>> list_tags(const std::string& repository, const Page& page) override;
  base::Result<std::vector<std::string>> tags_of(const std::string& repository,
                                                 const std::string& digest) override;
  base::Result<std::vector<std::string>> list_repositories(const Page& page) override;
  base::Result<bool> repository_exists(const std::string& repository) override;
  base::Result<Listing<ArtifactRecord>> list_accessories(const std::string& repository,
                                                         const std::string& digest,
                                                         const ListQuery& query) override;
  base::Result<std::vector<ManifestRecord>> referrers(const std::string& repository,
                                                      const std::string& digest) override;
  base::Result<ManifestReferences> missing_references(const std::string& repository,
                                                      const ManifestReferences& refs) override;

  // management reads
  base::Result<Listing<RepositorySummary>> list_repository_summaries(const std::string& project,
                                                                     const ListQuery& query) override;
  base::Result<std::optional<RepositorySummary>> repository_summary(const std::string& repository) override;
  base::Status set_repository_description(const std::string& repository,
                                          const std::string& description) override;
  base::Status delete_repository(const std::string& repository) override;
  base::Result<std::vector<ArtifactRecord>> retention_candidates(const std::string& repository) override;
  base::Result<Listing<ArtifactRecord>> list_artifacts(const std::string& repository,
                                                       const ListQuery& query) override;
  base::Result<std::optional<ArtifactRecord>> get_artifact(const std::string& repository,
                                                           const std::string& digest) override;
  base::Status add_tag(const std::string& repository, const std::string& digest,
                       const std::string& tag) override;
  base::Status record_pulls(const std::vector<PullRecord>& pulls) override;
  base::Result<std::int64_t> count_repositories(const std::string& prefix) override;
  base::Result<std::int64_t> storage_used(const std::string& prefix) override;

  // uploads
  base::Status create_upload(const UploadRecord& upload) override;
  base::Result<std::optional<UploadRecord>> get_upload(const std::string& id) override;
  base::Status delete_upload(const std::string& id) override;
  base::Result<std::vector<UploadRecord>> uploads_started_before(TimePoint cutoff) override;

  // health
  base::Status check() override;
  base::Status integrity_check() override;
  base::Status snapshot(
      const std::string& path,
      const std::function<base::Status(const std::string& digest, std::int64_t size)>& blob) override;

 private:
  std::shared_ptr<Core> core_;
  std::atomic<std::int64_t> storage_cap_{-1};
};

// --- helpers shared by the two source files -----------------------------------------

// The id of the named repository, if it exists.
base::Result<std::optional<std::int64_t>> find_repository(Connection& c, const std::string& name);
// Marks a repository as changed now (a push, a tag change, a description change).
base::Status touch_repository(Connection& c, std::int64_t repository_id, std::int64_t now);

// Selects the columns manifest_from_row reads (as columns 0..9), from repositories r joined
// with manifests m. A macro so that statements stay compile-time text (cached).
#define BERTH_SQLITE_MANIFEST_COLUMNS                                                                 \
  "r.name, m.digest, m.media_type, m.artifact_type, m.size, m.subject, m.annotations, m.created_at, " \
  "m.accessory_of, m.accessory_type"
#define BERTH_SQLITE_SELECT_MANIFESTS \
  "SELECT " BERTH_SQLITE_MANIFEST_COLUMNS " FROM repositories r JOIN manifests m ON m.repository_id = r.id "
ManifestRecord manifest_from_row(const Statement& stmt);

// --- storage accounting (sqlite_storage.cpp) -------------------------------------------

// The project a repository belongs to: its first path component (the whole name if none).
std::string_view project_of(std::string_view repository);
// Adds a new manifest row's uses (its own digest and its distinct blob references) to its
// project. Returns the bytes the project's usage grew by (already applied).
base::Result<std::int64_t> retain_uses(Connection& c, const std::string& project, const std::string& manifest,
                                       std::int64_t manifest_size, const std::vector<std::string>& blobs);
// Removes a stored manifest row's uses (reads its blob references, so call it before they are
// deleted). Returns the bytes the project's usage shrank by (already applied).
base::Result<std::int64_t> release_uses(Connection& c, const std::string& project, std::int64_t repository_id,
                                        const std::string& manifest);

}  // namespace berth::meta::sqlite
