// OSV range evaluation and the package coordinates used for lookups.
#include <gtest/gtest.h>

#include "vulndb/match.h"

namespace berth::vulndb {
namespace {

Affected with_events(std::vector<Event> events, bool semver = false) {
  Affected a;
  a.vuln_id = "TEST-1";
  a.ranges.push_back({semver, std::move(events)});
  return a;
}

using K = Event::Kind;

TEST(MatchRanges, IntroducedAndFixed) {
  auto a = with_events({{K::introduced, "1.2.0"}, {K::fixed, "1.4.0"}}, true);
  EXPECT_FALSE(affects(a, "1.1.9", version::Scheme::semver));
  EXPECT_TRUE(affects(a, "1.2.0", version::Scheme::semver));
  EXPECT_TRUE(affects(a, "1.3.99", version::Scheme::semver));
  EXPECT_FALSE(affects(a, "1.4.0", version::Scheme::semver));
  EXPECT_EQ(fixed_version(a, "1.3.0", version::Scheme::semver), "1.4.0");
}

TEST(MatchRanges, SeveralIntervalsInOneRangeAndUnsortedEvents) {
  auto a = with_events(
      {{K::fixed, "2.3.1"}, {K::introduced, "2.0.0"}, {K::introduced, "0"}, {K::fixed, "1.9.9"}}, true);
  EXPECT_TRUE(affects(a, "1.0.0", version::Scheme::semver));
  EXPECT_EQ(fixed_version(a, "1.0.0", version::Scheme::semver), "1.9.9");
  EXPECT_FALSE(affects(a, "1.9.9", version::Scheme::semver));
  EXPECT_TRUE(affects(a, "2.3.0", version::Scheme::semver));
  EXPECT_EQ(fixed_version(a, "2.3.0", version::Scheme::semver), "2.3.1");
  EXPECT_FALSE(affects(a, "3.0.0", version::Scheme::semver));
}

TEST(MatchRanges, LastAffectedAndLimit) {
  auto last = with_events({{K::introduced, "0"}, {K::last_affected, "1.5"}}, true);
  EXPECT_TRUE(affects(last, "1.5.0", version::Scheme::semver));
  EXPECT_FALSE(affects(last, "1.5.1", version::Scheme::semver));
  EXPECT_EQ(fixed_version(last, "1.0.0", version::Scheme::semver), "");
  auto limited = with_events({{K::introduced, "1.0.0"}, {K::limit, "2.0.0"}}, true);
  EXPECT_TRUE(affects(limited, "1.5.0", version::Scheme::semver));
  EXPECT_FALSE(affects(limited, "2.0.0", version::Scheme::semver));
}

TEST(MatchRanges, EcosystemOrderIsTheEcosystems) {
  // dpkg: '~' sorts before the release, so 2.0~rc1 is still affected by a fix at 2.0.
  auto deb = with_events({{K::introduced, "0"}, {K::fixed, "2.0-1"}});
  EXPECT_TRUE(affects(deb, "2.0~rc1-1", version::Scheme::dpkg));
  EXPECT_FALSE(affects(deb, "1:1.0-1", version::Scheme::dpkg));  // the epoch wins
  // rpm: the epoch in the fixed version counts, a missing one is 0.
  auto rpm = with_events({{K::introduced, "0"}, {K::fixed, "1:3.0.1-41.el9_0"}});
  EXPECT_TRUE(affects(rpm, "3.0.7-27.el9", version::Scheme::rpm));
  EXPECT_TRUE(affects(rpm, "1:3.0.1-20.el9_0", version::Scheme::rpm));
  EXPECT_FALSE(affects(rpm, "1:3.0.7-27.el9", version::Scheme::rpm));
}

TEST(MatchRanges, ExplicitVersions) {
  Affected a;
  a.versions = {"1.0.0", "1.0.2"};
  EXPECT_TRUE(affects(a, "1.0.2", version::Scheme::semver));
  EXPECT_FALSE(affects(a, "1.0.1", version::Scheme::semver));
}

TEST(MatchPackages, StatusAndDeduplication) {
  inventory::Package p;
  p.type = inventory::PackageType::dpkg;
  p.name = "libc6";
  p.version = p.source_version = "2.36-9";
  p.source_name = "glibc";
  Coordinates c{"Debian:12", "glibc", "2.36-9", version::Scheme::dpkg};
  Affected unfixed = with_events({{K::introduced, "0"}});
  unfixed.vuln_id = "CVE-1";
  unfixed.status = Status::will_not_fix;
  Affected fixed = with_events({{K::introduced, "0"}, {K::fixed, "2.36-10"}});
  fixed.vuln_id = "CVE-2";
  Affected again = fixed;  // a second source saying the same
  Affected not_any_more = with_events({{K::introduced, "0"}, {K::fixed, "2.36-1"}});
  not_any_more.vuln_id = "CVE-3";
  auto found = match_package(p, c, {unfixed, fixed, again, not_any_more});
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].vuln_id, "CVE-1");
  EXPECT_EQ(found[0].status, Status::will_not_fix);
  EXPECT_EQ(found[0].fixed_version, "");
  EXPECT_EQ(found[1].vuln_id, "CVE-2");
  EXPECT_EQ(found[1].status, Status::fixed);
  EXPECT_EQ(found[1].fixed_version, "2.36-10");
}

TEST(MatchCoordinates, PerEcosystem) {
  inventory::OperatingSystem debian{"debian", "12.15", "bookworm", ""};
  inventory::Package deb;
  deb.type = inventory::PackageType::dpkg;
  deb.name = "bsdutils";
  deb.version = "1:2.38.1-5+deb12u3";
  deb.source_name = "util-linux";
  deb.source_version = "2.38.1-5+deb12u3";
  auto c = coordinates(deb, debian);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->ecosystem, "Debian:12");
  EXPECT_EQ(c->package, "util-linux");
  EXPECT_EQ(c->version, "2.38.1-5+deb12u3");
  EXPECT_FALSE(coordinates(deb, {"debian", "bookworm/sid", "", ""}));  // sid: no release feed

  inventory::Package apk;
  apk.type = inventory::PackageType::apk;
  apk.name = "libcrypto3";
  apk.source_name = "openssl";
  apk.version = "3.1.0-r4";
  c = coordinates(apk, {"alpine", "3.18.0", "", ""});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->ecosystem, "Alpine:v3.18");
  EXPECT_EQ(c->package, "openssl");

  inventory::Package rpm;
  rpm.type = inventory::PackageType::rpm;
  rpm.name = "openssl-libs";
  rpm.epoch = "1";
  rpm.version = "3.0.7-27.el9";
  c = coordinates(rpm, {"almalinux", "9.3", "", ""});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->ecosystem, "AlmaLinux:9");
  EXPECT_EQ(c->version, "1:3.0.7-27.el9");

  inventory::Package py;
  py.type = inventory::PackageType::python;
  py.name = "Jinja2";
  py.version = "3.1.2";
  c = coordinates(py, {});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->ecosystem, "PyPI");
  EXPECT_EQ(c->package, "jinja2");

  inventory::Package go;
  go.type = inventory::PackageType::gobinary;
  go.name = "golang.org/x/net";
  go.version = "v0.17.0";
  c = coordinates(go, {});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->version, "0.17.0");
}

}  // namespace
}  // namespace berth::vulndb
