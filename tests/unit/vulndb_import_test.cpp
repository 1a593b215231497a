// The OSV, Alpine secdb, rubysec and legacy npm importers, CVSS scoring and format detection,
// against the real advisories in tests/data/vulndb-sample.
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "vulndb/importers.h"
#include "vulndb/match.h"

namespace berth::vulndb {
namespace {

namespace fs = std::filesystem;
using version::Scheme;

const fs::path kSample = fs::path(BERTH_TEST_DATA) / "vulndb-sample";

// A scratch directory, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ =
        fs::temp_directory_path() / ("berth-vulndb-import-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  fs::path write(const std::string& name, const std::string& text) const {
    fs::path p = path_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }

 private:
  fs::path path_;
};

const Affected* find_affected(const Advisories& a, std::string_view package, std::string_view id,
                              std::string_view ecosystem = {}) {
  for (const auto& row : a.affected) {
    if (row.package == package && row.vuln_id == id && (ecosystem.empty() || row.ecosystem == ecosystem))
      return &row;
  }
  return nullptr;
}

const Vulnerability* find_vuln(const Advisories& a, std::string_view id) {
  for (const auto& v : a.vulnerabilities) {
    if (v.id == id) return &v;
  }
  return nullptr;
}

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// "introduced 0, fixed 1.2" and so on, for compact comparisons.
std::string events_text(const Range& range) {
  std::string out;
  for (const auto& e : range.events) {
    if (!out.empty()) out += ", ";
    switch (e.kind) {
      case Event::Kind::introduced:
        out += "introduced ";
        break;
      case Event::Kind::fixed:
        out += "fixed ";
        break;
      case Event::Kind::last_affected:
        out += "last_affected ";
        break;
      case Event::Kind::limit:
        out += "limit ";
        break;
    }
    out += e.version;
  }
  return out;
}

std::string error_of(const base::Result<Advisories>& r) {
  return r.ok() ? std::string() : r.error().message;
}

// ---- CVSS ----------------------------------------------------------------------------------

TEST(Cvss3, WellKnownVectors) {
  EXPECT_EQ(cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"), 9.8);
  EXPECT_EQ(cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"), 10.0);
  EXPECT_EQ(cvss3_base_score("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N"), 5.5);
  EXPECT_EQ(cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"), 8.8);
  EXPECT_EQ(cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"), 6.1);
  EXPECT_EQ(cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N"), 0.0);
  // Scope changed raises PR's weight: 9.9 rather than 9.6 with the unchanged weights.
  EXPECT_EQ(cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H"), 9.9);
  EXPECT_EQ(cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:C/C:L/I:N/A:N"), 4.1);
  EXPECT_EQ(cvss3_base_score("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N"), 1.6);
  // Trailing temporal metrics are allowed and do not change the base score.
  EXPECT_EQ(cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C"), 9.8);
}

TEST(Cvss3, ScoresPublishedWithTheSampleAdvisories) {
  // RUSTSEC-2016-0001 (CVE-2016-10931): 8.1 at NVD.
  EXPECT_EQ(cvss3_base_score("CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H"), 8.1);
  // npm advisories that state their score next to the vector.
  EXPECT_EQ(cvss3_base_score("CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N"), 5.4);  // 8 (express)
  EXPECT_EQ(cvss3_base_score("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:L/A:N"), 7.2);  // 328 (jquery)
  EXPECT_EQ(cvss3_base_score("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"), 7.5);  // 120 (ws)
  EXPECT_EQ(cvss3_base_score("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:L/A:N"), 5.3);  // 101 (marked)
  EXPECT_EQ(cvss3_base_score("CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:H/A:N"), 6.5);  // 519 (handlebars)
  // PYSEC-2023-192 (urllib3, CVE-2023-43804): 8.1.
  EXPECT_EQ(cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N"), 8.1);
}

TEST(Cvss3, MalformedVectorsGiveNothing) {
  EXPECT_FALSE(cvss3_base_score(""));
  EXPECT_FALSE(cvss3_base_score("AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"));                // no prefix
  EXPECT_FALSE(cvss3_base_score("CVSS:3.2/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"));       // unknown version
  EXPECT_FALSE(cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H"));           // A missing
  EXPECT_FALSE(cvss3_base_score("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"));       // bad value
  EXPECT_FALSE(cvss3_base_score("CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"));  // repeated
  EXPECT_FALSE(cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/"));      // empty part
  EXPECT_FALSE(cvss3_base_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"));
}

TEST(Cvss4, BaseVectorsAsTheReferenceCalculatorScoresThem) {
  // From the FIRST/Red Hat reference test vectors (vectors_simple4) and the specification.
  const std::pair<const char*, double> cases[] = {
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H", 10.0},
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3},
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N", 6.9},
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:H/VA:L/SC:N/SI:H/SA:L", 9.2},
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:H/SI:N/SA:L", 7.8},
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:H/SI:L/SA:H", 7.9},
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:L/VI:N/VA:N/SC:L/SI:N/SA:L", 5.3},
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:A/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 8.6},
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:N/VA:N/SC:H/SI:N/SA:N", 8.3},
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:A/VC:N/VI:L/VA:L/SC:L/SI:L/SA:H", 6.2},
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:P/VC:L/VI:L/VA:N/SC:L/SI:N/SA:N", 4.8},
      {"CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:A/VC:N/VI:N/VA:N/SC:L/SI:N/SA:N", 2.1},
      {"CVSS:4.0/AV:N/AC:L/AT:P/PR:H/UI:A/VC:N/VI:L/VA:L/SC:L/SI:N/SA:N", 1.8},
      {"CVSS:4.0/AV:N/AC:H/AT:N/PR:H/UI:A/VC:N/VI:N/VA:N/SC:N/SI:H/SA:N", 4.0},
      {"CVSS:4.0/AV:N/AC:H/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:L/SA:N", 9.5},
      {"CVSS:4.0/AV:N/AC:H/AT:N/PR:L/UI:A/VC:L/VI:L/VA:L/SC:H/SI:H/SA:H", 5.2},
      {"CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:L", 1.0},
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N", 0.0},
      // RUSTSEC-2026-0009 (time, GHSA-r6v5-fh4h-64xc).
      {"CVSS:4.0/AV:N/AC:H/AT:N/PR:L/UI:A/VC:N/VI:N/VA:H/SC:N/SI:N/SA:H", 6.8},
  };
  for (const auto& [vector, score] : cases) EXPECT_EQ(cvss4_base_score(vector), score) << vector;
}

TEST(Cvss4, TiesComputedOneUlpLowStillRoundUp) {
  // 8.55 comes out as 8.549999999999999 in doubles; the reference calculator (since its
  // 2024-10 rounding fix) gives 8.6.
  EXPECT_EQ(cvss4_base_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:H/VI:L/VA:N/SC:H/SI:H/SA:H"), 8.6);
  EXPECT_EQ(cvss4_base_score("CVSS:4.0/AV:N/AC:L/AT:P/PR:H/UI:A/VC:H/VI:L/VA:N/SC:L/SI:L/SA:L"), 5.7);
}

TEST(Cvss4, ThreatAndEnvironmentalMetricsAreHonoured) {
  EXPECT_EQ(cvss4_base_score("CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:N/SC:H/SI:H/SA:H/E:P"), 9.0);
  EXPECT_EQ(cvss4_base_score("CVSS:4.0/AV:N/AC:L/AT:P/PR:L/UI:A/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N/E:U"), 0.4);
  EXPECT_EQ(cvss4_base_score("CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/CR:L/MSI:S"),
            9.7);
  // Supplemental metrics do not change the score.
  EXPECT_EQ(
      cvss4_base_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/S:P/AU:Y/U:Red"),
      9.3);
}

TEST(Cvss4, MalformedVectorsGiveNothing) {
  EXPECT_FALSE(cvss4_base_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N"));  // SA missing
  EXPECT_FALSE(cvss4_base_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:S/SA:N"));  // SI:S
  EXPECT_FALSE(cvss4_base_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/XX:Y"));
  EXPECT_FALSE(cvss4_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"));
  EXPECT_FALSE(cvss4_base_score("garbage"));
}

// ---- OSV -----------------------------------------------------------------------------------

TEST(Osv, AlmaLinuxAdvisoriesWithEpochsAndRelatedCves) {
  auto r = import_osv(kSample / "alma" / "almalinux9");
  ASSERT_TRUE(r.ok()) << error_of(r);
  EXPECT_EQ(r->vulnerabilities.size(), 139u);  // every ALSA file; LICENSE is not read
  EXPECT_EQ(r->affected.size(), 2496u);        // one row per (advisory, binary package)

  const Affected* openssl = find_affected(*r, "openssl", "ALSA-2022:6224");
  ASSERT_NE(openssl, nullptr);
  EXPECT_EQ(openssl->ecosystem, "AlmaLinux:9");
  ASSERT_EQ(openssl->ranges.size(), 1u);
  EXPECT_FALSE(openssl->ranges[0].semver);
  EXPECT_EQ(events_text(openssl->ranges[0]), "introduced 0, fixed 1:3.0.1-41.el9_0");
  EXPECT_NE(find_affected(*r, "openssl-libs", "ALSA-2022:6224"), nullptr);
  EXPECT_TRUE(affects(*openssl, "1:3.0.1-23.el9_0", Scheme::rpm));
  EXPECT_FALSE(affects(*openssl, "1:3.0.1-41.el9_0", Scheme::rpm));

  const Vulnerability* v = find_vuln(*r, "ALSA-2022:6224");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->title, "Moderate: openssl security and bug fix update");
  for (const char* cve :
       {"CVE-2022-1292", "CVE-2022-1343", "CVE-2022-1473", "CVE-2022-2068", "CVE-2022-2097"})
    EXPECT_TRUE(contains(v->aliases, cve)) << cve;
  EXPECT_EQ(v->severity, Severity::medium);  // from the "Moderate:" of the summary; no CVSS
  EXPECT_EQ(v->published, "2022-08-30T00:00:00Z");
  EXPECT_EQ(v->modified, "2023-09-15T13:41:48Z");
  EXPECT_EQ(v->references.size(), 12u);

  const Vulnerability* xz = find_vuln(*r, "ALSA-2022:4940");
  ASSERT_NE(xz, nullptr);
  EXPECT_EQ(xz->aliases, std::vector<std::string>{"CVE-2022-1271"});
  EXPECT_EQ(xz->severity, Severity::high);  // "Important:"
  EXPECT_TRUE(contains(xz->references, "https://access.redhat.com/errata/RHSA-2022:4940"));
}

TEST(Osv, GoVulndbEntries) {
  auto r = import_osv(kSample / "lang" / "go");
  ASSERT_TRUE(r.ok()) << error_of(r);
  EXPECT_EQ(r->vulnerabilities.size(), 121u);
  EXPECT_EQ(r->affected.size(), 134u);

  const Affected* crypto = find_affected(*r, "golang.org/x/crypto", "GO-2020-0012");
  ASSERT_NE(crypto, nullptr);
  EXPECT_EQ(crypto->ecosystem, "Go");
  ASSERT_EQ(crypto->ranges.size(), 1u);
  EXPECT_TRUE(crypto->ranges[0].semver);
  EXPECT_EQ(events_text(crypto->ranges[0]), "introduced 0, fixed 0.0.0-20200220183623-bac4c82f6975");
  const Vulnerability* v = find_vuln(*r, "GO-2020-0012");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->aliases, (std::vector<std::string>{"CVE-2020-9283", "GHSA-ffhg-7mh4-33c4"}));
  EXPECT_EQ(v->title,
            "Panic due to improper verification of cryptographic signatures in golang.org/x/crypto/ssh");
  EXPECT_EQ(v->severity, Severity::unknown);  // Go's entries rate nothing

  // A stdlib entry with a range per release branch.
  const Affected* stdlib = find_affected(*r, "stdlib", "GO-2025-3420");
  ASSERT_NE(stdlib, nullptr);
  EXPECT_EQ(events_text(stdlib->ranges.at(0)),
            "introduced 0, fixed 1.22.11, introduced 1.23.0-0, fixed 1.23.5, introduced 1.24.0-0, fixed "
            "1.24.0-rc.2");
  EXPECT_TRUE(affects(*stdlib, "1.22.10", Scheme::semver));
  EXPECT_FALSE(affects(*stdlib, "1.22.11", Scheme::semver));
  EXPECT_TRUE(affects(*stdlib, "1.23.4", Scheme::semver));
  EXPECT_FALSE(affects(*stdlib, "1.23.5", Scheme::semver));
}

TEST(Osv, PypiYamlEntries) {
  auto r = import_osv(kSample / "lang" / "pypi");
  ASSERT_TRUE(r.ok()) << error_of(r);
  EXPECT_EQ(r->vulnerabilities.size(), 27u);
  EXPECT_EQ(r->affected.size(), 27u);

  const Affected* urllib3 = find_affected(*r, "urllib3", "PYSEC-2023-192");
  ASSERT_NE(urllib3, nullptr);
  EXPECT_EQ(urllib3->ecosystem, "PyPI");
  ASSERT_EQ(urllib3->ranges.size(), 1u);  // the GIT range is dropped
  EXPECT_FALSE(urllib3->ranges[0].semver);
  EXPECT_EQ(events_text(urllib3->ranges[0]), "introduced 2.0.0, fixed 2.0.6, introduced 0, fixed 1.26.17");
  EXPECT_EQ(urllib3->versions.size(), 85u);
  EXPECT_TRUE(contains(urllib3->versions, "0.2"));  // quoted in the YAML, kept as written
  EXPECT_TRUE(contains(urllib3->versions, "1.26.16"));

  const Vulnerability* v = find_vuln(*r, "PYSEC-2023-192");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->aliases, (std::vector<std::string>{"CVE-2023-43804", "GHSA-v845-jxx5-vc9f"}));
  EXPECT_EQ(v->cvss_v3_vector, "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N");
  EXPECT_EQ(v->cvss_v3_score, 8.1);
  EXPECT_EQ(v->severity, Severity::high);
  EXPECT_EQ(v->published, "2023-10-04T17:15:00Z");
  // References are deduplicated (the GHSA URL is listed as FIX and ADVISORY).
  EXPECT_EQ(v->references.size(), 4u);

  const Affected* pyyaml = nullptr;
  for (const auto& a : r->affected) {
    if (a.package == "pyyaml") pyyaml = &a;
  }
  ASSERT_NE(pyyaml, nullptr);
}

TEST(Osv, PypiNamesAreNormalisedAsPep503) {
  TempDir dir;
  dir.write("a.yaml",
            "id: PYSEC-0000-1\nmodified: 2024-01-01T00:00:00Z\naffected:\n"
            "- package: {ecosystem: PyPI, name: Zope.Interface}\n  versions: ['1.0']\n"
            "- package: {ecosystem: PyPI, name: Foo__Bar-.baz}\n  versions: ['1.0']\n"
            "- package: {ecosystem: crates.io, name: Foo_Bar}\n  versions: ['1.0']\n");
  auto r = import_osv(dir.path());
  ASSERT_TRUE(r.ok()) << error_of(r);
  ASSERT_EQ(r->affected.size(), 3u);
  EXPECT_EQ(r->affected[0].package, "zope-interface");
  EXPECT_EQ(r->affected[1].package, "foo-bar-baz");
  EXPECT_EQ(r->affected[2].package, "Foo_Bar");  // other ecosystems as written
}

TEST(Osv, RustsecEntriesWithCvss3AndCvss4) {
  auto r = import_osv(kSample / "lang" / "crates.io");
  ASSERT_TRUE(r.ok()) << error_of(r);
  EXPECT_EQ(r->vulnerabilities.size(), 34u);
  EXPECT_EQ(r->affected.size(), 34u);

  const Affected* openssl = find_affected(*r, "openssl", "RUSTSEC-2016-0001");
  ASSERT_NE(openssl, nullptr);
  EXPECT_EQ(openssl->ecosystem, "crates.io");
  EXPECT_EQ(events_text(openssl->ranges.at(0)), "introduced 0.0.0-0, fixed 0.9.0");
  EXPECT_TRUE(openssl->ranges[0].semver);
  EXPECT_TRUE(affects(*openssl, "0.8.3", Scheme::semver));
  EXPECT_FALSE(affects(*openssl, "0.9.0", Scheme::semver));
  const Vulnerability* v = find_vuln(*r, "RUSTSEC-2016-0001");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->cvss_v3_score, 8.1);
  EXPECT_EQ(v->severity, Severity::high);
  EXPECT_EQ(v->aliases, (std::vector<std::string>{"CVE-2016-10931", "GHSA-34p9-f4q3-c4r7"}));

  const Vulnerability* time = find_vuln(*r, "RUSTSEC-2026-0009");
  ASSERT_NE(time, nullptr);
  EXPECT_EQ(time->cvss_v4_vector, "CVSS:4.0/AV:N/AC:H/AT:N/PR:L/UI:A/VC:N/VI:N/VA:H/SC:N/SI:N/SA:H");
  EXPECT_EQ(time->cvss_v4_score, 6.8);
  EXPECT_EQ(time->severity, Severity::medium);
  const Affected* time_row = find_affected(*r, "time", "RUSTSEC-2026-0009");
  ASSERT_NE(time_row, nullptr);
  EXPECT_EQ(events_text(time_row->ranges.at(0)), "introduced 0.3.6, fixed 0.3.47");
}

TEST(Osv, WithdrawnAndUnusableEntriesAreLeftOut) {
  TempDir dir;
  dir.write("LICENSE", "not json");
  dir.write("README.md", "# notes");
  dir.write("package.json", R"({"name": "not-an-advisory"})");
  dir.write("ok.json", R"({"id": "OSV-1", "modified": "2024-01-01T00:00:00Z",
    "affected": [{"package": {"ecosystem": "npm", "name": "a"},
                  "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.0.0"}]}]}]})");
  dir.write("withdrawn.json", R"({"id": "OSV-2", "modified": "2024-01-01T00:00:00Z",
    "withdrawn": "2024-02-01T00:00:00Z",
    "affected": [{"package": {"ecosystem": "npm", "name": "b"}, "versions": ["1.0.0"]}]})");
  dir.write("git-only.json", R"({"id": "OSV-3", "modified": "2024-01-01T00:00:00Z",
    "affected": [{"package": {"ecosystem": "npm", "name": "c"},
                  "ranges": [{"type": "GIT", "repo": "https://example.org/c",
                              "events": [{"introduced": "0"}, {"fixed": "abc123"}]}]}]})");
  dir.write("no-package.json", R"({"id": "OSV-4", "modified": "2024-01-01T00:00:00Z",
    "affected": [{"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]})");
  dir.write("nested/deeper/ok2.yml",
            "id: OSV-5\nmodified: 2024-01-01T00:00:00Z\naffected:\n"
            "- package: {ecosystem: Go, name: example.org/m}\n"
            "  ranges:\n  - type: SEMVER\n    events:\n    - introduced: 0\n"
            "    - last_affected: 1.2.3\n");
  dir.write(".git/HEAD.json", "{not json");  // hidden directories are not read
  auto r = import_osv(dir.path());
  ASSERT_TRUE(r.ok()) << error_of(r);
  ASSERT_EQ(r->vulnerabilities.size(), 2u);
  EXPECT_EQ(r->vulnerabilities[0].id, "OSV-5");  // files in path order: nested/ before ok.json
  EXPECT_EQ(r->vulnerabilities[1].id, "OSV-1");
  ASSERT_EQ(r->affected.size(), 2u);
  EXPECT_EQ(events_text(r->affected[0].ranges.at(0)), "introduced 0, last_affected 1.2.3");
}

TEST(Osv, SeverityFromCvssV4ThenV3ThenTheDatabase) {
  TempDir dir;
  // v3 says 9.8 (critical), v4 says 6.9 (medium): v4 wins.
  dir.write("a.json", R"({"id": "GHSA-aaaa-bbbb-cccc", "modified": "2024-01-01T00:00:00Z",
    "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
                 {"type": "CVSS_V4", "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N"}],
    "database_specific": {"severity": "LOW"},
    "affected": [{"package": {"ecosystem": "Maven", "name": "g:a"}, "versions": ["1"],
                  "database_specific": {"severity": "HIGH"}}]})");
  dir.write("b.json", R"({"id": "GHSA-dddd-eeee-ffff", "modified": "2024-01-01T00:00:00Z",
    "database_specific": {"severity": "MODERATE"},
    "affected": [{"package": {"ecosystem": "Ubuntu:22.04:LTS", "name": "p"}, "versions": ["1"],
                  "ecosystem_specific": {"severity": "low"}}]})");
  dir.write("c.json", R"({"id": "OSV-9", "modified": "2024-01-01T00:00:00Z",
    "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
    "affected": [{"package": {"ecosystem": "npm", "name": "p"}, "versions": ["1.0.0"]}]})");
  auto r = import_osv(dir.path());
  ASSERT_TRUE(r.ok()) << error_of(r);
  const Vulnerability* a = find_vuln(*r, "GHSA-aaaa-bbbb-cccc");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->cvss_v3_score, 9.8);
  EXPECT_EQ(a->cvss_v4_score, 6.9);
  EXPECT_EQ(a->severity, Severity::medium);
  const Vulnerability* b = find_vuln(*r, "GHSA-dddd-eeee-ffff");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->severity, Severity::medium);  // "MODERATE"
  EXPECT_EQ(find_vuln(*r, "OSV-9")->severity, Severity::critical);

  const Affected* maven = find_affected(*r, "g:a", "GHSA-aaaa-bbbb-cccc");
  ASSERT_NE(maven, nullptr);
  EXPECT_EQ(maven->severity, Severity::high);
  EXPECT_EQ(maven->severity_source, "maven");
  const Affected* ubuntu = find_affected(*r, "p", "GHSA-dddd-eeee-ffff");
  ASSERT_NE(ubuntu, nullptr);
  EXPECT_EQ(ubuntu->ecosystem, "Ubuntu:22.04");
  EXPECT_EQ(ubuntu->severity, Severity::low);
  EXPECT_EQ(ubuntu->severity_source, "ubuntu");
  EXPECT_EQ(find_affected(*r, "p", "OSV-9")->severity, Severity::unknown);
}

TEST(Osv, MalformedFilesFailTheImportNamingTheFile) {
  {
    TempDir dir;
    fs::copy_file(kSample / "lang" / "go" / "GO-2020-0012.json", dir.path() / "GO-2020-0012.json");
    dir.write("GO-9999-0001.json", R"({"id": "GO-9999-0001", "affected": [)");
    auto r = import_osv(dir.path());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, base::Errc::corrupt);
    EXPECT_NE(r.error().message.find("GO-9999-0001.json"), std::string::npos) << r.error().message;
  }
  {
    TempDir dir;
    auto file = dir.write("PYSEC-bad.yaml", "id: PYSEC-1\naffected: [\n  - oops: {\n");
    auto r = import_osv(file);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, base::Errc::corrupt);
    EXPECT_NE(r.error().message.find("PYSEC-bad.yaml"), std::string::npos) << r.error().message;
  }
  {
    // A single file given directly must be an OSV entry.
    auto r = import_osv(kSample / "lang" / "npm" / "8.json");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, base::Errc::corrupt);
    EXPECT_NE(r.error().message.find("8.json"), std::string::npos);
  }
  EXPECT_EQ(import_osv(kSample / "no-such-dir").error().code, base::Errc::not_found);
}

