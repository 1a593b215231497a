// A scan of the sample Debian root filesystem, and the documents made from it: Harbor's
// vulnerability report, CycloneDX and SPDX SBOMs, and the stored inventory.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "inventory/inventory.h"
#include "scan/formats.h"
#include "scan/inventory_json.h"
#include "scan/scanner.h"
#include "vulndb/importers.h"

namespace berth::scan {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
const fs::path kDebian = fs::path(BERTH_TEST_DATA) / "vulndb-sample" / "debian";
const fs::path kRootfs = kDebian / "rootfs-bookworm-minbase";

std::vector<vulndb::SourceVersion> bookworm_sources() {
  std::vector<vulndb::SourceVersion> out;
  std::ifstream in(kRootfs / "bookworm-source-versions.tsv");
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string field;
    while (std::getline(ss, field, '\t')) f.push_back(field);
    for (std::size_t i = 1; i < f.size(); ++i) {
      if (!f[i].empty()) out.push_back({"bookworm", f[0], f[i]});
    }
  }
  return out;
}

class ScanOfSampleRootfs : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("berth-scan-formats-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    auto db = vulndb::Database::open((dir_ / "vulndb.sqlite").string());
    ASSERT_TRUE(db.ok());
    db_ = db->release();
    auto advisories = vulndb::import_debian_tracker(kDebian / "vuln-list-debian", bookworm_sources());
    ASSERT_TRUE(advisories.ok()) << advisories.error().message;
    ASSERT_TRUE(db_->import("debian", "sample", *advisories).ok());
    auto inventory = inventory_of_directory(kRootfs);
    ASSERT_TRUE(inventory.ok()) << inventory.error().message;
    auto report = assess(std::move(*inventory), *db_);
    ASSERT_TRUE(report.ok()) << report.error().message;
    report_ = new Report(std::move(*report));
  }
  static void TearDownTestSuite() {
    delete report_;
    delete db_;
    fs::remove_all(dir_);
  }

  static inline fs::path dir_;
  static inline vulndb::Database* db_ = nullptr;
  static inline Report* report_ = nullptr;
  const Subject subject_{"library/debian:bookworm", "sha256:" + std::string(64, 'a'),
                         "application/vnd.oci.image.manifest.v1+json"};
  const Tool tool_{"Berth", "Berth", "0.1.0"};
};

TEST_F(ScanOfSampleRootfs, HarborReportHasEveryFinding) {
  const json::value doc = json::parse(harbor_report(*report_, subject_, tool_));
  const auto& o = doc.as_object();
  EXPECT_EQ(o.at("severity").as_string(), "Low");
  EXPECT_EQ(o.at("artifact").as_object().at("digest").as_string(), subject_.digest);
  EXPECT_EQ(o.at("scanner").as_object().at("name").as_string(), "Berth");
  const auto& vulns = o.at("vulnerabilities").as_array();
  ASSERT_EQ(vulns.size(), 41u);
  bool apt = false;
  for (const auto& v : vulns) {
    const auto& item = v.as_object();
    for (const char* key : {"id", "package", "version", "fix_version", "severity", "description", "links"}) {
      EXPECT_TRUE(item.contains(key)) << key;
    }
    if (item.at("id").as_string() == "CVE-2011-3374" && item.at("package").as_string() == "apt") {
      apt = true;
      EXPECT_EQ(item.at("severity").as_string(), "Low");
      EXPECT_EQ(item.at("version").as_string(), "2.6.1");
      const auto& vendor = item.at("vendor_attributes").as_object();
      EXPECT_EQ(vendor.at("status").as_string(), "affected");
      EXPECT_EQ(vendor.at("package_type").as_string(), "dpkg");
      EXPECT_EQ(vendor.at("package_path").as_string(), "var/lib/dpkg/status");
      EXPECT_NE(item.at("links").as_array().size(), 0u);
    }
  }
  EXPECT_TRUE(apt);
}

