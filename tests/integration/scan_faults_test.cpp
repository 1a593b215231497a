// Images a scanner must not trust, pushed to a real Berth and scanned through Harbor's API: a
// layer that is no archive, paths and hard links out of the root, symlinks to the host's files,
// a decompression bomb, a corrupt package database. Each scan ends in Error with its reason in
// the scan log (or, for symlinks, reads nothing of the host), once and without retries, and the
// server goes on serving and scanning. Skips when REGISTRY_URL is set.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <thread>

#include "harbor_api.h"
#include "http_client.h"
#include "oci_content.h"
#include "registry_fixture.h"
#include "test_archives.h"

namespace berth::integration {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

constexpr std::string_view kReportType = "application/vnd.security.vulnerability.report; version=1.1";
constexpr const char* kDebianRelease =
    "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\n"
    "VERSION_CODENAME=bookworm\nID=debian\n";
constexpr const char* kDpkgStatus =
    "Package: base-files\nStatus: install ok installed\nArchitecture: amd64\nVersion: 12.4+deb12u5\n\n";

class ScanFaultsTest : public ::testing::Test {
 public:
  static void SetUpTestSuite() {
    error_.clear();
    if (using_external_registry()) return;
    instance_ = RegistryInstance::spawn_berth(&error_);
  }
  static void TearDownTestSuite() { instance_.reset(); }

 protected:
  void SetUp() override {
    if (using_external_registry()) GTEST_SKIP() << "Berth-specific test; REGISTRY_URL is set";
    if (!instance_) GTEST_FAIL() << "setup failed: " << error_;
    client_ = std::make_unique<HttpClient>(instance_->url());
    client_->set_basic_auth("admin", kAdminPassword);
  }

  // Pushes `image` as <project>/faults/<name>:latest; returns the artifact's API path.
  std::string push(const std::string& name, const Image& image) {
    const std::string repository = "faults/" + name;
    EXPECT_TRUE(push_image(*client_, std::string(kTestProject) + "/" + repository, "latest", image));
    return repository_api_path(kTestProject, repository) + "/artifacts/" + image.digest;
  }

  // Asks for a scan (`body` as POST .../scan takes it) and waits for its end; returns the
  // scan overview.
  json::value scan(const std::string& artifact, const std::string& body = "") {
    Response queued = client_->post(artifact + "/scan", body, {{"Content-Type", "application/json"}});
    EXPECT_EQ(queued.status, 202) << queued;
    json::value overview;
    const auto deadline = std::chrono::steady_clock::now() + 90s;
    while (std::chrono::steady_clock::now() < deadline) {
      Response r = client_->get(artifact + "?with_scan_overview=true");
      EXPECT_EQ(r.status, 200) << r;
      json::value v = json_of(r);
      const auto* o = v.is_object() ? v.as_object().if_contains("scan_overview") : nullptr;
      if (o != nullptr && o->is_object() && o->as_object().contains(kReportType)) {
        overview = o->at(kReportType);
        const std::string status = text_of(overview, "scan_status");
        if (status == "Success" || status == "Error") break;
      }
      std::this_thread::sleep_for(100ms);
    }
    return overview;
  }

  // The scan log of `artifact` for the overview's report.
  std::string log_of(const std::string& artifact, const json::value& overview) {
    Response r = client_->get(artifact + "/scan/" + text_of(overview, "report_id") + "/log");
    EXPECT_EQ(r.status, 200) << r;
    EXPECT_EQ(r.header("Content-Type"), "text/plain; charset=utf-8") << r;
    return r.body;
  }

  // Scans an image that must fail and checks the failure: status Error, the reason in the
  // log, no report, one attempt of the job, and the server still healthy.
  void expect_failed_scan(const std::string& name, const Image& image, std::string_view reason) {
    const std::string artifact = push(name, image);
    json::value overview = scan(artifact);
    ASSERT_EQ(text_of(overview, "scan_status"), "Error") << overview << "\n" << instance_->log_tail();
    const std::string log = log_of(artifact, overview);
    EXPECT_NE(log.find("[ERROR]"), std::string::npos) << log;
    EXPECT_NE(log.find(reason), std::string::npos) << "the log does not say \"" << reason << "\":\n" << log;
    Response report = client_->get(artifact + "/additions/vulnerabilities");
    EXPECT_EQ(report.status, 200) << report;
    EXPECT_EQ(report.body, "{}");

    Response jobs = client_->get("/api/v2.0/jobservice/jobs?q=kind%3Dscan&page_size=100");
    ASSERT_EQ(jobs.status, 200) << jobs;
    bool found = false;
    const json::value listed = json_of(jobs);
    ASSERT_TRUE(listed.is_array()) << jobs;
    for (const auto& job : listed.as_array()) {
      if (text_of(job, "dedupe_key") != "scan:" + image.digest) continue;
      found = true;
      EXPECT_EQ(text_of(job, "state"), "failed") << job;
      EXPECT_EQ(int_of(job, "attempts"), 1) << "a fault of the image is not retried: " << job;
      EXPECT_NE(text_of(job, "error").find(reason), std::string::npos) << job;
    }
    EXPECT_TRUE(found) << jobs.body;

    Response health = client_->get("/healthz");
    EXPECT_EQ(health.status, 200) << health;
  }

