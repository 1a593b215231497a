// blob::Store: the content-addressed store of blob bytes (layers, configs, manifests).
// Back ends (filesystem now, S3 later) differ only behind this interface. The store
// knows nothing of repositories: which repository may read a blob is metadata.
//
// Thread-safety: every method may be called from any thread concurrently. One upload
// is written by one caller at a time (the registry serializes access per upload).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "oci/digest.h"

namespace berth::blob {

// An open blob ready to be sent. For the filesystem back end `fd` is a readable file
// descriptor (sendfile-able) and `size` its length.
struct BlobReader {
  base::UniqueFd fd;
  std::uint64_t size = 0;
};

// An in-progress upload. Bytes are hashed (sha256) as they are appended; the
// partial content is durable enough to resume after a restart (the hash state is
// rebuilt from the bytes on disk when an upload is reopened).
class Upload {
 public:
  virtual ~Upload() = default;
  virtual const std::string& id() const = 0;
  // Bytes written so far.
  virtual std::uint64_t size() const = 0;
  // Appends bytes at the end. Errors: io_error.
  virtual base::Status append(std::string_view data) = 0;
  // Verifies that the content hashes to `expected` (sha256 from the running hash,
  // sha512 by re-reading), fsyncs it, and moves it into place as blob `expected`
  // (if the blob already exists the upload is discarded instead). On success the
  // upload is gone. Errors: invalid_argument (digest mismatch; the upload data is then
  // deleted), io_error.
  virtual base::Status commit(const oci::Digest& expected) = 0;
};

struct UploadInfo {
  std::string id;
  std::uint64_t size = 0;
  std::chrono::system_clock::time_point modified;
};

class Store {
 public:
  virtual ~Store() = default;

  // Size of a stored blob. Errors: not_found.
  virtual base::Result<std::uint64_t> stat(const oci::Digest& digest) const = 0;
  // Opens a stored blob for reading. Errors: not_found, io_error.
  virtual base::Result<BlobReader> open(const oci::Digest& digest) const = 0;
  // Reads a whole (small) blob into memory, e.g. a manifest. Errors: not_found, io_error.
  virtual base::Result<std::string> read_all(const oci::Digest& digest) const = 0;
  // Stores `data` as a blob atomically (temp file, fsync, rename) and returns its digest.
  virtual base::Result<oci::Digest> put(std::string_view data,
                                        oci::DigestAlgorithm algorithm = oci::DigestAlgorithm::sha256) = 0;
  // Stores blob `digest` in `target` too: as a hard link when both are filesystem stores on one
  // device (blobs never change in place), else as a copy that `target` verifies. Not synced:
  // the caller makes the target durable when it is done (backups do it once, with syncfs).
  // Errors: not_found, io_error, invalid_argument (the content does not match the digest).
  virtual base::Status copy_to(const oci::Digest& digest, Store& target) const = 0;
  // Writes blob `digest` as the new file `path` (a hard link where it can, else a copy written
  // beside it and renamed). Not synced. Errors: not_found, already_exists, io_error.
  virtual base::Status export_file(const oci::Digest& digest, const std::string& path) const = 0;
  // Removes a stored blob; removing a missing blob succeeds.
  virtual base::Status remove(const oci::Digest& digest) = 0;

  // Starts a new upload with the given id (a UUID chosen by the caller).
  virtual base::Result<std::unique_ptr<Upload>> create_upload(const std::string& id) = 0;
  // Reopens an upload written earlier (possibly by a previous process). Errors: not_found.
  virtual base::Result<std::unique_ptr<Upload>> open_upload(const std::string& id) = 0;
  // Deletes an upload's data; deleting a missing upload succeeds.
  virtual base::Status remove_upload(const std::string& id) = 0;
  // Lists uploads in progress (for purging abandoned ones).
  virtual base::Result<std::vector<UploadInfo>> list_uploads() const = 0;
  // Lists every stored blob digest (for fsck / garbage collection).
  virtual base::Result<std::vector<oci::Digest>> list_blobs() const = 0;
  // True if the store can be written and read now (for /healthz).
  virtual base::Status check() const = 0;
};

// The filesystem back end, rooted at `root` (blobs under root/blobs, uploads under
// root/uploads). Creates the directories if needed. Errors: io_error.
base::Result<std::unique_ptr<Store>> open_filesystem_store(const std::string& root);

}  // namespace berth::blob
