// The inventory module's OS side: os-release and the OS detection, the dpkg, apk and rpm
// databases, package URLs, the selector and analyze().
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "inventory/analyzers.h"
#include "inventory/inventory.h"

namespace berth::inventory {
namespace {

using base::Errc;

const std::string kData = BERTH_TEST_DATA;
const std::string kBookworm = kData + "/vulndb-sample/debian/rootfs-bookworm-minbase";
const std::string kAlpine = kData + "/vulndb-sample/alpine/installed-3.18/lib/apk/db/installed";
const std::string kRpmDb = kData + "/rpm/rpmdb.sqlite";
const std::string kRpmBdb = kData + "/rpm/Packages";

std::string slurp(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  EXPECT_TRUE(in) << file;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void put(image::Snapshot& snapshot, const std::string& path, std::string data, std::uint32_t mode = 0644) {
  image::Kept kept;
  kept.entry.path = path;
  kept.entry.size = data.size();
  kept.entry.mode = mode;
  kept.data = std::move(data);
  snapshot[path] = std::move(kept);
}

const Package* find(const std::vector<Package>& packages, std::string_view name, std::string_view arch = {}) {
  for (const auto& p : packages) {
    if (p.name == name && (arch.empty() || p.arch == arch)) return &p;
  }
  return nullptr;
}

// Content over a string, read in small pieces.
class StringContent final : public image::Content {
 public:
  explicit StringContent(std::string data) : data_(std::move(data)) {}
  base::Result<std::size_t> read(std::span<char> out) override {
    const std::size_t n = std::min({out.size(), data_.size() - pos_, std::size_t{7}});
    std::memcpy(out.data(), data_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::string data_;
  std::size_t pos_ = 0;
};

// ---------------------------------------------------------------- os-release

TEST(InventoryOsRelease, QuotingEscapesAndComments) {
  const auto os = detail::parse_os_release(
      "# a comment\n"
      "\n"
      "NAME=\"Debian GNU/Linux\"\n"
      "ID=Debian\n"
      "VERSION_ID='12'\n"
      "PRETTY_NAME=\"Say \\\"hi\\\" \\\\ \\$HOME\"   # trailing comment\n"
      "VERSION_CODENAME=bookworm\r\n"
      "   HOME_URL=\"https://www.debian.org/\"\n"
      "not a line\n"
      "BAD KEY=x\n");
  EXPECT_EQ(os.family, "debian");
  EXPECT_EQ(os.version, "12");
  EXPECT_EQ(os.codename, "bookworm");
  EXPECT_EQ(os.pretty_name, "Say \"hi\" \\ $HOME");
  EXPECT_TRUE(os.found());
}

TEST(InventoryOsRelease, SingleQuotesAreLiteralAndUnquotedEscapes) {
  const auto os = detail::parse_os_release("ID=ubuntu\nPRETTY_NAME='a \\\"b\\\" c'\nVERSION_ID=22.04\\ x\n");
  EXPECT_EQ(os.family, "ubuntu");
  EXPECT_EQ(os.pretty_name, "a \\\"b\\\" c");
  EXPECT_EQ(os.version, "22.04 x");
}

TEST(InventoryOsRelease, LaterAssignmentWinsAndCodenameFallbacks) {
  auto os = detail::parse_os_release("ID=ubuntu\nID=ubuntu\nVERSION_ID=\"20.04\"\nUBUNTU_CODENAME=focal\n");
  EXPECT_EQ(os.codename, "focal");
  os = detail::parse_os_release("ID=debian\nVERSION_ID=\"8\"\nVERSION=\"8 (jessie)\"\n");
  EXPECT_EQ(os.codename, "jessie");
  os = detail::parse_os_release("ID=alpine\nVERSION_ID=3.18.4\nPRETTY_NAME=\"Alpine Linux v3.18\"\n");
  EXPECT_EQ(os.family, "alpine");
  EXPECT_EQ(os.version, "3.18.4");
  EXPECT_EQ(os.codename, "");
}

TEST(InventoryOsRelease, EmptyOrJunkFindsNothing) {
  EXPECT_FALSE(detail::parse_os_release("").found());
  EXPECT_FALSE(detail::parse_os_release(std::string("\0\x01\x02garbage", 10)).found());
  EXPECT_FALSE(detail::parse_os_release("ID=\n").found());
}

// ---------------------------------------------------------------- detect_os

TEST(InventoryDetectOs, EtcBeforeUsrLib) {
  image::Snapshot s;
  put(s, "etc/os-release", "ID=ubuntu\nVERSION_ID=\"22.04\"\n");
  put(s, "usr/lib/os-release", "ID=debian\nVERSION_ID=\"12\"\n");
  EXPECT_EQ(detail::detect_os(s).family, "ubuntu");
  s.erase("etc/os-release");
  EXPECT_EQ(detail::detect_os(s).family, "debian");
}

TEST(InventoryDetectOs, AlpineReleaseWithoutOsRelease) {
  image::Snapshot s;
  put(s, "etc/alpine-release", "3.18.4\n");
  const auto os = detail::detect_os(s);
  EXPECT_EQ(os.family, "alpine");
  EXPECT_EQ(os.version, "3.18.4");
  // os-release wins when present.
  put(s, "etc/os-release", "ID=alpine\nVERSION_ID=3.18.5\n");
  EXPECT_EQ(detail::detect_os(s).version, "3.18.5");
}

TEST(InventoryDetectOs, DebianVersionFallbacks) {
  image::Snapshot s;
  put(s, "etc/debian_version", "12.15\n");
  auto os = detail::detect_os(s);
  EXPECT_EQ(os.family, "debian");
  EXPECT_EQ(os.version, "12.15");

  // Debian sid: os-release without VERSION_ID.
  put(s, "etc/debian_version", "trixie/sid\n");
  put(s, "usr/lib/os-release",
      "PRETTY_NAME=\"Debian GNU/Linux trixie/sid\"\nNAME=\"Debian "
      "GNU/Linux\"\nVERSION_CODENAME=trixie\nID=debian\n");
  os = detail::detect_os(s);
  EXPECT_EQ(os.family, "debian");
  EXPECT_EQ(os.version, "trixie/sid");
  EXPECT_EQ(os.codename, "trixie");
  EXPECT_EQ(os.pretty_name, "Debian GNU/Linux trixie/sid");

  // With a VERSION_ID, os-release wins.
  put(s, "usr/lib/os-release", "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n");
  put(s, "etc/debian_version", "12.15\n");
  EXPECT_EQ(detail::detect_os(s).version, "12");

  // debian_version on Ubuntu ("bookworm/sid") does not override Ubuntu's VERSION_ID.
  put(s, "usr/lib/os-release", "ID=ubuntu\nVERSION_ID=\"24.04\"\n");
  put(s, "etc/debian_version", "trixie/sid\n");
  EXPECT_EQ(detail::detect_os(s).version, "24.04");
}

TEST(InventoryDetectOs, NothingKnown) {
  image::Snapshot s;
  EXPECT_FALSE(detail::detect_os(s).found());
  put(s, "etc/os-release", "# empty\n");
  EXPECT_FALSE(detail::detect_os(s).found());
}

TEST(InventoryDetectOs, BookwormSample) {
  image::Snapshot s;
  put(s, "etc/os-release", slurp(kBookworm + "/etc/os-release"));
  put(s, "etc/debian_version", slurp(kBookworm + "/etc/debian_version"));
  const auto os = detail::detect_os(s);
  EXPECT_EQ(os.family, "debian");
  EXPECT_EQ(os.version, "12");
  EXPECT_EQ(os.codename, "bookworm");
  EXPECT_EQ(os.pretty_name, "Debian GNU/Linux 12 (bookworm)");
}

// ---------------------------------------------------------------- dpkg

TEST(InventoryDpkg, BookwormMinbaseMatchesDpkgQueryEveryRow) {
  const auto packages =
      detail::parse_dpkg_status(slurp(kBookworm + "/var/lib/dpkg/status"), "var/lib/dpkg/status");
  ASSERT_TRUE(packages.ok()) << packages.error().message;
  ASSERT_EQ(packages->size(), 88u);

  std::map<std::pair<std::string, std::string>, const Package*> by_name_arch;
  for (const auto& p : *packages) {
    EXPECT_TRUE(by_name_arch.emplace(std::make_pair(p.name, p.arch), &p).second) << p.name;
    EXPECT_EQ(p.type, PackageType::dpkg);
    EXPECT_EQ(p.path, "var/lib/dpkg/status");
    EXPECT_EQ(p.licenses, "");
    EXPECT_EQ(p.epoch, "");
  }

  std::istringstream tsv(slurp(kBookworm + "/packages.tsv"));
  std::string line;
  std::getline(tsv, line);
  ASSERT_EQ(line, "package\tversion\tsource\tsource_version\tarch");
  std::size_t rows = 0;
  while (std::getline(tsv, line)) {
    if (line.empty()) continue;
    std::vector<std::string> cols;
    std::istringstream fields(line);
    std::string col;
    while (std::getline(fields, col, '\t')) cols.push_back(col);
    ASSERT_EQ(cols.size(), 5u) << line;
    ++rows;
    const auto it = by_name_arch.find({cols[0], cols[4]});
    ASSERT_NE(it, by_name_arch.end()) << cols[0];
    const Package& p = *it->second;
    EXPECT_EQ(p.version, cols[1]) << cols[0];
    EXPECT_EQ(p.source_name, cols[2]) << cols[0];
    EXPECT_EQ(p.source_version, cols[3]) << cols[0];
  }
  EXPECT_EQ(rows, 88u);

  // Spot checks of the three Source forms.
  const Package* bsdutils = find(*packages, "bsdutils");
  ASSERT_NE(bsdutils, nullptr);
  EXPECT_EQ(bsdutils->version, "1:2.38.1-5+deb12u3");  // epoch kept
  EXPECT_EQ(bsdutils->source_name, "util-linux");
  EXPECT_EQ(bsdutils->source_version, "2.38.1-5+deb12u3");
  const Package* libcap2 = find(*packages, "libcap2");
  ASSERT_NE(libcap2, nullptr);
  EXPECT_EQ(libcap2->version, "1:2.66-4+deb12u3+b1");
  EXPECT_EQ(libcap2->source_version, "1:2.66-4+deb12u3");
  const Package* apt = find(*packages, "apt");
  ASSERT_NE(apt, nullptr);
  EXPECT_EQ(apt->source_name, "apt");
  EXPECT_EQ(apt->source_version, "2.6.1");
}

TEST(InventoryDpkg, OnlyInstalledPackages) {
  const std::string status =
      "Package: kept\nStatus: install ok installed\nVersion: 1.0\nArchitecture: amd64\n\n"
      "Package: held\nStatus: hold ok installed\nVersion: 2.0\nArchitecture: all\n\n"
      "Package: marked-for-removal\nStatus: deinstall ok installed\nVersion: 1\n\n"
      "Package: removed\nStatus: deinstall ok config-files\nVersion: 1\n\n"
      "Package: purged\nStatus: purge ok not-installed\n\n"
      "Package: half\nStatus: install ok half-installed\nVersion: 1\n\n"
      "Package: unpacked\nStatus: install ok unpacked\nVersion: 1\n\n"
      "Package: reinst\nStatus: install reinstreq installed\nVersion: 1\n\n"
      "Package: no-status\nVersion: 1\n";
  const auto packages = detail::parse_dpkg_status(status, "var/lib/dpkg/status");
  ASSERT_TRUE(packages.ok()) << packages.error().message;
  ASSERT_EQ(packages->size(), 2u);
  EXPECT_EQ((*packages)[0].name, "kept");
  EXPECT_EQ((*packages)[1].name, "held");
  EXPECT_EQ((*packages)[1].arch, "all");
}

TEST(InventoryDpkg, ContinuationLinesCrlfMultiArchAndSourceForms) {
  const std::string status =
      "Package: libc6\r\n"
      "Status: install ok installed\r\n"
      "Architecture: amd64\r\n"
      "Multi-Arch: same\r\n"
      "Source: glibc\r\n"
      "Version: 2.36-9+deb12u4\r\n"
      "Description: GNU C Library: Shared libraries\r\n"
      " Contains the standard libraries that are used by nearly all programs on\r\n"
      " .\r\n"
      "\tthe system.\r\n"
      "\r\n"
      "package: libc6\n"  // field names are case-insensitive
      "status: install ok installed\n"
      "architecture: i386\n"
      "version: 2.36-9+deb12u4\n"
      "Conffiles:\n"
      " /etc/ld.so.conf.d/x.conf 0123\n"
      "\n\n\n"
      "Package: perl-base\n"
      "Status: install ok installed\n"
      "Architecture: amd64\n"
      "Source: perl (5.36.0-7+deb12u1)\n"
      "Version: 5.36.0-7+deb12u1\n";
  const auto packages = detail::parse_dpkg_status(status, "var/lib/dpkg/status");
  ASSERT_TRUE(packages.ok()) << packages.error().message;
  ASSERT_EQ(packages->size(), 3u);
  const Package* amd64 = find(*packages, "libc6", "amd64");
  const Package* i386 = find(*packages, "libc6", "i386");
  ASSERT_NE(amd64, nullptr);
  ASSERT_NE(i386, nullptr);
  EXPECT_EQ(amd64->version, "2.36-9+deb12u4");
  EXPECT_EQ(amd64->source_name, "glibc");              // "name" without a version:
  EXPECT_EQ(amd64->source_version, "2.36-9+deb12u4");  // the binary version
  EXPECT_EQ(i386->source_name, "libc6");               // no Source: the package itself
  EXPECT_EQ(i386->source_version, "2.36-9+deb12u4");
  const Package* perl = find(*packages, "perl-base");
  ASSERT_NE(perl, nullptr);
  EXPECT_EQ(perl->source_name, "perl");
  EXPECT_EQ(perl->source_version, "5.36.0-7+deb12u1");
}

TEST(InventoryDpkg, DistrolessStatusD) {
  // gcr.io/distroless style: one stanza per file, no Status field.
  const std::string base_files =
      "Package: base-files\nPriority: required\nSection: admin\nInstalled-Size: 340\n"
      "Maintainer: Santiago Vila <sanvila@debian.org>\nArchitecture: amd64\n"
      "Version: 12.4+deb12u5\nDescription: Debian base system miscellaneous files\n"
      " This package contains the basic filesystem hierarchy.\n";
  auto packages = detail::parse_dpkg_status(base_files, "var/lib/dpkg/status.d/base-files");
  ASSERT_TRUE(packages.ok()) << packages.error().message;
  ASSERT_EQ(packages->size(), 1u);
  EXPECT_EQ((*packages)[0].name, "base-files");
  EXPECT_EQ((*packages)[0].version, "12.4+deb12u5");
  EXPECT_EQ((*packages)[0].source_name, "base-files");
  EXPECT_EQ((*packages)[0].path, "var/lib/dpkg/status.d/base-files");

  const std::string libssl =
      "Package: libssl3\nSource: openssl (3.0.11-1~deb12u2)\nVersion: 3.0.11-1~deb12u2\nArchitecture: "
      "arm64\n";
  packages = detail::parse_dpkg_status(libssl, "var/lib/dpkg/status.d/libssl3");
  ASSERT_TRUE(packages.ok());
  ASSERT_EQ(packages->size(), 1u);
  EXPECT_EQ((*packages)[0].source_name, "openssl");
  EXPECT_EQ((*packages)[0].source_version, "3.0.11-1~deb12u2");
  EXPECT_EQ((*packages)[0].arch, "arm64");

  // A status.d stanza that does carry a Status is judged by it.
  packages = detail::parse_dpkg_status("Package: x\nStatus: deinstall ok config-files\nVersion: 1\n",
                                       "var/lib/dpkg/status.d/x");
  ASSERT_TRUE(packages.ok());
  EXPECT_TRUE(packages->empty());
}

TEST(InventoryDpkg, CorruptStatusNamesTheFile) {
  const std::string path = "var/lib/dpkg/status";
  auto check = [&](const std::string& text, std::string_view what) {
    const auto r = detail::parse_dpkg_status(text, path);
    ASSERT_FALSE(r.ok()) << what;
    EXPECT_EQ(r.error().code, Errc::corrupt) << what;
    EXPECT_NE(r.error().message.find(path), std::string::npos) << r.error().message;
  };
  check(std::string("\x7f"
                    "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0",
                    16),
        "binary junk");
  check("Status: install ok installed\nVersion: 1\n\nFoo: bar\n", "no Package field at all");
  check("this is not a dpkg status file\n", "line without a colon");
  check(" leading continuation\nPackage: a\n", "continuation first");
  check("Package: a\nStatus: install ok installed\n", "installed without Version");
  check("Package: a\nStatus: install ok installed\nVersion: 1\nSource: b (1.0\n", "unclosed Source");

  // An empty status (no packages installed) is not corrupt.
  const auto empty = detail::parse_dpkg_status("", path);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  const auto blank = detail::parse_dpkg_status("\n\n\r\n", path);
  ASSERT_TRUE(blank.ok());
  EXPECT_TRUE(blank->empty());
}

// ---------------------------------------------------------------- apk

TEST(InventoryApk, Alpine318Sample) {
  const auto packages = detail::parse_apk_installed(slurp(kAlpine), "lib/apk/db/installed");
  ASSERT_TRUE(packages.ok()) << packages.error().message;
  ASSERT_EQ(packages->size(), 15u);
  for (const auto& p : *packages) {
    EXPECT_EQ(p.type, PackageType::apk);
    EXPECT_EQ(p.arch, "x86_64");
    EXPECT_EQ(p.source_version, p.version);
    EXPECT_FALSE(p.licenses.empty()) << p.name;
    EXPECT_EQ(p.path, "lib/apk/db/installed");
  }
  const Package* musl = find(*packages, "musl");
  ASSERT_NE(musl, nullptr);
  EXPECT_EQ(musl->version, "1.2.4-r0");
  EXPECT_EQ(musl->source_name, "musl");
  EXPECT_EQ(musl->licenses, "MIT");
  const Package* busybox = find(*packages, "ssl_client");
  ASSERT_NE(busybox, nullptr);
  EXPECT_EQ(busybox->version, "1.36.0-r9");
  EXPECT_EQ(busybox->source_name, "busybox");
  const Package* libssl = find(*packages, "libssl3");
  ASSERT_NE(libssl, nullptr);
  EXPECT_EQ(libssl->version, "3.1.0-r4");
  EXPECT_EQ(libssl->source_name, "openssl");
  EXPECT_EQ(libssl->source_version, "3.1.0-r4");
  const Package* ca = find(*packages, "ca-certificates-bundle");
  ASSERT_NE(ca, nullptr);
  EXPECT_EQ(ca->licenses, "MPL-2.0 AND MIT");
  EXPECT_EQ(ca->source_name, "ca-certificates");
}

TEST(InventoryApk, MissingOriginAndCorrupt) {
  auto packages = detail::parse_apk_installed("P:foo\r\nV:1.0-r0\r\nA:aarch64\r\n\r\nP:bar\nV:2\n",
                                              "lib/apk/db/installed");
  ASSERT_TRUE(packages.ok()) << packages.error().message;
  ASSERT_EQ(packages->size(), 2u);
  EXPECT_EQ((*packages)[0].source_name, "foo");
  EXPECT_EQ((*packages)[0].arch, "aarch64");
  EXPECT_EQ((*packages)[1].name, "bar");

  for (const std::string& text : {std::string("garbage line\n"), std::string("V:1\nA:x\n"),
                                  std::string("P:x\nA:y\n"), std::string("P:x\0V:1\n", 8)}) {
    const auto r = detail::parse_apk_installed(text, "lib/apk/db/installed");
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().code, Errc::corrupt);
    EXPECT_NE(r.error().message.find("lib/apk/db/installed"), std::string::npos);
  }
  packages = detail::parse_apk_installed("", "lib/apk/db/installed");
  ASSERT_TRUE(packages.ok());
  EXPECT_TRUE(packages->empty());
}

// ---------------------------------------------------------------- rpm

TEST(InventoryRpm, SqliteFixture) {
  const auto packages = detail::parse_rpmdb_sqlite(slurp(kRpmDb), "var/lib/rpm/rpmdb.sqlite");
  ASSERT_TRUE(packages.ok()) << packages.error().message;
  ASSERT_EQ(packages->size(), 3u);  // gpg-pubkey skipped
  EXPECT_EQ(find(*packages, "gpg-pubkey"), nullptr);

  const Package* openssl = find(*packages, "openssl-libs");
  ASSERT_NE(openssl, nullptr);
  EXPECT_EQ(openssl->type, PackageType::rpm);
  EXPECT_EQ(openssl->epoch, "1");
  EXPECT_EQ(openssl->version, "3.0.1-41.el9_0");
  EXPECT_EQ(openssl->arch, "x86_64");
  EXPECT_EQ(openssl->source_name, "openssl");
  EXPECT_EQ(openssl->source_version, "3.0.1-41.el9_0");
  EXPECT_EQ(openssl->licenses, "ASL 2.0");
  EXPECT_EQ(openssl->path, "var/lib/rpm/rpmdb.sqlite");

  const Package* bash = find(*packages, "bash");
  ASSERT_NE(bash, nullptr);
  EXPECT_EQ(bash->epoch, "");
  EXPECT_EQ(bash->version, "5.1.8-6.el9_1");
  EXPECT_EQ(bash->source_name, "bash");
  EXPECT_EQ(bash->source_version, "5.1.8-6.el9_1");
  EXPECT_EQ(bash->licenses, "GPLv3+");

  const Package* tzdata = find(*packages, "tzdata");
  ASSERT_NE(tzdata, nullptr);
  EXPECT_EQ(tzdata->arch, "noarch");
  EXPECT_EQ(tzdata->version, "2023c-1.el9");
  EXPECT_EQ(tzdata->licenses, "Public Domain");
}

TEST(InventoryRpm, NotSqliteOrDamagedFileIsCorrupt) {
  const std::string path = "var/lib/rpm/rpmdb.sqlite";
  const std::string db = slurp(kRpmDb);
  ASSERT_GT(db.size(), 8192u);
  std::vector<std::string> bad = {"", "hello", std::string(4096, '\0'), db.substr(0, 50), db.substr(0, 4096)};
  std::string garbled = db;  // the header intact, every page after the first overwritten
  for (std::size_t i = 4096; i < garbled.size(); ++i) garbled[i] = static_cast<char>(0xA5 ^ (i * 31));
  bad.push_back(garbled);
  for (const auto& bytes : bad) {
    const auto r = detail::parse_rpmdb_sqlite(bytes, path);
    ASSERT_FALSE(r.ok()) << bytes.size();
    EXPECT_EQ(r.error().code, Errc::corrupt) << r.error().message;
    EXPECT_NE(r.error().message.find(path), std::string::npos) << r.error().message;
  }
}

// The Berkeley DB fixture holds the sqlite fixture's header blobs, loaded by db_load with 512-byte
// pages (so each spans an overflow chain) and checked with rpm's own bdb_ro backend.
TEST(InventoryRpm, BerkeleyDbFixtureListsWhatTheSqliteOneDoes) {
  const auto sqlite = detail::parse_rpmdb_sqlite(slurp(kRpmDb), "var/lib/rpm/rpmdb.sqlite");
  const auto bdb = detail::parse_rpmdb_bdb(slurp(kRpmBdb), "var/lib/rpm/Packages");
  ASSERT_TRUE(sqlite.ok()) << sqlite.error().message;
  ASSERT_TRUE(bdb.ok()) << bdb.error().message;
  const auto fields = [](const std::vector<Package>& packages) {
    std::set<std::string> out;
    for (const auto& p : packages) {
      out.insert(p.name + " " + p.epoch + " " + p.version + " " + p.arch + " " + p.source_name + " " +
                 p.source_version + " " + p.licenses);
    }
    return out;
  };
  EXPECT_EQ(fields(*bdb), fields(*sqlite));
  ASSERT_EQ(bdb->size(), 3u);  // gpg-pubkey and rpm's counter record skipped
  for (const auto& p : *bdb) EXPECT_EQ(p.path, "var/lib/rpm/Packages");
  EXPECT_TRUE(detail::parse_rpmdb_bdb("", "var/lib/rpm/Packages")->empty());
}

TEST(InventoryRpm, DamagedBerkeleyDbIsCorrupt) {
  const std::string path = "var/lib/rpm/Packages";
  const std::string db = slurp(kRpmBdb);
  ASSERT_EQ(db.size() % 512, 0u);
  std::vector<std::string> bad = {"hello", std::string(4096, '\0'), db.substr(0, 100),
                                  db.substr(0, db.size() - 512)};
  // Every overflow page chained to itself: a loop.
  std::string loop = db;
  for (std::size_t page = 1; page < loop.size() / 512; ++page) {
    if (static_cast<unsigned char>(loop[page * 512 + 25]) != 7) continue;
    const auto self = static_cast<std::uint32_t>(page);
    for (int i = 0; i < 4; ++i) loop[page * 512 + 16 + i] = static_cast<char>((self >> (8 * i)) & 0xff);
  }
  bad.push_back(loop);
  for (const auto& bytes : bad) {
    const auto r = detail::parse_rpmdb_bdb(bytes, path);
    ASSERT_FALSE(r.ok()) << bytes.size();
    EXPECT_EQ(r.error().code, Errc::corrupt) << r.error().message;
    EXPECT_NE(r.error().message.find(path), std::string::npos) << r.error().message;
  }
  // Random damage: an error or a listing, never a crash or a read out of bounds.
  std::uint32_t seed = 12345;
  for (int round = 0; round < 2000; ++round) {
    std::string fuzzed = db;
    for (int k = 0; k < 8; ++k) {
      seed = seed * 1664525u + 1013904223u;
      fuzzed[seed % fuzzed.size()] = static_cast<char>(seed >> 24);
    }
    const auto r = detail::parse_rpmdb_bdb(fuzzed, path);
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, Errc::corrupt) << r.error().message;
    }
  }
}

// Builds an RPM header blob (il, dl, index, data store) from (tag, type, data) entries.
struct HeaderBuilder {
  struct Item {
    std::uint32_t tag, type, count;
    std::string data;
  };
  std::vector<Item> items;