  static std::unique_ptr<RegistryInstance> instance_;
  static std::string error_;
  std::unique_ptr<HttpClient> client_;
};

std::unique_ptr<RegistryInstance> ScanFaultsTest::instance_;
std::string ScanFaultsTest::error_;

TEST_F(ScanFaultsTest, ALayerThatIsNoArchive) {
  expect_failed_scan("garbage", make_layer_image(random_bytes(4096), kOciLayer),
                     "is not a readable tar archive");
  // Gzip in name only: the bytes are plain text.
  expect_failed_scan("not-gzip", make_layer_image("just some text, not a tar\n", kOciLayer),
                     "is not a readable tar archive");
}

TEST_F(ScanFaultsTest, APathOutOfTheRootNothingWrittenThere) {
  const fs::path escape = fs::temp_directory_path() / ("berth-escape-" + random_hex(12));
  const std::string relative = "../../../../../../../../.." + escape.string();
  const std::string tar = tar_of({{"etc/os-release", kDebianRelease}, {relative, "escaped\n"}});
  expect_failed_scan("dotdot", make_layer_image(gzip_of(tar)), "leaves the root");
  EXPECT_FALSE(fs::exists(escape)) << escape;
}

TEST_F(ScanFaultsTest, AHardLinkOutOfTheRoot) {
  const std::string tar = tar_of(
      {{"etc/os-release", kDebianRelease}, TarEntry::hardlink("var/lib/dpkg/status", "../../../etc/shadow")});
  expect_failed_scan("hardlink", make_layer_image(gzip_of(tar)), "leaves the root");
}

TEST_F(ScanFaultsTest, ADecompressionBomb) {
  // 1.5 GiB of zeros in about 1.5 MiB: beyond 1 GiB, more than 200 times the compressed size.
  expect_failed_scan("bomb", make_layer_image(gzip_tar_of_zeros("zeros", 1536ull << 20)),
                     "decompression bomb");
}

TEST_F(ScanFaultsTest, ACorruptPackageDatabase) {
  const std::string tar =
      tar_of({{"etc/os-release", kDebianRelease},
              {"var/lib/dpkg/status", std::string("Package: x\n\x01\x02\0\xff binary", 21)}});
  expect_failed_scan("corrupt-dpkg", make_layer_image(gzip_of(tar)), "var/lib/dpkg/status: binary data");
}

// Symlinks whose targets are the host's own files are never followed: the scan succeeds and
// finds neither the host's OS nor its packages.
TEST_F(ScanFaultsTest, SymlinksToTheHostAreNotFollowed) {
  const std::string tar = tar_of({TarEntry::symlink("etc/os-release", "/etc/os-release"),
                                  TarEntry::symlink("usr/lib/os-release", "../../../../../etc/os-release"),
                                  TarEntry::symlink("var/lib/dpkg/status", "/var/lib/dpkg/status")});
  const std::string artifact = push("symlinks", make_layer_image(gzip_of(tar)));
  json::value overview = scan(artifact, R"({"scan_type":"sbom"})");
  ASSERT_EQ(text_of(overview, "scan_status"), "Success") << overview << "\n" << instance_->log_tail();
  Response sbom = client_->get(artifact + "/additions/sbom");
  ASSERT_EQ(sbom.status, 200) << sbom;
  json::value document = json_of(sbom);
  ASSERT_TRUE(document.is_object()) << sbom;
  const auto* components = document.as_object().if_contains("components");
  EXPECT_TRUE(components == nullptr || components->as_array().empty()) << sbom.body;
}

// After all of the above, the same server scans a sound image.
TEST_F(ScanFaultsTest, TheServerScansASoundImageAfterwards) {
  const std::string tar = tar_of({{"etc/os-release", kDebianRelease}, {"var/lib/dpkg/status", kDpkgStatus}});
  const std::string artifact = push("sound", make_layer_image(gzip_of(tar)));
  json::value overview = scan(artifact, R"({"scan_type":"sbom"})");
  ASSERT_EQ(text_of(overview, "scan_status"), "Success") << overview << "\n" << instance_->log_tail();
  // What the symlinked image lacks: the OS and its package.
  Response sbom = client_->get(artifact + "/additions/sbom");
  ASSERT_EQ(sbom.status, 200) << sbom;
  EXPECT_NE(sbom.body.find("\"name\":\"base-files\""), std::string::npos) << sbom.body;
  EXPECT_NE(sbom.body.find("\"operating-system\""), std::string::npos) << sbom.body;
  const std::string log = log_of(artifact, overview);
  EXPECT_NE(log.find("[INFO] finished"), std::string::npos) << log;
  EXPECT_EQ(log.find("[ERROR]"), std::string::npos) << log;
  Response other = client_->get(artifact + "/scan/sha256:" + std::string(64, '0') + "/log");
  EXPECT_TRUE(IsHarborError(other, 404)) << other;
}

}  // namespace
}  // namespace berth::integration
