// Filesystem back end of blob::Store.
//
// Layout under the root:
//   blobs/<alg>/<first two hex>/<hex>   one immutable file per blob
//   uploads/<id>                        bytes of an upload in progress
//
// A blob file appears only complete and verified: its bytes are written to a file in
// uploads/ (same filesystem), fdatasync'ed, renamed into blobs/ (atomic) and the blob's
// directory is fsync'ed. Two writers of the same digest are harmless: they rename
// identical content over each other.
//
// Temporary files of put() and check() live in uploads/ and are named like upload ids
// ("put-<hex>", "probe-<hex>"), so whatever a crash leaves behind is listed by
// list_uploads() and removed by the purge of abandoned uploads like any other upload.
//
// Appended bytes are not fsync'ed (that would make every chunk wait for the disk), only handed
// to the kernel's writeback every 8 MiB so that the final fdatasync is short;
// after a crash an upload may be shorter than acknowledged, which the distribution
// protocol handles (the client asks for the upload's size and resumes from there).

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "base/log.h"
#include "base/random.h"
#include "blob/store.h"

namespace berth::blob {
namespace {

using base::Errc;
using base::make_error;

constexpr std::size_t kRehashBufferSize = std::size_t{1} << 20;
constexpr std::size_t kMaxUploadIdLength = 64;
constexpr oci::DigestAlgorithm kAlgorithms[] = {oci::DigestAlgorithm::sha256, oci::DigestAlgorithm::sha512};

// ---- validation -------------------------------------------------------------------

bool is_valid_upload_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxUploadIdLength) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
  });
}

base::Status check_upload_id(std::string_view id) {
  if (is_valid_upload_id(id)) return {};
  return make_error(Errc::invalid_argument, "invalid upload id (expected 1-64 of [A-Za-z0-9-])");
}

bool is_lower_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::size_t hex_length(oci::DigestAlgorithm algorithm) {
  return algorithm == oci::DigestAlgorithm::sha512 ? 128 : 64;
}

// A Digest built by Digest::parse is always well formed, but a default-constructed one is
// not; a path is never built from a digest that was not checked here.
base::Status check_digest(const oci::Digest& digest) {
  const std::string& hex = digest.hex();
  if (hex.size() == hex_length(digest.algorithm()) && is_lower_hex(hex)) return {};
  return make_error(Errc::invalid_argument, "malformed digest \"" + digest.str() + "\"");
}

// ---- POSIX helpers ----------------------------------------------------------------

// ENOENT -> not_found, anything else -> io_error; the message names the call and path.
base::Error errno_error(int err, std::string_view what, std::string_view path) {
  std::string message;
  message.append(what).append(" ").append(path).append(": ").append(std::generic_category().message(err));
  return make_error(err == ENOENT ? Errc::not_found : Errc::io_error, std::move(message));
}

base::Result<base::UniqueFd> open_file(const std::string& path, int flags, mode_t mode = 0) {
  for (;;) {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    if (fd >= 0) return base::UniqueFd(fd);
    if (errno != EINTR) return errno_error(errno, "open", path);
  }
}

base::Status write_all(int fd, std::string_view data, std::uint64_t offset, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(errno, "write", path);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
    offset += static_cast<std::uint64_t>(n);
  }
  return {};
}

base::Status sync_data(int fd, const std::string& path) {
  while (::fdatasync(fd) != 0) {
    if (errno != EINTR) return errno_error(errno, "fdatasync", path);
  }
  return {};
}

// Makes the entries of a directory (a rename or a new file) durable.
base::Status sync_dir(const std::string& dir) {
  auto fd = open_file(dir, O_RDONLY | O_DIRECTORY);
  if (!fd) return std::move(fd).error();
  while (::fsync(fd->get()) != 0) {
    if (errno != EINTR) return errno_error(errno, "fsync", dir);
  }
  return {};
}

std::string parent_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos || slash == 0 ? std::string("/") : path.substr(0, slash);
}

