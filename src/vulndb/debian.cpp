// The Debian security tracker importer (vuln-list-debian JSON), with the tracker's per-release
// rules as Trivy applies them:
//  - a `[release] - pkg version` line fixes the CVE in that release at that version;
//  - `<no-dsa>`, `<ignored>`, `<postponed>`, `<unfixed>`, `<end-of-life>` on a release line
//    mean no fix there, with that status, unless sid's fix has already reached the release;
//  - a CVE with only a sid line is fixed in a release when the release's own Sources version
//    is at least sid's fixed version, and unfixed there otherwise;
//  - `<not-affected>` (and `<undetermined>`) drop the package; `<removed>` does not;
//  - a DSA/DLA line fixes each of its CVEs in its release, the newest fix winning, and adds
//    the advisory id as a vendor id;
//  - the package-specific severity is the sid line's urgency ("unimportant" counts as low).
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "version/compare.h"
#include "vulndb/importers.h"

namespace berth::vulndb {
namespace fs = std::filesystem;
namespace json = boost::json;
using base::Errc;
using base::Result;

namespace {

struct Annotation {
  std::string type;
  std::string release;  // "" for sid
  std::string package;
  std::string kind;  // fixed, unfixed, no-dsa, ignored, postponed, not-affected, removed, ...
  std::string version;
  std::string severity;
  std::vector<std::string> bugs;
};

struct Bug {
  std::string id;
  std::string description;
  std::vector<Annotation> annotations;
};

// A Debian advisory for one (release, package, vulnerability).
struct Entry {
  std::string fixed_version;
  std::string state;  // the tracker's kind when there is no fixed version
  Severity severity = Severity::unknown;
  std::vector<std::string> vendor_ids;
};

using Key = std::tuple<std::string, std::string, std::string>;  // codename, package, id

int dpkg_compare(std::string_view a, std::string_view b) {
  if (a.empty() || b.empty()) return a.empty() == b.empty() ? 0 : (a.empty() ? -1 : 1);
  return version::compare(version::Scheme::dpkg, a, b);
}

Severity severity_from_urgency(std::string_view urgency) {
  if (urgency == "unimportant" || urgency.starts_with("low")) return Severity::low;
  if (urgency.starts_with("medium")) return Severity::medium;
  if (urgency.starts_with("high")) return Severity::high;
  return Severity::unknown;  // "not yet assigned", "end-of-life", ""
}

Status status_from_state(std::string_view state) {
  if (state == "no-dsa" || state == "unfixed") return Status::affected;
  if (state == "ignored") return Status::will_not_fix;
  if (state == "postponed") return Status::fix_deferred;
  if (state == "end-of-life") return Status::end_of_life;
  return Status::unknown;
}

bool skipped_kind(std::string_view kind) {
  return kind == "not-affected" || kind == "undetermined";
}

Result<json::value> read_json(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return base::make_error(Errc::io_error, "cannot read " + file.string());
  std::ostringstream buffer;
  buffer << in.rdbuf();
  boost::system::error_code ec;
  json::value v = json::parse(buffer.str(), ec);
  if (ec) return base::make_error(Errc::corrupt, file.string() + ": not valid JSON: " + ec.message());
  return v;
}

std::string str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

Result<Bug> parse_bug(const fs::path& file) {
  auto v = read_json(file);
  if (!v) return std::move(v).error();
  if (!v->is_object()) return base::make_error(Errc::corrupt, file.string() + ": not a tracker record");
  const auto& o = v->get_object();
  Bug bug;
  if (const auto* header = o.if_contains("Header"); header != nullptr && header->is_object()) {
    bug.id = str(header->get_object(), "ID");
    bug.description = str(header->get_object(), "Description");
  }
  if (bug.id.empty()) return base::make_error(Errc::corrupt, file.string() + ": record without Header.ID");
  if (const auto* anns = o.if_contains("Annotations"); anns != nullptr && anns->is_array()) {
    for (const auto& av : anns->get_array()) {
      if (!av.is_object()) continue;
      const auto& a = av.get_object();
      Annotation ann{str(a, "Type"),
                     str(a, "Release"),
                     str(a, "Package"),
                     str(a, "Kind"),
                     str(a, "Version"),
                     str(a, "Severity"),
                     {}};
      if (ann.type == "package" && ann.package.empty()) continue;  // a package line naming none
      if (const auto* bugs = a.if_contains("Bugs"); bugs != nullptr && bugs->is_array()) {
        for (const auto& b : bugs->get_array()) {
          if (b.is_string()) ann.bugs.emplace_back(b.get_string());
        }
      }
      bug.annotations.push_back(std::move(ann));
    }
  }
  return bug;
}

// Every *.json below dir, sorted (so an import is deterministic).
std::vector<fs::path> json_files(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file(ec) && it->path().extension() == ".json") out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

class TrackerImport {
 public:
  Result<Advisories> run(const fs::path& dir, const std::vector<SourceVersion>& extra) {
    fs::path root = dir;
    if (!fs::exists(root / "distributions.json") && fs::exists(root / "tracker" / "distributions.json")) {
      root /= "tracker";
    }
    if (auto s = parse_distributions(root / "distributions.json"); !s) return std::move(s).error();
    for (const char* sub : {"source", "updates-source"}) {
      if (auto s = parse_sources(root / sub); !s) return std::move(s).error();
    }
    for (const auto& sv : extra) note_source_version(sv.codename, sv.package, sv.version);
    if (auto s = parse_cves(root / "CVE"); !s) return std::move(s).error();
    for (const char* sub : {"DLA", "DSA"}) {
      if (auto s = parse_advisories(root / sub); !s) return std::move(s).error();
    }
    return commit();
  }

