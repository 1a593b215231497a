// Storage lifecycle through the real server: exact project quotas (Harbor's /quotas and
// storage_limit), plans (storage cap, requests in flight, scanning, live upgrades through the
// operator API and `berth admin plan set`), tag immutability and retention, and online garbage
// collection (/system/gc), racing pushes and surviving kill -9. Each test runs a Berth of its
// own, configured for it.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>

#include "harbor_api.h"
#include "operator_berth.h"
#include "raw_connection.h"
#include "registry_fixture.h"

namespace berth::integration {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

// The bytes a project is charged for an image pushed into it for the first time.
std::int64_t charged(const Image& image, bool with_config = true) {
  std::int64_t n = static_cast<std::int64_t>(image.manifest.size());
  if (with_config) n += static_cast<std::int64_t>(image.config.data.size());
  for (const auto& layer : image.layers) n += static_cast<std::int64_t>(layer.data.size());
  return n;
}

// An image whose config is fresh and whose layers are `layers`.
Image image_of(const std::vector<Blob>& layers) {
  Image image;
  image.config = random_config();
  image.layers = layers;
  image.media_type = std::string(kOciManifest);
  ManifestSpec spec;
  spec.config = describe(image.config, kOciConfig);
  for (const auto& layer : layers) spec.layers.push_back(describe(layer, kOciLayer));
  set_manifest(image, render(spec));
  return image;
}

class LifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (using_external_registry()) GTEST_SKIP() << "Berth's storage lifecycle; REGISTRY_URL is set";
  }

  // A Berth started with these BERTH_* settings (and the operator API on a free port).
  void start(std::map<std::string, std::string> settings) {
    std::string error;
    berth_ = OperatorBerth::spawn(std::move(settings), &error);
    ASSERT_NE(berth_, nullptr) << error;
  }

  HttpClient& client() { return berth_->client(); }
  RegistryInstance& registry() { return berth_->registry(); }
  Response operator_call(const std::string& method, const std::string& path, std::string body = {}) {
    return berth_->call(method, path, std::move(body));
  }

  // POST /projects with a storage limit; returns the project id.
  std::int64_t create_project(const std::string& name, std::int64_t storage_limit) {
    json::object body{{"project_name", name}, {"storage_limit", storage_limit}};
    Response created = client().post(std::string(kApi) + "/projects", json::serialize(body),
                                     {{"Content-Type", "application/json"}});
    EXPECT_EQ(created.status, 201) << created;
    Response project =
        client().get(std::string(kApi) + "/projects/" + name, {{"X-Is-Resource-Name", "true"}});
    return int_of(json_of(project), "project_id").value_or(0);
  }

  json::value quota(std::int64_t id) {
    Response got = client().get(std::string(kApi) + "/quotas/" + std::to_string(id));
    EXPECT_EQ(got.status, 200) << got;
    return json_of(got);
  }
  std::int64_t used(std::int64_t id) {
    json::value q = quota(id);
    if (!q.is_object()) return -2;
    return q.at("used").at("storage").as_int64();
  }

  // Pushes every blob of `image` and its manifest; returns the manifest PUT's answer.
  Response push(const std::string& repo, const std::string& tag, const Image& image) {
    Response config = push_blob(client(), repo, image.config);
    if (config.status != 201) return config;
    for (const auto& layer : image.layers) {
      Response pushed = push_blob(client(), repo, layer);
      if (pushed.status != 201) return pushed;
    }
    return push_manifest(client(), repo, tag, image.manifest, image.media_type);
  }

  // Audit records of an operation (newest first).
  json::array audit(const std::string& operation) {
    Response got = client().get(std::string(kApi) + "/audit-logs?page_size=100&q=operation%3D" + operation);
    EXPECT_EQ(got.status, 200) << got;
    json::value body = json_of(got);
    return body.is_array() ? body.as_array() : json::array{};
  }

  // Starts a garbage collection through the API and waits for it to end; returns its id.
  std::int64_t run_gc(bool dry_run = false, bool delete_untagged = false) {
    json::object body{
        {"schedule", json::object{{"type", "Manual"}}},
        {"parameters",
         json::object{{"dry_run", dry_run}, {"delete_untagged", delete_untagged}, {"workers", 2}}}};
    Response started = client().post(std::string(kApi) + "/system/gc/schedule", json::serialize(body),
                                     {{"Content-Type", "application/json"}});
    EXPECT_EQ(started.status, 201) << started;
    const std::string location = started.header("Location");
    const std::int64_t id = std::stoll(location.substr(location.rfind('/') + 1));
    EXPECT_TRUE(eventually(
        [&] {
          return text_of(json_of(client().get(std::string(kApi) + "/system/gc/" + std::to_string(id))),
                         "job_status") == "Success";
        },
        30s, 20ms))
        << client().get(std::string(kApi) + "/system/gc/" + std::to_string(id)) << registry().log_tail();
    return id;
  }

  std::string gc_log(std::int64_t id) {
    return client().get(std::string(kApi) + "/system/gc/" + std::to_string(id) + "/log").body;
  }

  std::unique_ptr<OperatorBerth> berth_;
};

// ---- quotas -------------------------------------------------------------------------------

