// Finds the layers of an image kept outside the registry: an OCI image layout directory or an
// image archive (`docker save` / `podman save`, OCI archive tar), for `berth scan`.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "base/result.h"
#include "image/layers.h"

namespace berth::image {

struct LocalImage {
  std::string name;           // the tag or reference name when the source records one, else ""
  std::string platform;       // "linux/amd64" when known, else ""
  std::vector<Layer> layers;  // bottom to top
};

// Every image manifest in an OCI layout (an index is followed down to its platform images).
base::Result<std::vector<LocalImage>> open_oci_layout(const std::filesystem::path& dir);

// Every image in a tar archive: docker-archive (manifest.json) or oci-archive (index.json);
// the layers point into the archive file itself (which must be an uncompressed tar).
base::Result<std::vector<LocalImage>> open_image_archive(const std::filesystem::path& file);

}  // namespace berth::image
