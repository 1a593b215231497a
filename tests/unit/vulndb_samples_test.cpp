// The non-Debian samples end to end: real package databases and files read through the
// inventory, matched against the real advisories of tests/data/vulndb-sample, giving the
// findings those advisories say.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "image/layers.h"
#include "inventory/inventory.h"
#include "vulndb/database.h"
#include "vulndb/importers.h"
#include "vulndb/match.h"

namespace berth::vulndb {
namespace {

namespace fs = std::filesystem;
const fs::path kData = fs::path(BERTH_TEST_DATA);
const fs::path kSample = kData / "vulndb-sample";

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class Samples : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("berth-vulndb-samples-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "rootfs");
    auto db = Database::open((dir_ / "vulndb.sqlite").string());
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(*db);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void import(const fs::path& path) {
    auto format = detect_format(path);
    ASSERT_TRUE(format.ok()) << format.error().message;
    auto advisories = import_any(path, *format);
    ASSERT_TRUE(advisories.ok()) << advisories.error().message;
    ASSERT_TRUE(db_->import(path.string(), path.string(), *advisories).ok());
  }

  // A file of the root filesystem under test.
  void put(const std::string& path, const std::string& content, fs::perms perms = fs::perms::owner_read) {
    const fs::path full = dir_ / "rootfs" / path;
    fs::create_directories(full.parent_path());
    std::ofstream(full, std::ios::binary) << content;
    fs::permissions(full, perms | fs::perms::owner_read);
  }

  inventory::Inventory inventory() {
    auto snapshot = image::read_directory(dir_ / "rootfs", inventory::selector());
    EXPECT_TRUE(snapshot.ok()) << snapshot.error().message;
    auto inv = inventory::analyze(*snapshot);
    EXPECT_TRUE(inv.ok()) << inv.error().message;
    return std::move(*inv);
  }

  // "package id fixed" per finding.
  std::set<std::string> findings(const inventory::Inventory& inv) {
    auto found = match(*db_, inv);
    EXPECT_TRUE(found.ok()) << found.error().message;
    std::set<std::string> out;
    for (const auto& f : *found) out.insert(f.package.name + " " + f.vuln_id + " " + f.fixed_version);
    return out;
  }

  fs::path dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(Samples, AlpineSecdbAgainstARealApkDatabase) {
  import(kSample / "alpine" / "alpine-secdb");
  put("lib/apk/db/installed", read_file(kSample / "alpine" / "installed-3.18" / "lib/apk/db/installed"));
  put("etc/os-release", "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.11.6\n");
  auto inv = inventory();
  ASSERT_EQ(inv.packages.size(), 15u);
  // These 3.18 versions are newer than every 3.11 fix.
  EXPECT_TRUE(findings(inv).empty());
  // What if musl and openssl were older: the secdb's fixes above them apply, those below not.
  for (auto& p : inv.packages) {
    if (p.source_name == "musl") p.version = p.source_version = "1.1.23-r1";
    if (p.source_name == "openssl") p.version = p.source_version = "1.1.1d-r2";
  }
  const auto found = findings(inv);
  EXPECT_TRUE(found.count("musl CVE-2019-14697 1.1.23-r2"));
  EXPECT_TRUE(found.count("musl-utils CVE-2019-14697 1.1.23-r2"));
  EXPECT_FALSE(found.count("musl CVE-2016-8859 1.1.15-r4"));
  EXPECT_TRUE(found.count("libcrypto3 CVE-2019-1551 1.1.1d-r3"));
  EXPECT_TRUE(found.count("libssl3 CVE-2019-1551 1.1.1d-r3"));
  for (const auto& f : found) EXPECT_EQ(f.find("CVE-2019-1547"), std::string::npos) << f;
  for (const auto& f : found) EXPECT_EQ(f.find("busybox"), std::string::npos) << f;
}

TEST_F(Samples, AlmaLinuxAdvisoriesAgainstARealRpmDatabase) {
  import(kSample / "alma" / "almalinux9");
  put("var/lib/rpm/rpmdb.sqlite", read_file(kData / "rpm" / "rpmdb.sqlite"));
  put("etc/os-release", "NAME=\"AlmaLinux\"\nID=\"almalinux\"\nVERSION_ID=\"9.3\"\n");
  const auto found = findings(inventory());
  // openssl-libs 1:3.0.1-41.el9_0: every ALSA fixing it later applies, not the one fixed at it;
  // bash 5.1.8-6.el9_1 is exactly ALSA-2023:0340's fix; tzdata has none.
  const std::set<std::string> expected = {
      "openssl-libs ALSA-2022:7288 1:3.0.1-43.el9_0",  "openssl-libs ALSA-2023:0946 1:3.0.1-47.el9_1",
      "openssl-libs ALSA-2023:2523 1:3.0.7-6.el9_2",   "openssl-libs ALSA-2023:3722 1:3.0.7-16.el9_2",
      "openssl-libs ALSA-2024:0310 1:3.0.7-25.el9_3",  "openssl-libs ALSA-2024:2447 1:3.0.7-27.el9",
      "openssl-libs ALSA-2024:6783 1:3.0.7-28.el9_4",  "openssl-libs ALSA-2024:9333 1:3.2.2-6.el9_5",
      "openssl-libs ALSA-2025:1330 1:3.2.2-6.el9_5.1", "openssl-libs ALSA-2025:21255 1:3.5.1-4.el9_7",
      "openssl-libs ALSA-2026:1473 1:3.5.1-7.el9_7",   "openssl-libs ALSA-2026:19218 1:3.5.5-2.el9_8",
      "openssl-libs ALSA-2026:22312 1:3.5.5-3.el9_8",  "openssl-libs ALSA-2026:25239 1:3.5.5-4.el9_8"};
  EXPECT_EQ(found, expected);
}

TEST_F(Samples, GoVulndbAgainstARealGoBinary) {
  import(kSample / "lang" / "go");
  put("usr/local/bin/hello", read_file(kData / "gobinary" / "hello-go1.19"), fs::perms::owner_exec);
  auto inv = inventory();
  bool stdlib = false;
  for (const auto& p : inv.packages) stdlib = stdlib || (p.name == "stdlib" && p.version == "1.19.8");
  ASSERT_TRUE(stdlib) << "the binary's standard library (go1.19.8) was not found";
  const auto found = findings(inv);
  // GO-2025-3373: stdlib from 0, fixed in 1.22.11 (and 1.23.5): go1.19.8 has it.
  EXPECT_TRUE(found.count("stdlib GO-2025-3373 1.22.11")) << found.size();
  EXPECT_TRUE(found.count("stdlib GO-2025-3503 1.23.7"));
}

TEST_F(Samples, PyPiAndNpmAdvisoriesAgainstInstalledPackages) {
  import(kSample / "lang" / "pypi");
  import(kSample / "lang" / "npm");
  put("usr/lib/python3/site-packages/requests-2.2.0.dist-info/METADATA",
      "Metadata-Version: 2.1\nName: requests\nVersion: 2.2.0\n\n");
  put("app/node_modules/lodash/package.json", R"({"name": "lodash", "version": "4.17.4"})");
  const auto found = findings(inventory());
  EXPECT_TRUE(found.count("requests PYSEC-2014-13 2.3.0"));
  EXPECT_TRUE(found.count("lodash CVE-2018-3721 4.17.5"));
  EXPECT_TRUE(found.count("lodash CVE-2018-16487 4.17.11"));
  for (const auto& f : found) EXPECT_EQ(f.find("NSWG-ECO-516"), std::string::npos) << f;  // >= 4.17.15 only
}

// Ubuntu's OSV data names source packages under "Ubuntu:<release>:LTS"; an Ubuntu image's
// dpkg database and os-release find them.
TEST_F(Samples, UbuntuOsvAgainstAnUbuntuDpkgDatabase) {
  const fs::path osv = dir_ / "ubuntu-osv";
  fs::create_directories(osv);
  std::ofstream(osv / "USN-9999-1.json")
      << R"({"id": "UBUNTU-CVE-2099-0001", "modified": "2099-01-01T00:00:00Z",
    "affected": [{"package": {"ecosystem": "Ubuntu:22.04:LTS", "name": "openssl"},
                  "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.2-0ubuntu1.12"}]}]}]})";
  import(osv);
  put("etc/os-release", "NAME=\"Ubuntu\"\nID=ubuntu\nVERSION_ID=\"22.04\"\nVERSION_CODENAME=jammy\n");
  put("var/lib/dpkg/status",
      "Package: libssl3\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl\n"
      "Version: 3.0.2-0ubuntu1.10\n\n");
  EXPECT_EQ(findings(inventory()), std::set<std::string>{"libssl3 UBUNTU-CVE-2099-0001 3.0.2-0ubuntu1.12"});
}

}  // namespace
}  // namespace berth::vulndb
