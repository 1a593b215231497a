#include "scan/remote.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "oci/digest.h"
#include "oci/media_types.h"
#include "oci/names.h"
#include "remote/registry_client.h"

namespace berth::scan {
namespace {

namespace fs = std::filesystem;

bool is_layer_type(std::string_view type) {
  return type.starts_with("application/vnd.oci.image.layer.") ||
         type.starts_with("application/vnd.docker.image.rootfs.");
}

// Layers a registry need not hold (Windows base layers, pulled from elsewhere): skipped.
bool is_foreign_layer(std::string_view type) {
  return type.find("nondistributable") != std::string_view::npos ||
         type.find(".foreign.") != std::string_view::npos;
}

bool is_image_config(std::string_view type) {
  return type == oci::media_type::oci_config || type == "application/vnd.docker.container.image.v1+json";
}

base::Result<base::UniqueFd> temp_file(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0) return base::UniqueFd(fd);
  if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
    return base::make_error(base::Errc::io_error, "cannot create a temporary file in " + dir.string() + ": " +
                                                      std::strerror(errno));
  }
  // A file system without O_TMPFILE: a named file, unlinked at once.
  std::string pattern = (dir / "berth-layer-XXXXXX").string();
  fd = ::mkostemp(pattern.data(), O_CLOEXEC);
  if (fd < 0) {
    return base::make_error(base::Errc::io_error, "cannot create a temporary file in " + dir.string() + ": " +
                                                      std::strerror(errno));
  }
  ::unlink(pattern.c_str());
  return base::UniqueFd(fd);
}

bool write_all(int fd, const char* data, std::size_t size, int& error) {
  while (size > 0) {
    const ssize_t w = ::write(fd, data, size);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      error = w < 0 ? errno : EIO;
      return false;
    }
    data += w;
    size -= static_cast<std::size_t>(w);
  }
  return true;
}

struct FetchedManifest {
  oci::Manifest manifest;
  std::string digest;
};

base::Result<FetchedManifest> fetch_manifest(remote::RegistryClient& client, const std::string& repository,
                                             const std::string& reference) {
  auto fetched = client.get_manifest(repository, reference);
  if (!fetched) return std::move(fetched).error();
  auto manifest = oci::parse_manifest(fetched->bytes, fetched->media_type);
  if (!manifest) {
    const std::string what =
        "manifest " + repository + (oci::looks_like_digest(reference) ? "@" : ":") + reference;
    return base::make_error(base::Errc::unsupported, what + ": " + manifest.error().message);
  }
  return FetchedManifest{std::move(*manifest), std::move(fetched->digest)};
}

base::Status fetch_blob(remote::RegistryClient& client, const std::string& repository,
                        const oci::Descriptor& layer, const fs::path& temp_dir, PulledImage& out) {
  auto file = temp_file(temp_dir);
  if (!file) return file.error();
  const std::string what = "layer " + layer.digest.str();
  const auto limit = static_cast<std::uint64_t>(layer.size);
  oci::Hasher hasher(layer.digest.algorithm());
  std::uint64_t written = 0;
  bool too_large = false;
  int write_errno = 0;
  const int fd = file->get();
  auto sink = [&](std::string_view data) {
    if (written + data.size() > limit) {
      too_large = true;
      return false;
    }
    if (!write_all(fd, data.data(), data.size(), write_errno)) return false;
    hasher.update(data.data(), data.size());
    written += data.size();
    return true;
  };
  if (auto done = client.stream_blob(repository, layer.digest.str(), sink); !done) {
    if (too_large) {
      return base::make_error(base::Errc::too_large,
                              what + ": more than the expected " + std::to_string(limit) + " bytes");
    }
    if (write_errno != 0) {
      return base::make_error(base::Errc::io_error,
                              "cannot write a temporary file: " + std::string(std::strerror(write_errno)));
    }
    return done;
  }
  if (written != limit) {
    return base::make_error(base::Errc::corrupt, what + ": received " + std::to_string(written) +
                                                     " bytes, the manifest says " +
                                                     std::to_string(layer.size));
  }
  if (hasher.digest() != layer.digest) {
    return base::make_error(base::Errc::corrupt,
                            what + ": the registry sent content whose digest is " + hasher.digest().str());
  }
  image::Layer l;
  l.file = layer.digest.str();  // a name for messages; the bytes are read from fd
  l.fd = fd;
  l.offset = 0;
  l.length = written;
  out.layers.push_back(std::move(l));
  out.files.push_back(std::move(*file));
  out.bytes += written;
  return {};
}

