// Cross-repository blob mount (spec "Mounting a blob from another repository"; end-11).
#include <gtest/gtest.h>

#include "registry_fixture.h"

namespace berth::integration {
namespace {

class MountTest : public RegistryTest {
 protected:
  void SetUp() override {
    RegistryTest::SetUp();
    if (HasFatalFailure()) return;
    source_ = unique_repo("source");
    target_ = unique_repo("target");
    blob_ = random_blob(1500);
    ASSERT_EQ(push_blob(client(), source_, blob_).status, 201);
  }

  Response mount(const std::string& repo, const std::string& digest, const std::string& from) {
    return mount_blob(client(), repo, digest, from);
  }

  // A 202 answer to a mount is an upload session the client can go on with.
  void expect_usable_upload_session(const Response& r, const std::string& repo) {
    ASSERT_EQ(r.status, 202) << r;
    const std::string location = r.header("Location");
    ASSERT_TRUE(path_of(location).starts_with(uploads_path(repo))) << r;
    const Blob fresh = random_blob(64);
    Response put = client().put(with_query(location, "digest", fresh.digest), fresh.data,
                                {{"Content-Type", "application/octet-stream"}});
    EXPECT_EQ(put.status, 201) << "continuing the upload that the mount started: " << put;
  }

  std::string source_;
  std::string target_;
  Blob blob_;
};

TEST_F(MountTest, MountFromAnotherRepositoryAnswers201WithBlobLocation) {
  Response r = mount(target_, blob_.digest, source_);
  ASSERT_EQ(r.status, 201) << r;
  EXPECT_EQ(path_of(r.header("Location")), blob_path(target_, blob_.digest)) << r;
  if (r.has_header("Docker-Content-Digest")) {
    EXPECT_EQ(r.header("Docker-Content-Digest"), blob_.digest);
  }
  Response pulled = client().get(r.header("Location"));
  ASSERT_EQ(pulled.status, 200) << pulled;
  EXPECT_TRUE(pulled.body == blob_.data);
}

TEST_F(MountTest, MountOfUnknownBlobStartsAnUpload) {
  Response r = mount(target_, sha256_digest("never pushed " + random_hex(8)), source_);
  expect_usable_upload_session(r, target_);
}

TEST_F(MountTest, MountWithoutFromStartsAnUpload) {
  Response r = mount(target_, blob_.digest, "");
  if (r.status == 201) {
    // "The registry MAY treat the from parameter as optional" (automatic cross-mount).
    EXPECT_FALSE(against_berth()) << "Berth must not mount without `from`: that would reveal blobs of "
                                     "repositories the client never named";
    return;
  }
  expect_usable_upload_session(r, target_);
}

TEST_F(MountTest, MountFromARepositoryThatLacksTheBlobStartsAnUpload) {
  // The blob exists in the registry (in source_), but not in the repository named by from.
  const std::string bystander = unique_repo("bystander");
  ASSERT_EQ(push_blob(client(), bystander, random_blob(10)).status, 201);
  Response r = mount(target_, blob_.digest, bystander);
  expect_usable_upload_session(r, target_);
  EXPECT_EQ(client().head(blob_path(target_, blob_.digest)).status, 404);
}

TEST_F(MountTest, MountFromUnknownRepositoryStartsAnUpload) {
  Response r = mount(target_, blob_.digest, unique_repo("nowhere"));
  expect_usable_upload_session(r, target_);
}

TEST_F(MountTest, MountedBlobOutlivesItsDeletionFromTheSource) {
  ASSERT_EQ(mount(target_, blob_.digest, source_).status, 201);
  Response deleted = client().del(blob_path(source_, blob_.digest));
  ASSERT_EQ(deleted.status, 202) << deleted;
  EXPECT_EQ(client().head(blob_path(source_, blob_.digest)).status, 404);
  Response pulled = client().get(blob_path(target_, blob_.digest));
  ASSERT_EQ(pulled.status, 200) << pulled;
  EXPECT_TRUE(pulled.body == blob_.data);
}

}  // namespace
}  // namespace berth::integration
