#include "image/archive.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "base/unique_fd.h"
#include "image/paths.h"

namespace berth::image {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

using base::Errc;
using base::Error;
using base::make_error;
using base::Result;
using base::Status;
using detail::in_quotes;
using detail::normalise_path;

constexpr std::uint64_t kMaxJsonBytes = std::uint64_t{16} << 20;  // index, manifest, config
constexpr int kMaxIndexDepth = 4;                                 // index -> index -> ... -> manifest
constexpr std::string_view kRefNameAnnotation = "org.opencontainers.image.ref.name";

// ---- Where the files of an image live: a directory, or members of an uncompressed tar -------

class Store {
 public:
  virtual ~Store() = default;
  // A small file's content (index, manifest, config); nullopt when absent.
  virtual Result<std::optional<std::string>> read(const std::string& path, std::uint64_t limit) const = 0;
  // A layer blob; nullopt when absent.
  virtual std::optional<Layer> layer(const std::string& path) const = 0;
  // Where `path` is, for messages.
  virtual std::string where(const std::string& path) const = 0;
};

Result<std::string> read_fd(int fd, std::uint64_t offset, std::uint64_t size, const std::string& what) {
  std::string out(static_cast<std::size_t>(size), '\0');
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error(Errc::io_error, "cannot read " + what + ": " + std::strerror(errno));
    if (n == 0) return make_error(Errc::corrupt, what + " is truncated");
    done += static_cast<std::size_t>(n);
  }
  return out;
}

class DirectoryStore final : public Store {
 public:
  explicit DirectoryStore(fs::path dir) : dir_(std::move(dir)) {}

  Result<std::optional<std::string>> read(const std::string& path, std::uint64_t limit) const override {
    const fs::path file = dir_ / path;
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return std::optional<std::string>();
      return make_error(Errc::io_error, "cannot open " + file.string() + ": " + std::strerror(errno));
    }
    base::UniqueFd owner(fd);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      return make_error(Errc::io_error, "cannot stat " + file.string() + ": " + std::strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) return make_error(Errc::corrupt, file.string() + " is not a regular file");
    const auto size = static_cast<std::uint64_t>(st.st_size);
    if (size > limit) {
      return make_error(Errc::too_large, file.string() + " is larger than " + detail::size_text(limit));
    }
    auto data = read_fd(fd, 0, size, file.string());
    if (!data) return std::move(data).error();
    return std::optional<std::string>(std::move(*data));
  }

  std::optional<Layer> layer(const std::string& path) const override {
    fs::path file = dir_ / path;
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) return std::nullopt;
    return Layer{std::move(file), 0, std::nullopt};
  }

  std::string where(const std::string& path) const override { return (dir_ / path).string(); }

 private:
  fs::path dir_;
};

// ---- Indexing an uncompressed tar ----------------------------------------------------------
//
// The members' data offsets are found by reading the tar headers directly (ustar, pax and GNU
// long names), skipping the data by arithmetic: a multi-gigabyte archive is indexed with a few
// reads per member.

struct Member {
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
};

struct Link {
  bool hard = false;
  std::string target;  // as written in the archive
};

struct TarIndex {
  std::map<std::string, Member, std::less<>> members;  // regular files, by normalised path
  std::map<std::string, Link, std::less<>> links;      // hard and symbolic links
};

constexpr std::size_t kBlock = 512;
constexpr std::uint64_t kMaxMetaSize = std::uint64_t{1} << 20;  // GNU long names, pax headers

std::string_view field(const char* header, std::size_t offset, std::size_t size) {
  std::string_view text(header + offset, size);
  return text.substr(0, text.find('\0'));
}

