#include "image/layers.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <system_error>
#include <vector>

#include "base/unique_fd.h"
#include "image/paths.h"

namespace berth::image {

namespace detail {

std::optional<std::string> normalise_path(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  std::size_t pos = 0;
  while (pos < raw.size()) {
    std::size_t end = raw.find('/', pos);
    if (end == std::string_view::npos) end = raw.size();
    const std::string_view part = raw.substr(pos, end - pos);
    pos = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (out.empty()) return std::nullopt;
      const std::size_t slash = out.rfind('/');
      out.resize(slash == std::string::npos ? 0 : slash);
      continue;
    }
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

std::string in_quotes(std::string_view text) {
  constexpr std::size_t kMaxQuoted = 200;
  std::string out = "\"";
  out += text.substr(0, kMaxQuoted);
  if (text.size() > kMaxQuoted) out += "...";
  out += '"';
  return out;
}

std::string size_text(std::uint64_t bytes) {
  constexpr std::uint64_t kKiB = 1024;
  constexpr std::uint64_t kMiB = kKiB * 1024;
  constexpr std::uint64_t kGiB = kMiB * 1024;
  if (bytes != 0 && bytes % kGiB == 0) return std::to_string(bytes / kGiB) + " GiB";
  if (bytes != 0 && bytes % kMiB == 0) return std::to_string(bytes / kMiB) + " MiB";
  if (bytes != 0 && bytes % kKiB == 0) return std::to_string(bytes / kKiB) + " KiB";
  return std::to_string(bytes) + " bytes";
}

}  // namespace detail

namespace {

using base::Errc;
using base::Error;
using base::make_error;
using base::Result;
using base::Status;
using detail::in_quotes;
using detail::normalise_path;
using detail::size_text;

constexpr std::size_t kReadBlock = std::size_t{1} << 20;
// The expanded/compressed ratio is only judged past this much output: small layers of
// zeros or text legitimately compress very well.
constexpr std::uint64_t kRatioFloor = std::uint64_t{1} << 30;
constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kWhiteoutMetaPrefix = ".wh..wh.";  // aufs metadata, e.g. ".wh..wh.plnk"
constexpr std::string_view kOpaqueWhiteout = ".wh..wh..opq";

// ---- Merging -------------------------------------------------------------------------------
//
// The accumulated result (Snapshot) only holds kept regular files. A layer is first read into
// a layer-local map plus its whiteouts; at the end of the layer the whiteouts are applied to the
// snapshot (they hide what lower layers put there, not what this layer adds), then the local
// entries are laid over it.

// What one layer put at a path.
struct Node {
  bool directory = false;
  std::optional<Kept> kept;  // a regular file (or hard link) the selector kept
};
using LayerMap = std::map<std::string, Node, std::less<>>;

template <class Map>
void erase_exact(Map& map, std::string_view path) {
  if (auto it = map.find(path); it != map.end()) map.erase(it);
}

// Everything strictly below directory `dir` ("" is the root).
template <class Map>
void erase_below(Map& map, std::string_view dir) {
  if (dir.empty()) {
    map.clear();
    return;
  }
  std::string prefix(dir);
  prefix += '/';
  auto first = map.lower_bound(std::string_view(prefix));
  auto last = first;
  while (last != map.end() && last->first.starts_with(prefix)) ++last;
  map.erase(first, last);
}

// `path` and everything below it.
template <class Map>
void erase_subtree(Map& map, std::string_view path) {
  erase_exact(map, path);
  erase_below(map, path);
}

// Calls fn(ancestor) for "a" and "a/b" of "a/b/c".
template <class Fn>
void for_each_ancestor(std::string_view path, Fn&& fn) {
  for (std::size_t slash = path.find('/'); slash != std::string_view::npos;
       slash = path.find('/', slash + 1)) {
    fn(path.substr(0, slash));
  }
}

std::string join(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (!out.empty()) out += '/';
  out += name;
  return out;
}

class KeptBudget {
 public:
  explicit KeptBudget(std::uint64_t max) : max_(max) {}
  Status add(std::uint64_t bytes) {
    total_ += bytes;
    if (total_ > max_) {
      return make_error(Errc::too_large,
                        "the files kept from the image exceed " + size_text(max_) + " (max_kept_bytes)");
    }
    return {};
  }