// Writes a zip of the given files (name in the archive, content).
void write_zip(const fs::path& zip, const std::vector<std::pair<std::string, std::string>>& files) {
  archive* a = archive_write_new();
  ASSERT_EQ(archive_write_set_format_zip(a), ARCHIVE_OK);
  ASSERT_EQ(archive_write_open_filename(a, zip.c_str()), ARCHIVE_OK);
  for (const auto& [name, content] : files) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_size(e, static_cast<la_int64_t>(content.size()));
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK);
    ASSERT_EQ(archive_write_data(a, content.data(), content.size()), static_cast<la_ssize_t>(content.size()));
    archive_entry_free(e);
  }
  ASSERT_EQ(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(Osv, ZipArchivesAreReadEntryByEntry) {
  TempDir dir;
  const fs::path zip = dir.path() / "all.zip";
  write_zip(zip, {{"GO-2020-0012.json", slurp(kSample / "lang" / "go" / "GO-2020-0012.json")},
                  {"pypi/PYSEC-2023-192.yaml",
                   slurp(kSample / "lang" / "pypi" / "urllib3" / "PYSEC-2023-192.yaml")},
                  {"README.txt", "not an advisory"}});
  auto r = import_osv(zip);
  ASSERT_TRUE(r.ok()) << error_of(r);
  ASSERT_EQ(r->vulnerabilities.size(), 2u);
  EXPECT_EQ(r->vulnerabilities[0].id, "GO-2020-0012");
  EXPECT_EQ(r->vulnerabilities[1].id, "PYSEC-2023-192");
  EXPECT_NE(find_affected(*r, "golang.org/x/crypto", "GO-2020-0012"), nullptr);
  EXPECT_NE(find_affected(*r, "urllib3", "PYSEC-2023-192"), nullptr);

  const fs::path bad = dir.path() / "bad.zip";
  write_zip(bad, {{"GO-2020-0012.json", slurp(kSample / "lang" / "go" / "GO-2020-0012.json")},
                  {"broken/GO-1.json", "{\"id\": "}});
  auto b = import_osv(bad);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, base::Errc::corrupt);
  EXPECT_NE(b.error().message.find("bad.zip!broken/GO-1.json"), std::string::npos) << b.error().message;

  dir.write("not-a.zip", "this is not a zip archive");
  EXPECT_FALSE(import_osv(dir.path() / "not-a.zip").ok());
}

