// Vulnerability data downloaded from http URLs, as a production install gets it: by
// `berth vulndb import URL`, and by the server from its configured vulndb.sources on
// POST /api/v2.0/vulndb/update. The files are the sample's, served by a local FileServer as a
// .zip (OSV) and a .tar.gz (the Debian tracker); what a URL gives must equal what the same
// files give from disk. A source that is missing or unsafe fails the update, naming it, and
// takes nothing away. Skips when REGISTRY_URL is set.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "file_server.h"
#include "harbor_api.h"
#include "http_client.h"
#include "oci_content.h"
#include "registry_fixture.h"
#include "test_archives.h"

#ifndef BERTH_TEST_DATA
#define BERTH_TEST_DATA "tests/data"
#endif

namespace berth::integration {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

const fs::path kSample = fs::path(BERTH_TEST_DATA) / "vulndb-sample";

// Every regular file below `root`, named "<prefix><path relative to root>".
std::vector<TarEntry> files_below(const fs::path& root, const std::string& prefix) {
  std::vector<TarEntry> entries;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    entries.emplace_back(prefix + fs::relative(entry.path(), root).string(), read_file(entry.path()));
  }
  return entries;
}

// "N package advisories, M vulnerabilities" of the only source `berth vulndb info` lists.
std::string counts_of(const std::string& info) {
  static const std::regex counts(R"(: (\d+ package advisories, \d+ vulnerabilities))");
  std::smatch m;
  return std::regex_search(info, m, counts) ? m[1].str() : "(no counts in: " + info + ")";
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "berth-vulndb-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// What `berth vulndb import` of `what` (a path or a URL) into a new database says, and what
// `berth vulndb info` then says; the exit status of the import in *status.
std::pair<std::string, std::string> import_into_new(const std::string& what, const fs::path& data,
                                                    int* status) {
  std::string output;
  *status = run_berth_command({"vulndb", "import", "--data", data.string(), what}, &output);
  std::string info;
  run_berth_command({"vulndb", "info", "--data", data.string()}, &info);
  return {output, info};
}

class VulndbSourcesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (using_external_registry()) GTEST_SKIP() << "Berth-specific test; REGISTRY_URL is set";
    server_ = std::make_unique<FileServer>(std::map<std::string, std::string>{
        {"/go.zip", zip_of(files_below(kSample / "lang" / "go", ""))},
        {"/debian.tar.gz", gzip_of(tar_of(files_below(kSample / "debian" / "vuln-list-debian" / "tracker",
                                                      "vuln-list-debian/tracker/")))},
        {"/evil.tar.gz",
         gzip_of(tar_of({{"ok/CVE-1.json", "{}"}, {"../../../../.." + escape_.string(), "x"}}))},
    });
  }

  // The counts the sample directory gives when imported from disk.
  std::string counts_from_disk(const fs::path& dir) {
    TempDir data;
    int status = 0;
    auto [output, info] = import_into_new(dir.string(), data.path(), &status);
    EXPECT_EQ(status, 0) << output;
    return counts_of(info);
  }

  std::unique_ptr<FileServer> server_;
  const fs::path escape_ = fs::temp_directory_path() / ("berth-escape-" + random_hex(12));
};

TEST_F(VulndbSourcesTest, TheCommandImportsAUrlAsTheSameFilesFromDisk) {
  TempDir data;
  int status = 0;
  auto [output, info] = import_into_new(server_->url("/go.zip"), data.path(), &status);
  ASSERT_EQ(status, 0) << output;
  EXPECT_EQ(server_->requests("/go.zip"), 1);
  EXPECT_NE(info.find(server_->url("/go.zip")), std::string::npos) << info;
  EXPECT_EQ(counts_of(info), counts_from_disk(kSample / "lang" / "go"));
  EXPECT_TRUE(fs::is_empty(data.path() / "tmp")) << "the download is removed after the import";

  // A missing file: a clear failure, and the database as it was.
  std::string missing;
  EXPECT_EQ(run_berth_command({"vulndb", "import", "--data", data.path().string(), server_->url("/gone.zip")},
                              &missing),
            1);
  EXPECT_NE(missing.find(server_->url("/gone.zip")), std::string::npos) << missing;
  EXPECT_NE(missing.find("404"), std::string::npos) << missing;
  std::string after;
  run_berth_command({"vulndb", "info", "--data", data.path().string()}, &after);
  EXPECT_EQ(after, info);
}