// An octal number, or GNU base-256 when the high bit of the first byte is set.
std::optional<std::uint64_t> numeric(const char* header, std::size_t offset, std::size_t size) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(header + offset);
  if ((bytes[0] & 0x80) != 0) {
    if ((bytes[0] & 0x40) != 0) return std::nullopt;  // negative
    std::uint64_t value = bytes[0] & 0x3f;
    for (std::size_t i = 1; i < size; ++i) {
      if (value > (std::uint64_t{1} << 55)) return std::nullopt;
      value = (value << 8) | bytes[i];
    }
    return value;
  }
  std::size_t i = 0;
  while (i < size && (bytes[i] == ' ' || bytes[i] == '\0')) ++i;
  std::uint64_t value = 0;
  bool any = false;
  for (; i < size && bytes[i] >= '0' && bytes[i] <= '7'; ++i) {
    if (value > (std::uint64_t{1} << 60)) return std::nullopt;
    value = value * 8 + (bytes[i] - '0');
    any = true;
  }
  for (; i < size; ++i) {
    if (bytes[i] != ' ' && bytes[i] != '\0') return std::nullopt;
  }
  if (!any) return std::uint64_t{0};
  return value;
}

bool checksum_ok(const char* header) {
  const auto stored = numeric(header, 148, 8);
  if (!stored) return false;
  std::uint64_t unsigned_sum = 0;
  std::int64_t signed_sum = 0;
  for (std::size_t i = 0; i < kBlock; ++i) {
    const bool in_field = i >= 148 && i < 156;
    const auto byte = static_cast<unsigned char>(in_field ? ' ' : header[i]);
    unsigned_sum += byte;
    signed_sum += static_cast<signed char>(byte);
  }
  return *stored == unsigned_sum || static_cast<std::int64_t>(*stored) == signed_sum;
}

// pax extended header records: "<length> <key>=<value>\n".
void parse_pax(std::string_view data, std::optional<std::string>& path, std::optional<std::string>& link,
               std::optional<std::uint64_t>& size) {
  while (!data.empty()) {
    const std::size_t space = data.find(' ');
    if (space == std::string_view::npos || space == 0) return;
    std::size_t length = 0;
    for (char c : data.substr(0, space)) {
      if (c < '0' || c > '9' || length > data.size()) return;
      length = length * 10 + static_cast<std::size_t>(c - '0');
    }
    if (length <= space + 1 || length > data.size()) return;
    std::string_view record = data.substr(space + 1, length - space - 1);
    data.remove_prefix(length);
    if (!record.empty() && record.back() == '\n') record.remove_suffix(1);
    const std::size_t equals = record.find('=');
    if (equals == std::string_view::npos) continue;
    const std::string_view key = record.substr(0, equals);
    const std::string_view value = record.substr(equals + 1);
    if (key == "path") {
      path = std::string(value);
    } else if (key == "linkpath") {
      link = std::string(value);
    } else if (key == "size") {
      std::uint64_t n = 0;
      bool valid = !value.empty();
      for (char c : value) {
        if (c < '0' || c > '9' || n > (std::uint64_t{1} << 59)) {
          valid = false;
          break;
        }
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
      }
      if (valid) size = n;
    }
  }
}

