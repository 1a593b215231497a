#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "oci/errors.h"
#include "oci/manifest.h"
#include "oci/media_types.h"

namespace berth::oci {
namespace {

namespace json = boost::json;

const std::string kConfigDigest = digest_of("config").str();
const std::string kLayerDigest = digest_of("layer").str();
const std::string kChildDigest = digest_of("child").str();
const std::string kSubjectDigest = digest_of("subject").str();

std::string oci_manifest_body() {
  return R"({
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": ")" +
         kConfigDigest + R"(", "size": 7023},
    "layers": [
      {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": ")" +
         kLayerDigest + R"(", "size": 32654,
       "annotations": {"org.opencontainers.image.title": "layer.tar.gz"}}
    ],
    "annotations": {"com.example.key": "value"}
  })";
}

// Parses a body and returns it as a mutable JSON object, to derive variants of it.
json::object as_object(const std::string& body) {
  return json::parse(body).as_object();
}

std::string str(const json::object& object) {
  return json::serialize(object);
}

Manifest parse_ok(std::string_view body, std::string_view content_type) {
  auto result = parse_manifest(body, content_type);
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
  return result.ok() ? std::move(result).value() : Manifest{};
}

Error parse_error(std::string_view body, std::string_view content_type) {
  auto result = parse_manifest(body, content_type);
  EXPECT_FALSE(result.ok()) << body;
  return result.ok() ? Error{} : std::move(result).error();
}

TEST(ParseManifest, OciImageManifest) {
  const Manifest m = parse_ok(oci_manifest_body(), media_type::oci_manifest);
  EXPECT_EQ(m.media_type, media_type::oci_manifest);
  EXPECT_FALSE(m.is_index());
  ASSERT_TRUE(m.config.has_value());
  EXPECT_EQ(m.config->media_type, media_type::oci_config);
  EXPECT_EQ(m.config->digest.str(), kConfigDigest);
  EXPECT_EQ(m.config->size, 7023);
  ASSERT_EQ(m.layers.size(), 1u);
  EXPECT_EQ(m.layers[0].digest.str(), kLayerDigest);
  EXPECT_EQ(m.layers[0].size, 32654);
  EXPECT_EQ(m.layers[0].annotations.at("org.opencontainers.image.title"), "layer.tar.gz");
  EXPECT_EQ(m.annotations.at("com.example.key"), "value");
  EXPECT_TRUE(m.manifests.empty());
  EXPECT_FALSE(m.subject.has_value());
  // An image manifest without artifactType is reported by its config type (referrers rule).
  EXPECT_EQ(m.artifact_type, media_type::oci_config);

  const auto blobs = m.blob_references();
  ASSERT_EQ(blobs.size(), 2u);
  EXPECT_EQ(blobs[0].digest.str(), kConfigDigest);
  EXPECT_EQ(blobs[1].digest.str(), kLayerDigest);
}

TEST(ParseManifest, ContentTypeParametersAndBlanksAreIgnored) {
  const Manifest m =
      parse_ok(oci_manifest_body(), " application/vnd.oci.image.manifest.v1+json ; charset=utf-8");
  EXPECT_EQ(m.media_type, media_type::oci_manifest);
}

TEST(ParseManifest, MediaTypeFromContentTypeWhenBodyHasNone) {
  json::object body = as_object(oci_manifest_body());
  body.erase("mediaType");
  const Manifest m = parse_ok(str(body), media_type::oci_manifest);
  EXPECT_EQ(m.media_type, media_type::oci_manifest);
}

TEST(ParseManifest, GenericContentTypeLetsTheBodyDecide) {
  for (std::string_view content_type : {"", "application/json", "application/json; charset=utf-8"}) {
    EXPECT_EQ(parse_ok(oci_manifest_body(), content_type).media_type, media_type::oci_manifest);
  }
}

TEST(ParseManifest, TypeIsGuessedFromShapeWhenNothingNamesIt) {
  json::object manifest = as_object(oci_manifest_body());
  manifest.erase("mediaType");
  EXPECT_EQ(parse_ok(str(manifest), "").media_type, media_type::oci_manifest);

  const std::string index = R"({"schemaVersion": 2, "manifests": []})";
  const Manifest m = parse_ok(index, "application/json");
  EXPECT_EQ(m.media_type, media_type::oci_index);
  EXPECT_TRUE(m.is_index());
}

