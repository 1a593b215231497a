// The `berth` command as an operator uses it: help, configuration from a file, the
// environment and flags (in that order of precedence), rejected configuration, the
// purge of abandoned uploads, TLS, fsck, the data directory lock and a graceful stop.
// Every test runs a Berth of its own; they skip when REGISTRY_URL is set.
#include <arpa/inet.h>
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <thread>

#include "registry_fixture.h"

namespace berth::integration {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// The configuration keys `berth` promises: YAML path and environment variable.
const std::vector<std::pair<std::string, std::string>> kConfigKeys = {
    {"listen", "BERTH_LISTEN"},
    {"data_dir", "BERTH_DATA_DIR"},
    {"log_level", "BERTH_LOG_LEVEL"},
    {"tls.certificate", "BERTH_TLS_CERTIFICATE"},
    {"tls.private_key", "BERTH_TLS_PRIVATE_KEY"},
    {"tls.hsts_max_age", "BERTH_TLS_HSTS_MAX_AGE"},
    {"limits.idle_timeout", "BERTH_LIMITS_IDLE_TIMEOUT"},
    {"limits.header_timeout", "BERTH_LIMITS_HEADER_TIMEOUT"},
    {"limits.body_timeout", "BERTH_LIMITS_BODY_TIMEOUT"},
    {"limits.min_body_rate", "BERTH_LIMITS_MIN_BODY_RATE"},
    {"limits.send_timeout", "BERTH_LIMITS_SEND_TIMEOUT"},
    {"limits.min_send_rate", "BERTH_LIMITS_MIN_SEND_RATE"},
    {"limits.max_connections", "BERTH_LIMITS_MAX_CONNECTIONS"},
    {"limits.max_header_bytes", "BERTH_LIMITS_MAX_HEADER_BYTES"},
    {"limits.max_body_bytes", "BERTH_LIMITS_MAX_BODY_BYTES"},
    {"limits.io_threads", "BERTH_LIMITS_IO_THREADS"},
    {"limits.blocking_threads", "BERTH_LIMITS_BLOCKING_THREADS"},
    {"limits.shutdown_grace", "BERTH_LIMITS_SHUTDOWN_GRACE"},
    {"uploads.max_age", "BERTH_UPLOADS_MAX_AGE"},
    {"uploads.purge_interval", "BERTH_UPLOADS_PURGE_INTERVAL"},
    {"cache.manifest_mb", "BERTH_CACHE_MANIFEST_MB"},
};

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::string listen_on(int port) {
  return "127.0.0.1:" + std::to_string(port);
}

// True when something accepts TCP connections on 127.0.0.1:port.
bool accepts_connections(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  bool connected = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  close(fd);
  return connected;
}

// Names of the regular files in <data>/uploads.
std::vector<std::string> upload_files(const fs::path& data_dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(data_dir / "uploads", ec)) {
    if (entry.is_regular_file()) names.push_back(entry.path().filename().string());
  }
  return names;
}

size_t collect_body(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

// GET over https with libcurl, trusting `ca_file` (or the system's CAs when empty).
struct TlsAnswer {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;
};
TlsAnswer tls_get(const std::string& url, const std::string& ca_file) {
  TlsAnswer answer;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    answer.code = CURLE_FAILED_INIT;
    return answer;
  }
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  if (!ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer.body);
  answer.code = curl_easy_perform(curl);
  if (answer.code == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &answer.status);
  curl_easy_cleanup(curl);
  return answer;
}

class BerthCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (using_external_registry()) GTEST_SKIP() << "tests of the berth command; REGISTRY_URL is set";
  }

  // A Berth instance that is not started yet (scratch dir, free port), or a test failure.
  std::unique_ptr<RegistryInstance> prepare(BerthOptions options = {}) {
    std::string error;
    auto instance = RegistryInstance::prepare_berth(&error, std::move(options));
    EXPECT_NE(instance, nullptr) << error;
    return instance;
  }

  std::unique_ptr<RegistryInstance> spawn(BerthOptions options = {}) {
    std::string error;
    auto instance = RegistryInstance::spawn_berth(&error, std::move(options));
    EXPECT_NE(instance, nullptr) << "cannot start berth: " << error;
    return instance;
  }

  // `berth args...` with `environment` that must exit (not be killed) within 10 s;
  // returns its status, output in *output.
  int run(const std::vector<std::string>& args, std::string* output,
          const std::map<std::string, std::string>& environment = {}) {
    int status = run_berth_command(args, output, 10s, environment);
    EXPECT_LT(status, 128) << "berth was killed or did not run; output:\n" << *output;
    return status;
  }
};