std::string platform_name(const oci::Platform& p) {
  std::string out = p.os + "/" + p.architecture;
  if (!p.variant.empty()) out += "/" + p.variant;
  return out;
}

}  // namespace

std::optional<std::size_t> pick_platform(const oci::Manifest& index, std::string_view os,
                                         std::string_view architecture) {
  std::optional<std::size_t> same_os;
  for (std::size_t i = 0; i < index.manifests.size(); ++i) {
    const auto& platform = index.manifests[i].platform;
    if (!platform || platform->os != os) continue;
    if (platform->architecture == architecture) return i;
    if (!same_os) same_os = i;
  }
  return same_os;
}

base::Result<PulledImage> pull_image(const RemoteTarget& target, const RemoteOptions& options,
                                     std::stop_token stop) {
  if (!oci::valid_repository_name(target.repository)) {
    return base::make_error(base::Errc::invalid_argument, "invalid repository name: " + target.repository);
  }
  if (!oci::looks_like_digest(target.reference) && !oci::valid_tag(target.reference)) {
    return base::make_error(base::Errc::invalid_argument, "invalid reference: " + target.reference);
  }
  const fs::path temp_dir = options.temp_dir.empty() ? fs::temp_directory_path() : options.temp_dir;

  remote::Endpoint endpoint;
  endpoint.url = target.registry_url;
  endpoint.authorization = target.authorization;
  endpoint.insecure = !options.verify_tls;
  remote::ClientOptions client_options;
  client_options.connect_timeout = options.connect_timeout;
  client_options.request_timeout = options.request_timeout;
  client_options.stall_timeout = options.stall_timeout;
  client_options.stop = std::move(stop);
  auto opened = remote::RegistryClient::open(std::move(endpoint), std::move(client_options));
  if (!opened) return std::move(opened).error();
  remote::RegistryClient& client = *opened;

  auto top = fetch_manifest(client, target.repository, target.reference);
  if (!top) return std::move(top).error();
  PulledImage out;
  out.manifest_digest = top->digest;
  out.media_type = top->manifest.media_type;
  FetchedManifest chosen = std::move(*top);
  if (chosen.manifest.is_index()) {
    auto pick = pick_platform(chosen.manifest, options.platform_os, options.platform_architecture);
    if (!pick) {
      return base::make_error(base::Errc::unsupported, "the index " + out.manifest_digest + " lists no " +
                                                           options.platform_os + " image");
    }
    const oci::Descriptor child = chosen.manifest.manifests[*pick];
    out.platform = platform_name(*child.platform);
    auto image = fetch_manifest(client, target.repository, child.digest.str());
    if (!image) return std::move(image).error();
    if (image->manifest.is_index()) {
      return base::make_error(base::Errc::unsupported,
                              "the index " + out.manifest_digest + " names another index");
    }
    chosen = std::move(*image);
  }
  out.image_digest = chosen.digest;
  out.image_media_type = chosen.manifest.media_type;

  const oci::Manifest& manifest = chosen.manifest;
  if (!manifest.config || !is_image_config(manifest.config->media_type)) {
    return base::make_error(base::Errc::unsupported,
                            "not a container image: the config media type is '" +
                                (manifest.config ? manifest.config->media_type : std::string()) + "'");
  }
  if (manifest.layers.size() > options.max_layers) {
    return base::make_error(base::Errc::too_large, "the image has " + std::to_string(manifest.layers.size()) +
                                                       " layers, more than " +
                                                       std::to_string(options.max_layers));
  }
  std::uint64_t total = 0;
  std::vector<const oci::Descriptor*> wanted;
  for (const auto& layer : manifest.layers) {
    if (!is_layer_type(layer.media_type)) {
      return base::make_error(base::Errc::unsupported,
                              "not a container image: a layer of media type '" + layer.media_type + "'");
    }
    if (is_foreign_layer(layer.media_type)) continue;
    const auto size = static_cast<std::uint64_t>(layer.size);
    if (size > options.max_layer_bytes) {
      return base::make_error(base::Errc::too_large, "layer " + layer.digest.str() + " has " +
                                                         std::to_string(size) +
                                                         " bytes, more than the limit of " +
                                                         std::to_string(options.max_layer_bytes));
    }
    total += size;
    if (total > options.max_image_bytes) {
      return base::make_error(base::Errc::too_large, "the image's layers exceed the limit of " +
                                                         std::to_string(options.max_image_bytes) + " bytes");
    }
    wanted.push_back(&layer);
  }
  for (const auto* layer : wanted) {
    if (auto fetched = fetch_blob(client, target.repository, *layer, temp_dir, out); !fetched) {
      return fetched.error();
    }
  }
  return out;
}

}  // namespace berth::scan
