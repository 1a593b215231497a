// Reads an image's layers as one merged filesystem, streaming, without extracting to disk.
//
// Layers are tar archives, uncompressed or compressed with gzip or zstd (detected from the
// bytes). They are read in order; whiteouts (".wh.<name>", ".wh..wh..opq") of a layer remove
// what lower layers put there, and a later entry at the same path replaces an earlier one.
// Only the files a Selector asks for are read; everything else is skipped as it streams by, so
// memory stays bounded by what the selector keeps, whatever the image size.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"

namespace berth::image {

// A regular file met while walking a layer or a directory.
struct Entry {
  std::string path;  // normalised, relative to the root, no leading '/', e.g. "etc/os-release"
  std::uint64_t size = 0;
  std::uint32_t mode = 0;  // permission bits (07777)
};

// Sequential access to one file's content.
class Content {
 public:
  virtual ~Content() = default;
  // Reads up to out.size() bytes; 0 at the end. An error ends the walk with that error.
  virtual base::Result<std::size_t> read(std::span<char> out) = 0;
  // Reads the rest, failing with too_large past `limit` bytes.
  base::Result<std::string> read_all(std::uint64_t limit);
};

// Decides which files matter. `wants` sees every regular file; for the ones it accepts,
// `keep` reads the content and returns what to remember for that path (the bytes themselves,
// or a small summary such as a Go binary's build info), or nothing to forget the file.
struct Selector {
  std::function<bool(const Entry&)> wants;
  std::function<base::Result<std::optional<std::string>>(const Entry&, Content&)> keep;
};

// What the selector kept, for the files present in the final merged filesystem.
struct Kept {
  Entry entry;
  std::string data;
};
using Snapshot = std::map<std::string, Kept, std::less<>>;

// Guards against hostile layers. A layer that breaks one fails the walk with a clear reason.
struct Limits {
  std::uint64_t max_expanded_bytes = 64ull << 30;  // per layer, after decompression
  std::uint64_t max_ratio = 200;                   // expanded / compressed, once past 1 GiB
  std::uint64_t max_entries = 2'000'000;           // per layer
  std::uint64_t max_kept_bytes = 1ull << 30;       // everything the selector keeps, in total
};

// One layer: bytes of a file holding the layer blob as stored (compressed or not): the whole
// file, or `length` bytes from `offset` (a layer inside an image archive).
struct Layer {
  std::filesystem::path file;
  std::uint64_t offset = 0;
  std::optional<std::uint64_t> length;
  int fd = -1;  // when >= 0: an open descriptor of the bytes, read instead of `file` (not owned)
};

// Walks the layers bottom to top and returns the merged result. Fails (Errc::corrupt,
// too_large, invalid_argument) on a layer that is not a tar archive, a path or link that
// leaves the root ("../"), a decompression bomb, or a limit passed.
base::Result<Snapshot> read_layers(std::span<const Layer> layers, const Selector& selector,
                                   const Limits& limits = {});

// The same over a directory holding an unpacked root filesystem (symlinks are not followed).
base::Result<Snapshot> read_directory(const std::filesystem::path& root, const Selector& selector,
                                      const Limits& limits = {});

}  // namespace berth::image
