// Artifacts as Harbor shows them, against the real binary: types and extra attributes, an
// image's build history, a Helm chart pushed and pulled with the requests Helm 3.8+ makes and
// its additions, cosign signatures (tag scheme and OCI 1.1 referrers) and SBOMs as accessories,
// deletes that take accessories along, copies between projects, and labels.
#include <gtest/gtest.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <string>
#include <vector>

#include "artifact_fixtures.h"
#include "harbor_api.h"
#include "test_archives.h"

namespace berth::integration {
namespace {

namespace json = boost::json;

class ArtifactModelTest : public HarborApiTest {
 protected:
  // GET .../artifacts/{reference}?<query> as admin; expects 200.
  json::value artifact(const std::string& repo, const std::string& reference, const std::string& query = "") {
    Response r = client().get(artifact_api_path(repo, reference) + query);
    EXPECT_EQ(r.status, 200) << r;
    return r.status == 200 ? json_of(r) : json::value{};
  }
  json::array artifacts(const std::string& repo, const std::string& query = "") {
    Response r = client().get(artifact_api_path(repo, "") + query);
    EXPECT_EQ(r.status, 200) << r;
    return r.status == 200 ? json_of(r).as_array() : json::array{};
  }
  // POST /labels (as `as`, else admin).
  Response post_label(const json::object& fields, HttpClient* as = nullptr) {
    return (as == nullptr ? client() : *as)
        .post("/api/v2.0/labels", json::serialize(fields), {{"Content-Type", "application/json"}});
  }
  // POST /labels as admin; expects 201. Returns the new label's id (0 on failure).
  std::int64_t create_label(const json::object& fields) {
    Response r = post_label(fields);
    EXPECT_EQ(r.status, 201) << r;
    const std::string location = r.header("Location");
    const auto slash = location.rfind('/');
    return r.status == 201 && slash != std::string::npos ? std::stoll(location.substr(slash + 1)) : 0;
  }
  std::vector<std::string> digests_of(const json::array& listed) {
    std::vector<std::string> out;
    for (const auto& item : listed) out.push_back(text_of(item, "digest"));
    return out;
  }
};

TEST_F(ArtifactModelTest, AnImageHasHarborsTypeAttributesAndBuildHistory) {
  const std::string repo = unique_repo("img");
  Image image = make_image_with_config(
      R"({"architecture":"arm64","os":"linux","created":"2026-01-02T03:04:05Z",)"
      R"("config":{"Env":["A=1"],"Cmd":["/app"],"Labels":{"maintainer":"ops@example.com"}},)"
      R"("history":[{"created":"2026-01-02T03:04:05Z","created_by":"COPY app /app"}],)"
      R"("rootfs":{"type":"layers","diff_ids":[]}})");
  ASSERT_TRUE(push_image(client(), repo, "v1", image));
  json::value shown = artifact(repo, "v1");
  EXPECT_EQ(text_of(shown, "type"), "IMAGE");
  EXPECT_EQ(text_of(shown, "media_type"), kOciConfig);
  EXPECT_EQ(text_of(shown, "manifest_media_type"), kOciManifest);
  const json::value& attrs = shown.at("extra_attrs");
  EXPECT_EQ(text_of(attrs, "architecture"), "arm64");
  EXPECT_EQ(text_of(attrs, "os"), "linux");
  EXPECT_EQ(text_of(attrs, "created"), "2026-01-02T03:04:05Z");
  EXPECT_EQ(text_of(attrs, "author"), "ops@example.com");
  EXPECT_EQ(json::serialize(attrs.at("config").at("Cmd")), R"(["/app"])");
  EXPECT_EQ(int_of(shown, "size"),
            static_cast<std::int64_t>(image.manifest.size() + image.config.data.size() +
                                      image.layers[0].data.size()));
  ASSERT_TRUE(shown.at("addition_links").as_object().contains("build_history")) << json::serialize(shown);

  Response history = client().get(artifact_api_path(repo, "v1") + "/additions/build_history");
  ASSERT_EQ(history.status, 200) << history;
  EXPECT_EQ(history.header("Content-Type"), "application/json; charset=utf-8");
  EXPECT_EQ(text_of(json_of(history).as_array().at(0), "created_by"), "COPY app /app");
  // Images have no chart additions (Harbor: 400).
  EXPECT_EQ(client().get(artifact_api_path(repo, "v1") + "/additions/values.yaml").status, 400);
}

TEST_F(ArtifactModelTest, ArtifactTypesFromTheConfigMediaType) {
  const std::string repo = unique_repo("kinds");
  Image thing = make_image_with_config(R"({"name":"x","secret":"s","note":"n"})",
                                       "application/vnd.example.thing.config.v1+json",
                                       {{"io.goharbor.artifact.v1alpha1.skip-list", "secret,note"}});
  ASSERT_TRUE(push_image(client(), repo, "thing", thing));
  json::value shown = artifact(repo, "thing");
  EXPECT_EQ(text_of(shown, "type"), "THING");
  EXPECT_EQ(json::serialize(shown.at("extra_attrs")), R"({"name":"x"})");
  Image other = make_image_with_config("{}", "application/x-whatever");
  ASSERT_TRUE(push_image(client(), repo, "other", other));
  EXPECT_EQ(text_of(artifact(repo, "other"), "type"), "UNKNOWN");
}

TEST_F(ArtifactModelTest, HelmChartPushedAndPulledAsHelmDoes) {
  const std::string project = unique_name("charts");
  ASSERT_GT(create_project(project), 0);
  const std::string repo = project + "/mychart";
  HelmChart chart = make_helm_chart("mychart", "0.1.0");
  auto anonymous = client_as("", "");
  HelmClient client_like_helm(*anonymous, "admin", kAdminPassword);
  ASSERT_TRUE(client_like_helm.login());
  ASSERT_TRUE(client_like_helm.push(repo, "0.1.0", chart));
  auto pulled = client_like_helm.pull(repo, "0.1.0");
  ASSERT_TRUE(pulled);
  EXPECT_EQ(pulled->config, chart.config.data);
  EXPECT_EQ(pulled->chart, chart.chart.data);

  json::value shown = artifact(repo, "0.1.0");
  EXPECT_EQ(text_of(shown, "type"), "CHART");
  EXPECT_EQ(text_of(shown.at("extra_attrs"), "name"), "mychart");
  EXPECT_EQ(text_of(shown.at("extra_attrs"), "version"), "0.1.0");
  const auto& links = shown.at("addition_links").as_object();
  for (const char* name : {"values.yaml", "readme.md", "dependencies"})
    EXPECT_TRUE(links.contains(name)) << name << ": " << json::serialize(shown);

  Response values = client().get(artifact_api_path(repo, "0.1.0") + "/additions/values.yaml");
  ASSERT_EQ(values.status, 200) << values;
  EXPECT_EQ(values.body, chart.values);
  EXPECT_EQ(values.header("Content-Type"), "text/plain; charset=utf-8");
  Response readme = client().get(artifact_api_path(repo, "0.1.0") + "/additions/readme.md");
  ASSERT_EQ(readme.status, 200) << readme;
  EXPECT_EQ(readme.body, chart.readme);
  EXPECT_EQ(readme.header("Content-Type"), "text/markdown; charset=utf-8");
  Response dependencies = client().get(artifact_api_path(repo, "0.1.0") + "/additions/dependencies");
  ASSERT_EQ(dependencies.status, 200) << dependencies;
  const json::value deps = json_of(dependencies);
  ASSERT_EQ(deps.as_array().size(), 1u) << dependencies;
  EXPECT_EQ(text_of(deps.as_array()[0], "name"), "redis");
  EXPECT_EQ(text_of(deps.as_array()[0], "repository"), "oci://registry.example/charts");
  EXPECT_EQ(deps.as_array()[0].at("enabled"), json::value(true));
  EXPECT_EQ(client().get(artifact_api_path(repo, "0.1.0") + "/additions/build_history").status, 400);
}

TEST_F(ArtifactModelTest, AHostileChartLayerIsRefusedNotRead) {
  const std::string repo = unique_repo("bomb");
  HelmChart chart = make_helm_chart("bomb", "1.0.0");
  // values.yaml of 3 MiB: past the per-file bound (1 MiB), a clear error and nothing else.
  chart.chart = make_blob(gzip_of(tar_of({TarEntry("bomb/Chart.yaml", chart.chart_yaml),
                                          TarEntry("bomb/values.yaml", std::string(3 << 20, 'v'))})));
  chart.rebuild();
  ASSERT_TRUE(push_chart(client(), repo, "1.0.0", chart));
  Response values = client().get(artifact_api_path(repo, "1.0.0") + "/additions/values.yaml");
  EXPECT_EQ(values.status, 413) << values;
  EXPECT_EQ(client().get("/healthz").status, 200);
}

TEST_F(ArtifactModelTest, SignaturesAndSbomsAreAccessoriesHiddenFromTheList) {
  const std::string repo = unique_repo("acc");
  Image image = make_image();
  ASSERT_TRUE(push_image(client(), repo, "v1", image));
  Signer signer = Signer::ecdsa();
  Image tag_signature = signer.tag_scheme_signature(repo, image.digest);
  ASSERT_TRUE(push_image(client(), repo, cosign_tag(image.digest), tag_signature));
  Image referrer_signature = signer.referrer_signature(repo, image);
  ASSERT_TRUE(push_image(client(), repo, referrer_signature.digest, referrer_signature));
  Image sbom = make_sbom_referrer(image);
  ASSERT_TRUE(push_image(client(), repo, sbom.digest, sbom));

  // The list shows the image alone, its tag signed.
  json::array listed = artifacts(repo, "?with_accessory=true");
  ASSERT_EQ(digests_of(listed), std::vector<std::string>{image.digest});
  EXPECT_EQ(listed[0].at("tags").as_array().at(0).at("signed"), json::value(true));
  std::vector<std::pair<std::string, std::string>> accessories;
  for (const auto& a : listed[0].at("accessories").as_array()) {
    accessories.emplace_back(text_of(a, "digest"), text_of(a, "type"));
    EXPECT_EQ(text_of(a, "subject_artifact_digest"), image.digest);
    EXPECT_EQ(text_of(a, "subject_artifact_repo"), repo);
  }
  EXPECT_EQ(accessories,
            (std::vector<std::pair<std::string, std::string>>{{tag_signature.digest, "signature.cosign"},
                                                              {referrer_signature.digest, "signature.cosign"},
                                                              {sbom.digest, "harbor.sbom"}}));

  Response page = client().get(artifact_api_path(repo, image.digest) + "/accessories?page_size=2");
  ASSERT_EQ(page.status, 200) << page;
  EXPECT_EQ(page.header("X-Total-Count"), "3");
  EXPECT_EQ(json_of(page).as_array().size(), 2u);
  // An accessory can be read by itself, typed.
  EXPECT_EQ(text_of(artifact(repo, tag_signature.digest), "type"), "SIGNATURE");
  EXPECT_EQ(text_of(artifact(repo, sbom.digest), "type"), "SBOM");
  // Unsigned: signed is false.
  Image plain = make_image();
  ASSERT_TRUE(push_image(client(), repo, "plain", plain));
  EXPECT_EQ(artifact(repo, "plain").at("tags").as_array().at(0).at("signed"), json::value(false));
}

TEST_F(ArtifactModelTest, DeletingAnArtifactDeletesItsAccessories) {
  const std::string repo = unique_repo("cascade");
  Signer signer = Signer::ed25519();
  for (bool through_api : {true, false}) {
    Image image = make_image();
    ASSERT_TRUE(push_image(client(), repo, "v1", image));
    Image tag_signature = signer.tag_scheme_signature(repo, image.digest);
    ASSERT_TRUE(push_image(client(), repo, cosign_tag(image.digest), tag_signature));
    Image sbom = make_sbom_referrer(image);
    ASSERT_TRUE(push_image(client(), repo, sbom.digest, sbom));
    // A signature of the SBOM: an accessory of an accessory.
    Image sbom_signature = signer.referrer_signature(repo, sbom);
    ASSERT_TRUE(push_image(client(), repo, sbom_signature.digest, sbom_signature));

    Response deleted = through_api ? client().del(artifact_api_path(repo, image.digest))
                                   : client().del(manifest_path(repo, image.digest));
    ASSERT_EQ(deleted.status, through_api ? 200 : 202) << deleted;
    for (const auto* gone : {&image, &tag_signature, &sbom, &sbom_signature}) {
      EXPECT_EQ(client().get(manifest_path(repo, gone->digest), {{"Accept", kAcceptAnyManifest}}).status, 404)
          << (through_api ? "API" : "/v2") << " delete left " << gone->digest;
    }
    EXPECT_EQ(
        client().get(manifest_path(repo, cosign_tag(image.digest)), {{"Accept", kAcceptAnyManifest}}).status,
        404);
  }
}

TEST_F(ArtifactModelTest, CopyTakesChildrenAndAccessoriesAcrossProjects) {
  const std::string source = unique_repo("src");
  const std::string target_project = unique_name("dst");
  ASSERT_GT(create_project(target_project), 0);
  const std::string target = target_project + "/copied";
  Image amd = make_image();
  Image arm = make_image();
  ASSERT_TRUE(push_image(client(), source, amd.digest, amd));
  ASSERT_TRUE(push_image(client(), source, arm.digest, arm));
  IndexSpec spec;
  spec.manifests = {amd.descriptor(), arm.descriptor()};
  const std::string index = render(spec);
  const std::string index_digest = sha256_digest(index);
  ASSERT_EQ(push_manifest(client(), source, "multi", index, kOciIndex).status, 201);
  Signer signer = Signer::ecdsa();
  Image signature = signer.tag_scheme_signature(source, index_digest);
  ASSERT_TRUE(push_image(client(), source, cosign_tag(index_digest), signature));

  Response copied = client().post(artifact_api_path(target, "") + "?from=" + source + ":multi", "");
  ASSERT_EQ(copied.status, 201) << copied;
  EXPECT_EQ(copied.header("Location"), artifact_api_path(target, "multi"));
  Response pulled = client().get(manifest_path(target, "multi"), {{"Accept", kAcceptAnyManifest}});
  ASSERT_EQ(pulled.status, 200) << pulled;
  EXPECT_EQ(pulled.body, index);
  for (const Image* child : {&amd, &arm}) {
    EXPECT_EQ(client().get(manifest_path(target, child->digest), {{"Accept", kAcceptAnyManifest}}).body,
              child->manifest);
    EXPECT_EQ(client().get(blob_path(target, child->layers[0].digest)).body, child->layers[0].data);
  }
  // The signature came along, under cosign's tag, still an accessory.
  Response sig =
      client().get(manifest_path(target, cosign_tag(index_digest)), {{"Accept", kAcceptAnyManifest}});
  EXPECT_EQ(sig.body, signature.manifest);
  json::value copied_index = artifact(target, "multi", "?with_accessory=true");
  ASSERT_EQ(copied_index.at("accessories").as_array().size(), 1u) << json::serialize(copied_index);
  EXPECT_EQ(text_of(copied_index.at("accessories").as_array()[0], "digest"), signature.digest);
  EXPECT_EQ(copied_index.at("references").as_array().size(), 2u);
  // Listed as Harbor lists it: the index alone (its untagged images are its platforms, the
  // signature an accessory); an image that gets a tag of its own is listed too.
  EXPECT_EQ(digests_of(artifacts(target)), std::vector<std::string>{index_digest});
  Response tagged = client().post(artifact_api_path(target, amd.digest) + "/tags", R"({"name":"amd"})",
                                  {{"Content-Type", "application/json"}});
  ASSERT_EQ(tagged.status, 201) << tagged;
  EXPECT_EQ(artifacts(target).size(), 2u);
  EXPECT_EQ(artifacts(target, "?q=tags%3Dnil").size(), 0u) << "untagged images of an index are not listed";
  // The source is untouched.
  EXPECT_EQ(client().get(manifest_path(source, "multi"), {{"Accept", kAcceptAnyManifest}}).status, 200);

  // By digest: no tag. An accessory alone cannot be copied; a missing source is 404; garbage 400.
  Response by_digest =
      client().post(artifact_api_path(target, "") + "?from=" + source + "@" + amd.digest, "");
  EXPECT_EQ(by_digest.status, 201) << by_digest;
  EXPECT_EQ(
      client().post(artifact_api_path(target, "") + "?from=" + source + "@" + signature.digest, "").status,
      403);
  EXPECT_EQ(client().post(artifact_api_path(target, "") + "?from=" + source + ":nope", "").status, 404);
  EXPECT_EQ(client().post(artifact_api_path(target, "") + "?from=nonsense", "").status, 400);
  // A guest of the target may not copy into it.
  auto guest = member_client(target_project, HarborRole::guest);
  EXPECT_EQ(guest->post(artifact_api_path(target, "") + "?from=" + source + ":multi", "").status, 403);
}

TEST_F(ArtifactModelTest, LabelsGlobalAndPerProjectAttachDetachAndFilter) {
  const std::string project = unique_name("lab");
  const std::int64_t project_id = create_project(project);
  ASSERT_GT(project_id, 0);
  const std::string repo = project + "/app";
  Image a = make_image();
  Image b = make_image();
  ASSERT_TRUE(push_image(client(), repo, "a", a));
  ASSERT_TRUE(push_image(client(), repo, "b", b));

  const std::int64_t global =
      create_label({{"name", unique_name("prod")}, {"color", "#00ff00"}, {"scope", "g"}});
  const std::int64_t local = create_label(
      {{"name", "reviewed"}, {"scope", "p"}, {"project_id", project_id}, {"description", "QA ok"}});
  ASSERT_GT(global, 0);
  ASSERT_GT(local, 0);
  // The same name twice in one scope: 409.
  EXPECT_EQ(post_label({{"name", "reviewed"}, {"scope", "p"}, {"project_id", project_id}}).status, 409);
  // Only system admins make global labels; a maintainer makes project labels, a developer not.
  auto maintainer = member_client(project, HarborRole::maintainer);
  auto developer = member_client(project, HarborRole::developer);
  EXPECT_EQ(post_label({{"name", "mine"}, {"scope", "g"}}, maintainer.get()).status, 403);
  EXPECT_EQ(post_label({{"name", "m2"}, {"scope", "p"}, {"project_id", project_id}}, maintainer.get()).status,
            201);
  EXPECT_EQ(post_label({{"name", "d2"}, {"scope", "p"}, {"project_id", project_id}}, developer.get()).status,
            403);

  for (const auto& [reference, label] :
       std::vector<std::pair<std::string, std::int64_t>>{{"a", global}, {"a", local}, {"b", local}}) {
    Response attached =
        developer->post(artifact_api_path(repo, reference) + "/labels",
                        json::serialize(json::object{{"id", label}}), {{"Content-Type", "application/json"}});
    ASSERT_EQ(attached.status, 200) << attached;
  }
  EXPECT_EQ(client()
                .post(artifact_api_path(repo, "a") + "/labels", json::serialize(json::object{{"id", global}}),
                      {{"Content-Type", "application/json"}})
                .status,
            409);
  auto guest = member_client(project, HarborRole::guest);
  EXPECT_EQ(guest
                ->post(artifact_api_path(repo, "b") + "/labels",
                       json::serialize(json::object{{"id", global}}), {{"Content-Type", "application/json"}})
                .status,
            403);

  json::value shown = artifact(repo, "a", "?with_label=true");
  ASSERT_EQ(shown.at("labels").as_array().size(), 2u) << json::serialize(shown);
  const std::string both = "?q=labels%3D(" + std::to_string(global) + "%20" + std::to_string(local) + ")";
  EXPECT_EQ(digests_of(artifacts(repo, both)), std::vector<std::string>{a.digest});
  std::vector<std::string> with_local = digests_of(artifacts(repo, "?q=labels%3D" + std::to_string(local)));
  EXPECT_EQ(with_local.size(), 2u);
  EXPECT_EQ(client().get(artifact_api_path(repo, "") + "?q=labels%3D(x)").status, 400);

  ASSERT_EQ(developer->del(artifact_api_path(repo, "a") + "/labels/" + std::to_string(local)).status, 200);
  EXPECT_EQ(developer->del(artifact_api_path(repo, "a") + "/labels/" + std::to_string(local)).status, 404);
  EXPECT_EQ(digests_of(artifacts(repo, "?q=labels%3D" + std::to_string(local))),
            std::vector<std::string>{b.digest});
  // Deleting a label detaches it everywhere.
  ASSERT_EQ(client().del("/api/v2.0/labels/" + std::to_string(local)).status, 200);
  EXPECT_EQ(client().get("/api/v2.0/labels/" + std::to_string(local)).status, 404);
  EXPECT_TRUE(artifact(repo, "b", "?with_label=true").at("labels").as_array().empty());

  Response global_list = client().get("/api/v2.0/labels?scope=g&name=prod");
  ASSERT_EQ(global_list.status, 200) << global_list;
  EXPECT_GE(json_of(global_list).as_array().size(), 1u);
  EXPECT_EQ(client().get("/api/v2.0/labels?scope=p").status, 400);
  EXPECT_EQ(client().get("/api/v2.0/labels?scope=x").status, 400);
}

}  // namespace
}  // namespace berth::integration
