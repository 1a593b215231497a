// Backups and restores through the real binary: `berth backup` beside a serving Berth while
// pushes go on, `berth restore` onto an empty data directory (fsck clean, every artifact
// acknowledged before the backup began pulls bit-exact), garbage collection held off while a
// backup copies, a backup killed midway, and the server's scheduled backups with their
// retention count and the operator API (/operator/v1/backups).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>

#include "harbor_api.h"
#include "operator_berth.h"
#include "registry_fixture.h"

namespace berth::integration {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

class BackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (using_external_registry()) GTEST_SKIP() << "Berth's backups; REGISTRY_URL is set";
    base_ = fs::temp_directory_path() / ("berth-backup-" + random_hex(8));
    fs::create_directories(base_);
  }
  void TearDown() override {
    std::error_code ec;
    if (!base_.empty()) fs::remove_all(base_, ec);
  }

  // The source registry, with these BERTH_* settings and the operator API.
  void start(std::map<std::string, std::string> settings = {}) {
    std::string error;
    berth_ = OperatorBerth::spawn(std::move(settings), &error);
    ASSERT_NE(berth_, nullptr) << error;
    source_ = &berth_->registry();
  }
  Response operator_call(const std::string& method, const std::string& path) {
    return berth_->call(method, path);
  }

  // Restores `backup` into a fresh instance's (emptied) data directory and starts it there.
  std::unique_ptr<RegistryInstance> restore_and_start(const fs::path& backup) {
    std::string error;
    auto restored = RegistryInstance::prepare_berth(&error);
    EXPECT_NE(restored, nullptr) << error;
    if (!restored) return nullptr;
    fs::remove_all(restored->data_dir());
    std::string output;
    EXPECT_EQ(
        run_berth_command({"restore", backup.string(), "--data", restored->data_dir().string()}, &output), 0)
        << output;
    EXPECT_TRUE(fsck_clean(restored->data_dir())) << "fsck right after the restore";
    EXPECT_TRUE(restored->start());
    return restored;
  }

  HttpClient& client() { return berth_->client(); }

  fs::path base_;
  std::unique_ptr<OperatorBerth> berth_;
  RegistryInstance* source_ = nullptr;
};

struct Pushed {
  std::string repo;
  std::string tag;
  Image image;
};

// Every blob and the manifest of `pushed`, pulled from `registry`, equal the pushed bytes.
::testing::AssertionResult pulls_bit_exact(HttpClient& registry, const Pushed& pushed) {
  Response manifest =
      registry.get(manifest_path(pushed.repo, pushed.tag), {{"Accept", pushed.image.media_type}});
  if (manifest.status != 200 || manifest.body != pushed.image.manifest)
    return ::testing::AssertionFailure()
           << pushed.repo << ":" << pushed.tag << " manifest: " << manifest.status;
  std::vector<const Blob*> blobs{&pushed.image.config};
  for (const auto& layer : pushed.image.layers) blobs.push_back(&layer);
  for (const Blob* blob : blobs) {
    Response pulled = registry.get(blob_path(pushed.repo, blob->digest));
    if (pulled.status != 200 || pulled.body != blob->data)
      return ::testing::AssertionFailure()
             << pushed.repo << " blob " << blob->digest << ": " << pulled.status;
  }
  return ::testing::AssertionSuccess();
}