// ---- Alpine secdb --------------------------------------------------------------------------

TEST(Alpine, SecdbRowsPerReleasePackageAndId) {
  auto r = import_alpine_secdb(kSample / "alpine" / "alpine-secdb");
  ASSERT_TRUE(r.ok()) << error_of(r);
  EXPECT_TRUE(r->vulnerabilities.empty());  // the secdb has no descriptions
  EXPECT_EQ(r->affected.size(), 4122u);     // (release, package, id) triples

  const Affected* ansible = find_affected(*r, "ansible", "CVE-2019-10206", "Alpine:v3.10");
  ASSERT_NE(ansible, nullptr);
  EXPECT_EQ(events_text(ansible->ranges.at(0)), "introduced 0, fixed 2.8.4-r0");
  EXPECT_FALSE(ansible->ranges[0].semver);
  EXPECT_TRUE(affects(*ansible, "2.8.3-r0", Scheme::apk));
  EXPECT_FALSE(affects(*ansible, "2.8.4-r0", Scheme::apk));
  EXPECT_NE(find_affected(*r, "ansible", "CVE-2019-10206", "Alpine:v3.11"), nullptr);

  // Listed under two fixed versions: the highest in apk order counts.
  const Affected* busybox = find_affected(*r, "busybox", "CVE-2019-5747", "Alpine:v3.10");
  ASSERT_NE(busybox, nullptr);
  EXPECT_EQ(events_text(busybox->ranges.at(0)), "introduced 0, fixed 1.30.1-r2");
  const Affected* lame = find_affected(*r, "lame", "CVE-2017-9410", "Alpine:v3.10");
  ASSERT_NE(lame, nullptr);
  EXPECT_EQ(events_text(lame->ranges.at(0)), "introduced 0, fixed 3.100-r0");  // 3.100 > 3.99.5
  const Affected* wireshark = find_affected(*r, "wireshark", "CVE-2017-15191", "Alpine:v3.10");
  ASSERT_NE(wireshark, nullptr);
  EXPECT_EQ(events_text(wireshark->ranges.at(0)), "introduced 0, fixed 2.4.2-r0");

  // Several ids in one string, notes, odd spellings.
  const Affected* xsa = find_affected(*r, "xen", "XSA-273", "Alpine:v3.10");
  ASSERT_NE(xsa, nullptr);
  EXPECT_EQ(events_text(xsa->ranges.at(0)), "introduced 0, fixed 4.11.1-r0");
  EXPECT_NE(find_affected(*r, "xen", "CVE-2018-3646", "Alpine:v3.10"), nullptr);
  EXPECT_NE(find_affected(*r, "xen", "XSA-295", "Alpine:v3.10"), nullptr);  // "CVE-????-?????  XSA-295"
  EXPECT_NE(find_affected(*r, "openjdk7", "CVE-2019-2426", "Alpine:v3.10"), nullptr);  // "CVE_2019-2426"
  EXPECT_NE(find_affected(*r, "rsync", "CVE-2017-17434", "Alpine:v3.10"), nullptr);    // "CVE-2017-17434-1"
  const Affected* tcpdump = find_affected(*r, "tcpdump", "CVE-2019-15167", "Alpine:v3.10");
  ASSERT_NE(tcpdump, nullptr);
  for (const auto& a : r->affected) {
    EXPECT_EQ(a.vuln_id.find_first_of("()? "), std::string::npos) << a.vuln_id;
    EXPECT_TRUE(a.ecosystem == "Alpine:v3.10" || a.ecosystem == "Alpine:v3.11") << a.ecosystem;
  }
}