class VulndbSourcesServerTest : public VulndbSourcesTest {
 protected:
  // A Berth whose vulndb.sources are `sources` (updated when it starts and on demand).
  void start(const std::vector<std::string>& sources) {
    std::string list;
    for (const auto& s : sources) list += (list.empty() ? "" : ",") + s;
    BerthOptions options;
    options.environment["BERTH_VULNDB_SOURCES"] = list;
    options.environment["BERTH_VULNDB_UPDATE_SCHEDULE"] = "";
    std::string error;
    instance_ = RegistryInstance::spawn_berth(&error, options);
    ASSERT_TRUE(instance_) << error;
    client_ = std::make_unique<HttpClient>(instance_->url());
    client_->set_basic_auth("admin", kAdminPassword);
  }

  // POST /vulndb/update, then waits for the update job to end; returns it.
  json::value update() {
    Response r = client_->post("/api/v2.0/vulndb/update", "", {});
    EXPECT_EQ(r.status, 202) << r;
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
      Response jobs = client_->get("/api/v2.0/jobservice/jobs?q=kind%3Dvulndb_update&page_size=1");
      json::value listed = json_of(jobs);
      if (listed.is_array() && !listed.as_array().empty()) {
        const std::string state = text_of(listed.as_array()[0], "state");
        if (state == "succeeded" || state == "failed") return listed.as_array()[0];
      }
      std::this_thread::sleep_for(100ms);
    }
    ADD_FAILURE() << "the update did not end\n" << instance_->log_tail();
    return {};
  }

  // GET /vulndb
  json::value database() {
    Response r = client_->get("/api/v2.0/vulndb");
    EXPECT_EQ(r.status, 200) << r;
    return json_of(r);
  }

  // The /vulndb entry of the source at `url` ("N package advisories, M vulnerabilities").
  std::string counts_of_source(const json::value& db, const std::string& url) {
    for (const auto& s : db.at("sources").as_array()) {
      if (text_of(s, "location") != url) continue;
      return std::to_string(*int_of(s, "package_advisories")) + " package advisories, " +
             std::to_string(*int_of(s, "vulnerabilities")) + " vulnerabilities";
    }
    return "(no source " + url + " in " + json::serialize(db) + ")";
  }

  std::unique_ptr<RegistryInstance> instance_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(VulndbSourcesServerTest, TheServerImportsItsConfiguredUrls) {
  const std::string go = server_->url("/go.zip");
  const std::string debian = server_->url("/debian.tar.gz");
  start({go, debian});
  json::value job = update();
  ASSERT_EQ(text_of(job, "state"), "succeeded") << job << "\n" << instance_->log_tail();
  json::value db = database();
  EXPECT_EQ(counts_of_source(db, go), counts_from_disk(kSample / "lang" / "go"));
  EXPECT_EQ(counts_of_source(db, debian),
            counts_from_disk(kSample / "debian" / "vuln-list-debian" / "tracker"));
  const auto version = int_of(db, "version");
  ASSERT_TRUE(version);

  // The same files again: downloaded again, nothing changed, the version stays. (The server
  // also updates once when it starts.)
  const int go_requests = server_->requests("/go.zip");
  const int debian_requests = server_->requests("/debian.tar.gz");
  EXPECT_GE(go_requests, 1);
  job = update();
  EXPECT_EQ(text_of(job, "state"), "succeeded") << job;
  EXPECT_EQ(server_->requests("/go.zip"), go_requests + 1);
  EXPECT_EQ(server_->requests("/debian.tar.gz"), debian_requests + 1);
  EXPECT_EQ(int_of(database(), "version"), version);
}

TEST_F(VulndbSourcesServerTest, BadSourcesFailTheUpdateNamingThemAndTakeNothingAway) {
  const std::string go = server_->url("/go.zip");
  const std::string gone = server_->url("/gone.tar.gz");
  const std::string evil = server_->url("/evil.tar.gz");
  start({gone, go, evil});
  json::value job = update();
  ASSERT_EQ(text_of(job, "state"), "failed") << job << "\n" << instance_->log_tail();
  EXPECT_EQ(int_of(job, "attempts"), 1) << job;
  const std::string error = text_of(job, "error");
  EXPECT_NE(error.find(gone), std::string::npos) << error;
  EXPECT_NE(error.find("404"), std::string::npos) << error;
  EXPECT_NE(error.find(evil + ": entry leaves the directory"), std::string::npos) << error;
  EXPECT_FALSE(fs::exists(escape_)) << escape_;
  // The good source is imported all the same; the bad ones add nothing.
  json::value db = database();
  EXPECT_EQ(db.at("sources").as_array().size(), 1u) << db;
  EXPECT_EQ(counts_of_source(db, go), counts_from_disk(kSample / "lang" / "go"));
  // No download is left behind.
  EXPECT_TRUE(fs::is_empty(instance_->data_dir() / "tmp")) << instance_->data_dir() / "tmp";
}

}  // namespace
}  // namespace berth::integration
