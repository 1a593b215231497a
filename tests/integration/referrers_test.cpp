// The referrers API (spec "Listing Referrers"; end-12a, end-12b), with the same cast as
// the conformance suite: two artifacts typed by config.mediaType or by artifactType,
// pushed before their subject exists, an index artifact, two more after the subject, and
// one whose subject is never pushed.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>

#include "registry_fixture.h"

namespace berth::integration {
namespace {
namespace json = boost::json;

constexpr std::string_view kTypeA = "application/vnd.berth.test.peanut.butter";
constexpr std::string_view kTypeB = "application/vnd.berth.test.strawberry.jam";
constexpr std::string_view kTypeIndex = "application/vnd.berth.test.food.stand";
constexpr std::string_view kAnnotation = "org.opencontainers.conformance.test";

struct Referrer {
  std::string manifest;
  std::string digest;
  std::string media_type;
  std::string artifact_type;  // what the referrers list must say
  std::string annotation;
};

class ReferrersTest : public RegistryTest {
 protected:
  void SetUp() override {
    RegistryTest::SetUp();
    if (HasFatalFailure()) return;
    repo_ = unique_repo();
    subject_ = make_image();
    never_pushed_ = make_image();
    empty_ = make_blob("{}");
    blob_a_ = random_blob(33);
    blob_b_ = random_blob(38);

    ASSERT_EQ(push_blob(client(), repo_, empty_).status, 201);
    ASSERT_EQ(push_blob(client(), repo_, blob_a_).status, 201);
    // Before the subject exists.
    a_config_ = push_referrer(artifact_by_config(kTypeA, blob_a_, subject_, "config a"));
    a_layer_ = push_referrer(artifact_by_type(kTypeA, blob_a_, subject_, "layer a"));
    IndexSpec index;
    index.artifact_type = kTypeIndex;
    index.manifests = {descriptor_of(a_config_), descriptor_of(a_layer_)};
    index.subject = subject_.descriptor();
    index.annotations = {{std::string(kAnnotation), "test index"}};
    index_ = push_referrer(
        Referrer{render(index), "", std::string(kOciIndex), std::string(kTypeIndex), "test index"});
    // The subject, then more referrers.
    ASSERT_TRUE(push_image(client(), repo_, "tagtest0", subject_));
    ASSERT_EQ(push_blob(client(), repo_, blob_b_).status, 201);
    b_config_ = push_referrer(artifact_by_config(kTypeB, blob_b_, subject_, "config b"));
    b_layer_ = push_referrer(artifact_by_type(kTypeB, blob_b_, subject_, "layer b"));
    orphan_ = push_referrer(artifact_by_type(kTypeB, blob_b_, never_pushed_, "orphan"));
  }

  // An artifact whose type is its config's media type.
  Referrer artifact_by_config(std::string_view type, const Blob& blob, const Image& subject,
                              const std::string& annotation) {
    ManifestSpec spec;
    spec.config = describe(blob, type);
    spec.layers = {describe(empty_, kOciEmpty)};
    spec.subject = subject.descriptor();
    spec.annotations = {{std::string(kAnnotation), annotation}};
    return Referrer{render(spec), "", std::string(kOciManifest), std::string(type), annotation};
  }

  // An artifact with artifactType set and the empty config.
  Referrer artifact_by_type(std::string_view type, const Blob& blob, const Image& subject,
                            const std::string& annotation) {
    ManifestSpec spec;
    spec.artifact_type = type;
    spec.config = describe(empty_, kOciEmpty);
    spec.layers = {describe(blob, type)};
    spec.subject = subject.descriptor();
    spec.annotations = {{std::string(kAnnotation), annotation}};
    return Referrer{render(spec), "", std::string(kOciManifest), std::string(type), annotation};
  }

  Referrer push_referrer(Referrer referrer) {
    referrer.digest = sha256_digest(referrer.manifest);
    Response r = push_manifest(client(), repo_, referrer.digest, referrer.manifest, referrer.media_type);
    EXPECT_EQ(r.status, 201) << "pushing referrer \"" << referrer.annotation << "\": " << r;
    return referrer;
  }

  static Descriptor descriptor_of(const Referrer& referrer) {
    Descriptor d;
    d.media_type = referrer.media_type;
    d.digest = referrer.digest;
    d.size = referrer.manifest.size();
    return d;
  }

  Response referrers(const std::string& digest, const std::string& artifact_type = "") {
    std::string path = "/v2/" + repo_ + "/referrers/" + digest;
    if (!artifact_type.empty()) path = with_query(path, "artifactType", artifact_type);
    return client().get(path);
  }