// ---- help ----

TEST_F(BerthCommandTest, HelpListsSubcommandsAndEveryConfigKey) {
  std::string output;
  ASSERT_EQ(run({"--help"}, &output), 0) << output;
  for (const char* command : {"serve", "fsck", "gc"}) EXPECT_TRUE(contains(output, command)) << command;
  for (const auto& [path, env] : kConfigKeys) {
    EXPECT_TRUE(contains(output, path)) << "berth --help does not mention " << path;
    EXPECT_TRUE(contains(output, env)) << "berth --help does not mention " << env;
  }
}

TEST_F(BerthCommandTest, ServeHelpListsEveryFlagAndConfigKey) {
  std::string output;
  ASSERT_EQ(run({"serve", "--help"}, &output), 0) << output;
  for (const char* flag : {"--config", "--listen", "--data", "--tls-cert", "--tls-key", "--log-level"})
    EXPECT_TRUE(contains(output, flag)) << "berth serve --help does not mention " << flag << ":\n" << output;
  for (const auto& [path, env] : kConfigKeys) {
    EXPECT_TRUE(contains(output, path)) << "berth serve --help does not mention " << path;
    EXPECT_TRUE(contains(output, env)) << "berth serve --help does not mention " << env;
  }
  for (const char* command : {"fsck", "gc"}) {
    ASSERT_EQ(run({command, "--help"}, &output), 0) << output;
    EXPECT_TRUE(contains(output, "--config")) << command << ":\n" << output;
    EXPECT_TRUE(contains(output, "--data")) << command << ":\n" << output;
  }
}

TEST_F(BerthCommandTest, UnknownFlagOrNoSubcommandFails) {
  std::string output;
  EXPECT_NE(run({}, &output), 0) << output;
  EXPECT_NE(run({"serve", "--no-such-flag"}, &output), 0) << output;
  EXPECT_TRUE(contains(output, "--no-such-flag")) << output;
}

// ---- configuration: file, then environment, then flags ----

TEST_F(BerthCommandTest, ConfigFileSetsListenAndDataDirectory) {
  auto instance = prepare();
  ASSERT_NE(instance, nullptr);
  const fs::path data = instance->scratch_dir() / "data-from-file";
  const fs::path config = instance->scratch_dir() / "berth.yaml";
  write_file(config, "# berth.yaml\nlisten: " + listen_on(instance->port()) + "\ndata_dir: " + data.string() +
                         "\nlog_level: warn\n");
  instance->options().standard_args = false;
  instance->options().extra_args = {"--config", config.string()};
  ASSERT_TRUE(create_test_project(data));
  ASSERT_TRUE(instance->start());

  HttpClient client(instance->url());
  client.set_basic_auth("admin", kAdminPassword);

  const Blob blob = random_blob(4096);
  Response pushed = push_blob(client, unique_repo(), blob);
  ASSERT_EQ(pushed.status, 201) << pushed;
  EXPECT_TRUE(fs::is_regular_file(blob_file(data, blob.digest))) << "the blob is not under data_dir " << data;
  EXPECT_TRUE(fs::exists(data / "meta.db"));
  EXPECT_FALSE(fs::exists(blob_file(instance->data_dir(), blob.digest)))
      << "the fixture's default data dir was used";
  EXPECT_EQ(instance->stop(), 0) << instance->log_tail();
}

