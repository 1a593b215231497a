// Alpine's apk database (lib/apk/db/installed), as a scan reads it from an image.
// Input: the file.
// Checks: every package has a name and a version, and a package URL.
#include "fuzz_support.h"
#include "inventory/analyzers.h"
#include "version/compare.h"

using namespace berth;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto packages = inventory::detail::parse_apk_installed(fuzz::as_text(data, size), "lib/apk/db/installed");
  if (!packages) {
    FUZZ_CHECK(packages.error().code == base::Errc::corrupt);
    return 0;
  }
  inventory::OperatingSystem os{"alpine", "3.18.4", "", "Alpine Linux v3.18"};
  for (const auto& p : *packages) {
    FUZZ_CHECK(p.type == inventory::PackageType::apk);
    FUZZ_CHECK(!p.name.empty() && !p.version.empty());
    FUZZ_CHECK(version::compare(version::Scheme::apk, p.version, p.version) == 0);
    FUZZ_CHECK(inventory::detail::make_purl(p, os).starts_with("pkg:apk/alpine/"));
  }
  return 0;
}
