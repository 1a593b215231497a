#include <gtest/gtest.h>

#include <cstddef>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "version/compare.h"

namespace berth::version {
namespace {

const std::string kVersionsDir = std::string(BERTH_TEST_DATA) + "/vulndb-sample/versions/";

int sign(int v) {
  return v < 0 ? -1 : (v > 0 ? 1 : 0);
}

const char* op_name(int order) {
  return order < 0 ? "<" : (order > 0 ? ">" : "=");
}

struct TableResult {
  std::size_t comparisons = 0;
};

// Reads every line of an oracle table ("A <op> B"; '#' starts a comment line, blank lines
// separate groups) and requires compare() to agree both ways round. All disagreeing lines
// are reported, up to a cap, with their line numbers.
TableResult check_table(Scheme scheme, const std::string& file) {
  TableResult result;
  std::ifstream in(kVersionsDir + file);
  EXPECT_TRUE(in.is_open()) << "cannot open " << kVersionsDir + file;
  std::size_t failures = 0;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos || line.front() == '#') continue;
    std::istringstream fields(line);
    std::string a;
    std::string op;
    std::string b;
    std::string extra;
    fields >> a >> op >> b;
    const bool well_formed =
        !a.empty() && !b.empty() && (op == "<" || op == "=" || op == ">") && !(fields >> extra);
    EXPECT_TRUE(well_formed) << file << ":" << number << ": unreadable line '" << line << "'";
    if (!well_formed) continue;
    ++result.comparisons;

    const int expected = op == "<" ? -1 : (op == ">" ? 1 : 0);
    const int forward = sign(compare(scheme, a, b));
    const int backward = sign(compare(scheme, b, a));
    if (forward != expected || backward != -expected) {
      if (++failures <= 50) {
        ADD_FAILURE() << file << ":" << number << ": '" << line << "' expected " << a << " "
                      << op_name(expected) << " " << b << ", got " << op_name(forward)
                      << " (reversed: " << op_name(backward) << ")";
      }
    }
    EXPECT_EQ(compare(scheme, a, a), 0) << file << ":" << number << ": " << a << " not equal to itself";
  }
  EXPECT_EQ(failures, 0u) << file << ": " << failures << " lines disagree";
  return result;
}

// Every pair from a list given in strictly increasing order.
void expect_ascending(Scheme scheme, std::initializer_list<std::string_view> versions) {
  const std::vector<std::string_view> list(versions);
  for (std::size_t i = 0; i < list.size(); ++i) {
    for (std::size_t j = i + 1; j < list.size(); ++j) {
      EXPECT_LT(compare(scheme, list[i], list[j]), 0) << "'" << list[i] << "' < '" << list[j] << "'";
      EXPECT_GT(compare(scheme, list[j], list[i]), 0) << "'" << list[j] << "' > '" << list[i] << "'";
    }
  }
}

void expect_equal(Scheme scheme, std::string_view a, std::string_view b) {
  EXPECT_EQ(compare(scheme, a, b), 0) << "'" << a << "' == '" << b << "'";
  EXPECT_EQ(compare(scheme, b, a), 0) << "'" << b << "' == '" << a << "'";
}

// ---------------------------------------------------------------------------------------
// Oracle tables

TEST(VersionTables, DebianAgreesWithDpkg) {
  const TableResult hand = check_table(Scheme::dpkg, "debian-versions.txt");
  const TableResult generated = check_table(Scheme::dpkg, "debian-versions-generated.txt");
  EXPECT_EQ(hand.comparisons + generated.comparisons, 14472u);  // as the table's README counts them
}

TEST(VersionTables, RedHatAgreesWithRpmvercmp) {
  EXPECT_EQ(check_table(Scheme::rpm, "redhat-versions.txt").comparisons, 165u);
}

// The Alpine tables: the generated one produced by apk-tools 2, the hand-written one with
// invalid versions on which apk-tools releases disagree (its comments say so) and where it
// follows OSV's reference order. Every line of both.
TEST(VersionTables, AlpineAgreesWithApkTools) {
  const TableResult hand = check_table(Scheme::apk, "alpine-versions.txt");
  const TableResult generated = check_table(Scheme::apk, "alpine-versions-generated.txt");
  EXPECT_EQ(hand.comparisons, 778u);
  EXPECT_EQ(generated.comparisons, 13979u);
}

// ---------------------------------------------------------------------------------------
// dpkg