TEST_F(BerthCommandTest, EnvironmentOverridesFileAndFlagOverridesEnvironment) {
  auto instance = prepare();
  ASSERT_NE(instance, nullptr);
  const int file_port = free_port();
  const int env_port = free_port();
  ASSERT_NE(file_port, 0);
  ASSERT_NE(env_port, 0);
  const fs::path config = instance->scratch_dir() / "berth.yaml";
  write_file(config, "listen: " + listen_on(file_port) + "\ndata_dir: " + instance->data_dir().string() +
                         "\nlog_level: warn\n");
  instance->options().standard_args = false;
  instance->options().extra_args = {"--config", config.string()};

  // BERTH_LISTEN beats the file.
  instance->options().environment = {{"BERTH_LISTEN", listen_on(instance->port())}};
  ASSERT_TRUE(instance->start());
  EXPECT_FALSE(accepts_connections(file_port)) << "berth listens on the file's port despite BERTH_LISTEN";
  ASSERT_EQ(instance->stop(), 0) << instance->log_tail();

  // --listen beats BERTH_LISTEN.
  instance->options().environment = {{"BERTH_LISTEN", listen_on(env_port)}};
  instance->options().extra_args.insert(instance->options().extra_args.end(),
                                        {"--listen", listen_on(instance->port())});
  ASSERT_TRUE(instance->start());
  EXPECT_FALSE(accepts_connections(env_port)) << "berth listens on BERTH_LISTEN's port despite --listen";
  EXPECT_FALSE(accepts_connections(file_port));
  EXPECT_EQ(instance->stop(), 0) << instance->log_tail();
}

TEST_F(BerthCommandTest, EnvironmentSetsDataDirectoryAndFlagOverridesIt) {
  auto instance = prepare();
  ASSERT_NE(instance, nullptr);
  const fs::path env_data = instance->scratch_dir() / "data-from-env";
  instance->options().standard_args = false;
  instance->options().environment = {{"BERTH_DATA_DIR", env_data.string()},
                                     {"BERTH_LISTEN", listen_on(instance->port())},
                                     {"BERTH_LOG_LEVEL", "warn"}};
  ASSERT_TRUE(instance->start());
  EXPECT_TRUE(fs::exists(env_data / "meta.db")) << "BERTH_DATA_DIR was not used";
  ASSERT_EQ(instance->stop(), 0) << instance->log_tail();

  const fs::path flag_data = instance->scratch_dir() / "data-from-flag";
  instance->options().extra_args = {"--data", flag_data.string()};
  ASSERT_TRUE(instance->start());
  EXPECT_TRUE(fs::exists(flag_data / "meta.db")) << "--data did not override BERTH_DATA_DIR";
  EXPECT_EQ(instance->stop(), 0) << instance->log_tail();
}

// A bad setting stops `berth serve` before it opens the data directory or listens.
TEST_F(BerthCommandTest, InvalidConfigurationExitsNonZeroNamingTheKey) {
  auto instance = prepare();
  ASSERT_NE(instance, nullptr);
  const fs::path data = instance->scratch_dir() / "never-created";
  const std::vector<std::string> serve = {"serve", "--listen", listen_on(instance->port()), "--data",
                                          data.string()};
  struct Case {
    std::string yaml;                        // config file contents ("" = no file)
    std::map<std::string, std::string> env;  // BERTH_* variables
    std::vector<std::string> flags;          // after `serve`
    std::vector<std::string> expected_in_output;
  };
  const std::vector<Case> cases = {
      {"", {{"BERTH_LIMITS_MAX_CONNECTIONS", "lots"}}, serve, {"limits.max_connections", "lots"}},
      {"", {{"BERTH_UPLOADS_MAX_AGE", "soon"}}, serve, {"uploads.max_age", "soon"}},
      {"uploads:\n  purge_interval: 5 minutes\n", {}, serve, {"uploads.purge_interval", "5 minutes"}},
      {"limits:\n  max_conections: 10\n", {}, serve, {"limits.max_conections"}},
      {"listen:\n  - 127.0.0.1:1\n", {}, serve, {"listen"}},
      {"", {{"BERTH_LOG_LEVEL", "loud"}}, serve, {"log_level", "loud"}},
      {"", {}, {"serve", "--listen", "127.0.0.1:99999", "--data", data.string()}, {"127.0.0.1:99999"}},
  };
  const fs::path config = instance->scratch_dir() / "bad.yaml";
  for (const Case& c : cases) {
    std::vector<std::string> args = c.flags;
    if (!c.yaml.empty()) {
      write_file(config, c.yaml);
      args.insert(args.end(), {"--config", config.string()});
    }
    std::string output;
    const auto started = Clock::now();
    int status = run(args, &output, c.env);
    SCOPED_TRACE(c.yaml + (c.env.empty() ? "" : c.env.begin()->first + "=" + c.env.begin()->second));
    EXPECT_NE(status, 0) << output;
    EXPECT_LT(Clock::now() - started, 5s) << "berth took long to refuse a bad configuration";
    for (const auto& part : c.expected_in_output)
      EXPECT_TRUE(contains(output, part)) << "the error does not name '" << part << "':\n" << output;
    EXPECT_FALSE(fs::exists(data)) << "berth opened the data directory despite a bad configuration";
  }
  EXPECT_FALSE(accepts_connections(instance->port()));

  std::string output;
  EXPECT_NE(
      run({"serve", "--config", (instance->scratch_dir() / "absent.yaml").string(), "--data", data.string()},
          &output),
      0);
  EXPECT_TRUE(contains(output, "absent.yaml")) << output;
}

