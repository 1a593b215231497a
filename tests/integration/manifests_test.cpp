// Manifests (spec "Pushing Manifests", "Pulling manifests"; end-3, end-7): OCI image
// manifests and indexes, Docker v2 manifests and lists, artifacts, the subject field,
// and what a registry must refuse.
#include <gtest/gtest.h>

#include "registry_fixture.h"

namespace berth::integration {
namespace {

class ManifestsTest : public RegistryTest {
 protected:
  void SetUp() override {
    RegistryTest::SetUp();
    repo_ = unique_repo();
  }

  // Pushes the image's blobs only.
  void push_blobs_of(const Image& image) {
    ASSERT_EQ(push_blob(client(), repo_, image.config).status, 201);
    for (const Blob& layer : image.layers) ASSERT_EQ(push_blob(client(), repo_, layer).status, 201);
  }

  // GET by `reference` answers exactly `manifest` as `media_type`.
  void expect_manifest(const std::string& reference, const std::string& manifest,
                       std::string_view media_type) {
    Response r = client().get(manifest_path(repo_, reference), {{"Accept", kAcceptAnyManifest}});
    ASSERT_EQ(r.status, 200) << "GET " << reference << ": " << r;
    EXPECT_TRUE(r.body == manifest) << "GET " << reference << " did not return the pushed bytes";
    EXPECT_EQ(r.header("Content-Type"), media_type) << r;
    EXPECT_EQ(r.header("Docker-Content-Digest"), sha256_digest(manifest)) << r;
  }

  void expect_absent(const std::string& reference) {
    Response r = client().get(manifest_path(repo_, reference), {{"Accept", kAcceptAnyManifest}});
    EXPECT_EQ(r.status, 404) << "GET " << reference << " after a refused push: " << r;
  }

