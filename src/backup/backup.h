// Backups of a whole registry, taken while it serves, and their restore onto an empty data
// directory. A backup is a directory laid out like a data directory:
//   meta.db       a consistent copy of the metadata (one moment's view, no WAL beside it)
//   blobs/...     every blob that copy records (hard links where the backup shares the
//                 data directory's file system, else copies)
//   keys/         the token-signing keys
//   backup.json   written last: a directory without it is not a backup
// It is built under a hidden name beside its final one and renamed when complete, so a crash
// leaves no half-written backup that looks whole.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "base/result.h"
#include "blob/store.h"
#include "meta/database.h"

namespace berth::backup {

// What backup.json says.
struct Summary {
  std::string name;  // the directory's name
  std::chrono::system_clock::time_point created;
  std::string berth_version;
  std::uint64_t blobs = 0;
  std::uint64_t bytes = 0;
};

struct Sources {
  meta::Database& metadata;
  const blob::Store& blobs;
  std::filesystem::path keys_dir;  // copied if it exists
  std::string berth_version;
  std::function<void(const std::string&)> log;  // progress lines (optional)
};

// Keeps garbage collection from deleting any blob while alive (meta::Database::hold_blobs under
// `holder`, for 5 minutes at a time): call renew() as the work goes on (it writes at most every
// 30 s). Released when destroyed; a holder that dies leaves its hold to expire.
class GcHold {
 public:
  GcHold(meta::Database& metadata, std::string holder) : metadata_(metadata), holder_(std::move(holder)) {}
  GcHold(const GcHold&) = delete;
  GcHold& operator=(const GcHold&) = delete;
  ~GcHold();
  base::Status renew();

 private:
  meta::Database& metadata_;
  std::string holder_;
  bool held_ = false;
  std::chrono::system_clock::time_point renewed_{};
};

// Takes a backup into `target`, which must not exist. While it copies blob files it holds
// garbage collection off (meta::Database::hold_blobs, renewed as it goes), so that no blob the
// copied metadata records is deleted under it. Errors: already_exists, io_error, and the
// metadata's.
base::Result<Summary> take(const Sources& sources, const std::filesystem::path& target);

// Reads `dir`/backup.json. Errors: not_found (not a backup), corrupt.
base::Result<Summary> read_summary(const std::filesystem::path& dir);

// The backups directly under `dir` (complete ones only), oldest first.
base::Result<std::vector<Summary>> list(const std::filesystem::path& dir);

// Deletes the oldest backups under `dir` until `keep` are left, and any leftovers of
// interrupted ones. Returns the names deleted.
base::Result<std::vector<std::string>> prune(const std::filesystem::path& dir, std::size_t keep);

// A restore in progress: built in a hidden directory beside `data_dir` and renamed to it once
// complete, so that a crash never leaves a half-restored data directory.
struct Restore {
  Summary summary;
  std::filesystem::path staging;  // open it as a data directory (lock, metadata migrations)
  std::filesystem::path data_dir;
};

// Checks that `source` is a complete backup and `data_dir` empty or absent, and copies the
// metadata and keys into the staging directory. Errors: not_found (no backup there),
// already_exists (data_dir is not empty), unsupported (a newer format), io_error.
base::Result<Restore> begin_restore(const std::filesystem::path& source,
                                    const std::filesystem::path& data_dir);

// Places every blob the restored metadata records in `target` (the staging directory's
// store) from the backup's store `source`, and drops the backup's hold on garbage collection.
// Errors: corrupt (a blob is missing from the backup), io_error.
base::Status restore_blobs(const Restore& restore, const blob::Store& source, meta::Database& metadata,
                           blob::Store& target);

// Makes the staging directory durable and renames it to the data directory (after the caller
// closed it). Errors: io_error.
base::Status finish_restore(const Restore& restore);

}  // namespace berth::backup
