// Cosign content trust against the real binary: a project with enable_content_trust_cosign
// refuses pulls of unsigned artifacts with Harbor's 412, and, with cosign_public_keys, counts a
// signature only when it verifies (signatures made here with OpenSSL in cosign's formats).
#include <gtest/gtest.h>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <string>

#include "artifact_fixtures.h"
#include "harbor_api.h"

namespace berth::integration {
namespace {

namespace json = boost::json;

constexpr const char* kUnsigned = "The image is not signed by cosign.";

class SignaturePolicyTest : public HarborApiTest {
 protected:
  // A private project with the cosign policy on (and `keys` as its cosign_public_keys).
  std::string signed_only_project(const std::string& keys = "") {
    const std::string project = unique_name("trust");
    EXPECT_GT(create_project(project), 0);
    json::object metadata{{"enable_content_trust_cosign", "true"}};
    if (!keys.empty()) metadata["cosign_public_keys"] = keys;
    Response set =
        client().put("/api/v2.0/projects/" + project, json::serialize(json::object{{"metadata", metadata}}),
                     {{"Content-Type", "application/json"}});
    EXPECT_EQ(set.status, 200) << set;
    return project;
  }

  Response get(const std::string& repo, const std::string& reference, HeaderList headers = {}) {
    headers.emplace_back("Accept", kAcceptAnyManifest);
    return client().get(manifest_path(repo, reference), headers);
  }
  Response head(const std::string& repo, const std::string& reference) {
    return client().head(manifest_path(repo, reference), {{"Accept", kAcceptAnyManifest}});
  }

  static ::testing::AssertionResult Refused(const Response& r, const char* message = kUnsigned) {
    if (!IsOciError(r, 412, {"PROJECTPOLICYVIOLATION"})) return ::testing::AssertionFailure() << r;
    if (r.body.find(message) == std::string::npos)
      return ::testing::AssertionFailure() << "no \"" << message << "\" in " << r;
    return ::testing::AssertionSuccess();
  }
};

TEST_F(SignaturePolicyTest, UnsignedPullsAreRefusedAndASignatureLetsThemThrough) {
  const std::string repo = signed_only_project() + "/app";
  Image image = make_image();
  ASSERT_TRUE(push_image(client(), repo, "v1", image));
  EXPECT_TRUE(Refused(get(repo, "v1")));
  EXPECT_TRUE(Refused(get(repo, image.digest)));
  EXPECT_EQ(head(repo, "v1").status, 412);  // HEAD too, as Harbor
  // Blobs are not gated (as in Harbor): only manifests.
  EXPECT_EQ(client().get(blob_path(repo, image.layers[0].digest)).status, 200);

  Signer signer = Signer::ecdsa();
  Image signature = signer.tag_scheme_signature(repo, image.digest);
  ASSERT_TRUE(push_image(client(), repo, cosign_tag(image.digest), signature));
  EXPECT_EQ(get(repo, "v1").status, 200);
  EXPECT_EQ(head(repo, image.digest).status, 200);
  // The signature itself can always be pulled (cosign verify reads it).
  EXPECT_EQ(get(repo, cosign_tag(image.digest)).status, 200);

  // The signature deleted: refused again at once.
  ASSERT_EQ(client().del(manifest_path(repo, signature.digest)).status, 202);
  EXPECT_TRUE(Refused(get(repo, "v1")));

  // An OCI 1.1 referrer signature counts as well.
  Image referrer = signer.referrer_signature(repo, image);
  ASSERT_TRUE(push_image(client(), repo, referrer.digest, referrer));
  EXPECT_EQ(get(repo, "v1").status, 200);
}

TEST_F(SignaturePolicyTest, CosignMayReadWhatItSignsWhenItMayPush) {
  const std::string project = signed_only_project();
  const std::string repo = project + "/app";
  Image image = make_image();
  ASSERT_TRUE(push_image(client(), repo, "v1", image));
  EXPECT_EQ(get(repo, "v1", {{"User-Agent", "cosign/v2.2.4 (linux; amd64)"}}).status, 200);
  // Not for someone who may only pull, even as cosign.
  auto guest = member_client(project, HarborRole::guest);
  Response refused = guest->get(manifest_path(repo, "v1"), {{"Accept", kAcceptAnyManifest},
                                                            {"User-Agent", "cosign/v2.2.4 (linux; amd64)"}});
  EXPECT_TRUE(Refused(refused));
}

TEST_F(SignaturePolicyTest, WithKeysOnlyAVerifyingSignatureCounts) {
  Signer trusted = Signer::ecdsa();
  Signer also_trusted = Signer::ed25519();
  Signer stranger = Signer::ecdsa();
  const std::string repo = signed_only_project(trusted.public_pem() + also_trusted.public_pem()) + "/app";
  constexpr const char* kUntrusted = "not signed by cosign with a key this project trusts";

  Image image = make_image();
  ASSERT_TRUE(push_image(client(), repo, "v1", image));
  // Signed with another key: refused.
  Image foreign = stranger.tag_scheme_signature(repo, image.digest);
  ASSERT_TRUE(push_image(client(), repo, cosign_tag(image.digest), foreign));
  EXPECT_TRUE(Refused(get(repo, "v1"), kUntrusted));
  // A trusted key's signature over a payload naming another image: refused.
  Image other = make_image();
  ASSERT_TRUE(push_image(client(), repo, "other", other));
  const std::string wrong_payload = trusted.payload(repo, other.digest);
  Image misdirected =
      Signer::signature_artifact(wrong_payload, trusted.sign(wrong_payload), image.descriptor());
  ASSERT_TRUE(push_image(client(), repo, misdirected.digest, misdirected));
  EXPECT_TRUE(Refused(get(repo, "v1"), kUntrusted));
  // A trusted key's signature with one byte of the payload changed: refused.
  std::string payload = trusted.payload(repo, image.digest);
  const std::string good_signature = trusted.sign(payload);
  std::string altered = payload;
  altered.replace(altered.find("docker-reference"), 6, "DOCKER");
  Image tampered = Signer::signature_artifact(altered, good_signature, image.descriptor());
  ASSERT_TRUE(push_image(client(), repo, tampered.digest, tampered));
  EXPECT_TRUE(Refused(get(repo, "v1"), kUntrusted));

  // The Ed25519 key's real signature: pulled.
  Image good = also_trusted.referrer_signature(repo, image);
  ASSERT_TRUE(push_image(client(), repo, good.digest, good));
  EXPECT_EQ(get(repo, "v1").status, 200);
  // And the ECDSA one for the other image, in the tag scheme.
  EXPECT_TRUE(Refused(get(repo, "other")));
  ASSERT_TRUE(
      push_image(client(), repo, cosign_tag(other.digest), trusted.tag_scheme_signature(repo, other.digest)));
  EXPECT_EQ(get(repo, "other").status, 200);
}

TEST_F(SignaturePolicyTest, KeysThatAreNotCosignKeysAreRefused) {
  const std::string project = unique_name("badkeys");
  ASSERT_GT(create_project(project), 0);
  for (const char* keys : {"not a key", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"}) {
    Response set =
        client().put("/api/v2.0/projects/" + project,
                     json::serialize(json::object{{"metadata", json::object{{"cosign_public_keys", keys}}}}),
                     {{"Content-Type", "application/json"}});
    EXPECT_TRUE(IsHarborError(set, 400)) << set;
  }
}

}  // namespace
}  // namespace berth::integration
