// The Node.js security working group's npm advisories (nodejs/security-wg, vuln/npm/<id>.json):
// module_name, vulnerable_versions and patched_versions as node-semver ranges.
//
// The affected versions are vulnerable_versions (or, when it is missing, everything outside
// patched_versions), turned into one OSV SEMVER range. node-semver range syntax: `||` unions of
// space-separated comparator sets; comparators <, <=, >, >=, = and bare versions; `*`, `x`
// and partial versions (1, 1.2, 1.x, 1.2.*); hyphen ranges (1.2.3 - 2.3.4); caret (^) and tilde
// (~, ~>) ranges; a leading "v" or "=" on versions. Upper bounds that node-semver writes as
// "<2.0.0-0" are kept as "<2.0.0" (OSV's fixed 2.0.0); node-semver's rule that a set matches
// prereleases only of its own major.minor.patch is not applied (OSV SEMVER ranges have none).
//
// The vulnerability id is the advisory's first CVE, else "NSWG-ECO-<id>"; the other CVEs and
// the NSWG id are aliases.
#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "vulndb/importers.h"

namespace berth::vulndb {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using base::Errc;
using base::Result;
using detail::Comparator;
using detail::ComparatorSet;

// A version as written in a range: up to three numbers (fewer, or x / X / *, for a partial one)
// and a prerelease.
struct Partial {
  int parts = 0;  // how many of major, minor, patch are given
  long long major = 0, minor = 0, patch = 0;
  std::string prerelease;