TEST_F(LifecycleTest, QuotaCountsEachBlobOncePerProjectAndRefusesAPushPastIt) {
  start({});
  const std::string project = unique_name("quota");
  const std::int64_t id = create_project(project, 200 * 1024);
  ASSERT_GT(id, 0);
  json::value q = quota(id);
  EXPECT_EQ(q.at("hard").at("storage").as_int64(), 200 * 1024) << q;
  EXPECT_EQ(text_of(q.at("ref"), "name"), project) << q;
  EXPECT_EQ(used(id), 0);

  const Blob shared = random_blob(40 * 1024);
  const Image first = image_of({shared});
  ASSERT_EQ(push(project + "/one", "v1", first).status, 201);
  EXPECT_EQ(used(id), charged(first));

  // A second repository and a second artifact share the layer: only what is new counts.
  const Image second = image_of({shared, random_blob(1024)});
  ASSERT_EQ(push(project + "/two", "v1", second).status, 201);
  const std::int64_t after_two =
      charged(first) + charged(second) - static_cast<std::int64_t>(shared.data.size());
  EXPECT_EQ(used(id), after_two);

  // A retag and a copy add nothing: the same manifest and blobs are in the project already.
  ASSERT_EQ(push_manifest(client(), project + "/one", "again", first.manifest, first.media_type).status, 201);
  Response copied = client().post(repository_api_path(project, "three") + "/artifacts?from=" + project +
                                  "/one@" + first.digest);
  ASSERT_EQ(copied.status, 201) << copied;
  EXPECT_EQ(used(id), after_two);

  // The summary shows the same numbers.
  json::value summary =
      json_of(client().get(std::string(kApi) + "/projects/" + std::to_string(id) + "/summary"));
  EXPECT_EQ(summary.at("quota").at("used").at("storage").as_int64(), after_two) << summary;
  EXPECT_EQ(summary.at("quota").at("hard").at("storage").as_int64(), 200 * 1024) << summary;

  // Past the limit: Harbor's 403 DENIED with its message, and nothing is stored.
  const Image big = image_of({random_blob(170 * 1024)});
  Response refused = push(project + "/one", "big", big);
  ASSERT_TRUE(IsOciError(refused, 403, {"DENIED"})) << refused;
  EXPECT_NE(refused.body.find("will exceed the configured upper limit of 200.0 KiB"), std::string::npos)
      << refused;
  EXPECT_EQ(client().get(manifest_path(project + "/one", "big")).status, 404);
  EXPECT_EQ(used(id), after_two);
  json::array exceeded;
  ASSERT_TRUE(eventually([&] { return !(exceeded = audit("QUOTA_EXCEED")).empty(); }, 3s, 20ms));
  EXPECT_EQ(text_of(exceeded.front(), "resource_type"), "quota");
  EXPECT_NE(text_of(exceeded.front(), "resource").find(project + "/one"), std::string::npos);

  // Deletes are never refused and free the quota at once, down to what is still used.
  ASSERT_EQ(client().del(manifest_path(project + "/one", first.digest)).status, 202);
  EXPECT_EQ(used(id), after_two) << "the copy in " << project << "/three still uses the same content";
  ASSERT_EQ(client().del(repository_api_path(project, "three")).status, 200);
  EXPECT_EQ(used(id), charged(second));
  ASSERT_EQ(client().del(manifest_path(project + "/two", second.digest)).status, 202);
  EXPECT_EQ(used(id), 0);

  // Raising the quota lets the big image in, and a push past 85 % is audited as a warning.
  Response raised = client().put(std::string(kApi) + "/quotas/" + std::to_string(id),
                                 R"({"hard":{"storage":204800}})", {{"Content-Type", "application/json"}});
  ASSERT_EQ(raised.status, 200) << raised;
  ASSERT_EQ(push(project + "/one", "big", big).status, 201);
  json::array warnings;
  ASSERT_TRUE(eventually([&] { return !(warnings = audit("QUOTA_WARNING")).empty(); }, 3s, 20ms));
  EXPECT_NE(
      text_of(warnings.front(), "operation_description").find("quota usage reach 85%: resource storage used"),
      std::string::npos)
      << warnings.front();

  EXPECT_TRUE(
      IsHarborError(client().put(std::string(kApi) + "/quotas/" + std::to_string(id),
                                 R"({"hard":{"storage":-5}})", {{"Content-Type", "application/json"}}),
                    400, "BAD_REQUEST"));
  EXPECT_TRUE(IsHarborError(client().get(std::string(kApi) + "/quotas/999999"), 404, "NOT_FOUND"));
  ASSERT_EQ(registry().stop(), 0) << registry().log_tail();
  EXPECT_TRUE(fsck_clean(registry().data_dir()));
}

TEST_F(LifecycleTest, QuotasAreForSystemAdministratorsAndNewProjectsGetTheDefault) {
  start({{"BERTH_QUOTA_DEFAULT_PROJECT_STORAGE", "10MiB"}});
  const std::string project = unique_name("default");
  Response created =
      client().post(std::string(kApi) + "/projects", json::serialize(json::object{{"project_name", project}}),
                    {{"Content-Type", "application/json"}});
  ASSERT_EQ(created.status, 201) << created;
  Response listed =
      client().get(std::string(kApi) + "/quotas?reference=project&reference_id=" +
                   created.header("Location").substr(created.header("Location").rfind('/') + 1));
  ASSERT_EQ(listed.status, 200) << listed;
  json::value items = json_of(listed);
  ASSERT_EQ(items.as_array().size(), 1u) << listed;
  EXPECT_EQ(items.as_array()[0].at("hard").at("storage").as_int64(), 10 << 20);
  EXPECT_EQ(listed.header("X-Total-Count"), "1");

  Response user = client().post(std::string(kApi) + "/users",
                                json::serialize(json::object{{"username", unique_name("u")},
                                                             {"email", unique_name("u") + "@example.com"},
                                                             {"realname", "U"},
                                                             {"password", kUserPassword}}),
                                {{"Content-Type", "application/json"}});
  ASSERT_EQ(user.status, 201) << user;
  json::value made =
      json_of(client().get(user.header("Location").substr(user.header("Location").find("/api"))));
  HttpClient plain(registry().url());
  plain.set_basic_auth(text_of(made, "username"), kUserPassword);
  EXPECT_TRUE(IsHarborError(plain.get(std::string(kApi) + "/quotas"), 403, "FORBIDDEN"));
}

// ---- plans --------------------------------------------------------------------------------

TEST_F(LifecycleTest, PlanStorageCapRefusesPushesNamingThePlanWhileDeletesGoOn) {
  start({{"BERTH_PLAN", "S"}, {"BERTH_PLANS_S_STORAGE", "100KiB"}});
  const std::string repo = unique_repo();
  const Image first = image_of({random_blob(60 * 1024)});
  ASSERT_EQ(push(repo, "one", first).status, 201);
  const Image second = image_of({random_blob(60 * 1024)});
  Response refused = push(repo, "two", second);
  ASSERT_TRUE(IsOciError(refused, 403, {"DENIED"})) << refused;
  EXPECT_NE(refused.body.find("plan S"), std::string::npos) << refused;
  // Pulls and deletes go on at the cap, and a delete makes room at once.
  EXPECT_EQ(client().get(manifest_path(repo, "one"), {{"Accept", first.media_type}}).status, 200);
  ASSERT_EQ(client().del(manifest_path(repo, first.digest)).status, 202);
  EXPECT_EQ(push(repo, "two", second).status, 201);
  json::value info = json_of(client().get(std::string(kApi) + "/systeminfo"));
  EXPECT_EQ(text_of(info.at("plan"), "name"), "S") << info;
  EXPECT_EQ(info.at("plan").at("storage_limit").as_int64(), 100 * 1024) << info;
  EXPECT_EQ(info.at("plan").at("storage_used").as_int64(), charged(second)) << info;
  EXPECT_FALSE(info.at("plan").at("scanning").as_bool());
}