TEST(Alpine, FixedVersionZeroMeansNeverAffected) {
  TempDir dir;
  auto file = dir.write("main.yaml",
                        "distroversion: '3.18'\nreponame: main\npackages:\n"
                        "  - pkg:\n      name: musl\n      secfixes:\n"
                        "        \"0\":\n          - CVE-2020-1111\n"
                        "        1.2.4-r1:\n          - CVE-2020-2222 GHSA-4v6r-9x2q-h3fc\n"
                        "          - ZBX-123 (zabbix note)\n"
                        "  - pkg:\n      name: nothing-fixed\n");
  auto r = import_alpine_secdb(file);
  ASSERT_TRUE(r.ok()) << error_of(r);
  EXPECT_EQ(find_affected(*r, "musl", "CVE-2020-1111"), nullptr);
  const Affected* musl = find_affected(*r, "musl", "CVE-2020-2222");
  ASSERT_NE(musl, nullptr);
  EXPECT_EQ(musl->ecosystem, "Alpine:v3.18");
  EXPECT_NE(find_affected(*r, "musl", "GHSA-4v6r-9x2q-h3fc"), nullptr);
  EXPECT_NE(find_affected(*r, "musl", "ZBX-123"), nullptr);
  EXPECT_EQ(r->affected.size(), 3u);
}

