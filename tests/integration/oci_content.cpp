#include "oci_content.h"

#include <openssl/evp.h>

#include <algorithm>
#include <boost/json.hpp>
#include <random>

namespace berth::integration {
namespace json = boost::json;

const std::string kAcceptAnyManifest = std::string(kOciManifest) + ", " + std::string(kOciIndex) + ", " +
                                       std::string(kDockerManifest) + ", " + std::string(kDockerManifestList);

namespace {

std::mt19937_64& generator() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return engine;
}

json::object descriptor_json(const Descriptor& d) {
  json::object out;
  out["mediaType"] = d.media_type;
  out["digest"] = d.digest;
  out["size"] = d.size;
  if (!d.artifact_type.empty()) out["artifactType"] = d.artifact_type;
  if (!d.platform_os.empty() || !d.platform_architecture.empty()) {
    out["platform"] = json::object{{"architecture", d.platform_architecture}, {"os", d.platform_os}};
  }
  if (!d.annotations.empty()) {
    json::object annotations;
    for (const auto& [key, value] : d.annotations) annotations[key] = value;
    out["annotations"] = std::move(annotations);
  }
  return out;
}

json::object annotations_json(const std::map<std::string, std::string>& annotations) {
  json::object out;
  for (const auto& [key, value] : annotations) out[key] = value;
  return out;
}

}  // namespace

std::string digest_of(std::string_view algorithm, std::string_view data) {
  const EVP_MD* md = algorithm == "sha512" ? EVP_sha512() : EVP_sha256();
  unsigned char hash[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), hash, &length, md, nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(algorithm);
  out += ':';
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[hash[i] >> 4];
    out += kHex[hash[i] & 0xF];
  }
  return out;
}

std::string base64_encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string random_bytes(std::size_t count) {
  std::string out(count, '\0');
  std::uniform_int_distribution<int> byte(0, 255);
  for (char& c : out) c = static_cast<char>(byte(generator()));
  return out;
}

std::string random_hex(std::size_t chars) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::uniform_int_distribution<int> nibble(0, 15);
  std::string out(chars, '0');
  for (char& c : out) c = kHex[nibble(generator())];
  return out;
}

void reseed_random(std::uint64_t seed) {
  generator().seed(seed);
}

Blob make_blob(std::string data, std::string_view algorithm) {
  std::string digest = digest_of(algorithm, data);
  return Blob{std::move(data), std::move(digest)};
}

Blob random_blob(std::size_t size) {
  return make_blob(random_bytes(size));
}

Blob random_config() {
  json::object config{{"architecture", "amd64"},
                      {"os", "linux"},
                      {"author", "berth-integration-" + random_hex(16)},
                      {"rootfs", json::object{{"type", "layers"}, {"diff_ids", json::array{}}}}};
  return make_blob(json::serialize(config));
}

Descriptor describe(const Blob& blob, std::string_view media_type) {
  Descriptor d;
  d.media_type = media_type;
  d.digest = blob.digest;
  d.size = blob.data.size();
  return d;
}

std::string render(const ManifestSpec& spec) {
  json::object out;
  out["schemaVersion"] = 2;
  if (!spec.media_type.empty()) out["mediaType"] = spec.media_type;
  if (!spec.artifact_type.empty()) out["artifactType"] = spec.artifact_type;
  out["config"] = descriptor_json(spec.config);
  json::array layers;
  for (const auto& layer : spec.layers) layers.push_back(descriptor_json(layer));
  out["layers"] = std::move(layers);
  if (spec.subject) out["subject"] = descriptor_json(*spec.subject);
  if (!spec.annotations.empty()) out["annotations"] = annotations_json(spec.annotations);
  return json::serialize(out);
}

std::string render(const IndexSpec& spec) {
  json::object out;
  out["schemaVersion"] = 2;
  if (!spec.media_type.empty()) out["mediaType"] = spec.media_type;
  if (!spec.artifact_type.empty()) out["artifactType"] = spec.artifact_type;
  json::array manifests;
  for (const auto& m : spec.manifests) manifests.push_back(descriptor_json(m));
  out["manifests"] = std::move(manifests);
  if (spec.subject) out["subject"] = descriptor_json(*spec.subject);
  if (!spec.annotations.empty()) out["annotations"] = annotations_json(spec.annotations);
  return json::serialize(out);
}

Descriptor Image::descriptor() const {
  Descriptor d;
  d.media_type = media_type;
  d.digest = digest;
  d.size = manifest.size();
  return d;
}

