// `berth scan` and `berth vulndb`: scanning images kept outside the registry, and managing
// the vulnerability database, from the command line.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/commands.h"
#include "image/archive.h"
#include "scan/formats.h"
#include "scan/scanner.h"
#include "vulndb/importers.h"
#include "vulndb/sources.h"

namespace berth::app {
namespace fs = std::filesystem;

namespace {

// Reads "codename<TAB>package<TAB>version..." lines (extra columns are more versions), the
// Sources versions a Debian tracker import compares sid fixes with.
base::Result<std::vector<vulndb::SourceVersion>> read_source_versions(const std::string& file) {
  std::ifstream in(file);
  if (!in) return base::make_error(base::Errc::io_error, "cannot read " + file);
  std::vector<vulndb::SourceVersion> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> fields;
    std::stringstream ss(line);
    std::string field;
    while (std::getline(ss, field, '\t')) fields.push_back(field);
    if (fields.size() < 3) {
      return base::make_error(base::Errc::invalid_argument,
                              file + ": expected codename, package and version separated by tabs: " + line);
    }
    for (std::size_t i = 2; i < fields.size(); ++i) {
      if (!fields[i].empty()) out.push_back({fields[0], fields[1], fields[i]});
    }
  }
  return out;
}

base::Result<vulndb::Format> parse_format(const std::string& name, const fs::path& path) {
  if (name.empty()) return vulndb::detect_format(path);
  if (name == "debian") return vulndb::Format::debian_tracker;
  if (name == "alpine") return vulndb::Format::alpine_secdb;
  if (name == "osv") return vulndb::Format::osv;
  if (name == "rubysec") return vulndb::Format::rubysec;
  if (name == "npm") return vulndb::Format::npm_legacy;
  return base::make_error(base::Errc::invalid_argument,
                          "unknown format '" + name + "' (expected debian, alpine, osv, rubysec or npm)");
}

// What to scan: an OCI layout directory, an image archive, or a root filesystem directory.
struct Target {
  std::vector<image::LocalImage> images;  // empty for a directory scan
  bool directory = false;
};

base::Result<Target> open_target(const fs::path& path) {
  std::error_code ec;
  Target target;
  if (fs::is_directory(path, ec)) {
    if (fs::exists(path / "oci-layout", ec)) {
      auto images = image::open_oci_layout(path);
      if (!images) return std::move(images).error();
      target.images = std::move(*images);
      return target;
    }
    target.directory = true;
    return target;
  }
  if (!fs::is_regular_file(path, ec)) {
    return base::make_error(base::Errc::not_found, path.string() + ": no such file or directory");
  }
  auto images = image::open_image_archive(path);
  if (!images) return std::move(images).error();
  target.images = std::move(*images);
  return target;
}

std::string render(const std::string& format, const scan::Report& report, const scan::Subject& subject) {
  scan::Tool tool;
  tool.version = BERTH_VERSION;
  if (format == "json") return scan::harbor_report(report, subject, tool) + "\n";
  if (format == "cyclonedx") return scan::cyclonedx(report.inventory, subject, tool) + "\n";
  if (format == "spdx") return scan::spdx(report.inventory, subject, tool) + "\n";
  return scan::format_table(report, subject);
}

}  // namespace

