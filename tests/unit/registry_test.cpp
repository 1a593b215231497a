// Contract tests of registry::Registry over the real filesystem store and SQLite.
#include "registry/registry.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "meta/sqlite.h"
#include "oci/media_types.h"

namespace berth::registry {
namespace {

using oci::ErrorCode;

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/berth-registry-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    open();
  }
  void TearDown() override {
    registry_.reset();
    meta_.reset();
    blobs_.reset();
    std::filesystem::remove_all(dir_);
  }
  // Opens (or reopens, simulating a restart) everything on the same directory.
  void open() {
    registry_.reset();
    meta_.reset();
    blobs_.reset();
    auto blobs = blob::open_filesystem_store(dir_);
    ASSERT_TRUE(blobs) << blobs.error().message;
    blobs_ = std::move(blobs).value();
    auto meta = meta::open_sqlite(dir_ + "/meta.db");
    ASSERT_TRUE(meta) << meta.error().message;
    meta_ = std::move(meta->registry);
    registry_ = std::make_unique<Registry>(*blobs_, *meta_, Options{});
    ASSERT_TRUE(registry_->recover());
  }

  // Uploads `data` into `repository` and returns its digest.
  std::string push_blob(const std::string& repository, const std::string& data) {
    auto lease = registry_->start_upload(repository);
    EXPECT_TRUE(lease);
    EXPECT_TRUE(lease->append(data));
    std::string digest = oci::digest_of(data).str();
    auto info = registry_->complete_upload(std::move(lease).value(), digest);
    EXPECT_TRUE(info) << (info ? "" : info.error().message);
    return digest;
  }

  std::string image_manifest(const std::string& config, const std::string& layer,
                             const std::string& subject = "") {
    std::string body = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
                       R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
                       config +
                       R"(","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar",)"
                       R"("digest":")" +
                       layer + R"(","size":5}])";
    if (!subject.empty())
      body += R"(,"artifactType":"application/example.sbom","subject":{"mediaType":)"
              R"("application/vnd.oci.image.manifest.v1+json","digest":")" +
              subject + R"(","size":10})";
    return body + "}";
  }

  std::string dir_;
  std::unique_ptr<blob::Store> blobs_;
  std::unique_ptr<meta::Database> meta_;
  std::unique_ptr<Registry> registry_;
};

TEST_F(RegistryTest, BlobIsVisibleOnlyInRepositoriesItIsLinkedTo) {
  std::string digest = push_blob("team/app", "hello");
  auto info = registry_->stat_blob("team/app", digest);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->size, 5u);
  auto other = registry_->stat_blob("team/other", digest);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, ErrorCode::blob_unknown);
}

TEST_F(RegistryTest, MountLinksBlobIntoSecondRepositoryAndDeleteUnlinksOnlyOne) {
  std::string digest = push_blob("a/src", "shared bytes");
  EXPECT_FALSE(registry_->mount_blob("a/dst", "a/nowhere", digest).has_value());
  ASSERT_TRUE(registry_->mount_blob("a/dst", "a/src", digest).has_value());
  EXPECT_TRUE(registry_->stat_blob("a/dst", digest));
  ASSERT_TRUE(registry_->delete_blob("a/src", digest));
  EXPECT_FALSE(registry_->stat_blob("a/src", digest));
  EXPECT_TRUE(registry_->stat_blob("a/dst", digest));
  auto again = registry_->delete_blob("a/src", digest);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::blob_unknown);
}

TEST_F(RegistryTest, DigestMismatchStoresNothing) {
  auto lease = registry_->start_upload("repo");
  ASSERT_TRUE(lease);
  std::string id = lease->id();
  ASSERT_TRUE(lease->append("actual content"));
  std::string wrong = oci::digest_of("other content").str();
  auto info = registry_->complete_upload(std::move(lease).value(), wrong);
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().code, ErrorCode::digest_invalid);
  EXPECT_FALSE(registry_->stat_blob("repo", wrong));
  EXPECT_FALSE(registry_->stat_blob("repo", oci::digest_of("actual content").str()));
  EXPECT_EQ(registry_->upload_size("repo", id).error().code, ErrorCode::blob_upload_unknown);
}