TEST(ParseManifest, EmptyLayersAndMissingLayersAreAllowed) {
  json::object body = as_object(oci_manifest_body());
  body["layers"] = json::array();
  EXPECT_TRUE(parse_ok(str(body), media_type::oci_manifest).layers.empty());
  body.erase("layers");
  EXPECT_TRUE(parse_ok(str(body), media_type::oci_manifest).layers.empty());
}

TEST(ParseManifest, OciIndexWithPlatforms) {
  const std::string body = R"({
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.index.v1+json",
    "manifests": [
      {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": ")" +
                           kChildDigest + R"(", "size": 7143,
       "platform": {"architecture": "arm", "os": "linux", "variant": "v7"}},
      {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": ")" +
                           kLayerDigest + R"(", "size": 100}
    ],
    "annotations": {"com.example.index": "yes"}
  })";
  const Manifest m = parse_ok(body, media_type::oci_index);
  EXPECT_TRUE(m.is_index());
  EXPECT_FALSE(m.config.has_value());
  EXPECT_TRUE(m.blob_references().empty());
  EXPECT_TRUE(m.artifact_type.empty());
  ASSERT_EQ(m.manifests.size(), 2u);
  ASSERT_TRUE(m.manifests[0].platform.has_value());
  EXPECT_EQ(m.manifests[0].platform->architecture, "arm");
  EXPECT_EQ(m.manifests[0].platform->os, "linux");
  EXPECT_EQ(m.manifests[0].platform->variant, "v7");
  EXPECT_EQ(m.manifests[0].digest.str(), kChildDigest);
  EXPECT_FALSE(m.manifests[1].platform.has_value());
  EXPECT_EQ(m.annotations.at("com.example.index"), "yes");
}

TEST(ParseManifest, DockerSchema2Manifest) {
  const std::string body = R"({
    "schemaVersion": 2,
    "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
    "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1470, "digest": ")" +
                           kConfigDigest + R"("},
    "layers": [
      {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 977, "digest": ")" +
                           kLayerDigest + R"("}
    ]
  })";
  const Manifest m = parse_ok(body, media_type::docker_manifest);
  EXPECT_EQ(m.media_type, media_type::docker_manifest);
  EXPECT_FALSE(m.is_index());
  EXPECT_EQ(m.blob_references().size(), 2u);
  EXPECT_EQ(m.artifact_type, "application/vnd.docker.container.image.v1+json");
}

TEST(ParseManifest, DockerManifestList) {
  const std::string body = R"({
    "schemaVersion": 2,
    "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
    "manifests": [
      {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": 7143, "digest": ")" +
                           kChildDigest + R"(",
       "platform": {"architecture": "amd64", "os": "linux", "features": ["sse4"]}}
    ]
  })";
  const Manifest m = parse_ok(body, media_type::docker_manifest_list);
  EXPECT_EQ(m.media_type, media_type::docker_manifest_list);
  EXPECT_TRUE(m.is_index());
  ASSERT_EQ(m.manifests.size(), 1u);
  EXPECT_EQ(m.manifests[0].platform->architecture, "amd64");
  EXPECT_TRUE(m.manifests[0].platform->variant.empty());
}

TEST(ParseManifest, ArtifactWithArtifactTypeAndSubject) {
  const std::string body = R"({
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "artifactType": "application/vnd.example.sbom.v1",
    "config": {"mediaType": "application/vnd.oci.empty.v1+json",
               "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", "size": 2,
               "data": "e30="},
    "layers": [{"mediaType": "application/spdx+json", "digest": ")" +
                           kLayerDigest + R"(", "size": 10}],
    "subject": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": ")" +
                           kSubjectDigest + R"(", "size": 1234},
    "annotations": {"org.opencontainers.image.created": "2024-01-01T00:00:00Z"}
  })";
  const Manifest m = parse_ok(body, media_type::oci_manifest);
  EXPECT_EQ(m.artifact_type, "application/vnd.example.sbom.v1");
  EXPECT_EQ(m.config->media_type, media_type::oci_empty);
  ASSERT_TRUE(m.subject.has_value());
  EXPECT_EQ(m.subject->digest.str(), kSubjectDigest);
  EXPECT_EQ(m.subject->media_type, media_type::oci_manifest);
  EXPECT_EQ(m.subject->size, 1234);
}

