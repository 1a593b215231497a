#include "scan/scanner.h"

#include <chrono>

#include "base/time.h"

namespace berth::scan {
using base::Result;

Result<inventory::Inventory> inventory_of_layers(std::span<const image::Layer> layers,
                                                 const image::Limits& limits) {
  auto snapshot = image::read_layers(layers, inventory::selector(), limits);
  if (!snapshot) return std::move(snapshot).error();
  return inventory::analyze(*snapshot);
}

Result<inventory::Inventory> inventory_of_directory(const std::filesystem::path& root,
                                                    const image::Limits& limits) {
  auto snapshot = image::read_directory(root, inventory::selector(), limits);
  if (!snapshot) return std::move(snapshot).error();
  return inventory::analyze(*snapshot);
}

Result<Report> assess(inventory::Inventory inventory, vulndb::Database& db) {
  Report report;
  auto info = db.info();
  if (!info) return std::move(info).error();
  report.db_version = info->version;
  report.inventory = std::move(inventory);
  auto findings = vulndb::match(db, report.inventory);
  if (!findings) return std::move(findings).error();
  report.findings = std::move(*findings);
  for (const auto& f : report.findings) {
    if (report.details.count(f.vuln_id) != 0) continue;
    auto details = db.vulnerability(f.vuln_id);
    if (!details) return std::move(details).error();
    vulndb::Vulnerability v;
    if (*details) {
      v = std::move(**details);
    } else {
      v.id = f.vuln_id;
    }
    report.details.emplace(f.vuln_id, std::move(v));
  }
  report.generated_at = base::format_rfc3339_millis(std::chrono::system_clock::now());
  return report;
}

std::optional<vulndb::Severity> highest_severity(const Report& report) {
  std::optional<vulndb::Severity> highest;
  for (const auto& f : report.findings) {
    if (!highest || f.severity > *highest) highest = f.severity;
  }
  return highest;
}

std::map<vulndb::Severity, int> count_by_severity(const Report& report) {
  std::map<vulndb::Severity, int> counts;
  for (const auto& f : report.findings) ++counts[f.severity];
  return counts;
}

}  // namespace berth::scan