TEST_F(LifecycleTest, PlanCapsRequestsInFlightWith429AndRetryAfter) {
  start({{"BERTH_PLAN", "S"},
         {"BERTH_PLANS_S_PARALLEL_REQUESTS", "2"},
         {"BERTH_LIMITS_REQUEST_QUEUE_WAIT", "300ms"}});
  const std::string repo = unique_repo();
  // Two uploads whose bodies never finish hold both slots.
  std::vector<std::unique_ptr<RawConnection>> holders;
  for (int i = 0; i < 2; ++i) {
    Response upload = start_upload(client(), repo);
    ASSERT_EQ(upload.status, 202) << upload;
    auto connection = std::make_unique<RawConnection>(registry().port());
    ASSERT_TRUE(connection->ok());
    ASSERT_TRUE(connection->send(
        "PATCH " + upload.header("Location") + " HTTP/1.1\r\nHost: x\r\n" + admin_authorization_line() +
        "Content-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\nabc"));
    holders.push_back(std::move(connection));
  }
  HttpClient third(registry().url());
  third.set_basic_auth("admin", kAdminPassword);
  ASSERT_TRUE(eventually([&] { return third.get("/v2/").status == 429; }, 5s, 20ms));
  const auto started = std::chrono::steady_clock::now();
  Response busy = third.get(std::string(kApi) + "/systeminfo");
  const auto waited = std::chrono::steady_clock::now() - started;
  ASSERT_EQ(busy.status, 429) << busy;
  EXPECT_EQ(busy.header("Retry-After"), "1");
  EXPECT_NE(busy.body.find("TOO_MANY_REQUESTS"), std::string::npos) << busy;
  EXPECT_GE(waited, 250ms) << "a request over the cap waits for a slot first";
  EXPECT_TRUE(IsOciError(third.get("/v2/"), 429, {"TOOMANYREQUESTS"}));
  // A slot freed: the next request gets it.
  holders.pop_back();
  EXPECT_TRUE(eventually([&] { return third.get("/v2/").status == 200; }, 5s, 20ms));
  // Under the cap nothing waits: with a slot free, requests come back long before the wait.
  operator_call("PUT", "/operator/v1/plan", R"({"name":"M"})");
  for (int i = 0; i < 20; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_EQ(third.get("/v2/").status, 200);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 250ms);
  }
}

TEST_F(LifecycleTest, ScanningIsNotInPlanSAndComesWithAnUpgrade) {
  start({{"BERTH_PLAN", "S"}});
  const std::string repo = unique_repo();
  const Image image = image_of({random_blob(512)});
  ASSERT_EQ(push(repo, "v1", image).status, 201);
  const std::string name = repo.substr(repo.find('/') + 1);
  const std::string scan = repository_api_path(kTestProject, name) + "/artifacts/" + image.digest + "/scan";
  Response refused = client().post(scan);
  ASSERT_TRUE(IsHarborError(refused, 403, "FORBIDDEN")) << refused;
  EXPECT_NE(refused.body.find("not in your plan"), std::string::npos) << refused;

  Response upgraded = operator_call("PUT", "/operator/v1/plan", R"({"name":"M"})");
  ASSERT_EQ(upgraded.status, 200) << upgraded;
  EXPECT_EQ(text_of(json_of(upgraded), "name"), "M");
  Response accepted = client().post(scan);
  EXPECT_EQ(accepted.status, 202) << accepted;
}

TEST_F(LifecycleTest, PlanUpgradesLiveAndRefusesADowngrade) {
  start({{"BERTH_PLAN", "S"}, {"BERTH_PLANS_S_STORAGE", "1MiB"}, {"BERTH_PLANS_M_STORAGE", "2MiB"}});
  EXPECT_EQ(HttpClient(berth_->operator_url()).get("/operator/v1/registry").status, 401)
      << "the operator API needs its token";
  Response facts = operator_call("GET", "/operator/v1/registry");
  ASSERT_EQ(facts.status, 200) << facts;
  json::value registry_facts = json_of(facts);
  EXPECT_EQ(text_of(registry_facts, "status"), "healthy");
  EXPECT_EQ(text_of(registry_facts.at("plan"), "name"), "S");
  EXPECT_GE(int_of(registry_facts, "projects").value_or(0), 1);

  const std::string repo = unique_repo();
  ASSERT_EQ(push(repo, "v1", image_of({random_blob(4096)})).status, 201);
  facts = operator_call("GET", "/operator/v1/registry");
  registry_facts = json_of(facts);
  EXPECT_EQ(int_of(registry_facts, "repositories").value_or(0), 1) << facts;
  EXPECT_EQ(int_of(registry_facts, "artifacts").value_or(0), 1) << facts;

  // The same connection keeps working across the change, which shows within a second.
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(operator_call("PUT", "/operator/v1/plan", R"({"name":"M"})").status, 200);
  ASSERT_TRUE(eventually(
      [&] {
        return text_of(json_of(client().get(std::string(kApi) + "/systeminfo")).at("plan"), "name") == "M";
      },
      1s, 20ms));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  EXPECT_EQ(
      json_of(client().get(std::string(kApi) + "/systeminfo")).at("plan").at("storage_limit").as_int64(),
      2 << 20);

  Response down = operator_call("PUT", "/operator/v1/plan", R"({"name":"S"})");
  EXPECT_EQ(down.status, 409) << down;
  EXPECT_NE(down.body.find("cannot go down from M to S"), std::string::npos) << down;
  EXPECT_EQ(operator_call("PUT", "/operator/v1/plan", R"({"name":"XL"})").status, 400);

  // `berth admin plan set` beside the running server: applied within a second; no way down.
  std::string output;
  ASSERT_EQ(
      run_berth_command({"admin", "plan", "set", "L", "--data", registry().data_dir().string()}, &output), 0)
      << output;
  EXPECT_TRUE(eventually(
      [&] {
        return text_of(json_of(client().get(std::string(kApi) + "/systeminfo")).at("plan"), "name") == "L";
      },
      1500ms, 20ms));
  EXPECT_EQ(
      run_berth_command({"admin", "plan", "set", "M", "--data", registry().data_dir().string()}, &output), 1)
      << output;
  EXPECT_NE(output.find("cannot go down"), std::string::npos) << output;
  EXPECT_EQ(text_of(json_of(operator_call("GET", "/operator/v1/plan")), "name"), "L");

  // A restart configured with a lower plan stays on the upgraded one.
  ASSERT_TRUE(registry().restart()) << registry().log_tail();
  HttpClient restarted(registry().url());
  restarted.set_basic_auth("admin", kAdminPassword);
  EXPECT_EQ(text_of(json_of(restarted.get(std::string(kApi) + "/systeminfo")).at("plan"), "name"), "L");
}