 private:
  std::uint64_t max_;
  std::uint64_t total_ = 0;
};

// ---- Reading one layer ---------------------------------------------------------------------

// The client side of libarchive: the layer's byte range of the file, read with pread in large
// blocks so that a layer inside an image archive is read in place.
struct Input {
  int fd = -1;
  std::uint64_t pos = 0;
  std::uint64_t end = 0;
  std::uint64_t consumed = 0;      // compressed bytes handed to libarchive (read or skipped)
  std::unique_ptr<char[]> buffer;  // kReadBlock bytes, not zero-filled: pread writes what is read
};

la_ssize_t read_input(struct archive* a, void* data, const void** out) {
  auto* in = static_cast<Input*>(data);
  const std::uint64_t left = in->end > in->pos ? in->end - in->pos : 0;
  const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(kReadBlock, left));
  if (want == 0) return 0;
  ssize_t n = 0;
  do {
    n = ::pread(in->fd, in->buffer.get(), want, static_cast<off_t>(in->pos));
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    archive_set_error(a, errno, "read error: %s", std::strerror(errno));
    return -1;
  }
  in->pos += static_cast<std::uint64_t>(n);
  in->consumed += static_cast<std::uint64_t>(n);
  *out = in->buffer.get();
  return n;
}

// Only used by libarchive when the layer is not compressed: skipping a file's data is then a
// seek, not a read.
la_int64_t skip_input(struct archive*, void* data, la_int64_t request) {
  auto* in = static_cast<Input*>(data);
  if (request <= 0) return 0;
  const std::uint64_t left = in->end > in->pos ? in->end - in->pos : 0;
  const std::uint64_t skip = std::min<std::uint64_t>(static_cast<std::uint64_t>(request), left);
  in->pos += skip;
  in->consumed += skip;
  return static_cast<la_int64_t>(skip);
}

struct ArchiveFree {
  void operator()(struct archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<struct archive, ArchiveFree>;

class LayerReader;

class ArchiveContent final : public Content {
 public:
  explicit ArchiveContent(LayerReader& reader) : reader_(reader) {}
  Result<std::size_t> read(std::span<char> out) override;
  const std::optional<Error>& error() const { return error_; }

 private:
  LayerReader& reader_;
  std::optional<Error> error_;
};

class LayerReader {
 public:
  LayerReader(const Layer& layer, std::size_t number, const Selector& selector, const Limits& limits,
              Snapshot& lower, KeptBudget& budget)
      : layer_(layer), selector_(selector), limits_(limits), lower_(lower), budget_(budget) {
    name_ = "layer " + std::to_string(number);
    if (!layer.file.empty()) name_ += " (" + layer.file.filename().string() + ")";
  }

  Status run();
  Result<std::size_t> read_data(std::span<char> out);

 private:
  Status open();
  Status on_entry(struct archive_entry* entry);
  Status on_regular_file(std::string path, struct archive_entry* entry);
  Status on_hardlink(std::string path, std::string_view raw_target);
  Status drain();
  Status check_expansion();
  void add(const std::string& path, Node node);
  bool touches_lower(std::string_view path) const;
  const Kept* kept_at(std::string_view path) const;
  void merge();
  Error archive_failure(std::string_view what) const;

  const Layer& layer_;
  const Selector& selector_;
  const Limits& limits_;
  Snapshot& lower_;
  KeptBudget& budget_;
  std::string name_;

  base::UniqueFd fd_;
  Input input_;
  ArchivePtr archive_;
  bool compressed_ = true;
  std::uint64_t entries_ = 0;

  LayerMap local_;
  std::vector<std::string> removed_;  // ".wh.<name>" whiteouts, as paths
  std::vector<std::string> opaque_;   // directories holding ".wh..wh..opq"
};

Result<std::size_t> ArchiveContent::read(std::span<char> out) {
  if (error_) return *error_;
  auto n = reader_.read_data(out);
  if (!n) error_ = n.error();
  return n;
}

Error LayerReader::archive_failure(std::string_view what) const {
  const char* message = archive_error_string(archive_.get());
  return make_error(Errc::corrupt, name_ + " " + std::string(what) + ": " +
                                       (message != nullptr ? message : "unknown libarchive error"));
}

Status LayerReader::open() {
  // A given descriptor is duplicated: reads use pread, so sharing its offset is harmless.
  const int fd = layer_.fd >= 0 ? ::fcntl(layer_.fd, F_DUPFD_CLOEXEC, 0)
                                : ::open(layer_.file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return make_error(err == ENOENT ? Errc::not_found : Errc::io_error,
                      "cannot open " + name_ + " at " + layer_.file.string() + ": " + std::strerror(err));
  }
  fd_.reset(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return make_error(Errc::io_error, "cannot stat " + layer_.file.string() + ": " + std::strerror(errno));
  }
  const auto file_size = static_cast<std::uint64_t>(st.st_size);
  input_.fd = fd;
  input_.pos = layer_.offset;
  input_.end = layer_.length ? layer_.offset + *layer_.length : std::max(file_size, layer_.offset);
  input_.buffer = std::make_unique_for_overwrite<char[]>(kReadBlock);
  ::posix_fadvise(fd, static_cast<off_t>(layer_.offset), 0, POSIX_FADV_SEQUENTIAL);

  archive_.reset(archive_read_new());
  if (!archive_) return make_error(Errc::internal, "libarchive: out of memory");
  struct archive* a = archive_.get();
  // Layers are tar (ustar, pax, GNU), as stored: uncompressed, gzip or zstd. Nothing else.
  if (archive_read_support_filter_none(a) != ARCHIVE_OK ||
      archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
      archive_read_support_filter_zstd(a) != ARCHIVE_OK || archive_read_support_format_tar(a) != ARCHIVE_OK) {
    return make_error(Errc::unsupported,
                      "libarchive lacks built-in gzip, zstd or tar support: " +
                          std::string(archive_error_string(a) ? archive_error_string(a) : ""));
  }
  archive_read_set_callback_data(a, &input_);
  archive_read_set_read_callback(a, read_input);
  archive_read_set_skip_callback(a, skip_input);
  if (archive_read_open1(a) != ARCHIVE_OK)
    return archive_failure("is not a readable tar archive (uncompressed, gzip or zstd)");
  return {};
}

Status LayerReader::check_expansion() {
  const la_int64_t position = archive_filter_bytes(archive_.get(), 0);  // decompressed bytes
  const std::uint64_t expanded = position > 0 ? static_cast<std::uint64_t>(position) : 0;
  if (expanded > limits_.max_expanded_bytes) {
    return make_error(Errc::too_large, name_ + " expands beyond " + size_text(limits_.max_expanded_bytes) +
                                           " (decompression bomb?)");
  }
  if (expanded > kRatioFloor && input_.consumed > 0 && expanded / input_.consumed > limits_.max_ratio) {
    return make_error(Errc::too_large, name_ + " expands more than " + std::to_string(limits_.max_ratio) +
                                           " times its compressed size (decompression bomb?)");
  }
  return {};
}

Result<std::size_t> LayerReader::read_data(std::span<char> out) {
  if (out.empty()) return std::size_t{0};
  if (auto status = check_expansion(); !status) return std::move(status).error();
  const la_ssize_t n = archive_read_data(archive_.get(), out.data(), out.size());
  if (n < 0) return archive_failure("is corrupt");
  return static_cast<std::size_t>(n);
}

// Skips what is left of the current entry's data, enforcing the limits as it goes.
Status LayerReader::drain() {
  struct archive* a = archive_.get();
  if (!compressed_) {
    // Uncompressed: a seek through skip_input. Entry sizes were checked against the limit.
    if (archive_read_data_skip(a) < ARCHIVE_WARN) return archive_failure("is corrupt");
    return check_expansion();
  }
  // Compressed: skipping means decompressing; check the limits block by block so that a bomb
  // is stopped early rather than inflated in full.
  for (;;) {
    const void* block = nullptr;
    std::size_t size = 0;
    la_int64_t offset = 0;
    const int r = archive_read_data_block(a, &block, &size, &offset);
    if (r == ARCHIVE_EOF) return {};
    if (r < ARCHIVE_WARN) return archive_failure("is corrupt");
    if (auto status = check_expansion(); !status) return status;
  }
}

// Whether a non-kept entry at `path` changes anything lower layers left in the snapshot. Entries
// that do not are not remembered, which keeps a layer's memory bounded by what is kept.
bool LayerReader::touches_lower(std::string_view path) const {
  if (lower_.empty()) return false;
  if (lower_.contains(path)) return true;
  std::string prefix(path);
  prefix += '/';
  auto below = lower_.lower_bound(std::string_view(prefix));
  if (below != lower_.end() && below->first.starts_with(prefix)) return true;
  bool found = false;
  for_each_ancestor(path, [&](std::string_view ancestor) { found = found || lower_.contains(ancestor); });
  return found;
}

void LayerReader::add(const std::string& path, Node node) {
  // The ancestors of an entry are directories in this layer, whatever it said before.
  if (!local_.empty()) {
    for_each_ancestor(path, [&](std::string_view ancestor) {
      auto it = local_.find(ancestor);
      if (it != local_.end() && !it->second.directory) it->second = Node{true, std::nullopt};
    });
  }
  // A later entry of the same layer replaces an earlier one; a non-directory also replaces
  // everything below its path.
  if (node.directory) {
    erase_exact(local_, path);
  } else {
    erase_subtree(local_, path);
  }
  if (node.kept || touches_lower(path)) local_.insert_or_assign(path, std::move(node));
}

// The kept content a hard link in this layer refers to: the target as this layer left it, or
// as the lower layers did when this layer has not touched it.
const Kept* LayerReader::kept_at(std::string_view path) const {
  if (auto it = local_.find(path); it != local_.end()) return it->second.kept ? &*it->second.kept : nullptr;
  if (auto it = lower_.find(path); it != lower_.end()) return &it->second;
  return nullptr;
}

Status LayerReader::on_regular_file(std::string path, struct archive_entry* entry) {
  Entry info{std::move(path), static_cast<std::uint64_t>(std::max<la_int64_t>(archive_entry_size(entry), 0)),
             static_cast<std::uint32_t>(archive_entry_perm(entry) & 07777)};
  // A stored file larger than the layer may expand to fails now rather than after inflating it.
  if (archive_entry_sparse_count(entry) == 0) {
    const la_int64_t position = archive_filter_bytes(archive_.get(), 0);
    const std::uint64_t expanded = position > 0 ? static_cast<std::uint64_t>(position) : 0;
    if (info.size > limits_.max_expanded_bytes || expanded > limits_.max_expanded_bytes - info.size) {
      return make_error(Errc::too_large, name_ + " expands beyond " + size_text(limits_.max_expanded_bytes) +
                                             " (decompression bomb?): " + in_quotes(info.path) + " holds " +
                                             std::to_string(info.size) + " bytes");
    }
  }
  Node node;
  if (selector_.wants && selector_.keep && selector_.wants(info)) {
    ArchiveContent content(*this);
    auto kept = selector_.keep(info, content);
    if (content.error()) return *content.error();
    if (!kept) return std::move(kept).error();
    if (kept->has_value()) {
      if (auto status = budget_.add((*kept)->size()); !status) return status;
      node.kept = Kept{info, std::move(**kept)};
    }
  }
  if (auto status = drain(); !status) return status;
  add(info.path, std::move(node));
  return {};
}

Status LayerReader::on_hardlink(std::string path, std::string_view raw_target) {
  auto target = normalise_path(raw_target);
  if (!target) {
    return make_error(Errc::invalid_argument, name_ + ": hard link " + in_quotes(path) + " -> " +
                                                  in_quotes(raw_target) + " leaves the root");
  }
  Node node;
  if (const Kept* source = *target != path ? kept_at(*target) : nullptr; source != nullptr) {
    Entry info{path, source->entry.size, source->entry.mode};
    if (selector_.wants && selector_.wants(info)) {
      if (auto status = budget_.add(source->data.size()); !status) return status;
      node.kept = Kept{std::move(info), source->data};
    }
  }
  if (auto status = drain(); !status) return status;
  add(path, std::move(node));
  return {};
}

Status LayerReader::on_entry(struct archive_entry* entry) {
  if (++entries_ > limits_.max_entries) {
    return make_error(Errc::too_large,
                      name_ + " has more than " + std::to_string(limits_.max_entries) + " entries");
  }
  const char* raw = archive_entry_pathname(entry);
  if (raw == nullptr) raw = archive_entry_pathname_utf8(entry);
  if (raw == nullptr) return make_error(Errc::corrupt, name_ + " has an entry without a readable path");
  auto normal = normalise_path(raw);
  if (!normal) {
    return make_error(Errc::invalid_argument, name_ + ": path " + in_quotes(raw) + " leaves the root");
  }
  std::string path = std::move(*normal);
  if (path.empty()) return drain();  // the root directory itself

  const std::size_t slash = path.rfind('/');
  const std::string_view dir =
      slash == std::string::npos ? std::string_view() : std::string_view(path).substr(0, slash);
  const std::string_view base =
      slash == std::string::npos ? std::string_view(path) : std::string_view(path).substr(slash + 1);

  // Whiteouts (OCI image spec, "Whiteouts"): recorded, applied to the lower layers at the end of
  // this one, and never part of the result.
  if (base.starts_with(kWhiteoutPrefix)) {
    if (base == kOpaqueWhiteout) {
      opaque_.emplace_back(dir);
    } else if (!base.starts_with(kWhiteoutMetaPrefix)) {
      const std::string_view name = base.substr(kWhiteoutPrefix.size());
      if (!name.empty() && name != "." && name != "..") removed_.push_back(join(dir, name));
    }
    return drain();
  }
  // aufs metadata directories at the root (".wh..wh.plnk", ...) are not part of the filesystem.
  if (path.starts_with(kWhiteoutMetaPrefix)) return drain();

  if (const char* link = archive_entry_hardlink(entry); link != nullptr) {
    return on_hardlink(std::move(path), link);
  }
  switch (archive_entry_filetype(entry)) {
    case AE_IFREG:
      return on_regular_file(std::move(path), entry);
    case AE_IFDIR:
      if (auto status = drain(); !status) return status;
      add(path, Node{true, std::nullopt});
      return {};
    default:
      // Symlinks, devices, fifos, sockets: present, never kept. Symlink targets are not
      // followed, so they may point anywhere (including outside the root) harmlessly.
      if (auto status = drain(); !status) return status;
      add(path, Node{});
      return {};
  }
}

void LayerReader::merge() {
  for (const std::string& path : removed_) erase_subtree(lower_, path);
  for (const std::string& dir : opaque_) erase_below(lower_, dir);
  for (auto& [path, node] : local_) {
    for_each_ancestor(path, [&](std::string_view ancestor) { erase_exact(lower_, ancestor); });
    if (node.directory) {
      erase_exact(lower_, path);
      continue;
    }
    erase_subtree(lower_, path);
    if (node.kept) lower_.insert_or_assign(path, std::move(*node.kept));
  }
}

Status LayerReader::run() {
  if (auto status = open(); !status) return status;
  struct archive* a = archive_.get();
  bool first = true;
  for (;;) {
    struct archive_entry* entry = nullptr;
    const int r = archive_read_next_header(a, &entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN || r == ARCHIVE_RETRY) {
      return archive_failure(first ? "is not a readable tar archive (uncompressed, gzip or zstd)"
                                   : "is corrupt");
    }
    if (first) {
      compressed_ = archive_filter_code(a, 0) != ARCHIVE_FILTER_NONE;
      first = false;
    }
    if (auto status = on_entry(entry); !status) return status;
  }
  if (auto status = check_expansion(); !status) return status;
  merge();
  return {};
}

// ---- Reading a directory -------------------------------------------------------------------

class FileContent final : public Content {
 public:
  FileContent(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  Result<std::size_t> read(std::span<char> out) override {
    if (out.empty()) return std::size_t{0};
    ssize_t n = 0;
    do {
      n = ::read(fd_.get(), out.data(), out.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) return make_error(Errc::io_error, "cannot read " + path_ + ": " + std::strerror(errno));
    return static_cast<std::size_t>(n);
  }

 private:
  base::UniqueFd fd_;
  std::string path_;
};

}  // namespace

Result<std::string> Content::read_all(std::uint64_t limit) {
  constexpr std::size_t kChunk = std::size_t{64} << 10;
  std::string out;
  for (;;) {
    const std::size_t used = out.size();
    // Room for one byte past the limit, to tell "exactly limit" from "more".
    const std::uint64_t room = limit - std::min<std::uint64_t>(limit, used) + 1;
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, room));
    out.resize(used + want);
    auto n = read(std::span<char>(out.data() + used, want));
    if (!n) return std::move(n).error();
    out.resize(used + *n);
    if (*n == 0) return out;
    if (out.size() > limit) {
      return make_error(Errc::too_large, "file content exceeds " + size_text(limit));
    }
  }
}

Result<Snapshot> read_layers(std::span<const Layer> layers, const Selector& selector, const Limits& limits) {
  Snapshot snapshot;
  KeptBudget budget(limits.max_kept_bytes);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    LayerReader reader(layers[i], i + 1, selector, limits, snapshot, budget);
    if (auto status = reader.run(); !status) return std::move(status).error();
  }
  return snapshot;
}

Result<Snapshot> read_directory(const std::filesystem::path& root, const Selector& selector,
                                const Limits& limits) {
  namespace fs = std::filesystem;
  std::error_code ec;
  // Symlinks to directories are not followed; directories that cannot be opened are skipped.
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
  if (ec) {
    return make_error(ec == std::errc::no_such_file_or_directory ? Errc::not_found : Errc::io_error,
                      "cannot read directory " + root.string() + ": " + ec.message());
  }
  const std::string& prefix = root.native();
  Snapshot snapshot;
  KeptBudget budget(limits.max_kept_bytes);
  std::uint64_t entries = 0;
  for (const fs::recursive_directory_iterator end; it != end;) {
    if (++entries > limits.max_entries) {
      return make_error(Errc::too_large, "directory " + root.string() + " has more than " +
                                             std::to_string(limits.max_entries) + " entries");
    }
    const fs::path& full = it->path();
    struct stat st {};
    if (::lstat(full.c_str(), &st) == 0 && S_ISREG(st.st_mode) && full.native().starts_with(prefix)) {
      auto path = normalise_path(std::string_view(full.native()).substr(prefix.size()));
      if (path && !path->empty()) {
        Entry info{std::move(*path), static_cast<std::uint64_t>(st.st_size),
                   static_cast<std::uint32_t>(st.st_mode & 07777)};
        if (selector.wants && selector.keep && selector.wants(info)) {
          const int fd = ::open(full.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
          if (fd >= 0) {
            FileContent content(fd, full.string());
            auto kept = selector.keep(info, content);
            if (!kept) return std::move(kept).error();
            if (kept->has_value()) {
              if (auto status = budget.add((*kept)->size()); !status) return std::move(status).error();
              std::string key = info.path;
              snapshot.insert_or_assign(std::move(key), Kept{std::move(info), std::move(**kept)});
            }
          } else if (errno != EACCES && errno != ENOENT && errno != ELOOP) {
            return make_error(Errc::io_error, "cannot open " + full.string() + ": " + std::strerror(errno));
          }
          // Unreadable or vanished files are skipped, like unreadable directories.
        }
      }
    }
    it.increment(ec);
    if (ec) return make_error(Errc::io_error, "cannot read directory " + root.string() + ": " + ec.message());
  }
  return snapshot;
}

}  // namespace berth::image
