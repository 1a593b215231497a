// Harbor's pluggable scanner API on a real Berth: started with scanner.adapter.enabled and a
// secret, its vulnerability database loaded with the sample Debian tracker, and an image holding
// a real bookworm dpkg status pushed to it. Berth is then asked, through /api/v1, to scan that
// image from its own registry (as Harbor would ask harbor-scanner-trivy), and Berth's
// ExternalScanner client drives the same adapter. Skips when REGISTRY_URL is set.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>
#include <thread>

#include "http_client.h"
#include "oci_content.h"
#include "registry_fixture.h"
#include "scan/external.h"
#include "test_archives.h"

#ifndef BERTH_TEST_DATA
#define BERTH_TEST_DATA "tests/data"
#endif

namespace berth::integration {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kSecret = "harbor-to-berth-secret";
constexpr std::string_view kReportType = "application/vnd.security.vulnerability.report; version=1.1";

fs::path sample_dir() {
  return fs::path(BERTH_TEST_DATA) / "vulndb-sample" / "debian";
}

// A one-layer OCI image whose layer is the sample bookworm rootfs (os-release, dpkg status).
Image debian_image() {
  const fs::path root = sample_dir() / "rootfs-bookworm-minbase";
  const std::string tar = tar_of({{"etc/os-release", read_file(root / "etc/os-release")},
                                  {"usr/lib/os-release", read_file(root / "usr/lib/os-release")},
                                  {"etc/debian_version", read_file(root / "etc/debian_version")},
                                  {"var/lib/dpkg/status", read_file(root / "var/lib/dpkg/status")}});
  return make_layer_image(gzip_of(tar), kOciLayer, sha256_digest(tar));
}

// "codename<TAB>package<TAB>version" lines from bookworm-source-versions.tsv, as
//   awk -F'\t' 'NR>1{for(i=2;i<=NF;i++) if($i!="") print "bookworm\t"$1"\t"$i}'
// makes them.
std::string debian_sources() {
  std::istringstream in(read_file(sample_dir() / "rootfs-bookworm-minbase" / "bookworm-source-versions.tsv"));
  std::string out;
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    if (header) {
      header = false;
      continue;
    }
    std::vector<std::string> fields;
    std::size_t start = 0;
    for (;;) {
      const auto tab = line.find('\t', start);
      fields.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    for (std::size_t i = 1; i < fields.size(); ++i) {
      if (!fields[i].empty()) out += "bookworm\t" + fields[0] + "\t" + fields[i] + "\n";
    }
  }
  return out;
}

std::string admin_basic() {
  const std::string line = admin_authorization_line();  // "Authorization: Basic ...\r\n"
  return line.substr(std::string_view("Authorization: ").size(), line.size() - 17);
}

HeaderList with_secret(HeaderList headers = {}) {
  headers.emplace_back("Authorization", std::string("Bearer ") + kSecret);
  return headers;
}

class ScannerAdapterTest : public ::testing::Test {
 public:
  static void SetUpTestSuite() {
    error_.clear();
    if (using_external_registry()) return;
    BerthOptions options;
    options.environment["BERTH_SCANNER_ADAPTER_ENABLED"] = "true";
    options.environment["BERTH_SCANNER_ADAPTER_SECRET"] = kSecret;
    instance_ = RegistryInstance::prepare_berth(&error_, options);
    if (!instance_) return;
    // The sample Debian tracker into the server's vulnerability database, before it starts.
    const fs::path tsv = instance_->scratch_dir() / "debian-sources.tsv";
    {
      std::ofstream out(tsv, std::ios::binary);
      out << debian_sources();
    }
    std::string output;
    const int status =
        run_berth_command({"vulndb", "import", "--data", instance_->data_dir().string(), "--debian-sources",
                           tsv.string(), (sample_dir() / "vuln-list-debian" / "tracker").string()},
                          &output);
    if (status != 0) {
      error_ = "berth vulndb import failed (" + std::to_string(status) + "): " + output;
      instance_.reset();
      return;
    }
    if (auto started = instance_->start(); !started) {
      error_ = started.message();
      instance_.reset();
      return;
    }
    // The image, pushed once for the suite.
    HttpClient client(instance_->url());
    client.set_basic_auth("admin", kAdminPassword);
    repository_ = std::string(kTestProject) + "/scanner/debian-" + random_hex(8);
    image_ = debian_image();
    if (!push_image(client, repository_, "bookworm", image_)) error_ = "pushing the test image failed";
  }
  static void TearDownTestSuite() { instance_.reset(); }

