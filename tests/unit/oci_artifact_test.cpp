// Harbor's artifact types and accessories as Berth derives them from a manifest alone.
#include <gtest/gtest.h>

#include <string>

#include "oci/artifact.h"
#include "oci/media_types.h"

namespace berth::oci {
namespace {

const std::string kHex(64, 'a');
const std::string kDigest = "sha256:" + kHex;

std::string descriptor(std::string_view media_type, std::string_view extra = "") {
  return R"({"mediaType":")" + std::string(media_type) + R"(","digest":")" + kDigest + R"(","size":2)" +
         std::string(extra) + "}";
}

// An image manifest with a config of `config_type`, layers of `layer_type`, and the extra
// top-level members `extra` (",\"subject\":...").
Manifest image(std::string_view config_type,
               std::string_view layer_type = "application/vnd.oci.image.layer.v1.tar",
               std::string_view extra = "", std::string_view layer_extra = "") {
  const std::string body =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":)" +
      descriptor(config_type) + R"(,"layers":[)" + descriptor(layer_type, layer_extra) + "]" +
      std::string(extra) + "}";
  auto parsed = parse_manifest(body, media_type::oci_manifest);
  EXPECT_TRUE(parsed) << parsed.error().message;
  return parsed ? *parsed : Manifest{};
}

TEST(ArtifactKind, FromTheConfigMediaTypeAsHarborNamesThem) {
  EXPECT_EQ(artifact_kind(image(media_type::oci_config), ""), "IMAGE");
  EXPECT_EQ(artifact_kind(image(artifact_media_type::docker_config), ""), "IMAGE");
  EXPECT_EQ(artifact_kind(image(artifact_media_type::helm_config, artifact_media_type::helm_chart), ""),
            "CHART");
  EXPECT_EQ(artifact_kind(image(artifact_media_type::wasm_config), ""), "WASM");
  // Harbor's default rule: application/vnd.<org>.<type>.config.<version>+json.
  EXPECT_EQ(artifact_kind(image("application/vnd.example.thing.config.v1+json"), ""), "THING");
  EXPECT_EQ(artifact_kind(image("application/vnd.acme.rocket.launcher.config.v2+json"), ""),
            "ROCKET.LAUNCHER");
  EXPECT_EQ(artifact_kind(image("application/vnd.example.thing.v1+json"), ""), "UNKNOWN");
  EXPECT_EQ(artifact_kind(image("text/plain"), ""), "UNKNOWN");
}

TEST(ArtifactKind, ArtifactTypeWinsOverTheConfigAndSignaturesAreSignatures) {
  Manifest sbom = image(media_type::oci_empty, "application/json",
                        R"(,"artifactType":"application/vnd.goharbor.harbor.sbom.v1")");
  EXPECT_EQ(artifact_kind(sbom, "harbor.sbom"), "SBOM");
  EXPECT_EQ(artifact_kind(image(media_type::oci_config), "signature.cosign"), "SIGNATURE");
  EXPECT_EQ(artifact_kind(image(artifact_media_type::cosign_signature), "signature.cosign"), "SIGNATURE");
}

TEST(ArtifactKind, IndexesAreImagesOrCnabBundles) {
  const std::string child = descriptor(media_type::oci_manifest);
  auto index = parse_manifest(
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)" + child +
          "]}",
      media_type::oci_index);
  ASSERT_TRUE(index);
  EXPECT_EQ(artifact_kind(*index, ""), "IMAGE");
  auto cnab = parse_manifest(
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)" + child +
          R"(],"annotations":{"org.opencontainers.artifactType":"application/vnd.cnab.manifest.v1"}})",
      media_type::oci_index);
  ASSERT_TRUE(cnab);
  EXPECT_EQ(artifact_kind(*cnab, ""), "CNAB");
}

TEST(CosignTag, NamesTheSignedDigest) {
  EXPECT_EQ(cosign_tag_subject("sha256-" + kHex + ".sig"), kDigest);
  EXPECT_EQ(cosign_tag_of(kDigest), "sha256-" + kHex + ".sig");
  EXPECT_FALSE(cosign_tag_subject("sha256-" + kHex + ".att"));
  EXPECT_FALSE(cosign_tag_subject("sha256-" + kHex.substr(1) + ".sig"));
  EXPECT_FALSE(cosign_tag_subject("sha256-" + std::string(64, 'G') + ".sig"));
  EXPECT_FALSE(cosign_tag_subject("latest"));
}

TEST(AccessoryLink, SubjectsAndCosignTagsMakeAccessories) {
  const std::string subject = R"(,"subject":)" + descriptor(media_type::oci_manifest);
  auto notation =
      accessory_link(image(media_type::oci_empty, "application/jose+json",
                           R"(,"artifactType":"application/vnd.cncf.notary.signature")" + subject),
                     "");
  ASSERT_TRUE(notation);
  EXPECT_EQ(notation->type, "signature.notation");
  EXPECT_EQ(notation->subject, kDigest);
  auto cosign11 = accessory_link(
      image(artifact_media_type::cosign_signature, artifact_media_type::cosign_simple_signing, subject), "");
  ASSERT_TRUE(cosign11);
  EXPECT_EQ(cosign11->type, "signature.cosign");
  auto other =
      accessory_link(image(media_type::oci_config, "application/vnd.oci.image.layer.v1.tar", subject), "");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->type, "subject.accessory");

  // The tag scheme: a simple-signing layer under sha256-<hex>.sig.
  const std::string tag = "sha256-" + std::string(64, 'b') + ".sig";
  auto tagged =
      accessory_link(image(media_type::oci_config, artifact_media_type::cosign_simple_signing), tag);
  ASSERT_TRUE(tagged);
  EXPECT_EQ(tagged->type, "signature.cosign");
  EXPECT_EQ(tagged->subject, "sha256:" + std::string(64, 'b'));
  EXPECT_FALSE(accessory_link(image(media_type::oci_config), tag));  // no simple-signing layer
  EXPECT_FALSE(
      accessory_link(image(media_type::oci_config, artifact_media_type::cosign_simple_signing), "v1"));
  EXPECT_FALSE(accessory_link(image(media_type::oci_config), ""));
}

}  // namespace
}  // namespace berth::oci