  HeaderBuilder& str(std::uint32_t tag, const std::string& s) {
    items.push_back({tag, 6, 1, s + '\0'});
    return *this;
  }
  HeaderBuilder& i32(std::uint32_t tag, std::uint32_t v) {
    std::string d(4, '\0');
    d[0] = static_cast<char>(v >> 24);
    d[1] = static_cast<char>(v >> 16);
    d[2] = static_cast<char>(v >> 8);
    d[3] = static_cast<char>(v);
    items.push_back({tag, 4, 1, d});
    return *this;
  }
  static void be(std::string& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
  }
  std::string build() const {
    std::string index, store;
    for (const auto& item : items) {
      while (item.type == 4 && store.size() % 4 != 0) store += '\0';
      be(index, item.tag);
      be(index, item.type);
      be(index, static_cast<std::uint32_t>(store.size()));
      be(index, item.count);
      store += item.data;
    }
    std::string out;
    be(out, static_cast<std::uint32_t>(items.size()));
    be(out, static_cast<std::uint32_t>(store.size()));
    return out + index + store;
  }
};

HeaderBuilder sample_header() {
  HeaderBuilder h;
  h.str(1000, "curl").str(1001, "7.76.1").str(1002, "26.el9_3.2").i32(1003, 2).str(1022, "aarch64");
  h.str(1044, "curl-7.76.1-26.el9_3.2.src.rpm").str(1014, "MIT");
  return h;
}

TEST(InventoryRpm, HeaderBlob) {
  const auto p = detail::parse_rpm_header(sample_header().build());
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_TRUE(p->has_value());
  EXPECT_EQ((*p)->name, "curl");
  EXPECT_EQ((*p)->version, "7.76.1-26.el9_3.2");
  EXPECT_EQ((*p)->epoch, "2");
  EXPECT_EQ((*p)->arch, "aarch64");
  EXPECT_EQ((*p)->source_name, "curl");
  EXPECT_EQ((*p)->source_version, "7.76.1-26.el9_3.2");
  EXPECT_EQ((*p)->licenses, "MIT");

  // A source rpm name with dashes in it, and an epoch of 0 (kept: "0" is not "no epoch").
  HeaderBuilder h;
  h.str(1000, "python3-libs").str(1001, "3.9.18").str(1002, "1.el9").i32(1003, 0).str(1022, "x86_64");
  h.str(1044, "python3.9-3.9.18-1.el9.src.rpm");
  const auto py = detail::parse_rpm_header(h.build());
  ASSERT_TRUE(py.ok()) << py.error().message;
  EXPECT_EQ((*py)->source_name, "python3.9");
  EXPECT_EQ((*py)->source_version, "3.9.18-1.el9");
  EXPECT_EQ((*py)->epoch, "0");

  HeaderBuilder key;
  key.str(1000, "gpg-pubkey").str(1001, "fd431d51").str(1002, "4ae0493b");
  const auto skipped = detail::parse_rpm_header(key.build());
  ASSERT_TRUE(skipped.ok());
  EXPECT_FALSE(skipped->has_value());
}

TEST(InventoryRpm, TruncatedOrGarbledHeaderIsCorruptNeverACrash) {
  const std::string blob = sample_header().build();
  // Every truncation.
  for (std::size_t n = 0; n < blob.size(); ++n) {
    const auto r = detail::parse_rpm_header(blob.substr(0, n));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.error().code, Errc::corrupt);
  }
  // Targeted damage.
  auto patch = [&](std::size_t at, std::uint32_t v) {
    std::string b = blob;
    for (int i = 0; i < 4; ++i) b[at + static_cast<std::size_t>(i)] = static_cast<char>(v >> (24 - 8 * i));
    return b;
  };
  const std::size_t first = 8;  // first index entry: tag, type, offset, count
  for (const auto& [b, what] : std::vector<std::pair<std::string, std::string>>{
           {patch(0, 0xffffffff), "huge il"},
           {patch(0, 0), "no entries"},
           {patch(4, 0x7fffffff), "huge dl"},
           {patch(4, 0xfffffff0), "dl wraps"},
           {patch(first + 4, 77), "unknown type"},
           {patch(first + 8, 0xfffffff0), "offset past the store"},
           {patch(first + 12, 2), "STRING with count 2"},
           {patch(first + 4, 4), "NAME as INT32"},
       }) {
    const auto r = detail::parse_rpm_header(b);
    ASSERT_FALSE(r.ok()) << what;
    EXPECT_EQ(r.error().code, Errc::corrupt) << what;
  }
  // A string whose NUL is missing: the data store ends inside it.
  HeaderBuilder h;
  h.str(1000, "curl").str(1001, "1").str(1002, "1");
  std::string b = h.build();
  b.pop_back();                        // drop the last NUL
  b[7] = static_cast<char>(b[7] - 1);  // and shrink dl to match
  const auto r = detail::parse_rpm_header(b);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::corrupt);
  // Missing NAME.
  HeaderBuilder nameless;
  nameless.str(1001, "1").str(1002, "1");
  EXPECT_FALSE(detail::parse_rpm_header(nameless.build()).ok());