TEST_F(ScanOfSampleRootfs, CycloneDxListsEveryPackageWithItsPurl) {
  const json::value doc = json::parse(cyclonedx(report_->inventory, subject_, tool_));
  const auto& o = doc.as_object();
  EXPECT_EQ(o.at("bomFormat").as_string(), "CycloneDX");
  EXPECT_EQ(o.at("specVersion").as_string(), "1.5");
  EXPECT_TRUE(o.at("serialNumber").as_string().starts_with("urn:uuid:"));
  EXPECT_EQ(o.at("metadata").as_object().at("component").as_object().at("type").as_string(), "container");
  const auto& components = o.at("components").as_array();
  ASSERT_EQ(components.size(), 89u);  // the OS and 88 packages
  EXPECT_EQ(components[0].as_object().at("type").as_string(), "operating-system");
  std::set<std::string> refs;
  bool libc = false;
  for (const auto& c : components) {
    refs.insert(std::string(c.as_object().at("bom-ref").as_string()));
    if (c.as_object().contains("purl") && c.as_object().at("name").as_string() == "libc6") {
      libc = true;
      EXPECT_TRUE(c.as_object().at("purl").as_string().starts_with("pkg:deb/debian/libc6@2.36-9"));
    }
  }
  EXPECT_EQ(refs.size(), components.size());  // bom-refs are unique
  EXPECT_TRUE(libc);
  const auto& depends = o.at("dependencies").as_array()[0].as_object().at("dependsOn").as_array();
  EXPECT_EQ(depends.size(), components.size());
}

TEST_F(ScanOfSampleRootfs, SpdxDescribesTheImageContainingEachPackage) {
  const json::value doc = json::parse(spdx(report_->inventory, subject_, tool_));
  const auto& o = doc.as_object();
  EXPECT_EQ(o.at("spdxVersion").as_string(), "SPDX-2.3");
  EXPECT_EQ(o.at("dataLicense").as_string(), "CC0-1.0");
  EXPECT_EQ(o.at("SPDXID").as_string(), "SPDXRef-DOCUMENT");
  EXPECT_TRUE(o.at("documentNamespace").as_string().starts_with("https://"));
  const auto& packages = o.at("packages").as_array();
  ASSERT_EQ(packages.size(), 90u);  // the image, the OS, 88 packages
  std::set<std::string> ids;
  for (const auto& p : packages) {
    const auto& pkg = p.as_object();
    ids.insert(std::string(pkg.at("SPDXID").as_string()));
    for (const char* key : {"name", "SPDXID", "downloadLocation"}) EXPECT_TRUE(pkg.contains(key)) << key;
  }
  EXPECT_EQ(ids.size(), packages.size());
  std::size_t contains = 0;
  for (const auto& r : o.at("relationships").as_array()) {
    const auto& rel = r.as_object();
    EXPECT_TRUE(ids.count(std::string(rel.at("relatedSpdxElement").as_string())) != 0);
    if (rel.at("relationshipType").as_string() == "CONTAINS") ++contains;
  }
  EXPECT_EQ(contains, 89u);
}

TEST_F(ScanOfSampleRootfs, InventoryRoundTripsAndReassessesAlike) {
  const std::string stored = encode_inventory(report_->inventory);
  auto decoded = decode_inventory(stored);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded->os.family, "debian");
  ASSERT_EQ(decoded->packages.size(), report_->inventory.packages.size());
  EXPECT_EQ(encode_inventory(*decoded), stored);
  auto again = assess(std::move(*decoded), *db_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->findings.size(), report_->findings.size());
  EXPECT_FALSE(decode_inventory("{\"packages\":[{\"type\":\"nope\"}]}").ok());
  EXPECT_FALSE(decode_inventory("not json").ok());
}

// A package database may hold bytes that are not UTF-8; the inventory stored with a result
// must still read back, or re-assessing that result after a database update fails.
TEST(ScanInventory, PackageTextThatIsNotUtf8ReadsBack) {
  image::Snapshot snapshot;
  image::Kept status;
  status.entry.path = "var/lib/dpkg/status";
  status.data = "Package: caf\xe9\nStatus: install ok installed\nVersion: 1.0\xd0-1\n\n";
  status.entry.size = status.data.size();
  snapshot[status.entry.path] = status;
  auto inventory = inventory::analyze(snapshot);
  ASSERT_TRUE(inventory.ok()) << inventory.error().message;
  ASSERT_EQ(inventory->packages.size(), 1u);
  auto decoded = decode_inventory(encode_inventory(*inventory));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  ASSERT_EQ(decoded->packages.size(), 1u);
  EXPECT_EQ(decoded->packages[0].version, inventory->packages[0].version);
}

TEST_F(ScanOfSampleRootfs, TableNamesTheOsAndCounts) {
  const std::string table = format_table(*report_, subject_);
  EXPECT_NE(table.find("debian 12"), std::string::npos);
  EXPECT_NE(table.find("Total: 41 (CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 21, UNKNOWN: 20)"),
            std::string::npos)
      << table;
}

}  // namespace
}  // namespace berth::scan