TEST(VersionDpkg, PolicyTildeOrdering) {
  // Policy 5.6.12: "~~", "~~a", "~", the empty part, "a".
  expect_ascending(Scheme::dpkg, {"1.0~~", "1.0~~a", "1.0~", "1.0", "1.0a"});
  expect_ascending(Scheme::dpkg,
                   {"1.0", "1.0-1", "1.0-1+b1", "1.0-1+deb12u1", "1.0-2", "1.0+b1", "1:0.9", "2:0.1"});
  expect_ascending(Scheme::dpkg, {"2.36-9+deb12u1", "2.36-9+deb12u4", "2.36-9+deb12u10"});
  expect_equal(Scheme::dpkg, "1.0", "0:1.0-0");
  expect_equal(Scheme::dpkg, "1.01", "1.1");
}

TEST(VersionDpkg, Valid) {
  for (std::string_view v :
       {"1.0", "1:2.3-4", "2.36-9+deb12u4", "1.2.3~rc1-1~bpo12+1", "0:1-1-1", "1:2:3-1"}) {
    EXPECT_TRUE(valid(Scheme::dpkg, v)) << v;
  }
  for (std::string_view v :
       {"", "a1.0", "1.0-", "x:1.0", ":1.0", "1.0 1", "1.0-1_2", "1.0:1", "1.0_1", "-1"}) {
    EXPECT_FALSE(valid(Scheme::dpkg, v)) << v;
  }
}

// ---------------------------------------------------------------------------------------
// rpm

TEST(VersionRpm, EpochVersionRelease) {
  expect_ascending(Scheme::rpm, {"3.0.1-41.el9_0", "3.0.7-27.el9", "1:3.0.1-41.el9_0", "1:3.0.1-43.el9_0",
                                 "1:3.0.7-18.el9", "2:1.0-1"});
  expect_equal(Scheme::rpm, "0:3.0.7-27.el9", "3.0.7-27.el9");
  expect_ascending(Scheme::rpm, {"1.0~rc1", "1.0", "1.0^git1", "1.0.1"});
  expect_ascending(Scheme::rpm, {"2.34-60.el9", "2.34-60.el9_2.7", "2.34-83.el9.12", "2.34-100.el9_4.2"});
}

TEST(VersionRpm, Valid) {
  for (std::string_view v : {"1:3.0.1-41.el9_0", "3.0.1", "1.0~rc1^git2-1.fc40", "0:2.4.21-9.EL"}) {
    EXPECT_TRUE(valid(Scheme::rpm, v)) << v;
  }
  for (std::string_view v : {"", "a:1.0", "1:2:3", "1.0-1-1", "1.0-", "-1", "1.0 1", "1.0-1/2"}) {
    EXPECT_FALSE(valid(Scheme::rpm, v)) << v;
  }
}

// ---------------------------------------------------------------------------------------
// apk

TEST(VersionApk, Suffixes) {
  expect_ascending(Scheme::apk,
                   {"1.2_alpha", "1.2_alpha1", "1.2_beta", "1.2_pre1", "1.2_rc1", "1.2", "1.2-r1", "1.2_cvs1",
                    "1.2_svn1", "1.2_git1", "1.2_hg1", "1.2_p1", "1.2a", "1.2.1"});
  expect_ascending(Scheme::apk, {"3.1.0-r4", "3.1.0-r10", "3.1.1-r0", "3.1.1a-r0"});
  expect_equal(Scheme::apk, "1-r1", "1-r01");
}

TEST(VersionApk, CommitHashesAreNotComparedAndOldStyleVersionsOrderByNumber) {
  expect_equal(Scheme::apk, "1.0~abc1-r1", "1.0~def2-r1");
  expect_ascending(Scheme::apk, {"1.0~fff-r1", "1.0-r2", "1.0.1~000-r0"});
  // The letter-then-digits versions of Alpine's old security data: invalid, yet ordered.
  expect_ascending(Scheme::apk, {"6.6.1p1-r2", "6.6.1p1-r9", "6.6.1p1-r10", "6.6.2p1-r0", "6.6.10p1-r0"});
}

TEST(VersionApk, Valid) {
  for (std::string_view v : {"1.2.3", "1.2.3_rc1-r0", "3.1.0-r4", "1.0b", "0.1.0_alpha_pre2", "6.6.2p1-r1"}) {
    EXPECT_TRUE(valid(Scheme::apk, v)) << v;
  }
  for (std::string_view v : {"", "a1", "1.0bc", "1.2_foo", "1.0-1", "1.0-r1-r2", "1.0!", "v1.0"}) {
    EXPECT_FALSE(valid(Scheme::apk, v)) << v;
  }
}