 private:
  base::Status parse_distributions(const fs::path& file) {
    auto v = read_json(file);
    if (!v) return std::move(v).error();
    if (!v->is_object()) return base::make_error(Errc::corrupt, file.string() + ": not an object");
    for (const auto& [codename, info] : v->get_object()) {
      if (!info.is_object()) continue;
      std::string major = str(info.get_object(), "major-version");
      if (!major.empty()) distributions_[std::string(codename)] = major;  // sid has none
    }
    if (distributions_.empty()) return base::make_error(Errc::corrupt, file.string() + ": no releases");
    return base::ok_status();
  }

  void note_source_version(const std::string& codename, const std::string& package, const std::string& v) {
    if (v.empty()) return;
    auto& current = source_versions_[{codename, package}];
    if (current.empty() || dpkg_compare(current, v) < 0) current = v;
  }

  // source/<codename>/**.json and updates-source/<codename>/**.json: one Sources stanza per
  // file (or an array of them), fields as arrays of strings.
  base::Status parse_sources(const fs::path& dir) {
    for (const auto& distribution : distributions_) {
      const std::string& codename = distribution.first;  // a lambda below captures it
      for (const auto& file : json_files(dir / codename)) {
        auto v = read_json(file);
        if (!v) return std::move(v).error();
        auto take = [&](const json::value& stanza) {
          if (!stanza.is_object()) return;
          const auto* p = stanza.get_object().if_contains("Package");
          const auto* ver = stanza.get_object().if_contains("Version");
          if (p == nullptr || ver == nullptr || !p->is_array() || !ver->is_array() ||
              p->get_array().empty() || ver->get_array().empty() || !p->get_array()[0].is_string() ||
              !ver->get_array()[0].is_string()) {
            return;
          }
          note_source_version(codename, std::string(p->get_array()[0].get_string()),
                              std::string(ver->get_array()[0].get_string()));
        };
        if (v->is_array()) {
          for (const auto& stanza : v->get_array()) take(stanza);
        } else {
          take(*v);
        }
      }
    }
    return base::ok_status();
  }

  base::Status parse_cves(const fs::path& dir) {
    for (const auto& file : json_files(dir)) {
      auto bug = parse_bug(file);
      if (!bug) return std::move(bug).error();
      descriptions_[bug->id] = bug->description;
      std::map<std::string, Severity> severities;  // per package, from its sid line
      for (const auto& ann : bug->annotations) {
        if (ann.type != "package") continue;
        if (skipped_kind(ann.kind)) {
          not_affected_.insert({ann.release, ann.package, bug->id});
          continue;
        }
        if (ann.release.empty()) {
          Severity severity = Severity::unknown;
          if (!ann.severity.empty()) {
            severity = severity_from_urgency(ann.severity);
            severities[ann.package] = severity;
          }
          sid_.push_back({ann.package, bug->id, ann.version, severity});
          continue;
        }
        Entry entry;
        entry.fixed_version = ann.version;
        entry.severity = severities[ann.package];
        if (ann.version.empty()) entry.state = ann.kind;
        entries_[{ann.release, ann.package, bug->id}] = std::move(entry);
      }
    }
    return base::ok_status();
  }

