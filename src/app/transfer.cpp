// `berth export` (beside a running server, or without one) and `berth import` (server stopped).
#include <filesystem>
#include <iostream>

#include "app/commands.h"
#include "app/storage.h"
#include "backup/backup.h"
#include "layout/layout.h"
#include "registry/registry.h"

namespace berth::app {
namespace {

void print_report(const char* verb, const layout::Report& report) {
  std::cout << verb << " " << report.projects << " project(s), " << report.repositories << " repositories, "
            << report.manifests << " manifests, " << report.blobs << " blob files\n";
}

}  // namespace

int export_command(const Config& config, const std::string& project, const std::string& target) {
  auto storage = open_beside_server(config.data_dir);
  if (!storage) {
    std::cerr << "export: " << storage.error().message << "\n";
    return 2;
  }
  meta::SqliteMetadata& metadata = storage->metadata;
  // As a backup does: garbage collection keeps every blob while the files are written.
  backup::GcHold hold(*metadata.registry, "export " + target);
  if (auto s = hold.renew(); !s) {
    std::cerr << "export: " << s.error().message << "\n";
    return 2;
  }
  layout::Catalog catalog{*metadata.registry,
                          *metadata.iam,
                          *metadata.limits,
                          *metadata.immutability,
                          *metadata.retention,
                          [](const std::string& line) { std::cout << "export: " << line << "\n"; },
                          [&hold] { return hold.renew(); }};
  catalog.labels = metadata.labels.get();
  catalog.webhooks = metadata.webhooks.get();
  auto report = layout::export_projects(catalog, *storage->blobs, project, target);
  if (!report) {
    std::cerr << "export: " << report.error().message << "\n";
    return report.error().code == base::Errc::not_found || report.error().code == base::Errc::already_exists
               ? 1
               : 2;
  }
  print_report("exported", *report);
  return 0;
}

int import_command(const Config& config, const std::string& source) {
  auto storage = open_storage(config.data_dir);
  if (!storage) {
    std::cerr << "import: " << storage.error().message << "\n";
    return 2;
  }
  registry::Registry registry(*storage->blobs, *storage->metadata, registry::Options{});
  if (auto s = registry.recover(); !s) {
    std::cerr << "import: recovery failed: " << s.error().message << "\n";
    return 2;
  }
  auto admin = storage->iam->find_user("admin");
  if (!admin || !*admin) {
    std::cerr << "import: the registry has no admin user yet (start it once first)\n";
    return 2;
  }
  layout::Catalog catalog{*storage->metadata,
                          *storage->iam,
                          *storage->limits,
                          *storage->immutability,
                          *storage->retention,
                          [](const std::string& line) { std::cout << "import: " << line << "\n"; },
                          {}};
  catalog.labels = storage->labels.get();
  catalog.webhooks = storage->webhooks.get();
  auto report = layout::import_projects(catalog, registry, (*admin)->id, source);
  if (!report) {
    std::cerr << "import: " << report.error().message << "\n";
    return report.error().code == base::Errc::io_error || report.error().code == base::Errc::internal ? 2 : 1;
  }
  print_report("imported", *report);
  return 0;
}

}  // namespace berth::app