TEST(ParseManifest, HelmChartIsReportedByItsConfigType) {
  const std::string body = R"({
    "schemaVersion": 2,
    "config": {"mediaType": "application/vnd.cncf.helm.config.v1+json", "digest": ")" +
                           kConfigDigest + R"(", "size": 117},
    "layers": [{"mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip", "digest": ")" +
                           kLayerDigest + R"(", "size": 2487}]
  })";
  const Manifest m = parse_ok(body, media_type::oci_manifest);
  EXPECT_EQ(m.artifact_type, "application/vnd.cncf.helm.config.v1+json");
}

TEST(ParseManifest, IndexWithSubjectAndArtifactType) {
  const std::string body = R"({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
    "artifactType": "application/vnd.example.bundle", "manifests": [],
    "subject": {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": ")" +
                           kSubjectDigest + R"(", "size": 5}})";
  const Manifest m = parse_ok(body, media_type::oci_index);
  EXPECT_EQ(m.artifact_type, "application/vnd.example.bundle");
  ASSERT_TRUE(m.subject.has_value());
}

TEST(ParseManifest, DescriptorArtifactTypeIsKept) {
  const std::string body = R"({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
    "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": ")" +
                           kChildDigest + R"(", "size": 5, "artifactType": "application/vnd.example.sig"}]})";
  EXPECT_EQ(parse_ok(body, "").manifests[0].artifact_type, "application/vnd.example.sig");
}

TEST(ParseManifest, Sha512DigestsAreAccepted) {
  json::object body = as_object(oci_manifest_body());
  body["config"].as_object()["digest"] = digest_of("config", DigestAlgorithm::sha512).str();
  const Manifest m = parse_ok(str(body), "");
  EXPECT_EQ(m.config->digest.algorithm(), DigestAlgorithm::sha512);
}

// --- Errors ---------------------------------------------------------------------------

TEST(ParseManifestErrors, SchemaOneIsRefusedByName) {
  const std::string schema1_body = R"({"schemaVersion": 1, "name": "library/x", "tag": "latest",
    "architecture": "amd64", "fsLayers": [{"blobSum": ")" +
                                   kLayerDigest + R"("}], "history": []})";
  const Error by_version = parse_error(schema1_body, "");
  const Error by_content_type = parse_error(schema1_body, media_type::docker_schema1_signed);
  const Error by_unsigned_type = parse_error(oci_manifest_body(), media_type::docker_schema1);
  json::object body = as_object(oci_manifest_body());
  body["mediaType"] = media_type::docker_schema1;
  const Error by_body_type = parse_error(str(body), "");
  for (const Error& error : {by_version, by_content_type, by_unsigned_type, by_body_type}) {
    EXPECT_EQ(error.code, ErrorCode::manifest_invalid);
    EXPECT_NE(error.message.find("schema 1"), std::string::npos) << error.message;
  }
}

TEST(ParseManifestErrors, MalformedJson) {
  for (std::string_view body :
       {"", "{", "{\"schemaVersion\": 2,}", "not json", "{} extra", "{\"a\":\"\xff\"}"}) {
    const Error error = parse_error(body, media_type::oci_manifest);
    EXPECT_EQ(error.code, ErrorCode::manifest_invalid) << body;
  }
}

TEST(ParseManifestErrors, NotAnObject) {
  for (std::string_view body : {"[]", "2", "\"manifest\"", "null"}) {
    EXPECT_EQ(parse_error(body, media_type::oci_manifest).code, ErrorCode::manifest_invalid) << body;
  }
}

TEST(ParseManifestErrors, SchemaVersionMustBeTwo) {
  json::object body = as_object(oci_manifest_body());
  for (json::value version :
       {json::value(3), json::value(0), json::value("2"), json::value(2.0), json::value()}) {
    body["schemaVersion"] = version;
    EXPECT_EQ(parse_error(str(body), "").code, ErrorCode::manifest_invalid) << json::serialize(version);
  }
}