  // The listing is an image index of exactly `expected`, each entry describing its
  // manifest: mediaType, size, artifactType, and all of its annotations.
  void expect_listing(const Response& r, const std::vector<const Referrer*>& expected) {
    ASSERT_EQ(r.status, 200) << r;
    EXPECT_EQ(r.header("Content-Type"), kOciIndex) << r;
    auto value = parse_json(r.body);
    ASSERT_TRUE(value && value->is_object()) << r;
    const json::object& index = value->as_object();
    EXPECT_EQ(json::value_to<int>(index.at("schemaVersion")), 2) << r;
    if (index.contains("mediaType")) {
      EXPECT_EQ(index.at("mediaType").as_string(), kOciIndex) << r;
    }
    auto manifests = index_manifests(r);
    ASSERT_TRUE(manifests.has_value()) << r;
    ASSERT_EQ(manifests->size(), expected.size()) << r;
    std::set<std::string> seen;
    for (const json::object& entry : *manifests) {
      std::string digest(entry.at("digest").as_string());
      EXPECT_TRUE(seen.insert(digest).second) << "listed twice: " << digest;
      const Referrer* match = nullptr;
      for (const Referrer* candidate : expected) {
        if (candidate->digest == digest) match = candidate;
      }
      ASSERT_NE(match, nullptr) << "unexpected referrer " << digest << " in " << r;
      SCOPED_TRACE(match->annotation);
      EXPECT_EQ(entry.at("mediaType").as_string(), match->media_type);
      EXPECT_EQ(json::value_to<std::uint64_t>(entry.at("size")), match->manifest.size());
      ASSERT_TRUE(entry.contains("artifactType")) << json::serialize(entry);
      EXPECT_EQ(entry.at("artifactType").as_string(), match->artifact_type);
      ASSERT_TRUE(entry.contains("annotations")) << json::serialize(entry);
      const json::object& annotations = entry.at("annotations").as_object();
      EXPECT_EQ(annotations.size(), 1u) << json::serialize(entry);
      ASSERT_TRUE(annotations.contains(kAnnotation)) << json::serialize(entry);
      EXPECT_EQ(annotations.at(kAnnotation).as_string(), match->annotation);
    }
  }

  std::string repo_;
  Image subject_;
  Image never_pushed_;
  Blob empty_, blob_a_, blob_b_;
  Referrer a_config_, a_layer_, index_, b_config_, b_layer_, orphan_;
};

TEST_F(ReferrersTest, PushesOfReferrersAnswerOciSubject) {
  // Checked again here, one push per kind, so that a failure names the clause.
  Referrer again = artifact_by_type(kTypeA, blob_a_, subject_, "again");
  again.digest = sha256_digest(again.manifest);
  Response r = push_manifest(client(), repo_, again.digest, again.manifest, kOciManifest);
  ASSERT_EQ(r.status, 201) << r;
  EXPECT_EQ(r.header("OCI-Subject"), subject_.digest) << r;
}

TEST_F(ReferrersTest, ListsEveryReferrerOfTheSubject) {
  expect_listing(referrers(subject_.digest), {&a_config_, &a_layer_, &index_, &b_config_, &b_layer_});
}

TEST_F(ReferrersTest, UnfilteredListingDoesNotClaimAFilter) {
  Response r = referrers(subject_.digest);
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_FALSE(r.has_header("OCI-Filters-Applied")) << r;
}

TEST_F(ReferrersTest, ArtifactTypeFilter) {
  Response r = referrers(subject_.digest, std::string(kTypeA));
  ASSERT_EQ(r.status, 200) << r;
  if (!r.has_header("OCI-Filters-Applied")) {
    // Filtering is a SHOULD; a registry that did not filter must say so by omitting the header.
    EXPECT_FALSE(against_berth()) << "Berth filters by artifactType";
    expect_listing(r, {&a_config_, &a_layer_, &index_, &b_config_, &b_layer_});
    return;
  }
  EXPECT_EQ(r.header("OCI-Filters-Applied"), "artifactType") << r;
  expect_listing(r, {&a_config_, &a_layer_});
}

TEST_F(ReferrersTest, FilterMatchingNothingAnswersAnEmptyIndex) {
  Response r = referrers(subject_.digest, "application/vnd.berth.test.nothing");
  ASSERT_EQ(r.status, 200) << r;
  if (r.has_header("OCI-Filters-Applied")) expect_listing(r, {});
}

TEST_F(ReferrersTest, SubjectThatWasNeverPushedListsItsReferrer) {
  expect_listing(referrers(never_pushed_.digest), {&orphan_});
}

// "A registry that supports the referrers API MUST NOT return 404 Not Found"; with no
// referrers it answers an index with an empty manifests list.
TEST_F(ReferrersTest, UnknownDigestAnswersAnEmptyIndex) {
  expect_listing(referrers(sha256_digest("hello world")), {});
}

TEST_F(ReferrersTest, InvalidDigestAnswers400) {
  Response r = referrers("sha256:nothex");
  EXPECT_EQ(r.status, 400) << r;
}

TEST_F(ReferrersTest, DeletedReferrerLeavesTheListing) {
  Response deleted = client().del(manifest_path(repo_, b_layer_.digest));
  ASSERT_EQ(deleted.status, 202) << deleted;
  expect_listing(referrers(subject_.digest), {&a_config_, &a_layer_, &index_, &b_config_});
}

TEST_F(ReferrersTest, ReferrersAreScopedToTheRepository) {
  const std::string other = unique_repo("other");
  ASSERT_TRUE(push_image(client(), other, "x", make_image()));
  expect_listing(client().get("/v2/" + other + "/referrers/" + subject_.digest), {});
}

}  // namespace
}  // namespace berth::integration
