// Inputs the fuzz targets found (fuzz/regressions/<target>/), fed to the importers as
// `berth vulndb import` would: each once crashed the import or stored advisories that could
// not be read back.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "vulndb/database.h"
#include "vulndb/importers.h"

namespace berth::vulndb {
namespace {

namespace fs = std::filesystem;

const fs::path kRegressions = BERTH_FUZZ_REGRESSIONS;

// A vulnerability database in a fresh directory, with the import a CLI run would do.
class FuzzRegression : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("berth-vulndb-fuzz-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto db = Database::open((dir_ / "vulndb.sqlite").string());
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(*db);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Imports `advisories` as the source "fuzz" and reads every package and vulnerability back.
  void store_and_read_back(const Advisories& advisories) {
    ASSERT_TRUE(db_->import("fuzz", "fuzz", advisories).ok());
    for (const auto& affected : advisories.affected) {
      auto rows = db_->affected(affected.ecosystem, affected.package);
      ASSERT_TRUE(rows.ok()) << rows.error().message;
      ASSERT_FALSE(rows->empty());
      EXPECT_EQ(rows->front().ranges.size(), affected.ranges.size());
    }
    for (const auto& vulnerability : advisories.vulnerabilities) {
      auto stored = db_->vulnerability(vulnerability.id);
      ASSERT_TRUE(stored.ok()) << stored.error().message;
      ASSERT_TRUE(stored->has_value());
      EXPECT_EQ((*stored)->description, vulnerability.description);
      EXPECT_EQ((*stored)->published, vulnerability.published);
    }
  }

  fs::path dir_;
  std::unique_ptr<Database> db_;
};

// A secdb whose packages list holds a scalar: yaml-cpp throws on subscripting it, which
// terminated `berth vulndb import`. The entry is skipped.
TEST_F(FuzzRegression, AlpinePackagesEntryThatIsNotAMapIsSkipped) {
  Advisories advisories;
  ASSERT_NO_THROW({
    auto imported = import_alpine_secdb(kRegressions / "alpine" / "packages-entry-not-a-map.yaml");
    ASSERT_TRUE(imported.ok()) << imported.error().message;
    advisories = std::move(*imported);
  });
  EXPECT_TRUE(advisories.affected.empty());
}

// A secfix version with a byte that is not UTF-8 (YAML does not check): the stored row was
// refused when read back, so every scan of an image with musl failed. Such bytes are now
// replaced by U+FFFD as the YAML importers read them.
TEST_F(FuzzRegression, AlpineFixedVersionThatIsNotUtf8IsReadBack) {
  auto advisories = import_alpine_secdb(kRegressions / "alpine" / "secfix-version-not-utf8.yaml");
  ASSERT_TRUE(advisories.ok()) << advisories.error().message;
  ASSERT_FALSE(advisories->affected.empty());
  store_and_read_back(*advisories);
  auto musl = db_->affected("Alpine:v3.11", "musl");
  ASSERT_TRUE(musl.ok()) << musl.error().message;
  EXPECT_EQ(musl->size(), 2u);
}

// "name: !nsible" is a tagged empty scalar: its fixes were filed under the package "".
TEST_F(FuzzRegression, AlpinePackageWithoutANameIsSkipped) {
  auto advisories = import_alpine_secdb(kRegressions / "alpine" / "package-name-empty.yaml");
  ASSERT_TRUE(advisories.ok()) << advisories.error().message;
  for (const auto& affected : advisories->affected) EXPECT_FALSE(affected.package.empty());
}

TEST_F(FuzzRegression, OsvYamlDetailsThatAreNotUtf8AreReadBack) {
  auto advisories = import_osv(kRegressions / "osv" / "details-not-utf8.yaml");
  ASSERT_TRUE(advisories.ok()) << advisories.error().message;
  ASSERT_EQ(advisories->vulnerabilities.size(), 1u);
  EXPECT_EQ(advisories->vulnerabilities[0].description, "\xef\xbf\xbd");  // "\xb5" replaced by U+FFFD
  store_and_read_back(*advisories);
}

TEST_F(FuzzRegression, RubysecDateThatIsNotUtf8IsReadBack) {
  const fs::path file = kRegressions / "advisory" / "rubysec-date-not-utf8.yml";
  auto format = detect_format(file);
  ASSERT_TRUE(format.ok()) << format.error().message;
  ASSERT_EQ(*format, Format::rubysec);
  auto advisories = import_any(file, *format);
  ASSERT_TRUE(advisories.ok()) << advisories.error().message;
  ASSERT_EQ(advisories->vulnerabilities.size(), 1u);
  store_and_read_back(*advisories);
}

// A tracker record's package line without a Package was stored as an advisory for the
// package "".
TEST_F(FuzzRegression, DebianPackageLineWithoutPackageIsIgnored) {
  const fs::path tracker = dir_ / "tracker";
  fs::create_directories(tracker / "CVE");
  std::ofstream(tracker / "distributions.json") << R"({"bookworm": {"major-version": "12"}})";
  fs::copy_file(kRegressions / "debian" / "package-line-without-package.json", tracker / "CVE" / "e.json");
  auto advisories = import_debian_tracker(tracker);
  ASSERT_TRUE(advisories.ok()) << advisories.error().message;
  for (const auto& affected : advisories->affected) EXPECT_FALSE(affected.package.empty());
  EXPECT_TRUE(advisories->affected.empty());
}

}  // namespace
}  // namespace berth::vulndb