TEST(ParseManifestErrors, MediaTypeMismatch) {
  const Error error = parse_error(oci_manifest_body(), media_type::docker_manifest);
  EXPECT_EQ(error.code, ErrorCode::manifest_invalid);
  EXPECT_NE(error.message.find("Content-Type"), std::string::npos) << error.message;
}

TEST(ParseManifestErrors, NonManifestTypesAreRefused) {
  // An explicit Content-Type that is no manifest type.
  json::object body = as_object(oci_manifest_body());
  body.erase("mediaType");
  EXPECT_EQ(parse_error(str(body), media_type::oci_config).code, ErrorCode::manifest_invalid);
  EXPECT_EQ(parse_error(str(body), "text/html").code, ErrorCode::manifest_invalid);
  // The body names a type that is no manifest type.
  body["mediaType"] = "application/vnd.oci.artifact.manifest.v1+json";
  EXPECT_EQ(parse_error(str(body), "").code, ErrorCode::manifest_invalid);
  // Nothing names a type and the shape says nothing either.
  EXPECT_EQ(parse_error(R"({"schemaVersion": 2})", "").code, ErrorCode::manifest_invalid);
  // mediaType must be a string.
  body["mediaType"] = 5;
  EXPECT_EQ(parse_error(str(body), "").code, ErrorCode::manifest_invalid);
}

TEST(ParseManifestErrors, MissingConfig) {
  json::object body = as_object(oci_manifest_body());
  body.erase("config");
  const Error error = parse_error(str(body), media_type::oci_manifest);
  EXPECT_EQ(error.code, ErrorCode::manifest_invalid);
  EXPECT_NE(error.message.find("config"), std::string::npos) << error.message;
  body["config"] = nullptr;
  EXPECT_EQ(parse_error(str(body), media_type::oci_manifest).code, ErrorCode::manifest_invalid);
}

TEST(ParseManifestErrors, IndexNeedsManifestsOfManifestTypes) {
  EXPECT_EQ(parse_error(R"({"schemaVersion": 2})", media_type::oci_index).code, ErrorCode::manifest_invalid);
  EXPECT_EQ(parse_error(R"({"schemaVersion": 2, "manifests": {}})", media_type::oci_index).code,
            ErrorCode::manifest_invalid);
  const std::string layer_in_index = R"({"schemaVersion": 2, "manifests": [{"mediaType":
    "application/vnd.oci.image.layer.v1.tar+gzip", "digest": ")" +
                                     kLayerDigest + R"(", "size": 1}]})";
  EXPECT_EQ(parse_error(layer_in_index, media_type::oci_index).code, ErrorCode::manifest_invalid);
}

TEST(ParseManifestErrors, AmbiguousManifestAndIndexAreRefused) {
  json::object manifest = as_object(oci_manifest_body());
  manifest["manifests"] = json::array();
  EXPECT_EQ(parse_error(str(manifest), media_type::oci_manifest).code, ErrorCode::manifest_invalid);

  const std::string index_with_layers = R"({"schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [], "layers": []})";
  EXPECT_EQ(parse_error(index_with_layers, "").code, ErrorCode::manifest_invalid);
}

TEST(ParseManifestErrors, BadDigestInLayer) {
  json::object body = as_object(oci_manifest_body());
  json::object& layer = body["layers"].as_array()[0].as_object();
  const std::string upper_case = "sha256:" + std::string(64, 'A');
  for (const std::string& digest :
       {std::string("sha256:abc"), upper_case, std::string("nonsense"), std::string()}) {
    layer["digest"] = digest;
    const Error error = parse_error(str(body), media_type::oci_manifest);
    EXPECT_EQ(error.code, ErrorCode::digest_invalid) << digest;
    EXPECT_NE(error.message.find("layers[0]"), std::string::npos) << error.message;
  }
}

TEST(ParseManifestErrors, UnsupportedDigestAlgorithm) {
  json::object body = as_object(oci_manifest_body());
  body["config"].as_object()["digest"] = "sha384:" + std::string(96, 'a');
  EXPECT_EQ(parse_error(str(body), "").code, ErrorCode::unsupported);
}

