#include "vulndb/match.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

namespace berth::vulndb {
using base::Result;
using inventory::PackageType;

namespace {

// "12.15" -> "12"; "3.18.4" with parts=2 -> "3.18".
std::string leading_parts(std::string_view version, int parts) {
  std::size_t end = 0;
  int seen = 0;
  while (end < version.size()) {
    if (version[end] == '.' && ++seen == parts) break;
    ++end;
  }
  return std::string(version.substr(0, end));
}

bool all_digits(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

// PEP 503 name normalisation: lowercase, runs of '-', '_', '.' become one '-'.
std::string pep503(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == '-' || c == '_' || c == '.') {
      if (out.empty() || out.back() != '-') out.push_back('-');
    } else {
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
  }
  return out;
}

std::string strip_v(std::string_view v) {
  if (v.size() > 1 && v[0] == 'v' && std::isdigit(static_cast<unsigned char>(v[1]))) v.remove_prefix(1);
  return std::string(v);
}

int order(const Event& e, const Event& f, version::Scheme scheme) {
  const bool e_zero = e.kind == Event::Kind::introduced && e.version == "0";
  const bool f_zero = f.kind == Event::Kind::introduced && f.version == "0";
  if (e_zero || f_zero) return e_zero == f_zero ? 0 : (e_zero ? -1 : 1);
  return version::compare(scheme, e.version, f.version);
}

std::vector<Event> sorted_events(const Range& range, version::Scheme scheme) {
  std::vector<Event> events = range.events;
  std::stable_sort(events.begin(), events.end(),
                   [&](const Event& a, const Event& b) { return order(a, b, scheme) < 0; });
  return events;
}

bool in_range(const Range& range, std::string_view v, version::Scheme scheme) {
  bool affected = false;
  for (const auto& e : sorted_events(range, scheme)) {
    switch (e.kind) {
      case Event::Kind::introduced:
        if (e.version == "0" || version::compare(scheme, v, e.version) >= 0) affected = true;
        break;
      case Event::Kind::fixed:
        if (version::compare(scheme, v, e.version) >= 0) affected = false;
        break;
      case Event::Kind::last_affected:
        if (version::compare(scheme, v, e.version) > 0) affected = false;
        break;
      case Event::Kind::limit:
        if (version::compare(scheme, v, e.version) >= 0) return false;
        break;
    }
  }
  return affected;
}

version::Scheme range_scheme(const Range& range, version::Scheme scheme) {
  return range.semver ? version::Scheme::semver : scheme;
}

}  // namespace

std::optional<Coordinates> coordinates(const inventory::Package& p, const inventory::OperatingSystem& os) {
  Coordinates c;
  switch (p.type) {
    case PackageType::dpkg: {
      c.scheme = version::Scheme::dpkg;
      if (os.family == "debian") {
        std::string major = leading_parts(os.version, 1);
        if (!all_digits(major)) return std::nullopt;  // testing/sid: no release feed
        c.ecosystem = "Debian:" + major;
      } else if (os.family == "ubuntu" && !os.version.empty()) {
        c.ecosystem = "Ubuntu:" + leading_parts(os.version, 2);
      } else {
        return std::nullopt;
      }
      c.package = p.source_name.empty() ? p.name : p.source_name;
      c.version = p.source_version.empty() ? p.version : p.source_version;
      return c;
    }
    case PackageType::apk:
      if (os.family != "alpine" || os.version.empty()) return std::nullopt;
      c.scheme = version::Scheme::apk;
      c.ecosystem = "Alpine:v" + leading_parts(os.version, 2);
      c.package = p.source_name.empty() ? p.name : p.source_name;
      c.version = p.version;
      return c;
    case PackageType::rpm: {
      c.scheme = version::Scheme::rpm;
      const std::string major = leading_parts(os.version, 1);
      if (os.family == "almalinux") {
        c.ecosystem = "AlmaLinux:" + major;
      } else if (os.family == "rocky") {
        c.ecosystem = "Rocky Linux:" + major;
      } else {
        return std::nullopt;
      }
      c.package = p.name;
      c.version = p.epoch.empty() ? p.version : p.epoch + ":" + p.version;
      return c;
    }
    case PackageType::npm:
      c = {"npm", p.name, p.version, version::Scheme::semver};
      return c;
    case PackageType::python:
      c = {"PyPI", pep503(p.name), p.version, version::Scheme::pep440};
      return c;
    case PackageType::gomod:
    case PackageType::gobinary:
      c = {"Go", p.name, strip_v(p.version), version::Scheme::semver};
      return c;
    case PackageType::maven:
      c = {"Maven", p.name, p.version, version::Scheme::maven};
      return c;
    case PackageType::cargo:
      c = {"crates.io", p.name, p.version, version::Scheme::semver};
      return c;
    case PackageType::gem:
      c = {"RubyGems", p.name, p.version, version::Scheme::rubygems};
      return c;
  }
  return std::nullopt;
}

bool affects(const Affected& a, std::string_view v, version::Scheme scheme) {
  for (const auto& listed : a.versions) {
    if (version::compare(scheme, v, listed) == 0) return true;
  }
  for (const auto& range : a.ranges) {
    if (in_range(range, v, range_scheme(range, scheme))) return true;
  }
  return false;
}

std::string fixed_version(const Affected& a, std::string_view v, version::Scheme scheme) {
  std::string best;
  for (const auto& range : a.ranges) {
    const auto s = range_scheme(range, scheme);
    if (!in_range(range, v, s)) continue;
    for (const auto& e : sorted_events(range, s)) {
      if (e.kind != Event::Kind::fixed || version::compare(s, e.version, v) <= 0) continue;
      if (best.empty() || version::compare(s, e.version, best) < 0) {
        best = e.version;
      }
      break;
    }
  }
  return best;
}

std::vector<Finding> match_package(const inventory::Package& package, const Coordinates& c,
                                   const std::vector<Affected>& advisories) {
  std::vector<Finding> out;
  std::set<std::string> seen;
  for (const auto& a : advisories) {
    if (!affects(a, c.version, c.scheme)) continue;
    if (!seen.insert(a.vuln_id).second) continue;
    Finding f;
    f.vuln_id = a.vuln_id;
    f.package = package;
    f.fixed_version = fixed_version(a, c.version, c.scheme);
    if (!f.fixed_version.empty()) {
      f.status = Status::fixed;
    } else {
      f.status = a.status == Status::unknown || a.status == Status::fixed ? Status::affected : a.status;
    }
    f.severity = a.severity;
    f.severity_source = a.severity_source;
    f.vendor_ids = a.vendor_ids;
    out.push_back(std::move(f));
  }
  return out;
}

Result<std::vector<Finding>> match(Database& db, const inventory::Inventory& inventory) {
  std::vector<Finding> out;
  for (const auto& p : inventory.packages) {
    auto c = coordinates(p, inventory.os);
    if (!c) continue;
    auto advisories = db.affected(c->ecosystem, c->package);
    if (!advisories) return std::move(advisories).error();
    auto found = match_package(p, *c, *advisories);
    out.insert(out.end(), std::make_move_iterator(found.begin()), std::make_move_iterator(found.end()));
  }
  std::map<std::string, Severity> rated;  // vulnerability id -> severity from its details
  for (auto& f : out) {
    if (f.severity != Severity::unknown) continue;
    auto known = rated.find(f.vuln_id);
    if (known == rated.end()) {
      auto details = db.vulnerability(f.vuln_id);
      if (!details) return std::move(details).error();
      known = rated.emplace(f.vuln_id, *details ? (*details)->severity : Severity::unknown).first;
    }
    f.severity = known->second;
  }
  std::sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) {
    return std::tie(a.package.name, a.package.version, a.package.path, a.vuln_id) <
           std::tie(b.package.name, b.package.version, b.package.path, b.vuln_id);
  });
  return out;
}

}  // namespace berth::vulndb
