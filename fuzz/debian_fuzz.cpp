// The Debian security tracker importer (vulndb::import_debian_tracker, vuln-list-debian form).
// Input: one tracker record (Header, Annotations), written as both a CVE and a DSA record of a
// scratch tracker whose distributions.json and Sources stanza are fixed (from the sample in
// tests/data), so that release lines, sid lines and advisories all meet the tracker's rules.
// Checks: fuzz/advisory_checks.h.
#include "advisory_checks.h"
#include "vulndb/importers.h"

namespace {

using namespace berth;

constexpr std::string_view kDistributions = R"({
  "bookworm": {"major-version": "12", "support": "security", "contact": "team@security.debian.org"},
  "bullseye": {"major-version": "11", "support": "security", "contact": "team@security.debian.org"},
  "sid": {"major-version": "", "support": "", "contact": ""}
})";
constexpr std::string_view kSources = R"({"Package": ["glibc"], "Version": ["2.36-9+deb12u4"]})";

const std::filesystem::path& tracker() {
  static const std::filesystem::path dir = [] {
    const auto root = fuzz::scratch_dir() / "tracker";
    fuzz::write_file(root / "distributions.json", kDistributions);
    fuzz::write_file(root / "source" / "bookworm" / "main" / "glibc.json", kSources);
    return root;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::quiet_logs();
  (void)tracker();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view record = fuzz::as_text(data, size);
  fuzz::write_file(tracker() / "CVE" / "2024" / "CVE-2024-0001.json", record);
  fuzz::write_file(tracker() / "DSA" / "DSA-0001-1.json", record);
  auto advisories = vulndb::import_debian_tracker(tracker());
  if (advisories) fuzz::check_advisories(*advisories);
  return 0;
}
