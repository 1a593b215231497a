#include "registry_fixture.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#ifndef BERTH_BINARY_PATH
#define BERTH_BINARY_PATH "berth"
#endif

namespace berth::integration {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// The process's environment with `overrides` set on top, as "NAME=value" strings.
std::vector<std::string> child_environment(const std::map<std::string, std::string>& overrides) {
  std::vector<std::string> out;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    auto name = text.substr(0, text.find('='));
    if (!overrides.contains(std::string(name))) out.emplace_back(text);
  }
  for (const auto& [name, value] : overrides) out.push_back(name + "=" + value);
  return out;
}

// fork + execve with stdout and stderr appended to `log`. Everything the child touches
// is prepared before fork (the parent may have threads).
pid_t spawn(const std::vector<std::string>& args, const fs::path& log,
            const std::map<std::string, std::string>& environment = {}) {
  std::vector<char*> argv;
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  const std::vector<std::string> env_strings = child_environment(environment);
  std::vector<char*> envp;
  for (const auto& entry : env_strings) envp.push_back(const_cast<char*>(entry.c_str()));
  envp.push_back(nullptr);
  const std::string log_path = log.string();
  pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a crashed test process
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
    }
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  return pid;
}

// Waits for `pid` up to `timeout`; returns its decoded status, or -2 if still running.
int wait_for(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) return decode_status(status);
    if (done < 0) return -1;
    if (std::chrono::steady_clock::now() >= deadline) return -2;
    std::this_thread::sleep_for(10ms);
  }
}

size_t discard_body(char*, size_t size, size_t count, void*) {
  return size * count;
}

// GET `url` over TLS trusting only `ca_file`; the HTTP status, or 0 when none came.
long probe_tls(const std::string& url, const std::string& ca_file, std::chrono::milliseconds timeout) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return 0;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard_body);
  long status = 0;
  if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(curl);
  return status;
}

std::string lowercase_alnum(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c)) out += static_cast<char>(std::tolower(c));
  }
  return out.empty() ? std::string("x") : out;
}

}  // namespace

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

bool using_external_registry() {
  return !env("REGISTRY_URL").empty();
}

std::string berth_binary() {
  std::string from_env = env("BERTH_BINARY");
  return from_env.empty() ? std::string(BERTH_BINARY_PATH) : from_env;
}

