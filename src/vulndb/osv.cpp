// OSV importer (https://ossf.github.io/osv-schema/): JSON or YAML files, directories of them,
// and the per-ecosystem .zip archives OSV publishes (read entry by entry with libarchive).
//
// Per entry: withdrawn entries are left out; each affected[] with a package gives one Affected
// (ECOSYSTEM and SEMVER ranges kept, GIT ranges dropped; an affected[] left with neither ranges
// nor versions is not usable and dropped); an entry with no usable affected[] is left out
// whole. The Vulnerability's aliases are aliases + related + upstream (AlmaLinux puts the CVE of
// an ALSA in related). Its severity is rated from the CVSS v4 score when the entry has a CVSS_V4
// vector, else from the CVSS v3 one (v4 is the newer assessment where a source gives both), else
// from database_specific.severity ("HIGH", "MODERATE", ...), else (AlmaLinux and Rocky Linux
// advisories, which carry no CVSS) from the Red Hat rating that starts their summary
// ("Important: ...").
//
// Errors: a file (or zip entry) that cannot be parsed fails the whole import with Errc::corrupt
// naming it: importing a source partially without saying so would leave the database silently
// incomplete. In a directory or zip, files that parse but are not OSV entries (no "id", or
// neither "affected" nor "modified") are skipped; a single file given directly must be one.
#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "base/yaml.h"
#include "vulndb/importers.h"

namespace berth::vulndb {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using base::Errc;
using base::Result;

constexpr std::size_t kMaxDocument = 64u << 20;  // one advisory file; real ones are kilobytes

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool has_extension(const std::string& name, std::initializer_list<std::string_view> exts) {
  const std::string l = lower(name);
  return std::any_of(exts.begin(), exts.end(), [&](std::string_view e) { return l.ends_with(e); });
}

bool is_yaml_name(const std::string& name) {
  return has_extension(name, {".yaml", ".yml"});
}
bool is_document_name(const std::string& name) {
  return has_extension(name, {".json", ".yaml", ".yml"});
}

Result<std::string> read_file(const fs::path& path) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (ec) return base::make_error(Errc::io_error, "osv: cannot read " + path.string() + ": " + ec.message());
  if (size > kMaxDocument)
    return base::make_error(Errc::too_large, "osv: " + path.string() + " is too large");
  std::ifstream in(path, std::ios::binary);
  if (!in) return base::make_error(Errc::io_error, "osv: cannot open " + path.string());
  std::string text(size, '\0');
  in.read(text.data(), static_cast<std::streamsize>(size));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return text;
}

Result<json::value> parse_document(const std::string& text, const std::string& name) {
  if (is_yaml_name(name)) {
    // Every scalar a string: OSV has no numeric field that is read.
    auto value = base::parse_yaml(text, base::YamlScalars::strings);
    if (!value) return base::make_error(Errc::corrupt, "osv: " + name + ": " + value.error().message);
    return value;
  }
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return base::make_error(Errc::corrupt, "osv: " + name + ": invalid JSON: " + ec.message());
  return v;
}

std::string str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return {};
  return std::string(v->get_string());
}

const json::object* obj(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_object() ? &v->get_object() : nullptr;
}

const json::array* arr(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_array() ? &v->get_array() : nullptr;
}

void append_strings(const json::object& o, std::string_view key, std::vector<std::string>& out) {
  if (const auto* a = arr(o, key)) {
    for (const auto& item : *a) {
      if (item.is_string() && !item.get_string().empty()) out.emplace_back(item.get_string());
    }
  }
}

bool is_osv_entry(const json::value& v) {
  if (!v.is_object()) return false;
  const auto& o = v.get_object();
  const auto* id = o.if_contains("id");
  return id != nullptr && id->is_string() && !id->get_string().empty() &&
         (o.contains("affected") || o.contains("modified"));
}

// PEP 503: lowercase, runs of '-', '_' and '.' become one '-'.
std::string pep503(std::string_view name) {
  std::string out;
  bool in_run = false;
  for (char c : name) {
    if (c == '-' || c == '_' || c == '.') {
      if (!in_run) out.push_back('-');
      in_run = true;
    } else {
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
      in_run = false;
    }
  }
  return out;
}

// Ubuntu's OSV ecosystems carry the support tier after the release ("Ubuntu:22.04:LTS",
// "Ubuntu:Pro:18.04:LTS"); Berth files a package under "Ubuntu:<release>" alone, as its
// os-release gives it.
std::string release_ecosystem(const std::string& ecosystem) {
  if (!ecosystem.starts_with("Ubuntu:")) return ecosystem;
  std::string rest = ecosystem.substr(7);
  if (rest.starts_with("Pro:")) rest = rest.substr(4);
  if (rest.starts_with("FIPS:") || rest.starts_with("FIPS-updates:")) rest = rest.substr(rest.find(':') + 1);
  return "Ubuntu:" + rest.substr(0, rest.find(':'));
}