TEST_F(RegistryTest, UnsupportedAndMalformedDigestsAreToldApart) {
  EXPECT_EQ(registry_->stat_blob("repo", "sha256:xyz").error().code, ErrorCode::digest_invalid);
  EXPECT_EQ(registry_->stat_blob("repo", "md5:d41d8cd98f00b204e9800998ecf8427e").error().code,
            ErrorCode::unsupported);
}

TEST_F(RegistryTest, UploadIsLeasedToOneWriterAtATime) {
  auto first = registry_->start_upload("repo");
  ASSERT_TRUE(first);
  auto second = registry_->lease_upload("repo", first->id());
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::blob_upload_invalid);
  std::string id = first->id();
  { auto released = std::move(first).value(); }
  EXPECT_TRUE(registry_->lease_upload("repo", id));
  EXPECT_EQ(registry_->lease_upload("other", id).error().code, ErrorCode::blob_upload_unknown);
  EXPECT_EQ(registry_->lease_upload("repo", "../../etc").error().code, ErrorCode::blob_upload_unknown);
}

TEST_F(RegistryTest, UploadResumesAfterRestart) {
  std::string id;
  {
    auto lease = registry_->start_upload("repo");
    ASSERT_TRUE(lease);
    id = lease->id();
    ASSERT_TRUE(lease->append("first half, "));
  }
  open();
  auto size = registry_->upload_size("repo", id);
  ASSERT_TRUE(size);
  EXPECT_EQ(*size, 12u);
  auto lease = registry_->lease_upload("repo", id);
  ASSERT_TRUE(lease) << lease.error().message;
  ASSERT_TRUE(lease->append("second half"));
  std::string digest = oci::digest_of("first half, second half").str();
  ASSERT_TRUE(registry_->complete_upload(std::move(lease).value(), digest));
  EXPECT_TRUE(registry_->stat_blob("repo", digest));
}

TEST_F(RegistryTest, ManifestNeedsItsBlobsInTheRepository) {
  std::string config = oci::digest_of("{}").str();
  std::string layer = oci::digest_of("layer").str();
  std::string body = image_manifest(config, layer);
  auto refused = registry_->put_manifest("repo", "v1", oci::media_type::oci_manifest, body);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::manifest_blob_unknown);
  EXPECT_EQ(registry_->get_manifest("repo", "v1").error().code, ErrorCode::manifest_unknown);

  push_blob("repo", "{}");
  push_blob("repo", "layer");
  auto stored = registry_->put_manifest("repo", "v1", oci::media_type::oci_manifest, body);
  ASSERT_TRUE(stored) << stored.error().message;
  EXPECT_EQ(stored->digest, oci::digest_of(body).str());
  auto by_tag = registry_->get_manifest("repo", "v1");
  ASSERT_TRUE(by_tag);
  EXPECT_EQ(*by_tag->body, body);
  EXPECT_EQ(by_tag->media_type, oci::media_type::oci_manifest);
  auto by_digest = registry_->get_manifest("repo", stored->digest);
  ASSERT_TRUE(by_digest);
  EXPECT_EQ(*by_digest->body, body);
}

TEST_F(RegistryTest, RetagAndDeleteKeepCachesCoherent) {
  std::string config = push_blob("repo", "{}");
  std::string layer_a = push_blob("repo", "aaaaa");
  std::string layer_b = push_blob("repo", "bbbbb");
  std::string body_a = image_manifest(config, layer_a);
  std::string body_b = image_manifest(config, layer_b);
  auto a = registry_->put_manifest("repo", "latest", "", body_a);
  ASSERT_TRUE(a);
  ASSERT_TRUE(registry_->get_manifest("repo", "latest"));  // warm the cache
  auto b = registry_->put_manifest("repo", "latest", "", body_b);
  ASSERT_TRUE(b);
  EXPECT_EQ(registry_->get_manifest("repo", "latest")->digest, b->digest);
  EXPECT_EQ(registry_->cached_manifest("repo", "latest")->digest, b->digest);

  ASSERT_TRUE(registry_->delete_manifest("repo", b->digest));
  EXPECT_EQ(registry_->get_manifest("repo", "latest").error().code, ErrorCode::manifest_unknown);
  EXPECT_FALSE(registry_->cached_manifest("repo", "latest").has_value());
  EXPECT_TRUE(registry_->get_manifest("repo", a->digest));

  ASSERT_TRUE(registry_->put_manifest("repo", "stable", "", body_a));
  ASSERT_TRUE(registry_->delete_manifest("repo", "stable"));
  EXPECT_FALSE(registry_->get_manifest("repo", "stable"));
  EXPECT_TRUE(registry_->get_manifest("repo", a->digest));
  EXPECT_EQ(registry_->delete_manifest("repo", "stable").error().code, ErrorCode::manifest_unknown);
}

