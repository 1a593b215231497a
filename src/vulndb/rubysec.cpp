// The Ruby advisory database (rubysec/ruby-advisory-db): one YAML file per advisory under
// gems/<gem>/, with `patched_versions` and `unaffected_versions` as lists of gem requirements
// ("~> 2.2.8, >= 2.2.8.1"). A version is affected when it satisfies none of them; the affected
// versions become one OSV ECOSYSTEM range ordered as Gem::Version.
//
// Also here: detail::events_from_sets, the constraint-set to OSV-events conversion that the npm
// importer shares.
//
// Not used: `platform` (an advisory for the jruby build of a gem is applied to every build, as
// the inventory does not tell builds apart), cvss_v2 except as the last source of a severity,
// and `related` CVEs (other vulnerabilities, often of a bundled library: not aliases).
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <vector>

#include "vulndb/importers.h"

namespace berth::vulndb {

namespace detail {
namespace {

// Where a piece of the version line lies against a boundary point.
struct Piece {
  std::size_t index;  // point index, or for a gap: the index of the point after it
  bool point;
};

// -1, 0, +1: the piece is below, at, above point j.
int relation(const Piece& piece, std::size_t j) {
  if (piece.point) return piece.index < j ? -1 : piece.index == j ? 0 : 1;
  return j >= piece.index ? -1 : 1;
}

bool holds(Comparator::Op op, int rel) {
  switch (op) {
    case Comparator::Op::eq:
      return rel == 0;
    case Comparator::Op::ne:
      return rel != 0;
    case Comparator::Op::lt:
      return rel < 0;
    case Comparator::Op::le:
      return rel <= 0;
    case Comparator::Op::gt:
      return rel > 0;
    case Comparator::Op::ge:
      return rel >= 0;
  }
  return false;
}

std::string successor(const std::string& v, version::Scheme scheme) {
  if (scheme == version::Scheme::rubygems) return v + ".0.0.1";
  if (scheme == version::Scheme::semver) {
    std::string core = v.substr(0, v.find('+'));
    if (core.find('-') != std::string::npos) return core + ".0";  // 1.2.3-rc.1 -> 1.2.3-rc.1.0
    auto last_dot = core.rfind('.');
    if (last_dot == std::string::npos) return v;
    std::string patch = core.substr(last_dot + 1);
    if (patch.empty() || patch.size() > 18 ||
        !std::all_of(patch.begin(), patch.end(), [](unsigned char c) { return std::isdigit(c); }))
      return v;
    return core.substr(0, last_dot + 1) + std::to_string(std::stoll(patch) + 1) + "-0";
  }
  return v;
}

}  // namespace

std::vector<Event> events_from_sets(const std::vector<ComparatorSet>& sets, bool complement,
                                    version::Scheme scheme) {
  // The boundary points, sorted and without equal versions.
  std::vector<std::string> points;
  for (const auto& set : sets) {
    for (const auto& c : set) points.push_back(c.version);
  }
  std::stable_sort(points.begin(), points.end(), [&](const std::string& a, const std::string& b) {
    return version::compare(scheme, a, b) < 0;
  });
  points.erase(std::unique(points.begin(), points.end(),
                           [&](const std::string& a, const std::string& b) {
                             return version::compare(scheme, a, b) == 0;
                           }),
               points.end());
  auto index_of = [&](const std::string& v) {
    auto it = std::lower_bound(
        points.begin(), points.end(), v,
        [&](const std::string& a, const std::string& b) { return version::compare(scheme, a, b) < 0; });
    return static_cast<std::size_t>(it - points.begin());
  };
  // The comparators with their versions as point indices.
  std::vector<std::vector<std::pair<Comparator::Op, std::size_t>>> indexed;
  for (const auto& set : sets) {
    auto& out = indexed.emplace_back();
    for (const auto& c : set) out.emplace_back(c.op, index_of(c.version));
  }
  auto affected = [&](const Piece& piece) {
    bool in_union = std::any_of(indexed.begin(), indexed.end(), [&](const auto& set) {
      return std::all_of(set.begin(), set.end(),
                         [&](const auto& c) { return holds(c.first, relation(piece, c.second)); });
    });
    return in_union != complement;
  };

  // Walk gap 0, point 0, gap 1, point 1, ..., gap n.
  std::vector<Event> events;
  bool inside = false;
  for (std::size_t i = 0; i <= points.size(); ++i) {
    for (bool point : {false, true}) {
      if (point && i == points.size()) break;
      const Piece piece{i, point};
      const bool a = affected(piece);
      if (a && !inside) {
        if (point) {
          events.push_back({Event::Kind::introduced, points[i]});
        } else if (i == 0) {
          events.push_back({Event::Kind::introduced, "0"});
        } else {
          events.push_back({Event::Kind::introduced, successor(points[i - 1], scheme)});
        }
      } else if (!a && inside) {
        if (point) {
          events.push_back({Event::Kind::fixed, points[i]});
        } else {
          events.push_back({Event::Kind::last_affected, points[i - 1]});
        }
      }
      inside = a;
    }
  }
  return events;
}

}  // namespace detail

namespace {

namespace fs = std::filesystem;
using base::Errc;
using base::Result;
using detail::Comparator;
using detail::ComparatorSet;

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

bool is_gem_version(std::string_view v) {
  if (v.empty() || !std::isdigit(static_cast<unsigned char>(v.front()))) return false;
  return std::all_of(v.begin(), v.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '.' || c == '-'; });
}

// Gem::Version#bump: drop prerelease parts, drop the last part (unless only one), increment the
// new last one. "2.2.8" -> "2.3", "2" -> "3", "1.6.7.rc4" -> "1.7".
std::optional<std::string> bump(std::string_view v) {
  std::vector<std::string> segments;
  std::string cur;
  for (char c : v) {
    if (c == '.' || c == '-') {
      if (!cur.empty()) segments.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) segments.push_back(cur);
  // Gem splits "1a" into "1", "a": a segment with a letter starts the prerelease part.
  std::vector<std::string> numeric;
  for (const auto& s : segments) {
    if (!std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); })) break;
    numeric.push_back(s);
  }
  if (numeric.empty()) return std::nullopt;
  if (numeric.size() > 1) numeric.pop_back();
  const std::string& last = numeric.back();
  if (last.size() > 18) return std::nullopt;
  numeric.back() = std::to_string(std::stoll(last) + 1);
  std::string out;
  for (const auto& s : numeric) out += (out.empty() ? "" : ".") + s;
  return out;
}