// "HIGH" in ecosystem_specific or database_specific of an affected[] entry.
std::string package_severity(const json::object& affected) {
  for (const char* key : {"ecosystem_specific", "database_specific"}) {
    if (const auto* o = obj(affected, key)) {
      std::string s = str(*o, "severity");
      if (!s.empty()) return s;
    }
  }
  return {};
}

std::vector<Range> read_ranges(const json::object& affected) {
  std::vector<Range> ranges;
  const auto* a = arr(affected, "ranges");
  if (a == nullptr) return ranges;
  for (const auto& rv : *a) {
    if (!rv.is_object()) continue;
    const auto& r = rv.get_object();
    const std::string type = str(r, "type");
    if (type != "ECOSYSTEM" && type != "SEMVER") continue;  // GIT ranges name commits, not versions
    Range range;
    range.semver = type == "SEMVER";
    if (const auto* events = arr(r, "events")) {
      for (const auto& ev : *events) {
        if (!ev.is_object()) continue;
        const auto& e = ev.get_object();
        static const std::pair<const char*, Event::Kind> kinds[] = {
            {"introduced", Event::Kind::introduced},
            {"fixed", Event::Kind::fixed},
            {"last_affected", Event::Kind::last_affected},
            {"limit", Event::Kind::limit}};
        for (const auto& [key, kind] : kinds) {
          std::string version = str(e, key);
          if (!version.empty()) range.events.push_back(Event{kind, std::move(version)});
        }
      }
    }
    if (!range.events.empty()) ranges.push_back(std::move(range));
  }
  return ranges;
}

class Importer {
 public:
  // One parsed document (an entry, or an array of entries). `strict`: the document must be OSV.
  Result<void> add_document(const json::value& doc, const std::string& name, bool strict) {
    if (doc.is_array()) {
      bool any = false;
      for (const auto& item : doc.get_array()) {
        if (!is_osv_entry(item)) continue;
        add_entry(item.get_object());
        any = true;
      }
      if (!any && strict) return base::make_error(Errc::corrupt, "osv: " + name + ": no OSV entry");
      return {};
    }
    if (!is_osv_entry(doc)) {
      if (strict) return base::make_error(Errc::corrupt, "osv: " + name + ": not an OSV entry");
      return {};
    }
    add_entry(doc.get_object());
    return {};
  }

  Result<void> add_text(const std::string& text, const std::string& name, bool strict) {
    auto doc = parse_document(text, name);
    if (!doc) return std::move(doc).error();
    return add_document(*doc, name, strict);
  }

  Advisories take() {
    make_valid_utf8(out_);  // YAML documents may hold any byte
    return std::move(out_);
  }

 private:
  void add_entry(const json::object& entry) {
    const std::string id = str(entry, "id");
    if (!str(entry, "withdrawn").empty()) return;
    if (seen_.contains(id)) return;  // the same entry twice (e.g. .json and .yaml): first wins

    std::vector<Affected> affected;
    if (const auto* list = arr(entry, "affected")) {
      for (const auto& av : *list) {
        if (!av.is_object()) continue;
        const auto& a = av.get_object();
        const auto* package = obj(a, "package");
        if (package == nullptr) continue;
        Affected row;
        row.ecosystem = str(*package, "ecosystem");
        row.package = str(*package, "name");
        if (row.ecosystem.empty() || row.package.empty()) continue;
        if (row.ecosystem == "PyPI") row.package = pep503(row.package);
        row.ecosystem = release_ecosystem(row.ecosystem);
        row.vuln_id = id;
        row.ranges = read_ranges(a);
        append_strings(a, "versions", row.versions);
        if (row.ranges.empty() && row.versions.empty()) continue;
        const std::string severity = package_severity(a);
        if (!severity.empty()) {
          row.severity = severity_from_name(severity);
          if (row.severity != Severity::unknown) {
            const auto colon = row.ecosystem.find(':');
            row.severity_source = lower(row.ecosystem.substr(0, colon));
          }
        }
        affected.push_back(std::move(row));
      }
    }
    if (affected.empty()) return;
    seen_.insert(id);

    Vulnerability v;
    v.id = id;
    v.title = str(entry, "summary");
    v.description = str(entry, "details");
    v.published = str(entry, "published");
    v.modified = str(entry, "modified");
    std::vector<std::string> aliases;
    append_strings(entry, "aliases", aliases);
    append_strings(entry, "related", aliases);
    append_strings(entry, "upstream", aliases);
    std::set<std::string> unique;
    for (auto& alias : aliases) {
      if (alias != id && unique.insert(alias).second) v.aliases.push_back(std::move(alias));
    }
    if (const auto* refs = arr(entry, "references")) {
      for (const auto& rv : *refs) {
        if (!rv.is_object()) continue;
        std::string url = str(rv.get_object(), "url");
        if (!url.empty() && std::find(v.references.begin(), v.references.end(), url) == v.references.end())
          v.references.push_back(std::move(url));
      }
    }

    std::string named_severity;  // an "Ubuntu"-type severity entry: a name, not a vector
    if (const auto* sev = arr(entry, "severity")) {
      for (const auto& sv : *sev) {
        if (!sv.is_object()) continue;
        const auto& s = sv.get_object();
        const std::string type = str(s, "type");
        const std::string score = str(s, "score");
        if (type == "CVSS_V3" && v.cvss_v3_vector.empty()) {
          v.cvss_v3_vector = score;
          v.cvss_v3_score = cvss3_base_score(score).value_or(0);
        } else if (type == "CVSS_V4" && v.cvss_v4_vector.empty()) {
          v.cvss_v4_vector = score;
          v.cvss_v4_score = cvss4_base_score(score).value_or(0);
        } else if (type == "Ubuntu") {
          named_severity = score;
        }
      }
    }
    if (!v.cvss_v4_vector.empty() && cvss4_base_score(v.cvss_v4_vector)) {
      v.severity = severity_from_score(v.cvss_v4_score);
    } else if (!v.cvss_v3_vector.empty() && cvss3_base_score(v.cvss_v3_vector)) {
      v.severity = severity_from_score(v.cvss_v3_score);
    }
    if (v.severity == Severity::unknown) {
      if (const auto* db = obj(entry, "database_specific"))
        v.severity = severity_from_name(str(*db, "severity"));
    }
    if (v.severity == Severity::unknown && !named_severity.empty())
      v.severity = severity_from_name(named_severity);
    if (v.severity == Severity::unknown && (id.starts_with("ALSA-") || id.starts_with("RLSA-"))) {
      // Red Hat rebuilds rate an advisory in its summary: "Important: openssl security update".
      const auto colon = v.title.find(':');
      if (colon != std::string::npos) v.severity = severity_from_name(v.title.substr(0, colon));
    }

    for (auto& row : affected) out_.affected.push_back(std::move(row));
    out_.vulnerabilities.push_back(std::move(v));
  }