void set_manifest(Image& image, std::string manifest) {
  image.digest = sha256_digest(manifest);
  image.manifest = std::move(manifest);
}

namespace {

Image make_image_of(std::string_view manifest_type, std::string_view config_type, std::string_view layer_type,
                    std::size_t layer_count, std::size_t layer_size) {
  Image image;
  image.config = random_config();
  image.media_type = manifest_type;
  ManifestSpec spec;
  spec.media_type = manifest_type;
  spec.config = describe(image.config, config_type);
  for (std::size_t i = 0; i < layer_count; ++i) {
    image.layers.push_back(random_blob(layer_size));
    spec.layers.push_back(describe(image.layers.back(), layer_type));
  }
  set_manifest(image, render(spec));
  return image;
}

}  // namespace

Image make_image(std::size_t layer_count, std::size_t layer_size) {
  return make_image_of(kOciManifest, kOciConfig, kOciLayer, layer_count, layer_size);
}

Image make_docker_image(std::size_t layer_count, std::size_t layer_size) {
  return make_image_of(kDockerManifest, kDockerConfig, kDockerLayer, layer_count, layer_size);
}

Image make_layer_image(std::string layer, std::string_view layer_type, std::string_view diff_id) {
  Image image;
  image.layers.push_back(make_blob(std::move(layer)));
  const std::string diff_ids = diff_id.empty() ? "" : "\"" + std::string(diff_id) + "\"";
  image.config = make_blob(R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[)" +
                           diff_ids + "]}}");
  image.media_type = kOciManifest;
  ManifestSpec spec;
  spec.config = describe(image.config, kOciConfig);
  spec.layers = {describe(image.layers[0], layer_type)};
  set_manifest(image, render(spec));
  return image;
}

std::string blob_path(std::string_view repo, std::string_view digest) {
  return "/v2/" + std::string(repo) + "/blobs/" + std::string(digest);
}

std::string manifest_path(std::string_view repo, std::string_view reference) {
  return "/v2/" + std::string(repo) + "/manifests/" + std::string(reference);
}

std::string uploads_path(std::string_view repo) {
  return "/v2/" + std::string(repo) + "/blobs/uploads/";
}

Response start_upload(HttpClient& client, std::string_view repo) {
  return client.post(uploads_path(repo));
}

Response push_blob(HttpClient& client, std::string_view repo, const Blob& blob) {
  Response started = start_upload(client, repo);
  if (started.status != 202 || started.header("Location").empty()) return started;
  return client.put(with_query(started.header("Location"), "digest", blob.digest), blob.data,
                    {{"Content-Type", "application/octet-stream"}});
}

Response post_blob(HttpClient& client, std::string_view repo, const Blob& blob) {
  return client.post(with_query(uploads_path(repo), "digest", blob.digest), blob.data,
                     {{"Content-Type", "application/octet-stream"}});
}

Response mount_blob(HttpClient& client, std::string_view repo, std::string_view digest,
                    std::string_view from) {
  std::string url = with_query(uploads_path(repo), "mount", digest);
  if (!from.empty()) url = with_query(url, "from", from);
  return client.post(url);
}

Response push_blob_chunked(HttpClient& client, std::string_view repo, const Blob& blob,
                           std::size_t chunk_size) {
  Response last = start_upload(client, repo);
  if (last.status != 202 || last.header("Location").empty()) return last;
  if (auto minimum = last.header("OCI-Chunk-Min-Length"); !minimum.empty()) {
    chunk_size = std::max<std::size_t>(chunk_size, std::stoull(minimum));
  }
  std::string location = last.header("Location");
  for (std::size_t offset = 0; offset < blob.data.size(); offset += chunk_size) {
    std::string chunk = blob.data.substr(offset, chunk_size);
    std::string range = std::to_string(offset) + "-" + std::to_string(offset + chunk.size() - 1);
    last = client.patch(location, chunk,
                        {{"Content-Type", "application/octet-stream"}, {"Content-Range", range}});
    if (last.status != 202 || last.header("Location").empty()) return last;
    location = last.header("Location");
  }
  return client.put(with_query(location, "digest", blob.digest), "",
                    {{"Content-Type", "application/octet-stream"}});
}

Response push_manifest(HttpClient& client, std::string_view repo, std::string_view reference,
                       std::string_view manifest, std::string_view media_type) {
  return client.put(manifest_path(repo, reference), std::string(manifest),
                    {{"Content-Type", std::string(media_type)}});
}

