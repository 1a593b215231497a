#include "artifact/inspector.h"

#include <unistd.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <map>

#include "base/yaml.h"
#include "image/layers.h"
#include "oci/artifact.h"
#include "oci/media_types.h"

namespace berth::artifact {
namespace {

namespace json = boost::json;
namespace mt = oci::media_type;
namespace amt = oci::artifact_media_type;
using base::Errc;

constexpr std::string_view kSkipList = "io.goharbor.artifact.v1alpha1.skip-list";
constexpr std::string_view kIconAnnotation = "io.goharbor.artifact.v1alpha1.icon";

// The additions by Harbor's names.
constexpr std::string_view kBuildHistory = "build_history";
constexpr std::string_view kValues = "values.yaml";
constexpr std::string_view kReadme = "readme.md";
constexpr std::string_view kDependencies = "dependencies";

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool is_image_config(std::string_view media_type) {
  return media_type == mt::oci_config || media_type == amt::docker_config || media_type == amt::wasm_config;
}

base::Result<json::object> parse_object(const std::string& text, std::string_view what) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec || !value.is_object())
    return base::make_error(Errc::corrupt, std::string(what) + " is not a JSON object");
  return std::move(value.get_object());
}

// Harbor's image attributes: created, architecture, os, author (else the authors or
// maintainer label) and the runtime part of config.
json::object image_attributes(const json::object& config) {
  json::object out;
  for (const char* key : {"created", "architecture", "os"})
    if (const auto* v = config.if_contains(key)) out[key] = *v;
  json::object runtime;
  std::string author;
  if (const auto* a = config.if_contains("author"); a != nullptr && a->is_string()) author = a->as_string();
  if (const auto* c = config.if_contains("config"); c != nullptr && c->is_object()) {
    for (const char* key : {"User", "ExposedPorts", "Env", "Entrypoint", "Cmd", "Volumes", "WorkingDir",
                            "Labels", "StopSignal", "ArgsEscaped"})
      if (const auto* v = c->as_object().if_contains(key); v != nullptr && !v->is_null()) runtime[key] = *v;
    if (const auto* labels = c->as_object().if_contains("Labels");
        author.empty() && labels && labels->is_object()) {
      for (const char* label : {"org.opencontainers.image.authors", "maintainer"}) {
        const auto* v = labels->as_object().if_contains(label);
        if (v != nullptr && v->is_string() && !v->as_string().empty()) {
          author = v->as_string();
          break;
        }
      }
    }
  }
  out["config"] = std::move(runtime);
  out["author"] = author;
  return out;
}

const oci::Descriptor* chart_layer(const oci::Manifest& manifest) {
  for (const auto& layer : manifest.layers)
    if (layer.media_type == amt::helm_chart || layer.media_type == amt::helm_chart_legacy) return &layer;
  return nullptr;
}

// The image format of icon bytes, by their signature.
std::optional<std::string> icon_type(std::string_view bytes) {
  if (bytes.starts_with("\x89PNG\r\n\x1a\n")) return "image/png";
  if (bytes.starts_with("\xff\xd8\xff")) return "image/jpeg";
  if (bytes.starts_with("GIF87a") || bytes.starts_with("GIF89a")) return "image/gif";
  return std::nullopt;
}

}  // namespace

Inspector::Inspector(registry::Registry& registry, Options options)
    : registry_(registry), options_(options), cache_(std::max<std::size_t>(1, options.cache_entries)) {}

base::Result<std::string> Inspector::read_blob(const std::string& repository, const oci::Descriptor& blob,
                                               std::uint64_t limit) {
  if (blob.size < 0 || static_cast<std::uint64_t>(blob.size) > limit)
    return base::make_error(
        Errc::too_large, "blob " + blob.digest.str() + " is larger than " + std::to_string(limit) + " bytes");
  auto reader = registry_.open_blob(repository, blob.digest);
  if (!reader) return base::make_error(Errc::not_found, reader.error().message);
  if (reader->size > limit)
    return base::make_error(
        Errc::too_large, "blob " + blob.digest.str() + " is larger than " + std::to_string(limit) + " bytes");
  std::string out(static_cast<std::size_t>(reader->size), '\0');
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n =
        ::pread(reader->fd.get(), out.data() + done, out.size() - done, static_cast<off_t>(done));
    if (n < 0) return base::make_error(Errc::io_error, "reading blob " + blob.digest.str() + " failed");
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  out.resize(done);
  return out;
}

