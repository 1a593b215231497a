// Pull (spec "Pulling manifests", "Pulling blobs", "Checking if content exists"; end-2,
// end-3): GET and HEAD of blobs and manifests, their headers, and byte ranges.
#include <gtest/gtest.h>

#include "registry_fixture.h"

namespace berth::integration {
namespace {

class PullTest : public RegistryTest {
 protected:
  // An image pushed under tag "v1" of a fresh repository.
  void push_fixture_image(std::size_t layer_size = 256) {
    repo_ = unique_repo();
    image_ = make_image(1, layer_size);
    ASSERT_TRUE(push_image(client(), repo_, "v1", image_));
  }

  std::string repo_;
  Image image_;
};

TEST_F(PullTest, BlobGetReturnsTheBytesWithDigestAndLength) {
  push_fixture_image();
  const Blob& layer = image_.layers[0];
  Response r = client().get(blob_path(repo_, layer.digest));
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.body, layer.data);
  // "If present, the value of this header MUST be a digest matching that of the response body."
  EXPECT_EQ(r.header("Docker-Content-Digest"), layer.digest) << r;
  EXPECT_EQ(r.header("Content-Length"), std::to_string(layer.data.size())) << r;
}

TEST_F(PullTest, BlobHeadHasDigestAndLengthButNoBody) {
  push_fixture_image();
  const Blob& layer = image_.layers[0];
  Response r = client().head(blob_path(repo_, layer.digest));
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.header("Docker-Content-Digest"), layer.digest) << r;
  EXPECT_EQ(r.header("Content-Length"), std::to_string(layer.data.size())) << r;
  EXPECT_TRUE(r.body.empty());
}

TEST_F(PullTest, BlobCarriesAnEtagThatConditionalGetHonours) {
  push_fixture_image();
  const std::string path = blob_path(repo_, image_.config.digest);
  Response r = client().get(path);
  ASSERT_EQ(r.status, 200) << r;
  const std::string etag = r.header("ETag");
  ASSERT_FALSE(etag.empty()) << r;
  EXPECT_EQ(client().head(path).header("ETag"), etag);
  Response conditional = client().get(path, {{"If-None-Match", etag}});
  EXPECT_EQ(conditional.status, 304) << conditional;
  EXPECT_TRUE(conditional.body.empty());
}

struct RangeRow {
  std::string range;  // Range header value
  std::size_t first;
  std::size_t last;
};

TEST_F(PullTest, BlobRangeGetAnswers206WithContentRange) {
  push_fixture_image(4096);
  const Blob& layer = image_.layers[0];
  const std::size_t size = layer.data.size();
  const RangeRow rows[] = {
      {"bytes=0-9", 0, 9},
      {"bytes=100-1123", 100, 1123},
      {"bytes=4000-", 4000, size - 1},      // open end
      {"bytes=-96", size - 96, size - 1},   // suffix
      {"bytes=4090-9999", 4090, size - 1},  // end past the size is clamped
  };
  for (const RangeRow& row : rows) {
    SCOPED_TRACE(row.range);
    Response r = client().get(blob_path(repo_, layer.digest), {{"Range", row.range}});
    ASSERT_EQ(r.status, 206) << r;
    EXPECT_EQ(r.header("Content-Range"), "bytes " + std::to_string(row.first) + "-" +
                                             std::to_string(row.last) + "/" + std::to_string(size))
        << r;
    EXPECT_EQ(r.body, layer.data.substr(row.first, row.last - row.first + 1));
    EXPECT_EQ(r.header("Content-Length"), std::to_string(row.last - row.first + 1)) << r;
  }
}

TEST_F(PullTest, BlobRangeBeyondTheEndAnswers416) {
  push_fixture_image(1000);
  const Blob& layer = image_.layers[0];
  Response r = client().get(blob_path(repo_, layer.digest), {{"Range", "bytes=5000-6000"}});
  EXPECT_EQ(r.status, 416) << r;
  EXPECT_EQ(r.header("Content-Range"), "bytes */1000") << r;
}

