// replication::Side: one end of a replication, this registry or another one, seen through the
// few operations copying artifacts needs. local_side.cpp serves it from registry::Registry;
// remote_side.cpp from remote::RegistryClient. The copier (copier.h) only talks to Sides, so
// push and pull are the same code with the ends swapped.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace berth::replication {

struct Manifest {
  std::string digest;
  std::string media_type;
  std::string bytes;
};

// A blob being written at a destination: it may resume after a broken transfer.
class BlobWriter {
 public:
  virtual ~BlobWriter() = default;
  // Bytes the destination holds.
  virtual std::uint64_t offset() const = 0;
  // Appends at offset().
  virtual base::Status write(std::string_view data) = 0;
  // After a failed write: asks the destination how much it holds (offset() moves to that).
  // Errors: not_found (the upload is gone: start again).
  virtual base::Status resume() = 0;
  // Completes the blob, sending `last` with it.
  virtual base::Status finish(const std::string& digest, std::string_view last) = 0;
};

class Side {
 public:
  virtual ~Side() = default;
  // For logs: "local" or the registry's URL.
  virtual std::string name() const = 0;

  virtual base::Result<std::vector<std::string>> repositories() = 0;
  // A repository that does not exist has no tags.
  virtual base::Result<std::vector<std::string>> tags(const std::string& repository) = 0;
  // The digest a tag or digest names now; nullopt when absent.
  virtual base::Result<std::optional<std::string>> resolve(const std::string& repository,
                                                           const std::string& reference) = 0;
  virtual base::Result<Manifest> manifest(const std::string& repository, const std::string& reference) = 0;
  virtual base::Status put_manifest(const std::string& repository, const std::string& reference,
                                    const Manifest& manifest) = 0;
  virtual base::Status delete_manifest(const std::string& repository, const std::string& digest) = 0;
  // Digests of the manifests whose subject is `digest` (OCI referrers); none where the
  // registry does not answer the referrers API.
  virtual base::Result<std::vector<std::string>> referrers(const std::string& repository,
                                                           const std::string& digest) = 0;
  // Labels of an artifact (only this registry has them).
  virtual base::Result<std::vector<std::string>> labels(const std::string& repository,
                                                        const std::string& digest) = 0;

  virtual base::Result<bool> has_blob(const std::string& repository, const std::string& digest) = 0;
  // Up to `length` bytes of a blob from `offset`.
  virtual base::Result<std::string> read_blob(const std::string& repository, const std::string& digest,
                                              std::uint64_t offset, std::uint64_t length) = 0;
  // Starts writing blob `digest` into `repository`, first trying to mount it from
  // `mount_from` (a repository of the same side); nullptr when the mount did it.
  virtual base::Result<std::unique_ptr<BlobWriter>> write_blob(const std::string& repository,
                                                               const std::string& digest,
                                                               const std::string& mount_from) = 0;
  // Makes sure the repository's namespace (a Harbor project) exists where that matters.
  virtual base::Status prepare_namespace(const std::string& repository) = 0;
};

}  // namespace berth::replication