TEST(Alpine, MalformedFilesFailNamingTheFile) {
  TempDir dir;
  dir.write("v3.18/main.yaml",
            "distroversion: v3.18\npackages:\n  - pkg: {name: a, secfixes: {1-r0: [CVE-2020-1]}}\n");
  dir.write("v3.18/community.yaml", "distroversion: v3.18\npackages: [\n");
  auto r = import_alpine_secdb(dir.path());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, base::Errc::corrupt);
  EXPECT_NE(r.error().message.find("community.yaml"), std::string::npos) << r.error().message;

  auto not_secdb = import_alpine_secdb(kSample / "lang" / "rubygems" / "rack" / "CVE-2011-5036.yml");
  ASSERT_FALSE(not_secdb.ok());
  EXPECT_EQ(not_secdb.error().code, base::Errc::corrupt);
}

// ---- rubysec -------------------------------------------------------------------------------

TEST(Rubysec, RackAndNokogiriAdvisories) {
  auto r = import_rubysec(kSample / "lang" / "rubygems");
  ASSERT_TRUE(r.ok()) << error_of(r);
  EXPECT_EQ(r->vulnerabilities.size(), 106u);  // every advisory; LICENSE.txt is not read
  EXPECT_EQ(r->affected.size(), 106u);

  // patched ~> 1.1.3, ~> 1.2.5, ~> 1.3.6, >= 1.4.0.
  const Affected* hash_dos = find_affected(*r, "rack", "CVE-2011-5036");
  ASSERT_NE(hash_dos, nullptr);
  EXPECT_EQ(hash_dos->ecosystem, "RubyGems");
  ASSERT_EQ(hash_dos->ranges.size(), 1u);
  EXPECT_FALSE(hash_dos->ranges[0].semver);
  EXPECT_EQ(events_text(hash_dos->ranges[0]),
            "introduced 0, fixed 1.1.3, introduced 1.2, fixed 1.2.5, introduced 1.3, fixed 1.3.6");
  for (const char* v : {"1.0.1", "1.1.2", "1.2.0", "1.2.4", "1.3.0", "1.3.5"})
    EXPECT_TRUE(affects(*hash_dos, v, Scheme::rubygems)) << v;
  for (const char* v : {"1.1.3", "1.1.9", "1.2.5", "1.2.8", "1.3.6", "1.3.10", "1.4.0", "1.6.4", "2.2.3"})
    EXPECT_FALSE(affects(*hash_dos, v, Scheme::rubygems)) << v;
  const Vulnerability* dos = find_vuln(*r, "CVE-2011-5036");
  ASSERT_NE(dos, nullptr);
  EXPECT_EQ(dos->aliases, (std::vector<std::string>{"GHSA-v6j3-7jrw-hq2p", "OSVDB-78121"}));
  EXPECT_EQ(dos->title, "CVE-2011-5036 rubygem-rack: hash table collisions DoS (oCERT-2011-003)");
  EXPECT_EQ(dos->references, std::vector<std::string>{"https://nvd.nist.gov/vuln/detail/CVE-2011-5036"});
  EXPECT_EQ(dos->published, "2011-12-28");
  EXPECT_EQ(dos->severity, Severity::medium);  // cvss_v2 5.0 only
  EXPECT_EQ(dos->description.substr(0, 40), "Rack before 1.1.3, 1.2.x before 1.2.5, a");

  // unaffected <= 2.0.3, patched >= 2.0.6: the affected region starts just above 2.0.3.
  const Affected* r16470 = find_affected(*r, "rack", "CVE-2018-16470");
  ASSERT_NE(r16470, nullptr);
  EXPECT_EQ(events_text(r16470->ranges.at(0)), "introduced 2.0.3.0.0.1, fixed 2.0.6");
  for (const char* v : {"2.0.4", "2.0.5", "2.0.3.1"}) EXPECT_TRUE(affects(*r16470, v, Scheme::rubygems)) << v;
  for (const char* v : {"1.6.11", "2.0.3", "2.0.6", "2.2.0"})
    EXPECT_FALSE(affects(*r16470, v, Scheme::rubygems)) << v;

  // Four patched branches, the first three pessimistic with a floor.
  const Affected* r26146 = find_affected(*r, "rack", "CVE-2024-26146");
  ASSERT_NE(r26146, nullptr);
  EXPECT_EQ(events_text(r26146->ranges.at(0)),
            "introduced 0, fixed 2.0.9.4, introduced 2.1, fixed 2.1.4.4, introduced 2.2, fixed 2.2.8.1, "
            "introduced 2.3, fixed 3.0.9.1");
  for (const char* v : {"1.6.13", "2.0.9.3", "2.1.4.3", "2.2.8", "3.0.0", "3.0.9"})
    EXPECT_TRUE(affects(*r26146, v, Scheme::rubygems)) << v;
  for (const char* v : {"2.0.9.4", "2.1.4.4", "2.2.8.1", "2.2.9", "3.0.9.1", "3.1.4"})
    EXPECT_FALSE(affects(*r26146, v, Scheme::rubygems)) << v;

  // nokogiri: unaffected < 1.6.0, patched >= 1.6.7.1.
  const Affected* n5312 = find_affected(*r, "nokogiri", "CVE-2015-5312");
  ASSERT_NE(n5312, nullptr);
  EXPECT_EQ(events_text(n5312->ranges.at(0)), "introduced 1.6.0, fixed 1.6.7.1");
  EXPECT_FALSE(affects(*n5312, "1.5.11", Scheme::rubygems));
  EXPECT_TRUE(affects(*n5312, "1.6.7", Scheme::rubygems));
  EXPECT_FALSE(affects(*n5312, "1.6.7.1", Scheme::rubygems));

  // An advisory with only a GHSA id and a CVSS v4 score.
  const Vulnerability* ghsa = find_vuln(*r, "GHSA-5prr-v3j2-97mh");
  ASSERT_NE(ghsa, nullptr);
  EXPECT_TRUE(ghsa->aliases.empty());
  EXPECT_EQ(ghsa->cvss_v4_score, 6.3);
  EXPECT_EQ(ghsa->severity, Severity::medium);
  EXPECT_EQ(ghsa->references.size(), 2u);  // url, and related.url's other address
  const Affected* nodeset = find_affected(*r, "nokogiri", "GHSA-5prr-v3j2-97mh");
  ASSERT_NE(nodeset, nullptr);
  EXPECT_EQ(events_text(nodeset->ranges.at(0)), "introduced 0, fixed 1.19.4");

  // cvss_v3 gives the severity when present.
  const Vulnerability* xxe = find_vuln(*r, "CVE-2012-6685");
  ASSERT_NE(xxe, nullptr);
  EXPECT_EQ(xxe->cvss_v3_score, 7.5);
  EXPECT_EQ(xxe->severity, Severity::high);
}