int run_berth_command(const std::vector<std::string>& args, std::string* output, std::chrono::seconds timeout,
                      const std::map<std::string, std::string>& environment) {
  char pattern[] = "/tmp/berth-it-cmd-XXXXXX";
  int fd = mkstemp(pattern);
  if (fd < 0) return -1;
  close(fd);
  std::vector<std::string> argv{berth_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_t pid = spawn(argv, pattern, environment);
  int status = -1;
  if (pid > 0) {
    status = wait_for(pid, timeout);
    if (status == -2) {
      kill(pid, SIGKILL);
      int raw = 0;
      waitpid(pid, &raw, 0);
      status = decode_status(raw);
    }
  }
  if (output != nullptr) *output = read_file(pattern);
  fs::remove(pattern);
  return status;
}

::testing::AssertionResult fsck_clean(const fs::path& data_dir) {
  std::string output;
  int status = run_berth_command({"fsck", "--data", data_dir.string()}, &output);
  if (status == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "berth fsck exited with " << status << ":\n" << output;
}

std::unique_ptr<RegistryInstance> RegistryInstance::from_environment(std::string* error) {
  std::string external = env("REGISTRY_URL");
  if (external.empty()) return spawn_berth(error);
  std::unique_ptr<RegistryInstance> instance(new RegistryInstance());
  while (!external.empty() && external.back() == '/') external.pop_back();
  instance->url_ = external;
  HttpClient probe(external);
  probe.set_timeout(5s);
  Response r = probe.get("/v2/");
  if (r.status == 0) {
    *error = "REGISTRY_URL=" + external + " does not answer: " + r.transport_error;
    return nullptr;
  }
  return instance;
}

std::unique_ptr<RegistryInstance> RegistryInstance::spawn_berth(std::string* error, BerthOptions options) {
  std::unique_ptr<RegistryInstance> instance = prepare_berth(error, std::move(options));
  if (!instance) return nullptr;
  if (auto started = instance->start(); !started) {
    *error = started.message();
    return nullptr;
  }
  return instance;
}

std::unique_ptr<RegistryInstance> RegistryInstance::prepare_berth(std::string* error, BerthOptions options) {
  std::unique_ptr<RegistryInstance> instance(new RegistryInstance());
  instance->options_ = std::move(options);
  fs::path base = env("TMPDIR").empty() ? fs::path("/tmp") : fs::path(env("TMPDIR"));
  std::string pattern = (base / "berth-it-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    *error = "mkdtemp failed under " + base.string();
    return nullptr;
  }
  instance->scratch_dir_ = pattern;
  instance->data_dir_ = instance->scratch_dir_ / "data";
  instance->log_file_ = instance->scratch_dir_ / "berth.log";
  fs::create_directories(instance->data_dir_);
  instance->port_ = free_port();
  if (instance->port_ == 0) {
    *error = "no free port on 127.0.0.1";
    return nullptr;
  }
  instance->url_ = instance->base_url();
  if (!instance->options_.environment.contains("BERTH_ADMIN_PASSWORD"))
    instance->options_.environment["BERTH_ADMIN_PASSWORD"] = kAdminPassword;
  // Every test talks from 127.0.0.1, and suites that share an instance try wrong
  // passwords on purpose: only the tests of the lockout itself (which set their own
  // limit) should ever lock the address out.
  if (!instance->options_.environment.contains("BERTH_AUTH_MAX_FAILED_LOGINS"))
    instance->options_.environment["BERTH_AUTH_MAX_FAILED_LOGINS"] = "1000";
  // The project the tests' repositories live in, created offline as an operator would.
  if (auto created = create_test_project(instance->data_dir_); !created) {
    *error = created.message();
    return nullptr;
  }
  return instance;
}

::testing::AssertionResult create_test_project(const fs::path& data_dir) {
  std::string output;
  int status =
      run_berth_command({"admin", "project", "create", kTestProject, "--data", data_dir.string()}, &output,
                        std::chrono::seconds(60), {{"BERTH_ADMIN_PASSWORD", kAdminPassword}});
  if (status != 0)
    return ::testing::AssertionFailure()
           << "berth admin project create failed (" << status << "): " << output;
  return ::testing::AssertionSuccess();
}

RegistryInstance::~RegistryInstance() {
  if (running()) stop();
  if (!scratch_dir_.empty() && env("BERTH_KEEP_DATA").empty()) {
    std::error_code ignored;
    fs::remove_all(scratch_dir_, ignored);
  }
}

::testing::AssertionResult RegistryInstance::start() {
  if (!spawned()) return ::testing::AssertionFailure() << "an external registry cannot be started";
  if (running()) return ::testing::AssertionFailure() << "already running";
  std::string binary = berth_binary();
  if (access(binary.c_str(), X_OK) != 0) {
    return ::testing::AssertionFailure() << "berth binary not executable: " << binary;
  }
  url_ = base_url();
  std::vector<std::string> args{binary, "serve"};
  if (options_.standard_args) {
    std::string listen = "127.0.0.1:" + std::to_string(port_);
    args.insert(args.end(), {"--listen", listen, "--data", data_dir_.string(), "--log-level", "warn"});
  }
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  pid_ = spawn(args, log_file_, options_.environment);
  if (pid_ <= 0) return ::testing::AssertionFailure() << "fork failed";

  HttpClient probe(url_);
  probe.set_timeout(500ms);
  auto healthy = [&] {
    if (options_.ca_file.empty()) return probe.get("/healthz").status == 200;
    return probe_tls(url_ + "/healthz", options_.ca_file, 500ms) == 200;
  };
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return ::testing::AssertionFailure()
             << "berth serve exited with status " << decode_status(status) << " before it was healthy; log:\n"
             << log_tail();
    }
    if (healthy()) return ::testing::AssertionSuccess();
    std::this_thread::sleep_for(20ms);
  }
  kill9();
  return ::testing::AssertionFailure() << "GET /healthz did not answer 200 within 10 s; log:\n" << log_tail();
}