Result<TarIndex> index_tar(int fd, std::uint64_t file_size, const std::string& name) {
  TarIndex index;
  std::optional<std::string> long_name, long_link, pax_path, pax_link;
  std::optional<std::uint64_t> pax_size;
  std::array<char, kBlock> header{};
  std::uint64_t pos = 0;
  while (pos + kBlock <= file_size) {
    auto block = read_fd(fd, pos, kBlock, name);
    if (!block) return std::move(block).error();
    std::memcpy(header.data(), block->data(), kBlock);
    const char* h = header.data();
    if (std::all_of(header.begin(), header.end(), [](char c) { return c == '\0'; })) break;  // end marker
    if (!checksum_ok(h)) {
      return make_error(Errc::corrupt,
                        name + (pos == 0 ? " is not a tar archive"
                                         : " has a damaged tar header at offset " + std::to_string(pos)));
    }
    const char type = h[156];
    const auto header_size = numeric(h, 124, 12);
    if (!header_size)
      return make_error(Errc::corrupt, name + " has a bad size field at offset " + std::to_string(pos));
    // Link, symlink, devices, directory and fifo entries carry no data (as Go's archive/tar
    // reads them; Docker and Podman write archives with it).
    const bool header_only =
        type == '1' || type == '2' || type == '3' || type == '4' || type == '5' || type == '6';
    const std::uint64_t size = header_only ? 0 : pax_size.value_or(*header_size);
    const std::uint64_t data = pos + kBlock;
    if (size > file_size - data) return make_error(Errc::corrupt, name + " is truncated");
    const std::uint64_t next = data + (size + kBlock - 1) / kBlock * kBlock;

    if (type == 'L' || type == 'K' || type == 'x') {
      if (size > kMaxMetaSize)
        return make_error(Errc::corrupt, name + " has an oversized tar extension header");
      auto meta = read_fd(fd, data, size, name);
      if (!meta) return std::move(meta).error();
      if (type == 'x') {
        parse_pax(*meta, pax_path, pax_link, pax_size);
      } else {
        std::string text = std::move(*meta);
        text.resize(std::strlen(text.c_str()));
        (type == 'L' ? long_name : long_link) = std::move(text);
      }
      pos = next;
      continue;
    }
    if (type != 'g') {  // global pax headers only hold defaults we do not need
      std::string member_name;
      if (pax_path) {
        member_name = *pax_path;
      } else if (long_name) {
        member_name = *long_name;
      } else {
        const bool posix = field(h, 257, 6) == "ustar";  // "ustar\0": the prefix field is a path prefix
        const std::string_view prefix = posix ? field(h, 345, 155) : std::string_view();
        member_name = prefix.empty() ? std::string(field(h, 0, 100))
                                     : std::string(prefix) + "/" + std::string(field(h, 0, 100));
      }
      const std::string link_name = pax_link    ? *pax_link
                                    : long_link ? *long_link
                                                : std::string(field(h, 157, 100));
      if (auto normal = normalise_path(member_name); normal && !normal->empty()) {
        if (type == '0' || type == '\0' || type == '7') {
          index.members.insert_or_assign(std::move(*normal), Member{data, size});
        } else if (type == '1' || type == '2') {
          index.links.insert_or_assign(std::move(*normal), Link{type == '1', link_name});
        }
      }
    }
    long_name.reset();
    long_link.reset();
    pax_path.reset();
    pax_link.reset();
    pax_size.reset();
    pos = next;
  }
  if (pos == 0 && file_size < kBlock) return make_error(Errc::corrupt, name + " is not a tar archive");
  return index;
}

class TarStore final : public Store {
 public:
  TarStore(fs::path file, base::UniqueFd fd, TarIndex index)
      : file_(std::move(file)), fd_(std::move(fd)), index_(std::move(index)) {}

  Result<std::optional<std::string>> read(const std::string& path, std::uint64_t limit) const override {
    const Member* member = find(path);
    if (member == nullptr) return std::optional<std::string>();
    if (member->size > limit) {
      return make_error(Errc::too_large, where(path) + " is larger than " + detail::size_text(limit));
    }
    auto data = read_fd(fd_.get(), member->offset, member->size, where(path));
    if (!data) return std::move(data).error();
    return std::optional<std::string>(std::move(*data));
  }

  std::optional<Layer> layer(const std::string& path) const override {
    const Member* member = find(path);
    if (member == nullptr) return std::nullopt;
    return Layer{file_, member->offset, member->size};
  }

  std::string where(const std::string& path) const override { return path + " in " + file_.string(); }

 private:
  // A member by path, following hard links and symbolic links between members (docker save
  // stores a layer shared by two images once and links to it).
  const Member* find(std::string path) const {
    for (int hops = 0; hops < 16; ++hops) {
      auto normal = normalise_path(path);
      if (!normal) return nullptr;
      if (auto it = index_.members.find(*normal); it != index_.members.end()) return &it->second;
      auto link = index_.links.find(*normal);
      if (link == index_.links.end()) return nullptr;
      if (link->second.hard || link->second.target.starts_with('/')) {
        path = link->second.target;
      } else {
        const std::size_t slash = normal->rfind('/');
        path =
            (slash == std::string::npos ? std::string() : normal->substr(0, slash + 1)) + link->second.target;
      }
    }
    return nullptr;
  }

