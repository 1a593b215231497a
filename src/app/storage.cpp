#include "app/storage.h"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "meta/sqlite.h"

namespace berth::app {

base::Result<Storage> open_storage(const std::string& data_dir) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec)
    return base::make_error(base::Errc::io_error,
                            "cannot create data directory " + data_dir + ": " + ec.message());

  Storage storage;
  const std::string lock_path = data_dir + "/lock";
  storage.lock.reset(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!storage.lock.valid())
    return base::make_error(base::Errc::io_error, "cannot open " + lock_path + ": " + std::strerror(errno));
  if (::flock(storage.lock.get(), LOCK_EX | LOCK_NB) != 0)
    return base::make_error(base::Errc::unavailable,
                            "data directory " + data_dir + " is in use by another berth process");

  auto blobs = blob::open_filesystem_store(data_dir);
  if (!blobs) return std::move(blobs).error();
  storage.blobs = std::move(blobs).value();
  auto metadata = meta::open_sqlite(data_dir + "/meta.db");
  if (!metadata) return std::move(metadata).error();
  storage.metadata = std::move(metadata->registry);
  storage.iam = std::move(metadata->iam);
  storage.jobs = std::move(metadata->jobs);
  storage.scans = std::move(metadata->scans);
  storage.labels = std::move(metadata->labels);
  storage.limits = std::move(metadata->limits);
  storage.immutability = std::move(metadata->immutability);
  storage.retention = std::move(metadata->retention);
  storage.replication = std::move(metadata->replication);
  storage.webhooks = std::move(metadata->webhooks);
  return storage;
}

base::Result<SharedStorage> open_beside_server(const std::string& data_dir) {
  const std::filesystem::path meta_db = std::filesystem::path(data_dir) / "meta.db";
  if (!std::filesystem::exists(meta_db))
    return base::make_error(base::Errc::not_found, "no registry in " + data_dir);
  auto metadata = meta::open_sqlite(meta_db.string());
  if (!metadata) return std::move(metadata).error();
  auto blobs = blob::open_filesystem_store(data_dir);
  if (!blobs) return std::move(blobs).error();
  return SharedStorage{std::move(metadata).value(), std::move(blobs).value()};
}

}  // namespace berth::app