int RegistryInstance::stop() {
  if (!running()) return -1;
  kill(pid_, SIGTERM);
  int status = wait_for(pid_, 15s);
  if (status == -2) {
    kill(pid_, SIGKILL);
    int raw = 0;
    waitpid(pid_, &raw, 0);
    status = decode_status(raw);
  }
  pid_ = -1;
  return status;
}

void RegistryInstance::kill9() {
  if (!running()) return;
  kill(pid_, SIGKILL);
  int raw = 0;
  waitpid(pid_, &raw, 0);
  pid_ = -1;
}

::testing::AssertionResult RegistryInstance::restart() {
  stop();
  return start();
}

::testing::AssertionResult RegistryInstance::kill9_and_restart() {
  kill9();
  return start();
}

std::string RegistryInstance::base_url() const {
  return (options_.ca_file.empty() ? "http://127.0.0.1:" : "https://127.0.0.1:") + std::to_string(port_);
}

std::string RegistryInstance::log_tail(std::size_t max_bytes) const {
  if (log_file_.empty()) return {};
  std::string log = read_file(log_file_);
  return log.size() > max_bytes ? "..." + log.substr(log.size() - max_bytes) : log;
}

std::map<std::string, std::uintmax_t> snapshot_tree(const fs::path& root,
                                                    const std::vector<fs::path>& excluded) {
  std::map<std::string, std::uintmax_t> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    bool skip = false;
    for (const auto& path : excluded) skip = skip || it->path() == path;
    if (skip) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    std::error_code size_error;
    out[fs::relative(it->path(), root).string()] = it->is_regular_file() ? it->file_size(size_error) : 0;
  }
  return out;
}

std::string unique_repo(std::string_view suffix) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = "it/";
  name += info == nullptr ? "none" : lowercase_alnum(info->test_suite_name());
  name += '/';
  name += info == nullptr ? "none" : lowercase_alnum(info->name());
  name += '-';
  name += random_hex(8);
  if (!suffix.empty()) {
    name += '/';
    name += suffix;
  }
  return name;
}

std::string admin_authorization_line() {
  const std::string credentials = std::string("admin:") + kAdminPassword;
  std::string encoded(4 * ((credentials.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                          reinterpret_cast<const unsigned char*>(credentials.data()),
                          static_cast<int>(credentials.size()));
  encoded.resize(static_cast<std::size_t>(n));
  return "Authorization: Basic " + encoded + "\r\n";
}

std::unique_ptr<RegistryInstance> RegistryTest::shared_;
std::string RegistryTest::setup_error_;

void RegistryTest::SetUpTestSuite() {
  setup_error_.clear();
  shared_ = RegistryInstance::from_environment(&setup_error_);
}

void RegistryTest::TearDownTestSuite() {
  shared_.reset();
}

void RegistryTest::SetUp() {
  if (!shared_) GTEST_FAIL() << "no registry to test: " << setup_error_;
  client_ = std::make_unique<HttpClient>(shared_->url());
  client_->set_basic_auth("admin", kAdminPassword);
}

void DedicatedBerthTest::SetUp() {
  if (using_external_registry()) GTEST_SKIP() << "Berth-specific test; REGISTRY_URL is set";
  std::string error;
  instance_ = RegistryInstance::spawn_berth(&error);
  if (!instance_) GTEST_FAIL() << "cannot start berth: " << error;
  client_ = std::make_unique<HttpClient>(instance_->url());
  client_->set_basic_auth("admin", kAdminPassword);
}

void DedicatedBerthTest::TearDown() {
  client_.reset();
  instance_.reset();
}

void DedicatedBerthTest::reconnect() {
  client_ = std::make_unique<HttpClient>(instance_->url());
  client_->set_basic_auth("admin", kAdminPassword);
}

std::filesystem::path blob_file(const std::filesystem::path& data_dir, const std::string& digest) {
  const std::string hex = digest.substr(digest.find(':') + 1);
  return data_dir / "blobs" / "sha256" / hex.substr(0, 2) / hex;
}

}  // namespace berth::integration
