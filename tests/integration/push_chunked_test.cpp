// Chunked and streamed blob push (spec "Pushing a blob in chunks"; end-5, end-6, end-13,
// end-14): PATCH with Content-Range in order, 416 out of order, upload status, streamed
// PATCH without Content-Range, the closing PUT, and cancelling.
#include <gtest/gtest.h>

#include "registry_fixture.h"

namespace berth::integration {
namespace {

const HeaderList kOctetStream{{"Content-Type", "application/octet-stream"}};

HeaderList chunk_headers(std::size_t first, std::size_t size) {
  return {{"Content-Type", "application/octet-stream"},
          {"Content-Range", std::to_string(first) + "-" + std::to_string(first + size - 1)}};
}

std::string range_through(std::size_t last) {
  return "0-" + std::to_string(last);
}

class PushChunkedTest : public RegistryTest {
 protected:
  void SetUp() override {
    RegistryTest::SetUp();
    if (HasFatalFailure()) return;
    repo_ = unique_repo();
    blob_ = random_blob(42 * 1024 + 7);
    Response started = start_upload(client(), repo_);
    ASSERT_EQ(started.status, 202) << started;
    ASSERT_FALSE(started.header("Location").empty()) << started;
    session_ = started.header("Location");
    // Honour a minimum chunk size when the registry states one.
    if (auto minimum = started.header("OCI-Chunk-Min-Length"); !minimum.empty()) {
      std::size_t min = std::stoull(minimum);
      if (min > blob_.data.size() / 2) blob_ = random_blob(min * 2 + 1);
    }
    split_ = blob_.data.size() / 2 + 1;
  }

  std::string first_half() const { return blob_.data.substr(0, split_); }
  std::string second_half() const { return blob_.data.substr(split_); }

  Response patch_first_half(const std::string& location) {
    return client().patch(location, first_half(), chunk_headers(0, split_));
  }
  Response patch_second_half(const std::string& location) {
    return client().patch(location, second_half(), chunk_headers(split_, blob_.data.size() - split_));
  }
  Response close(const std::string& location) {
    return client().put(with_query(location, "digest", blob_.digest), "", kOctetStream);
  }
  void expect_blob_pullable() {
    Response r = client().get(blob_path(repo_, blob_.digest));
    ASSERT_EQ(r.status, 200) << r.status;
    EXPECT_TRUE(r.body == blob_.data) << "the assembled blob differs from what was sent";
  }