  std::string repo_;
};

TEST_F(ManifestsTest, PutByTagAnswers201WithLocationAndDigest) {
  const Image image = make_image(2);
  push_blobs_of(image);
  Response r = push_manifest(client(), repo_, "v1", image.manifest, kOciManifest);
  ASSERT_EQ(r.status, 201) << r;
  EXPECT_EQ(r.header("Docker-Content-Digest"), image.digest) << r;
  ASSERT_FALSE(r.header("Location").empty()) << r;
  Response pulled = client().get(r.header("Location"), {{"Accept", kAcceptAnyManifest}});
  ASSERT_EQ(pulled.status, 200) << "the Location of a pushed manifest must be pullable: " << pulled;
  EXPECT_TRUE(pulled.body == image.manifest);
  expect_manifest("v1", image.manifest, kOciManifest);
  expect_manifest(image.digest, image.manifest, kOciManifest);
}

TEST_F(ManifestsTest, PutByDigest) {
  const Image image = make_image();
  push_blobs_of(image);
  Response r = push_manifest(client(), repo_, image.digest, image.manifest, kOciManifest);
  ASSERT_EQ(r.status, 201) << r;
  EXPECT_EQ(r.header("Docker-Content-Digest"), image.digest) << r;
  EXPECT_FALSE(r.header("Location").empty()) << r;
  expect_manifest(image.digest, image.manifest, kOciManifest);
}

TEST_F(ManifestsTest, PutByDigestThatDoesNotMatchTheBodyIsRejected) {
  const Image image = make_image();
  push_blobs_of(image);
  const std::string wrong = sha256_digest("some other manifest");
  Response r = push_manifest(client(), repo_, wrong, image.manifest, kOciManifest);
  EXPECT_TRUE(IsOciError(r, 400, {"DIGEST_INVALID", "MANIFEST_INVALID"}));
  expect_absent(wrong);
  expect_absent(image.digest);
}

// "The registry MUST store the manifest exactly as provided": whitespace, key order,
// unknown fields and the descriptor "data" field all survive.
TEST_F(ManifestsTest, ManifestIsStoredByteForByte) {
  Image image = make_image();
  push_blobs_of(image);
  const Blob& layer = image.layers[0];
  std::string manifest =
      "{\n   \"schemaVersion\" : 2,\n\t\"mediaType\":\"" + std::string(kOciManifest) +
      "\",\n  \"config\": {\"size\": " + std::to_string(image.config.data.size()) + ", \"digest\": \"" +
      image.config.digest + "\", \"mediaType\": \"" + std::string(kOciConfig) + "\", \"data\": \"" +
      base64_encode(image.config.data) +
      "\", \"newUnspecifiedField\": \"aGVsbG8gd29ybGQ=\"},\n  \"layers\": [ {\"mediaType\": \"" +
      std::string(kOciLayer) + "\", \"digest\": \"" + layer.digest +
      "\", \"size\": " + std::to_string(layer.data.size()) +
      "} ],\n  \"x-berth-unknown\": {\"nested\": [1, 2.50, \"three\", null]}\n}\n";
  set_manifest(image, manifest);
  Response r = push_manifest(client(), repo_, "exact", image.manifest, kOciManifest);
  ASSERT_EQ(r.status, 201) << r;
  EXPECT_EQ(r.header("Docker-Content-Digest"), image.digest) << r;
  expect_manifest("exact", image.manifest, kOciManifest);
}

TEST_F(ManifestsTest, ManifestWithoutLayersAndMediaTypeFieldIsAccepted) {
  Image image = make_image(0);
  push_blobs_of(image);
  ManifestSpec spec;
  spec.media_type = "";  // the conformance suite's "empty layer" manifest has no mediaType
  spec.config = describe(image.config, kOciConfig);
  set_manifest(image, render(spec));
  Response r = push_manifest(client(), repo_, "emptylayer", image.manifest, kOciManifest);
  ASSERT_EQ(r.status, 201) << r;
  expect_manifest("emptylayer", image.manifest, kOciManifest);
}

TEST_F(ManifestsTest, SameManifestUnderSeveralTags) {
  const Image image = make_image();
  push_blobs_of(image);
  for (int i = 0; i < 4; ++i) {
    Response r = push_manifest(client(), repo_, "test" + std::to_string(i), image.manifest, kOciManifest);
    ASSERT_EQ(r.status, 201) << r;
    EXPECT_FALSE(r.header("Location").empty()) << r;
  }
  for (int i = 0; i < 4; ++i) expect_manifest("test" + std::to_string(i), image.manifest, kOciManifest);
}

TEST_F(ManifestsTest, PushingAnotherManifestUnderATagMovesTheTag) {
  const Image first = make_image();
  const Image second = make_image();
  ASSERT_TRUE(push_image(client(), repo_, "moving", first));
  ASSERT_TRUE(push_image(client(), repo_, "moving", second));
  expect_manifest("moving", second.manifest, kOciManifest);
  expect_manifest(first.digest, first.manifest, kOciManifest);  // still there by digest
}

TEST_F(ManifestsTest, ValidTagsAreAccepted) {
  const Image image = make_image();
  push_blobs_of(image);
  // [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}
  for (const std::string& tag : {std::string("v1.0_rc-1"), std::string("Latest"), std::string("_underscore"),
                                 std::string("x"), std::string(128, 'a')}) {
    SCOPED_TRACE(tag);
    Response r = push_manifest(client(), repo_, tag, image.manifest, kOciManifest);
    ASSERT_EQ(r.status, 201) << r;
    expect_manifest(tag, image.manifest, kOciManifest);
  }
}

TEST_F(ManifestsTest, OciIndexRoundTrip) {
  const Image amd64 = make_image();
  const Image arm64 = make_image();
  ASSERT_TRUE(push_image(client(), repo_, amd64.digest, amd64));
  ASSERT_TRUE(push_image(client(), repo_, arm64.digest, arm64));
  IndexSpec index;
  index.manifests = {amd64.descriptor(), arm64.descriptor()};
  index.manifests[0].platform_os = "linux";
  index.manifests[0].platform_architecture = "amd64";
  index.manifests[1].platform_os = "linux";
  index.manifests[1].platform_architecture = "arm64";
  index.annotations = {{"org.opencontainers.image.ref.name", "multi"}};
  const std::string body = render(index);
  Response r = push_manifest(client(), repo_, "multi", body, kOciIndex);
  ASSERT_EQ(r.status, 201) << r;
  EXPECT_EQ(r.header("Docker-Content-Digest"), sha256_digest(body)) << r;
  expect_manifest("multi", body, kOciIndex);
  Response only_index = client().get(manifest_path(repo_, "multi"), {{"Accept", std::string(kOciIndex)}});
  EXPECT_EQ(only_index.status, 200) << only_index;
  Response head =
      client().head(manifest_path(repo_, sha256_digest(body)), {{"Accept", std::string(kOciIndex)}});
  EXPECT_EQ(head.status, 200) << head;
  EXPECT_EQ(head.header("Content-Type"), kOciIndex) << head;
}

TEST_F(ManifestsTest, DockerV2ManifestRoundTrip) {
  const Image image = make_docker_image(2);
  ASSERT_TRUE(push_image(client(), repo_, "docker", image));
  Response r = client().get(manifest_path(repo_, "docker"), {{"Accept", std::string(kDockerManifest)}});
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_TRUE(r.body == image.manifest);
  EXPECT_EQ(r.header("Content-Type"), kDockerManifest) << r;
  expect_manifest(image.digest, image.manifest, kDockerManifest);
}

TEST_F(ManifestsTest, DockerManifestListRoundTrip) {
  const Image amd64 = make_docker_image();
  const Image arm64 = make_docker_image();
  ASSERT_TRUE(push_image(client(), repo_, amd64.digest, amd64));
  ASSERT_TRUE(push_image(client(), repo_, arm64.digest, arm64));
  IndexSpec list;
  list.media_type = kDockerManifestList;
  list.manifests = {amd64.descriptor(), arm64.descriptor()};
  list.manifests[0].platform_os = "linux";
  list.manifests[0].platform_architecture = "amd64";
  list.manifests[1].platform_os = "linux";
  list.manifests[1].platform_architecture = "arm64";
  const std::string body = render(list);
  Response r = push_manifest(client(), repo_, "list", body, kDockerManifestList);
  ASSERT_EQ(r.status, 201) << r;
  Response pulled =
      client().get(manifest_path(repo_, "list"), {{"Accept", std::string(kDockerManifestList)}});
  ASSERT_EQ(pulled.status, 200) << pulled;
  EXPECT_TRUE(pulled.body == body);
  EXPECT_EQ(pulled.header("Content-Type"), kDockerManifestList) << pulled;
}

// "A registry MAY reject a manifest ... that reference blobs or manifests that do not
// exist ... When a manifest is rejected for this reason, it MUST result in one or more
// MANIFEST_BLOB_UNKNOWN errors." (400, as Docker's API and distribution answer.)
TEST_F(ManifestsTest, ManifestReferencingAMissingLayerIsRejected) {
  const Image image = make_image(2);
  ASSERT_EQ(push_blob(client(), repo_, image.config).status, 201);
  ASSERT_EQ(push_blob(client(), repo_, image.layers[0]).status, 201);  // layers[1] is missing
  Response r = push_manifest(client(), repo_, "broken", image.manifest, kOciManifest);
  EXPECT_TRUE(IsOciError(r, 400, {"MANIFEST_BLOB_UNKNOWN"}));
  expect_absent("broken");
  expect_absent(image.digest);
}

TEST_F(ManifestsTest, ManifestReferencingAMissingConfigIsRejected) {
  const Image image = make_image(1);
  ASSERT_EQ(push_blob(client(), repo_, image.layers[0]).status, 201);
  Response r = push_manifest(client(), repo_, "broken", image.manifest, kOciManifest);
  EXPECT_TRUE(IsOciError(r, 400, {"MANIFEST_BLOB_UNKNOWN"}));
  expect_absent("broken");
}

TEST_F(ManifestsTest, ManifestReferencingABlobOfAnotherRepositoryIsRejected) {
  const Image image = make_image(1);
  const std::string other = unique_repo("other");
  ASSERT_EQ(push_blob(client(), repo_, image.config).status, 201);
  ASSERT_EQ(push_blob(client(), other, image.layers[0]).status, 201);  // linked elsewhere only
  Response r = push_manifest(client(), repo_, "borrowed", image.manifest, kOciManifest);
  EXPECT_TRUE(IsOciError(r, 400, {"MANIFEST_BLOB_UNKNOWN"}));
  expect_absent("borrowed");
}

TEST_F(ManifestsTest, IndexReferencingAMissingManifestIsRejected) {
  const Image present = make_image();
  const Image missing = make_image();
  ASSERT_TRUE(push_image(client(), repo_, present.digest, present));
  IndexSpec index;
  index.manifests = {present.descriptor(), missing.descriptor()};
  const std::string body = render(index);
  Response r = push_manifest(client(), repo_, "dangling", body, kOciIndex);
  EXPECT_TRUE(IsOciError(r, 400, {"MANIFEST_BLOB_UNKNOWN"}));
  expect_absent("dangling");
  expect_absent(sha256_digest(body));
}

TEST_F(ManifestsTest, Schema1ManifestIsRejected) {
  const Blob layer = random_blob(100);
  ASSERT_EQ(push_blob(client(), repo_, layer).status, 201);
  const std::string schema1 = R"({"schemaVersion":1,"name":")" + repo_ +
                              R"(","tag":"old","architecture":"amd64","fsLayers":[{"blobSum":")" +
                              layer.digest +
                              R"("}],"history":[{"v1Compatibility":"{\"id\":\"x\"}"}],"signatures":[]})";
  Response r = push_manifest(client(), repo_, "old", schema1, kDockerSchema1Signed);
  ASSERT_EQ(r.status, 400) << r;
  EXPECT_TRUE(IsOciError(r, r.status, {"MANIFEST_INVALID", "UNSUPPORTED"}));
  expect_absent("old");
}

