#include "oci/manifest.h"

#include <boost/json.hpp>
#include <cstdint>
#include <exception>
#include <new>

#include "oci/media_types.h"

namespace berth::oci {
namespace {

namespace json = boost::json;

using Status = base::Result<void, Error>;

constexpr std::string_view kSchema1Message =
    "Docker schema 1 manifests are not supported; push the image as Docker schema 2 or OCI";

Error invalid(std::string message) {
  return make_error(ErrorCode::manifest_invalid, std::move(message));
}

Error schema1_refused() {
  return invalid(std::string(kSchema1Message));
}

// Client-supplied text echoed into an error message, bounded so that a hostile body cannot
// make the error response large.
std::string quoted(std::string_view text) {
  constexpr std::size_t kMaxQuoted = 100;
  std::string out = "\"";
  out += text.substr(0, kMaxQuoted);
  if (text.size() > kMaxQuoted) out += "...";
  out += '"';
  return out;
}

std::string field_path(std::string_view parent, std::string_view key) {
  std::string out(parent);
  if (!out.empty()) out += '.';
  out += key;
  return out;
}

std::string element_path(std::string_view array, std::size_t index) {
  return std::string(array) + "[" + std::to_string(index) + "]";
}

bool is_schema1(std::string_view type) {
  return type == media_type::docker_schema1 || type == media_type::docker_schema1_signed;
}

// The media type of a Content-Type value: parameters after ';' and surrounding blanks dropped,
// lower-cased because type and subtype are case-insensitive in HTTP.
std::string content_type_media_type(std::string_view content_type) {
  content_type = content_type.substr(0, content_type.find(';'));
  const auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!content_type.empty() && blank(content_type.front())) content_type.remove_prefix(1);
  while (!content_type.empty() && blank(content_type.back())) content_type.remove_suffix(1);
  std::string out(content_type);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// A Content-Type that says nothing about which manifest this is; the body decides.
bool is_generic_content_type(std::string_view type) {
  return type.empty() || type == "application/json";
}

// Optional members may also be given as null, as the Go implementations accept.
const json::value* member(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value != nullptr && !value->is_null() ? value : nullptr;
}

Status read_string(const json::object& object, std::string_view key, std::string_view parent,
                   std::string& out) {
  const json::value* value = member(object, key);
  if (value == nullptr) return {};
  const json::string* text = value->if_string();
  if (text == nullptr) return invalid(field_path(parent, key) + " must be a string");
  out.assign(text->data(), text->size());
  return {};
}

Status read_annotations(const json::object& object, std::string_view parent,
                        std::map<std::string, std::string>& out) {
  const json::value* value = member(object, "annotations");
  if (value == nullptr) return {};
  const json::object* annotations = value->if_object();
  if (annotations == nullptr) return invalid(field_path(parent, "annotations") + " must be an object");
  for (const auto& entry : *annotations) {
    const json::string* text = entry.value().if_string();
    if (text == nullptr) {
      return invalid(field_path(parent, "annotations") + " value of " + quoted(entry.key()) +
                     " must be a string");
    }
    out.insert_or_assign(std::string(entry.key()), std::string(text->data(), text->size()));
  }
  return {};
}

Status read_size(const json::object& object, const std::string& path, std::int64_t& out) {
  const json::value* value = member(object, "size");
  if (value == nullptr) return invalid(path + ".size is required");
  // Boost.JSON stores every integer that fits in int64 as int64; uint64 means it is too large.
  const std::int64_t* size = value->if_int64();
  if (size == nullptr || *size < 0) return invalid(path + ".size must be a non-negative integer");
  out = *size;
  return {};
}

Status read_digest(const json::object& object, const std::string& path, Digest& out) {
  const json::value* value = member(object, "digest");
  if (value == nullptr) return invalid(path + ".digest is required");
  const json::string* text = value->if_string();
  if (text == nullptr) return invalid(path + ".digest must be a string");
  auto digest = Digest::parse(std::string_view(text->data(), text->size()));
  if (!digest) {
    const bool unsupported = digest.error().code == base::Errc::unsupported;
    return make_error(unsupported ? ErrorCode::unsupported : ErrorCode::digest_invalid,
                      path + ".digest: " + digest.error().message);
  }
  out = std::move(digest).value();
  return {};
}

Status read_platform(const json::object& object, const std::string& path, std::optional<Platform>& out) {
  const json::value* value = member(object, "platform");
  if (value == nullptr) return {};
  const json::object* fields = value->if_object();
  const std::string platform_path = field_path(path, "platform");
  if (fields == nullptr) return invalid(platform_path + " must be an object");
  Platform platform;
  if (auto s = read_string(*fields, "architecture", platform_path, platform.architecture); !s) return s;
  if (auto s = read_string(*fields, "os", platform_path, platform.os); !s) return s;
  if (auto s = read_string(*fields, "variant", platform_path, platform.variant); !s) return s;
  out = std::move(platform);
  return {};
}

base::Result<Descriptor, Error> read_descriptor(const json::value& value, const std::string& path) {
  const json::object* object = value.if_object();
  if (object == nullptr) return invalid(path + " must be a descriptor object");
  Descriptor descriptor;
  if (auto s = read_string(*object, "mediaType", path, descriptor.media_type); !s)
    return std::move(s).error();
  if (descriptor.media_type.empty()) return invalid(path + ".mediaType is required");
  if (auto s = read_digest(*object, path, descriptor.digest); !s) return std::move(s).error();
  if (auto s = read_size(*object, path, descriptor.size); !s) return std::move(s).error();
  if (auto s = read_string(*object, "artifactType", path, descriptor.artifact_type); !s) {
    return std::move(s).error();
  }
  if (auto s = read_annotations(*object, path, descriptor.annotations); !s) return std::move(s).error();
  if (auto s = read_platform(*object, path, descriptor.platform); !s) return std::move(s).error();
  return descriptor;
}

Status read_optional_descriptor(const json::object& object, std::string_view key,
                                std::optional<Descriptor>& out) {
  const json::value* value = member(object, key);
  if (value == nullptr) return {};
  auto descriptor = read_descriptor(*value, std::string(key));
  if (!descriptor) return std::move(descriptor).error();
  out = std::move(descriptor).value();
  return {};
}

Status read_descriptor_array(const json::object& object, std::string_view key, std::vector<Descriptor>& out) {
  const json::value* value = member(object, key);
  if (value == nullptr) return {};
  const json::array* items = value->if_array();
  if (items == nullptr) return invalid(std::string(key) + " must be an array");
  out.reserve(items->size());
  for (std::size_t i = 0; i < items->size(); ++i) {
    auto descriptor = read_descriptor((*items)[i], element_path(key, i));
    if (!descriptor) return std::move(descriptor).error();
    out.push_back(std::move(descriptor).value());
  }
  return {};
}

// The type named by the body or the Content-Type (`declared`, already reduced to its media
// type), or guessed from the body's shape when neither names one.
base::Result<std::string, Error> effective_media_type(const json::object& root, std::string_view declared) {
  std::string body_type;
  if (auto s = read_string(root, "mediaType", "", body_type); !s) return std::move(s).error();
  if (is_schema1(body_type)) return schema1_refused();

  const bool generic = is_generic_content_type(declared);
  if (!generic && !body_type.empty() && body_type != declared) {
    return invalid("mediaType " + quoted(body_type) + " in the manifest does not match Content-Type " +
                   quoted(declared));
  }
  if (!body_type.empty()) return body_type;
  if (!generic) return std::string(declared);
  if (member(root, "manifests") != nullptr) return std::string(media_type::oci_index);
  if (member(root, "config") != nullptr) return std::string(media_type::oci_manifest);
  return invalid("manifest has no mediaType and its shape is neither an image manifest nor an index");
}

// An index must not look like an image manifest or the reverse: a body that is both could
// be read differently by different clients (CVE-2021-41190).
Status read_index(const json::object& root, Manifest& manifest) {
  if (root.contains("config") || root.contains("layers")) {
    return invalid("an index must not have \"config\" or \"layers\"");
  }
  if (member(root, "manifests") == nullptr) return invalid("manifests is required in an index");
  if (auto s = read_descriptor_array(root, "manifests", manifest.manifests); !s) return s;
  for (std::size_t i = 0; i < manifest.manifests.size(); ++i) {
    const std::string& child_type = manifest.manifests[i].media_type;
    if (!media_type::is_manifest(child_type)) {
      return invalid(element_path("manifests", i) + ".mediaType " + quoted(child_type) +
                     " is not a manifest type");
    }
  }
  return {};
}

Status read_image_manifest(const json::object& root, Manifest& manifest) {
  if (root.contains("manifests")) return invalid("an image manifest must not have \"manifests\"");
  if (member(root, "config") == nullptr) return invalid("config is required in an image manifest");
  if (auto s = read_optional_descriptor(root, "config", manifest.config); !s) return s;
  // "layers" may be empty (artifacts); a missing array is read as empty, as distribution does.
  return read_descriptor_array(root, "layers", manifest.layers);
}

base::Result<Manifest, Error> read_manifest(const json::value& document, std::string_view declared) {
  const json::object* root = document.if_object();
  if (root == nullptr) return invalid("manifest must be a JSON object");

  if (const json::value* version = root->if_contains("schemaVersion")) {
    const std::int64_t* number = version->if_int64();
    if (number != nullptr && *number == 1) return schema1_refused();
    if (number == nullptr || *number != 2) return invalid("schemaVersion must be 2");
  }

  auto type = effective_media_type(*root, declared);
  if (!type) return std::move(type).error();
  Manifest manifest;
  manifest.media_type = std::move(type).value();
  if (!media_type::is_manifest(manifest.media_type)) {
    return invalid("media type " + quoted(manifest.media_type) + " is not a manifest type");
  }

  Status body = manifest.is_index() ? read_index(*root, manifest) : read_image_manifest(*root, manifest);
  if (!body) return std::move(body).error();

  if (auto s = read_optional_descriptor(*root, "subject", manifest.subject); !s) return std::move(s).error();
  if (auto s = read_string(*root, "artifactType", "", manifest.artifact_type); !s) {
    return std::move(s).error();
  }
  if (auto s = read_annotations(*root, "", manifest.annotations); !s) return std::move(s).error();
  // The referrers API reports an image manifest without artifactType by its config type.
  if (manifest.artifact_type.empty() && manifest.config) manifest.artifact_type = manifest.config->media_type;
  return manifest;
}

}  // namespace

bool Manifest::is_index() const {
  return media_type::is_index(media_type);
}

std::vector<Descriptor> Manifest::blob_references() const {
  std::vector<Descriptor> blobs;
  if (is_index()) return blobs;
  blobs.reserve(layers.size() + 1);
  if (config) blobs.push_back(*config);
  blobs.insert(blobs.end(), layers.begin(), layers.end());
  return blobs;
}

base::Result<Manifest, Error> parse_manifest(std::string_view body, std::string_view content_type) {
  if (body.size() > kMaxManifestSize) {
    return invalid("manifest is larger than the limit of " + std::to_string(kMaxManifestSize) + " bytes");
  }
  // Refused before parsing: a signed schema 1 body is JSON too, but the answer must name it.
  const std::string declared = content_type_media_type(content_type);
  if (is_schema1(declared)) return schema1_refused();

  try {
    // The parsed tree lives only while the Manifest is built, so an arena serves it best.
    json::monotonic_resource arena;
    json::error_code ec;
    json::value document = json::parse(body, ec, &arena);
    if (ec) return invalid("manifest is not valid JSON: " + ec.message());
    return read_manifest(document, declared);
  } catch (const std::bad_alloc&) {
    return make_error(ErrorCode::internal, "out of memory while parsing a manifest");
  } catch (const std::exception& e) {
    return invalid(std::string("manifest could not be parsed: ") + e.what());
  }
}

std::string descriptor_json(const Descriptor& descriptor) {
  json::object object;
  object["mediaType"] = descriptor.media_type;
  object["digest"] = descriptor.digest.str();
  object["size"] = descriptor.size;
  if (!descriptor.artifact_type.empty()) object["artifactType"] = descriptor.artifact_type;
  if (!descriptor.annotations.empty()) {
    json::object annotations;
    for (const auto& [key, value] : descriptor.annotations) annotations[key] = value;
    object["annotations"] = std::move(annotations);
  }
  return json::serialize(object);
}

}  // namespace berth::oci