  std::string repo_;
  Blob blob_;
  std::string session_;  // Location of the POST
  std::size_t split_ = 0;
};

TEST_F(PushChunkedTest, TwoChunksInOrderThenCloseWithPut) {
  Response first = patch_first_half(session_);
  ASSERT_EQ(first.status, 202) << first;
  ASSERT_FALSE(first.header("Location").empty()) << first;
  EXPECT_EQ(first.header("Range"), range_through(split_ - 1)) << first;

  Response second = patch_second_half(first.header("Location"));
  ASSERT_EQ(second.status, 202) << second;
  ASSERT_FALSE(second.header("Location").empty()) << second;
  EXPECT_EQ(second.header("Range"), range_through(blob_.data.size() - 1)) << second;

  Response closed = close(second.header("Location"));
  ASSERT_EQ(closed.status, 201) << closed;
  EXPECT_FALSE(closed.header("Location").empty()) << closed;
  expect_blob_pullable();
}

TEST_F(PushChunkedTest, ManySmallChunks) {
  const Blob blob = random_blob(200 * 1024 + 3);
  Response r = push_blob_chunked(client(), repo_, blob, 16 * 1024);
  ASSERT_EQ(r.status, 201) << r;
  Response pulled = client().get(blob_path(repo_, blob.digest));
  ASSERT_EQ(pulled.status, 200);
  EXPECT_TRUE(pulled.body == blob.data);
}

TEST_F(PushChunkedTest, FirstChunkNotStartingAtZeroAnswers416) {
  Response r = patch_second_half(session_);
  EXPECT_EQ(r.status, 416) << r;
}

TEST_F(PushChunkedTest, RetriedChunkAnswers416AndStatusShowsTheValidRange) {
  Response first = patch_first_half(session_);
  ASSERT_EQ(first.status, 202) << first;
  // The same chunk again, to the POST's location: out of order now.
  Response retry = patch_first_half(session_);
  EXPECT_EQ(retry.status, 416) << retry;

  // "To get the current status after a 416 error, issue a GET request to <location>":
  // 204 with Location and Range: 0-<end-of-range>.
  Response status = client().get(session_);
  ASSERT_EQ(status.status, 204) << status;
  ASSERT_FALSE(status.header("Location").empty()) << status;
  EXPECT_EQ(status.header("Range"), range_through(split_ - 1)) << status;

  Response second = patch_second_half(status.header("Location"));
  ASSERT_EQ(second.status, 202) << second;
  Response closed = close(second.header("Location"));
  ASSERT_EQ(closed.status, 201) << closed;
  expect_blob_pullable();
}

TEST_F(PushChunkedTest, ChunkLeavingAGapAnswers416) {
  ASSERT_EQ(patch_first_half(session_).status, 202);
  const std::size_t gap_start = split_ + 10;
  Response r = client().patch(session_, blob_.data.substr(gap_start),
                              chunk_headers(gap_start, blob_.data.size() - gap_start));
  EXPECT_EQ(r.status, 416) << r;
}

TEST_F(PushChunkedTest, MalformedContentRangeIsRejected) {
  // The spec's grammar is ^[0-9]+-[0-9]+$ (a client MUST); what a registry does with
  // other forms is open, except that nonsense must not be taken as data.
  for (const std::string& range : {std::string("abc"), std::string("9-0"), std::string("-5")}) {
    SCOPED_TRACE(range);
    Response fresh = start_upload(client(), repo_);
    ASSERT_EQ(fresh.status, 202) << fresh;
    Response r = client().patch(fresh.header("Location"), std::string(10, 'x'),
                                {{"Content-Type", "application/octet-stream"}, {"Content-Range", range}});
    EXPECT_TRUE(r.status == 400 || r.status == 416) << r;
  }
}

TEST_F(PushChunkedTest, UploadStatusReportsRangeAndLocation) {
  Response first = patch_first_half(session_);
  ASSERT_EQ(first.status, 202) << first;
  Response status = client().get(first.header("Location"));
  ASSERT_EQ(status.status, 204) << status;
  EXPECT_EQ(status.header("Range"), range_through(split_ - 1)) << status;
  EXPECT_TRUE(path_of(status.header("Location")).starts_with(uploads_path(repo_))) << status;
  EXPECT_TRUE(status.body.empty());
}

// Conformance "Blob Upload Streamed": a PATCH without Content-Range carries the data.
TEST_F(PushChunkedTest, StreamedPatchWithoutContentRange) {
  Response patched = client().patch(session_, blob_.data, kOctetStream);
  ASSERT_EQ(patched.status, 202) << patched;
  ASSERT_FALSE(patched.header("Location").empty()) << patched;
  EXPECT_EQ(patched.header("Range"), range_through(blob_.data.size() - 1)) << patched;
  Response closed = close(patched.header("Location"));
  ASSERT_EQ(closed.status, 201) << closed;
  expect_blob_pullable();
}

TEST_F(PushChunkedTest, StreamedPatchesAppend) {
  Response first = client().patch(session_, first_half(), kOctetStream);
  ASSERT_EQ(first.status, 202) << first;
  Response second = client().patch(first.header("Location"), second_half(), kOctetStream);
  ASSERT_EQ(second.status, 202) << second;
  EXPECT_EQ(second.header("Range"), range_through(blob_.data.size() - 1)) << second;
  ASSERT_EQ(close(second.header("Location")).status, 201);
  expect_blob_pullable();
}

// What docker and containerd send: a PATCH body with Transfer-Encoding: chunked.
TEST_F(PushChunkedTest, StreamedPatchWithChunkedTransferEncoding) {
  Request request{"PATCH", session_, kOctetStream, blob_.data, /*chunked=*/true};
  Response patched = client().send(request);
  ASSERT_EQ(patched.status, 202) << patched;
  EXPECT_EQ(patched.header("Range"), range_through(blob_.data.size() - 1)) << patched;
  ASSERT_EQ(close(patched.header("Location")).status, 201);
  expect_blob_pullable();
}

// "The final chunk MAY be uploaded using a PATCH request or it MAY be uploaded in the
// closing PUT request."
TEST_F(PushChunkedTest, FinalChunkInTheClosingPut) {
  Response first = patch_first_half(session_);
  ASSERT_EQ(first.status, 202) << first;
  Response closed = client().put(with_query(first.header("Location"), "digest", blob_.digest), second_half(),
                                 chunk_headers(split_, blob_.data.size() - split_));
  ASSERT_EQ(closed.status, 201) << closed;
  expect_blob_pullable();
}

TEST_F(PushChunkedTest, CancelledUploadIsGone) {
  Response first = patch_first_half(session_);
  ASSERT_EQ(first.status, 202) << first;
  const std::string location = first.header("Location");
  Response cancelled = client().del(location);
  EXPECT_EQ(cancelled.status, 204) << cancelled;
  EXPECT_TRUE(IsOciError(client().get(location), 404, {"BLOB_UPLOAD_UNKNOWN"}));
  EXPECT_TRUE(IsOciError(patch_second_half(location), 404, {"BLOB_UPLOAD_UNKNOWN"}));
  EXPECT_TRUE(IsOciError(close(location), 404, {"BLOB_UPLOAD_UNKNOWN"}));
  EXPECT_EQ(client().head(blob_path(repo_, blob_.digest)).status, 404);
}

TEST_F(PushChunkedTest, CompletedUploadIsGone) {
  Response patched = client().patch(session_, blob_.data, kOctetStream);
  ASSERT_EQ(patched.status, 202) << patched;
  const std::string location = patched.header("Location");
  ASSERT_EQ(close(location).status, 201);
  EXPECT_TRUE(IsOciError(client().get(location), 404, {"BLOB_UPLOAD_UNKNOWN"}));
  EXPECT_TRUE(IsOciError(client().patch(location, "more", kOctetStream), 404, {"BLOB_UPLOAD_UNKNOWN"}));
}

TEST_F(PushChunkedTest, DigestMismatchOnCloseIsRejectedAndNothingIsStored) {
  Response patched = client().patch(session_, blob_.data, kOctetStream);
  ASSERT_EQ(patched.status, 202) << patched;
  const std::string wrong = sha256_digest("not the uploaded bytes");
  Response closed = client().put(with_query(patched.header("Location"), "digest", wrong), "", kOctetStream);
  EXPECT_TRUE(IsOciError(closed, 400, {"DIGEST_INVALID"}));
  EXPECT_EQ(client().head(blob_path(repo_, wrong)).status, 404);
  EXPECT_EQ(client().head(blob_path(repo_, blob_.digest)).status, 404);
}

TEST_F(PushChunkedTest, UploadSessionIsBoundToItsRepository) {
  const std::string other = unique_repo("other");
  ASSERT_EQ(start_upload(client(), other).status, 202);  // make sure the other repository exists
  std::string location = path_of(session_);
  std::string foreign = uploads_path(other) + location.substr(uploads_path(repo_).size());
  Response r = client().patch(foreign, blob_.data, kOctetStream);
  ASSERT_TRUE(r.status == 404 || r.status == 400) << "PATCH " << foreign << ": " << r;
  EXPECT_TRUE(IsOciError(r, r.status, {"BLOB_UPLOAD_UNKNOWN", "BLOB_UPLOAD_INVALID"})) << "PATCH " << foreign;
}

}  // namespace
}  // namespace berth::integration