TEST_F(ManifestsTest, MalformedJsonIsRejected) {
  const std::string bodies[] = {
      "blablabla", R"({"schemaVersion": 2, "mediaType": ")" + std::string(kOciManifest), "", "[]"};
  for (const std::string& body : bodies) {
    SCOPED_TRACE(body);
    Response r = push_manifest(client(), repo_, "malformed", body, kOciManifest);
    EXPECT_TRUE(IsOciError(r, 400, {"MANIFEST_INVALID"}));
  }
  expect_absent("malformed");
}

TEST_F(ManifestsTest, JsonThatIsNotAManifestIsRejected) {
  const Image image = make_image();
  push_blobs_of(image);
  const std::string bodies[] = {
      R"({"schemaVersion":2,"mediaType":")" + std::string(kOciManifest) + R"(","layers":[]})",  // no config
      R"({"schemaVersion":3,"mediaType":")" + std::string(kOciManifest) + R"(","config":{"mediaType":")" +
          std::string(kOciConfig) + R"(","digest":")" + image.config.digest + R"(","size":)" +
          std::to_string(image.config.data.size()) + R"(},"layers":[]})",  // unknown schemaVersion
      R"({"schemaVersion":2,"mediaType":")" + std::string(kOciManifest) + R"(","config":{"mediaType":")" +
          std::string(kOciConfig) + R"(","digest":"sha256:nothex","size":1},"layers":[]})",  // bad digest
  };
  for (const std::string& body : bodies) {
    SCOPED_TRACE(body);
    Response r = push_manifest(client(), repo_, "notamanifest", body, kOciManifest);
    EXPECT_TRUE(IsOciError(r, 400, {"MANIFEST_INVALID", "DIGEST_INVALID"}));
  }
  expect_absent("notamanifest");
}

