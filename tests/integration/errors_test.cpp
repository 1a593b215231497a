// Error handling (spec "Error Codes" and the failure columns of the endpoint table): the
// JSON error body, digests that do not match or cannot be parsed, invalid names and
// tags, clients that disappear mid-body, and oversized request heads.
#include <gtest/gtest.h>

#include <thread>

#include "registry_fixture.h"

namespace berth::integration {
namespace {
using namespace std::chrono_literals;

const HeaderList kOctetStream{{"Content-Type", "application/octet-stream"}};

class ErrorsTest : public RegistryTest {
 protected:
  void SetUp() override {
    RegistryTest::SetUp();
    if (HasFatalFailure()) return;
    repo_ = unique_repo();
    image_ = make_image();
    ASSERT_TRUE(push_image(client(), repo_, "latest", image_));
  }

  // On Berth, the file a committed blob would have.
  std::filesystem::path blob_file(const std::string& digest) const {
    const std::string algorithm = digest.substr(0, digest.find(':'));
    const std::string hex = digest.substr(digest.find(':') + 1);
    return registry().data_dir() / "blobs" / algorithm / hex.substr(0, 2) / hex;
  }

  std::string repo_;
  Image image_;
};

struct ErrorRow {
  std::string what;
  Request request;
  long status;
  std::vector<std::string> codes;  // any of these
};

// Every error answer carries {"errors":[{"code":...,"message":...}]} with a spec code.
TEST_F(ErrorsTest, ErrorResponsesCarryTheSpecErrorBody) {
  const std::string unknown_upload = uploads_path(repo_) + "3f1c9b1e-7a1d-4d6c-9b0e-2f4f5b8c9d01";
  const std::string unknown_digest = sha256_digest("no such content");
  const Blob blob = random_blob(100);
  Response session = start_upload(client(), repo_);
  ASSERT_EQ(session.status, 202) << session;
  const std::vector<ErrorRow> rows = {
      {"GET unknown manifest",
       {"GET", manifest_path(repo_, "nosuchtag"), {}, std::nullopt},
       404,
       {"MANIFEST_UNKNOWN"}},
      {"GET unknown blob",
       {"GET", blob_path(repo_, unknown_digest), {}, std::nullopt},
       404,
       {"BLOB_UNKNOWN"}},
      {"GET tags of unknown repository",
       {"GET", "/v2/" + unique_repo("nothing") + "/tags/list", {}, std::nullopt},
       404,
       {"NAME_UNKNOWN"}},
      {"GET unknown upload", {"GET", unknown_upload, {}, std::nullopt}, 404, {"BLOB_UPLOAD_UNKNOWN"}},
      {"PATCH unknown upload",
       {"PATCH", unknown_upload, kOctetStream, std::string("data")},
       404,
       {"BLOB_UPLOAD_UNKNOWN"}},
      {"PUT unknown upload",
       {"PUT", with_query(unknown_upload, "digest", blob.digest), kOctetStream, blob.data},
       404,
       {"BLOB_UPLOAD_UNKNOWN"}},
      {"DELETE unknown upload", {"DELETE", unknown_upload, {}, std::nullopt}, 404, {"BLOB_UPLOAD_UNKNOWN"}},
      {"PUT malformed manifest",
       {"PUT",
        manifest_path(repo_, "bad"),
        {{"Content-Type", std::string(kOciManifest)}},
        std::string("blablabla")},
       400,
       {"MANIFEST_INVALID"}},
      {"DELETE unknown manifest",
       {"DELETE", manifest_path(repo_, unknown_digest), {}, std::nullopt},
       404,
       {"MANIFEST_UNKNOWN"}},
      {"DELETE unknown blob",
       {"DELETE", blob_path(repo_, unknown_digest), {}, std::nullopt},
       404,
       {"BLOB_UNKNOWN"}},
      {"closing PUT with malformed digest",
       {"PUT", with_query(session.header("Location"), "digest", "sha256:totallywrong"), kOctetStream,
        blob.data},
       400,
       {"DIGEST_INVALID"}},
      // The conformance suite's "400 response body should contain OCI-conforming JSON message".
      {"PUT invalid manifest to a malformed digest",
       {"PUT",
        manifest_path(repo_, "sha256:totallywrong"),
        {{"Content-Type", std::string(kOciManifest)}},
        std::string("blablabla")},
       400,
       {"BLOB_UNKNOWN", "BLOB_UPLOAD_INVALID", "BLOB_UPLOAD_UNKNOWN", "DIGEST_INVALID",
        "MANIFEST_BLOB_UNKNOWN", "MANIFEST_INVALID", "MANIFEST_UNKNOWN", "NAME_INVALID", "NAME_UNKNOWN",
        "SIZE_INVALID", "TAG_INVALID", "UNAUTHORIZED", "DENIED", "UNSUPPORTED"}},
  };
  for (const ErrorRow& row : rows) {
    SCOPED_TRACE(row.what);
    Response r = client().send(row.request);
    auto result = IsOciError(r, row.status, {});
    EXPECT_TRUE(result);
    if (!result) continue;
    auto codes = error_codes(r).value();
    EXPECT_TRUE(std::find_first_of(codes.begin(), codes.end(), row.codes.begin(), row.codes.end()) !=
                codes.end())
        << "want " << row.codes.front() << ": " << r;
  }
}

TEST_F(ErrorsTest, DigestMismatchOnPutIsRejectedAndNothingIsStored) {
  const Blob blob = random_blob(1000);
  const std::string claimed = sha256_digest("something else");
  Response started = start_upload(client(), repo_);
  ASSERT_EQ(started.status, 202) << started;
  Response r =
      client().put(with_query(started.header("Location"), "digest", claimed), blob.data, kOctetStream);
  EXPECT_TRUE(IsOciError(r, 400, {"DIGEST_INVALID"}));
  EXPECT_EQ(client().head(blob_path(repo_, claimed)).status, 404);
  EXPECT_EQ(client().head(blob_path(repo_, blob.digest)).status, 404);
}

TEST_F(ErrorsTest, DigestMismatchOnSinglePostIsRejectedAndNothingIsStored) {
  const Blob blob = random_blob(1000);
  const std::string claimed = sha256_digest("something else entirely");
  Response r = client().post(with_query(uploads_path(repo_), "digest", claimed), blob.data, kOctetStream);
  if (r.status == 202) GTEST_SKIP() << "the registry does not support the single POST upload";
  EXPECT_TRUE(IsOciError(r, 400, {"DIGEST_INVALID"}));
  EXPECT_EQ(client().head(blob_path(repo_, claimed)).status, 404);
  EXPECT_EQ(client().head(blob_path(repo_, blob.digest)).status, 404);
}

TEST_F(ErrorsTest, PutWithoutDigestIsRejected) {
  Response started = start_upload(client(), repo_);
  ASSERT_EQ(started.status, 202) << started;
  Response r = client().put(started.header("Location"), "some bytes", kOctetStream);
  EXPECT_TRUE(IsOciError(r, 400, {"DIGEST_INVALID", "BLOB_UPLOAD_INVALID"}));
}

// A digest the registry cannot parse or whose algorithm it does not implement:
// DIGEST_INVALID (or UNSUPPORTED), never a stored blob.
TEST_F(ErrorsTest, UnusableDigestsAreRejected) {
  const Blob blob = random_blob(256);
  const std::string digests[] = {
      "sha384:" + std::string(96, 'a'),  // well-formed, not an algorithm the image spec registers
      "foo:bar",
      "sha256:" + std::string(63, 'a'),  // wrong length
      "sha256:" + std::string(64, 'G'),  // not hex
      "sha256:" + std::string(64, 'A'),  // uppercase hex is not canonical
      "sha256",                          // no hex at all
  };
  for (const std::string& digest : digests) {
    SCOPED_TRACE(digest);
    Response started = start_upload(client(), repo_);
    ASSERT_EQ(started.status, 202) << started;
    Response r =
        client().put(with_query(started.header("Location"), "digest", digest), blob.data, kOctetStream);
    ASSERT_EQ(r.status, 400) << r;
    EXPECT_TRUE(IsOciError(r, r.status, {"DIGEST_INVALID", "UNSUPPORTED"}));
    Response lookup = client().get(blob_path(repo_, digest));
    EXPECT_TRUE(lookup.status == 400 || lookup.status == 404 || lookup.status == 415) << lookup;
  }
  EXPECT_EQ(client().head(blob_path(repo_, blob.digest)).status, 404);
}

// Repository names must match [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/...)*. A registry answers
// NAME_INVALID, or 404 where its router cannot tell the name apart; never success, and
// never a file outside its data directory.
TEST_F(ErrorsTest, InvalidRepositoryNamesAreRejected) {
  const std::vector<std::string> names = {
      "UPPER/case", "Upper", "a/../b",  "..",     "a/%2e%2e/b", "%2e%2e/%2e%2e/escape",
      "a/./b",      "a//b",  "-lead",   "trail-", "a..b",       "a___b",
      "a/b/",       "a%2fb", "na%20me",
  };
  std::map<std::string, std::uintmax_t> before;
  const std::filesystem::path escape_target = registry().scratch_dir().parent_path() / "escape";
  const bool escape_existed = against_berth() && std::filesystem::exists(escape_target);
  if (against_berth()) {
    before = snapshot_tree(registry().scratch_dir(),
                           {registry().data_dir(), registry().scratch_dir() / "berth.log"});
  }
  const Blob blob = random_blob(64);
  for (const std::string& name : names) {
    SCOPED_TRACE(name);
    const std::vector<Request> requests = {
        {"POST", "/v2/" + name + "/blobs/uploads/", {}, std::string()},
        {"POST", with_query("/v2/" + name + "/blobs/uploads/", "digest", blob.digest), kOctetStream,
         blob.data},
        {"PUT",
         "/v2/" + name + "/manifests/latest",
         {{"Content-Type", std::string(kOciManifest)}},
         image_.manifest},
        {"GET", "/v2/" + name + "/tags/list", {}, std::nullopt},
        {"GET", "/v2/" + name + "/manifests/latest", {}, std::nullopt},
    };
    for (const Request& request : requests) {
      Response r = client().send(request);
      SCOPED_TRACE(request.method + " " + request.target);
      // A router that normalises dot segments may redirect; Berth does not.
      const bool redirect = !against_berth() && (r.status == 301 || r.status == 308);
      EXPECT_TRUE(r.status == 400 || r.status == 404 || redirect) << r;
      if (r.status == 400) {
        EXPECT_TRUE(IsOciError(r, 400, {"NAME_INVALID"}));
      }
      if (against_berth()) {
        EXPECT_TRUE(error_codes(r).has_value()) << "Berth answers JSON errors: " << r;
      }
    }
  }
  if (against_berth()) {
    EXPECT_EQ(snapshot_tree(registry().scratch_dir(),
                            {registry().data_dir(), registry().scratch_dir() / "berth.log"}),
              before)
        << "a request with an invalid name touched files outside the data directory";
    EXPECT_EQ(std::filesystem::exists(escape_target), escape_existed) << escape_target;
  }
}

// Tags must match [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}.
TEST_F(ErrorsTest, InvalidTagsAreRejectedOnPush) {
  const Image image = make_image();
  ASSERT_EQ(push_blob(client(), repo_, image.config).status, 201);
  ASSERT_EQ(push_blob(client(), repo_, image.layers[0]).status, 201);
  const std::vector<std::string> tags = {"-lead", ".dot",    std::string(129, 'a'),
                                         "tag!x", "tag%2Fx", "t%20ag"};
  for (const std::string& tag : tags) {
    SCOPED_TRACE(tag);
    Response r = push_manifest(client(), repo_, tag, image.manifest, kOciManifest);
    ASSERT_TRUE(r.status == 400 || r.status == 404) << r;
    if (r.status == 400) {
      EXPECT_TRUE(IsOciError(r, 400, {"TAG_INVALID", "MANIFEST_INVALID"}));
    }
    if (against_berth()) {
      EXPECT_EQ(r.status, 400) << "Berth tells an invalid tag apart: " << r;
    }
  }
  Response by_digest = client().get(manifest_path(repo_, image.digest), {{"Accept", kAcceptAnyManifest}});
  EXPECT_EQ(by_digest.status, 404) << "a manifest pushed under an invalid tag was stored: " << by_digest;
}

// A client that promises more bytes than it sends and then goes away leaves no blob.
TEST_F(ErrorsTest, TruncatedBodyFromADisconnectingClientLeavesNoBlob) {
  const Blob blob = random_blob(20000);
  const std::string host = registry().url().substr(registry().url().find("://") + 3);
  auto send_half_and_vanish = [&](const std::string& target) {
    std::string head =
        "PUT " + target + " HTTP/1.1\r\nHost: " + host + "\r\n" + admin_authorization_line() +
        "Content-Type: application/octet-stream\r\nContent-Length: " + std::to_string(blob.data.size()) +
        "\r\n\r\n";
    if (target.starts_with(uploads_path(repo_) + "?")) head.replace(0, 3, "POST");
    ASSERT_TRUE(raw_exchange(registry().url(), head + blob.data.substr(0, blob.data.size() / 2), false, 0ms));
  };

  // The single POST ?digest=, and the closing PUT of a session.
  send_half_and_vanish(with_query(uploads_path(repo_), "digest", blob.digest));
  Response started = start_upload(client(), repo_);
  ASSERT_EQ(started.status, 202) << started;
  send_half_and_vanish(path_of(with_query(started.header("Location"), "digest", blob.digest)));

  std::this_thread::sleep_for(300ms);  // let the server notice the closed connections
  EXPECT_EQ(client().head(blob_path(repo_, blob.digest)).status, 404);
  EXPECT_EQ(client().get(blob_path(repo_, blob.digest)).status, 404);
  if (against_berth()) {
    EXPECT_FALSE(std::filesystem::exists(blob_file(blob.digest))) << blob_file(blob.digest);
  }
  EXPECT_EQ(client().get("/v2/").status, 200) << "the registry must keep serving";
  // The same blob, sent whole, still goes in.
  EXPECT_EQ(push_blob(client(), repo_, blob).status, 201);
}

TEST_F(ErrorsTest, BodyLongerThanContentLengthStoresOnlyTheAnnouncedBytes) {
  // A client announces 5 bytes and sends more: the 5 bytes are the blob; what follows is
  // read as the next request on the connection, which is malformed and refused.
  const std::string announced = "hello";
  const std::string digest = sha256_digest(announced);
  const std::string longer = announced + "-and trailing bytes that are no request\r\n\r\n";
  const std::string host = registry().url().substr(registry().url().find("://") + 3);
  const std::string request =
      "POST " + with_query(uploads_path(repo_), "digest", digest) + " HTTP/1.1\r\nHost: " + host + "\r\n" +
      admin_authorization_line() +
      "Content-Type: application/octet-stream\r\nContent-Length: " + std::to_string(announced.size()) +
      "\r\n\r\n" + longer;
  auto reply = raw_exchange(registry().url(), request, true, 2000ms);
  ASSERT_TRUE(reply);
  if (reply->starts_with("HTTP/1.1 202"))
    GTEST_SKIP() << "the registry does not support the single POST upload";
  EXPECT_TRUE(reply->starts_with("HTTP/1.1 201")) << *reply;
  EXPECT_NE(reply->find("HTTP/1.1 400"), std::string::npos)
      << "the trailing bytes must be refused: " << *reply;

  Response stored = client().get(blob_path(repo_, digest));
  ASSERT_EQ(stored.status, 200) << stored;
  EXPECT_EQ(stored.body, announced);
  EXPECT_EQ(client().head(blob_path(repo_, sha256_digest(longer))).status, 404);
  EXPECT_EQ(client().get("/v2/").status, 200) << "the registry must keep serving";
}

TEST_F(ErrorsTest, HeaderBlockOver16KiBAnswers431) {
  if (!against_berth()) GTEST_SKIP() << "the 16 KiB head limit is Berth's; other registries choose their own";
  Response r = client().get("/v2/", {{"X-Padding", std::string(20 * 1024, 'h')}});
  EXPECT_EQ(r.status, 431) << r;
  HttpClient fresh(registry().url());
  fresh.set_basic_auth("admin", kAdminPassword);
  EXPECT_EQ(fresh.get("/v2/", {{"X-Padding", std::string(8 * 1024, 'h')}}).status, 200);
}

}  // namespace
}  // namespace berth::integration