// ---- abandoned uploads ----

BerthOptions fast_purge() {
  BerthOptions options;
  options.environment = {{"BERTH_UPLOADS_MAX_AGE", "1s"}, {"BERTH_UPLOADS_PURGE_INTERVAL", "1s"}};
  return options;
}

TEST_F(BerthCommandTest, AbandonedUploadIsPurged) {
  auto instance = spawn(fast_purge());
  ASSERT_NE(instance, nullptr);
  HttpClient client(instance->url());
  client.set_basic_auth("admin", kAdminPassword);
  const std::string repo = unique_repo();
  const Blob kept = random_blob(2000);
  ASSERT_EQ(push_blob(client, repo, kept).status, 201);

  Response started = start_upload(client, repo);
  ASSERT_EQ(started.status, 202) << started;
  const std::string bytes = random_bytes(5000);
  Response patched =
      client.patch(started.header("Location"), bytes,
                   {{"Content-Type", "application/octet-stream"}, {"Content-Range", "0-4999"}});
  ASSERT_EQ(patched.status, 202) << patched;
  const std::string location = patched.header("Location");
  const std::string id = location.substr(location.rfind('/') + 1);
  ASSERT_FALSE(id.empty());
  const auto files = upload_files(instance->data_dir());
  ASSERT_NE(std::find(files.begin(), files.end(), id), files.end())
      << "the upload's bytes are not in <data>/uploads/" << id;

  Response status;
  EXPECT_TRUE(eventually(
      [&] {
        status = client.get(location);
        return status.status == 404;
      },
      4s))
      << "upload still there after 4 s with uploads.max_age=1s: " << status;
  EXPECT_TRUE(IsOciError(status, 404, {"BLOB_UPLOAD_UNKNOWN"}));
  const auto after = upload_files(instance->data_dir());
  EXPECT_EQ(std::find(after.begin(), after.end(), id), after.end()) << "upload data left in <data>/uploads";

  Response resumed = client.patch(location, "more", {{"Content-Type", "application/octet-stream"}});
  EXPECT_TRUE(IsOciError(resumed, 404, {"BLOB_UPLOAD_UNKNOWN"})) << resumed;
  // The purge touches unfinished uploads only.
  Response pulled = client.get(blob_path(repo, kept.digest));
  EXPECT_EQ(pulled.status, 200) << pulled;
  EXPECT_TRUE(pulled.body == kept.data);
}

TEST_F(BerthCommandTest, ClientDisconnectDuringMonolithicPostLeavesNothing) {
  auto instance = spawn(fast_purge());
  ASSERT_NE(instance, nullptr);
  const std::string repo = unique_repo();
  const Blob blob = random_blob(200 * 1024);
  const std::string request = "POST " + with_query(uploads_path(repo), "digest", blob.digest) +
                              " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + admin_authorization_line() +
                              "Content-Type: application/octet-stream\r\n"
                              "Content-Length: " +
                              std::to_string(blob.data.size()) + "\r\n\r\n" + blob.data.substr(0, 70 * 1024);
  ASSERT_TRUE(raw_exchange(instance->url(), request, false, 1s).has_value()) << "cannot connect";

  HttpClient client(instance->url());
  client.set_basic_auth("admin", kAdminPassword);

  EXPECT_TRUE(eventually([&] { return upload_files(instance->data_dir()).empty(); }, 4s))
      << "upload data left after a client disconnect: " << upload_files(instance->data_dir()).front();
  Response head = client.head(blob_path(repo, blob.digest));
  EXPECT_EQ(head.status, 404) << head;
  EXPECT_FALSE(fs::exists(blob_file(instance->data_dir(), blob.digest))) << "a partial blob was stored";
  EXPECT_EQ(client.get("/healthz").status, 200);
  EXPECT_EQ(instance->stop(), 0) << instance->log_tail();
  std::string output;
  EXPECT_EQ(run({"fsck", "--data", instance->data_dir().string()}, &output), 0) << output;
}