TEST_F(RegistryTest, PutByDigestMustMatchContent) {
  std::string config = push_blob("repo", "{}");
  std::string layer = push_blob("repo", "layer");
  std::string body = image_manifest(config, layer);
  auto wrong = registry_->put_manifest("repo", oci::digest_of("x").str(), "", body);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::digest_invalid);
  EXPECT_TRUE(registry_->put_manifest("repo", oci::digest_of(body).str(), "", body));
  auto bad_tag = registry_->put_manifest("repo", ".hidden", "", body);
  ASSERT_FALSE(bad_tag);
  EXPECT_EQ(bad_tag.error().code, ErrorCode::tag_invalid);
}

TEST_F(RegistryTest, IndexNeedsItsChildManifests) {
  std::string config = push_blob("repo", "{}");
  std::string layer = push_blob("repo", "layer");
  std::string child = image_manifest(config, layer);
  std::string child_digest = oci::digest_of(child).str();
  std::string index =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)"
      R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
      child_digest + R"(","size":)" + std::to_string(child.size()) +
      R"(,"platform":{"architecture":"amd64","os":"linux"}}]})";
  auto refused = registry_->put_manifest("repo", "multi", oci::media_type::oci_index, index);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::manifest_blob_unknown);
  ASSERT_TRUE(registry_->put_manifest("repo", child_digest, "", child));
  EXPECT_TRUE(registry_->put_manifest("repo", "multi", oci::media_type::oci_index, index));
}

TEST_F(RegistryTest, ReferrersAreListedAndFilteredByArtifactType) {
  std::string config = push_blob("repo", "{}");
  std::string layer = push_blob("repo", "layer");
  auto subject = registry_->put_manifest("repo", "v1", "", image_manifest(config, layer));
  ASSERT_TRUE(subject);
  auto sbom = registry_->put_manifest("repo", "sbom", "", image_manifest(config, layer, subject->digest));
  ASSERT_TRUE(sbom);
  EXPECT_EQ(sbom->subject, subject->digest);
  auto all = registry_->referrers("repo", subject->digest, "");
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->front().digest, sbom->digest);
  EXPECT_EQ(all->front().artifact_type, "application/example.sbom");
  EXPECT_EQ(registry_->referrers("repo", subject->digest, "application/other")->size(), 0u);
  EXPECT_EQ(registry_->referrers("repo", subject->digest, "application/example.sbom")->size(), 1u);
}

TEST_F(RegistryTest, TagsAndRepositoriesArePaged) {
  std::string config = push_blob("x/repo", "{}");
  std::string layer = push_blob("x/repo", "layer");
  std::string body = image_manifest(config, layer);
  for (const char* tag : {"c", "a", "b"}) ASSERT_TRUE(registry_->put_manifest("x/repo", tag, "", body));
  auto page = registry_->list_tags("x/repo", meta::Page{std::nullopt, 2});
  ASSERT_TRUE(page);
  EXPECT_EQ(*page, (std::vector<std::string>{"a", "b"}));
  auto rest = registry_->list_tags("x/repo", meta::Page{std::string("b"), 2});
  EXPECT_EQ(*rest, (std::vector<std::string>{"c"}));
  EXPECT_EQ(registry_->list_tags("x/none", meta::Page{}).error().code, ErrorCode::name_unknown);
  auto repositories = registry_->list_repositories(meta::Page{});
  ASSERT_TRUE(repositories);
  EXPECT_EQ(*repositories, (std::vector<std::string>{"x/repo"}));
}