  fs::path file_;
  base::UniqueFd fd_;
  TarIndex index_;
};

// ---- JSON ----------------------------------------------------------------------------------

Result<json::value> parse_json(const Store& store, const std::string& path, bool required) {
  auto text = store.read(path, kMaxJsonBytes);
  if (!text) return std::move(text).error();
  if (!*text) {
    if (required) return make_error(Errc::not_found, store.where(path) + " does not exist");
    return json::value();
  }
  boost::system::error_code ec;
  json::value value = json::parse(**text, ec);
  if (ec) return make_error(Errc::corrupt, store.where(path) + " is not valid JSON: " + ec.message());
  return value;
}

std::string string_member(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr || !value->is_string()) return {};
  return std::string(value->get_string());
}

const json::object* object_member(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value != nullptr && value->is_object() ? &value->get_object() : nullptr;
}

const json::array* array_member(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value != nullptr && value->is_array() ? &value->get_array() : nullptr;
}

// "os/architecture[/variant]" from a platform object or an image config; "" when unknown.
std::string platform_of(const json::object& object) {
  const std::string os = string_member(object, "os");
  const std::string architecture = string_member(object, "architecture");
  if (os.empty() || architecture.empty()) return {};
  std::string out = os + "/" + architecture;
  if (const std::string variant = string_member(object, "variant"); !variant.empty()) out += "/" + variant;
  return out;
}

std::string platform_from_config(const Store& store, const std::string& path) {
  auto config = parse_json(store, path, false);
  if (!config || !config->is_object()) return {};  // the platform is optional information
  return platform_of(config->get_object());
}

// "blobs/<algorithm>/<encoded>" for a digest, refusing anything that could leave blobs/.
std::optional<std::string> blob_path(std::string_view digest) {
  const std::size_t colon = digest.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == digest.size()) return std::nullopt;
  const std::string_view algorithm = digest.substr(0, colon);
  const std::string_view encoded = digest.substr(colon + 1);
  const auto lower_alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  const auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  for (char c : algorithm) {
    if (!lower_alnum(c) && c != '+' && c != '.' && c != '_' && c != '-') return std::nullopt;
  }
  if (!lower_alnum(algorithm.front())) return std::nullopt;
  for (char c : encoded) {
    if (!alnum(c) && c != '=' && c != '_' && c != '-') return std::nullopt;
  }
  return "blobs/" + std::string(algorithm) + "/" + std::string(encoded);
}

bool is_index_type(std::string_view type) {
  return type == "application/vnd.oci.image.index.v1+json" ||
         type == "application/vnd.docker.distribution.manifest.list.v2+json";
}

bool is_manifest_type(std::string_view type) {
  return type == "application/vnd.oci.image.manifest.v1+json" ||
         type == "application/vnd.docker.distribution.manifest.v2+json";
}

bool is_image_config_type(std::string_view type) {
  return type.empty() || type == "application/vnd.oci.image.config.v1+json" ||
         type == "application/vnd.docker.container.image.v1+json";
}

// Layer media types holding a filesystem tar (plain, gzip, zstd, non-distributable, Docker).
bool is_tar_layer_type(std::string_view type) {
  return type.empty() ||
         (type.find(".tar") != std::string_view::npos && type.find("encrypted") == std::string_view::npos);
}

// ---- OCI image layout (directory or archive) -----------------------------------------------

class LayoutReader {
 public:
  explicit LayoutReader(const Store& store) : store_(store) {}

  Result<std::vector<LocalImage>> run() {
    auto index = parse_json(store_, "index.json", true);
    if (!index) return std::move(index).error();
    if (auto status = walk_index(*index, "index.json", "", 0); !status) return std::move(status).error();
    return std::move(images_);
  }

