// dpkg's database (var/lib/dpkg/status and status.d/ stanzas), as a scan reads it from an image.
// Input: the file.
// Checks: every package has a name and a version that dpkg's order accepts as equal to itself,
// and a package URL.
#include "fuzz_support.h"
#include "inventory/analyzers.h"
#include "version/compare.h"

using namespace berth;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto packages = inventory::detail::parse_dpkg_status(fuzz::as_text(data, size), "var/lib/dpkg/status");
  if (!packages) {
    FUZZ_CHECK(packages.error().code == base::Errc::corrupt);
    return 0;
  }
  inventory::OperatingSystem os{"debian", "12", "bookworm", "Debian GNU/Linux 12 (bookworm)"};
  for (const auto& p : *packages) {
    FUZZ_CHECK(p.type == inventory::PackageType::dpkg);
    FUZZ_CHECK(!p.name.empty() && !p.version.empty());
    FUZZ_CHECK(version::compare(version::Scheme::dpkg, p.version, p.version) == 0);
    FUZZ_CHECK(inventory::detail::make_purl(p, os).starts_with("pkg:deb/debian/"));
  }
  return 0;
}
