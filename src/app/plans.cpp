#include "app/plans.h"

#include <filesystem>
#include <iostream>

#include "meta/sqlite.h"

namespace berth::app {

plan::Catalog plan_catalog(const Config& config) {
  plan::Catalog catalog = plan::Catalog::standard();
  for (auto& limits : catalog.plans) {
    if (limits.name == "S") {
      limits.storage = config.plan_s_storage;
      limits.parallel_requests = config.plan_s_requests;
    } else if (limits.name == "M") {
      limits.storage = config.plan_m_storage;
      limits.parallel_requests = config.plan_m_requests;
    } else if (limits.name == "L") {
      limits.storage = config.plan_l_storage;
      limits.parallel_requests = config.plan_l_requests;
    }
  }
  return catalog;
}

int plan_command(const Config& config, const std::string& action, const std::string& name) {
  const std::string path = (std::filesystem::path(config.data_dir) / "meta.db").string();
  if (!std::filesystem::exists(path)) {
    std::cerr << "admin: no registry in " << config.data_dir << "\n";
    return 2;
  }
  auto metadata = meta::open_sqlite(path);
  if (!metadata) {
    std::cerr << "admin: " << metadata.error().message << "\n";
    return 2;
  }
  const plan::Catalog catalog = plan_catalog(config);
  if (action == "show") {
    auto stored = metadata->limits->get_setting("plan");
    if (!stored) {
      std::cerr << "admin: " << stored.error().message << "\n";
      return 2;
    }
    std::cout << (*stored ? **stored : config.plan) << "\n";
    return 0;
  }
  auto before = plan::store_upgrade(catalog, *metadata->limits, config.plan, name);
  if (!before) {
    std::cerr << "admin: " << before.error().message << "\n";
    return before.error().code == base::Errc::conflict || before.error().code == base::Errc::invalid_argument
               ? 1
               : 2;
  }
  std::cout << "plan " << (*before == name ? "stays " + name : "upgraded from " + *before + " to " + name)
            << " (a running server applies it within a second)\n";
  return 0;
}

}  // namespace berth::app