 private:
  Status walk_index(const json::value& index, const std::string& where, const std::string& name, int depth) {
    const json::array* manifests =
        index.is_object() ? array_member(index.get_object(), "manifests") : nullptr;
    if (manifests == nullptr)
      return make_error(Errc::corrupt, store_.where(where) + " has no \"manifests\" list");
    for (const json::value& item : *manifests) {
      if (!item.is_object())
        return make_error(Errc::corrupt, store_.where(where) + " has a malformed descriptor");
      const json::object& descriptor = item.get_object();
      std::string image_name = name;
      if (const json::object* annotations = object_member(descriptor, "annotations")) {
        // BuildKit's provenance and SBOM attestations are manifests too, not images.
        if (string_member(*annotations, "vnd.docker.reference.type") == "attestation-manifest") continue;
        if (std::string ref = string_member(*annotations, kRefNameAnnotation); !ref.empty()) image_name = ref;
      }
      const std::string digest = string_member(descriptor, "digest");
      const auto path = blob_path(digest);
      if (!path) {
        return make_error(Errc::corrupt, store_.where(where) + " has an invalid digest " + in_quotes(digest));
      }
      // The same blob under the same name once (a guard against repeated or cyclic indexes).
      if (!visited_.insert(*path + "\n" + image_name).second) continue;
      auto document = parse_json(store_, *path, false);
      if (!document) return std::move(document).error();
      // Manifests not in the layout (other platforms of a multi-platform image, as `docker save`
      // leaves them) are skipped.
      if (document->is_null()) continue;
      if (!document->is_object())
        return make_error(Errc::corrupt, store_.where(*path) + " is not a JSON object");
      const json::object& object = document->get_object();
      std::string type = string_member(descriptor, "mediaType");
      if (type.empty()) type = string_member(object, "mediaType");
      const bool index_like = is_index_type(type) || (type.empty() && object.contains("manifests"));
      const bool manifest_like = is_manifest_type(type) || (type.empty() && object.contains("layers"));
      if (index_like) {
        if (depth + 1 >= kMaxIndexDepth) {
          return make_error(Errc::corrupt, store_.where(*path) + ": image indexes nested too deeply");
        }
        if (auto status = walk_index(*document, *path, image_name, depth + 1); !status) return status;
      } else if (manifest_like) {
        std::string platform;
        if (const json::object* p = object_member(descriptor, "platform")) platform = platform_of(*p);
        if (auto status = add_image(object, *path, image_name, std::move(platform)); !status) return status;
      }
      // Anything else (artifacts, signatures) is not an image.
    }
    return {};
  }

  Status add_image(const json::object& manifest, const std::string& where, std::string name,
                   std::string platform) {
    const json::object* config = object_member(manifest, "config");
    if (config != nullptr && !is_image_config_type(string_member(*config, "mediaType")))
      return {};  // an artifact
    const json::array* layers = array_member(manifest, "layers");
    if (layers == nullptr) return make_error(Errc::corrupt, store_.where(where) + " has no \"layers\" list");
    LocalImage image{std::move(name), std::move(platform), {}};
    for (const json::value& item : *layers) {
      if (!item.is_object()) return make_error(Errc::corrupt, store_.where(where) + " has a malformed layer");
      const json::object& descriptor = item.get_object();
      if (!is_tar_layer_type(string_member(descriptor, "mediaType"))) return {};  // not a filesystem image
      const std::string digest = string_member(descriptor, "digest");
      const auto path = blob_path(digest);
      if (!path)
        return make_error(Errc::corrupt,
                          store_.where(where) + " has an invalid layer digest " + in_quotes(digest));
      auto layer = store_.layer(*path);
      if (!layer) {
        return make_error(Errc::not_found, "layer " + digest + " of " + store_.where(where) +
                                               " is missing (" + store_.where(*path) + ")");
      }
      image.layers.push_back(std::move(*layer));
    }
    if (image.platform.empty() && config != nullptr) {
      if (const auto path = blob_path(string_member(*config, "digest"))) {
        image.platform = platform_from_config(store_, *path);
      }
    }
    images_.push_back(std::move(image));
    return {};
  }

  const Store& store_;
  std::vector<LocalImage> images_;
  std::set<std::string> visited_;
};

// ---- docker-archive (manifest.json) ----------------------------------------------------------