// ---- TLS ----

TEST_F(BerthCommandTest, ServesTlsWithTheGivenCertificate) {
  auto instance = prepare();
  ASSERT_NE(instance, nullptr);
  const fs::path cert = instance->scratch_dir() / "cert.pem";
  const fs::path key = instance->scratch_dir() / "key.pem";
  const std::string openssl =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1"
      " -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout '" +
      key.string() + "' -out '" + cert.string() + "' >/dev/null 2>&1";
  if (std::system(openssl.c_str()) != 0 || !fs::exists(cert)) GTEST_SKIP() << "the openssl command failed";

  instance->options().extra_args = {"--tls-cert", cert.string(), "--tls-key", key.string()};
  instance->options().ca_file = cert.string();
  ASSERT_TRUE(instance->start());
  ASSERT_TRUE(instance->url().starts_with("https://")) << instance->url();

  // /v2/ over TLS answers (401: the challenge that sends clients to the token service).
  TlsAnswer answer = tls_get(instance->url() + "/v2/", cert.string());
  ASSERT_EQ(answer.code, CURLE_OK) << curl_easy_strerror(answer.code);
  EXPECT_EQ(answer.status, 401) << answer.body;
  TlsAnswer health = tls_get(instance->url() + "/healthz", cert.string());
  ASSERT_EQ(health.code, CURLE_OK) << curl_easy_strerror(health.code);
  EXPECT_EQ(health.status, 200) << health.body;

  // The certificate is what Berth presents: without trusting it, verification fails.
  TlsAnswer untrusted = tls_get(instance->url() + "/v2/", "");
  EXPECT_NE(untrusted.code, CURLE_OK) << "an unknown self-signed certificate was trusted";

  // Plain HTTP to the TLS port fails at once instead of hanging.
  HttpClient plain("http://" + listen_on(instance->port()));
  plain.set_basic_auth("admin", kAdminPassword);
  plain.set_timeout(5s);
  const auto started = Clock::now();
  Response r = plain.get("/v2/");
  EXPECT_NE(r.status, 200) << r;
  EXPECT_LT(Clock::now() - started, 2s) << "plain HTTP to the TLS port took long to fail";

  // And the server is still fine afterwards.
  EXPECT_EQ(tls_get(instance->url() + "/healthz", cert.string()).status, 200);
  EXPECT_EQ(instance->stop(), 0) << instance->log_tail();
}

// ---- fsck ----

TEST_F(BerthCommandTest, FsckReportsARowWithoutItsBlob) {
  auto instance = spawn();
  ASSERT_NE(instance, nullptr);
  HttpClient client(instance->url());
  client.set_basic_auth("admin", kAdminPassword);
  const Blob lost = random_blob(3000);
  const Blob intact = random_blob(3000);
  ASSERT_EQ(push_blob(client, unique_repo(), lost).status, 201);
  ASSERT_EQ(push_blob(client, unique_repo(), intact).status, 201);
  ASSERT_EQ(instance->stop(), 0) << instance->log_tail();

  const fs::path file = blob_file(instance->data_dir(), lost.digest);
  ASSERT_TRUE(fs::remove(file)) << file << " is not where the blob was expected";
  std::string output;
  EXPECT_EQ(run({"fsck", "--data", instance->data_dir().string()}, &output), 1) << output;
  EXPECT_TRUE(contains(output, "row without blob: " + lost.digest)) << output;
  EXPECT_FALSE(contains(output, intact.digest)) << output;
}