// Creates `dir` if it is missing and makes its entry durable.
base::Status ensure_dir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) == 0) return sync_dir(parent_of(dir));
  int err = errno;
  if (err == EEXIST) return {};
  if (err == ENOENT) {  // a parent was removed behind our back: recreate the chain
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (!ec) return sync_dir(parent_of(dir));
    err = ec.value();
  }
  return errno_error(err, "mkdir", dir);
}

void unlink_quietly(const std::string& path) {
  if (::unlink(path.c_str()) != 0) {
    int err = errno;
    if (err != ENOENT) {
      BERTH_LOG_WARN("blob store: cannot remove {}: {}", path, std::generic_category().message(err));
    }
  }
}

// Feeds a whole file to `hasher` and returns the number of bytes read.
base::Result<std::uint64_t> hash_file(int fd, oci::Hasher& hasher, const std::string& path) {
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  auto buffer = std::make_unique_for_overwrite<char[]>(kRehashBufferSize);
  std::uint64_t offset = 0;
  for (;;) {
    ssize_t n = ::pread(fd, buffer.get(), kRehashBufferSize, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(errno, "read", path);
    }
    if (n == 0) return offset;
    hasher.update(buffer.get(), static_cast<std::size_t>(n));
    offset += static_cast<std::uint64_t>(n);
  }
}

struct DirEntry {
  std::string name;
  unsigned char type = DT_UNKNOWN;  // DT_REG, DT_DIR, ...; resolved when the fs does not say
};

base::Result<std::vector<DirEntry>> read_dir(const std::string& dir) {
  struct DirCloser {
    void operator()(DIR* d) const { ::closedir(d); }
  };
  std::unique_ptr<DIR, DirCloser> handle(::opendir(dir.c_str()));
  if (!handle) return errno_error(errno, "opendir", dir);
  std::vector<DirEntry> entries;
  for (;;) {
    errno = 0;
    const dirent* entry = ::readdir(handle.get());
    if (entry == nullptr) break;
    std::string_view name(entry->d_name);
    if (name == "." || name == "..") continue;
    unsigned char type = entry->d_type;
    if (type == DT_UNKNOWN) {
      struct stat st {};
      if (::fstatat(::dirfd(handle.get()), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        type = S_ISREG(st.st_mode) ? DT_REG : S_ISDIR(st.st_mode) ? DT_DIR : DT_UNKNOWN;
      }
    }
    entries.push_back({std::string(name), type});
  }
  if (errno != 0) return errno_error(errno, "readdir", dir);
  return entries;
}

// A fresh name for a temporary file in uploads/, shaped like an upload id (see top).
base::Result<std::string> temp_name(std::string_view prefix) {
  try {
    return std::string(prefix) + base::random_hex(16);
  } catch (const std::exception& e) {
    return make_error(Errc::internal, std::string("cannot make a temporary name: ") + e.what());
  }
}

// Reads the file `fd` (named `path` in errors) to its end, 1 MiB at a time, into `sink`; stops
// at the first error `sink` returns.
base::Status read_chunks(int fd, const std::string& path,
                         const std::function<base::Status(std::string_view)>& sink) {
  std::string buffer(1 << 20, '\0');
  for (;;) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;  // before the message is built
      return errno_error(err, "read", path);
    }
    if (n == 0) return {};
    if (auto s = sink(std::string_view(buffer.data(), static_cast<std::size_t>(n))); !s) return s;
  }
}

// ---- layout -------------------------------------------------------------------------

// Where things live under the root. Shared (immutable) by the store and its uploads.
struct Layout {
  std::string blobs;    // <root>/blobs
  std::string uploads;  // <root>/uploads

  std::string algorithm_dir(oci::DigestAlgorithm algorithm) const {
    std::string dir = blobs;
    dir.append("/").append(oci::algorithm_name(algorithm));
    return dir;
  }
  // REQUIRES: check_digest(digest) succeeded.
  std::string shard_dir(const oci::Digest& digest) const {
    std::string dir = algorithm_dir(digest.algorithm());
    dir.append("/").append(std::string_view(digest.hex()).substr(0, 2));
    return dir;
  }
  std::string blob_path(const oci::Digest& digest) const { return shard_dir(digest) + "/" + digest.hex(); }
  // REQUIRES: is_valid_upload_id(id).
  std::string upload_path(std::string_view id) const {
    std::string path = uploads;
    path.append("/").append(id);
    return path;
  }
};

