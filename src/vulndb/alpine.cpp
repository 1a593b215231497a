// Alpine secdb (secdb.alpinelinux.org, formerly the alpinelinux/alpine-secdb repository): one
// file per release and repository, `distroversion: v3.18`, `packages[].pkg.{name, secfixes}`
// where secfixes maps a fixed version to the ids it fixes. YAML, or the same document as JSON.
//
// One Affected per (release, package, id): introduced "0", fixed at the highest version listing
// the id (apk ordering), ecosystem "Alpine:v3.18". A fixed version "0" means the release was
// never affected: it gives no row (and is ignored when the id is also listed under a real fix).
// Each secfixes string may hold several ids and notes ("CVE-2018-3646   XSA-273",
// "CVE-2019-15167 (VRRP)"): tokens in parentheses are dropped, ids are CVE-YYYY-N (a suffix
// such as "-1" or ".patch" is cut off; "CVE_" is read as "CVE-") or an upper-case prefix, a
// dash and an alphanumeric rest containing a digit (XSA-273, TALOS-2017-0499, GHSA-..., ZBX-...).
// The secdb has no descriptions: the import gives no Vulnerability rows, only Affected ones.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "vulndb/importers.h"

namespace berth::vulndb {
namespace {

namespace fs = std::filesystem;
using base::Errc;
using base::Result;

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// A token of a secfixes string as an id, or "".
std::string as_id(std::string token) {
  if (token.starts_with("CVE_")) token[3] = '-';
  // Cut trailing punctuation and anything after a character ids do not have.
  auto end =
      std::find_if(token.begin(), token.end(), [](unsigned char c) { return !std::isalnum(c) && c != '-'; });
  token.erase(end, token.end());
  while (!token.empty() && token.back() == '-') token.pop_back();
  if (token.starts_with("CVE-")) {
    // CVE-YYYY-NNNN..., anything after the number cut off.
    std::string_view rest = std::string_view(token).substr(4);
    auto dash = rest.find('-');
    if (dash != 4 || !all_digits(rest.substr(0, 4))) return {};
    std::string_view number = rest.substr(5);
    std::size_t n = 0;
    while (n < number.size() && std::isdigit(static_cast<unsigned char>(number[n]))) ++n;
    if (n < 4) return {};
    return "CVE-" + std::string(rest.substr(0, 4)) + "-" + std::string(number.substr(0, n));
  }
  auto dash = token.find('-');
  if (dash == std::string::npos || dash < 2 || dash + 1 == token.size()) return {};
  const std::string_view prefix = std::string_view(token).substr(0, dash);
  if (!std::all_of(prefix.begin(), prefix.end(),
                   [](unsigned char c) { return std::isupper(c) || std::isdigit(c); }) ||
      !std::isupper(static_cast<unsigned char>(prefix.front())))
    return {};
  const std::string_view rest = std::string_view(token).substr(dash + 1);
  if (!std::any_of(rest.begin(), rest.end(), [](unsigned char c) { return std::isdigit(c); })) return {};
  return token;
}

std::vector<std::string> ids_in(const std::string& text) {
  std::vector<std::string> ids;
  int depth = 0;
  std::istringstream in(text);
  for (std::string token; in >> token;) {
    const int opens = static_cast<int>(std::count(token.begin(), token.end(), '('));
    const int closes = static_cast<int>(std::count(token.begin(), token.end(), ')'));
    const bool in_note = depth > 0 || opens > 0;
    depth = std::max(0, depth + opens - closes);
    if (in_note) continue;
    std::string id = as_id(token);
    if (!id.empty() && std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(std::move(id));
  }
  return ids;
}

// (ecosystem, package, id) -> highest fixed version, in first-seen order.
class Collector {
 public:
  void add(const std::string& ecosystem, const std::string& package, const std::string& id,
           const std::string& fixed) {
    auto key = std::make_tuple(ecosystem, package, id);
    auto it = index_.find(key);
    if (it == index_.end()) {
      index_.emplace(key, rows_.size());
      rows_.push_back({ecosystem, package, id, fixed});
      return;
    }
    auto& row = rows_[it->second];
    if (version::compare(version::Scheme::apk, fixed, row.fixed) > 0) row.fixed = fixed;
  }

  Advisories take() {
    Advisories out;
    for (auto& row : rows_) {
      Affected a;
      a.ecosystem = std::move(row.ecosystem);
      a.package = std::move(row.package);
      a.vuln_id = std::move(row.id);
      Range range;
      range.semver = false;
      range.events.push_back({Event::Kind::introduced, "0"});
      range.events.push_back({Event::Kind::fixed, std::move(row.fixed)});
      a.ranges.push_back(std::move(range));
      out.affected.push_back(std::move(a));
    }
    make_valid_utf8(out);  // YAML passes any byte through
    return out;
  }

 private:
  struct Row {
    std::string ecosystem, package, id, fixed;
  };
  std::vector<Row> rows_;
  std::map<std::tuple<std::string, std::string, std::string>, std::size_t> index_;
};

// One secdb file. `strict`: a file that is not a secdb document is an error.
Result<void> import_file(const fs::path& path, bool strict, Collector& collector) {
  const std::string name = path.string();
  YAML::Node doc;
  try {
    doc = YAML::LoadFile(name);
  } catch (const YAML::BadFile&) {
    return base::make_error(Errc::io_error, "alpine: cannot read " + name);
  } catch (const YAML::Exception& e) {
    return base::make_error(Errc::corrupt, "alpine: " + name + ": invalid YAML: " + e.what());
  }
  if (!doc.IsMap() || !doc["distroversion"] || !doc["distroversion"].IsScalar()) {
    if (strict)
      return base::make_error(Errc::corrupt, "alpine: " + name + ": not a secdb file (no distroversion)");
    return {};
  }
  std::string release = doc["distroversion"].Scalar();
  if (!release.empty() && std::isdigit(static_cast<unsigned char>(release.front()))) release = "v" + release;
  const std::string ecosystem = "Alpine:" + release;
  const YAML::Node packages = doc["packages"];
  if (!packages || packages.IsNull()) return {};
  if (!packages.IsSequence())
    return base::make_error(Errc::corrupt, "alpine: " + name + ": packages is not a list");
  for (const auto& entry : packages) {
    if (!entry.IsMap()) continue;  // operator[] on anything else throws
    const YAML::Node pkg = entry["pkg"];
    if (!pkg || !pkg.IsMap()) continue;
    const YAML::Node pkg_name = pkg["name"];
    const YAML::Node secfixes = pkg["secfixes"];
    if (!pkg_name || !pkg_name.IsScalar() || !secfixes || !secfixes.IsMap()) continue;
    const std::string package = pkg_name.Scalar();
    if (package.empty()) continue;  // "name: !tag" or "name: ''": nothing to file it under
    for (const auto& fix : secfixes) {
      if (!fix.first.IsScalar()) continue;
      const std::string fixed = fix.first.Scalar();
      if (fixed.empty() || fixed == "0") continue;  // never affected
      std::vector<std::string> texts;
      if (fix.second.IsSequence()) {
        for (const auto& item : fix.second) {
          if (item.IsScalar()) texts.push_back(item.Scalar());
        }
      } else if (fix.second.IsScalar()) {
        texts.push_back(fix.second.Scalar());
      }
      for (const auto& text : texts) {
        for (const auto& id : ids_in(text)) collector.add(ecosystem, package, id, fixed);
      }
    }
  }
  return {};
}

}  // namespace

Result<Advisories> import_alpine_secdb(const fs::path& path) {
  Collector collector;
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    if (!fs::exists(path, ec))
      return base::make_error(Errc::not_found, "alpine: no such file: " + path.string());
    if (auto st = import_file(path, true, collector); !st) return std::move(st).error();
    return collector.take();
  }
  std::vector<fs::path> files;
  fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec);
  if (ec)
    return base::make_error(Errc::io_error, "alpine: cannot list " + path.string() + ": " + ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec)
      return base::make_error(Errc::io_error, "alpine: cannot list " + path.string() + ": " + ec.message());
    const std::string name = it->path().filename().string();
    if (name.starts_with(".")) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file(ec) &&
        (name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".json")))
      files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    if (auto st = import_file(file, false, collector); !st) return std::move(st).error();
  }
  return collector.take();
}

}  // namespace berth::vulndb