  // DSA/DLA records: an xref line lists the CVEs, each release line fixes them there.
  base::Status parse_advisories(const fs::path& dir) {
    for (const auto& file : json_files(dir)) {
      auto bug = parse_bug(file);
      if (!bug) return std::move(bug).error();
      std::vector<std::string> cves;
      for (const auto& ann : bug->annotations) {
        if (ann.type == "xref") {
          cves = ann.bugs;
          continue;
        }
        if (ann.type != "package") continue;
        std::vector<std::string> ids = cves.empty() ? std::vector<std::string>{bug->id} : cves;
        for (const auto& id : ids) {
          Key key{ann.release, ann.package, id};
          if (skipped_kind(ann.kind)) {
            not_affected_.insert(key);
            continue;
          }
          auto it = entries_.find(key);
          if (it == entries_.end()) {
            entries_[key] = Entry{ann.version, "", Severity::unknown, {bug->id}};
            continue;
          }
          if (dpkg_compare(ann.version, it->second.fixed_version) > 0) {
            it->second.fixed_version = ann.version;
            it->second.state.clear();
          }
          it->second.vendor_ids.push_back(bug->id);
        }
      }
    }
    return base::ok_status();
  }

  Advisories commit() {
    std::map<Key, Entry> out;
    for (const auto& sid : sid_) {
      if (not_affected_.count({"", sid.package, sid.id}) != 0) continue;
      for (const auto& [codename, major] : distributions_) {
        Key key{codename, sid.package, sid.id};
        if (not_affected_.count(key) != 0) continue;
        auto it = entries_.find(key);
        if (it != entries_.end() && it->second.state.empty()) continue;  // a release fix: kept as is
        auto release_version = source_versions_.find({codename, sid.package});
        if (release_version == source_versions_.end()) continue;
        Entry entry = it != entries_.end() ? it->second : Entry{};
        const bool fixed =
            !sid.fixed_version.empty() && dpkg_compare(release_version->second, sid.fixed_version) >= 0;
        if (fixed) {
          entry.fixed_version = sid.fixed_version;
          entry.state.clear();
          entries_.erase(key);
        }
        entry.severity = sid.severity;
        out[key] = std::move(entry);
      }
    }
    for (auto& [key, entry] : entries_) out[key] = std::move(entry);

    Advisories result;
    std::set<std::string> ids;
    for (auto& [key, entry] : out) {
      const auto& [codename, package, id] = key;
      auto major = distributions_.find(codename);
      if (major == distributions_.end()) continue;  // a release too old to be listed
      Affected a;
      a.ecosystem = "Debian:" + major->second;
      a.package = package;
      a.vuln_id = id;
      Range range;
      range.events.push_back({Event::Kind::introduced, "0"});
      if (!entry.fixed_version.empty()) range.events.push_back({Event::Kind::fixed, entry.fixed_version});
      a.ranges.push_back(std::move(range));
      if (entry.fixed_version.empty()) a.status = status_from_state(entry.state);
      a.severity = entry.severity;
      if (entry.severity != Severity::unknown) a.severity_source = "debian";
      a.vendor_ids = std::move(entry.vendor_ids);
      ids.insert(id);
      result.affected.push_back(std::move(a));
    }
    for (const auto& id : ids) {
      Vulnerability v;
      v.id = id;
      auto d = descriptions_.find(id);
      if (d != descriptions_.end()) v.description = d->second;
      v.references.push_back("https://security-tracker.debian.org/tracker/" + id);
      result.vulnerabilities.push_back(std::move(v));
    }
    return result;
  }

  struct SidLine {
    std::string package, id, fixed_version;
    Severity severity;
  };

  std::map<std::string, std::string> distributions_;  // codename -> major version
  std::map<std::pair<std::string, std::string>, std::string> source_versions_;
  std::vector<SidLine> sid_;
  std::map<Key, Entry> entries_;
  std::set<Key> not_affected_;
  std::map<std::string, std::string> descriptions_;
};

}  // namespace

Result<Advisories> import_debian_tracker(const fs::path& dir,
                                         const std::vector<SourceVersion>& source_versions) {
  TrackerImport import;
  return import.run(dir, source_versions);
}

}  // namespace berth::vulndb