// ---------------------------------------------------------------------------------------
// semver

TEST(VersionSemver, SpecPrecedenceExamples) {
  // SemVer 2.0.0 section 11.
  expect_ascending(Scheme::semver, {"1.0.0", "2.0.0", "2.1.0", "2.1.1"});
  expect_ascending(Scheme::semver, {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
                                    "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0"});
}

TEST(VersionSemver, LenientForms) {
  expect_equal(Scheme::semver, "1.0.0+build.1", "1.0.0+build.2");  // build metadata ignored
  expect_equal(Scheme::semver, "1.0.0-rc.1+b", "1.0.0-rc.1");
  expect_equal(Scheme::semver, "v1.2.3", "1.2.3");  // Go
  expect_equal(Scheme::semver, "1.2", "1.2.0");
  expect_equal(Scheme::semver, "1", "1.0.0");
  expect_ascending(Scheme::semver, {"0.9.99", "1", "1.0.1", "1.2", "1.10.0", "10.0.0"});
  expect_ascending(Scheme::semver, {"1.2.3-9", "1.2.3-10", "1.2.3-a", "1.2.3"});
  expect_ascending(Scheme::semver,
                   {"v0.0.0-20210101000000-abcdef123456", "v0.0.0-20220101000000-abcdef123456", "v0.1.0"});
  expect_ascending(Scheme::semver, {"4.17.20", "4.17.21", "18446744073709551616.0.0"});
  // Text without a leading number still orders, before every version.
  expect_ascending(Scheme::semver, {"latest", "0.0.0"});
}

TEST(VersionSemver, Valid) {
  for (std::string_view v : {"1.2.3", "v1.2.3", "1.2", "1", "1.0.0-rc.1+build.5", "1.0.0-x-y.0", "0.0.0"}) {
    EXPECT_TRUE(valid(Scheme::semver, v)) << v;
  }
  for (std::string_view v : {"", "latest", "01.2.3", "1.02.3", "1.2.3-01", "1.2.3.4", "1.2.3-", "1.2.3+",
                             "1.2.3-a..b", "1.2.x", " 1.2.3"}) {
    EXPECT_FALSE(valid(Scheme::semver, v)) << v;
  }
}

// ---------------------------------------------------------------------------------------
// PEP 440

TEST(VersionPep440, SummaryOfPermittedSuffixesAndRelativeOrdering) {
  // The example list of PEP 440, "Summary of permitted suffixes and relative ordering".
  expect_ascending(Scheme::pep440, {"1.dev0",
                                    "1.0.dev456",
                                    "1.0a1",
                                    "1.0a2.dev456",
                                    "1.0a12.dev456",
                                    "1.0a12",
                                    "1.0b1.dev456",
                                    "1.0b2",
                                    "1.0b2.post345.dev456",
                                    "1.0b2.post345",
                                    "1.0rc1.dev456",
                                    "1.0rc1",
                                    "1.0",
                                    "1.0+abc.5",
                                    "1.0+abc.7",
                                    "1.0+5",
                                    "1.0.post456.dev34",
                                    "1.0.post456",
                                    "1.0.15",
                                    "1.1.dev1"});
}

TEST(VersionPep440, Normalisation) {
  expect_equal(Scheme::pep440, "1.0RC1", "1.0rc1");
  expect_equal(Scheme::pep440, "1.0c1", "1.0rc1");
  expect_equal(Scheme::pep440, "1.0-preview_2", "1.0rc2");
  expect_equal(Scheme::pep440, "1.0alpha1", "1.0a1");
  expect_equal(Scheme::pep440, "1.0.beta.1", "1.0b1");
  expect_equal(Scheme::pep440, "1.0a", "1.0a0");
  expect_equal(Scheme::pep440, "1.0-1", "1.0.post1");  // implicit post release
  expect_equal(Scheme::pep440, "1.0-r4", "1.0.post4");
  expect_equal(Scheme::pep440, "1.0rev", "1.0.post0");
  expect_equal(Scheme::pep440, "1.0-dev", "1.0.dev0");
  expect_equal(Scheme::pep440, "v1.0", "1.0");
  expect_equal(Scheme::pep440, " 1.0 ", "1.0");
  expect_equal(Scheme::pep440, "1.0.0", "1");
  expect_equal(Scheme::pep440, "0!1.0", "1.0");
  expect_equal(Scheme::pep440, "1.01", "1.1");
  expect_equal(Scheme::pep440, "1.0+Ubuntu-1", "1.0+ubuntu.1");
}