TEST_F(RegistryTest, AbandonedUploadsArePurged) {
  auto lease = registry_->start_upload("repo");
  ASSERT_TRUE(lease);
  std::string id = lease->id();
  ASSERT_TRUE(lease->append("partial"));
  { auto released = std::move(lease).value(); }
  EXPECT_EQ(registry_->purge_uploads(std::chrono::system_clock::now() - std::chrono::hours(1)), 0u);
  EXPECT_TRUE(registry_->upload_size("repo", id));
  EXPECT_EQ(registry_->purge_uploads(std::chrono::system_clock::now() + std::chrono::seconds(1)), 1u);
  EXPECT_FALSE(registry_->upload_size("repo", id));
  EXPECT_TRUE(blobs_->list_uploads()->empty());
}

TEST_F(RegistryTest, InterruptedCommitIsRecoveredAtStart) {
  // A crash after the blob file was moved into place but before its row was written.
  std::string data = "committed just before the crash";
  std::string digest = oci::digest_of(data).str();
  ASSERT_TRUE(meta_->begin_blob(digest));
  ASSERT_TRUE(blobs_->put(data));
  open();
  auto size = meta_->blob_size(digest);
  ASSERT_TRUE(size);
  ASSERT_TRUE(size->has_value());
  EXPECT_EQ(**size, static_cast<std::int64_t>(data.size()));
}

TEST_F(RegistryTest, OpenUploadsAreCapped) {
  Options options;
  options.max_open_uploads = 2;
  Registry capped(*blobs_, *meta_, options);
  auto first = capped.start_upload("repo");
  auto second = capped.start_upload("repo");
  ASSERT_TRUE(first);
  ASSERT_TRUE(second);
  auto third = capped.start_upload("repo");
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().code, ErrorCode::too_many_requests);
  ASSERT_TRUE(first->append("x"));
  ASSERT_TRUE(capped.complete_upload(std::move(first).value(), oci::digest_of("x").str()));
  EXPECT_TRUE(capped.start_upload("repo"));
}

// A meta::Database that forwards every call, except that resolve_tag, once armed,
// stops after reading and waits until released: it lets a test put a write between a
// cache-missing read and the moment that read fills the cache.
class PausingDatabase : public meta::Database {
 public:
  explicit PausingDatabase(meta::Database& inner) : inner_(inner) {}

