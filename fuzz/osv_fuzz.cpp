// The OSV importer (vulndb::import_osv), as `berth vulndb import` and the vulndb_update job run
// it on a downloaded feed. Input: one OSV document, JSON when it starts with '{' or '[' (after
// blanks), else YAML (OSV's other form), written to a scratch file of that name.
// Checks: fuzz/advisory_checks.h.
#include "advisory_checks.h"
#include "vulndb/importers.h"

using namespace berth;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::quiet_logs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  const bool json = fuzz::starts_like_json(text);
  const auto file = fuzz::scratch_dir() / (json ? "advisory.json" : "advisory.yaml");
  fuzz::write_file(file, text);
  auto advisories = vulndb::import_osv(file);
  if (advisories) fuzz::check_advisories(*advisories);
  return 0;
}
