// Parsing and validation of manifests: OCI image manifest and index, Docker schema 2
// manifest and manifest list, and artifacts carried in them. Pure: no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "oci/digest.h"
#include "oci/errors.h"

namespace berth::oci {

// Manifests larger than this are refused (the spec recommends at least 4 MiB).
inline constexpr std::size_t kMaxManifestSize = 4 * 1024 * 1024;

struct Platform {
  std::string architecture;
  std::string os;
  std::string variant;
};

struct Descriptor {
  std::string media_type;
  Digest digest;
  std::int64_t size = 0;
  std::string artifact_type;  // empty when absent
  std::map<std::string, std::string> annotations;
  std::optional<Platform> platform;
};

struct Manifest {
  std::string media_type;     // the effective media type (body field or Content-Type)
  std::string artifact_type;  // artifactType, else config.mediaType of an image manifest; may be empty
  std::optional<Descriptor> config;
  std::vector<Descriptor> layers;     // image manifest: layers (blobs)
  std::vector<Descriptor> manifests;  // index / manifest list: child manifests
  std::optional<Descriptor> subject;
  std::map<std::string, std::string> annotations;

  bool is_index() const;
  // Every blob the manifest references: config then layers (empty for an index).
  std::vector<Descriptor> blob_references() const;
};

// Parses and validates `body` received with `content_type` (may be empty).
// Promises on success: the media type is one of the four stored manifest types, every
// descriptor has a valid digest, a non-negative size and a media type, an index lists
// only manifests, an image manifest has a config.
// Errors: MANIFEST_INVALID for malformed JSON, a wrong shape, Docker schema 1 (named as
// such in the message), or a body mediaType that contradicts content_type;
// MANIFEST_INVALID for bodies over kMaxManifestSize; DIGEST_INVALID for a bad digest in a
// descriptor; UNSUPPORTED for a digest algorithm Berth does not support.
base::Result<Manifest, Error> parse_manifest(std::string_view body, std::string_view content_type);

// Serializes a descriptor as the JSON object the referrers API lists.
std::string descriptor_json(const Descriptor& descriptor);

}  // namespace berth::oci