  void arm() { armed_ = true; }
  // False if no armed read came within a few seconds.
  bool wait_until_paused() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(5), [&] { return paused_; });
  }
  void release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    changed_.notify_all();
  }

  base::Result<std::optional<std::string>> resolve_tag(const std::string& repository,
                                                       const std::string& tag) override {
    auto result = inner_.resolve_tag(repository, tag);
    if (armed_.exchange(false)) {
      std::unique_lock lock(mutex_);
      paused_ = true;
      changed_.notify_all();
      changed_.wait(lock, [&] { return released_; });
    }
    return result;
  }

  base::Status begin_blob(const std::string& d) override { return inner_.begin_blob(d); }
  base::Status commit_blob(const std::string& r, const std::string& d, std::int64_t n,
                           const std::string& u) override {
    return inner_.commit_blob(r, d, n, u);
  }
  base::Result<std::vector<std::string>> take_pending_blobs() override { return inner_.take_pending_blobs(); }
  base::Status add_blob(const std::string& d, std::int64_t n) override { return inner_.add_blob(d, n); }
  base::Result<std::optional<std::int64_t>> blob_size(const std::string& d) override {
    return inner_.blob_size(d);
  }
  base::Result<std::optional<std::int64_t>> linked_blob_size(const std::string& r,
                                                             const std::string& d) override {
    return inner_.linked_blob_size(r, d);
  }
  base::Status link_blob(const std::string& r, const std::string& d) override {
    return inner_.link_blob(r, d);
  }
  base::Status unlink_blob(const std::string& r, const std::string& d) override {
    return inner_.unlink_blob(r, d);
  }
  base::Result<std::vector<std::pair<std::string, std::int64_t>>> all_blobs() override {
    return inner_.all_blobs();
  }
  base::Status settle_blob(const std::string& d, std::optional<std::int64_t> n) override {
    return inner_.settle_blob(d, n);
  }
  base::Result<std::vector<meta::BlobCandidate>> gc_candidates(meta::TimePoint c, const std::string& a,
                                                               std::size_t n) override {
    return inner_.gc_candidates(c, a, n);
  }
  base::Result<std::vector<meta::DoomedBlob>> doom_blobs(meta::TimePoint c, const std::string& a,
                                                         std::size_t n) override {
    return inner_.doom_blobs(c, a, n);
  }
  base::Status forget_doomed(const std::vector<std::string>& d) override { return inner_.forget_doomed(d); }
  base::Result<std::vector<std::string>> doomed_blobs() override { return inner_.doomed_blobs(); }
  base::Status hold_blobs(const std::string& h, meta::TimePoint until) override {
    return inner_.hold_blobs(h, until);
  }
  base::Status release_blobs(const std::string& h) override { return inner_.release_blobs(h); }
  base::Result<std::vector<meta::ArtifactRef>> untagged_artifacts(const meta::ArtifactRef& a,
                                                                  std::size_t n) override {
    return inner_.untagged_artifacts(a, n);
  }
  void set_storage_cap(std::int64_t b) override { inner_.set_storage_cap(b); }
  base::Result<meta::StorageUsage> project_storage(const std::string& p) override {
    return inner_.project_storage(p);
  }
  base::Result<std::int64_t> registry_storage() override { return inner_.registry_storage(); }
  base::Result<bool> project_uses(const std::string& p, const std::string& d) override {
    return inner_.project_uses(p, d);
  }
  base::Result<std::vector<std::string>> verify_usage() override { return inner_.verify_usage(); }
  base::Result<meta::RegistryCounts> registry_counts() override { return inner_.registry_counts(); }
  base::Status put_manifest(const meta::ManifestRecord& m, const meta::ManifestReferences& refs,
                            const std::string& tag, meta::StorageOutcome* outcome) override {
    return inner_.put_manifest(m, refs, tag, outcome);
  }
  base::Result<std::optional<meta::ManifestRecord>> get_manifest(const std::string& r,
                                                                 const std::string& d) override {
    return inner_.get_manifest(r, d);
  }
  base::Result<std::vector<std::string>> delete_manifest(const std::string& r,
                                                         const std::string& d) override {
    return inner_.delete_manifest(r, d);
  }
  base::Result<meta::Listing<meta::ArtifactRecord>> list_accessories(const std::string& r,
                                                                     const std::string& d,
                                                                     const meta::ListQuery& q) override {
    return inner_.list_accessories(r, d, q);
  }
  base::Status delete_tag(const std::string& r, const std::string& t) override {
    return inner_.delete_tag(r, t);
  }
  base::Result<std::vector<std::string>> list_tags(const std::string& r, const meta::Page& p) override {
    return inner_.list_tags(r, p);
  }
  base::Result<std::vector<std::string>> tags_of(const std::string& r, const std::string& d) override {
    return inner_.tags_of(r, d);
  }
  base::Result<std::vector<std::string>> list_repositories(const meta::Page& p) override {
    return inner_.list_repositories(p);
  }
  base::Result<bool> repository_exists(const std::string& r) override { return inner_.repository_exists(r); }
  base::Result<std::vector<meta::ManifestRecord>> referrers(const std::string& r,
                                                            const std::string& d) override {
    return inner_.referrers(r, d);
  }
  base::Result<meta::ManifestReferences> missing_references(const std::string& r,
                                                            const meta::ManifestReferences& refs) override {
    return inner_.missing_references(r, refs);
  }
  base::Result<meta::Listing<meta::RepositorySummary>> list_repository_summaries(
      const std::string& p, const meta::ListQuery& q) override {
    return inner_.list_repository_summaries(p, q);
  }
  base::Result<std::optional<meta::RepositorySummary>> repository_summary(const std::string& r) override {
    return inner_.repository_summary(r);
  }
  base::Status set_repository_description(const std::string& r, const std::string& d) override {
    return inner_.set_repository_description(r, d);
  }
  base::Status delete_repository(const std::string& r) override { return inner_.delete_repository(r); }
  base::Result<std::vector<meta::ArtifactRecord>> retention_candidates(const std::string& r) override {
    return inner_.retention_candidates(r);
  }
  base::Result<meta::Listing<meta::ArtifactRecord>> list_artifacts(const std::string& r,
                                                                   const meta::ListQuery& q) override {
    return inner_.list_artifacts(r, q);
  }
  base::Result<std::optional<meta::ArtifactRecord>> get_artifact(const std::string& r,
                                                                 const std::string& d) override {
    return inner_.get_artifact(r, d);
  }
  base::Status add_tag(const std::string& r, const std::string& d, const std::string& t) override {
    return inner_.add_tag(r, d, t);
  }
  base::Status record_pulls(const std::vector<meta::PullRecord>& p) override {
    return inner_.record_pulls(p);
  }
  base::Result<std::int64_t> count_repositories(const std::string& p) override {
    return inner_.count_repositories(p);
  }
  base::Result<std::int64_t> storage_used(const std::string& p) override { return inner_.storage_used(p); }
  base::Status create_upload(const meta::UploadRecord& u) override { return inner_.create_upload(u); }
  base::Result<std::optional<meta::UploadRecord>> get_upload(const std::string& id) override {
    return inner_.get_upload(id);
  }
  base::Status delete_upload(const std::string& id) override { return inner_.delete_upload(id); }
  base::Result<std::vector<meta::UploadRecord>> uploads_started_before(meta::TimePoint t) override {
    return inner_.uploads_started_before(t);
  }
  base::Status check() override { return inner_.check(); }
  base::Status integrity_check() override { return inner_.integrity_check(); }
  base::Status snapshot(const std::string& path,
                        const std::function<base::Status(const std::string&, std::int64_t)>& blob) override {
    return inner_.snapshot(path, blob);
  }

 private:
  meta::Database& inner_;
  std::atomic<bool> armed_{false};
  std::mutex mutex_;
  std::condition_variable changed_;
  bool paused_ = false;
  bool released_ = false;
};