TEST_F(PullTest, UnknownBlobAnswers404) {
  push_fixture_image();
  const std::string unknown = sha256_digest("hello world");
  EXPECT_TRUE(IsOciError(client().get(blob_path(repo_, unknown)), 404, {"BLOB_UNKNOWN"}));
  Response head = client().head(blob_path(repo_, unknown));
  EXPECT_EQ(head.status, 404) << head;
}

TEST_F(PullTest, BlobOfAnotherRepositoryIsNotServed) {
  push_fixture_image();
  const std::string other = unique_repo("other");
  ASSERT_TRUE(push_image(client(), other, "v1", make_image()));
  Response r = client().get(blob_path(other, image_.layers[0].digest));
  EXPECT_EQ(r.status, 404) << "a blob linked only to " << repo_ << " leaked into " << other << ": " << r;
}

TEST_F(PullTest, ManifestGetByTagAndByDigest) {
  push_fixture_image();
  for (const std::string& reference : {std::string("v1"), image_.digest}) {
    SCOPED_TRACE(reference);
    Response r = client().get(manifest_path(repo_, reference), {{"Accept", std::string(kOciManifest)}});
    ASSERT_EQ(r.status, 200) << r;
    EXPECT_EQ(r.body, image_.manifest) << "a manifest must come back byte for byte";
    EXPECT_EQ(r.header("Content-Type"), kOciManifest) << r;
    EXPECT_EQ(r.header("Docker-Content-Digest"), image_.digest) << r;
  }
}

TEST_F(PullTest, ManifestHeadByTagAndByDigest) {
  push_fixture_image();
  for (const std::string& reference : {std::string("v1"), image_.digest}) {
    SCOPED_TRACE(reference);
    Response r = client().head(manifest_path(repo_, reference), {{"Accept", std::string(kOciManifest)}});
    ASSERT_EQ(r.status, 200) << r;
    EXPECT_EQ(r.header("Docker-Content-Digest"), image_.digest) << r;
    EXPECT_EQ(r.header("Content-Length"), std::to_string(image_.manifest.size())) << r;
    EXPECT_EQ(r.header("Content-Type"), kOciManifest) << r;
    EXPECT_TRUE(r.body.empty());
  }
}

TEST_F(PullTest, UnknownManifestAnswers404) {
  push_fixture_image();
  // The conformance suite's ".INVALID_MANIFEST_NAME" is a name that is not a valid tag: a
  // pull of it must still be a plain 404, not a 400.
  for (const std::string& reference :
       {std::string("nosuchtag"), sha256_digest("no such manifest"), std::string(".INVALID_MANIFEST_NAME")}) {
    SCOPED_TRACE(reference);
    Response get = client().get(manifest_path(repo_, reference), {{"Accept", kAcceptAnyManifest}});
    EXPECT_EQ(get.status, 404) << get;
    if (reference != ".INVALID_MANIFEST_NAME") {
      EXPECT_TRUE(IsOciError(get, 404, {"MANIFEST_UNKNOWN"}));
    }
    Response head = client().head(manifest_path(repo_, reference), {{"Accept", kAcceptAnyManifest}});
    EXPECT_EQ(head.status, 404) << head;
  }
}

TEST_F(PullTest, ManifestOfUnknownRepositoryAnswers404) {
  Response r = client().get(manifest_path(unique_repo(), "latest"), {{"Accept", kAcceptAnyManifest}});
  EXPECT_TRUE(IsOciError(r, 404, {"NAME_UNKNOWN", "MANIFEST_UNKNOWN"}));
}

// Conformance "400 response body should contain OCI-conforming JSON message".
TEST_F(PullTest, MalformedDigestReferenceAnswers400WithErrorBodyOr404) {
  push_fixture_image();
  Response r = client().get(manifest_path(repo_, "sha256:totallywrong"), {{"Accept", kAcceptAnyManifest}});
  ASSERT_TRUE(r.status == 400 || r.status == 404) << r;
  if (r.status == 400) {
    EXPECT_TRUE(
        IsOciError(r, 400, {"DIGEST_INVALID", "MANIFEST_INVALID", "TAG_INVALID", "MANIFEST_UNKNOWN"}));
  }
}

}  // namespace
}  // namespace berth::integration
