// Contract tests of registry::Registry over the real filesystem store and SQLite.
#include "registry/registry.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

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
    meta_ = std::move(meta).value();
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

  std::string image_manifest(const std::string& config, const std::string& layer, const std::string& subject = "") {
    std::string body = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
                       R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
                       config + R"(","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar",)"
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
  std::string index = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)"
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

TEST(RegistryNames, FollowTheSpecGrammar) {
  EXPECT_TRUE(Registry::check_name("library/ubuntu"));
  EXPECT_EQ(Registry::check_name("../etc").error().code, ErrorCode::name_invalid);
  EXPECT_EQ(Registry::check_name("Upper").error().code, ErrorCode::name_invalid);
}

}  // namespace
}  // namespace berth::registry
