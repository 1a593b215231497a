// Repositories, artifacts and tags through Harbor's management API: the listings and
// shapes Harbor's tools read, paging, the double-encoded repository names, and who may
// delete or tag what.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <set>

#include "harbor_api.h"

namespace berth::integration {
namespace {

namespace json = boost::json;

std::set<std::string> names_of(const json::value& items, std::string_view key = "name") {
  std::set<std::string> out;
  if (!items.is_array()) return out;
  for (const auto& item : items.as_array()) out.insert(text_of(item, key));
  return out;
}

const json::object* find_by(const json::value& items, std::string_view key, std::string_view value) {
  if (!items.is_array()) return nullptr;
  for (const auto& item : items.as_array()) {
    if (text_of(item, key) == value) return &item.as_object();
  }
  return nullptr;
}

bool is_time(const json::value& object, std::string_view key) {
  const std::string text = text_of(object, key);
  return text.size() == 24 && text[4] == '-' && text[10] == 'T' && text.back() == 'Z';
}

class RepositoryApiTest : public HarborApiTest {
 protected:
  void SetUp() override {
    HarborApiTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    project_ = unique_name("content");
    project_id_ = create_project(project_);
    ASSERT_GT(project_id_, 0);
    oci_ = make_image();
    docker_ = make_docker_image();
    ASSERT_TRUE(push_image(client(), project_ + "/app", "v1", oci_));
    ASSERT_EQ(push_manifest(client(), project_ + "/app", "also-a", oci_.manifest, kOciManifest).status, 201);
    ASSERT_TRUE(push_image(client(), project_ + "/app", "v2", docker_));
    ASSERT_TRUE(push_image(client(), project_ + "/nested/tool", "latest", make_image()));
  }

  std::string repo(std::string_view name) const { return repository_api_path(project_, name); }
  std::string artifacts(std::string_view name) const { return repo(name) + "/artifacts"; }
  std::string artifact(std::string_view name, std::string_view reference) const {
    return artifacts(name) + "/" + std::string(reference);
  }
  long v2_status(const std::string& repository, const std::string& reference) {
    return client()
        .get(manifest_path(project_ + "/" + repository, reference), {{"Accept", kAcceptAnyManifest}})
        .status;
  }

