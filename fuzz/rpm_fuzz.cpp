// rpm's databases as a scan reads them from an image: rpmdb.sqlite (rpm 4.16+), the Berkeley DB
// "Packages" file (older rpm), and the header blob each of them stores per package.
// Input: a whole database, recognised by its magic like the file names tell it apart in an
// image ("SQLite format 3" at 0, the hash magic 0x061561 at 12); anything else is one header.
// Checks: every package has a name, and a package URL; a refusal says the database is corrupt.
#include "fuzz_support.h"
#include "inventory/analyzers.h"

namespace {

using namespace berth;

bool is_sqlite(std::string_view bytes) {
  return bytes.starts_with(std::string_view("SQLite format 3\0", 16));
}

bool is_bdb_hash(std::string_view bytes) {
  if (bytes.size() < 16) return false;
  const std::string_view magic = bytes.substr(12, 4);
  return magic == std::string_view("\x61\x15\x06\x00", 4) || magic == std::string_view("\x00\x06\x15\x61", 4);
}

void check(const inventory::Package& p) {
  FUZZ_CHECK(p.type == inventory::PackageType::rpm);
  FUZZ_CHECK(!p.name.empty());
  inventory::OperatingSystem os{"almalinux", "9.3", "", "AlmaLinux 9.3"};
  FUZZ_CHECK(inventory::detail::make_purl(p, os).starts_with("pkg:rpm/"));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::quiet_logs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = fuzz::as_text(data, size);
  if (is_sqlite(bytes) || is_bdb_hash(bytes)) {
    auto packages = is_sqlite(bytes)
                        ? inventory::detail::parse_rpmdb_sqlite(bytes, "var/lib/rpm/rpmdb.sqlite")
                        : inventory::detail::parse_rpmdb_bdb(bytes, "var/lib/rpm/Packages");
    if (!packages) {
      // SQLite answers SQLITE_NOMEM for some damaged files too (the parser reports it as
      // internal, which analyze() turns into the database being corrupt, like any other).
      FUZZ_CHECK(packages.error().code == base::Errc::corrupt ||
                 packages.error().code == base::Errc::internal);
      return 0;
    }
    for (const auto& p : *packages) check(p);
    return 0;
  }
  auto package = inventory::detail::parse_rpm_header(bytes);
  if (!package) {
    FUZZ_CHECK(package.error().code == base::Errc::corrupt);
    return 0;
  }
  if (*package) check(**package);
  return 0;
}