// ---- tag immutability -------------------------------------------------------------------

TEST_F(LifecycleTest, ImmutableTagsCannotBeRepushedMovedOrDeleted) {
  start({});
  const std::string project = unique_name("immutable");
  const std::int64_t id = create_project(project, -1);
  ASSERT_GT(id, 0);
  const std::string rules = std::string(kApi) + "/projects/" + project + "/immutabletagrules";
  const HeaderList as_name{{"X-Is-Resource-Name", "true"}, {"Content-Type", "application/json"}};
  auto rule = [](const std::string& tag_decoration, const std::string& tags, const std::string& repos) {
    return json::serialize(json::object{
        {"action", "immutable"},
        {"template", "immutable_template"},
        {"tag_selectors", json::array{json::object{
                              {"kind", "doublestar"}, {"decoration", tag_decoration}, {"pattern", tags}}}},
        {"scope_selectors",
         json::object{{"repository",
                       json::array{json::object{
                           {"kind", "doublestar"}, {"decoration", "repoMatches"}, {"pattern", repos}}}}}}});
  };
  Response created = client().post(rules, rule("matches", "v*", "app/**"), as_name);
  ASSERT_EQ(created.status, 201) << created;
  const std::string location = created.header("Location");
  ASSERT_NE(location.find("/immutabletagrules/"), std::string::npos) << created;
  EXPECT_TRUE(IsHarborError(client().post(rules, rule("matches", "v*", "app/**"), as_name), 409, "CONFLICT"));

  const std::string repo = project + "/app/web";
  const Image first = image_of({random_blob(512)});
  const Image second = image_of({random_blob(512)});
  ASSERT_EQ(push(repo, "v1", first).status, 201) << "a new tag may be pushed";
  ASSERT_EQ(push(repo, "latest", first).status, 201);
  ASSERT_EQ(push_manifest(client(), repo, "v1", first.manifest, first.media_type).status, 201)
      << "the same digest again changes nothing";

  Response repushed = push(repo, "v1", second);
  ASSERT_TRUE(IsOciError(repushed, 412, {"PRECONDITION"})) << repushed;
  EXPECT_NE(repushed.body.find("Failed to process request due to 'app/web:v1' configured as immutable."),
            std::string::npos)
      << repushed;
  json::value still = json_of(client().get(repository_api_path(project, "app/web") + "/artifacts/v1"));
  EXPECT_EQ(text_of(still, "digest"), first.digest);
  EXPECT_EQ(push(repo, "latest", second).status, 201) << "latest is not selected by the rule";

  // Deletes of the tag, its artifact and its repository are refused, through /v2 and the API.
  EXPECT_TRUE(IsOciError(client().del(manifest_path(repo, first.digest)), 412, {"PRECONDITION"}));
  Response tag_delete =
      client().del(repository_api_path(project, "app/web") + "/artifacts/" + first.digest + "/tags/v1");
  ASSERT_TRUE(IsHarborError(tag_delete, 412, "PRECONDITION")) << tag_delete;
  EXPECT_NE(tag_delete.body.find("the tag v1 configured as immutable, cannot be deleted"), std::string::npos);
  EXPECT_TRUE(
      IsHarborError(client().del(repository_api_path(project, "app/web") + "/artifacts/" + first.digest), 412,
                    "PRECONDITION"));
  EXPECT_TRUE(IsHarborError(client().del(repository_api_path(project, "app/web")), 412, "PRECONDITION"));

  // The tag says so when asked.
  json::value tags = json_of(client().get(repository_api_path(project, "app/web") + "/artifacts/" +
                                          first.digest + "/tags?with_immutable_status=true"));
  ASSERT_TRUE(tags.is_array()) << tags;
  bool saw_v1 = false;
  for (const auto& tag : tags.as_array())
    if (text_of(tag, "name") == "v1") {
      saw_v1 = true;
      EXPECT_TRUE(tag.at("immutable").as_bool()) << tag;
    }
  EXPECT_TRUE(saw_v1) << tags;

  // Another repository of the project is outside the rule.
  EXPECT_EQ(push(project + "/other", "v1", first).status, 201);
  EXPECT_EQ(push(project + "/other", "v1", second).status, 201);
  // A copy that would move the immutable tag (Harbor's copy keeps the source's tag) is refused.
  Response moved =
      client().post(repository_api_path(project, "app/web") + "/artifacts?from=" + project + "/other:v1");
  EXPECT_TRUE(IsHarborError(moved, 412, "PRECONDITION")) << moved;

  // Disabled, the rule lets everything through; deleted, too.
  json::value listed = json_of(client().get(rules, as_name));
  ASSERT_EQ(listed.as_array().size(), 1u) << listed;
  json::object disabled = listed.as_array()[0].as_object();
  EXPECT_EQ(text_of(disabled, "template"), "immutable_template");
  disabled["disabled"] = true;
  const std::string rule_path = location.substr(location.find("/api/v2.0"));
  ASSERT_EQ(client().put(rule_path, json::serialize(disabled), as_name).status, 200);
  EXPECT_EQ(push(repo, "v1", second).status, 201);
  ASSERT_EQ(client().del(rule_path, as_name).status, 200);
  EXPECT_TRUE(json_of(client().get(rules, as_name)).as_array().empty());

  // At most 15 rules, and only admins and maintainers manage them.
  for (int i = 0; i < 15; ++i)
    ASSERT_EQ(client().post(rules, rule("matches", "r" + std::to_string(i), "**"), as_name).status, 201) << i;
  Response sixteenth = client().post(rules, rule("matches", "r99", "**"), as_name);
  ASSERT_TRUE(IsHarborError(sixteenth, 400, "BAD_REQUEST")) << sixteenth;
  EXPECT_NE(sixteenth.body.find("only 15 rules are allowed at most"), std::string::npos);
  EXPECT_TRUE(IsHarborError(client().post(rules, rule("sideways", "x", "**"), as_name), 400, "BAD_REQUEST"));
}