bool is_regular_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// Moves a complete, synced file into place as blob `digest` and makes the move durable.
base::Status install_blob(const Layout& layout, const std::string& from, const oci::Digest& digest) {
  std::string dir = layout.shard_dir(digest);
  if (auto made = ensure_dir(dir); !made) return made;
  std::string to = layout.blob_path(digest);
  if (::rename(from.c_str(), to.c_str()) != 0) {
    int err = errno;  // before the message is built
    return errno_error(err, "rename " + from + " to", to);
  }
  return sync_dir(dir);
}

// ---- upload -------------------------------------------------------------------------

class FilesystemUpload final : public Upload {
 public:
  FilesystemUpload(std::shared_ptr<const Layout> layout, std::string id, base::UniqueFd fd,
                   oci::Hasher hasher, std::uint64_t size)
      : layout_(std::move(layout)),
        id_(std::move(id)),
        path_(layout_->upload_path(id_)),
        fd_(std::move(fd)),
        hasher_(std::move(hasher)),
        size_(size),
        writeback_from_(size) {}

  const std::string& id() const override { return id_; }
  std::uint64_t size() const override { return size_; }

  base::Status append(std::string_view data) override {
    if (auto usable = check_usable(); !usable) return usable;
    if (data.empty()) return {};
    auto written = write_all(fd_.get(), data, size_, path_);
    if (!written) {
      // Cut the file back to what was hashed so that it can be continued or resumed.
      if (::ftruncate(fd_.get(), static_cast<off_t>(size_)) != 0) state_ = State::broken;
      return written;
    }
    hasher_.update(data);
    size_ += data.size();
    start_writeback();
    return {};
  }

  base::Status commit(const oci::Digest& expected) override {
    if (auto usable = check_usable(); !usable) return usable;
    if (auto valid = check_digest(expected); !valid) return valid;

    oci::Digest actual;
    if (expected.algorithm() == hasher_.algorithm()) {
      actual = hasher_.digest();
    } else {
      oci::Hasher rehash(expected.algorithm());
      if (auto read = hash_file(fd_.get(), rehash, path_); !read) return std::move(read).error();
      actual = rehash.digest();
    }
    if (actual != expected) {
      discard();
      return make_error(Errc::invalid_argument, "digest mismatch: expected " + expected.str() +
                                                    ", content of upload " + id_ + " is " + actual.str());
    }

    if (is_regular_file(layout_->blob_path(expected))) {  // already stored: keep the old copy
      discard();
      return {};
    }
    if (auto synced = sync_data(fd_.get(), path_); !synced) return synced;
    if (auto installed = install_blob(*layout_, path_, expected); !installed) return installed;
    fd_.reset();
    state_ = State::finished;
    return {};
  }

 private:
  enum class State { open, broken, finished };

  base::Status check_usable() const {
    switch (state_) {
      case State::open:
        return {};
      case State::broken:
        return make_error(Errc::io_error, "upload " + id_ + " is in an unknown state after a failed write");
      case State::finished:
        return make_error(Errc::not_found, "upload " + id_ + " is already finished");
    }
    return make_error(Errc::internal, "bad upload state");
  }

  // Asks the kernel to start writing each further 8 MiB to disk as it arrives (without
  // waiting for it), so that commit()'s fdatasync finds little left to do. Advisory: an
  // error here changes nothing, the fdatasync still decides.
  void start_writeback() {
    constexpr std::uint64_t kStep = 8ull << 20;
    const std::uint64_t size = size_;
    if (size - writeback_from_ < kStep) return;
    (void)::sync_file_range(fd_.get(), static_cast<off64_t>(writeback_from_),
                            static_cast<off64_t>(size - writeback_from_), SYNC_FILE_RANGE_WRITE);
    writeback_from_ = size;
  }

  void discard() {
    fd_.reset();
    unlink_quietly(path_);
    state_ = State::finished;
  }