// A read that missed the cache and a retag that commits before the read fills it: the
// old answer must not end up in the cache.
TEST_F(RegistryTest, AReadOverlappingARetagDoesNotCacheTheOldAnswer) {
  std::string config = push_blob("repo", "{}");
  std::string layer_a = push_blob("repo", "aaaaa");
  std::string layer_b = push_blob("repo", "bbbbb");
  ASSERT_TRUE(registry_->put_manifest("repo", "t", "", image_manifest(config, layer_a)));

  // A second registry on the same storage, with a cold cache, is the one under test.
  PausingDatabase pausing(*meta_);
  Registry registry(*blobs_, pausing, Options{});
  pausing.arm();
  std::thread reader([&] { (void)registry.get_manifest("repo", "t"); });
  const bool paused = pausing.wait_until_paused();  // the reader has read t -> old
  auto new_manifest = registry.put_manifest("repo", "t", "", image_manifest(config, layer_b));
  pausing.release();
  reader.join();
  ASSERT_TRUE(paused) << "the reader never read the tag from the database";
  ASSERT_TRUE(new_manifest);

  auto now = registry.get_manifest("repo", "t");
  ASSERT_TRUE(now);
  EXPECT_EQ(now->digest, new_manifest->digest);
  auto cached = registry.cached_manifest("repo", "t");
  if (cached) {
    EXPECT_EQ(cached->digest, new_manifest->digest);
  }
}

TEST(RegistryNames, FollowTheSpecGrammar) {
  EXPECT_TRUE(Registry::check_name("library/ubuntu"));
  EXPECT_EQ(Registry::check_name("../etc").error().code, ErrorCode::name_invalid);
  EXPECT_EQ(Registry::check_name("Upper").error().code, ErrorCode::name_invalid);
}

}  // namespace
}  // namespace berth::registry