// "Registries SHOULD enforce a maximum manifest size ... SHOULD respond with 413";
// "Clients and registries SHOULD expect to support manifest uploads of at least 4 MiB."
TEST_F(ManifestsTest, FiveMebibyteManifestIsRefusedAndNothingIsStored) {
  Image image = make_image();
  push_blobs_of(image);
  ManifestSpec spec;
  spec.config = describe(image.config, kOciConfig);
  spec.layers = {describe(image.layers[0], kOciLayer)};
  spec.annotations = {{"org.example.padding", std::string(5 * 1024 * 1024, 'p')}};
  set_manifest(image, render(spec));
  Response r = push_manifest(client(), repo_, "huge", image.manifest, kOciManifest);
  ASSERT_TRUE(r.status == 413 || r.status == 400) << r;
  if (r.status == 400) {
    EXPECT_TRUE(IsOciError(r, 400, {"MANIFEST_INVALID", "SIZE_INVALID"}));
  }
  expect_absent("huge");
  expect_absent(image.digest);
}

TEST_F(ManifestsTest, ManifestJustUnderFourMebibytesIsAccepted) {
  Image image = make_image();
  push_blobs_of(image);
  ManifestSpec spec;
  spec.config = describe(image.config, kOciConfig);
  spec.layers = {describe(image.layers[0], kOciLayer)};
  spec.annotations = {{"org.example.padding", std::string(4 * 1024 * 1024 - 8 * 1024, 'p')}};
  set_manifest(image, render(spec));
  Response r = push_manifest(client(), repo_, "big", image.manifest, kOciManifest);
  ASSERT_EQ(r.status, 201) << r;
  expect_manifest("big", image.manifest, kOciManifest);
}