  // Random byte flips: either a clean parse or corrupt, never anything else.
  std::uint32_t state = 12345;
  for (int round = 0; round < 2000; ++round) {
    std::string fuzzed = blob;
    for (int k = 0; k < 3; ++k) {
      state = state * 1103515245u + 12345u;
      const std::size_t at = (state >> 8) % fuzzed.size();
      state = state * 1103515245u + 12345u;
      fuzzed[at] = static_cast<char>(state >> 16);
    }
    const auto result = detail::parse_rpm_header(fuzzed);
    if (!result.ok()) {
      EXPECT_EQ(result.error().code, Errc::corrupt);
    }
  }
}

// ---------------------------------------------------------------- purl

TEST(InventoryPurl, OsPackages) {
  OperatingSystem debian{"debian", "12", "bookworm", ""};
  Package p;
  p.type = PackageType::dpkg;
  p.name = "libc6";
  p.version = "2.36-9+deb12u4";
  p.arch = "amd64";
  EXPECT_EQ(detail::make_purl(p, debian),
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12");
  // The epoch stays in the version; the colon is not percent-encoded (purl-spec, characters-and-encoding).
  p.name = "libcap2";
  p.version = "1:2.66-4+deb12u3+b1";
  EXPECT_EQ(detail::make_purl(p, debian),
            "pkg:deb/debian/libcap2@1:2.66-4%2Bdeb12u3%2Bb1?arch=amd64&distro=debian-12");
  // Debian sid: "trixie/sid"; unknown OS: vendor debian, no distro.
  EXPECT_EQ(detail::make_purl(p, OperatingSystem{"debian", "trixie/sid", "", ""}),
            "pkg:deb/debian/libcap2@1:2.66-4%2Bdeb12u3%2Bb1?arch=amd64&distro=debian-trixie%2Fsid");
  EXPECT_EQ(detail::make_purl(p, OperatingSystem{}),
            "pkg:deb/debian/libcap2@1:2.66-4%2Bdeb12u3%2Bb1?arch=amd64");
  EXPECT_EQ(detail::make_purl(p, OperatingSystem{"ubuntu", "22.04", "jammy", ""}),
            "pkg:deb/ubuntu/libcap2@1:2.66-4%2Bdeb12u3%2Bb1?arch=amd64&distro=ubuntu-22.04");

  Package apk;
  apk.type = PackageType::apk;
  apk.name = "musl";
  apk.version = "1.2.4-r0";
  apk.arch = "x86_64";
  EXPECT_EQ(detail::make_purl(apk, OperatingSystem{"alpine", "3.18.4", "", ""}),
            "pkg:apk/alpine/musl@1.2.4-r0?arch=x86_64&distro=alpine-3.18.4");

  Package rpm;
  rpm.type = PackageType::rpm;
  rpm.name = "openssl-libs";
  rpm.version = "3.0.1-41.el9_0";
  rpm.epoch = "1";
  rpm.arch = "x86_64";
  EXPECT_EQ(detail::make_purl(rpm, OperatingSystem{"almalinux", "9.3", "", ""}),
            "pkg:rpm/almalinux/openssl-libs@3.0.1-41.el9_0?arch=x86_64&distro=almalinux-9.3&epoch=1");
  rpm.epoch.clear();
  rpm.name = "NetworkManager";  // rpm names are case-sensitive
  EXPECT_EQ(detail::make_purl(rpm, OperatingSystem{}), "pkg:rpm/NetworkManager@3.0.1-41.el9_0?arch=x86_64");
}

TEST(InventoryPurl, LanguagePackages) {
  const OperatingSystem os{"debian", "12", "bookworm", ""};
  auto purl = [&](PackageType type, std::string name, std::string version) {
    Package p;
    p.type = type;
    p.name = std::move(name);
    p.version = std::move(version);
    return detail::make_purl(p, os);
  };
  EXPECT_EQ(purl(PackageType::npm, "lodash", "4.17.21"), "pkg:npm/lodash@4.17.21");
  EXPECT_EQ(purl(PackageType::npm, "@angular/core", "16.0.0-rc.1"), "pkg:npm/%40angular/core@16.0.0-rc.1");
  EXPECT_EQ(purl(PackageType::python, "Jinja2", "3.1.2"), "pkg:pypi/jinja2@3.1.2");
  EXPECT_EQ(purl(PackageType::python, "typing_extensions", "4.8.0"), "pkg:pypi/typing-extensions@4.8.0");
  EXPECT_EQ(purl(PackageType::gomod, "golang.org/x/net", "v0.17.0"), "pkg:golang/golang.org/x/net@v0.17.0");
  EXPECT_EQ(purl(PackageType::gobinary, "github.com/sirupsen/logrus", "v1.9.3"),
            "pkg:golang/github.com/sirupsen/logrus@v1.9.3");
  EXPECT_EQ(purl(PackageType::gobinary, "stdlib", "v1.21.4"), "pkg:golang/stdlib@v1.21.4");
  EXPECT_EQ(purl(PackageType::maven, "org.apache.logging.log4j:log4j-core", "2.14.1"),
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1");
  EXPECT_EQ(purl(PackageType::cargo, "openssl", "0.10.55"), "pkg:cargo/openssl@0.10.55");
  EXPECT_EQ(purl(PackageType::gem, "rack", "2.2.3"), "pkg:gem/rack@2.2.3");
  EXPECT_EQ(purl(PackageType::gem, "nokogiri", "1.15.4-x86_64-linux"),
            "pkg:gem/nokogiri@1.15.4-x86_64-linux");
  EXPECT_EQ(purl(PackageType::npm, "weird name", "1.0.0+build 5"), "pkg:npm/weird%20name@1.0.0%2Bbuild%205");
}

// ---------------------------------------------------------------- selector

TEST(InventorySelector, WantsTheRightFiles) {
  const auto selector = inventory::selector();
  auto wants = [&](std::string path, std::uint32_t mode = 0644, std::uint64_t size = 100) {
    return selector.wants(image::Entry{std::move(path), size, mode});
  };
  for (const char* path : {
           "etc/os-release",
           "usr/lib/os-release",
           "etc/alpine-release",
           "etc/debian_version",
           "var/lib/dpkg/status",
           "var/lib/dpkg/status.d/base-files",
           "var/lib/dpkg/status.d/libssl3",
           "lib/apk/db/installed",
           "var/lib/rpm/rpmdb.sqlite",
           "usr/lib/sysimage/rpm/rpmdb.sqlite",
           "var/lib/rpm/Packages",
           "var/lib/rpm/Packages.db",
           "app/package-lock.json",
           "package-lock.json",
           "app/node_modules/lodash/package.json",
           "app/node_modules/@angular/core/package.json",
           "app/node_modules/a/node_modules/b/package.json",
           "usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA",
           "usr/lib/python3.11/site-packages/six-1.16.0.egg-info/PKG-INFO",
           "usr/lib/python3/dist-packages/python_apt-2.6.0.egg-info",
           "src/Cargo.lock",
           "usr/local/bundle/specifications/rack-2.2.3.gemspec",
           "opt/app/app.jar",
           "opt/app/APP.WAR",
           "srv/x.ear",
           "srv/x.par",
       }) {
    EXPECT_TRUE(wants(path)) << path;
  }
  EXPECT_TRUE(wants("usr/local/bin/kubectl", 0755, 50'000'000));
  EXPECT_TRUE(wants("usr/bin/tool", 0100, 10));

  for (const char* path : {
           "etc/os-release.bak",
           "etc/passwd",
           "var/lib/dpkg/status-old",
           "var/lib/dpkg/status.d/libssl3.md5sums",
           "var/lib/dpkg/status.d/sub/dir",
           "var/lib/dpkg/available",
           "lib/apk/db/scripts.tar",
           "var/lib/rpm/rpmdb.sqlite-wal",
           "app/node_modules/x/package-lock.json",
           "app/package.json",
           "app/node_modules/package.json",
           "app/node_modules/lodash/lib/package.json",
           "app/node_modules/@scope/package.json",
           "usr/lib/python3/dist-packages/requests/METADATA",
           "usr/lib/python3/dist-packages/requests-2.31.0.dist-info/RECORD",
           "src/Cargo.toml",
           "usr/local/bundle/gems/rack-2.2.3/rack.gemspec",
           "opt/app/app.jar.sha1",
           "usr/share/doc/readme",
       }) {
    EXPECT_FALSE(wants(path)) << path;
  }
  EXPECT_FALSE(wants("usr/local/bin/empty", 0755, 0));
  EXPECT_FALSE(wants("usr/local/bin/notexec", 0644, 1000));
}

TEST(InventorySelector, KeepReadsTextFilesWithinTheirCap) {
  const auto selector = inventory::selector();
  const std::string status = slurp(kBookworm + "/var/lib/dpkg/status");
  StringContent content(status);
  auto kept = selector.keep(image::Entry{"var/lib/dpkg/status", status.size(), 0644}, content);
  ASSERT_TRUE(kept.ok()) << kept.error().message;
  ASSERT_TRUE(kept->has_value());
  EXPECT_EQ(**kept, status);

  // An NDB rpm database is noted, not read.
  StringContent ndb(std::string(1 << 16, 'x'));
  kept = selector.keep(image::Entry{"var/lib/rpm/Packages.db", 1 << 16, 0644}, ndb);
  ASSERT_TRUE(kept.ok());
  ASSERT_TRUE(kept->has_value());
  EXPECT_EQ(**kept, "");

  // An oversized manifest is kept empty (analyze() warns), not read.
  StringContent big("{}");
  kept = selector.keep(image::Entry{"app/node_modules/x/package.json", 100ull << 20, 0644}, big);
  ASSERT_TRUE(kept.ok());
  ASSERT_TRUE(kept->has_value());
  EXPECT_EQ(**kept, "");

  // Files the selector does not want are forgotten.
  StringContent other("x");
  kept = selector.keep(image::Entry{"etc/passwd", 1, 0644}, other);
  ASSERT_TRUE(kept.ok());
  EXPECT_FALSE(kept->has_value());
}

// Content whose layer fails after a few bytes.
class FailingContent final : public image::Content {
 public:
  base::Result<std::size_t> read(std::span<char> out) override {
    if (calls_++ == 0 && !out.empty()) {
      out[0] = 'P';
      return std::size_t{1};
    }
    return base::make_error(Errc::io_error, "layer truncated");
  }

 private:
  int calls_ = 0;
};

TEST(InventorySelector, SummaryErrorsBecomeWarningsLayerErrorsEndTheWalk) {
  const auto selector = inventory::selector();
  // A .jar that is no zip at all: the walk goes on, and analyze() warns or ignores it.
  const std::string junk = "PK\x03\x04 this is not really a zip archive, just junk bytes";
  StringContent content(junk);
  const image::Entry jar{"opt/app/broken.jar", junk.size(), 0644};
  auto kept = selector.keep(jar, content);
  ASSERT_TRUE(kept.ok()) << kept.error().message;
  if (kept->has_value()) {
    image::Snapshot s;
    put(s, jar.path, **kept);
    const auto inventory = analyze(s);
    ASSERT_TRUE(inventory.ok()) << inventory.error().message;
    EXPECT_TRUE(inventory->packages.empty());
    ASSERT_EQ(inventory->warnings.size(), 1u);
    EXPECT_TRUE(inventory->warnings[0].starts_with("opt/app/broken.jar: ")) << inventory->warnings[0];
  }
  // The layer itself failing is the walk's error, whatever the file.
  for (const image::Entry& entry :
       {image::Entry{"opt/app/app.jar", 1000, 0644}, image::Entry{"usr/local/bin/tool", 1000, 0755},
        image::Entry{"var/lib/dpkg/status", 1000, 0644}}) {
    FailingContent failing;
    const auto r = selector.keep(entry, failing);
    ASSERT_FALSE(r.ok()) << entry.path;
    EXPECT_EQ(r.error().code, Errc::io_error) << entry.path;
  }
}

// ---------------------------------------------------------------- analyze

image::Snapshot bookworm_snapshot() {
  image::Snapshot s;
  for (const char* path :
       {"etc/os-release", "usr/lib/os-release", "etc/debian_version", "var/lib/dpkg/status"}) {
    put(s, path, slurp(kBookworm + "/" + path));
  }
  return s;
}

TEST(InventoryAnalyze, BookwormMinbase) {
  const auto inventory = analyze(bookworm_snapshot());
  ASSERT_TRUE(inventory.ok()) << inventory.error().message;
  EXPECT_EQ(inventory->os.family, "debian");
  EXPECT_EQ(inventory->os.version, "12");
  EXPECT_EQ(inventory->os.codename, "bookworm");
  ASSERT_EQ(inventory->packages.size(), 88u);
  EXPECT_TRUE(inventory->warnings.empty());
  for (const auto& p : inventory->packages) {
    EXPECT_EQ(p.path, "var/lib/dpkg/status");
    EXPECT_TRUE(p.purl.starts_with("pkg:deb/debian/")) << p.purl;
    EXPECT_NE(p.purl.find("?arch=" + p.arch + "&"), std::string::npos) << p.purl;
    EXPECT_TRUE(p.purl.ends_with("&distro=debian-12")) << p.purl;
  }
  EXPECT_TRUE(std::is_sorted(
      inventory->packages.begin(), inventory->packages.end(), [](const Package& a, const Package& b) {
        return std::tie(a.type, a.name, a.version, a.path) < std::tie(b.type, b.name, b.version, b.path);
      }));
  const Package* bash = find(inventory->packages, "bash");
  ASSERT_NE(bash, nullptr);
  EXPECT_EQ(bash->purl, "pkg:deb/debian/bash@5.2.15-2%2Bb13?arch=amd64&distro=debian-12");
  EXPECT_EQ(type_name(bash->type), "dpkg");
  const Package* libstdcxx = find(inventory->packages, "libstdc++6");
  ASSERT_NE(libstdcxx, nullptr);
  EXPECT_EQ(libstdcxx->purl, "pkg:deb/debian/libstdc%2B%2B6@12.2.0-14%2Bdeb12u1?arch=amd64&distro=debian-12");
}

TEST(InventoryAnalyze, CorruptOsDatabaseFailsNamingTheFile) {
  auto s = bookworm_snapshot();
  put(s, "var/lib/dpkg/status", std::string("\x1f\x8b\x08\0garbage\0\xff\xfe", 14));
  auto inventory = analyze(s);
  ASSERT_FALSE(inventory.ok());
  EXPECT_EQ(inventory.error().code, Errc::corrupt);
  EXPECT_NE(inventory.error().message.find("var/lib/dpkg/status"), std::string::npos);

  image::Snapshot rpm;
  put(rpm, "usr/lib/sysimage/rpm/rpmdb.sqlite", "SQLite format 3");
  inventory = analyze(rpm);
  ASSERT_FALSE(inventory.ok());
  EXPECT_EQ(inventory.error().code, Errc::corrupt);
  EXPECT_NE(inventory.error().message.find("usr/lib/sysimage/rpm/rpmdb.sqlite"), std::string::npos);

  // Too large to have been read.
  image::Snapshot big;
  put(big, "lib/apk/db/installed", "");
  big["lib/apk/db/installed"].entry.size = 1ull << 30;
  inventory = analyze(big);
  ASSERT_FALSE(inventory.ok());
  EXPECT_EQ(inventory.error().code, Errc::too_large);
}

TEST(InventoryAnalyze, AlpineAndRpmAndStatusD) {
  image::Snapshot s;
  put(s, "etc/alpine-release", "3.18.0\n");
  put(s, "lib/apk/db/installed", slurp(kAlpine));
  auto inventory = analyze(s);
  ASSERT_TRUE(inventory.ok()) << inventory.error().message;
  EXPECT_EQ(inventory->os.family, "alpine");
  EXPECT_EQ(inventory->os.version, "3.18.0");
  ASSERT_EQ(inventory->packages.size(), 15u);
  EXPECT_EQ(inventory->packages.front().name, "alpine-baselayout");
  const Package* musl = find(inventory->packages, "musl");
  ASSERT_NE(musl, nullptr);
  EXPECT_EQ(musl->purl, "pkg:apk/alpine/musl@1.2.4-r0?arch=x86_64&distro=alpine-3.18.0");

  image::Snapshot alma;
  put(alma, "etc/os-release", "NAME=\"AlmaLinux\"\nVERSION_ID=\"9.3\"\nID=\"almalinux\"\n");
  put(alma, "var/lib/rpm/rpmdb.sqlite", slurp(kRpmDb));
  put(alma, "var/lib/rpm/Packages", "");  // a leftover next to the sqlite db: no warning
  inventory = analyze(alma);
  ASSERT_TRUE(inventory.ok()) << inventory.error().message;
  EXPECT_TRUE(inventory->warnings.empty());
  ASSERT_EQ(inventory->packages.size(), 3u);
  EXPECT_EQ(inventory->packages[0].name, "bash");
  EXPECT_EQ(inventory->packages[1].name, "openssl-libs");
  EXPECT_EQ(inventory->packages[1].purl,
            "pkg:rpm/almalinux/openssl-libs@3.0.1-41.el9_0?arch=x86_64&distro=almalinux-9.3&epoch=1");
  EXPECT_EQ(inventory->packages[2].name, "tzdata");

  image::Snapshot distroless;
  put(distroless, "etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n");
  put(distroless, "var/lib/dpkg/status.d/tzdata",
      "Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n");
  put(distroless, "var/lib/dpkg/status.d/base",
      "Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n\n"
      "Package: netbase\nVersion: 6.4\nArchitecture: all\n");
  inventory = analyze(distroless);
  ASSERT_TRUE(inventory.ok()) << inventory.error().message;
  ASSERT_EQ(inventory->packages.size(), 3u);
  EXPECT_EQ(inventory->packages[0].name, "base-files");
  EXPECT_EQ(inventory->packages[0].path, "var/lib/dpkg/status.d/base");
  EXPECT_EQ(inventory->packages[2].name, "tzdata");
  EXPECT_EQ(inventory->packages[2].path, "var/lib/dpkg/status.d/tzdata");
}

TEST(InventoryAnalyze, BerkeleyDbRpmDatabaseOfAnOlderRelease) {
  image::Snapshot s;
  put(s, "etc/os-release", "NAME=\"CentOS Linux\"\nID=\"centos\"\nVERSION_ID=\"7\"\n");
  put(s, "var/lib/rpm/Packages", slurp(kRpmBdb));
  const auto inventory = analyze(s);
  ASSERT_TRUE(inventory.ok()) << inventory.error().message;
  EXPECT_TRUE(inventory->warnings.empty());
  ASSERT_EQ(inventory->packages.size(), 3u);
  const Package* openssl = find(inventory->packages, "openssl-libs");
  ASSERT_NE(openssl, nullptr);
  EXPECT_EQ(openssl->purl, "pkg:rpm/centos/openssl-libs@3.0.1-41.el9_0?arch=x86_64&distro=centos-7&epoch=1");

  put(s, "var/lib/rpm/Packages", "not a database, but long enough to be read as one" + std::string(600, '!'));
  const auto damaged = analyze(s);
  ASSERT_FALSE(damaged.ok());
  EXPECT_EQ(damaged.error().code, Errc::corrupt);
  EXPECT_NE(damaged.error().message.find("var/lib/rpm/Packages"), std::string::npos)
      << damaged.error().message;
}

TEST(InventoryAnalyze, LegacyRpmDatabaseAndBadManifestsAreWarnings) {
  image::Snapshot s;
  put(s, "etc/os-release", "ID=\"sles\"\nVERSION_ID=\"15.5\"\n");
  put(s, "var/lib/rpm/Packages.db", "");
  put(s, "app/package-lock.json", "{ this is not json");
  put(s, "app/node_modules/big/package.json", "");
  s["app/node_modules/big/package.json"].entry.size = 100ull << 20;
  const auto inventory = analyze(s);
  ASSERT_TRUE(inventory.ok()) << inventory.error().message;
  EXPECT_TRUE(inventory->packages.empty());
  ASSERT_EQ(inventory->warnings.size(), 3u);
  auto warned = [&](std::string_view path) {
    return std::any_of(inventory->warnings.begin(), inventory->warnings.end(),
                       [&](const std::string& w) { return w.starts_with(path); });
  };
  EXPECT_TRUE(warned("var/lib/rpm/Packages.db"));
  EXPECT_TRUE(warned("app/package-lock.json"));
  EXPECT_TRUE(warned("app/node_modules/big/package.json"));
}

// dpkg and apk take any byte in a field; what is not UTF-8 is replaced as the inventory is
// made, because it is stored and served as JSON (found fuzzing the vulnerability importers,
// whose YAML sources have the same property).
TEST(InventoryAnalyze, TextThatIsNotUtf8IsReplaced) {
  image::Snapshot s;
  put(s, "etc/os-release", "ID=debian\nVERSION_ID=12\nPRETTY_NAME=\"Debian \xff\"\n");
  put(s, "var/lib/dpkg/status",
      "Package: caf\xe9\nStatus: install ok installed\nVersion: 1.0\xd0-1\nArchitecture: amd64\n\n");
  auto inventory = analyze(s);
  ASSERT_TRUE(inventory.ok()) << inventory.error().message;
  ASSERT_EQ(inventory->packages.size(), 1u);
  EXPECT_EQ(inventory->packages[0].name, "caf\xef\xbf\xbd");
  EXPECT_EQ(inventory->packages[0].version, "1.0\xef\xbf\xbd-1");
  EXPECT_EQ(inventory->os.pretty_name, "Debian \xef\xbf\xbd");
}

TEST(InventoryAnalyze, TypeNames) {
  EXPECT_EQ(type_name(PackageType::dpkg), "dpkg");
  EXPECT_EQ(type_name(PackageType::apk), "apk");
  EXPECT_EQ(type_name(PackageType::rpm), "rpm");
  EXPECT_EQ(type_name(PackageType::npm), "npm");
  EXPECT_EQ(type_name(PackageType::python), "python");
  EXPECT_EQ(type_name(PackageType::gomod), "gomod");
  EXPECT_EQ(type_name(PackageType::gobinary), "gobinary");
  EXPECT_EQ(type_name(PackageType::maven), "maven");
  EXPECT_EQ(type_name(PackageType::cargo), "cargo");
  EXPECT_EQ(type_name(PackageType::gem), "gem");
}

}  // namespace
}  // namespace berth::inventory