TEST(VersionPep440, EpochsAndLocalVersions) {
  expect_ascending(Scheme::pep440, {"2020.1", "1!0.1", "1!1.0", "2!0.0.dev0"});
  expect_ascending(Scheme::pep440,
                   {"1.0", "1.0+abc", "1.0+abc.1", "1.0+abd", "1.0+0", "1.0+1.a", "1.0+2", "1.0.1"});
  expect_ascending(Scheme::pep440, {"2.28.2", "2.31.0", "2.32.0rc1", "2.32.0", "2.32.3"});
}

TEST(VersionPep440, Valid) {
  for (std::string_view v : {"1.0", "1!2.0.post1.dev3+local.7", "1.0RC1", "v2", "1.0-1", "2024.10.1"}) {
    EXPECT_TRUE(valid(Scheme::pep440, v)) << v;
  }
  for (std::string_view v : {"", "foo", "1.0-", "1.0+", "1..0", "1.0+a..b", "1.0.x", "1.0 1", "!1.0"}) {
    EXPECT_FALSE(valid(Scheme::pep440, v)) << v;
  }
  // Text that is not a version still orders, before every version.
  expect_ascending(Scheme::pep440, {"foo", "0.dev0", "0"});
}

// ---------------------------------------------------------------------------------------
// Maven

TEST(VersionMaven, Qualifiers) {
  expect_ascending(Scheme::maven, {"1-alpha", "1-beta", "1-milestone", "1-rc", "1-snapshot", "1", "1-sp"});
  expect_ascending(Scheme::maven,
                   {"1-alpha-1", "1-alpha-2", "1-beta-1", "1-sp", "1-abc", "1-foo", "1-1", "1.1"});
  expect_equal(Scheme::maven, "1-ga", "1");
  expect_equal(Scheme::maven, "1-final", "1");
  expect_equal(Scheme::maven, "1-release", "1");
  expect_equal(Scheme::maven, "1-cr", "1-rc");
  expect_equal(Scheme::maven, "1.0-RC1", "1-rc-1");
  expect_equal(Scheme::maven, "1-SNAPSHOT", "1-snapshot");
}

TEST(VersionMaven, ShorthandsAndSeparators) {
  // a, b and m stand for alpha, beta and milestone only when a digit follows.
  expect_equal(Scheme::maven, "1a1", "1-alpha-1");
  expect_equal(Scheme::maven, "1.0-b2", "1-beta-2");
  expect_equal(Scheme::maven, "1-m3", "1-milestone-3");
  expect_ascending(Scheme::maven, {"1-a", "1-b", "1-m", "1-x"});  // plain words: after sp, alphabetical
  expect_ascending(Scheme::maven, {"1-sp", "1-a"});
  expect_equal(Scheme::maven, "1.foo", "1-foo");
  expect_equal(Scheme::maven, "1.0.0.x1", "1.0.0-x1");
  expect_ascending(Scheme::maven, {"1-foo2", "1-foo10"});
}

TEST(VersionMaven, TrailingZerosAndNesting) {
  expect_equal(Scheme::maven, "1.0.0", "1");
  expect_equal(Scheme::maven, "1.ga", "1-0");
  expect_equal(Scheme::maven, "1-0", "1.0");
  expect_equal(Scheme::maven, "1.0-0.0", "1");
  // Maven 3.8 keeps "1-ga-1" below "1-1" (the nested list [[1]] is below the number); the
  // "1-ga-1" == "1-1" of Maven's version-order documentation is newer Maven's.
  expect_ascending(Scheme::maven, {"1-sp-1", "1-ga-1", "1-1"});
  expect_ascending(Scheme::maven, {"1-ga.1", "1-sp.1"});
  expect_ascending(Scheme::maven, {"1", "1.1", "1.1.1", "1.2", "1.10", "2.0-alpha1", "2.0"});
  expect_ascending(Scheme::maven, {"2.13.4", "2.13.4.1", "2.13.4.2", "2.13.5", "2.14.0-rc1", "2.14.0"});
  expect_ascending(Scheme::maven, {"1.0", "1.0.12345678901234567890", "1.0.12345678901234567891"});
}