  Advisories out_;
  std::set<std::string> seen_;
};

Result<void> import_zip(const fs::path& path, Importer& importer) {
  std::unique_ptr<archive, decltype(&archive_read_free)> a(archive_read_new(), &archive_read_free);
  if (!a) return base::make_error(Errc::internal, "osv: libarchive failed to start");
  archive_read_support_format_zip(a.get());
  archive_read_support_filter_all(a.get());
  if (archive_read_open_filename(a.get(), path.c_str(), 64 * 1024) != ARCHIVE_OK) {
    return base::make_error(Errc::corrupt,
                            "osv: cannot open " + path.string() + ": " + archive_error_string(a.get()));
  }
  archive_entry* entry = nullptr;
  while (true) {
    int rc = archive_read_next_header(a.get(), &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
      return base::make_error(Errc::corrupt, "osv: " + path.string() + ": " + archive_error_string(a.get()));
    }
    if (archive_entry_filetype(entry) != AE_IFREG) continue;
    const char* raw_name = archive_entry_pathname(entry);
    const std::string entry_name = raw_name != nullptr ? raw_name : "";
    if (!is_document_name(entry_name)) continue;
    const std::string name = path.string() + "!" + entry_name;
    std::string text;
    const void* buf = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    while (true) {
      rc = archive_read_data_block(a.get(), &buf, &size, &offset);
      if (rc == ARCHIVE_EOF) break;
      if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
        return base::make_error(Errc::corrupt, "osv: " + name + ": " + archive_error_string(a.get()));
      }
      if (static_cast<std::size_t>(offset) > text.size()) text.resize(static_cast<std::size_t>(offset), '\0');
      text.append(static_cast<const char*>(buf), size);
      if (text.size() > kMaxDocument)
        return base::make_error(Errc::too_large, "osv: " + name + " is too large");
    }
    if (auto st = importer.add_text(text, name, false); !st) return st;
  }
  return {};
}

}  // namespace

Result<Advisories> import_osv(const fs::path& path) {
  Importer importer;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    std::vector<fs::path> files;
    fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec);
    if (ec)
      return base::make_error(Errc::io_error, "osv: cannot list " + path.string() + ": " + ec.message());
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec)
        return base::make_error(Errc::io_error, "osv: cannot list " + path.string() + ": " + ec.message());
      const std::string name = it->path().filename().string();
      if (name.starts_with(".")) {
        if (it->is_directory(ec)) it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file(ec) && is_document_name(name)) files.push_back(it->path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      auto text = read_file(file);
      if (!text) return std::move(text).error();
      if (auto st = importer.add_text(*text, file.string(), false); !st) return std::move(st).error();
    }
    return importer.take();
  }
  if (!fs::exists(path, ec)) return base::make_error(Errc::not_found, "osv: no such file: " + path.string());
  if (has_extension(path.filename().string(), {".zip"})) {
    if (auto st = import_zip(path, importer); !st) return std::move(st).error();
    return importer.take();
  }
  auto text = read_file(path);
  if (!text) return std::move(text).error();
  if (auto st = importer.add_text(*text, path.string(), true); !st) return std::move(st).error();
  return importer.take();
}

}  // namespace berth::vulndb
