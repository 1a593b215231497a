// Monolithic blob push (spec "Pushing a blob monolithically": POST then PUT, and the
// single POST; end-4a, end-4b, end-6).
#include <gtest/gtest.h>

#include "registry_fixture.h"

namespace berth::integration {
namespace {

class PushMonolithicTest : public RegistryTest {
 protected:
  // GET of a blob-location answers the blob's bytes.
  void expect_pullable(const std::string& location, const Blob& blob) {
    ASSERT_FALSE(location.empty());
    Response r = client().get(location);
    ASSERT_EQ(r.status, 200) << "GET " << location << ": " << r;
    EXPECT_TRUE(r.body == blob.data) << "GET " << location << " returned other bytes";
  }
};

TEST_F(PushMonolithicTest, PostAnswers202WithAnUploadLocation) {
  const std::string repo = unique_repo();
  Response r = start_upload(client(), repo);
  ASSERT_EQ(r.status, 202) << r;
  const std::string location = path_of(r.header("Location"));
  // "The <location> MUST contain a UUID representing a unique session ID".
  ASSERT_TRUE(location.starts_with(uploads_path(repo))) << r;
  EXPECT_GT(location.size(), uploads_path(repo).size()) << "no session id in " << location;

  Response second = start_upload(client(), repo);
  ASSERT_EQ(second.status, 202) << second;
  EXPECT_NE(path_of(second.header("Location")), location) << "two sessions got the same location";
}

TEST_F(PushMonolithicTest, PostThenPutCreatesTheBlob) {
  const std::string repo = unique_repo();
  const Blob blob = random_blob(1000);
  Response started = start_upload(client(), repo);
  ASSERT_EQ(started.status, 202) << started;
  Response r = client().put(with_query(started.header("Location"), "digest", blob.digest), blob.data,
                            {{"Content-Type", "application/octet-stream"}});
  ASSERT_EQ(r.status, 201) << r;
  if (r.has_header("Docker-Content-Digest")) {
    EXPECT_EQ(r.header("Docker-Content-Digest"), blob.digest);
  }
  expect_pullable(r.header("Location"), blob);
  expect_pullable(blob_path(repo, blob.digest), blob);
}

TEST_F(PushMonolithicTest, SinglePostWithDigestCreatesTheBlob) {
  const std::string repo = unique_repo();
  const Blob blob = random_blob(777);
  Response r = post_blob(client(), repo, blob);
  // Registries MAY support the single POST; one that does not answers 202 + Location.
  ASSERT_TRUE(r.status == 201 || r.status == 202) << r;
  ASSERT_FALSE(r.header("Location").empty()) << r;
  if (against_berth()) {
    EXPECT_EQ(r.status, 201) << "Berth supports the single-POST upload";
  }
  Response pulled = client().get(blob_path(repo, blob.digest));
  if (r.status == 201) {
    EXPECT_EQ(pulled.status, 200) << pulled;
    EXPECT_TRUE(pulled.body == blob.data);
  } else {
    EXPECT_EQ(pulled.status, 404) << pulled;
  }
}

TEST_F(PushMonolithicTest, EmptyBlobCanBePushed) {
  const std::string repo = unique_repo();
  const Blob empty = make_blob("");
  Response r = push_blob(client(), repo, empty);
  ASSERT_EQ(r.status, 201) << r;
  Response head = client().head(blob_path(repo, empty.digest));
  EXPECT_EQ(head.status, 200) << head;
  EXPECT_EQ(head.header("Content-Length"), "0") << head;
}

TEST_F(PushMonolithicTest, LargeBlobRoundTrips) {
  const std::string repo = unique_repo();
  const Blob blob = random_blob(6 * 1024 * 1024 + 123);
  Response r = push_blob(client(), repo, blob);
  ASSERT_EQ(r.status, 201) << r;
  Response pulled = client().get(blob_path(repo, blob.digest));
  ASSERT_EQ(pulled.status, 200) << pulled.status;
  EXPECT_EQ(pulled.body.size(), blob.data.size());
  EXPECT_EQ(sha256_digest(pulled.body), blob.digest);
}

TEST_F(PushMonolithicTest, PushingAnExistingBlobAgainSucceeds) {
  const std::string repo = unique_repo();
  const Blob blob = random_blob(300);
  ASSERT_EQ(push_blob(client(), repo, blob).status, 201);
  Response again = push_blob(client(), repo, blob);
  EXPECT_EQ(again.status, 201) << again;
  // And into another repository (layer de-duplication keeps one copy, both see it).
  const std::string other = unique_repo("other");
  EXPECT_EQ(push_blob(client(), other, blob).status, 201);
  expect_pullable(blob_path(other, blob.digest), blob);
  expect_pullable(blob_path(repo, blob.digest), blob);
}

TEST_F(PushMonolithicTest, Sha512BlobUploadAndPull) {
  const std::string repo = unique_repo();
  const Blob blob = make_blob(random_bytes(2048), "sha512");
  ASSERT_TRUE(blob.digest.starts_with("sha512:"));
  Response r = push_blob(client(), repo, blob);
  ASSERT_EQ(r.status, 201) << r;
  Response pulled = client().get(blob_path(repo, blob.digest));
  ASSERT_EQ(pulled.status, 200) << pulled;
  EXPECT_TRUE(pulled.body == blob.data);
  // "If present, the value of this header MUST be a digest matching that of the response
  // body" - in any algorithm; Berth answers in the one that was asked for.
  const std::string answered = pulled.header("Docker-Content-Digest");
  if (!answered.empty()) {
    EXPECT_EQ(answered, digest_of(answered.substr(0, answered.find(':')), pulled.body)) << pulled;
  }
  if (against_berth()) {
    EXPECT_EQ(answered, blob.digest) << pulled;
  }
  Response head = client().head(blob_path(repo, blob.digest));
  EXPECT_EQ(head.status, 200) << head;
  EXPECT_EQ(head.header("Content-Length"), "2048") << head;
}

TEST_F(PushMonolithicTest, UploadsOfTwoRepositoriesAreIndependent) {
  const std::string repo = unique_repo();
  const std::string other = unique_repo("other");
  const Blob blob = random_blob(500);
  ASSERT_EQ(push_blob(client(), repo, blob).status, 201);
  Response r = client().head(blob_path(other, blob.digest));
  EXPECT_EQ(r.status, 404) << r;
}

}  // namespace
}  // namespace berth::integration
