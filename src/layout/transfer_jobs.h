// Export and import as background jobs of the server (kinds EXPORT and IMPORT), for the
// operator API. An export writes into <dir>/exports/<project or "all">-<UTC time>/ while the
// registry serves, holding garbage collection off as `berth export` does; an import loads an
// export found under <dir> through the running registry (so its caches stay true), as
// `berth import` does offline.
#pragma once

#include <filesystem>
#include <string>

#include "base/result.h"
#include "blob/store.h"
#include "jobs/runner.h"
#include "layout/layout.h"
#include "registry/registry.h"

namespace berth::layout {

inline constexpr const char* kExportJob = "EXPORT";
inline constexpr const char* kImportJob = "IMPORT";

struct JobSources {
  Catalog catalog;  // its log and keep_alive are set per run
  const blob::Store& blobs;
  registry::Registry& registry;
  std::int64_t owner = 1;     // owner of the projects an import creates
  std::filesystem::path dir;  // exports go to dir/exports; imports read only under dir
};

// {"project": P} ("" = every project).
std::string export_payload(const std::string& project);
// {"dir": D}. Errors: invalid_argument (D is not under `sources.dir`).
base::Result<std::string> import_payload(const JobSources& sources, const std::string& dir);
// The exports under dir/exports, newest first.
std::vector<std::string> list_exports(const std::filesystem::path& dir);

// Registers both handlers (before the runner starts). `sources` must outlive the runner.
base::Status register_jobs(jobs::Runner& runner, JobSources& sources);

}  // namespace berth::layout
