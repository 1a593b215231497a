// oci::parse_manifest: manifest and index JSON as clients push it, with its Content-Type.
// Input: the body; a first byte below 0x10 picks the Content-Type from kContentTypes and is not
// part of the body (a plain JSON body is pushed without one).
// Checks what manifest.h promises of a parsed manifest, what artifact.h derives from it (type,
// accessory link), and that a stored manifest parses again under the media type Berth serves it with.
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "fuzz_support.h"
#include "oci/artifact.h"
#include "oci/manifest.h"
#include "oci/media_types.h"

namespace {

using namespace berth;
namespace media_type = oci::media_type;

constexpr std::string_view kContentTypes[] = {
    "",
    media_type::oci_manifest,
    media_type::oci_index,
    media_type::docker_manifest,
    media_type::docker_manifest_list,
    media_type::docker_schema1,
    media_type::docker_schema1_signed,
    "application/json",
    "application/vnd.oci.image.manifest.v1+json; charset=utf-8",
    " APPLICATION/VND.OCI.IMAGE.INDEX.V1+JSON ",
    "text/plain",
};

void check_descriptor(const oci::Descriptor& d) {
  FUZZ_CHECK(!d.media_type.empty());
  FUZZ_CHECK(d.size >= 0);
  auto digest = oci::Digest::parse(d.digest.str());
  FUZZ_CHECK(digest && *digest == d.digest);
  boost::system::error_code ec;
  boost::json::value json = boost::json::parse(oci::descriptor_json(d), ec);
  FUZZ_CHECK(!ec && json.is_object());
  FUZZ_CHECK(json.as_object().at("digest").as_string() == d.digest.str());
  FUZZ_CHECK(json.as_object().at("size").as_int64() == d.size);
}

void check_manifest(const oci::Manifest& m) {
  FUZZ_CHECK(media_type::is_manifest(m.media_type));
  if (m.is_index()) {
    FUZZ_CHECK(!m.config && m.layers.empty());
    FUZZ_CHECK(m.blob_references().empty());
    for (const auto& child : m.manifests) FUZZ_CHECK(media_type::is_manifest(child.media_type));
  } else {
    FUZZ_CHECK(m.config.has_value());
    FUZZ_CHECK(m.manifests.empty());
    FUZZ_CHECK(m.blob_references().size() == m.layers.size() + 1);
  }
  if (m.config) check_descriptor(*m.config);
  for (const auto& d : m.layers) check_descriptor(d);
  for (const auto& d : m.manifests) check_descriptor(d);
  if (m.subject) check_descriptor(*m.subject);
}

// What push derives from a manifest to file it as an artifact (oci/artifact.h): a link only to
// a digest that parses, under the cosign tag it was pushed with when there is no subject.
void check_artifact(const oci::Manifest& m) {
  for (std::string_view tag :
       {std::string_view(), std::string_view("latest"),
        std::string_view("sha256-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.sig")}) {
    auto link = oci::accessory_link(m, tag);
    if (!link) continue;
    FUZZ_CHECK(oci::Digest::parse(link->subject).ok());
    FUZZ_CHECK(!link->type.empty());
    if (!m.subject) FUZZ_CHECK(oci::cosign_tag_subject(tag) == link->subject);
    FUZZ_CHECK(oci::artifact_kind(m, link->type) == "SIGNATURE" || !link->type.starts_with("signature."));
  }
  FUZZ_CHECK(!oci::artifact_kind(m, "").empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view body = fuzz::as_text(data, size);
  std::string_view content_type;
  if (!body.empty() && static_cast<unsigned char>(body.front()) < 0x10) {
    content_type = kContentTypes[static_cast<unsigned char>(body.front()) % std::size(kContentTypes)];
    body.remove_prefix(1);
  }
  auto manifest = oci::parse_manifest(body, content_type);
  if (!manifest) {
    const auto code = manifest.error().code;
    FUZZ_CHECK(code == oci::ErrorCode::manifest_invalid || code == oci::ErrorCode::digest_invalid ||
               code == oci::ErrorCode::unsupported);
    return 0;
  }
  check_manifest(*manifest);
  check_artifact(*manifest);
  // Berth serves the manifest with its media type as Content-Type; a client pushing it on
  // (replication, skopeo copy) must not be refused.
  auto again = oci::parse_manifest(body, manifest->media_type);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->media_type == manifest->media_type);
  FUZZ_CHECK(again->layers.size() == manifest->layers.size());
  FUZZ_CHECK(again->manifests.size() == manifest->manifests.size());
  return 0;
}
