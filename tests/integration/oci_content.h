// OCI content for tests: digests, random blobs, manifests and indexes rendered to exact
// bytes, the requests of a push (monolithic, chunked, manifest), and checks of the
// spec's JSON error body. Everything here talks to a registry only through HttpClient.
#pragma once

#include <gtest/gtest.h>

#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http_client.h"

namespace berth::integration {

// Media types used by the tests.
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciLayer = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kOciEmpty = "application/vnd.oci.empty.v1+json";
inline constexpr std::string_view kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kDockerLayer = "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr std::string_view kDockerSchema1Signed =
    "application/vnd.docker.distribution.manifest.v1+prettyjws";
inline constexpr std::string_view kHelmConfig = "application/vnd.cncf.helm.config.v1+json";
inline constexpr std::string_view kHelmChart = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
// What a client that understands every manifest type sends as Accept.
extern const std::string kAcceptAnyManifest;

// ---- digests and blobs ----

// "<algorithm>:<lowercase hex>" of `data`; algorithm is "sha256" or "sha512" (OpenSSL EVP).
std::string digest_of(std::string_view algorithm, std::string_view data);
inline std::string sha256_digest(std::string_view data) {
  return digest_of("sha256", data);
}
inline std::string sha512_digest(std::string_view data) {
  return digest_of("sha512", data);
}

std::string random_bytes(std::size_t count);
// Standard base64 (with padding) of `data`.
std::string base64_encode(std::string_view data);
std::string random_hex(std::size_t chars);
// Reseeds the calling thread's generator behind random_bytes and random_hex (and so
// random_blob, random_config, make_image...): the same seed gives the same content.
void reseed_random(std::uint64_t seed);

struct Blob {
  std::string data;
  std::string digest;
};
Blob make_blob(std::string data, std::string_view algorithm = "sha256");
Blob random_blob(std::size_t size);
// A small, unique image config JSON (so every image gets its own digest).
Blob random_config();

// ---- descriptors, manifests, indexes ----

struct Descriptor {
  std::string media_type;
  std::string digest;
  std::uint64_t size = 0;
  std::string artifact_type;                       // omitted when empty
  std::map<std::string, std::string> annotations;  // omitted when empty
  std::string platform_os;                         // "platform" omitted when both are empty
  std::string platform_architecture;
};
Descriptor describe(const Blob& blob, std::string_view media_type);

struct ManifestSpec {
  std::string media_type = std::string(kOciManifest);  // omitted when empty
  std::string artifact_type;
  Descriptor config;
  std::vector<Descriptor> layers;
  std::optional<Descriptor> subject;
  std::map<std::string, std::string> annotations;
};
std::string render(const ManifestSpec& spec);

struct IndexSpec {
  std::string media_type = std::string(kOciIndex);
  std::string artifact_type;
  std::vector<Descriptor> manifests;
  std::optional<Descriptor> subject;
  std::map<std::string, std::string> annotations;
};
std::string render(const IndexSpec& spec);

// An image: its blobs and the exact manifest bytes that reference them.
struct Image {
  Blob config;
  std::vector<Blob> layers;
  std::string media_type;
  std::string manifest;
  std::string digest;  // sha256 of `manifest`
  Descriptor descriptor() const;
};
Image make_image(std::size_t layer_count = 1, std::size_t layer_size = 256);         // OCI
Image make_docker_image(std::size_t layer_count = 1, std::size_t layer_size = 256);  // Docker v2
// A one-layer OCI image of `layer` (the blob as stored: compressed or not) of `layer_type`, with a
// linux/amd64 config whose rootfs lists `diff_id` ("" = none).
Image make_layer_image(std::string layer, std::string_view layer_type = kOciLayer,
                       std::string_view diff_id = "");
// Replaces the image's manifest by `manifest` (recomputing its digest).
void set_manifest(Image& image, std::string manifest);

// ---- the requests of a push ----

// POST /v2/<repo>/blobs/uploads/ with an empty body: expect 202 + Location.
Response start_upload(HttpClient& client, std::string_view repo);
// POST then PUT <location>?digest=: expect 201.
Response push_blob(HttpClient& client, std::string_view repo, const Blob& blob);
// POST /v2/<repo>/blobs/uploads/?digest= with the whole blob as the body (the monolithic
// upload in one request): expect 201.
Response post_blob(HttpClient& client, std::string_view repo, const Blob& blob);
// POST /v2/<repo>/blobs/uploads/?mount=<digest>&from=<from> (no `from` when it is empty):
// 201 when the blob was mounted, else 202 and an upload session.
Response mount_blob(HttpClient& client, std::string_view repo, std::string_view digest,
                    std::string_view from);
// POST, PATCHes of `chunk_size` bytes with Content-Range, then PUT ?digest= with no body.
// Returns the first failing response or the closing one.
Response push_blob_chunked(HttpClient& client, std::string_view repo, const Blob& blob,
                           std::size_t chunk_size);
// PUT /v2/<repo>/manifests/<reference> with Content-Type `media_type`.
Response push_manifest(HttpClient& client, std::string_view repo, std::string_view reference,
                       std::string_view manifest, std::string_view media_type);
// Pushes the image's blobs and its manifest under `reference`; adds a gtest failure per
// step that does not answer 201. Returns whether every step did.
bool push_image(HttpClient& client, std::string_view repo, std::string_view reference, const Image& image);

std::string blob_path(std::string_view repo, std::string_view digest);
std::string manifest_path(std::string_view repo, std::string_view reference);
std::string uploads_path(std::string_view repo);

// ---- JSON and the spec's error body ----

std::optional<boost::json::value> parse_json(std::string_view text);
// The "code" of every entry of {"errors":[...]}, or std::nullopt when the body is not
// that shape (not JSON, no "errors" array, an entry without a string "code").
std::optional<std::vector<std::string>> error_codes(const Response& response);

// Success when `response` has `status` and a spec-shaped JSON error body whose codes
// include one of `codes` (any code when `codes` is empty). Every code must consist of
// uppercase letters and underscores only.
::testing::AssertionResult IsOciError(const Response& response, long status,
                                      std::initializer_list<std::string_view> codes);

// The tags of a tags/list body, or std::nullopt when it is not {"name":..,"tags":[..]}.
std::optional<std::vector<std::string>> tag_list(const Response& response);
// The "manifests" of an image index body.
std::optional<std::vector<boost::json::object>> index_manifests(const Response& response);

// The target of a `Link: <url>; rel="next"` header, or "" when there is none.
std::string next_link(const Response& response);

}  // namespace berth::integration