// ---- tag retention ---------------------------------------------------------------------

TEST_F(LifecycleTest, TagRetentionDryRunListsRealRunDeletesAndKeepsImmutableTags) {
  start({});
  const std::string project = unique_name("retain");
  const std::int64_t project_id = create_project(project, -1);
  ASSERT_GT(project_id, 0);
  const HeaderList json_body{{"Content-Type", "application/json"}};
  const std::string retentions = std::string(kApi) + "/retentions";

  // app: v1 (immutable) .. v4, latest, and one untagged artifact, pushed in that order.
  const std::string repo = project + "/app";
  std::map<std::string, Image> images;
  for (const char* tag : {"v1", "v2", "v3", "v4", "latest"}) {
    images[tag] = image_of({random_blob(256)});
    ASSERT_EQ(push(repo, tag, images[tag]).status, 201) << tag;
  }
  const Image untagged = image_of({random_blob(256)});
  ASSERT_EQ(push(repo, untagged.digest, untagged).status, 201);
  const Image elsewhere = image_of({random_blob(256)});
  ASSERT_EQ(push(project + "/other", "v0", elsewhere).status, 201);
  Response immutable = client().post(
      std::string(kApi) + "/projects/" + project + "/immutabletagrules",
      R"({"action":"immutable","template":"immutable_template","tag_selectors":[{"kind":"doublestar","decoration":"matches","pattern":"v1"}],"scope_selectors":{"repository":[{"kind":"doublestar","decoration":"repoMatches","pattern":"**"}]}})",
      {{"X-Is-Resource-Name", "true"}, {"Content-Type", "application/json"}});
  ASSERT_EQ(immutable.status, 201) << immutable;
  const std::int64_t used_before = used(project_id);

  Response metadata = client().get(retentions + "/metadatas");
  ASSERT_EQ(metadata.status, 200) << metadata;
  EXPECT_EQ(text_of(json_of(metadata).at("templates").at(0), "rule_template"), "latestPushedK");

  auto rule = [](const std::string& template_name, std::optional<int> n, const std::string& tags,
                 bool take_untagged, const std::string& repositories) {
    json::object params;
    if (n) params[template_name] = *n;
    return json::object{
        {"disabled", false},
        {"action", "retain"},
        {"template", template_name},
        {"params", params},
        {"tag_selectors", json::array{json::object{
                              {"kind", "doublestar"},
                              {"decoration", "matches"},
                              {"pattern", tags},
                              {"extras", take_untagged ? R"({"untagged":true})" : R"({"untagged":false})"}}}},
        {"scope_selectors",
         json::object{{"repository", json::array{json::object{{"kind", "doublestar"},
                                                              {"decoration", "repoMatches"},
                                                              {"pattern", repositories}}}}}}};
  };
  auto policy_body = [&](json::array rules, const std::string& cron) {
    return json::serialize(json::object{
        {"algorithm", "or"},
        {"rules", std::move(rules)},
        {"trigger", json::object{{"kind", "Schedule"}, {"settings", json::object{{"cron", cron}}}}},
        {"scope", json::object{{"level", "project"}, {"ref", project_id}}}});
  };
  // Keep the two newest v* (untagged not taken) and anything tagged latest, in app only.
  const json::array rules{rule("latestPushedK", 2, "v*", false, "app"),
                          rule("always", std::nullopt, "latest", false, "app")};

  // Harbor's refusals: more than 15 rules, two rules alike, an unknown project.
  json::array sixteen;
  for (int i = 0; i < 16; ++i) sixteen.push_back(rule("latestPushedK", i, "v*", false, "**"));
  Response too_many = client().post(retentions, policy_body(sixteen, ""), json_body);
  ASSERT_TRUE(IsHarborError(too_many, 400, "BAD_REQUEST")) << too_many;
  EXPECT_NE(too_many.body.find("only 15 rules are allowed at most"), std::string::npos) << too_many;
  Response twice = client().post(retentions, policy_body({rules[0], rules[1], rules[0]}, ""), json_body);
  ASSERT_TRUE(IsHarborError(twice, 409, "CONFLICT")) << twice;
  EXPECT_NE(twice.body.find("rule 2 is conflict with rule 0"), std::string::npos) << twice;
  EXPECT_TRUE(IsHarborError(
      client().post(retentions, policy_body({rule("oldestK", 1, "**", true, "**")}, ""), json_body), 400,
      "BAD_REQUEST"));

  Response created = client().post(retentions, policy_body(rules, ""), json_body);
  ASSERT_EQ(created.status, 201) << created;
  const std::string location = created.header("Location");
  ASSERT_NE(location.find("/api/v2.0/retentions/"), std::string::npos) << created;
  const std::string policy_path = location.substr(location.find("/api/v2.0"));
  const std::string policy_id = policy_path.substr(policy_path.rfind('/') + 1);
  json::value project_json =
      json_of(client().get(std::string(kApi) + "/projects/" + project, {{"X-Is-Resource-Name", "true"}}));
  EXPECT_EQ(text_of(project_json.at("metadata"), "retention_id"), policy_id) << project_json;
  Response second = client().post(retentions, policy_body(rules, ""), json_body);
  ASSERT_TRUE(IsHarborError(second, 400, "BAD_REQUEST")) << second;
  EXPECT_NE(second.body.find("already has retention policy " + policy_id), std::string::npos) << second;
  json::value stored = json_of(client().get(policy_path));
  EXPECT_EQ(stored.at("rules").as_array().size(), 2u) << stored;
  EXPECT_EQ(stored.at("scope").at("ref").as_int64(), project_id);

  // Runs an execution and waits for it to end; returns the execution's JSON.
  auto run = [&](bool dry_run) -> json::value {
    Response started = client().post(policy_path + "/executions",
                                     json::serialize(json::object{{"dry_run", dry_run}}), json_body);
    EXPECT_EQ(started.status, 201) << started;
    const std::string execution = started.header("Location");
    const std::string execution_id = execution.substr(execution.rfind('/') + 1);
    json::value found;
    EXPECT_TRUE(eventually(
        [&] {
          json::value listed = json_of(client().get(policy_path + "/executions"));
          for (const auto& item : listed.as_array())
            if (std::to_string(item.at("id").as_int64()) == execution_id) found = item;
          const std::string status = found.is_object() ? text_of(found, "status") : "";
          return status == "Success" || status == "Error" || status == "Stopped";
        },
        20s, 50ms));
    return found;
  };
  auto artifact_exists = [&](const std::string& digest) {
    return client().get(repository_api_path(project, "app") + "/artifacts/" + digest).status == 200;
  };

  // The dry run says what would go and deletes nothing.
  json::value dry = run(true);
  ASSERT_TRUE(dry.is_object());
  EXPECT_EQ(text_of(dry, "status"), "Success") << dry;
  EXPECT_TRUE(dry.at("dry_run").as_bool());
  EXPECT_EQ(text_of(dry, "trigger"), "MANUAL");
  const std::string tasks_path =
      policy_path + "/executions/" + std::to_string(dry.at("id").as_int64()) + "/tasks";
  json::value tasks = json_of(client().get(tasks_path));
  ASSERT_EQ(tasks.as_array().size(), 1u) << "one task per covered repository: " << tasks;
  const json::value& task = tasks.as_array()[0];
  EXPECT_EQ(text_of(task, "repository"), repo);
  EXPECT_EQ(task.at("total").as_int64(), 6);
  EXPECT_EQ(task.at("retained").as_int64(), 4) << "v1 (immutable), v3, v4, latest";
  Response log = client().get(tasks_path + "/" + std::to_string(task.at("id").as_int64()));
  ASSERT_EQ(log.status, 200) << log;
  EXPECT_NE(log.header("Content-Type").find("text/plain"), std::string::npos);
  EXPECT_NE(log.body.find("Dry Run: true"), std::string::npos) << log.body;
  auto line_of = [&](const std::string& digest) {
    const auto at = log.body.find(digest);
    return at == std::string::npos ? std::string() : log.body.substr(at, log.body.find('\n', at) - at);
  };
  EXPECT_NE(line_of(images["v1"].digest).find("IMMUTABLE"), std::string::npos) << log.body;
  EXPECT_NE(line_of(images["v2"].digest).find("DEL"), std::string::npos) << log.body;
  EXPECT_NE(line_of(untagged.digest).find("DEL"), std::string::npos) << log.body;
  EXPECT_NE(line_of(images["v4"].digest).find("RETAIN"), std::string::npos) << log.body;
  EXPECT_NE(line_of(images["latest"].digest).find("RETAIN"), std::string::npos) << log.body;
  EXPECT_TRUE(artifact_exists(images["v2"].digest));
  EXPECT_TRUE(artifact_exists(untagged.digest));
  EXPECT_EQ(used(project_id), used_before);

  // The real run deletes exactly those, frees their quota, and leaves the other repository.
  json::value real = run(false);
  EXPECT_EQ(text_of(real, "status"), "Success") << real;
  EXPECT_FALSE(artifact_exists(images["v2"].digest));
  EXPECT_FALSE(artifact_exists(untagged.digest));
  for (const char* tag : {"v1", "v3", "v4", "latest"})
    EXPECT_TRUE(artifact_exists(images[tag].digest)) << tag;
  EXPECT_EQ(client().get(repository_api_path(project, "other") + "/artifacts/v0").status, 200);
  EXPECT_EQ(used(project_id), used_before - charged(images["v2"]) - charged(untagged));

  // Only "stop" is an action; stopping a finished run changes nothing.
  const std::string real_path = policy_path + "/executions/" + std::to_string(real.at("id").as_int64());
  EXPECT_TRUE(
      IsHarborError(client().patch(real_path, R"({"action":"halt"})", json_body), 400, "BAD_REQUEST"));
  EXPECT_EQ(client().patch(real_path, R"({"action":"stop"})", json_body).status, 200);

  // A cron schedules runs (every second here), marked Schedule; an empty cron ends them.
  ASSERT_EQ(client().put(policy_path, policy_body(rules, "* * * * * *"), json_body).status, 200);
  EXPECT_EQ(text_of(json_of(client().get(policy_path)).at("trigger").at("settings"), "cron"), "* * * * * *");
  EXPECT_TRUE(eventually(
      [&] {
        json::value listed = json_of(client().get(policy_path + "/executions"));
        for (const auto& item : listed.as_array())
          if (text_of(item, "trigger") == "Schedule" && text_of(item, "status") == "Success") return true;
        return false;
      },
      15s, 100ms));
  ASSERT_EQ(client().put(policy_path, policy_body(rules, ""), json_body).status, 200);

  // Deleted, the policy is gone with its executions and the project's retention_id.
  ASSERT_EQ(client().del(policy_path).status, 200);
  EXPECT_TRUE(IsHarborError(client().get(policy_path), 400, "BAD_REQUEST"));
  project_json =
      json_of(client().get(std::string(kApi) + "/projects/" + project, {{"X-Is-Resource-Name", "true"}}));
  EXPECT_FALSE(project_json.at("metadata").as_object().contains("retention_id")) << project_json;
  EXPECT_EQ(client().post(retentions, policy_body(rules, ""), json_body).status, 201)
      << "a new one may be made";

  // A policy goes with its project, and so does its schedule: no runs pile up after.
  const std::string empty = unique_name("retain-empty");
  const std::int64_t empty_id = create_project(empty, -1);
  json::object scheduled = json::parse(policy_body(rules, "* * * * * *")).as_object();
  scheduled["scope"].as_object()["ref"] = empty_id;
  ASSERT_EQ(client().post(retentions, json::serialize(scheduled), json_body).status, 201);
  ASSERT_EQ(client().del(std::string(kApi) + "/projects/" + empty, {{"X-Is-Resource-Name", "true"}}).status,
            200);
  auto retention_jobs = [&] {
    Response jobs = client().get(std::string(kApi) + "/jobservice/jobs?page_size=1&q=kind%3DRETENTION");
    EXPECT_EQ(jobs.status, 200) << jobs;
    return std::stoll(jobs.header("X-Total-Count").empty() ? "0" : jobs.header("X-Total-Count"));
  };
  std::this_thread::sleep_for(2500ms);
  const auto settled = retention_jobs();
  std::this_thread::sleep_for(2500ms);
  EXPECT_EQ(retention_jobs(), settled) << "the deleted project's schedule still fires";
}