TEST_F(BerthCommandTest, FsckReportsABlobWithoutARow) {
  auto instance = prepare();
  ASSERT_NE(instance, nullptr);
  const std::string data = instance->data_dir().string();
  std::string output;
  EXPECT_EQ(run({"fsck", "--data", data}, &output), 0) << "a new, empty data directory:\n" << output;

  const Blob stray = random_blob(1234);
  const fs::path file = blob_file(instance->data_dir(), stray.digest);
  fs::create_directories(file.parent_path());
  write_file(file, stray.data);
  EXPECT_EQ(run({"fsck", "--data", data}, &output), 1) << output;
  EXPECT_TRUE(contains(output, "blob without row: " + stray.digest)) << output;
}

// ---- the data directory lock ----

TEST_F(BerthCommandTest, SecondServerOnTheSameDataDirectoryExits) {
  auto instance = spawn();
  ASSERT_NE(instance, nullptr);
  const int second_port = free_port();
  std::string output;
  const auto started = Clock::now();
  int status =
      run({"serve", "--listen", listen_on(second_port), "--data", instance->data_dir().string()}, &output);
  EXPECT_NE(status, 0) << output;
  EXPECT_LT(Clock::now() - started, 5s);
  EXPECT_TRUE(contains(output, "in use")) << output;
  EXPECT_FALSE(accepts_connections(second_port));

  // An offline command is refused too while the server runs.
  EXPECT_EQ(run({"fsck", "--data", instance->data_dir().string()}, &output), 2) << output;
  EXPECT_TRUE(contains(output, "in use")) << output;

  // The first one keeps serving.
  HttpClient client(instance->url());
  client.set_basic_auth("admin", kAdminPassword);
  EXPECT_EQ(client.get("/healthz").status, 200);
  EXPECT_EQ(push_blob(client, unique_repo(), random_blob(100)).status, 201);
  EXPECT_EQ(instance->stop(), 0) << instance->log_tail();
}

// ---- graceful stop ----

// A plain TCP connection for sending a request in pieces.
class RawConnection {
 public:
  explicit RawConnection(int port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    if (fd_ >= 0 && connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~RawConnection() {
    if (fd_ >= 0) close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  bool send_all(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // Everything until the server closes or `timeout` passes.
  std::string read_until_close(std::chrono::milliseconds timeout) {
    std::string reply;
    auto deadline = Clock::now() + timeout;
    char buffer[4096];
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      reply.append(buffer, static_cast<size_t>(n));
    }
    return reply;
  }

 private:
  int fd_;
};

TEST_F(BerthCommandTest, SigtermLetsAnInFlightUploadFinish) {
  auto instance = spawn();
  ASSERT_NE(instance, nullptr);
  HttpClient client(instance->url());
  client.set_basic_auth("admin", kAdminPassword);
  const std::string repo = unique_repo();
  Response started = start_upload(client, repo);
  ASSERT_EQ(started.status, 202) << started;
  const std::string body = random_bytes(64 * 1024);

  RawConnection connection(instance->port());
  ASSERT_TRUE(connection.connected());
  ASSERT_TRUE(connection.send_all("PATCH " + path_of(started.header("Location")) +
                                  " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + admin_authorization_line() +
                                  "Content-Type: application/octet-stream\r\n"
                                  "Content-Length: " +
                                  std::to_string(body.size()) + "\r\n\r\n" +
                                  body.substr(0, body.size() / 2)));
  std::this_thread::sleep_for(200ms);  // the request is being handled when the signal comes

  const auto signalled = Clock::now();
  int exit_status = -1;
  std::thread stopper([&] { exit_status = instance->stop(); });
  std::this_thread::sleep_for(300ms);
  const bool sent = connection.send_all(std::string_view(body).substr(body.size() / 2));
  const std::string reply = connection.read_until_close(5s);
  stopper.join();

  EXPECT_TRUE(sent);
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 202")) << "reply to the in-flight PATCH:\n" << reply;
  EXPECT_EQ(exit_status, 0) << instance->log_tail();
  EXPECT_LT(Clock::now() - signalled, 5s) << "berth waited long after its last request";

  // The bytes are in the upload after a restart.
  ASSERT_TRUE(instance->start());
  HttpClient after(instance->url());
  after.set_basic_auth("admin", kAdminPassword);
  Response status = after.get(started.header("Location"));
  EXPECT_EQ(status.status, 204) << status;
  EXPECT_EQ(status.header("Range"), "0-" + std::to_string(body.size() - 1)) << status;
}

}  // namespace
}  // namespace berth::integration