TEST(Rubysec, RequirementOperators) {
  TempDir dir;
  auto file =
      dir.write("gems/demo/CVE-2030-0001.yml",
                "---\ngem: demo\ncve: 2030-0001\ntitle: t\n"
                "unaffected_versions:\n  - \"< 0.5\"\n  - \"= 0.9.1\"\n"
                "patched_versions:\n  - \"~> 1\"\n  - \"> 3.0, != 3.1\"\n  - \">= 2.5.0.beta1, < 2.6\"\n");
  auto r = import_rubysec(file);
  ASSERT_TRUE(r.ok()) << error_of(r);
  ASSERT_EQ(r->affected.size(), 1u);
  const Affected& a = r->affected[0];
  EXPECT_EQ(a.vuln_id, "CVE-2030-0001");
  // Safe: < 0.5, = 0.9.1, [1, 2), [2.5.0.beta1, 2.6), > 3.0 except 3.1.
  EXPECT_EQ(events_text(a.ranges.at(0)),
            "introduced 0.5, fixed 0.9.1, introduced 0.9.1.0.0.1, fixed 1, introduced 2, fixed 2.5.0.beta1, "
            "introduced 2.6, last_affected 3.0, introduced 3.1, last_affected 3.1");
  for (const char* v : {"0.5", "0.9", "0.9.2", "2.0", "2.4.9", "2.5.0.alpha", "2.6", "3.0", "3.1"})
    EXPECT_TRUE(affects(a, v, Scheme::rubygems)) << v;
  for (const char* v : {"0.4.9", "0.9.1", "1.0", "1.9.9", "2.5.0.beta1", "2.5.3", "3.0.1", "3.1.1", "4"})
    EXPECT_FALSE(affects(a, v, Scheme::rubygems)) << v;
}