TEST(VersionMaven, Valid) {
  for (std::string_view v :
       {"1.0", "1.0-SNAPSHOT", "2.13.4.2", "1.0.0.RELEASE", "9.4.50.v20221201", "1.0_beta"}) {
    EXPECT_TRUE(valid(Scheme::maven, v)) << v;
  }
  for (std::string_view v : {"", "-1", ".1", "1.0 beta", "1.0/2", "${project.version}"}) {
    EXPECT_FALSE(valid(Scheme::maven, v)) << v;
  }
}

// ---------------------------------------------------------------------------------------
// RubyGems

TEST(VersionRubygems, PrereleasesAndTrailingZeros) {
  expect_ascending(Scheme::rubygems, {"1.0.a", "1.0"});
  expect_equal(Scheme::rubygems, "1.0.0", "1");
  expect_equal(Scheme::rubygems, "1.0.a.0", "1.a");
  expect_equal(Scheme::rubygems, "1.0-1", "1.0.pre.1");  // '-' reads as ".pre."
  expect_equal(Scheme::rubygems, " 1.0 ", "1.0");
  // The example of Gem::Version's documentation: 1.0.a.2 < 1.0.b1 < 1.0.
  expect_ascending(Scheme::rubygems, {"1.0.a.2", "1.0.b1", "1.0"});
  expect_ascending(Scheme::rubygems,
                   {"1.0.a", "1.0-1", "1.0.rc1", "1.0", "1.0.1", "1.1.a", "1.1", "1.9", "1.10"});
  expect_ascending(Scheme::rubygems, {"2.2.8", "2.2.8.1", "3.0.0.beta1", "3.0.0.rc1", "3.0.0"});
  expect_ascending(Scheme::rubygems, {"1.13.10", "1.14.0.rc1", "1.14.0"});  // nokogiri
  // Text that is not a version still orders, before every version.
  expect_ascending(Scheme::rubygems, {"junk", "0"});
}

TEST(VersionRubygems, Valid) {
  for (std::string_view v : {"1", "1.0.a", "2.0.0.rc1", "1.0-pre-1.x", "1.0.b1", " 1.0 "}) {
    EXPECT_TRUE(valid(Scheme::rubygems, v)) << v;
  }
  for (std::string_view v : {"", " ", "a1", ".1", "1.", "1..0", "1.0-", "1.0_1", "1.0 1", "v1.0"}) {
    EXPECT_FALSE(valid(Scheme::rubygems, v)) << v;
  }
}

// ---------------------------------------------------------------------------------------
// Ecosystems

TEST(SchemeForEcosystem, OsvNames) {
  const std::pair<std::string_view, Scheme> cases[] = {
      {"Debian", Scheme::dpkg},
      {"Debian:12", Scheme::dpkg},
      {"Ubuntu:22.04:LTS", Scheme::dpkg},
      {"Ubuntu:Pro:18.04:LTS", Scheme::dpkg},
      {"Alpine", Scheme::apk},
      {"Alpine:v3.18", Scheme::apk},
      {"AlmaLinux:9", Scheme::rpm},
      {"Rocky Linux:8", Scheme::rpm},
      {"Red Hat", Scheme::rpm},
      {"Red Hat:enterprise_linux:9::appstream", Scheme::rpm},
      {"openSUSE:Leap 15.5", Scheme::rpm},
      {"SUSE:Linux Enterprise Server 15 SP5", Scheme::rpm},
      {"Mageia:9", Scheme::rpm},
      {"npm", Scheme::semver},
      {"crates.io", Scheme::semver},
      {"Go", Scheme::semver},
      {"NuGet", Scheme::semver},
      {"Hex", Scheme::semver},
      {"Pub", Scheme::semver},
      {"Packagist", Scheme::semver},
      {"PyPI", Scheme::pep440},
      {"Maven", Scheme::maven},
      {"RubyGems", Scheme::rubygems},
  };
  for (const auto& [ecosystem, scheme] : cases) {
    const std::optional<Scheme> got = scheme_for_ecosystem(ecosystem);
    ASSERT_TRUE(got.has_value()) << ecosystem;
    EXPECT_EQ(*got, scheme) << ecosystem;
  }
}

TEST(SchemeForEcosystem, UnknownNames) {
  for (std::string_view ecosystem :
       {"", "CRAN", "Hackage", "Linux", "Android", "DebianX", "GIT", ":Debian"}) {
    EXPECT_FALSE(scheme_for_ecosystem(ecosystem).has_value()) << ecosystem;
  }
}

}  // namespace
}  // namespace berth::version
