// `berth fsck` and `berth gc`: offline checks and clean-up of a data directory.
#include <iostream>
#include <set>

#include "app/commands.h"
#include "app/storage.h"
#include "base/log.h"
#include "registry/registry.h"

namespace berth::app {

int fsck(const Config& config) {
  auto storage = open_storage(config.data_dir);
  if (!storage) {
    std::cerr << "fsck: " << storage.error().message << "\n";
    return 2;
  }
  registry::Registry registry(*storage->blobs, *storage->metadata, registry::Options{});
  if (auto recovered = registry.recover(); !recovered) {
    std::cerr << "fsck: recovery failed: " << recovered.error().message << "\n";
    return 2;
  }
  int problems = 0;
  if (auto intact = storage->metadata->integrity_check(); !intact) {
    std::cout << "metadata integrity check failed: " << intact.error().message << "\n";
    ++problems;
  }
  auto files = storage->blobs->list_blobs();
  auto rows = storage->metadata->all_blobs();
  if (!files || !rows) {
    std::cerr << "fsck: cannot list blobs: " << (files ? rows.error().message : files.error().message)
              << "\n";
    return 2;
  }
  std::set<std::string> on_disk;
  for (const auto& digest : *files) on_disk.insert(digest.str());
  std::set<std::string> recorded;
  for (const auto& [digest, size] : *rows) {
    recorded.insert(digest);
    if (!on_disk.contains(digest)) {
      std::cout << "row without blob: " << digest << "\n";
      ++problems;
      continue;
    }
    auto parsed = oci::Digest::parse(digest);
    auto actual = parsed ? storage->blobs->stat(*parsed) : base::Result<std::uint64_t>(parsed.error());
    if (!actual || *actual != static_cast<std::uint64_t>(size)) {
      std::cout << "size mismatch: " << digest << " recorded " << size << "\n";
      ++problems;
    }
  }
  for (const auto& digest : on_disk) {
    if (!recorded.contains(digest)) {
      std::cout << "blob without row: " << digest << "\n";
      ++problems;
    }
  }
  auto usage = storage->metadata->verify_usage();
  if (!usage) {
    std::cerr << "fsck: cannot check the storage usage: " << usage.error().message << "\n";
    return 2;
  }
  for (const auto& line : *usage) {
    std::cout << "usage: " << line << "\n";
    ++problems;
  }
  std::cout << "fsck: " << on_disk.size() << " blobs, " << recorded.size() << " rows, " << problems
            << " problem(s)\n";
  return problems == 0 ? 0 : 1;
}

int garbage_collect(const Config& config, const GcRequest& request) {
  auto storage = open_storage(config.data_dir);
  if (!storage) {
    std::cerr << "gc: " << storage.error().message << "\n";
    return 2;
  }
  registry::Registry registry(*storage->blobs, *storage->metadata, registry::Options{});
  if (auto recovered = registry.recover(); !recovered) {
    std::cerr << "gc: recovery failed: " << recovered.error().message << "\n";
    return 2;
  }
  registry::GcOptions options;
  options.grace = request.grace.value_or(config.gc_grace);
  options.delete_untagged = request.delete_untagged;
  options.dry_run = request.dry_run;
  options.workers = request.workers;
  options.upload_max_age = config.upload_max_age;
  options.log = [](const std::string& line) { std::cout << "gc: " << line << "\n"; };
  auto report = registry.collect_garbage(options);
  if (!report) {
    std::cerr << "gc: " << report.error().message << "\n";
    return 2;
  }
  return 0;
}

}  // namespace berth::app