Result<std::vector<LocalImage>> read_docker_manifest(const Store& store, const json::value& manifest) {
  const std::string where = store.where("manifest.json");
  if (!manifest.is_array()) return make_error(Errc::corrupt, where + " is not a JSON array");
  std::vector<LocalImage> images;
  for (const json::value& item : manifest.get_array()) {
    if (!item.is_object()) return make_error(Errc::corrupt, where + " has a malformed entry");
    const json::object& entry = item.get_object();
    LocalImage image;
    if (const json::array* tags = array_member(entry, "RepoTags"); tags != nullptr && !tags->empty()) {
      if (tags->front().is_string()) image.name = std::string(tags->front().get_string());
    }
    const json::array* layers = array_member(entry, "Layers");
    if (layers == nullptr) return make_error(Errc::corrupt, where + " has an entry without \"Layers\"");
    for (const json::value& layer_name : *layers) {
      if (!layer_name.is_string()) return make_error(Errc::corrupt, where + " has a malformed layer name");
      const std::string name(layer_name.get_string());
      auto layer = store.layer(name);
      if (!layer) {
        return make_error(Errc::corrupt,
                          where + " lists layer " + in_quotes(name) + ", which is not in the archive");
      }
      image.layers.push_back(std::move(*layer));
    }
    if (const std::string config = string_member(entry, "Config"); !config.empty()) {
      image.platform = platform_from_config(store, config);
    }
    images.push_back(std::move(image));
  }
  return images;
}

}  // namespace

Result<std::vector<LocalImage>> open_oci_layout(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return make_error(Errc::not_found, dir.string() + " is not a directory");
  if (!fs::exists(dir / "index.json", ec)) {
    return make_error(Errc::invalid_argument, dir.string() + " is not an OCI image layout (no index.json)");
  }
  DirectoryStore store(dir);
  return LayoutReader(store).run();
}

Result<std::vector<LocalImage>> open_image_archive(const fs::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return make_error(err == ENOENT ? Errc::not_found : Errc::io_error,
                      "cannot open " + file.string() + ": " + std::strerror(err));
  }
  base::UniqueFd owner(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    return make_error(Errc::io_error, "cannot stat " + file.string() + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    return make_error(Errc::invalid_argument, file.string() + " is not a regular file");
  const auto size = static_cast<std::uint64_t>(st.st_size);

  // Layers are read in place, so the archive itself must not be compressed.
  std::array<unsigned char, 6> magic{};
  if (size >= magic.size()) {
    auto head = read_fd(fd, 0, magic.size(), file.string());
    if (!head) return std::move(head).error();
    std::memcpy(magic.data(), head->data(), magic.size());
    const char* compression = nullptr;
    if (magic[0] == 0x1f && magic[1] == 0x8b) compression = "gzip";
    if (magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd) compression = "zstd";
    if (magic[0] == 0xfd && magic[1] == '7' && magic[2] == 'z' && magic[3] == 'X' && magic[4] == 'Z')
      compression = "xz";
    if (magic[0] == 'B' && magic[1] == 'Z' && magic[2] == 'h') compression = "bzip2";
    if (compression != nullptr) {
      return make_error(Errc::unsupported, file.string() + " is compressed (" + compression +
                                               "); decompress it first, image archives are read in place");
    }
  }
  auto index = index_tar(fd, size, file.string());
  if (!index) return std::move(index).error();
  TarStore store(file, std::move(owner), std::move(*index));

  // docker save (and podman save --format docker-archive) write manifest.json; Docker 25 and
  // later write index.json too, but manifest.json carries the full tag names.
  auto manifest = parse_json(store, "manifest.json", false);
  if (!manifest) return std::move(manifest).error();
  if (!manifest->is_null()) return read_docker_manifest(store, *manifest);
  if (store.layer("index.json")) return LayoutReader(store).run();
  return make_error(
      Errc::unsupported,
      file.string() + " is neither a docker-archive (manifest.json) nor an OCI archive (index.json)");
}

}  // namespace berth::image
