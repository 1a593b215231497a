// The Debian tracker importer and matching against the sample data: a real bookworm minbase
// package set must give exactly the findings that the published matching rules give.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "image/layers.h"
#include "inventory/inventory.h"
#include "vulndb/database.h"
#include "vulndb/importers.h"
#include "vulndb/match.h"

namespace berth::vulndb {
namespace {

namespace fs = std::filesystem;
const fs::path kDebian = fs::path(BERTH_TEST_DATA) / "vulndb-sample" / "debian";
const fs::path kRootfs = kDebian / "rootfs-bookworm-minbase";

std::vector<std::vector<std::string>> read_tsv(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> fields;
    std::stringstream ss(line);
    std::string field;
    while (std::getline(ss, field, '\t')) fields.push_back(field);
    if (!line.empty() && line.back() == '\t') fields.emplace_back();
    rows.push_back(std::move(fields));
  }
  return rows;
}

// The versions of each source package in bookworm, bookworm-updates and bookworm-security.
std::vector<SourceVersion> bookworm_sources() {
  std::vector<SourceVersion> out;
  for (const auto& row : read_tsv(kRootfs / "bookworm-source-versions.tsv")) {
    for (std::size_t i = 1; i < row.size(); ++i) {
      if (!row[i].empty()) out.push_back({"bookworm", row[0], row[i]});
    }
  }
  return out;
}

inventory::Inventory bookworm_inventory() {
  inventory::Inventory inv;
  inv.os = {"debian", "12", "bookworm", "Debian GNU/Linux 12 (bookworm)"};
  for (const auto& row : read_tsv(kRootfs / "packages.tsv")) {
    inventory::Package p;
    p.type = inventory::PackageType::dpkg;
    p.name = row.at(0);
    p.version = row.at(1);
    p.source_name = row.at(2);
    p.source_version = row.at(3);
    p.arch = row.at(4);
    inv.packages.push_back(std::move(p));
  }
  return inv;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ",") + s;
  return out;
}

// A finding in the expected files' column order.
std::string line_of(const Finding& f) {
  return f.vuln_id + "\t" + f.package.name + "\t" + f.package.version + "\t" + f.package.source_name + "\t" +
         f.package.source_version + "\t" + f.fixed_version + "\t" + std::string(status_name(f.status)) +
         "\t" + std::string(severity_name(f.severity)) + "\t" + f.severity_source + "\t" + join(f.vendor_ids);
}

std::vector<std::string> expected_lines(const fs::path& file) {
  std::vector<std::string> out;
  for (const auto& row : read_tsv(file)) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) line += (i == 0 ? "" : "\t") + row[i];
    out.push_back(line);
  }
  std::sort(out.begin(), out.end());
  return out;
}

class DebianTracker : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("berth-vulndb-debian-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto db = Database::open((dir_ / "vulndb.sqlite").string());
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(*db);
    auto advisories = import_debian_tracker(kDebian / "vuln-list-debian", bookworm_sources());
    ASSERT_TRUE(advisories.ok()) << advisories.error().message;
    advisories_ = std::move(*advisories);
    auto change = db_->import("debian", "vuln-list-debian", advisories_);
    ASSERT_TRUE(change.ok()) << change.error().message;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<std::string> findings(const inventory::Inventory& inv) {
    auto found = match(*db_, inv);
    EXPECT_TRUE(found.ok()) << (found.ok() ? "" : found.error().message);
    std::vector<std::string> out;
    if (!found.ok()) return out;
    for (const auto& f : *found) out.push_back(line_of(f));
    std::sort(out.begin(), out.end());
    return out;
  }

  fs::path dir_;
  std::unique_ptr<Database> db_;
  Advisories advisories_;
};

TEST_F(DebianTracker, MinbaseFindingsEqualTheExpectedTable) {
  const auto expected = expected_lines(kDebian / "expected" / "rootfs-bookworm-minbase.trivy-algorithm.tsv");
  ASSERT_EQ(expected.size(), 41u);
  EXPECT_EQ(findings(bookworm_inventory()), expected);
}

TEST_F(DebianTracker, TheRootfsReadFromDiskGivesTheSameFindings) {
  // The real path: the package database and os-release read from the sample root filesystem.
  auto snapshot = image::read_directory(kRootfs, inventory::selector());
  ASSERT_TRUE(snapshot.ok()) << snapshot.error().message;
  auto inv = inventory::analyze(*snapshot);
  ASSERT_TRUE(inv.ok()) << inv.error().message;
  EXPECT_EQ(inv->os.family, "debian");
  EXPECT_EQ(inv->packages.size(), 88u);
  EXPECT_EQ(findings(*inv),
            expected_lines(kDebian / "expected" / "rootfs-bookworm-minbase.trivy-algorithm.tsv"));
}

TEST_F(DebianTracker, FixedAndNotAffectedVulnerabilitiesAreNotReported) {
  const auto lines = findings(bookworm_inventory());
  for (const char* id :
       {"CVE-2023-4911", "CVE-2024-2961", "CVE-2023-47038", "CVE-2023-5981", "CVE-2024-3094"}) {
    for (const auto& line : lines) EXPECT_NE(line.rfind(std::string(id) + "\t", 0), 0u) << line;
  }
}