  std::shared_ptr<const Layout> layout_;
  std::string id_;
  std::string path_;
  base::UniqueFd fd_;
  oci::Hasher hasher_;
  std::atomic<std::uint64_t> size_{0};  // read by status requests while a lease appends
  std::uint64_t writeback_from_ = 0;    // where the next start_writeback() begins
  State state_ = State::open;
};

// ---- store --------------------------------------------------------------------------

class FilesystemStore final : public Store {
 public:
  explicit FilesystemStore(std::shared_ptr<const Layout> layout) : layout_(std::move(layout)) {}

  base::Result<std::uint64_t> stat(const oci::Digest& digest) const override {
    if (auto valid = check_digest(digest); !valid) return std::move(valid).error();
    std::string path = layout_->blob_path(digest);
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return blob_error(errno, "stat", digest, path);
    if (!S_ISREG(st.st_mode)) return make_error(Errc::io_error, path + " is not a regular file");
    return static_cast<std::uint64_t>(st.st_size);
  }

  base::Result<BlobReader> open(const oci::Digest& digest) const override {
    if (auto valid = check_digest(digest); !valid) return std::move(valid).error();
    std::string path = layout_->blob_path(digest);
    int raw = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (raw < 0) return blob_error(errno, "open", digest, path);
    BlobReader reader{base::UniqueFd(raw), 0};
    struct stat st {};
    if (::fstat(raw, &st) != 0) return errno_error(errno, "fstat", path);
    if (!S_ISREG(st.st_mode)) return make_error(Errc::io_error, path + " is not a regular file");
    reader.size = static_cast<std::uint64_t>(st.st_size);
    return reader;
  }

  base::Result<std::string> read_all(const oci::Digest& digest) const override {
    auto reader = open(digest);
    if (!reader) return std::move(reader).error();
    std::string path = layout_->blob_path(digest);
    std::string data(reader->size, '\0');
    std::size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::pread(reader->fd.get(), data.data() + done, data.size() - done, static_cast<off_t>(done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno_error(errno, "read", path);
      }
      if (n == 0) return make_error(Errc::io_error, path + " is shorter than its size");
      done += static_cast<std::size_t>(n);
    }
    return data;
  }

