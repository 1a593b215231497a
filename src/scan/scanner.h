// Scanning: an image's layers (or a root filesystem) → what is installed → which known
// vulnerabilities it has. Reads layers as a stream (image::read_layers), never extracting.
#pragma once

#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "image/layers.h"
#include "inventory/inventory.h"
#include "vulndb/database.h"
#include "vulndb/match.h"

namespace berth::scan {

struct Report {
  inventory::Inventory inventory;
  std::vector<vulndb::Finding> findings;
  std::map<std::string, vulndb::Vulnerability> details;  // by vulnerability id, for every finding
  std::int64_t db_version = 0;
  std::string generated_at;  // RFC 3339
};

// What is installed in an image, from its layers bottom to top.
base::Result<inventory::Inventory> inventory_of_layers(std::span<const image::Layer> layers,
                                                       const image::Limits& limits = {});
// The same for an unpacked root filesystem.
base::Result<inventory::Inventory> inventory_of_directory(const std::filesystem::path& root,
                                                          const image::Limits& limits = {});

// Matches an inventory against the database (also used to refresh a stored report without
// reading the layers again).
base::Result<Report> assess(inventory::Inventory inventory, vulndb::Database& db);

// The highest severity among the findings; nothing when there are none.
std::optional<vulndb::Severity> highest_severity(const Report& report);

// Counts of findings by severity.
std::map<vulndb::Severity, int> count_by_severity(const Report& report);

}  // namespace berth::scan
