#include "oci/artifact.h"

#include <algorithm>
#include <cctype>

#include "oci/media_types.h"

namespace berth::oci {
namespace {

namespace amt = artifact_media_type;

bool is_lower_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string_view annotation(const std::map<std::string, std::string>& annotations, const std::string& key) {
  auto it = annotations.find(key);
  return it == annotations.end() ? std::string_view() : std::string_view(it->second);
}

// Harbor's default rule: "application/vnd.<org>.<type>.config.<version>+json" names <type>
// (Harbor's regex ^application/vnd\.[^.]*\.(.*)\.config\.[^.]*\+json$).
std::optional<std::string> type_from_config(std::string_view media_type) {
  constexpr std::string_view kPrefix = "application/vnd.";
  constexpr std::string_view kSuffix = "+json";
  if (!media_type.starts_with(kPrefix) || !media_type.ends_with(kSuffix)) return std::nullopt;
  std::string_view rest =
      media_type.substr(kPrefix.size(), media_type.size() - kPrefix.size() - kSuffix.size());
  const auto org_end = rest.find('.');
  if (org_end == std::string_view::npos) return std::nullopt;
  rest.remove_prefix(org_end + 1);
  const auto version_dot = rest.rfind('.');
  if (version_dot == std::string_view::npos) return std::nullopt;
  rest = rest.substr(0, version_dot);
  constexpr std::string_view kConfig = ".config";
  if (!rest.ends_with(kConfig)) return std::nullopt;
  rest.remove_suffix(kConfig.size());
  std::string type(rest);
  for (char& c : type) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return type;
}

bool has_layer(const Manifest& manifest, std::string_view media_type) {
  return std::any_of(manifest.layers.begin(), manifest.layers.end(),
                     [&](const Descriptor& layer) { return layer.media_type == media_type; });
}

}  // namespace

std::optional<std::string> cosign_tag_subject(std::string_view tag) {
  constexpr std::string_view kPrefix = "sha256-";
  constexpr std::string_view kSuffix = ".sig";
  if (tag.size() != kPrefix.size() + 64 + kSuffix.size() || !tag.starts_with(kPrefix) ||
      !tag.ends_with(kSuffix))
    return std::nullopt;
  std::string_view hex = tag.substr(kPrefix.size(), 64);
  if (!is_lower_hex(hex)) return std::nullopt;
  return "sha256:" + std::string(hex);
}

std::string cosign_tag_of(std::string_view digest) {
  std::string tag(digest);
  if (auto colon = tag.find(':'); colon != std::string::npos) tag[colon] = '-';
  return tag + ".sig";
}

std::string_view accessory_type_of(std::string_view artifact_type) {
  if (artifact_type == amt::notation_signature) return accessory_type::notation_signature;
  if (artifact_type == amt::cosign_signature) return accessory_type::cosign_signature;
  if (artifact_type == amt::harbor_sbom) return accessory_type::harbor_sbom;
  return accessory_type::generic;
}

std::optional<AccessoryLink> accessory_link(const Manifest& manifest, std::string_view tag) {
  if (manifest.subject) {
    std::string_view type = accessory_type_of(manifest.artifact_type);
    if (type == accessory_type::generic && manifest.artifact_type == media_type::oci_config &&
        !manifest.layers.empty() &&
        manifest.layers.back().annotations.contains("containerd.io/snapshot/nydus-bootstrap"))
      type = accessory_type::nydus;
    return AccessoryLink{std::string(type), manifest.subject->digest.str()};
  }
  if (auto subject = cosign_tag_subject(tag); subject && has_layer(manifest, amt::cosign_simple_signing))
    return AccessoryLink{std::string(accessory_type::cosign_signature), std::move(*subject)};
  return std::nullopt;
}

std::string artifact_kind(const Manifest& manifest, std::string_view accessory) {
  if (accessory.starts_with("signature.")) return "SIGNATURE";
  if (manifest.is_index()) {
    return annotation(manifest.annotations, "org.opencontainers.artifactType") == amt::cnab_manifest
               ? "CNAB"
               : "IMAGE";
  }
  if (manifest.media_type == media_type::docker_schema1 ||
      manifest.media_type == media_type::docker_schema1_signed)
    return "IMAGE";
  if (annotation(manifest.annotations, "module.wasm.image/variant") == "compat" ||
      annotation(manifest.annotations, "run.oci.handler") == "wasm")
    return "WASM";
  const std::string_view type = manifest.artifact_type;
  if (type == media_type::oci_config || type == amt::docker_config) return "IMAGE";
  if (type == amt::helm_config) return "CHART";
  if (type == amt::wasm_config) return "WASM";
  if (type == amt::harbor_sbom) return "SBOM";
  if (auto derived = type_from_config(type)) return *derived;
  return "UNKNOWN";
}

}  // namespace berth::oci