  base::Result<oci::Digest> put(std::string_view data, oci::DigestAlgorithm algorithm) override {
    oci::Digest digest = oci::digest_of(data, algorithm);
    if (auto valid = check_digest(digest); !valid) return std::move(valid).error();
    if (is_regular_file(layout_->blob_path(digest))) return digest;

    auto name = temp_name("put-");
    if (!name) return std::move(name).error();
    std::string temp = layout_->upload_path(*name);
    auto fd = open_file(temp, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (!fd) return std::move(fd).error();
    base::Status done = write_all(fd->get(), data, 0, temp);
    if (done) done = sync_data(fd->get(), temp);
    fd->reset();
    if (done) done = install_blob(*layout_, temp, digest);
    if (!done) {
      unlink_quietly(temp);
      return std::move(done).error();
    }
    return digest;
  }

  base::Status copy_to(const oci::Digest& digest, Store& target) const override {
    if (auto valid = check_digest(digest); !valid) return valid;
    const std::string from = layout_->blob_path(digest);
    if (auto* other = dynamic_cast<FilesystemStore*>(&target); other != nullptr) {
      const std::string to = other->layout_->blob_path(digest);
      if (auto made = ensure_dir(other->layout_->shard_dir(digest)); !made) return made;
      if (::link(from.c_str(), to.c_str()) == 0 || errno == EEXIST) return {};
      if (errno == ENOENT) return blob_error(errno, "link", digest, from);
      if (errno != EXDEV && errno != EPERM && errno != EMLINK)
        return errno_error(errno, "link " + from + " to", to);
    }
    auto reader = open(digest);
    if (!reader) return std::move(reader).error();
    auto id = temp_name("copy-");
    if (!id) return std::move(id).error();
    auto upload = target.create_upload(*id);
    if (!upload) return std::move(upload).error();
    if (auto s = read_chunks(reader->fd.get(), from,
                             [&](std::string_view chunk) { return (*upload)->append(chunk); });
        !s) {
      (void)target.remove_upload(*id);
      return s;
    }
    return (*upload)->commit(digest);
  }

  base::Status export_file(const oci::Digest& digest, const std::string& path) const override {
    if (auto valid = check_digest(digest); !valid) return valid;
    const std::string from = layout_->blob_path(digest);
    if (::link(from.c_str(), path.c_str()) == 0) return {};
    if (errno == ENOENT) return blob_error(errno, "link", digest, from);
    if (errno == EEXIST) return make_error(Errc::already_exists, path + " already exists");
    if (errno != EXDEV && errno != EPERM && errno != EMLINK)
      return errno_error(errno, "link " + from + " to", path);
    auto reader = open(digest);
    if (!reader) return std::move(reader).error();
    const std::string temp = path + ".partial";
    auto out = open_file(temp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (!out) return std::move(out).error();
    std::uint64_t offset = 0;
    if (auto s = read_chunks(reader->fd.get(), from,
                             [&](std::string_view chunk) {
                               auto written = write_all(out->get(), chunk, offset, temp);
                               offset += chunk.size();
                               return written;
                             });
        !s) {
      unlink_quietly(temp);
      return s;
    }
    out->reset();
    if (::rename(temp.c_str(), path.c_str()) != 0) {
      const int err = errno;
      unlink_quietly(temp);
      return errno_error(err, "rename " + temp + " to", path);
    }
    return {};
  }

  base::Status remove(const oci::Digest& digest) override {
    if (auto valid = check_digest(digest); !valid) return valid;
    std::string path = layout_->blob_path(digest);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return errno_error(errno, "unlink", path);
    return {};
  }

  base::Result<std::unique_ptr<Upload>> create_upload(const std::string& id) override {
    if (auto valid = check_upload_id(id); !valid) return std::move(valid).error();
    std::string path = layout_->upload_path(id);
    int raw = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (raw < 0) {
      if (errno == EEXIST) return make_error(Errc::already_exists, "upload " + id + " already exists");
      return errno_error(errno, "create", path);
    }
    return make_upload(id, base::UniqueFd(raw), oci::Hasher(oci::DigestAlgorithm::sha256), 0);
  }

  base::Result<std::unique_ptr<Upload>> open_upload(const std::string& id) override {
    if (auto valid = check_upload_id(id); !valid) return std::move(valid).error();
    std::string path = layout_->upload_path(id);
    auto fd = open_file(path, O_RDWR);
    if (!fd) {
      if (fd.error().code == Errc::not_found)
        return make_error(Errc::not_found, "upload " + id + " not found");
      return std::move(fd).error();
    }
    // The running hash is not persisted: rebuild it from the bytes on disk.
    oci::Hasher hasher(oci::DigestAlgorithm::sha256);
    auto size = hash_file(fd->get(), hasher, path);
    if (!size) return std::move(size).error();
    return make_upload(id, std::move(fd).value(), std::move(hasher), *size);
  }

  base::Status remove_upload(const std::string& id) override {
    if (auto valid = check_upload_id(id); !valid) return valid;
    std::string path = layout_->upload_path(id);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return errno_error(errno, "unlink", path);
    return {};
  }

  base::Result<std::vector<UploadInfo>> list_uploads() const override {
    auto entries = read_dir(layout_->uploads);
    if (!entries) return std::move(entries).error();
    std::vector<UploadInfo> uploads;
    for (const DirEntry& entry : *entries) {
      if (!is_valid_upload_id(entry.name)) continue;
      std::string path = layout_->upload_path(entry.name);
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) continue;  // finished or removed meanwhile
        return errno_error(errno, "stat", path);
      }
      if (!S_ISREG(st.st_mode)) continue;
      auto since_epoch =
          std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec);
      uploads.push_back({entry.name, static_cast<std::uint64_t>(st.st_size),
                         std::chrono::system_clock::time_point(
                             std::chrono::duration_cast<std::chrono::system_clock::duration>(since_epoch))});
    }
    std::sort(uploads.begin(), uploads.end(),
              [](const UploadInfo& a, const UploadInfo& b) { return a.id < b.id; });
    return uploads;
  }

  base::Result<std::vector<oci::Digest>> list_blobs() const override {
    std::vector<oci::Digest> digests;
    for (oci::DigestAlgorithm algorithm : kAlgorithms) {
      std::string algorithm_dir = layout_->algorithm_dir(algorithm);
      auto shards = read_dir(algorithm_dir);
      if (!shards) {
        if (shards.error().code == Errc::not_found) continue;
        return std::move(shards).error();
      }
      for (const DirEntry& shard : *shards) {
        if (shard.type != DT_DIR || shard.name.size() != 2 || !is_lower_hex(shard.name)) continue;
        auto files = read_dir(algorithm_dir + "/" + shard.name);
        if (!files) {
          if (files.error().code == Errc::not_found) continue;
          return std::move(files).error();
        }
        for (const DirEntry& file : *files) {
          if (file.type != DT_REG || file.name.size() != hex_length(algorithm) ||
              !file.name.starts_with(shard.name) || !is_lower_hex(file.name)) {
            continue;
          }
          auto digest = oci::Digest::parse(std::string(oci::algorithm_name(algorithm)) + ":" + file.name);
          if (digest) digests.push_back(std::move(digest).value());
        }
      }
    }
    std::sort(digests.begin(), digests.end());
    return digests;
  }

  base::Status check() const override {
    for (const std::string* dir : {&layout_->blobs, &layout_->uploads}) {
      struct stat st {};
      if (::stat(dir->c_str(), &st) != 0) return errno_error(errno, "stat", *dir);
      if (!S_ISDIR(st.st_mode)) return make_error(Errc::io_error, *dir + " is not a directory");
      if (::access(dir->c_str(), R_OK | W_OK | X_OK) != 0) return errno_error(errno, "access", *dir);
    }
    // access() answers for permissions only; a read-only or full filesystem shows up here.
    auto name = temp_name("probe-");
    if (!name) return std::move(name).error();
    std::string probe = layout_->upload_path(*name);
    auto fd = open_file(probe, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (!fd) return std::move(fd).error();
    fd->reset();
    if (::unlink(probe.c_str()) != 0) return errno_error(errno, "unlink", probe);
    return {};
  }

 private:
  base::Result<std::unique_ptr<Upload>> make_upload(const std::string& id, base::UniqueFd fd,
                                                    oci::Hasher hasher, std::uint64_t size) const {
    return std::unique_ptr<Upload>(
        std::make_unique<FilesystemUpload>(layout_, id, std::move(fd), std::move(hasher), size));
  }

  static base::Error blob_error(int err, std::string_view what, const oci::Digest& digest,
                                const std::string& path) {
    if (err == ENOENT) return make_error(Errc::not_found, "blob " + digest.str() + " not found");
    return errno_error(err, what, path);
  }

  std::shared_ptr<const Layout> layout_;
};

}  // namespace

base::Result<std::unique_ptr<Store>> open_filesystem_store(const std::string& root) {
  if (root.empty()) return make_error(Errc::invalid_argument, "blob store root is empty");
  std::error_code ec;
  // Absolute, so that a later change of the working directory cannot move the store.
  std::filesystem::path base = std::filesystem::absolute(root, ec);
  if (ec) return make_error(Errc::io_error, "blob store root " + root + ": " + ec.message());
  auto layout = std::make_shared<Layout>();
  layout->blobs = (base / "blobs").lexically_normal().string();
  layout->uploads = (base / "uploads").lexically_normal().string();

  std::vector<std::string> dirs = {layout->uploads};
  for (oci::DigestAlgorithm algorithm : kAlgorithms) dirs.push_back(layout->algorithm_dir(algorithm));
  for (const std::string& dir : dirs) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return make_error(Errc::io_error, "create directory " + dir + ": " + ec.message());
  }
  return std::unique_ptr<Store>(std::make_unique<FilesystemStore>(std::move(layout)));
}

}  // namespace berth::blob
