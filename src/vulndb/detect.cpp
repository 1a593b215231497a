// Which importer a path needs, from what it holds.
//
// A directory holding distributions.json (or tracker/distributions.json) is the Debian tracker.
// A .zip is OSV. A JSON or YAML document is: an Alpine secdb file with `distroversion`, a rubysec
// advisory with `gem`, a legacy npm advisory with `module_name`, an OSV entry with `id` and
// `affected` or `modified`. Any other directory is judged by the first of its first few
// .json/.yaml/.yml/.zip files (recursively) that is recognised.
#include <yaml-cpp/yaml.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <fstream>
#include <sstream>
#include <string>

#include "vulndb/importers.h"

namespace berth::vulndb {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using base::Errc;
using base::Result;

constexpr int kFilesLooked = 16;  // in a directory, how many candidate files are opened at most
constexpr std::uintmax_t kMaxLooked = 64u << 20;

std::string lower_extension(const fs::path& path) {
  std::string ext = path.extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

bool is_tracker_dir(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "distributions.json", ec);
}

std::optional<Format> format_of_keys(bool has_distroversion, bool has_gem, bool has_module_name, bool has_id,
                                     bool has_affected_or_modified) {
  if (has_distroversion) return Format::alpine_secdb;
  if (has_gem) return Format::rubysec;
  if (has_module_name) return Format::npm_legacy;
  if (has_id && has_affected_or_modified) return Format::osv;
  return std::nullopt;
}

std::optional<Format> format_of_json(const json::value& v) {
  if (v.is_array()) {
    // An array of OSV entries.
    const auto& a = v.get_array();
    if (a.empty()) return std::nullopt;
    auto first = format_of_json(a.front());
    return first == Format::osv ? first : std::nullopt;
  }
  if (!v.is_object()) return std::nullopt;
  const auto& o = v.get_object();
  return format_of_keys(o.contains("distroversion"), o.contains("gem"), o.contains("module_name"),
                        o.contains("id"), o.contains("affected") || o.contains("modified"));
}

std::optional<Format> format_of_yaml(const YAML::Node& doc) {
  if (!doc.IsMap()) return std::nullopt;
  return format_of_keys(bool(doc["distroversion"]), bool(doc["gem"]), bool(doc["module_name"]),
                        bool(doc["id"]), doc["affected"] || doc["modified"]);
}

// The format of one file; an error when it cannot be read or parsed, nothing when it is none
// of the known ones.
Result<std::optional<Format>> format_of_file(const fs::path& path) {
  const std::string ext = lower_extension(path);
  if (ext == ".zip") return std::optional<Format>(Format::osv);
  if (ext != ".json" && ext != ".yaml" && ext != ".yml") return std::optional<Format>();
  if (path.filename() == "distributions.json") return std::optional<Format>(Format::debian_tracker);
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec)
    return base::make_error(Errc::io_error, "vulndb: cannot read " + path.string() + ": " + ec.message());
  if (size > kMaxLooked)
    return base::make_error(Errc::too_large, "vulndb: " + path.string() + " is too large");
  std::ifstream in(path, std::ios::binary);
  if (!in) return base::make_error(Errc::io_error, "vulndb: cannot open " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  if (ext == ".json") {
    boost::system::error_code jec;
    json::value v = json::parse(text.str(), jec);
    if (jec)
      return base::make_error(Errc::corrupt, "vulndb: " + path.string() + ": invalid JSON: " + jec.message());
    return format_of_json(v);
  }
  try {
    return format_of_yaml(YAML::Load(text.str()));
  } catch (const YAML::Exception& e) {
    return base::make_error(Errc::corrupt, "vulndb: " + path.string() + ": invalid YAML: " + e.what());
  }
}

}  // namespace

Result<Format> detect_format(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec))
    return base::make_error(Errc::not_found, "vulndb: no such file: " + path.string());
  if (!fs::is_directory(path, ec)) {
    auto format = format_of_file(path);
    if (!format) return std::move(format).error();
    if (!*format) {
      return base::make_error(Errc::unsupported,
                              "vulndb: " + path.string() + " is in no known advisory format");
    }
    return **format;
  }
  if (is_tracker_dir(path) || is_tracker_dir(path / "tracker")) return Format::debian_tracker;

  int looked = 0;
  fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec);
  if (ec)
    return base::make_error(Errc::io_error, "vulndb: cannot list " + path.string() + ": " + ec.message());
  for (; it != fs::recursive_directory_iterator() && looked < kFilesLooked; it.increment(ec)) {
    if (ec)
      return base::make_error(Errc::io_error, "vulndb: cannot list " + path.string() + ": " + ec.message());
    const std::string name = it->path().filename().string();
    if (name.starts_with(".")) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec)) continue;
    const std::string ext = lower_extension(it->path());
    if (ext != ".json" && ext != ".yaml" && ext != ".yml" && ext != ".zip") continue;
    ++looked;
    auto format = format_of_file(it->path());
    if (format && *format && **format != Format::debian_tracker) return **format;  // unreadable ones: look on
  }
  return base::make_error(Errc::unsupported,
                          "vulndb: found no advisory in a known format in " + path.string());
}

Result<Advisories> import_any(const fs::path& path, Format format) {
  switch (format) {
    case Format::debian_tracker: {
      std::error_code ec;
      if (!fs::is_directory(path, ec) && path.filename() == "distributions.json") {
        return import_debian_tracker(path.parent_path());
      }
      if (!is_tracker_dir(path) && is_tracker_dir(path / "tracker"))
        return import_debian_tracker(path / "tracker");
      return import_debian_tracker(path);
    }
    case Format::alpine_secdb:
      return import_alpine_secdb(path);
    case Format::osv:
      return import_osv(path);
    case Format::rubysec:
      return import_rubysec(path);
    case Format::npm_legacy:
      return import_npm_legacy(path);
  }
  return base::make_error(Errc::invalid_argument, "vulndb: unknown advisory format");
}

}  // namespace berth::vulndb