TEST_F(BackupTest, BackupDuringFiftyConcurrentPushesRestoresEverythingAcknowledgedBeforeIt) {
  start();
  std::mutex mutex;
  std::vector<std::pair<Pushed, std::chrono::steady_clock::time_point>> acknowledged;
  for (int i = 0; i < 20; ++i) {
    Pushed p{unique_repo("before"), "v" + std::to_string(i), make_image(2, 2048)};
    ASSERT_TRUE(push_image(client(), p.repo, p.tag, p.image));
    acknowledged.emplace_back(std::move(p), std::chrono::steady_clock::now());
  }
  std::atomic<bool> stop{false};
  std::vector<std::thread> pushers;
  for (int t = 0; t < 50; ++t) {
    pushers.emplace_back([&, t] {
      HttpClient pusher(source_->url());
      pusher.set_basic_auth("admin", kAdminPassword);
      const std::string repo = unique_repo("p" + std::to_string(t));
      for (int i = 0; !stop.load(); ++i) {
        Pushed p{repo, "t" + std::to_string(i), make_image(1, 1024)};
        if (!push_image(pusher, p.repo, p.tag, p.image)) continue;
        std::lock_guard lock(mutex);
        acknowledged.emplace_back(std::move(p), std::chrono::steady_clock::now());
      }
    });
  }
  // The backup starts once the pushers are under way (50 pushes acknowledged), however slow the
  // build (sanitizers) makes them.
  const bool under_way = eventually(
      [&] {
        std::lock_guard lock(mutex);
        return acknowledged.size() >= 70;
      },
      120s, 10ms);
  const fs::path backup = base_ / "backup-1";
  const auto began = std::chrono::steady_clock::now();
  std::string output;
  const int status =
      run_berth_command({"backup", backup.string(), "--data", source_->data_dir().string()}, &output);
  std::this_thread::sleep_for(200ms);
  stop = true;
  for (auto& pusher : pushers) pusher.join();
  ASSERT_TRUE(under_way) << "the pushers did not get going";
  ASSERT_EQ(status, 0) << output;
  EXPECT_TRUE(fs::exists(backup / "backup.json"));
  EXPECT_FALSE(fs::exists(base_ / ".backup-1.partial"));

  std::vector<Pushed> before;
  std::size_t after = 0;
  for (const auto& [pushed, when] : acknowledged) {
    if (when < began)
      before.push_back(pushed);
    else
      ++after;
  }
  ASSERT_GT(before.size(), 50u) << "the pushers barely ran before the backup";
  ASSERT_GT(after, 0u) << "no push ran while the backup did";

  auto restored = restore_and_start(backup);
  ASSERT_NE(restored, nullptr);
  HttpClient restored_client(restored->url());
  restored_client.set_basic_auth("admin", kAdminPassword);
  for (const auto& pushed : before) ASSERT_TRUE(pulls_bit_exact(restored_client, pushed));
  // The restored registry is a registry: it takes pushes, and fsck stays clean.
  Pushed fresh{unique_repo("after-restore"), "v1", make_image(1, 512)};
  ASSERT_TRUE(push_image(restored_client, fresh.repo, fresh.tag, fresh.image));
  ASSERT_EQ(restored->stop(), 0) << restored->log_tail();
  EXPECT_TRUE(fsck_clean(restored->data_dir()));
  ASSERT_EQ(source_->stop(), 0) << source_->log_tail();
  EXPECT_TRUE(fsck_clean(source_->data_dir())) << "the backup left the source as it was";
}

TEST_F(BackupTest, GarbageCollectionWaitsWhileABackupCopiesAndCollectsAfterwards) {
  start({{"BERTH_GC_GRACE", "0s"}});
  const std::string repo = unique_repo();
  std::vector<Blob> orphans;
  for (int i = 0; i < 3000; ++i) {
    orphans.push_back(random_blob(128));
    ASSERT_EQ(push_blob(client(), repo, orphans.back()).status, 201);
  }
  Pushed kept{repo, "kept", make_image(1, 4096)};
  ASSERT_TRUE(push_image(client(), kept.repo, kept.tag, kept.image));

  // The backup records every orphan: collecting them under it would leave it without their files.
  const fs::path backup = base_ / "held";
  std::string output;
  int status = -1;
  std::thread backing_up([&] {
    status = run_berth_command({"backup", backup.string(), "--data", source_->data_dir().string()}, &output);
  });
  ASSERT_TRUE(eventually([&] { return fs::exists(base_ / ".held.partial" / "meta.db"); }, 20s, 1ms));
  const std::string schedule = std::string(kApi) + "/system/gc/schedule";
  ASSERT_EQ(client()
                .post(schedule, R"({"schedule":{"type":"Manual"}})", {{"Content-Type", "application/json"}})
                .status,
            201);
  backing_up.join();
  ASSERT_EQ(status, 0) << output;
  ASSERT_TRUE(eventually(
      [&] {
        json::value runs = json_of(client().get(std::string(kApi) + "/system/gc?page_size=1"));
        return runs.is_array() && !runs.as_array().empty() &&
               text_of(runs.as_array()[0], "job_status") == "Success";
      },
      60s, 50ms));
  for (const auto& blob : {orphans.front(), orphans.back()})
    EXPECT_FALSE(fs::exists(blob_file(source_->data_dir(), blob.digest)))
        << "collected once the backup was done";

  auto restored = restore_and_start(backup);
  ASSERT_NE(restored, nullptr);
  HttpClient restored_client(restored->url());
  restored_client.set_basic_auth("admin", kAdminPassword);
  EXPECT_TRUE(pulls_bit_exact(restored_client, kept));
  EXPECT_EQ(restored_client.get(blob_path(repo, orphans.back().digest)).body, orphans.back().data)
      << "the backup kept what the registry held when it began";
}