TEST(Rubysec, MalformedInputFailsNamingTheFile) {
  TempDir dir;
  dir.write("gems/demo/CVE-2030-0002.yml", "---\ngem: demo\npatched_versions:\n  - \">= banana\"\n");
  auto r = import_rubysec(dir.path());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, base::Errc::corrupt);
  EXPECT_NE(r.error().message.find("CVE-2030-0002.yml"), std::string::npos) << r.error().message;

  TempDir broken;
  broken.write("gems/demo/x.yml", "gem: [unclosed\n");
  auto b = import_rubysec(broken.path());
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message.find("x.yml"), std::string::npos);

  // A Ruby interpreter advisory (rubies/, no gem) is skipped in a directory.
  TempDir rubies;
  rubies.write("rubies/ruby/CVE-2030-0003.yml",
               "---\nengine: ruby\ncve: 2030-0003\npatched_versions: ['>= 3']\n");
  auto ok = import_rubysec(rubies.path());
  ASSERT_TRUE(ok.ok()) << error_of(ok);
  EXPECT_TRUE(ok->affected.empty());
}

// ---- legacy npm ----------------------------------------------------------------------------

TEST(NpmLegacy, SecurityWgAdvisories) {
  auto r = import_npm_legacy(kSample / "lang" / "npm");
  ASSERT_TRUE(r.ok()) << error_of(r);
  EXPECT_EQ(r->vulnerabilities.size(), 20u);
  EXPECT_EQ(r->affected.size(), 20u);

  // 8: "<3.11 || >= 4 <4.5".
  const Affected* express = find_affected(*r, "express", "CVE-2014-6393");
  ASSERT_NE(express, nullptr);
  EXPECT_EQ(express->ecosystem, "npm");
  ASSERT_EQ(express->ranges.size(), 1u);
  EXPECT_TRUE(express->ranges[0].semver);
  EXPECT_EQ(events_text(express->ranges[0]), "introduced 0, fixed 3.11.0, introduced 4.0.0, fixed 4.5.0");
  for (const char* v : {"3.10.5", "4.0.0", "4.4.9"}) EXPECT_TRUE(affects(*express, v, Scheme::semver)) << v;
  for (const char* v : {"3.11.0", "3.21.2", "4.5.0", "4.18.2"})
    EXPECT_FALSE(affects(*express, v, Scheme::semver)) << v;
  const Vulnerability* v8 = find_vuln(*r, "CVE-2014-6393");
  ASSERT_NE(v8, nullptr);
  EXPECT_EQ(v8->aliases, std::vector<std::string>{"NSWG-ECO-8"});
  EXPECT_EQ(v8->title, "No Charset in Content-Type Header");
  EXPECT_EQ(v8->cvss_v3_vector, "CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N");
  EXPECT_EQ(v8->cvss_v3_score, 5.4);
  EXPECT_EQ(v8->severity, Severity::medium);
  EXPECT_EQ(v8->published, "2014-09-12");
  EXPECT_EQ(v8->modified, "2016-04-28");

  // 328: no CVE, two closed ranges.
  const Affected* jquery = find_affected(*r, "jquery", "NSWG-ECO-328");
  ASSERT_NE(jquery, nullptr);
  EXPECT_EQ(events_text(jquery->ranges.at(0)),
            "introduced 1.4.0, last_affected 1.11.3, introduced 1.12.3, last_affected 2.2.4");
  for (const char* v : {"1.4.0", "1.11.3", "1.12.3", "2.2.4"})
    EXPECT_TRUE(affects(*jquery, v, Scheme::semver)) << v;
  for (const char* v : {"1.3.2", "1.12.0", "1.12.2", "2.2.5", "3.0.0"})
    EXPECT_FALSE(affects(*jquery, v, Scheme::semver)) << v;
  const Vulnerability* v328 = find_vuln(*r, "NSWG-ECO-328");
  ASSERT_NE(v328, nullptr);
  EXPECT_TRUE(v328->aliases.empty());
  EXPECT_EQ(v328->cvss_v3_score, 7.2);
  EXPECT_EQ(v328->severity, Severity::high);
  EXPECT_EQ(v328->references.size(), 3u);

  // 330: one prerelease.
  const Affected* rc = find_affected(*r, "jquery", "CVE-2016-10707");
  ASSERT_NE(rc, nullptr);
  EXPECT_EQ(events_text(rc->ranges.at(0)), "introduced 3.0.0-rc.1, last_affected 3.0.0-rc.1");

  // 22: two CVEs, the first is the id.
  const Vulnerability* v22 = find_vuln(*r, "CVE-2014-1850");
  ASSERT_NE(v22, nullptr);
  EXPECT_EQ(v22->aliases, (std::vector<std::string>{"CVE-2014-3743", "NSWG-ECO-22"}));

  // 67: "<= 1.0.0" with a space.
  const Affected* ws = find_affected(*r, "ws", "NSWG-ECO-67");
  ASSERT_NE(ws, nullptr);
  EXPECT_EQ(events_text(ws->ranges.at(0)), "introduced 0, last_affected 1.0.0");

  // Three advisories state a score their vector does not give (368: 2.5 for 1.8, 493: 7.0 for
  // 5.7, 516: 7.4 for 6.3): the vector's score is kept, and rates the severity.
  const Vulnerability* v516 = find_vuln(*r, "NSWG-ECO-516");
  ASSERT_NE(v516, nullptr);
  EXPECT_EQ(v516->cvss_v3_score, 6.3);
  EXPECT_EQ(v516->severity, Severity::medium);
  const Vulnerability* v493 = find_vuln(*r, "CVE-2018-16487");
  ASSERT_NE(v493, nullptr);
  EXPECT_EQ(v493->cvss_v3_score, 5.7);
  EXPECT_EQ(find_vuln(*r, "CVE-2018-3721")->cvss_v3_score, 1.8);
}

std::string npm_events(const std::string& range, bool patched = false) {
  TempDir dir;
  std::string doc = R"({"id": 1, "module_name": "m", "cves": [], )";
  doc += patched ? R"("patched_versions": ")" + range + R"("})"
                 : R"("vulnerable_versions": ")" + range + R"("})";
  auto r = import_npm_legacy(dir.write("1.json", doc));
  if (!r.ok()) return "error: " + r.error().message;
  if (r->affected.empty()) return "(none)";
  return events_text(r->affected[0].ranges.at(0));
}