  std::string project_;
  std::int64_t project_id_ = 0;
  Image oci_;
  Image docker_;
};

TEST_F(RepositoryApiTest, ListsTheRepositoriesOfAProjectWithPaging) {
  const std::string base = std::string(kApi) + "/projects/" + project_ + "/repositories";
  Response all = client().get(base);
  ASSERT_EQ(all.status, 200) << all;
  EXPECT_EQ(all.header("X-Total-Count"), "2");
  json::value items = json_of(all);
  EXPECT_EQ(names_of(items), (std::set<std::string>{project_ + "/app", project_ + "/nested/tool"}));
  const json::object* app = find_by(items, "name", project_ + "/app");
  ASSERT_NE(app, nullptr);
  EXPECT_GT(int_of(*app, "id").value_or(0), 0);
  EXPECT_EQ(int_of(*app, "project_id"), project_id_);
  EXPECT_EQ(int_of(*app, "artifact_count"), 2);
  EXPECT_EQ(int_of(*app, "pull_count"), 0);
  EXPECT_EQ(text_of(*app, "description"), "");
  EXPECT_TRUE(is_time(*app, "creation_time")) << all;
  EXPECT_TRUE(is_time(*app, "update_time")) << all;

  Response first = client().get(base + "?page=1&page_size=1");
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(json_of(first).as_array().size(), 1u);
  EXPECT_EQ(first.header("X-Total-Count"), "2");
  EXPECT_NE(first.header("Link").find("rel=\"next\""), std::string::npos) << first;
  Response second = client().get(base + "?page=2&page_size=1");
  ASSERT_EQ(second.status, 200);
  EXPECT_NE(second.header("Link").find("rel=\"prev\""), std::string::npos) << second;
  EXPECT_EQ(second.header("Link").find("rel=\"next\""), std::string::npos) << second;
  EXPECT_NE(names_of(json_of(first)), names_of(json_of(second)));

  Response fuzzy = client().get(with_query(base, "q", "name=~nested"));
  ASSERT_EQ(fuzzy.status, 200) << fuzzy;
  EXPECT_EQ(names_of(json_of(fuzzy)), std::set<std::string>{project_ + "/nested/tool"});
  Response exact = client().get(with_query(base, "q", "name=" + project_ + "/app"));
  EXPECT_EQ(names_of(json_of(exact)), std::set<std::string>{project_ + "/app"});
  EXPECT_TRUE(IsHarborError(client().get(base + "?page_size=1000"), 400, "BAD_REQUEST"));
  EXPECT_TRUE(
      IsHarborError(client().get(std::string(kApi) + "/projects/" + unique_name("nope") + "/repositories"),
                    404, "NOT_FOUND"));
}

TEST_F(RepositoryApiTest, GetsAndDescribesARepositoryByItsEncodedName) {
  Response got = client().get(repo("nested/tool"));
  ASSERT_EQ(got.status, 200) << got;
  EXPECT_EQ(text_of(json_of(got), "name"), project_ + "/nested/tool");
  EXPECT_EQ(int_of(json_of(got), "artifact_count"), 1);
  EXPECT_EQ(client().get(std::string(kApi) + "/projects/" + project_ + "/repositories/nested%2Ftool").status,
            200);

  Response updated = client().put(repo("nested/tool"), R"({"description":"build tools"})",
                                  {{"Content-Type", "application/json"}});
  ASSERT_EQ(updated.status, 200) << updated;
  EXPECT_EQ(text_of(json_of(client().get(repo("nested/tool"))), "description"), "build tools");
  EXPECT_TRUE(IsHarborError(client().get(repo("missing")), 404, "NOT_FOUND"));
  EXPECT_TRUE(IsHarborError(
      client().put(repo("missing"), R"({"description":"x"})", {{"Content-Type", "application/json"}}), 404));
}

TEST_F(RepositoryApiTest, SystemAdminsListEveryRepository) {
  Response all =
      client().get(with_query(std::string(kApi) + "/repositories", "q", "name=~" + project_ + "/"));
  ASSERT_EQ(all.status, 200) << all;
  EXPECT_EQ(names_of(json_of(all)), (std::set<std::string>{project_ + "/app", project_ + "/nested/tool"}));
  const json::value items = json_of(all);
  const json::object* app = find_by(items, "name", project_ + "/app");
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(int_of(*app, "project_id"), project_id_);
  auto developer = member_client(project_, HarborRole::developer);
  EXPECT_TRUE(IsHarborError(developer->get(std::string(kApi) + "/repositories"), 403));
}

TEST_F(RepositoryApiTest, DeletingARepositoryNeedsTheRightAndRemovesItsContent) {
  auto developer = member_client(project_, HarborRole::developer);
  EXPECT_TRUE(IsHarborError(developer->del(repo("app")), 403, "FORBIDDEN"));
  EXPECT_EQ(v2_status("app", "v1"), 200);
  ASSERT_EQ(client().del(repo("app")).status, 200);
  EXPECT_TRUE(IsHarborError(client().get(repo("app")), 404));
  EXPECT_EQ(v2_status("app", "v1"), 404);
  EXPECT_EQ(v2_status("app", oci_.digest), 404);
  EXPECT_EQ(v2_status("nested/tool", "latest"), 200);
  EXPECT_TRUE(IsHarborError(client().del(repo("app")), 404));
}

TEST_F(RepositoryApiTest, ListsArtifactsWithHarborsFields) {
  Response listed = client().get(artifacts("app"));
  ASSERT_EQ(listed.status, 200) << listed;
  EXPECT_EQ(listed.header("X-Total-Count"), "2");
  json::value items = json_of(listed);
  const json::object* oci = find_by(items, "digest", oci_.digest);
  const json::object* docker = find_by(items, "digest", docker_.digest);
  ASSERT_NE(oci, nullptr) << listed;
  ASSERT_NE(docker, nullptr) << listed;
  const std::int64_t repository_id = int_of(json_of(client().get(repo("app"))), "id").value_or(-1);

  EXPECT_GT(int_of(*oci, "id").value_or(0), 0);
  EXPECT_EQ(text_of(*oci, "type"), "IMAGE");
  EXPECT_EQ(text_of(*oci, "media_type"), kOciConfig);
  EXPECT_EQ(text_of(*oci, "manifest_media_type"), kOciManifest);
  EXPECT_EQ(int_of(*oci, "project_id"), project_id_);
  EXPECT_EQ(int_of(*oci, "repository_id"), repository_id);
  EXPECT_EQ(text_of(*oci, "repository_name"), project_ + "/app");
  // Harbor's size: the manifest and the blobs it references.
  std::size_t oci_size = oci_.manifest.size() + oci_.config.data.size();
  for (const auto& layer : oci_.layers) oci_size += layer.data.size();
  EXPECT_EQ(int_of(*oci, "size"), static_cast<std::int64_t>(oci_size));
  EXPECT_TRUE(is_time(*oci, "push_time")) << listed;
  EXPECT_EQ(text_of(*oci, "pull_time"), "0001-01-01T00:00:00.000Z");
  EXPECT_TRUE(oci->at("extra_attrs").is_object());
  EXPECT_TRUE(oci->at("annotations").is_object());
  EXPECT_TRUE(oci->at("references").is_array());
  EXPECT_EQ(names_of(oci->at("tags")), (std::set<std::string>{"v1", "also-a"}));
  const json::object* v1 = find_by(oci->at("tags"), "name", "v1");
  ASSERT_NE(v1, nullptr);
  EXPECT_GT(int_of(*v1, "id").value_or(0), 0);
  EXPECT_EQ(int_of(*v1, "repository_id"), repository_id);
  EXPECT_EQ(int_of(*v1, "artifact_id"), int_of(*oci, "id"));
  EXPECT_EQ(v1->at("immutable"), json::value(false));
  EXPECT_TRUE(is_time(*v1, "push_time"));

  EXPECT_EQ(text_of(*docker, "type"), "IMAGE");
  EXPECT_EQ(text_of(*docker, "media_type"), kDockerConfig);
  EXPECT_EQ(text_of(*docker, "manifest_media_type"), kDockerManifest);
  EXPECT_NE(int_of(*docker, "id"), int_of(*oci, "id"));

  Response without_tags = client().get(artifacts("app") + "?with_tag=false");
  ASSERT_EQ(without_tags.status, 200);
  EXPECT_FALSE(json_of(without_tags).as_array()[0].as_object().contains("tags"));
}

TEST_F(RepositoryApiTest, FiltersArtifactsByTag) {
  Image untagged = make_image();
  for (const Blob* blob : {&untagged.config, &untagged.layers[0]})
    ASSERT_EQ(push_blob(client(), project_ + "/app", *blob).status, 201);
  ASSERT_EQ(
      push_manifest(client(), project_ + "/app", untagged.digest, untagged.manifest, kOciManifest).status,
      201);

  Response v2 = client().get(with_query(artifacts("app"), "q", "tags=v2"));
  ASSERT_EQ(v2.status, 200) << v2;
  EXPECT_EQ(names_of(json_of(v2), "digest"), std::set<std::string>{docker_.digest});
  Response none = client().get(with_query(artifacts("app"), "q", "tags=nil"));
  EXPECT_EQ(names_of(json_of(none), "digest"), std::set<std::string>{untagged.digest});
  Response tagged = client().get(with_query(artifacts("app"), "q", "tags=*"));
  EXPECT_EQ(tagged.header("X-Total-Count"), "2");
  Response page = client().get(artifacts("app") + "?page=2&page_size=2");
  EXPECT_EQ(page.header("X-Total-Count"), "3");
  EXPECT_EQ(json_of(page).as_array().size(), 1u);
  EXPECT_TRUE(IsHarborError(client().get(with_query(artifacts("app"), "q", "no_such_field=1")), 400));
}

TEST_F(RepositoryApiTest, GetsAnArtifactByTagOrDigest) {
  Response by_tag = client().get(artifact("app", "v1"));
  ASSERT_EQ(by_tag.status, 200) << by_tag;
  Response by_digest = client().get(artifact("app", oci_.digest));
  ASSERT_EQ(by_digest.status, 200) << by_digest;
  EXPECT_EQ(text_of(json_of(by_tag), "digest"), oci_.digest);
  EXPECT_EQ(int_of(json_of(by_tag), "id"), int_of(json_of(by_digest), "id"));
  EXPECT_TRUE(IsHarborError(client().get(artifact("app", "nope")), 404, "NOT_FOUND"));
  EXPECT_TRUE(IsHarborError(client().get(artifact("app", sha256_digest("never pushed"))), 404));
  EXPECT_TRUE(IsHarborError(client().get(artifact("missing", "v1")), 404));
}

TEST_F(RepositoryApiTest, AnIndexListsItsChildrenAndAChartIsAChart) {
  Image amd64 = make_image();
  Image arm64 = make_image();
  ASSERT_TRUE(push_image(client(), project_ + "/multi", amd64.digest, amd64));
  ASSERT_TRUE(push_image(client(), project_ + "/multi", arm64.digest, arm64));
  IndexSpec index;
  Descriptor first = amd64.descriptor();
  first.platform_os = "linux";
  first.platform_architecture = "amd64";
  Descriptor second = arm64.descriptor();
  second.platform_os = "linux";
  second.platform_architecture = "arm64";
  index.manifests = {first, second};
  const std::string index_body = render(index);
  ASSERT_EQ(push_manifest(client(), project_ + "/multi", "latest", index_body, kOciIndex).status, 201);

  Response got = client().get(artifact("multi", "latest"));
  ASSERT_EQ(got.status, 200) << got;
  json::value body = json_of(got);
  EXPECT_EQ(text_of(body, "type"), "IMAGE");
  EXPECT_EQ(text_of(body, "manifest_media_type"), kOciIndex);
  EXPECT_EQ(text_of(body, "digest"), sha256_digest(index_body));
  const json::value& references = body.at("references");
  ASSERT_EQ(references.as_array().size(), 2u) << got;
  EXPECT_EQ(names_of(references, "child_digest"), (std::set<std::string>{amd64.digest, arm64.digest}));
  const json::object* child = find_by(references, "child_digest", amd64.digest);
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(text_of(child->at("platform"), "architecture"), "amd64");
  EXPECT_EQ(int_of(*child, "parent_id"), int_of(body, "id"));
  EXPECT_EQ(int_of(*child, "child_id"), int_of(json_of(client().get(artifact("multi", amd64.digest))), "id"));

  Blob chart_config = make_blob(R"({"name":"demo","version":"0.1.0","apiVersion":"v2"})");
  Blob chart = random_blob(300);
  ASSERT_EQ(push_blob(client(), project_ + "/charts/demo", chart_config).status, 201);
  ASSERT_EQ(push_blob(client(), project_ + "/charts/demo", chart).status, 201);
  ManifestSpec spec;
  spec.config = describe(chart_config, kHelmConfig);
  spec.layers = {describe(chart, kHelmChart)};
  ASSERT_EQ(push_manifest(client(), project_ + "/charts/demo", "0.1.0", render(spec), kOciManifest).status,
            201);
  Response helm = client().get(artifact("charts/demo", "0.1.0"));
  ASSERT_EQ(helm.status, 200) << helm;
  EXPECT_EQ(text_of(json_of(helm), "type"), "CHART");
  EXPECT_EQ(text_of(json_of(helm), "media_type"), kHelmConfig);
}

TEST_F(RepositoryApiTest, DeletingByTagRemovesTheArtifactWithAllItsTags) {
  auto developer = member_client(project_, HarborRole::developer);
  EXPECT_TRUE(IsHarborError(developer->del(artifact("app", "v1")), 403, "FORBIDDEN"));
  EXPECT_EQ(v2_status("app", "v1"), 200);

  ASSERT_EQ(client().del(artifact("app", "v1")).status, 200);
  EXPECT_EQ(v2_status("app", "v1"), 404);
  EXPECT_EQ(v2_status("app", "also-a"), 404);
  EXPECT_EQ(v2_status("app", oci_.digest), 404);
  EXPECT_EQ(v2_status("app", "v2"), 200);
  EXPECT_TRUE(IsHarborError(client().get(artifact("app", oci_.digest)), 404));
  EXPECT_EQ(json_of(client().get(repo("app"))).at("artifact_count"), json::value(1));

  auto maintainer = member_client(project_, HarborRole::maintainer);
  EXPECT_EQ(maintainer->del(artifact("app", docker_.digest)).status, 200);
  EXPECT_EQ(v2_status("app", "v2"), 404);
}

TEST_F(RepositoryApiTest, TagsAreAddedListedAndRemoved) {
  const std::string tags = artifact("app", "v2") + "/tags";
  Response created = client().post(tags, R"({"name":"stable"})", {{"Content-Type", "application/json"}});
  ASSERT_EQ(created.status, 201) << created;
  EXPECT_NE(created.header("Location").find("/tags/stable"), std::string::npos) << created;
  Response pulled =
      client().get(manifest_path(project_ + "/app", "stable"), {{"Accept", kAcceptAnyManifest}});
  ASSERT_EQ(pulled.status, 200);
  EXPECT_EQ(pulled.header("Docker-Content-Digest"), docker_.digest);
  EXPECT_TRUE(IsHarborError(
      client().post(tags, R"({"name":"stable"})", {{"Content-Type", "application/json"}}), 409, "CONFLICT"));
  EXPECT_TRUE(
      IsHarborError(client().post(tags, R"({"name":"v1"})", {{"Content-Type", "application/json"}}), 409));
  EXPECT_TRUE(IsHarborError(
      client().post(tags, R"({"name":"bad tag!"})", {{"Content-Type", "application/json"}}), 400));
  EXPECT_TRUE(IsHarborError(client().post(tags, R"({})", {{"Content-Type", "application/json"}}), 400));

  auto guest = member_client(project_, HarborRole::guest);
  EXPECT_TRUE(IsHarborError(
      guest->post(tags, R"({"name":"by-guest"})", {{"Content-Type", "application/json"}}), 403, "FORBIDDEN"));
  auto developer = member_client(project_, HarborRole::developer);
  EXPECT_EQ(developer->post(tags, R"({"name":"by-dev"})", {{"Content-Type", "application/json"}}).status,
            201);

  Response listed = guest->get(tags);
  ASSERT_EQ(listed.status, 200) << listed;
  EXPECT_EQ(listed.header("X-Total-Count"), "3");
  EXPECT_EQ(names_of(json_of(listed)), (std::set<std::string>{"v2", "stable", "by-dev"}));
  EXPECT_EQ(names_of(json_of(client().get(with_query(tags, "q", "name=~sta")))),
            std::set<std::string>{"stable"});

  EXPECT_TRUE(IsHarborError(guest->del(tags + "/stable"), 403));
  EXPECT_TRUE(IsHarborError(developer->del(tags + "/stable"), 403));
  EXPECT_TRUE(IsHarborError(client().del(tags + "/v1"), 404));
  ASSERT_EQ(client().del(tags + "/stable").status, 200);
  EXPECT_EQ(v2_status("app", "stable"), 404);
  EXPECT_EQ(v2_status("app", docker_.digest), 200);
  EXPECT_TRUE(IsHarborError(client().del(tags + "/stable"), 404));
}

TEST_F(RepositoryApiTest, AnonymousCallersReadPublicProjectsOnly) {
  auto anonymous = client_as("", "");
  EXPECT_TRUE(IsHarborError(anonymous->get(std::string(kApi) + "/projects/" + project_ + "/repositories"),
                            401, "UNAUTHORIZED"));
  EXPECT_TRUE(IsHarborError(anonymous->get(artifacts("app")), 401));

  const std::string open = unique_name("public");
  create_project(open, true);
  ASSERT_TRUE(push_image(client(), open + "/web", "1.0", make_image()));
  EXPECT_EQ(anonymous->get(std::string(kApi) + "/projects/" + open + "/repositories").status, 200);
  EXPECT_EQ(anonymous->get(repository_api_path(open, "web")).status, 200);
  EXPECT_EQ(anonymous->get(repository_api_path(open, "web") + "/artifacts").status, 200);
  EXPECT_EQ(anonymous->get(repository_api_path(open, "web") + "/artifacts/1.0/tags").status, 200);
  EXPECT_TRUE(IsHarborError(anonymous->del(repository_api_path(open, "web") + "/artifacts/1.0"), 401));
  EXPECT_TRUE(IsHarborError(anonymous->post(repository_api_path(open, "web") + "/artifacts/1.0/tags",
                                            R"({"name":"x"})", {{"Content-Type", "application/json"}}),
                            401));
  EXPECT_TRUE(IsHarborError(anonymous->del(repository_api_path(open, "web")), 401));

  // A signed-in user who is no member reads a public project but changes nothing.
  const std::string stranger = unique_name("stranger");
  create_user(stranger);
  auto signed_in = client_as(stranger, kUserPassword);
  EXPECT_EQ(signed_in->get(repository_api_path(open, "web") + "/artifacts").status, 200);
  EXPECT_TRUE(IsHarborError(signed_in->del(repository_api_path(open, "web") + "/artifacts/1.0"), 403));
  EXPECT_TRUE(IsHarborError(signed_in->get(artifacts("app")), 403));
}

}  // namespace
}  // namespace berth::integration