int vulndb_import(const Config& config, const VulndbImportRequest& request) {
  if (request.path.starts_with("http://") || request.path.starts_with("https://")) {
    // A URL: downloaded (and unpacked) below the data directory, then imported as the source
    // of that name, exactly as the server's configured sources are.
    std::error_code ec;
    const fs::path work = fs::path(config.data_dir) / "tmp";
    fs::create_directories(work, ec);
    auto db = vulndb::Database::open(vulndb_file(config));
    if (!db) {
      std::cerr << "berth vulndb import: " << db.error().message << "\n";
      return 2;
    }
    auto change = vulndb::update_from(**db, request.path, work);
    if (!change) {
      std::cerr << "berth vulndb import: " << change.error().message << "\n";
      return 1;
    }
    std::cout << "imported " << request.path << ": " << change->added << " added, " << change->changed
              << " changed, " << change->removed << " removed; database version " << change->version << "\n";
    return 0;
  }
  const fs::path path = request.path;
  auto format = parse_format(request.format, path);
  if (!format) {
    std::cerr << "berth vulndb import: " << format.error().message << "\n";
    return 2;
  }
  base::Result<vulndb::Advisories> advisories = base::make_error(base::Errc::internal, "not read");
  if (*format == vulndb::Format::debian_tracker && !request.debian_sources.empty()) {
    auto sources = read_source_versions(request.debian_sources);
    if (!sources) {
      std::cerr << "berth vulndb import: " << sources.error().message << "\n";
      return 2;
    }
    advisories = vulndb::import_debian_tracker(path, *sources);
  } else {
    advisories = vulndb::import_any(path, *format);
  }
  if (!advisories) {
    std::cerr << "berth vulndb import: " << advisories.error().message << "\n";
    return 1;
  }
  std::error_code ec;
  fs::create_directories(fs::path(vulndb_file(config)).parent_path(), ec);
  auto db = vulndb::Database::open(vulndb_file(config));
  if (!db) {
    std::cerr << "berth vulndb import: " << db.error().message << "\n";
    return 2;
  }
  const std::string location = fs::absolute(path, ec).lexically_normal().string();
  const std::string name = request.source.empty() ? location : request.source;
  auto change = (*db)->import(name, location, *advisories);
  if (!change) {
    std::cerr << "berth vulndb import: " << change.error().message << "\n";
    return 1;
  }
  std::cout << "imported " << advisories->affected.size() << " package advisories ("
            << advisories->vulnerabilities.size() << " vulnerabilities) as source " << name << ": "
            << change->added << " added, " << change->changed << " changed, " << change->removed
            << " removed; database version " << change->version << "\n";
  return 0;
}

int vulndb_info(const Config& config) {
  auto db = vulndb::Database::open(vulndb_file(config));
  if (!db) {
    std::cerr << "berth vulndb info: " << db.error().message << "\n";
    return 2;
  }
  auto info = (*db)->info();
  if (!info) {
    std::cerr << "berth vulndb info: " << info.error().message << "\n";
    return 2;
  }
  std::cout << "database " << vulndb_file(config) << " version " << info->version << "\n";
  for (const auto& s : info->sources) {
    std::cout << "  " << s.name << ": " << s.affected_rows << " package advisories, " << s.vulnerabilities
              << " vulnerabilities (from " << s.location << ")\n";
  }
  return 0;
}

int scan_command(const Config& config, const ScanRequest& request) {
  const std::string& format = request.format;
  if (format != "table" && format != "json" && format != "cyclonedx" && format != "spdx") {
    std::cerr << "berth scan: unknown format '" << format << "' (expected table, json, cyclonedx or spdx)\n";
    return 2;
  }
  auto target = open_target(request.target);
  if (!target) {
    std::cerr << "berth scan: " << target.error().message << "\n";
    return 2;
  }
  auto db = vulndb::Database::open(vulndb_file(config));
  if (!db) {
    std::cerr << "berth scan: " << db.error().message << "\n";
    return 2;
  }
  // Each image of the target (one per platform of an index), or the directory itself.
  struct Scanned {
    scan::Subject subject;
    base::Result<inventory::Inventory> inventory;
  };
  std::vector<Scanned> scanned;
  if (target->directory) {
    scanned.push_back({{request.target, "", ""}, scan::inventory_of_directory(request.target)});
  } else {
    for (const auto& img : target->images) {
      std::string name = img.name.empty() ? request.target : img.name;
      if (!img.platform.empty()) name += " (" + img.platform + ")";
      scanned.push_back({{name, "", ""}, scan::inventory_of_layers(img.layers)});
    }
  }
  int worst = 0;
  for (auto& s : scanned) {
    if (!s.inventory) {
      std::cerr << "berth scan: " << s.subject.name << ": " << s.inventory.error().message << "\n";
      worst = 1;
      continue;
    }
    auto report = scan::assess(std::move(*s.inventory), **db);
    if (!report) {
      std::cerr << "berth scan: " << report.error().message << "\n";
      return 2;
    }
    std::cout << render(format, *report, s.subject);
  }
  return worst;
}

}  // namespace berth::app
