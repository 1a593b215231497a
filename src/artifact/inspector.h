// artifact::Inspector: what Harbor shows of an artifact beyond its manifest row: its type,
// media types, its own icon, its extra attributes (from an image's config, a Helm chart's
// Chart.yaml, or any config Harbor's default rule reads) and its additions (an image's build
// history; a chart's values.yaml, readme.md and dependencies).
//
// It reads manifests and blobs through the registry, each within a bound (a hostile config or
// chart is refused, never read whole), and keeps what it derived per manifest digest in a
// bounded cache: content under a digest never changes.
//
// Thread-safety: all methods may be called concurrently. They read blobs: call them on the
// blocking pool.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "meta/database.h"
#include "oci/manifest.h"
#include "registry/lru_cache.h"
#include "registry/registry.h"

namespace berth::artifact {

// An index's child (Harbor's `references`).
struct Child {
  std::string digest;
  std::optional<oci::Platform> platform;
  std::string annotations_json;  // a JSON object
};

struct Details {
  std::string type;                    // Harbor's: IMAGE, CHART, CNAB, WASM, SBOM, SIGNATURE, ..., UNKNOWN
  std::string media_type;              // the config's media type; an index's own
  std::string manifest_media_type;     // the manifest's
  std::string artifact_type;           // artifactType, else the config's media type; "" for an index
  std::string icon;                    // digest of the artifact's own icon layer, "" when none
  std::string extra_attrs_json;        // a JSON object
  std::vector<std::string> additions;  // the additions it has, by Harbor's lower-case names
  std::vector<Child> children;
  std::shared_ptr<const oci::Manifest> manifest;
};

// The content of an addition, as Harbor serves it.
struct Addition {
  std::string content_type;
  std::string body;
};

struct Options {
  std::size_t cache_entries = 4096;                   // derived details kept
  std::uint64_t max_config_bytes = 4 << 20;           // an image or chart config read as JSON
  std::uint64_t max_chart_bytes = 16 << 20;           // a chart layer (compressed)
  std::uint64_t max_chart_file_bytes = 1 << 20;       // values.yaml, README.md, Chart.yaml ...
  std::uint64_t max_chart_expanded_bytes = 64 << 20;  // the chart layer, uncompressed
  std::uint64_t max_icon_bytes = 1 << 20;
};

class Inspector {
 public:
  Inspector(registry::Registry& registry, Options options = {});

  // The details of `record` (a manifest of `repository`). Errors: not_found (the manifest or
  // a blob it needs is gone), corrupt (a config that is not JSON), too_large (past a bound).
  base::Result<std::shared_ptr<const Details>> details(const std::string& repository,
                                                       const meta::ManifestRecord& record);

  // Addition `name` (build_history, values.yaml, readme.md, dependencies) of `record`.
  // Errors: invalid_argument (the artifact's type has no such addition, as Harbor answers 400),
  // not_found (a chart without that file), corrupt, too_large.
  base::Result<Addition> addition(const std::string& repository, const meta::ManifestRecord& record,
                                  std::string_view name);

  // The icon an artifact of `repository` carries as layer `digest` (an artifact's `icon`):
  // its bytes and image/png, image/jpeg or image/gif. Errors: not_found, invalid_argument
  // (not one of those formats), too_large.
  base::Result<Addition> icon(const std::string& repository, std::string_view digest);

 private:
  base::Result<std::string> read_blob(const std::string& repository, const oci::Descriptor& blob,
                                      std::uint64_t limit);
  base::Result<std::shared_ptr<const Details>> derive(const std::string& repository,
                                                      const meta::ManifestRecord& record);

  registry::Registry& registry_;
  Options options_;
  registry::LruCache<std::string, std::shared_ptr<const Details>> cache_;  // by manifest digest
};

}  // namespace berth::artifact