base::Result<std::shared_ptr<const Details>> Inspector::details(const std::string& repository,
                                                                const meta::ManifestRecord& record) {
  if (auto hit = cache_.get(record.digest)) return *hit;
  auto derived = derive(repository, record);
  if (derived) cache_.put(record.digest, *derived, 1);
  return derived;
}

base::Result<std::shared_ptr<const Details>> Inspector::derive(const std::string& repository,
                                                               const meta::ManifestRecord& record) {
  auto content = registry_.get_manifest(repository, record.digest);
  if (!content || !content->body)
    return base::make_error(Errc::not_found, "manifest " + record.digest + " not found");
  auto parsed = oci::parse_manifest(*content->body, content->media_type);
  if (!parsed) return base::make_error(Errc::corrupt, parsed.error().message);
  auto manifest = std::make_shared<const oci::Manifest>(std::move(parsed).value());

  auto details = std::make_shared<Details>();
  details->manifest = manifest;
  details->type = oci::artifact_kind(*manifest, record.accessory_type);
  details->manifest_media_type = manifest->media_type;
  json::object attributes;
  if (manifest->is_index()) {
    details->media_type = manifest->media_type;
    if (auto it = manifest->annotations.find("org.opencontainers.artifactType");
        it != manifest->annotations.end())
      details->media_type = it->second;
    details->artifact_type = manifest->artifact_type;
    for (const auto& child : manifest->manifests) {
      json::object annotations;
      for (const auto& [key, value] : child.annotations) annotations[key] = value;
      details->children.push_back(Child{child.digest.str(), child.platform, json::serialize(annotations)});
    }
  } else if (manifest->config) {
    const oci::Descriptor& config = *manifest->config;
    details->media_type = config.media_type;
    details->artifact_type = manifest->artifact_type;
    const bool image = is_image_config(config.media_type) && details->type != "SIGNATURE";
    const bool chart = config.media_type == amt::helm_config;
    const bool other = !image && !chart && details->type != "UNKNOWN" && details->type != "SIGNATURE" &&
                       details->type != "SBOM";
    if ((image || chart || other) && config.size > 0) {
      auto text = read_blob(repository, config, options_.max_config_bytes);
      if (!text) return std::move(text).error();
      auto object = parse_object(*text, "the artifact's config");
      if (!object) return std::move(object).error();
      if (image) {
        attributes = image_attributes(*object);
        details->additions.emplace_back(kBuildHistory);
      } else if (chart) {
        attributes = std::move(*object);
      } else {
        attributes = std::move(*object);
        if (auto skip = config.annotations.find(std::string(kSkipList)); skip != config.annotations.end()) {
          std::string_view list = skip->second;
          while (!list.empty()) {
            const auto comma = list.find(',');
            attributes.erase(list.substr(0, comma));
            list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
          }
        }
      }
    }
    if (chart) {
      details->additions = {std::string(kValues), std::string(kReadme), std::string(kDependencies)};
    }
    for (const auto& layer : manifest->layers) {
      if (layer.annotations.contains(std::string(kIconAnnotation))) {
        details->icon = layer.digest.str();
        break;
      }
    }
  } else {
    // Docker schema 1 is refused at push; a manifest without config has no attributes.
    details->media_type = manifest->media_type;
  }
  details->extra_attrs_json = json::serialize(attributes);
  return std::shared_ptr<const Details>(std::move(details));
}