TEST_F(BackupTest, ABackupKilledMidwayLeavesNoBackupAndTheNextAttemptCompletes) {
  start();
  const std::string repo = unique_repo();
  for (int i = 0; i < 3000; ++i) ASSERT_EQ(push_blob(client(), repo, random_blob(64)).status, 201);
  const fs::path backup = base_ / "killed";
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const std::string binary = berth_binary();
    const std::string data = source_->data_dir().string();
    execl(binary.c_str(), binary.c_str(), "backup", backup.c_str(), "--data", data.c_str(), nullptr);
    _exit(127);
  }
  const bool copying =
      eventually([&] { return fs::exists(base_ / ".killed.partial" / "meta.db"); }, 20s, 1ms);
  ::kill(child, SIGKILL);
  int ignored = 0;
  waitpid(child, &ignored, 0);
  ASSERT_TRUE(copying) << "the backup never started copying";
  EXPECT_FALSE(fs::exists(backup / "backup.json")) << "a killed backup must not look complete";

  // A new attempt under the same name clears the leftovers and completes.
  std::string output;
  ASSERT_EQ(run_berth_command({"backup", backup.string(), "--data", source_->data_dir().string()}, &output),
            0)
      << output;
  EXPECT_FALSE(fs::exists(base_ / ".killed.partial"));
  ASSERT_EQ(run_berth_command({"backup", backup.string(), "--data", source_->data_dir().string()}, &output),
            1)
      << "a backup never overwrites another";
  EXPECT_NE(output.find("already exists"), std::string::npos) << output;
}

TEST_F(BackupTest, RestoreRefusesANonEmptyDataDirectoryAndWhatIsNotABackup) {
  start();
  Pushed p{unique_repo(), "v1", make_image(1, 512)};
  ASSERT_TRUE(push_image(client(), p.repo, p.tag, p.image));
  const fs::path backup = base_ / "b";
  std::string output;
  ASSERT_EQ(run_berth_command({"backup", backup.string(), "--data", source_->data_dir().string()}, &output),
            0)
      << output;
  ASSERT_EQ(source_->stop(), 0) << source_->log_tail();
  const auto before = snapshot_tree(source_->data_dir(), {});
  ASSERT_EQ(run_berth_command({"restore", backup.string(), "--data", source_->data_dir().string()}, &output),
            1);
  EXPECT_NE(output.find("is not an empty directory"), std::string::npos) << output;
  EXPECT_EQ(snapshot_tree(source_->data_dir(), {}), before) << "a refused restore touches nothing";
  ASSERT_EQ(
      run_berth_command({"restore", (base_ / "nothing").string(), "--data", (base_ / "r").string()}, &output),
      1);
  EXPECT_NE(output.find("is not a Berth backup"), std::string::npos) << output;
  EXPECT_FALSE(fs::exists(base_ / "r"));
}

TEST_F(BackupTest, TheServerTakesScheduledBackupsKeepsTheNewestAndAnswersTheOperatorApi) {
  const fs::path dir = base_ / "scheduled";
  start({{"BERTH_BACKUP_DIR", dir.string()},
         {"BERTH_BACKUP_SCHEDULE", "*/2 * * * * *"},
         {"BERTH_BACKUP_KEEP", "2"}});
  Pushed p{unique_repo(), "v1", make_image(1, 512)};
  ASSERT_TRUE(push_image(client(), p.repo, p.tag, p.image));
  auto listed = [&] { return json_of(operator_call("GET", "/operator/v1/backups")); };
  ASSERT_TRUE(eventually(
      [&] {
        json::value v = listed();
        if (!v.is_object()) return false;
        const json::array& runs = v.at("runs").as_array();
        std::size_t done = 0;
        for (const auto& run : runs)
          if (text_of(run, "status") == "Success" && text_of(run, "trigger") == "SCHEDULE") ++done;
        return done >= 3;
      },
      30s, 200ms))
      << json::serialize(listed());
  json::value v = listed();
  EXPECT_EQ(text_of(v, "schedule"), "*/2 * * * * *");
  EXPECT_EQ(v.at("keep").as_int64(), 2);
  const json::array& backups = v.at("backups").as_array();
  EXPECT_LE(backups.size(), 2u) << "the oldest are pruned";
  ASSERT_FALSE(backups.empty());
  for (const auto& b : backups) {
    EXPECT_TRUE(text_of(b, "name").starts_with("berth-")) << b;
    EXPECT_GE(b.at("blobs").as_int64(), 3) << b;
  }

  EXPECT_EQ(operator_call("GET", "/operator/v1/registry").status, 200);
  HttpClient anonymous(berth_->operator_url());
  EXPECT_EQ(anonymous.post("/operator/v1/backups", "", {}).status, 401) << "the operator API needs its token";
  Response started = operator_call("POST", "/operator/v1/backups");
  ASSERT_EQ(started.status, 202) << started;
  const std::int64_t id = json_of(started).at("id").as_int64();
  ASSERT_TRUE(eventually(
      [&] {
        return text_of(json_of(operator_call("GET", "/operator/v1/backups/runs/" + std::to_string(id))),
                       "status") == "Success";
      },
      30s, 100ms));
  json::value run = json_of(operator_call("GET", "/operator/v1/backups/runs/" + std::to_string(id)));
  EXPECT_EQ(text_of(run, "trigger"), "MANUAL");
  EXPECT_NE(text_of(run, "log").find("blobs"), std::string::npos) << run;
  EXPECT_EQ(operator_call("GET", "/operator/v1/backups/runs/999999").status, 404);

  // A scheduled backup restores like one taken by hand.
  const json::value now = listed();
  const json::array& latest = now.at("backups").as_array();
  ASSERT_FALSE(latest.empty());
  auto restored = restore_and_start(dir / text_of(latest.back(), "name"));
  ASSERT_NE(restored, nullptr);
  HttpClient restored_client(restored->url());
  restored_client.set_basic_auth("admin", kAdminPassword);
  EXPECT_TRUE(pulls_bit_exact(restored_client, p));
}