 protected:
  void SetUp() override {
    if (using_external_registry()) GTEST_SKIP() << "Berth-specific test; REGISTRY_URL is set";
    if (!instance_ || !error_.empty()) GTEST_FAIL() << "setup failed: " << error_;
    client_ = std::make_unique<HttpClient>(instance_->url());
  }

  std::string scan_request(std::string authorization) const {
    json::object registry{{"url", instance_->url()}};
    if (!authorization.empty()) registry["authorization"] = authorization;
    return json::serialize(json::object{{"registry", std::move(registry)},
                                        {"artifact",
                                         {{"repository", repository_},
                                          {"digest", image_.digest},
                                          {"tag", "bookworm"},
                                          {"mime_type", kOciManifest}}}});
  }

  // POST /api/v1/scan: the id (a gtest failure and "" unless 202).
  std::string submit(const std::string& body) {
    Response r = client_->post(
        "/api/v1/scan", body,
        with_secret({{"Content-Type", "application/vnd.scanner.adapter.scan.request+json; version=1.0"},
                     {"Accept", "application/vnd.scanner.adapter.scan.response+json; version=1.0"}}));
    EXPECT_EQ(r.status, 202) << r;
    auto v = parse_json(r.body);
    if (!v || !v->is_object() || !v->as_object().contains("id") || !v->at("id").is_string()) return "";
    return std::string(v->at("id").as_string());
  }

  // Polls the report as Harbor does until it is not 302 (at most 60 s).
  Response poll(const std::string& id, std::string_view accept = kReportType, std::string query = "") {
    Response r;
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
      r = client_->get("/api/v1/scan/" + id + "/report" + query,
                       with_secret({{"Accept", std::string(accept)}}));
      if (r.status != 302) break;
      EXPECT_FALSE(r.header("Refresh-After").empty()) << r;
      std::this_thread::sleep_for(100ms);
    }
    return r;
  }

  static std::unique_ptr<RegistryInstance> instance_;
  static std::string error_;
  static std::string repository_;
  static Image image_;
  std::unique_ptr<HttpClient> client_;
};

std::unique_ptr<RegistryInstance> ScannerAdapterTest::instance_;
std::string ScannerAdapterTest::error_;
std::string ScannerAdapterTest::repository_;
Image ScannerAdapterTest::image_;

// The report's findings, checked against the sample's expected Trivy-algorithm result.
void expect_debian_report(const json::value& report, const std::string& repository,
                          const std::string& digest) {
  ASSERT_TRUE(report.is_object());
  EXPECT_EQ(report.at("artifact").at("repository").as_string(), repository);
  EXPECT_EQ(report.at("artifact").at("digest").as_string(), digest);
  EXPECT_EQ(report.at("artifact").at("mime_type").as_string(), kOciManifest);
  EXPECT_EQ(report.at("scanner").at("name").as_string(), "Berth");
  const auto& items = report.at("vulnerabilities").as_array();
  EXPECT_EQ(items.size(), 41u);
  bool apt = false;
  for (const auto& item : items) {
    if (item.at("id").as_string() == "CVE-2011-3374" && item.at("package").as_string() == "apt") {
      apt = true;
      EXPECT_EQ(item.at("severity").as_string(), "Low");
      EXPECT_EQ(item.at("version").as_string(), "2.6.1");
    }
    // Fixed in bookworm: must not be reported.
    EXPECT_NE(item.at("id").as_string(), "CVE-2023-4911");
    EXPECT_NE(item.at("id").as_string(), "CVE-2024-3094");
  }
  EXPECT_TRUE(apt) << "CVE-2011-3374 for apt is missing";
}

