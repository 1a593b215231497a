// Advisory files of the other formats and how a path's format is told (vulndb/importers.h:
// detect_format, then import_any): the Ruby advisory database (rubysec YAML) and the Node.js
// security WG's npm advisories (JSON), whose version constraints become OSV ranges.
// Input: one document, JSON when it starts with '{' or '[' (after blanks), else YAML.
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
  const auto file = fuzz::scratch_dir() / (json ? "advisory.json" : "advisory.yml");
  fuzz::write_file(file, text);
  auto format = vulndb::detect_format(file);
  if (!format) return 0;
  auto advisories = vulndb::import_any(file, *format);
  if (advisories) fuzz::check_advisories(*advisories);
  return 0;
}
