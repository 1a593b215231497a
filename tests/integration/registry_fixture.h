// The registry the integration tests talk to, and the gtest fixtures that provide it.
//
// When REGISTRY_URL is set, the tests use that registry as it is (for example Debian's
// docker-registry, to check the tests themselves); Berth-only tests then skip.
// Otherwise each fixture spawns the real binary (BERTH_BINARY, else the path CMake
// compiled in) as `berth serve --listen 127.0.0.1:PORT --data DIR --log-level warn` on a
// free port with a fresh temporary data directory, waits for GET /healthz == 200, and
// stops it with SIGTERM at the end. BerthOptions changes the arguments and environment
// of a spawned Berth (for tests of the `berth` command itself: configuration, TLS, ...).
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "http_client.h"
#include "oci_content.h"

namespace berth::integration {

// The password of the "admin" user of every Berth the tests spawn (BERTH_ADMIN_PASSWORD).
inline constexpr const char* kAdminPassword = "Berth-Admin-1";
// The private project every spawned Berth has, where unique_repo() names live.
inline constexpr const char* kTestProject = "it";

// Creates project kTestProject in a data directory with `berth admin project create`
// (the server must not be running there). The first admin gets kAdminPassword.
::testing::AssertionResult create_test_project(const std::filesystem::path& data_dir);

// "Authorization: Basic ...\r\n" for the admin: a header line for raw requests.
std::string admin_authorization_line();

// True when REGISTRY_URL names an external registry to test instead of Berth.
bool using_external_registry();
// The berth executable: $BERTH_BINARY, else the build's own.
std::string berth_binary();

// A TCP port on 127.0.0.1 that nothing listened on a moment ago (0 when none was found).
int free_port();

// Runs `berth_binary() args...` to completion (killed after `timeout`). Returns its exit
// status (128 + signal when killed by one, -1 when it could not run); its stdout and
// stderr go to *output. `environment` is set in the child on top of the test's own.
int run_berth_command(const std::vector<std::string>& args, std::string* output,
                      std::chrono::seconds timeout = std::chrono::seconds(60),
                      const std::map<std::string, std::string>& environment = {});

// Runs `berth fsck --data <data_dir>` (no server may run there): success when it exits 0
// (blobs and metadata agree, after the recovery of interrupted commits), else a failure
// that carries its exit status and output.
::testing::AssertionResult fsck_clean(const std::filesystem::path& data_dir);

// Where the filesystem store keeps a blob: <data>/blobs/sha256/<first two hex>/<hex>.
std::filesystem::path blob_file(const std::filesystem::path& data_dir, const std::string& digest);

// Polls `done` every `interval` until it holds or `timeout` passes; returns its last answer.
template <class Predicate>
bool eventually(Predicate done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval = std::chrono::milliseconds(50)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);
  }
}

// How a spawned Berth is started, beyond the defaults.
struct BerthOptions {
  // When false, `berth serve` gets only `extra_args`: the test configures the address
  // and data directory itself (a config file, BERTH_* variables) and must make Berth
  // listen on the instance's port().
  bool standard_args = true;
  // Appended after the standard arguments ("--tls-cert", ..., "--config", ...).
  std::vector<std::string> extra_args;
  // Set in the child on top of the test's own environment.
  std::map<std::string, std::string> environment;
  // When set, Berth serves TLS: url() is https:// (from the next start() on) and the
  // health probe trusts this PEM certificate.
  std::string ca_file;
};

// One registry under test. Spawned instances own a temporary directory:
//   <scratch>/data      the --data directory
//   <scratch>/berth.log the process's stdout and stderr
// which is removed when the instance is destroyed (kept when BERTH_KEEP_DATA is set).
class RegistryInstance {
 public:
  // REGISTRY_URL when set, else a freshly spawned Berth. On failure returns nullptr and
  // says why in *error.
  static std::unique_ptr<RegistryInstance> from_environment(std::string* error);
  static std::unique_ptr<RegistryInstance> spawn_berth(std::string* error, BerthOptions options = {});
  // Like spawn_berth, but does not start the process: the test can write files into
  // scratch_dir() and adjust options() first, then call start().
  static std::unique_ptr<RegistryInstance> prepare_berth(std::string* error, BerthOptions options = {});

  ~RegistryInstance();
  RegistryInstance(const RegistryInstance&) = delete;
  RegistryInstance& operator=(const RegistryInstance&) = delete;

  const std::string& url() const { return url_; }
  bool spawned() const { return !scratch_dir_.empty(); }
  const std::filesystem::path& data_dir() const { return data_dir_; }
  const std::filesystem::path& scratch_dir() const { return scratch_dir_; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  // Used by every start(); changes take effect at the next one.
  BerthOptions& options() { return options_; }

  // Starts the process (again) on the same port and data directory and waits for health.
  ::testing::AssertionResult start();
  // SIGTERM, then waits (SIGKILL after 15 s). Returns the exit status as run_berth_command.
  int stop();
  // SIGKILL, no grace.
  void kill9();
  ::testing::AssertionResult restart();
  ::testing::AssertionResult kill9_and_restart();
  bool running() const { return pid_ > 0; }
  // The last lines of the process's log, for failure messages.
  std::string log_tail(std::size_t max_bytes = 4000) const;

 private:
  RegistryInstance() = default;
  // http(s)://127.0.0.1:<port> as options_ say.
  std::string base_url() const;

  std::string url_;
  std::filesystem::path scratch_dir_;
  std::filesystem::path data_dir_;
  std::filesystem::path log_file_;
  int port_ = 0;
  pid_t pid_ = -1;
  BerthOptions options_;
};

// The whole content of a file ("" when it cannot be read).
std::string read_file(const std::filesystem::path& path);

// Relative path -> size of every file under `root`, skipping the subtrees in `excluded`.
std::map<std::string, std::uintmax_t> snapshot_tree(const std::filesystem::path& root,
                                                    const std::vector<std::filesystem::path>& excluded);

// A repository name unique to the running test, built from its suite and test names:
// "it/<suite>/<test>-<random>" (+ "/<suffix>"), valid by the spec's name grammar.
std::string unique_repo(std::string_view suffix = "");

// Fixture whose test suite shares one registry (spawned in SetUpTestSuite). Tests must
// use their own repositories (unique_repo()) so that they do not see each other.
// client() signs in as admin (basic auth) unless the test calls client().clear_auth().
class RegistryTest : public ::testing::Test {
 public:
  static void SetUpTestSuite();
  static void TearDownTestSuite();

 protected:
  void SetUp() override;

  RegistryInstance& registry() const { return *shared_; }
  HttpClient& client() { return *client_; }
  bool against_berth() const { return shared_ && shared_->spawned(); }

 private:
  static std::unique_ptr<RegistryInstance> shared_;
  static std::string setup_error_;
  std::unique_ptr<HttpClient> client_;
};

// Fixture with a Berth process of its own per test, for restarts and crashes. Skips when
// REGISTRY_URL is set: those tests are about Berth, not about the protocol. client()
// signs in as admin, as in RegistryTest.
class DedicatedBerthTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  RegistryInstance& registry() { return *instance_; }
  HttpClient& client() { return *client_; }
  // A new connection after a restart.
  void reconnect();

 private:
  std::unique_ptr<RegistryInstance> instance_;
  std::unique_ptr<HttpClient> client_;
};

}  // namespace berth::integration