TEST_F(ScannerAdapterTest, Metadata) {
  Response r =
      client_->get("/api/v1/metadata",
                   with_secret({{"Accept", "application/vnd.scanner.adapter.metadata+json; version=1.0"}}));
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.header("Content-Type"), "application/vnd.scanner.adapter.metadata+json; version=1.0");
  auto v = parse_json(r.body);
  ASSERT_TRUE(v && v->is_object()) << r;
  EXPECT_EQ(v->at("scanner").at("name").as_string(), "Berth");
  EXPECT_EQ(v->at("scanner").at("vendor").as_string(), "Berth");
  EXPECT_FALSE(v->at("scanner").at("version").as_string().empty());
  const auto& capabilities = v->at("capabilities").as_array();
  ASSERT_FALSE(capabilities.empty());
  const auto& vulnerability = capabilities[0].as_object();
  EXPECT_EQ(vulnerability.at("consumes_mime_types").as_array(), (json::array{kOciManifest, kDockerManifest}));
  EXPECT_EQ(vulnerability.at("produces_mime_types").as_array(), json::array{kReportType});
  const auto& properties = v->at("properties").as_object();
  EXPECT_EQ(properties.at("harbor.scanner-adapter/scanner-type").as_string(), "os-package-vulnerability");
  EXPECT_TRUE(properties.contains("harbor.scanner-adapter/vulnerability-database-updated-at")) << r.body;
}

TEST_F(ScannerAdapterTest, WrongOrMissingSecretIs401) {
  for (const HeaderList& headers : {HeaderList{}, HeaderList{{"Authorization", "Bearer wrong"}},
                                    HeaderList{{"Authorization", admin_basic()}}}) {
    Response r = client_->get("/api/v1/metadata", headers);
    EXPECT_EQ(r.status, 401) << r;
    auto v = parse_json(r.body);
    ASSERT_TRUE(v && v->is_object()) << r;
    EXPECT_TRUE(v->at("error").at("message").is_string());
  }
  Response post =
      client_->post("/api/v1/scan", scan_request(admin_basic()), {{"Authorization", "Bearer nope"}});
  EXPECT_EQ(post.status, 401) << post;
}

TEST_F(ScannerAdapterTest, UnknownIdIs404) {
  Response r = client_->get("/api/v1/scan/3fa85f64-5717-4562-b3fc-2c963f66afa6/report",
                            with_secret({{"Accept", std::string(kReportType)}}));
  EXPECT_EQ(r.status, 404) << r;
  auto v = parse_json(r.body);
  ASSERT_TRUE(v && v->is_object()) << r;
  EXPECT_TRUE(v->at("error").at("message").is_string());
}

TEST_F(ScannerAdapterTest, InvalidRequestIs422) {
  Response r = client_->post(
      "/api/v1/scan", R"({"registry":{"url":"http://x"},"artifact":{"repository":"a"}})", with_secret());
  EXPECT_EQ(r.status, 422) << r;
}

TEST_F(ScannerAdapterTest, ScansAnImageFromItsOwnRegistry) {
  const std::string id = submit(scan_request(admin_basic()));
  ASSERT_FALSE(id.empty());
  Response r = poll(id);
  ASSERT_EQ(r.status, 200) << r << "\n" << instance_->log_tail();
  EXPECT_EQ(r.header("Content-Type"), kReportType);
  auto report = parse_json(r.body);
  ASSERT_TRUE(report) << r;
  expect_debian_report(*report, repository_, image_.digest);

  // The same scan's SBOM (spec v1.2).
  Response sbom = poll(id, "application/vnd.security.sbom.report+json; version=1.0",
                       "?sbom_media_type=application%2Fvnd.cyclonedx%2Bjson");
  ASSERT_EQ(sbom.status, 200) << sbom;
  auto document = parse_json(sbom.body);
  ASSERT_TRUE(document && document->is_object()) << sbom;
  EXPECT_EQ(document->at("media_type").as_string(), "application/vnd.cyclonedx+json");
  EXPECT_EQ(document->at("sbom").at("bomFormat").as_string(), "CycloneDX");
  EXPECT_GE(document->at("sbom").at("components").as_array().size(), 88u);
}

TEST_F(ScannerAdapterTest, ScanWithoutRegistryCredentialsFails) {
  // The project is private: anonymous pulls get a token without access, so the scan fails
  // and the report says why (500 with the error body).
  const std::string id = submit(scan_request(""));
  ASSERT_FALSE(id.empty());
  Response r = poll(id);
  EXPECT_EQ(r.status, 500) << r;
  auto v = parse_json(r.body);
  ASSERT_TRUE(v && v->is_object()) << r;
  EXPECT_NE(std::string(v->at("error").at("message").as_string()).find("refused"), std::string::npos)
      << r.body;
}

TEST_F(ScannerAdapterTest, ExternalScannerClientAgainstBerth) {
  scan::ExternalOptions options;
  options.url = instance_->url();
  options.secret = kSecret;
  options.timeout = 60s;
  scan::ExternalScanner scanner(options);
  auto metadata = scanner.metadata();
  ASSERT_TRUE(metadata.ok()) << metadata.error().message;
  EXPECT_EQ(metadata->name, "Berth");
  EXPECT_EQ(metadata->report_media_type, kReportType);

  scan::ExternalTarget target{instance_->url(), admin_basic(), repository_,
                              image_.digest,    "bookworm",    std::string(kOciManifest)};
  auto report = scanner.scan(target);
  ASSERT_TRUE(report.ok()) << report.error().message;
  auto v = parse_json(*report);
  ASSERT_TRUE(v);
  expect_debian_report(*v, repository_, image_.digest);

  options.secret = "wrong";
  auto refused = scan::ExternalScanner(options).metadata();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, base::Errc::invalid_argument);
}