  std::string str() const {
    std::string s = std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
    if (!prerelease.empty()) s += "-" + prerelease;
    return s;
  }
};

Partial make(long long major, long long minor, long long patch) {
  Partial p;
  p.parts = 3;
  p.major = major;
  p.minor = minor;
  p.patch = patch;
  return p;
}

std::optional<Partial> parse_partial(std::string_view text) {
  while (!text.empty() && (text.front() == 'v' || text.front() == 'V' || text.front() == '='))
    text.remove_prefix(1);
  Partial p;
  if (text.empty()) return p;  // "" is "*"
  // Build metadata is ignored; a prerelease follows '-' after the patch.
  text = text.substr(0, text.find('+'));
  std::string_view core = text;
  std::string_view pre;
  // The first '-' after the numeric part starts the prerelease.
  std::size_t pos = 0;
  while (pos < text.size() &&
         (std::isalnum(static_cast<unsigned char>(text[pos])) || text[pos] == '.' || text[pos] == '*')) {
    ++pos;
  }
  if (pos < text.size()) {
    if (text[pos] != '-') return std::nullopt;
    core = text.substr(0, pos);
    pre = text.substr(pos + 1);
    if (pre.empty()) return std::nullopt;
  }
  long long* fields[] = {&p.major, &p.minor, &p.patch};
  int index = 0;
  bool wildcard = false;
  while (true) {
    auto dot = core.find('.');
    std::string_view part = core.substr(0, dot);
    if (index >= 3) return std::nullopt;
    if (part == "x" || part == "X" || part == "*") {
      wildcard = true;
    } else {
      if (wildcard || part.empty() || part.size() > 15 ||
          !std::all_of(part.begin(), part.end(), [](unsigned char c) { return std::isdigit(c); }))
        return std::nullopt;
      *fields[index] = std::stoll(std::string(part));
      p.parts = index + 1;
    }
    ++index;
    if (dot == std::string_view::npos) break;
    core.remove_prefix(dot + 1);
  }
  if (!pre.empty()) {
    if (p.parts != 3) return std::nullopt;
    p.prerelease = std::string(pre);
  }
  return p;
}

// The next version past a partial's range: 1 -> 2.0.0, 1.2 -> 1.3.0.
Partial next_of(const Partial& p) {
  if (p.parts == 1) return make(p.major + 1, 0, 0);
  return make(p.major, p.minor + 1, 0);
}

using Op = Comparator::Op;

// One comparator ("op" and a version) into `set`. False when the comparator matches nothing.
bool add_comparator(std::string_view op, const Partial& p, ComparatorSet& set) {
  const Partial floor = make(p.major, p.minor, p.patch);
  auto floor_with_pre = [&] {
    Partial f = floor;
    f.prerelease = p.prerelease;
    return f.str();
  };
  if (op.empty() || op == "=") {
    if (p.parts == 3) {
      set.push_back({Op::eq, p.str()});
    } else if (p.parts > 0) {
      set.push_back({Op::ge, floor.str()});
      set.push_back({Op::lt, next_of(p).str()});
    }
    return true;
  }
  if (op == ">") {
    if (p.parts == 0) return false;
    if (p.parts == 3) {
      set.push_back({Op::gt, p.str()});
    } else {
      set.push_back({Op::ge, next_of(p).str()});
    }
    return true;
  }
  if (op == ">=") {
    if (p.parts > 0) set.push_back({Op::ge, floor_with_pre()});
    return true;
  }
  if (op == "<") {
    if (p.parts == 0) return false;
    set.push_back({Op::lt, floor_with_pre()});
    return true;
  }
  if (op == "<=") {
    if (p.parts == 3) {
      set.push_back({Op::le, p.str()});
    } else if (p.parts > 0) {
      set.push_back({Op::lt, next_of(p).str()});
    }
    return true;
  }
  if (op == "~" || op == "~>") {
    if (p.parts == 0) return true;
    set.push_back({Op::ge, floor_with_pre()});
    set.push_back({Op::lt, (p.parts == 1 ? make(p.major + 1, 0, 0) : make(p.major, p.minor + 1, 0)).str()});
    return true;
  }
  if (op == "^") {
    if (p.parts == 0) return true;
    set.push_back({Op::ge, floor_with_pre()});
    Partial upper;
    if (p.major > 0 || p.parts == 1) {
      upper = make(p.major + 1, 0, 0);
    } else if (p.minor > 0 || p.parts == 2) {
      upper = make(0, p.minor + 1, 0);
    } else {
      upper = make(0, 0, p.patch + 1);
    }
    set.push_back({Op::lt, upper.str()});
    return true;
  }
  return false;
}

// A node-semver range into comparator sets (a set that can match nothing is left out).
std::optional<std::vector<ComparatorSet>> parse_range(std::string_view range) {
  std::vector<ComparatorSet> sets;
  while (true) {
    auto bar = range.find("||");
    std::string_view part = range.substr(0, bar);
    // Tokens; a lone operator joins the version after it (">= 4").
    std::vector<std::string> tokens;
    std::istringstream in{std::string(part)};
    for (std::string token; in >> token;) {
      if (!tokens.empty() && !tokens.back().empty() &&
          std::all_of(tokens.back().begin(), tokens.back().end(),
                      [](char c) { return c == '<' || c == '>' || c == '=' || c == '~' || c == '^'; })) {
        tokens.back() += token;
      } else {
        tokens.push_back(token);
      }
    }
    ComparatorSet set;
    bool possible = true;
    if (tokens.size() == 3 && tokens[1] == "-") {
      auto lo = parse_partial(tokens[0]);
      auto hi = parse_partial(tokens[2]);
      if (!lo || !hi) return std::nullopt;
      if (lo->parts > 0) {
        Partial f = make(lo->major, lo->minor, lo->patch);
        f.prerelease = lo->prerelease;
        set.push_back({Op::ge, f.str()});
      }
      if (hi->parts == 3) {
        set.push_back({Op::le, hi->str()});
      } else if (hi->parts > 0) {
        set.push_back({Op::lt, next_of(*hi).str()});
      }
    } else {
      for (const auto& token : tokens) {
        std::string_view t = token;
        std::string op;
        for (std::string_view candidate : {">=", "<=", "~>", ">", "<", "=", "~", "^"}) {
          if (t.substr(0, candidate.size()) == candidate) {
            op = std::string(candidate);
            t.remove_prefix(candidate.size());
            break;
          }
        }
        auto p = parse_partial(t);
        if (!p) return std::nullopt;
        if (!add_comparator(op, *p, set)) possible = false;
      }
    }
    if (possible) sets.push_back(std::move(set));
    if (bar == std::string_view::npos) break;
    range.remove_prefix(bar + 2);
  }
  return sets;
}

std::string str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return {};
  return std::string(v->get_string());
}

