// Content management (spec "Deleting tags", "Deleting Manifests", "Deleting Blobs";
// end-9, end-10).
#include <gtest/gtest.h>

#include <algorithm>

#include "registry_fixture.h"

namespace berth::integration {
namespace {

class DeleteTest : public RegistryTest {
 protected:
  void SetUp() override {
    RegistryTest::SetUp();
    if (HasFatalFailure()) return;
    repo_ = unique_repo();
    doomed_ = make_image();
    kept_ = make_image();
    ASSERT_TRUE(push_image(client(), repo_, "doomed", doomed_));
    ASSERT_EQ(push_manifest(client(), repo_, "doomed-too", doomed_.manifest, kOciManifest).status, 201);
    ASSERT_TRUE(push_image(client(), repo_, "kept", kept_));
  }

  long get_status(const std::string& reference) {
    return client().get(manifest_path(repo_, reference), {{"Accept", kAcceptAnyManifest}}).status;
  }

  std::vector<std::string> tags() {
    Response r = client().get("/v2/" + repo_ + "/tags/list");
    EXPECT_EQ(r.status, 200) << r;
    return tag_list(r).value_or(std::vector<std::string>{});
  }

  static bool contains(const std::vector<std::string>& list, const std::string& item) {
    return std::find(list.begin(), list.end(), item) != list.end();
  }

  std::string repo_;
  Image doomed_;
  Image kept_;
};

TEST_F(DeleteTest, DeleteManifestByDigestRemovesItAndItsTags) {
  Response r = client().del(manifest_path(repo_, doomed_.digest));
  ASSERT_EQ(r.status, 202) << r;
  // "Once deleted, a GET to /v2/<name>/manifests/<digest> and any tag pointing to that
  // digest will return a 404."
  EXPECT_EQ(get_status(doomed_.digest), 404);
  EXPECT_EQ(get_status("doomed"), 404);
  EXPECT_EQ(get_status("doomed-too"), 404);
  EXPECT_EQ(client().head(manifest_path(repo_, doomed_.digest)).status, 404);
  const auto listed = tags();
  EXPECT_FALSE(contains(listed, "doomed"));
  EXPECT_FALSE(contains(listed, "doomed-too"));
  EXPECT_TRUE(contains(listed, "kept"));
  EXPECT_EQ(get_status("kept"), 200);
}

TEST_F(DeleteTest, DeleteTagKeepsTheManifest) {
  Response r = client().del(manifest_path(repo_, "doomed"));
  ASSERT_EQ(r.status, 202) << r;
  EXPECT_EQ(get_status("doomed"), 404);
  EXPECT_EQ(get_status("doomed-too"), 200);
  EXPECT_EQ(get_status(doomed_.digest), 200);
  const auto listed = tags();
  EXPECT_FALSE(contains(listed, "doomed"));
  EXPECT_TRUE(contains(listed, "doomed-too"));
}

TEST_F(DeleteTest, ManifestCanBePushedAgainAfterDeletion) {
  ASSERT_EQ(client().del(manifest_path(repo_, doomed_.digest)).status, 202);
  ASSERT_EQ(push_manifest(client(), repo_, "again", doomed_.manifest, kOciManifest).status, 201);
  EXPECT_EQ(get_status("again"), 200);
  EXPECT_EQ(get_status(doomed_.digest), 200);
}

TEST_F(DeleteTest, DeleteUnknownManifestAnswers404) {
  EXPECT_TRUE(IsOciError(client().del(manifest_path(repo_, sha256_digest("never pushed"))), 404,
                         {"MANIFEST_UNKNOWN"}));
  EXPECT_TRUE(IsOciError(client().del(manifest_path(repo_, "nosuchtag")), 404, {"MANIFEST_UNKNOWN"}));
}

TEST_F(DeleteTest, DeleteManifestTwiceAnswers404TheSecondTime) {
  ASSERT_EQ(client().del(manifest_path(repo_, doomed_.digest)).status, 202);
  EXPECT_TRUE(IsOciError(client().del(manifest_path(repo_, doomed_.digest)), 404, {"MANIFEST_UNKNOWN"}));
}

TEST_F(DeleteTest, DeleteBlob) {
  const Blob& layer = doomed_.layers[0];
  Response r = client().del(blob_path(repo_, layer.digest));
  ASSERT_EQ(r.status, 202) << r;
  EXPECT_TRUE(IsOciError(client().get(blob_path(repo_, layer.digest)), 404, {"BLOB_UNKNOWN"}));
  EXPECT_EQ(client().head(blob_path(repo_, layer.digest)).status, 404);
}

TEST_F(DeleteTest, DeleteUnknownBlobAnswers404) {
  EXPECT_TRUE(
      IsOciError(client().del(blob_path(repo_, sha256_digest("never pushed"))), 404, {"BLOB_UNKNOWN"}));
}

TEST_F(DeleteTest, DeletedBlobCanBePushedAgain) {
  const Blob& layer = kept_.layers[0];
  ASSERT_EQ(client().del(blob_path(repo_, layer.digest)).status, 202);
  ASSERT_EQ(push_blob(client(), repo_, layer).status, 201);
  Response r = client().get(blob_path(repo_, layer.digest));
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_TRUE(r.body == layer.data);
}

}  // namespace
}  // namespace berth::integration