base::Result<Addition> Inspector::addition(const std::string& repository, const meta::ManifestRecord& record,
                                           std::string_view name) {
  auto found = details(repository, record);
  if (!found) return std::move(found).error();
  const Details& d = **found;
  if (std::find(d.additions.begin(), d.additions.end(), name) == d.additions.end())
    return base::make_error(Errc::invalid_argument,
                            "addition " + std::string(name) + " isn't supported for " + d.type);
  const oci::Manifest& manifest = *d.manifest;

  if (name == kBuildHistory) {
    auto text = read_blob(repository, *manifest.config, options_.max_config_bytes);
    if (!text) return std::move(text).error();
    auto config = parse_object(*text, "the image config");
    if (!config) return std::move(config).error();
    json::value history = nullptr;
    if (const auto* h = config->if_contains("history"); h != nullptr && h->is_array()) history = *h;
    return Addition{"application/json; charset=utf-8", json::serialize(history)};
  }

  // A chart addition: a file of the chart's top folder, read from its layer.
  const oci::Descriptor* layer = chart_layer(manifest);
  if (layer == nullptr) return base::make_error(Errc::not_found, "the chart has no chart layer");
  if (layer->size < 0 || static_cast<std::uint64_t>(layer->size) > options_.max_chart_bytes)
    return base::make_error(Errc::too_large, "the chart layer is larger than " +
                                                 std::to_string(options_.max_chart_bytes) + " bytes");
  auto reader = registry_.open_blob(repository, layer->digest);
  if (!reader) return base::make_error(Errc::not_found, reader.error().message);
  const std::map<std::string, std::string> wanted{{"CHART.YAML", "Chart.yaml"},
                                                  {"VALUES.YAML", "values.yaml"},
                                                  {"README.MD", "README.md"},
                                                  {"REQUIREMENTS.YAML", "requirements.yaml"}};
  // Files of the chart's folder, one level down ("<chart>/values.yaml"), by upper-case name.
  auto chart_file = [&](const std::string& path) -> std::optional<std::string> {
    const auto slash = path.find('/');
    if (slash == std::string::npos || slash == 0 || path.find('/', slash + 1) != std::string::npos) return {};
    std::string key = upper(std::string_view(path).substr(slash + 1));
    if (!wanted.contains(key)) return {};
    return key;
  };
  image::Selector selector;
  selector.wants = [&](const image::Entry& entry) { return chart_file(entry.path).has_value(); };
  selector.keep = [&](const image::Entry&, image::Content& file) -> base::Result<std::optional<std::string>> {
    auto text = file.read_all(options_.max_chart_file_bytes);
    if (!text) return std::move(text).error();
    return std::optional<std::string>(std::move(*text));
  };
  image::Limits limits;
  limits.max_expanded_bytes = options_.max_chart_expanded_bytes;
  limits.max_entries = 10000;
  limits.max_kept_bytes = 4 * options_.max_chart_file_bytes;
  image::Layer source;
  source.fd = reader->fd.get();
  auto snapshot = image::read_layers(std::span<const image::Layer>(&source, 1), selector, limits);
  if (!snapshot) return std::move(snapshot).error();
  std::map<std::string, std::string> files;  // by upper-case name
  for (auto& [path, kept] : *snapshot)
    if (auto key = chart_file(path)) files[*key] = std::move(kept.data);

  if (name == kValues || name == kReadme) {
    auto it = files.find(name == kValues ? "VALUES.YAML" : "README.MD");
    if (it == files.end())
      return base::make_error(
          Errc::not_found, "the chart has no " + std::string(name == kValues ? "values.yaml" : "README.md"));
    return Addition{name == kValues ? "text/plain; charset=utf-8" : "text/markdown; charset=utf-8",
                    std::move(it->second)};
  }
  // Dependencies: Chart.yaml's (apiVersion v2), else requirements.yaml's (v1).
  json::value dependencies = json::array{};
  for (const char* file : {"CHART.YAML", "REQUIREMENTS.YAML"}) {
    auto it = files.find(file);
    if (it == files.end()) continue;
    auto document = base::parse_yaml(it->second, base::YamlScalars::typed);
    if (!document)
      return base::make_error(Errc::corrupt, std::string(wanted.at(file)) + ": " + document.error().message);
    if (!document->is_object()) continue;
    const auto* listed = document->as_object().if_contains("dependencies");
    if (listed != nullptr && listed->is_array() && !listed->as_array().empty()) {
      dependencies = *listed;
      break;
    }
  }
  return Addition{"application/json; charset=utf-8", json::serialize(dependencies)};
}

base::Result<Addition> Inspector::icon(const std::string& repository, std::string_view digest_text) {
  auto digest = oci::Digest::parse(digest_text);
  if (!digest)
    return base::make_error(Errc::not_found, "the icon " + std::string(digest_text) + " not found");
  oci::Descriptor blob;
  blob.digest = *digest;
  auto info = registry_.stat_blob(repository, digest_text);
  if (!info) return base::make_error(Errc::not_found, "the icon " + std::string(digest_text) + " not found");
  blob.size = static_cast<std::int64_t>(info->size);
  auto bytes = read_blob(repository, blob, options_.max_icon_bytes);
  if (!bytes) return std::move(bytes).error();
  auto type = icon_type(*bytes);
  if (!type) return base::make_error(Errc::invalid_argument, "unsupported content type of the icon");
  return Addition{*type, std::move(*bytes)};
}

}  // namespace berth::artifact