TEST_F(DebianTracker, OlderVersionsGiveTheWhatIfTable) {
  auto inv = bookworm_inventory();
  std::set<std::string> changed;
  for (auto& p : inv.packages) {
    std::string version;
    if (p.source_name == "glibc") version = "2.36-9+deb12u2";
    if (p.source_name == "perl") version = "5.36.0-7";
    if (p.source_name == "gnutls28") version = "3.7.9-2";
    if (version.empty()) continue;
    p.version = p.source_version = version;
    changed.insert(p.name);
  }
  std::vector<std::string> lines;
  for (const auto& line : findings(inv)) {
    const auto name =
        line.substr(line.find('\t') + 1, line.find('\t', line.find('\t') + 1) - line.find('\t') - 1);
    if (changed.count(name) != 0) lines.push_back(line);
  }
  EXPECT_EQ(lines,
            expected_lines(kDebian / "expected" / "whatif-older-glibc-perl-gnutls.trivy-algorithm.tsv"));
}

TEST_F(DebianTracker, RowsCarryTheTrackerStates) {
  auto find = [&](std::string_view eco, std::string_view pkg, std::string_view id) -> const Affected* {
    for (const auto& a : advisories_.affected) {
      if (a.ecosystem == eco && a.package == pkg && a.vuln_id == id) return &a;
    }
    return nullptr;
  };
  // <ignored> in bookworm: no fix, will not fix.
  const auto* ignored = find("Debian:12", "coreutils", "CVE-2016-2781");
  ASSERT_NE(ignored, nullptr);
  EXPECT_EQ(ignored->status, Status::will_not_fix);
  // <postponed> in buster.
  const auto* postponed = find("Debian:10", "systemd", "CVE-2023-7008");
  ASSERT_NE(postponed, nullptr);
  EXPECT_EQ(postponed->status, Status::fix_deferred);
  // <not-affected> in bookworm: no row at all.
  EXPECT_EQ(find("Debian:12", "xz-utils", "CVE-2024-3094"), nullptr);
  // A DSA fix carries the advisory id.
  const auto* dsa = find("Debian:12", "glibc", "CVE-2023-4911");
  ASSERT_NE(dsa, nullptr);
  EXPECT_EQ(dsa->vendor_ids, std::vector<std::string>{"DSA-5514-1"});
  ASSERT_EQ(dsa->ranges.size(), 1u);
  ASSERT_EQ(dsa->ranges[0].events.size(), 2u);
  EXPECT_EQ(dsa->ranges[0].events[1].version, "2.36-9+deb12u3");
  // A sid-only fix newer than bookworm's version stays unfixed there.
  const auto* zlib = find("Debian:12", "zlib", "CVE-2023-45853");
  ASSERT_NE(zlib, nullptr);
  EXPECT_EQ(zlib->ranges[0].events.size(), 1u);
}

TEST_F(DebianTracker, ReimportingTheSameDataChangesNothing) {
  auto before = db_->info();
  ASSERT_TRUE(before.ok());
  auto change = db_->import("debian", "vuln-list-debian", advisories_);
  ASSERT_TRUE(change.ok()) << change.error().message;
  EXPECT_EQ(change->added + change->changed + change->removed + change->details_changed, 0);
  EXPECT_EQ(change->version, before->version);
  EXPECT_TRUE(change->packages.empty());
}

TEST_F(DebianTracker, ANewerTrackerStateIsAnIncrementalChange) {
  Advisories next = advisories_;
  // The tracker learns that bookworm fixed CVE-2024-28085 in util-linux 2.38.1-5+deb12u1.
  auto it = std::find_if(next.affected.begin(), next.affected.end(), [](const Affected& a) {
    return a.ecosystem == "Debian:12" && a.package == "util-linux" && a.vuln_id == "CVE-2024-28085";
  });
  ASSERT_NE(it, next.affected.end());
  it->ranges[0].events.push_back({Event::Kind::fixed, "2.38.1-5+deb12u1"});
  // And drops a record.
  next.affected.erase(std::remove_if(next.affected.begin(), next.affected.end(),
                                     [](const Affected& a) { return a.vuln_id == "CVE-2005-2541"; }),
                      next.affected.end());
  auto before = db_->info();
  ASSERT_TRUE(before.ok());
  auto change = db_->import("debian", "vuln-list-debian", next);
  ASSERT_TRUE(change.ok()) << change.error().message;
  EXPECT_EQ(change->changed, 1);
  EXPECT_GE(change->removed, 1);
  EXPECT_EQ(change->added, 0);
  EXPECT_EQ(change->version, before->version + 1);
  const std::pair<std::string, std::string> util_linux{"Debian:12", "util-linux"};
  EXPECT_NE(std::find(change->packages.begin(), change->packages.end(), util_linux), change->packages.end());
  const auto lines = findings(bookworm_inventory());
  for (const auto& line : lines) {
    EXPECT_EQ(line.find("CVE-2024-28085"), std::string::npos) << line;
    EXPECT_EQ(line.find("CVE-2005-2541"), std::string::npos) << line;
  }
}

TEST(DebianTrackerErrors, MissingOrBrokenInputIsAClearError) {
  const fs::path dir = fs::temp_directory_path() / ("berth-tracker-bad-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "CVE");
  auto missing = import_debian_tracker(dir);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("distributions.json"), std::string::npos);
  std::ofstream(dir / "distributions.json") << R"({"bookworm": {"major-version": "12"}})";
  std::ofstream(dir / "CVE" / "CVE-2024-1.json") << R"({"Header": {"ID": "CVE-2024-1"}, "Annotations": [)";
  auto broken = import_debian_tracker(dir);
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().code, base::Errc::corrupt);
  EXPECT_NE(broken.error().message.find("CVE-2024-1.json"), std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace berth::vulndb