Result<void> import_file(const fs::path& path, bool strict, Advisories& out) {
  const std::string name = path.string();
  std::ifstream in(path, std::ios::binary);
  if (!in) return base::make_error(Errc::io_error, "npm: cannot open " + name);
  std::ostringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  json::value doc = json::parse(text.str(), ec);
  if (ec) return base::make_error(Errc::corrupt, "npm: " + name + ": invalid JSON: " + ec.message());
  const json::object* o = doc.is_object() ? &doc.get_object() : nullptr;
  const std::string module = o != nullptr ? str(*o, "module_name") : std::string();
  if (module.empty()) {
    if (strict)
      return base::make_error(Errc::corrupt, "npm: " + name + ": not an npm advisory (no module_name)");
    return {};
  }

  // Ids.
  std::string nswg;
  if (const auto* id = o->if_contains("id")) {
    if (id->is_int64()) nswg = "NSWG-ECO-" + std::to_string(id->get_int64());
    if (id->is_uint64()) nswg = "NSWG-ECO-" + std::to_string(id->get_uint64());
    if (id->is_string()) nswg = "NSWG-ECO-" + std::string(id->get_string());
  }
  if (nswg.empty()) nswg = "NSWG-ECO-" + path.stem().string();
  std::vector<std::string> ids;
  if (const auto* cves = o->if_contains("cves"); cves != nullptr && cves->is_array()) {
    for (const auto& c : cves->get_array()) {
      if (c.is_string() && !c.get_string().empty()) ids.emplace_back(c.get_string());
    }
  }
  ids.push_back(nswg);

  // Affected versions.
  const std::string vulnerable = str(*o, "vulnerable_versions");
  const std::string patched = str(*o, "patched_versions");
  const bool from_patched = vulnerable.empty() && !patched.empty();
  const std::string& expression = from_patched ? patched : vulnerable;
  auto sets = parse_range(expression);
  if (!sets) {
    return base::make_error(Errc::corrupt, "npm: " + name + ": cannot read " +
                                               (from_patched ? "patched_versions" : "vulnerable_versions") +
                                               " \"" + expression + "\"");
  }
  Range range;
  range.semver = true;
  range.events = detail::events_from_sets(*sets, from_patched, version::Scheme::semver);
  if (range.events.empty()) return {};

  Affected affected;
  affected.ecosystem = "npm";
  affected.package = module;
  affected.vuln_id = ids.front();
  affected.ranges.push_back(std::move(range));
  out.affected.push_back(std::move(affected));

  Vulnerability v;
  v.id = ids.front();
  v.aliases.assign(ids.begin() + 1, ids.end());
  v.title = str(*o, "title");
  v.description = str(*o, "overview");
  v.published = str(*o, "publish_date");
  if (v.published.empty()) v.published = str(*o, "created_at");
  v.modified = str(*o, "updated_at");
  if (const auto* refs = o->if_contains("references")) {
    if (refs->is_array()) {
      for (const auto& r : refs->get_array()) {
        if (r.is_string() && !r.get_string().empty()) v.references.emplace_back(r.get_string());
      }
    } else if (refs->is_string()) {
      // Some advisories give references as one markdown text: keep its URLs.
      std::istringstream words{std::string(refs->get_string())};
      for (std::string w; words >> w;) {
        auto at = w.find("http");
        if (at == std::string::npos) continue;
        w = w.substr(at);
        while (!w.empty() && (w.back() == ')' || w.back() == ']' || w.back() == ',' || w.back() == '.'))
          w.pop_back();
        v.references.push_back(w);
      }
    }
  }
  const std::string vector = str(*o, "cvss_vector");
  double given = 0;
  if (const auto* s = o->if_contains("cvss_score")) {
    if (s->is_double()) given = s->get_double();
    if (s->is_int64()) given = static_cast<double>(s->get_int64());
  }
  if (vector.starts_with("CVSS:3")) {
    v.cvss_v3_vector = vector;
    v.cvss_v3_score = cvss3_base_score(vector).value_or(given);
  } else if (vector.starts_with("CVSS:4")) {
    v.cvss_v4_vector = vector;
    v.cvss_v4_score = cvss4_base_score(vector).value_or(given);
  } else if (given > 0) {
    v.cvss_v3_score = given;
  }
  v.severity = severity_from_score(v.cvss_v4_score > 0 ? v.cvss_v4_score : v.cvss_v3_score);
  out.vulnerabilities.push_back(std::move(v));
  return {};
}

}  // namespace

Result<Advisories> import_npm_legacy(const fs::path& path) {
  Advisories out;
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    if (!fs::exists(path, ec))
      return base::make_error(Errc::not_found, "npm: no such file: " + path.string());
    if (auto st = import_file(path, true, out); !st) return std::move(st).error();
    return out;
  }
  std::vector<fs::path> files;
  fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec);
  if (ec) return base::make_error(Errc::io_error, "npm: cannot list " + path.string() + ": " + ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec)
      return base::make_error(Errc::io_error, "npm: cannot list " + path.string() + ": " + ec.message());
    const std::string name = it->path().filename().string();
    if (name.starts_with(".")) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file(ec) && name.ends_with(".json")) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    if (auto st = import_file(file, false, out); !st) return std::move(st).error();
  }
  return out;
}

}  // namespace berth::vulndb