TEST_F(BackupTest, TheOperatorApiExportsAProjectAndImportsItBackAfterItsRepositoryIsGone) {
  const fs::path dir = base_ / "operator";
  start({{"BERTH_BACKUP_DIR", dir.string()}});
  Pushed p{unique_repo(), "v1", make_image(3, 2048)};
  ASSERT_TRUE(push_image(client(), p.repo, p.tag, p.image));
  const std::string project = p.repo.substr(0, p.repo.find('/'));
  auto finished = [&](const Response& started) {
    EXPECT_EQ(started.status, 202) << started;
    const std::string run =
        "/operator/v1/exports/runs/" + std::to_string(json_of(started).at("id").as_int64());
    EXPECT_TRUE(eventually(
        [&] {
          const std::string status = text_of(json_of(operator_call("GET", run)), "status");
          return status == "Success" || status == "Error";
        },
        30s, 100ms));
    return json_of(operator_call("GET", run));
  };
  json::value exported =
      finished(berth_->call("POST", "/operator/v1/exports", R"({"project":")" + project + R"("})"));
  EXPECT_EQ(text_of(exported, "status"), "Success") << exported;
  json::value listed = json_of(operator_call("GET", "/operator/v1/exports"));
  ASSERT_EQ(listed.at("exports").as_array().size(), 1u) << listed;
  const std::string name(listed.at("exports").as_array()[0].as_string());
  EXPECT_TRUE(name.starts_with(project + "-")) << name;
  EXPECT_TRUE(fs::exists(dir / "exports" / name / "repositories" / p.repo / "index.json"));
  EXPECT_TRUE(fs::exists(dir / "exports" / name / "projects" / (project + ".json")));

  std::string short_name = p.repo.substr(p.repo.find('/') + 1);
  for (std::size_t at; (at = short_name.find('/')) != std::string::npos;) short_name.replace(at, 1, "%252F");
  ASSERT_EQ(client().del("/api/v2.0/projects/" + project + "/repositories/" + short_name).status, 200);
  ASSERT_EQ(client().get(manifest_path(p.repo, p.tag)).status, 404);
  EXPECT_EQ(berth_->call("POST", "/operator/v1/imports", R"({"dir":"../../etc"})").status, 400);
  json::value imported =
      finished(berth_->call("POST", "/operator/v1/imports", R"({"dir":")" + name + R"("})"));
  EXPECT_EQ(text_of(imported, "status"), "Success") << imported;
  EXPECT_NE(text_of(imported, "log").find("imported"), std::string::npos) << imported;
  EXPECT_TRUE(pulls_bit_exact(client(), p)) << "the running registry serves what it imported";
}

TEST_F(BackupTest, OperatorBackupsAreOffUntilABackupDirectoryIsConfigured) {
  start();
  Response listed = operator_call("GET", "/operator/v1/backups");
  EXPECT_EQ(listed.status, 409) << listed;
  EXPECT_NE(listed.body.find("backup.dir"), std::string::npos) << listed;
  EXPECT_EQ(operator_call("POST", "/operator/v1/backups").status, 409);
  EXPECT_EQ(operator_call("GET", "/operator/v1/exports").status, 409);
  EXPECT_EQ(operator_call("POST", "/operator/v1/imports").status, 409);
}

}  // namespace
}  // namespace berth::integration