// ---- garbage collection ---------------------------------------------------------------

TEST_F(LifecycleTest, GarbageCollectionReclaimsUnreferencedBlobsOnlineAndKeepsTheRest) {
  start({{"BERTH_GC_GRACE", "0s"}});
  const std::string repo = unique_repo();
  const Blob kept_layer = random_blob(8192);
  const Image kept = image_of({kept_layer});
  const Image doomed = image_of({kept_layer, random_blob(16384)});
  ASSERT_EQ(push(repo, "kept", kept).status, 201);
  ASSERT_EQ(push(repo, "doomed", doomed).status, 201);
  const Image untagged = image_of({random_blob(2048)});
  ASSERT_EQ(push(repo, untagged.digest, untagged).status, 201);
  ASSERT_EQ(client().del(manifest_path(repo, doomed.digest)).status, 202);

  // A dry run only reports.
  const std::int64_t dry = run_gc(true);
  EXPECT_NE(gc_log(dry).find("would be deleted"), std::string::npos) << gc_log(dry);
  EXPECT_TRUE(fs::exists(blob_file(registry().data_dir(), doomed.layers[1].digest)));

  const std::int64_t id = run_gc(false, true);
  const std::string log = gc_log(id);
  EXPECT_NE(log.find("deleted untagged artifact " + repo + "@" + untagged.digest), std::string::npos) << log;
  EXPECT_NE(log.find("garbage collection finished"), std::string::npos) << log;
  for (const auto& digest : {doomed.digest, doomed.config.digest, doomed.layers[1].digest, untagged.digest,
                             untagged.layers[0].digest}) {
    EXPECT_FALSE(fs::exists(blob_file(registry().data_dir(), digest))) << digest << " was not reclaimed";
    EXPECT_EQ(client().head(blob_path(repo, digest)).status, 404) << digest;
  }
  for (const auto& digest : {kept.digest, kept.config.digest, kept_layer.digest})
    EXPECT_TRUE(fs::exists(blob_file(registry().data_dir(), digest))) << digest << " is used and must stay";
  Response pulled = client().get(blob_path(repo, kept_layer.digest));
  EXPECT_EQ(pulled.status, 200);
  EXPECT_EQ(pulled.body, kept_layer.data);

  // History, one run, schedules.
  Response history = client().get(std::string(kApi) + "/system/gc?page_size=10");
  ASSERT_EQ(history.status, 200) << history;
  EXPECT_EQ(history.header("X-Total-Count"), "2");
  json::value run = json_of(client().get(std::string(kApi) + "/system/gc/" + std::to_string(id)));
  EXPECT_EQ(text_of(run, "job_name"), "GARBAGE_COLLECTION");
  EXPECT_EQ(text_of(run, "job_kind"), "MANUAL");
  EXPECT_NE(text_of(run, "job_parameters").find("\"delete_untagged\":true"), std::string::npos) << run;
  Response scheduled = client().put(std::string(kApi) + "/system/gc/schedule",
                                    R"({"schedule":{"type":"Daily"},"parameters":{"delete_untagged":false}})",
                                    {{"Content-Type", "application/json"}});
  ASSERT_EQ(scheduled.status, 200) << scheduled;
  json::value schedule = json_of(client().get(std::string(kApi) + "/system/gc/schedule"));
  EXPECT_EQ(text_of(schedule.at("schedule"), "type"), "Daily") << schedule;
  EXPECT_EQ(text_of(schedule.at("schedule"), "cron"), "0 0 0 * * *") << schedule;
  EXPECT_TRUE(IsHarborError(client().post(std::string(kApi) + "/system/gc/schedule",
                                          R"({"schedule":{"type":"Manual"},"parameters":{"workers":9}})",
                                          {{"Content-Type", "application/json"}}),
                            400, "BAD_REQUEST"));
  EXPECT_TRUE(IsHarborError(client().get(std::string(kApi) + "/system/gc/987654"), 404, "NOT_FOUND"));

  ASSERT_EQ(registry().stop(), 0) << registry().log_tail();
  EXPECT_TRUE(fsck_clean(registry().data_dir()));
}