TEST(ParseManifestErrors, DescriptorFieldsAreChecked) {
  const auto with_layer_field = [](std::string_view key, json::value value) {
    json::object body = as_object(oci_manifest_body());
    json::object& layer = body["layers"].as_array()[0].as_object();
    if (value.is_null()) {
      layer.erase(key);
    } else {
      layer[key] = value;
    }
    return str(body);
  };
  const std::pair<std::string_view, json::value> cases[] = {
      {"size", json::value(-1)},
      {"size", json::value(1.5)},
      {"size", json::value("10")},
      {"size", json::value(18446744073709551615ull)},
      {"size", json::value()},  // missing
      {"mediaType", json::value()},
      {"mediaType", json::value("")},
      {"mediaType", json::value(1)},
      {"digest", json::value()},
      {"digest", json::value(1)},
      {"annotations", json::value("x")},
      {"annotations", json::parse(R"({"k": 1})")},
      {"artifactType", json::value(true)},
      {"platform", json::value("linux")},
  };
  for (const auto& [key, value] : cases) {
    const std::string body = with_layer_field(key, value);
    EXPECT_EQ(parse_error(body, "").code, ErrorCode::manifest_invalid) << body;
  }
  json::object body = as_object(oci_manifest_body());
  body["layers"] = json::array{1};
  EXPECT_EQ(parse_error(str(body), "").code, ErrorCode::manifest_invalid);
  body["layers"] = "layer";
  EXPECT_EQ(parse_error(str(body), "").code, ErrorCode::manifest_invalid);
}

TEST(ParseManifestErrors, NegativeSizeNamesTheField) {
  json::object body = as_object(oci_manifest_body());
  body["config"].as_object()["size"] = -5;
  const Error error = parse_error(str(body), "");
  EXPECT_EQ(error.code, ErrorCode::manifest_invalid);
  EXPECT_NE(error.message.find("config.size"), std::string::npos) << error.message;
}

TEST(ParseManifestErrors, BadTopLevelOptionalFields) {
  json::object body = as_object(oci_manifest_body());
  body["subject"] = json::object{{"mediaType", media_type::oci_manifest}, {"size", 1}};  // no digest
  EXPECT_EQ(parse_error(str(body), "").code, ErrorCode::manifest_invalid);
  body.erase("subject");
  body["artifactType"] = 7;
  EXPECT_EQ(parse_error(str(body), "").code, ErrorCode::manifest_invalid);
  body.erase("artifactType");
  body["annotations"] = json::array{"a"};
  EXPECT_EQ(parse_error(str(body), "").code, ErrorCode::manifest_invalid);
}

TEST(ParseManifestErrors, OversizedBody) {
  std::string body = oci_manifest_body();
  body.insert(body.rfind('}'), ", \"padding\": \"" + std::string(kMaxManifestSize, 'x') + "\"");
  const Error error = parse_error(body, media_type::oci_manifest);
  EXPECT_EQ(error.code, ErrorCode::manifest_invalid);
}

TEST(ParseManifest, BodyAtTheSizeLimitIsAccepted) {
  std::string body = oci_manifest_body();
  const std::string prefix = ", \"padding\": \"";
  const std::size_t fill = kMaxManifestSize - body.size() - prefix.size() - 1;
  body.insert(body.rfind('}'), prefix + std::string(fill, 'x') + "\"");
  ASSERT_EQ(body.size(), kMaxManifestSize);
  EXPECT_EQ(parse_ok(body, "").media_type, media_type::oci_manifest);
}

TEST(ParseManifestErrors, DeepNestingIsRefusedNotCrashing) {
  const std::string body = "{\"x\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_EQ(parse_error(body, "").code, ErrorCode::manifest_invalid);
}

// --- descriptor_json ----------------------------------------------------------------

TEST(DescriptorJson, MinimalDescriptor) {
  Descriptor d;
  d.media_type = std::string(media_type::oci_manifest);
  d.digest = digest_of("x");
  d.size = 42;
  const json::value v = json::parse(descriptor_json(d));
  const json::object expected{
      {"mediaType", media_type::oci_manifest}, {"digest", digest_of("x").str()}, {"size", 42}};
  EXPECT_EQ(v, expected);
}