bool push_image(HttpClient& client, std::string_view repo, std::string_view reference, const Image& image) {
  bool ok = true;
  std::vector<const Blob*> blobs{&image.config};
  for (const auto& layer : image.layers) blobs.push_back(&layer);
  for (const Blob* blob : blobs) {
    Response r = push_blob(client, repo, *blob);
    EXPECT_EQ(r.status, 201) << "pushing blob " << blob->digest << " to " << repo << ": " << r;
    ok = ok && r.status == 201;
  }
  Response r = push_manifest(client, repo, reference, image.manifest, image.media_type);
  EXPECT_EQ(r.status, 201) << "pushing manifest " << repo << ":" << reference << ": " << r;
  return ok && r.status == 201;
}

std::optional<json::value> parse_json(std::string_view text) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec) return std::nullopt;
  return value;
}

std::optional<std::vector<std::string>> error_codes(const Response& response) {
  auto value = parse_json(response.body);
  if (!value || !value->is_object()) return std::nullopt;
  const json::value* errors = value->as_object().if_contains("errors");
  if (errors == nullptr || !errors->is_array()) return std::nullopt;
  std::vector<std::string> codes;
  for (const json::value& entry : errors->as_array()) {
    if (!entry.is_object()) return std::nullopt;
    const json::value* code = entry.as_object().if_contains("code");
    if (code == nullptr || !code->is_string()) return std::nullopt;
    codes.emplace_back(code->as_string());
  }
  return codes;
}

::testing::AssertionResult IsOciError(const Response& response, long status,
                                      std::initializer_list<std::string_view> codes) {
  if (response.status != status) {
    return ::testing::AssertionFailure() << "want HTTP " << status << ", got " << response;
  }
  auto found = error_codes(response);
  if (!found) {
    return ::testing::AssertionFailure() << "body is not {\"errors\":[{\"code\":...}]}: " << response;
  }
  if (found->empty()) return ::testing::AssertionFailure() << "empty \"errors\" array: " << response;
  for (const std::string& code : *found) {
    bool shaped = !code.empty() && std::all_of(code.begin(), code.end(),
                                               [](char c) { return (c >= 'A' && c <= 'Z') || c == '_'; });
    if (!shaped)
      return ::testing::AssertionFailure() << "code \"" << code << "\" is not [A-Z_]+: " << response;
  }
  if (codes.size() == 0) return ::testing::AssertionSuccess();
  for (const std::string& code : *found) {
    if (std::find(codes.begin(), codes.end(), code) != codes.end()) return ::testing::AssertionSuccess();
  }
  auto failure = ::testing::AssertionFailure() << "want one of the codes {";
  for (std::string_view code : codes) failure << " " << code;
  return failure << " }, got " << response;
}

std::optional<std::vector<std::string>> tag_list(const Response& response) {
  auto value = parse_json(response.body);
  if (!value || !value->is_object()) return std::nullopt;
  const json::value* name = value->as_object().if_contains("name");
  const json::value* tags = value->as_object().if_contains("tags");
  if (name == nullptr || !name->is_string() || tags == nullptr) return std::nullopt;
  std::vector<std::string> out;
  if (tags->is_null()) return out;  // some registries answer "tags": null for none
  if (!tags->is_array()) return std::nullopt;
  for (const json::value& tag : tags->as_array()) {
    if (!tag.is_string()) return std::nullopt;
    out.emplace_back(tag.as_string());
  }
  return out;
}

std::optional<std::vector<json::object>> index_manifests(const Response& response) {
  auto value = parse_json(response.body);
  if (!value || !value->is_object()) return std::nullopt;
  const json::value* manifests = value->as_object().if_contains("manifests");
  if (manifests == nullptr || !manifests->is_array()) return std::nullopt;
  std::vector<json::object> out;
  for (const json::value& m : manifests->as_array()) {
    if (!m.is_object()) return std::nullopt;
    out.push_back(m.as_object());
  }
  return out;
}

std::string next_link(const Response& response) {
  for (const auto& [key, value] : response.headers) {
    if (key.size() != 4 || (key[0] != 'L' && key[0] != 'l')) continue;
    std::string lowered = key;
    std::transform(lowered.begin(), lowered.end(), lowered.begin(), ::tolower);
    if (lowered != "link") continue;
    auto open = value.find('<');
    auto close = value.find('>', open);
    if (open == std::string::npos || close == std::string::npos) continue;
    std::string params = value.substr(close + 1);
    if (params.find("rel=\"next\"") == std::string::npos && params.find("rel=next") == std::string::npos)
      continue;
    return value.substr(open + 1, close - open - 1);
  }
  return {};
}

}  // namespace berth::integration
