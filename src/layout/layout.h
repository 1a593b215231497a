// The way out and back: projects exported as plain OCI image layouts, one per repository, that
// any OCI tool reads (skopeo copy oci:DIR/repositories/<repository>:<tag> ...), with a JSON file
// of each project's settings; and such a directory imported into a Berth, digests unchanged.
//   DIR/repositories/<project>/<name>/   an OCI image layout: oci-layout, index.json (one entry
//                                         per tag, named by org.opencontainers.image.ref.name,
//                                         and one per untagged artifact and referrer), blobs/
//   DIR/projects/<project>.json          metadata, quota, members, tag immutability rules and
//                                         the retention policy (robots and their secrets are not
//                                         exported)
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "base/result.h"
#include "blob/store.h"
#include "meta/database.h"
#include "meta/iam_database.h"
#include "meta/immutability_database.h"
#include "meta/label_database.h"
#include "meta/limits_database.h"
#include "meta/retention_database.h"
#include "meta/webhook_database.h"
#include "registry/registry.h"

namespace berth::layout {

struct Report {
  std::size_t projects = 0;
  std::size_t repositories = 0;
  std::size_t manifests = 0;
  std::size_t blobs = 0;  // blob files written (or read, on import), manifests included
};

struct Catalog {
  meta::Database& metadata;
  meta::IamDatabase& iam;
  meta::LimitsDatabase& limits;
  meta::ImmutabilityDatabase& immutability;
  meta::RetentionDatabase& retention;
  std::function<void(const std::string&)> log;  // progress lines (optional)
  std::function<base::Status()> keep_alive;     // called between repositories (optional)
  // Labels (with the artifacts they are on) and webhook policies travel too when these are set.
  meta::LabelDatabase* labels = nullptr;
  meta::WebhookDatabase* webhooks = nullptr;
};

// Exports `project` (every project when empty) into `dir`, which must not exist or be empty.
// Blob files are hard links where `dir` shares the store's file system, else copies.
// Errors: not_found (project), already_exists (dir not empty), io_error.
base::Result<Report> export_projects(const Catalog& catalog, const blob::Store& blobs,
                                     const std::string& project, const std::filesystem::path& dir);

// Imports what export_projects wrote: creates missing projects with their settings (members
// whose user exists here, labels, webhook policies; robots are listed, not recreated: their
// secrets never leave), then pushes every repository's manifests (children and subjects
// first) and tags through `registry`, which checks and accounts them as any push. `owner` owns
// the projects it creates. Errors: invalid_argument (not an export), corrupt, and the
// registry's refusals (quota, immutability) with the artifact they concern.
base::Result<Report> import_projects(const Catalog& catalog, registry::Registry& registry, std::int64_t owner,
                                     const std::filesystem::path& dir);

}  // namespace berth::layout
