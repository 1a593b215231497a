// Updating the database from a configured source: a local path, or an http(s) URL that is
// downloaded first (a .tar.gz / .tgz / .tar of a directory is unpacked, safely, into the work
// directory; a .zip, .json or .yaml is imported as it is). The format is detected.
#pragma once

#include <filesystem>
#include <string>

#include "base/result.h"
#include "meta/vuln_database.h"
#include "vulndb/database.h"

namespace berth::vulndb {

struct FetchLimits {
  std::uint64_t max_download_bytes = 4ull << 30;
  std::uint64_t max_unpacked_bytes = 32ull << 30;  // what a .tar(.gz) may unpack to
  long connect_timeout_seconds = 30;
  long total_timeout_seconds = 3600;
};

// Imports `source` as the database source of that name (a later update of the same source
// replaces what it said). Temporary files go below `work_dir` and are removed afterwards.
base::Result<meta::VulnChange> update_from(Database& db, const std::string& source,
                                           const std::filesystem::path& work_dir,
                                           const FetchLimits& limits = {});

}  // namespace berth::vulndb
