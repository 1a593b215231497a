// Berth as a process: health endpoint, graceful stop, restarts, crashes. Each test has a
// Berth of its own (DedicatedBerthTest); they skip when REGISTRY_URL is set.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "registry_fixture.h"

namespace berth::integration {
namespace {
using namespace std::chrono_literals;

class BerthProcessTest : public DedicatedBerthTest {
 protected:
  void expect_image_pullable(const std::string& repo, const std::string& tag, const Image& image) {
    Response manifest = client().get(manifest_path(repo, tag), {{"Accept", kAcceptAnyManifest}});
    ASSERT_EQ(manifest.status, 200) << repo << ":" << tag << ": " << manifest;
    EXPECT_TRUE(manifest.body == image.manifest) << repo << ":" << tag << " changed";
    std::vector<const Blob*> blobs{&image.config};
    for (const Blob& layer : image.layers) blobs.push_back(&layer);
    for (const Blob* blob : blobs) {
      Response r = client().get(blob_path(repo, blob->digest));
      ASSERT_EQ(r.status, 200) << blob->digest << ": " << r.status;
      EXPECT_TRUE(r.body == blob->data) << blob->digest << " changed";
    }
  }
};

TEST_F(BerthProcessTest, HealthzAnswers200) {
  Response r = client().get("/healthz");
  EXPECT_EQ(r.status, 200) << r;
}

TEST_F(BerthProcessTest, SigtermStopsGracefullyWithExitCodeZero) {
  ASSERT_TRUE(push_image(client(), unique_repo(), "v1", make_image()));
  EXPECT_EQ(registry().stop(), 0) << registry().log_tail();
}

TEST_F(BerthProcessTest, ContentSurvivesRestart) {
  const std::string repo = unique_repo();
  const Image image = make_image(2, 10000);
  ASSERT_TRUE(push_image(client(), repo, "v1", image));
  ASSERT_TRUE(registry().restart());
  reconnect();
  expect_image_pullable(repo, "v1", image);
  expect_image_pullable(repo, image.digest, image);
  Response tags = client().get("/v2/" + repo + "/tags/list");
  EXPECT_EQ(tag_list(tags), std::optional<std::vector<std::string>>(std::vector<std::string>{"v1"})) << tags;
}

// Resumable push: an upload session lives in the data directory, not in the process.
TEST_F(BerthProcessTest, UploadSurvivesRestart) {
  const std::string repo = unique_repo();
  const Blob blob = random_blob(300 * 1024 + 11);
  const std::size_t split = 128 * 1024;
  Response started = start_upload(client(), repo);
  ASSERT_EQ(started.status, 202) << started;
  Response first = client().patch(
      started.header("Location"), blob.data.substr(0, split),
      {{"Content-Type", "application/octet-stream"}, {"Content-Range", "0-" + std::to_string(split - 1)}});
  ASSERT_EQ(first.status, 202) << first;
  const std::string location = first.header("Location");

  ASSERT_TRUE(registry().restart());
  reconnect();

  Response status = client().get(location);
  ASSERT_EQ(status.status, 204) << status;
  EXPECT_EQ(status.header("Range"), "0-" + std::to_string(split - 1)) << status;
  Response second =
      client().patch(location, blob.data.substr(split),
                     {{"Content-Type", "application/octet-stream"},
                      {"Content-Range", std::to_string(split) + "-" + std::to_string(blob.data.size() - 1)}});
  ASSERT_EQ(second.status, 202) << second;
  Response closed = client().put(with_query(second.header("Location"), "digest", blob.digest), "",
                                 {{"Content-Type", "application/octet-stream"}});
  ASSERT_EQ(closed.status, 201) << closed;
  Response pulled = client().get(blob_path(repo, blob.digest));
  ASSERT_EQ(pulled.status, 200);
  EXPECT_TRUE(pulled.body == blob.data);
}

// "A crash at any moment leaves either the old state or the new one": every push that
// was acknowledged with 201 before a kill -9 is there, byte for byte, after the restart,
// and fsck finds nothing wrong.
TEST_F(BerthProcessTest, KillNineDuringPushesLosesNothingAcknowledged) {
  struct Pushed {
    std::string tag;
    Image image;
  };
  const std::string repo = unique_repo();
  std::mutex mutex;
  std::vector<Pushed> acknowledged;
  std::vector<std::string> failures_before_kill;
  std::atomic<bool> killed{false};

  std::thread pusher([&] {
    HttpClient pushing(registry().url());
    pushing.set_basic_auth("admin", kAdminPassword);
    pushing.set_timeout(10s);
    for (int i = 0; !killed; ++i) {
      const Image image = make_image(2, 8 * 1024);
      const std::string tag = "t" + std::to_string(i);
      long failed_status = 0;
      for (const Blob* blob : {&image.config, &image.layers[0], &image.layers[1]}) {
        Response r = push_blob(pushing, repo, *blob);
        if (r.status != 201) failed_status = r.status == 0 ? -1 : r.status;
        if (failed_status != 0) break;
      }
      if (failed_status == 0) {
        Response r = push_manifest(pushing, repo, tag, image.manifest, image.media_type);
        if (r.status == 201) {
          std::lock_guard lock(mutex);
          acknowledged.push_back({tag, image});
          continue;
        }
        failed_status = r.status == 0 ? -1 : r.status;
      }
      if (!killed) {
        std::lock_guard lock(mutex);
        failures_before_kill.push_back(tag + ": status " + std::to_string(failed_status));
      }
      return;  // the server is gone (or broken); stop pushing
    }
  });

  std::this_thread::sleep_for(1s);
  killed = true;
  registry().kill9();
  pusher.join();

  EXPECT_TRUE(failures_before_kill.empty()) << failures_before_kill.front();
  ASSERT_GT(acknowledged.size(), 0u) << "no push completed in a second";
  RecordProperty("acknowledged_pushes", static_cast<int>(acknowledged.size()));
  ASSERT_TRUE(registry().start());
  reconnect();
  for (const Pushed& pushed : acknowledged) {
    SCOPED_TRACE(pushed.tag);
    expect_image_pullable(repo, pushed.tag, pushed.image);
  }
  // And the registry takes new pushes after the crash.
  ASSERT_TRUE(push_image(client(), repo, "after-crash", make_image()));
  EXPECT_EQ(registry().stop(), 0) << registry().log_tail();
  EXPECT_TRUE(fsck_clean(registry().data_dir()));
}

TEST_F(BerthProcessTest, FsckOfACleanDataDirectorySucceeds) {
  ASSERT_TRUE(push_image(client(), unique_repo(), "v1", make_image(3)));
  registry().stop();
  EXPECT_TRUE(fsck_clean(registry().data_dir()));
}

}  // namespace
}  // namespace berth::integration