// One requirement string: a comma-separated intersection of "op version".
std::optional<ComparatorSet> parse_requirement(std::string_view text) {
  ComparatorSet set;
  while (true) {
    auto comma = text.find(',');
    std::string part = trim(text.substr(0, comma));
    std::string_view rest = part;
    std::string op;
    for (std::string_view candidate : {"~>", ">=", "<=", "!=", ">", "<", "="}) {
      if (rest.substr(0, candidate.size()) == candidate) {
        op = std::string(candidate);
        rest.remove_prefix(candidate.size());
        break;
      }
    }
    const std::string version = trim(rest);
    if (!is_gem_version(version)) return std::nullopt;
    if (op == "~>") {
      auto upper = bump(version);
      if (!upper) return std::nullopt;
      set.push_back({Comparator::Op::ge, version});
      set.push_back({Comparator::Op::lt, *upper});
    } else {
      Comparator::Op o = Comparator::Op::eq;
      if (op == ">=") o = Comparator::Op::ge;
      if (op == "<=") o = Comparator::Op::le;
      if (op == "!=") o = Comparator::Op::ne;
      if (op == ">") o = Comparator::Op::gt;
      if (op == "<") o = Comparator::Op::lt;
      set.push_back({o, version});
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return set;
}

std::string scalar(const YAML::Node& doc, const char* key) {
  const YAML::Node n = doc[key];
  if (!n || !n.IsScalar()) return {};
  return trim(n.Scalar());
}

std::optional<double> number(const YAML::Node& doc, const char* key) {
  const std::string s = scalar(doc, key);
  if (s.empty()) return std::nullopt;
  try {
    std::size_t used = 0;
    double d = std::stod(s, &used);
    if (used != s.size()) return std::nullopt;
    return d;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::vector<std::string> scalars(const YAML::Node& node) {
  std::vector<std::string> out;
  if (!node) return out;
  if (node.IsScalar()) {
    out.push_back(trim(node.Scalar()));
  } else if (node.IsSequence()) {
    for (const auto& item : node) {
      if (item.IsScalar()) out.push_back(trim(item.Scalar()));
    }
  }
  return out;
}

std::string with_prefix(const std::string& id, std::string_view prefix) {
  if (id.empty()) return id;
  std::string upper = id;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper.starts_with(prefix)) return id;
  return std::string(prefix) + id;
}

Severity severity_from_v2_score(double score) {
  if (score >= 7.0) return Severity::high;
  if (score >= 4.0) return Severity::medium;
  if (score > 0.0) return Severity::low;
  return Severity::unknown;
}

// One advisory file into `out`. `strict`: a file that is not a gem advisory is an error.
Result<void> import_file(const fs::path& path, bool strict, Advisories& out) {
  const std::string name = path.string();
  YAML::Node doc;
  try {
    doc = YAML::LoadFile(name);
  } catch (const YAML::BadFile&) {
    return base::make_error(Errc::io_error, "rubysec: cannot read " + name);
  } catch (const YAML::Exception& e) {
    return base::make_error(Errc::corrupt, "rubysec: " + name + ": invalid YAML: " + e.what());
  }
  const std::string gem = doc.IsMap() ? scalar(doc, "gem") : std::string();
  if (gem.empty()) {
    if (strict) return base::make_error(Errc::corrupt, "rubysec: " + name + ": not a gem advisory (no gem)");
    return {};
  }

  // Ids: CVE, then GHSA, then OSVDB, then the file name.
  const std::string cve = with_prefix(scalar(doc, "cve"), "CVE-");
  const std::string ghsa = with_prefix(scalar(doc, "ghsa"), "GHSA-");
  const std::string osvdb = with_prefix(scalar(doc, "osvdb"), "OSVDB-");
  std::vector<std::string> ids;
  for (const auto* id : {&cve, &ghsa, &osvdb}) {
    if (!id->empty()) ids.push_back(*id);
  }
  if (ids.empty()) ids.push_back(path.stem().string());

  // Safe versions: patched or unaffected; affected: the rest.
  std::vector<ComparatorSet> safe;
  for (const char* key : {"patched_versions", "unaffected_versions"}) {
    for (const auto& requirement : scalars(doc[key])) {
      auto set = parse_requirement(requirement);
      if (!set) {
        return base::make_error(Errc::corrupt, "rubysec: " + name + ": cannot read " + key +
                                                   " requirement \"" + requirement + "\"");
      }
      safe.push_back(std::move(*set));
    }
  }
  Range range;
  range.semver = false;
  range.events = detail::events_from_sets(safe, true, version::Scheme::rubygems);
  if (range.events.empty()) return {};  // no version affected

  Affected affected;
  affected.ecosystem = "RubyGems";
  affected.package = gem;
  affected.vuln_id = ids.front();
  affected.ranges.push_back(std::move(range));
  out.affected.push_back(std::move(affected));

  Vulnerability v;
  v.id = ids.front();
  v.aliases.assign(ids.begin() + 1, ids.end());
  v.title = scalar(doc, "title");
  v.description = trim(scalar(doc, "description"));
  v.published = scalar(doc, "date");
  std::set<std::string> seen;
  auto add_reference = [&](const std::string& url) {
    if (!url.empty() && seen.insert(url).second) v.references.push_back(url);
  };
  add_reference(scalar(doc, "url"));
  if (doc["related"] && doc["related"].IsMap()) {
    for (const auto& url : scalars(doc["related"]["url"])) add_reference(url);
  }
  if (auto score = number(doc, "cvss_v4")) v.cvss_v4_score = *score;
  if (auto score = number(doc, "cvss_v3")) v.cvss_v3_score = *score;
  if (v.cvss_v4_score > 0) {
    v.severity = severity_from_score(v.cvss_v4_score);
  } else if (v.cvss_v3_score > 0) {
    v.severity = severity_from_score(v.cvss_v3_score);
  } else if (auto v2 = number(doc, "cvss_v2")) {
    v.severity = severity_from_v2_score(*v2);
  }
  out.vulnerabilities.push_back(std::move(v));
  return {};
}

}  // namespace

Result<Advisories> import_rubysec(const fs::path& path) {
  Advisories out;
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    if (!fs::exists(path, ec))
      return base::make_error(Errc::not_found, "rubysec: no such file: " + path.string());
    if (auto st = import_file(path, true, out); !st) return std::move(st).error();
    make_valid_utf8(out);  // YAML passes any byte through
    return out;
  }
  std::vector<fs::path> files;
  fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec);
  if (ec)
    return base::make_error(Errc::io_error, "rubysec: cannot list " + path.string() + ": " + ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec)
      return base::make_error(Errc::io_error, "rubysec: cannot list " + path.string() + ": " + ec.message());
    const std::string name = it->path().filename().string();
    if (name.starts_with(".")) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file(ec) && (name.ends_with(".yml") || name.ends_with(".yaml")))
      files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    if (auto st = import_file(file, false, out); !st) return std::move(st).error();
  }
  make_valid_utf8(out);
  return out;
}

}  // namespace berth::vulndb