TEST(DescriptorJson, ArtifactTypeAndAnnotationsWhenPresent) {
  Descriptor d;
  d.media_type = std::string(media_type::oci_manifest);
  d.digest = digest_of("x");
  d.size = 1;
  d.artifact_type = "application/vnd.example.sbom.v1";
  d.annotations = {{"a", "1"}, {"b", "\"quoted\""}};
  d.platform = Platform{"amd64", "linux", ""};
  const json::object v = json::parse(descriptor_json(d)).as_object();
  EXPECT_EQ(v.at("artifactType"), "application/vnd.example.sbom.v1");
  EXPECT_EQ(v.at("annotations"), (json::object{{"a", "1"}, {"b", "\"quoted\""}}));
  EXPECT_FALSE(v.contains("platform"));
}

TEST(DescriptorJson, RoundTripsThroughTheParser) {
  const Manifest m = parse_ok(oci_manifest_body(), "");
  const json::value layer = json::parse(descriptor_json(m.layers[0]));
  const json::value original = as_object(oci_manifest_body()).at("layers").as_array()[0];
  EXPECT_EQ(layer, original);
}

// --- errors.h -----------------------------------------------------------------------

TEST(ErrorCodes, NamesAndStatusesFollowTheSpec) {
  const struct {
    ErrorCode code;
    std::string_view name;
    int status;
  } table[] = {
      {ErrorCode::blob_unknown, "BLOB_UNKNOWN", 404},
      {ErrorCode::blob_upload_invalid, "BLOB_UPLOAD_INVALID", 400},
      {ErrorCode::blob_upload_unknown, "BLOB_UPLOAD_UNKNOWN", 404},
      {ErrorCode::digest_invalid, "DIGEST_INVALID", 400},
      {ErrorCode::manifest_blob_unknown, "MANIFEST_BLOB_UNKNOWN", 400},
      {ErrorCode::manifest_invalid, "MANIFEST_INVALID", 400},
      {ErrorCode::manifest_unknown, "MANIFEST_UNKNOWN", 404},
      {ErrorCode::name_invalid, "NAME_INVALID", 400},
      {ErrorCode::name_unknown, "NAME_UNKNOWN", 404},
      {ErrorCode::size_invalid, "SIZE_INVALID", 400},
      {ErrorCode::unauthorized, "UNAUTHORIZED", 401},
      {ErrorCode::denied, "DENIED", 403},
      {ErrorCode::unsupported, "UNSUPPORTED", 400},
      {ErrorCode::too_many_requests, "TOOMANYREQUESTS", 429},
      {ErrorCode::range_invalid, "RANGE_INVALID", 416},
      {ErrorCode::tag_invalid, "TAG_INVALID", 400},
      {ErrorCode::unavailable, "UNAVAILABLE", 503},
      {ErrorCode::internal, "UNKNOWN", 500},
  };
  for (const auto& row : table) {
    EXPECT_EQ(code_name(row.code), row.name);
    EXPECT_EQ(http_status(row.code), row.status) << row.name;
  }
}

TEST(ErrorBody, HasTheSpecShape) {
  const json::value body =
      json::parse(error_body(make_error(ErrorCode::blob_unknown, "blob unknown to registry")));
  const json::value expected =
      json::parse(R"({"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]})");
  EXPECT_EQ(body, expected);
}

TEST(ErrorBody, DetailIsAStringWhenGiven) {
  const Error error = make_error(ErrorCode::manifest_invalid, "bad \"manifest\"\n", "layers[0]: <script>");
  const json::object entry = json::parse(error_body(error)).at("errors").as_array()[0].as_object();
  EXPECT_EQ(entry.at("code"), "MANIFEST_INVALID");
  EXPECT_EQ(entry.at("message"), "bad \"manifest\"\n");
  ASSERT_TRUE(entry.at("detail").is_string());
  EXPECT_EQ(entry.at("detail"), "layers[0]: <script>");
}

TEST(ErrorBody, EmptyMessageFallsBackToTheSpecWording) {
  const json::object entry =
      json::parse(error_body(make_error(ErrorCode::name_unknown, ""))).at("errors").as_array()[0].as_object();
  EXPECT_FALSE(entry.at("message").as_string().empty());
  EXPECT_FALSE(entry.contains("detail"));
}

}  // namespace
}  // namespace berth::oci