TEST(NpmLegacy, NodeSemverRangeSyntax) {
  EXPECT_EQ(npm_events("*"), "introduced 0");
  EXPECT_EQ(npm_events("^1.2.3"), "introduced 1.2.3, fixed 2.0.0");
  EXPECT_EQ(npm_events("^0.2.3"), "introduced 0.2.3, fixed 0.3.0");
  EXPECT_EQ(npm_events("^0.0.3"), "introduced 0.0.3, fixed 0.0.4");
  EXPECT_EQ(npm_events("^1.2.x"), "introduced 1.2.0, fixed 2.0.0");
  EXPECT_EQ(npm_events("~1.2.3"), "introduced 1.2.3, fixed 1.3.0");
  EXPECT_EQ(npm_events("~1"), "introduced 1.0.0, fixed 2.0.0");
  EXPECT_EQ(npm_events("1.x"), "introduced 1.0.0, fixed 2.0.0");
  EXPECT_EQ(npm_events("1.2.*"), "introduced 1.2.0, fixed 1.3.0");
  EXPECT_EQ(npm_events("1.2.3 - 2.3.4"), "introduced 1.2.3, last_affected 2.3.4");
  EXPECT_EQ(npm_events("1.2 - 2.3"), "introduced 1.2.0, fixed 2.4.0");
  EXPECT_EQ(npm_events("<=1.2"), "introduced 0, fixed 1.3.0");
  EXPECT_EQ(npm_events(">1.2"), "introduced 1.3.0");
  EXPECT_EQ(npm_events("v1.0.0 || =2.0.0"),
            "introduced 1.0.0, last_affected 1.0.0, introduced 2.0.0, last_affected 2.0.0");
  // An exclusive lower bound starts at the next SemVer version.
  EXPECT_EQ(npm_events(">1.2.3 <2"), "introduced 1.2.4-0, fixed 2.0.0");
  EXPECT_EQ(npm_events(">1.0.0-beta.1 <1.0.0"), "introduced 1.0.0-beta.1.0, fixed 1.0.0");
  // Overlapping sets are merged; impossible ones drop out.
  EXPECT_EQ(npm_events("<1.5.0 || >=1.2.0 <2.0.0 || >*"), "introduced 0, fixed 2.0.0");
  // Only patched_versions: the affected versions are the rest.
  EXPECT_EQ(npm_events(">=3.11 <4 || >=4.5", true),
            "introduced 0, fixed 3.11.0, introduced 4.0.0, fixed 4.5.0");
  EXPECT_EQ(npm_events(">0.7.0", true), "introduced 0, last_affected 0.7.0");

  EXPECT_NE(npm_events("1.2.3.4").find("error: "), std::string::npos);
  EXPECT_NE(npm_events(">=banana").find("1.json"), std::string::npos);
}

// ---- detection -----------------------------------------------------------------------------

TEST(Detect, SampleSourcesByContent) {
  const std::pair<fs::path, Format> cases[] = {
      {kSample / "alma" / "almalinux9", Format::osv},
      {kSample / "alma", Format::osv},
      {kSample / "lang" / "go", Format::osv},
      {kSample / "lang" / "pypi", Format::osv},
      {kSample / "lang" / "crates.io", Format::osv},
      {kSample / "lang" / "rubygems", Format::rubysec},
      {kSample / "lang" / "npm", Format::npm_legacy},
      {kSample / "alpine" / "alpine-secdb", Format::alpine_secdb},
      {kSample / "debian" / "vuln-list-debian", Format::debian_tracker},
      {kSample / "debian" / "vuln-list-debian" / "tracker", Format::debian_tracker},
      {kSample / "lang" / "go" / "GO-2020-0012.json", Format::osv},
      {kSample / "lang" / "pypi" / "urllib3" / "PYSEC-2023-192.yaml", Format::osv},
      {kSample / "lang" / "rubygems" / "rack" / "CVE-2011-5036.yml", Format::rubysec},
      {kSample / "lang" / "npm" / "8.json", Format::npm_legacy},
      {kSample / "alpine" / "alpine-secdb" / "v3.10" / "main.yaml", Format::alpine_secdb},
  };
  for (const auto& [path, format] : cases) {
    auto r = detect_format(path);
    ASSERT_TRUE(r.ok()) << path << ": " << r.error().message;
    EXPECT_EQ(*r, format) << path;
  }
}

TEST(Detect, ZipsUnknownAndMissing) {
  TempDir dir;
  write_zip(dir.path() / "osv.zip",
            {{"GO-2020-0012.json", slurp(kSample / "lang" / "go" / "GO-2020-0012.json")}});
  EXPECT_EQ(detect_format(dir.path() / "osv.zip").value(), Format::osv);

  auto text_only = detect_format(kSample / "versions");  // ordering oracles, no advisory
  ASSERT_FALSE(text_only.ok());
  EXPECT_EQ(text_only.error().code, base::Errc::unsupported);
  auto other_json = detect_format(dir.write("x.json", R"({"name": "left-pad"})"));
  ASSERT_FALSE(other_json.ok());
  EXPECT_EQ(other_json.error().code, base::Errc::unsupported);
  EXPECT_EQ(detect_format(dir.write("broken.json", "{")).error().code, base::Errc::corrupt);
  EXPECT_EQ(detect_format(kSample / "nothing-here").error().code, base::Errc::not_found);
}

TEST(Detect, ImportAnyDispatches) {
  for (const auto& path : {kSample / "lang" / "npm", kSample / "lang" / "rubygems",
                           kSample / "alpine" / "alpine-secdb", kSample / "lang" / "crates.io"}) {
    auto format = detect_format(path);
    ASSERT_TRUE(format.ok());
    auto r = import_any(path, *format);
    ASSERT_TRUE(r.ok()) << path << ": " << error_of(r);
    EXPECT_FALSE(r->affected.empty()) << path;
  }
  EXPECT_EQ(import_any(kSample / "lang" / "npm", Format::npm_legacy)->vulnerabilities.size(), 20u);
  EXPECT_EQ(import_any(kSample / "lang" / "crates.io", Format::osv)->vulnerabilities.size(), 34u);
  // The Debian tracker: the directory holding tracker/ is enough.
  auto debian = import_any(kSample / "debian" / "vuln-list-debian", Format::debian_tracker);
  ASSERT_TRUE(debian.ok()) << error_of(debian);
  EXPECT_FALSE(debian->affected.empty());
}

}  // namespace
}  // namespace berth::vulndb
