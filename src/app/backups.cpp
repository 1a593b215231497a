// `berth backup DIR` (beside a running server, or without one) and `berth restore DIR`
// (onto an empty data directory).
#include <filesystem>
#include <iostream>

#include "app/commands.h"
#include "app/storage.h"
#include "backup/backup.h"
#include "registry/registry.h"

namespace berth::app {

int backup_command(const Config& config, const std::string& target) {
  // No lock: a backup runs beside the server; its hold keeps garbage collection, here or in
  // the server, from deleting what it copies.
  auto storage = open_beside_server(config.data_dir);
  if (!storage) {
    std::cerr << "backup: " << storage.error().message << "\n";
    return 2;
  }
  backup::Sources sources{*storage->metadata.registry, *storage->blobs,
                          std::filesystem::path(config.data_dir) / "keys", BERTH_VERSION,
                          [](const std::string& line) { std::cout << "backup: " << line << "\n"; }};
  auto taken = backup::take(sources, target);
  if (!taken) {
    std::cerr << "backup: " << taken.error().message << "\n";
    return taken.error().code == base::Errc::already_exists ? 1 : 2;
  }
  return 0;
}

int restore_command(const Config& config, const std::string& source) {
  auto restore = backup::begin_restore(source, config.data_dir);
  if (!restore) {
    std::cerr << "restore: " << restore.error().message << "\n";
    return restore.error().code == base::Errc::io_error ? 2 : 1;
  }
  auto fail = [&](const std::string& message) {
    std::error_code ec;
    std::filesystem::remove_all(restore->staging, ec);
    std::cerr << "restore: " << message << "\n";
    return 2;
  };
  {
    auto storage = open_storage(restore->staging.string());
    if (!storage) return fail(storage.error().message);
    auto from = blob::open_filesystem_store(source);
    if (!from) return fail(from.error().message);
    if (auto s = backup::restore_blobs(*restore, **from, *storage->metadata, *storage->blobs); !s)
      return fail(s.error().message);
    // What a start does: the doomed marks and pending commits the copy caught are settled.
    registry::Registry registry(*storage->blobs, *storage->metadata, registry::Options{});
    if (auto s = registry.recover(); !s) return fail(s.error().message);
  }
  if (auto s = backup::finish_restore(*restore); !s) return fail(s.error().message);
  std::cout << "restore: " << restore->summary.name << " (" << restore->summary.blobs << " blobs, "
            << restore->summary.bytes << " bytes) restored into " << config.data_dir << "\n";
  return 0;
}

}  // namespace berth::app
