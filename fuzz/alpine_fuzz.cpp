// The Alpine secdb importer (vulndb::import_alpine_secdb). Input: one secdb YAML file
// (distroversion, packages[].pkg.{name,secfixes}), written to a scratch file.
// Checks: fuzz/advisory_checks.h.
#include "advisory_checks.h"
#include "vulndb/importers.h"

using namespace berth;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::quiet_logs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto file = fuzz::scratch_dir() / "main.yaml";
  fuzz::write_file(file, fuzz::as_text(data, size));
  auto advisories = vulndb::import_alpine_secdb(file);
  if (advisories) fuzz::check_advisories(*advisories);
  return 0;
}
