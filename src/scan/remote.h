// Pulling an image from a registry to scan it, with remote::RegistryClient.
//
// pull_image fetches the manifest (by digest or tag) with an Accept for OCI and Docker manifests
// and indexes, checks its digest, picks one image from an index, and downloads each layer blob
// into an unnamed temporary file (O_TMPFILE, or a file unlinked at once), hashing it as it
// arrives and checking digest, size and limits. The files vanish when the PulledImage is
// destroyed, or with the process. Nothing here knows about scanning.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "image/layers.h"
#include "oci/manifest.h"

namespace berth::scan {

// ---- pulling an image ----

struct RemoteTarget {
  std::string registry_url;  // base URL, "https://registry.example.com" (a trailing '/' is ignored)
  std::string
      authorization;  // Authorization header value for the registry ("Basic ...", "Bearer ..."); "" = none
  std::string repository;  // "library/debian"
  std::string reference;   // the manifest digest "sha256:..." (preferred) or a tag
};

struct RemoteOptions {
  std::uint64_t max_layer_bytes = 16ull << 30;  // one layer blob, as stored (compressed)
  std::uint64_t max_image_bytes = 64ull << 30;  // all layer blobs together
  std::size_t max_layers = 1000;
  std::chrono::seconds connect_timeout{15};
  std::chrono::seconds request_timeout{60};  // manifests and tokens (small answers)
  std::chrono::seconds stall_timeout{120};   // a blob download that makes no progress this long fails
  std::filesystem::path temp_dir;            // where layer files go; "" = the system temp directory
  bool verify_tls = true;
  // From an index: the image for this platform, else the first linux image.
  std::string platform_os = "linux";
  std::string platform_architecture = "amd64";
};

// An image pulled for scanning. Move-only: it owns the layer files.
struct PulledImage {
  std::string manifest_digest;   // digest of the manifest the reference named (an index's, if it was one)
  std::string media_type;        // that manifest's media type
  std::string image_digest;      // the image manifest whose layers were fetched
  std::string image_media_type;  // its media type
  std::string platform;          // "linux/amd64" when picked from an index, else ""
  std::uint64_t bytes = 0;       // layer bytes downloaded
  std::vector<base::UniqueFd> files;
  std::vector<image::Layer> layers;  // bottom to top, reading `files`
};

// Pulls the layers of the image `target` names. `stop` aborts transfers in progress
// (Errc::cancelled). Errors: invalid_argument (a bad URL, repository or reference; the registry
// refusing the credentials), not_found (no such manifest or blob), unsupported (not a container
// image: schema 1, an artifact, an index without a linux image, nested indexes), corrupt (a
// digest or size that does not match), too_large (a limit passed), unavailable (network,
// server errors), io_error (temporary files).
base::Result<PulledImage> pull_image(const RemoteTarget& target, const RemoteOptions& options = {},
                                     std::stop_token stop = {});

// ---- pieces, exposed for tests ----

// The child of an index to scan: the first whose platform is `os`/`architecture`, else the first
// with platform os `os`; nothing if none. Children without a platform are not chosen.
std::optional<std::size_t> pick_platform(const oci::Manifest& index, std::string_view os,
                                         std::string_view architecture);

}  // namespace berth::scan
