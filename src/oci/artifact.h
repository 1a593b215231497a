// Harbor's view of an artifact, from its manifest alone: what kind of artifact it is (IMAGE,
// CHART, SBOM, ...) and whether it is an accessory of another artifact (a signature, an SBOM,
// any referrer). Pure: no I/O.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "oci/manifest.h"

namespace berth::oci {

namespace accessory_type {
inline constexpr std::string_view cosign_signature = "signature.cosign";
inline constexpr std::string_view notation_signature = "signature.notation";
inline constexpr std::string_view harbor_sbom = "harbor.sbom";
inline constexpr std::string_view nydus = "accelerator.nydus";
inline constexpr std::string_view generic = "subject.accessory";
}  // namespace accessory_type

namespace artifact_media_type {
inline constexpr std::string_view docker_config = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view helm_config = "application/vnd.cncf.helm.config.v1+json";
inline constexpr std::string_view helm_chart = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
inline constexpr std::string_view helm_chart_legacy = "application/tar+gzip";
inline constexpr std::string_view helm_provenance = "application/vnd.cncf.helm.chart.provenance.v1.prov";
inline constexpr std::string_view cnab_manifest = "application/vnd.cnab.manifest.v1";
inline constexpr std::string_view wasm_config = "application/vnd.wasm.config.v1+json";
inline constexpr std::string_view harbor_sbom = "application/vnd.goharbor.harbor.sbom.v1";
inline constexpr std::string_view cosign_simple_signing = "application/vnd.dev.cosign.simplesigning.v1+json";
inline constexpr std::string_view cosign_signature = "application/vnd.dev.cosign.artifact.sig.v1+json";
inline constexpr std::string_view notation_signature = "application/vnd.cncf.notary.signature";
}  // namespace artifact_media_type

// An accessory and the artifact (in the same repository) it belongs to.
struct AccessoryLink {
  std::string type;     // one of accessory_type
  std::string subject;  // digest of the artifact it belongs to
};

// The artifact a cosign tag names: "sha256-<64 hex>.sig" -> "sha256:<64 hex>".
std::optional<std::string> cosign_tag_subject(std::string_view tag);
// The cosign tag of an artifact: "sha256:<hex>" -> "sha256-<hex>.sig".
std::string cosign_tag_of(std::string_view digest);

// Whether a manifest pushed under `tag` (empty when pushed by digest) is an accessory, as
// Harbor records them: a manifest with a `subject` (its type from the artifact type), or a
// cosign signature pushed under its subject's cosign tag with a simple-signing layer.
std::optional<AccessoryLink> accessory_link(const Manifest& manifest, std::string_view tag);

// Harbor's accessory type for a referrer of `artifact_type` (artifactType, else the config's
// media type).
std::string_view accessory_type_of(std::string_view artifact_type);

// Harbor's artifact type: IMAGE (images, indexes), CHART, CNAB, WASM, SBOM, a type derived
// from a config media type "application/vnd.<org>.<type>.config.<v>+json", else UNKNOWN.
// Signatures (accessories of type signature.*) are SIGNATURE.
std::string artifact_kind(const Manifest& manifest, std::string_view accessory);

}  // namespace berth::oci