// Pushes reuse blobs that garbage collection is deciding about: nothing a client was told is
// stored may be lost.
TEST_F(LifecycleTest, GarbageCollectionRacingPushesThatReuseBlobsLosesNothingAcknowledged) {
  start({{"BERTH_GC_GRACE", "1s"}, {"BERTH_JOBS_WORKERS", "2"}});
  const std::string repo = unique_repo();
  // Blobs that become unreferenced and old: what GC wants to delete and the pushes want to use.
  std::vector<Blob> shared;
  for (int i = 0; i < 16; ++i) shared.push_back(random_blob(1024 + i));
  for (int i = 0; i < 4; ++i) {
    const Image image = image_of({shared[4 * i], shared[4 * i + 1], shared[4 * i + 2], shared[4 * i + 3]});
    ASSERT_EQ(push(repo, "seed" + std::to_string(i), image).status, 201);
    ASSERT_EQ(client().del(manifest_path(repo, image.digest)).status, 202);
  }
  std::this_thread::sleep_for(1200ms);

  std::atomic<bool> stop{false};
  std::thread collector([&] {
    HttpClient gc_client(registry().url());
    gc_client.set_basic_auth("admin", kAdminPassword);
    while (!stop.load()) {
      gc_client.post(std::string(kApi) + "/system/gc/schedule",
                     R"({"schedule":{"type":"Manual"},"parameters":{"workers":3}})",
                     {{"Content-Type", "application/json"}});
      std::this_thread::sleep_for(30ms);
    }
  });
  struct Acknowledged {
    std::string repo;
    Image image;
  };
  std::mutex mutex;
  std::vector<Acknowledged> acknowledged;
  std::atomic<int> refused{0};
  std::vector<std::thread> pushers;
  for (int t = 0; t < 8; ++t) {
    pushers.emplace_back([&, t] {
      HttpClient pusher(registry().url());
      pusher.set_basic_auth("admin", kAdminPassword);
      for (int i = 0; i < 25; ++i) {
        const Image image = image_of({shared[(t + i) % 16], shared[(t * 3 + i) % 16], random_blob(256)});
        const std::string target = repo + "/p" + std::to_string(t);
        bool ok = true;
        for (const Blob* blob : {&image.config, &image.layers[0], &image.layers[1], &image.layers[2]}) {
          // As clients do: skip a blob the repository says it has.
          if (pusher.head(blob_path(target, blob->digest)).status == 200) continue;
          if (push_blob(pusher, target, *blob).status != 201) ok = false;
        }
        Response manifest =
            push_manifest(pusher, target, "t" + std::to_string(i), image.manifest, image.media_type);
        if (ok && manifest.status == 201) {
          std::lock_guard lock(mutex);
          acknowledged.push_back({target, image});
        } else {
          ++refused;  // a missing blob is refused, never half-accepted
          EXPECT_TRUE(manifest.status == 201 || IsOciError(manifest, 400, {"MANIFEST_BLOB_UNKNOWN"}))
              << manifest;
        }
      }
    });
  }
  for (auto& pusher : pushers) pusher.join();
  stop = true;
  collector.join();
  EXPECT_GE(acknowledged.size(), 150u) << refused.load() << " pushes were refused";
  for (const auto& [target, image] : acknowledged) {
    Response manifest = client().get(manifest_path(target, image.digest), {{"Accept", image.media_type}});
    ASSERT_EQ(manifest.status, 200) << target << "@" << image.digest;
    for (const Blob* blob : {&image.config, &image.layers[0], &image.layers[1], &image.layers[2]}) {
      Response pulled = client().get(blob_path(target, blob->digest));
      ASSERT_EQ(pulled.status, 200) << "acknowledged " << target << "@" << image.digest << " lost "
                                    << blob->digest;
      ASSERT_EQ(pulled.body, blob->data);
    }
  }
  ASSERT_TRUE(eventually(
      [&] {
        json::value runs = json_of(client().get(std::string(kApi) + "/system/gc?page_size=1"));
        return runs.is_array() && !runs.as_array().empty() &&
               text_of(runs.as_array()[0], "job_status") != "Running" &&
               text_of(runs.as_array()[0], "job_status") != "Pending";
      },
      30s, 20ms));
  ASSERT_EQ(registry().stop(), 0) << registry().log_tail();
  EXPECT_TRUE(fsck_clean(registry().data_dir()));
}