// A Helm chart as `helm push` stores it: the config media type names the artifact.
TEST_F(ManifestsTest, HelmChartArtifact) {
  Image chart;
  chart.config = make_blob(R"({"name":"berth-demo","version":"0.1.0","apiVersion":"v2"})" + random_hex(4));
  chart.layers = {random_blob(2048)};
  chart.media_type = kOciManifest;
  ManifestSpec spec;
  spec.config = describe(chart.config, kHelmConfig);
  spec.layers = {describe(chart.layers[0], kHelmChart)};
  spec.annotations = {{"org.opencontainers.image.title", "berth-demo"}};
  set_manifest(chart, render(spec));
  ASSERT_TRUE(push_image(client(), repo_, "0.1.0", chart));
  expect_manifest("0.1.0", chart.manifest, kOciManifest);
  Response config = client().get(blob_path(repo_, chart.config.digest));
  ASSERT_EQ(config.status, 200) << config;
  EXPECT_TRUE(config.body == chart.config.data);
}

// An artifact in the image-spec 1.1 style: artifactType set, the empty config "{}".
TEST_F(ManifestsTest, ArtifactWithArtifactTypeAndEmptyConfig) {
  Image artifact;
  artifact.config = make_blob("{}");
  ASSERT_EQ(artifact.config.digest,
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
  artifact.layers = {random_blob(512)};
  artifact.media_type = kOciManifest;
  ManifestSpec spec;
  spec.artifact_type = "application/vnd.example.sbom.v1+json";
  spec.config = describe(artifact.config, kOciEmpty);
  spec.layers = {describe(artifact.layers[0], "application/vnd.example.sbom.v1+json")};
  set_manifest(artifact, render(spec));
  ASSERT_TRUE(push_image(client(), repo_, "sbom", artifact));
  expect_manifest("sbom", artifact.manifest, kOciManifest);
}

// "A registry MUST accept a manifest that includes a subject field referencing another
// manifest that does not yet exist"; one that supports the referrers API MUST answer
// OCI-Subject: <subject digest>.
TEST_F(ManifestsTest, ManifestWithSubjectAnswersOciSubject) {
  const Image subject = make_image();
  ASSERT_TRUE(push_image(client(), repo_, "subject", subject));
  const Image never_pushed = make_image();
  for (const Image* target : {&subject, &never_pushed}) {
    SCOPED_TRACE(target == &subject ? "existing subject" : "subject not pushed");
    Image signature;
    signature.config = make_blob("{}");
    signature.layers = {random_blob(64)};
    signature.media_type = kOciManifest;
    ManifestSpec spec;
    spec.artifact_type = "application/vnd.example.signature.v1";
    spec.config = describe(signature.config, kOciEmpty);
    spec.layers = {describe(signature.layers[0], "application/vnd.example.signature.v1")};
    spec.subject = target->descriptor();
    set_manifest(signature, render(spec));
    ASSERT_EQ(push_blob(client(), repo_, signature.config).status, 201);
    ASSERT_EQ(push_blob(client(), repo_, signature.layers[0]).status, 201);
    Response r = push_manifest(client(), repo_, signature.digest, signature.manifest, kOciManifest);
    ASSERT_EQ(r.status, 201) << r;
    EXPECT_EQ(r.header("OCI-Subject"), target->digest) << r;
    expect_manifest(signature.digest, signature.manifest, kOciManifest);
  }
}

}  // namespace
}  // namespace berth::integration