// A second Berth configured with scanner.external.url scans through this one's adapter: the
// adapter pulls the image from the second Berth with the short-lived pull token it is given.
TEST_F(ScannerAdapterTest, ABerthWithAnExternalScanner) {
  BerthOptions options;
  options.environment["BERTH_SCANNER_EXTERNAL_URL"] = instance_->url();
  options.environment["BERTH_SCANNER_EXTERNAL_SECRET"] = kSecret;
  std::string error;
  auto other = RegistryInstance::spawn_berth(&error, options);
  ASSERT_TRUE(other) << error;
  HttpClient client(other->url());
  client.set_basic_auth("admin", kAdminPassword);
  const std::string repository = std::string(kTestProject) + "/external/debian";
  ASSERT_TRUE(push_image(client, repository, "bookworm", image_));
  const std::string artifact = "/api/v2.0/projects/" + std::string(kTestProject) +
                               "/repositories/external%252Fdebian/artifacts/bookworm";
  Response queued = client.post(artifact + "/scan", "", {});
  ASSERT_EQ(queued.status, 202) << queued;
  std::string status;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  json::value overview;
  while (std::chrono::steady_clock::now() < deadline) {
    Response r = client.get(artifact + "?with_scan_overview=true");
    ASSERT_EQ(r.status, 200) << r;
    auto v = parse_json(r.body);
    ASSERT_TRUE(v && v->is_object());
    const auto* o = v->as_object().if_contains("scan_overview");
    if (o != nullptr && o->is_object() && o->as_object().contains(kReportType)) {
      overview = o->at(kReportType);
      status = std::string(overview.at("scan_status").as_string());
      if (status == "Success" || status == "Error") break;
    }
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(status, "Success") << overview << "\n" << other->log_tail() << "\n" << instance_->log_tail();
  EXPECT_EQ(overview.at("summary").at("total").as_int64(), 41);
  Response report = client.get(artifact + "/additions/vulnerabilities");
  ASSERT_EQ(report.status, 200) << report;
  auto v = parse_json(report.body);
  ASSERT_TRUE(v && v->is_object() && v->as_object().contains(kReportType)) << report;
  expect_debian_report(v->at(kReportType), repository, image_.digest);
  // An SBOM needs the built-in scanner.
  Response sbom =
      client.post(artifact + "/scan", R"({"scan_type":"sbom"})", {{"Content-Type", "application/json"}});
  EXPECT_EQ(sbom.status, 400) << sbom;
}

// Nothing answers at /api/v1 unless the configuration enables the adapter.
TEST(ScannerAdapterDisabled, OffByDefault) {
  if (using_external_registry()) GTEST_SKIP() << "Berth-specific test; REGISTRY_URL is set";
  std::string error;
  auto instance = RegistryInstance::spawn_berth(&error);
  ASSERT_TRUE(instance) << error;
  HttpClient client(instance->url());
  Response r = client.get("/api/v1/metadata", with_secret());
  EXPECT_EQ(r.status, 404) << r;
}

}  // namespace
}  // namespace berth::integration