TEST_F(LifecycleTest, KillDuringGarbageCollectionLeavesNothingTornAndTheNextRunFinishes) {
  start({{"BERTH_GC_GRACE", "0s"}});
  const std::string repo = unique_repo();
  std::vector<Blob> orphans;
  for (int i = 0; i < 1500; ++i) {
    orphans.push_back(random_blob(64));
    ASSERT_EQ(push_blob(client(), repo, orphans.back()).status, 201);
  }
  const Image kept = image_of({random_blob(4096)});
  ASSERT_EQ(push(repo, "kept", kept).status, 201);
  client().post(std::string(kApi) + "/system/gc/schedule", R"({"schedule":{"type":"Manual"}})",
                {{"Content-Type", "application/json"}});
  // Kill as soon as some files are gone, while others remain.
  EXPECT_TRUE(eventually(
      [&] {
        return !fs::exists(blob_file(registry().data_dir(), orphans.front().digest)) ||
               !fs::exists(blob_file(registry().data_dir(), orphans.back().digest));
      },
      20s, 20ms));
  registry().kill9();
  EXPECT_TRUE(fsck_clean(registry().data_dir())) << "fsck after kill -9 in the middle of a GC";
  ASSERT_TRUE(registry().start()) << registry().log_tail();
  run_gc();
  for (const auto& blob : orphans)
    ASSERT_FALSE(fs::exists(blob_file(registry().data_dir(), blob.digest))) << blob.digest;
  Response manifest = client().get(manifest_path(repo, "kept"), {{"Accept", kept.media_type}});
  EXPECT_EQ(manifest.status, 200);
  EXPECT_EQ(client().get(blob_path(repo, kept.layers[0].digest)).body, kept.layers[0].data);
  ASSERT_EQ(registry().stop(), 0) << registry().log_tail();
  EXPECT_TRUE(fsck_clean(registry().data_dir()));
}

TEST_F(LifecycleTest, OfflineGcIsTheSameCollection) {
  start({});
  const std::string repo = unique_repo();
  const Image image = image_of({random_blob(2048)});
  ASSERT_EQ(push(repo, "v1", image).status, 201);
  ASSERT_EQ(client().del(manifest_path(repo, image.digest)).status, 202);
  ASSERT_EQ(registry().stop(), 0);
  std::string output;
  ASSERT_EQ(run_berth_command({"gc", "--data", registry().data_dir().string()}, &output), 0) << output;
  EXPECT_TRUE(fs::exists(blob_file(registry().data_dir(), image.layers[0].digest)))
      << "younger than the grace period (gc.grace, 2 h by default)";
  ASSERT_EQ(run_berth_command({"gc", "--grace", "0s", "--data", registry().data_dir().string()}, &output), 0)
      << output;
  EXPECT_NE(output.find("3 blob(s) deleted"), std::string::npos) << output;
  EXPECT_FALSE(fs::exists(blob_file(registry().data_dir(), image.layers[0].digest)));
  EXPECT_TRUE(fsck_clean(registry().data_dir()));
}

}  // namespace
}  // namespace berth::integration
