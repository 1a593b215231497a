#include "vulndb/model.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cctype>

#include "base/text.h"
#include "base/utf8.h"

namespace berth::vulndb {
namespace json = boost::json;
using base::Errc;
using base::Result;

namespace {

using base::iequals;

std::string_view event_key(Event::Kind kind) {
  switch (kind) {
    case Event::Kind::introduced:
      return "introduced";
    case Event::Kind::fixed:
      return "fixed";
    case Event::Kind::last_affected:
      return "last_affected";
    case Event::Kind::limit:
      return "limit";
  }
  return "introduced";
}

json::array string_array(const std::vector<std::string>& items) {
  json::array out;
  for (const auto& s : items) out.emplace_back(s);
  return out;
}

std::string string_at(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return {};
  return std::string(v->get_string());
}

std::vector<std::string> strings_at(const json::object& o, std::string_view key) {
  std::vector<std::string> out;
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_array()) return out;
  for (const auto& item : v->get_array()) {
    if (item.is_string()) out.emplace_back(item.get_string());
  }
  return out;
}

double number_at(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr) return 0;
  if (v->is_double()) return v->get_double();
  if (v->is_int64()) return static_cast<double>(v->get_int64());
  if (v->is_uint64()) return static_cast<double>(v->get_uint64());
  return 0;
}

Status status_from_name(std::string_view name) {
  for (Status s :
       {Status::affected, Status::fixed, Status::will_not_fix, Status::fix_deferred, Status::end_of_life}) {
    if (status_name(s) == name) return s;
  }
  return Status::unknown;
}

Result<json::object> parse_object(std::string_view text, std::string_view what) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) {
    return base::make_error(Errc::corrupt, "vulndb: stored " + std::string(what) + " is not a JSON object");
  }
  return std::move(v.get_object());
}

}  // namespace

std::string_view severity_name(Severity severity) {
  switch (severity) {
    case Severity::unknown:
      return "UNKNOWN";
    case Severity::low:
      return "LOW";
    case Severity::medium:
      return "MEDIUM";
    case Severity::high:
      return "HIGH";
    case Severity::critical:
      return "CRITICAL";
  }
  return "UNKNOWN";
}

Severity severity_from_name(std::string_view name) {
  if (iequals(name, "low") || iequals(name, "negligible")) return Severity::low;
  if (iequals(name, "medium") || iequals(name, "moderate")) return Severity::medium;
  if (iequals(name, "high") || iequals(name, "important")) return Severity::high;
  if (iequals(name, "critical")) return Severity::critical;
  return Severity::unknown;
}

Severity severity_from_score(double score) {
  if (score >= 9.0) return Severity::critical;
  if (score >= 7.0) return Severity::high;
  if (score >= 4.0) return Severity::medium;
  if (score > 0.0) return Severity::low;
  return Severity::unknown;
}

std::string_view status_name(Status status) {
  switch (status) {
    case Status::unknown:
      return "unknown";
    case Status::affected:
      return "affected";
    case Status::fixed:
      return "fixed";
    case Status::will_not_fix:
      return "will_not_fix";
    case Status::fix_deferred:
      return "fix_deferred";
    case Status::end_of_life:
      return "end_of_life";
  }
  return "unknown";
}

void make_valid_utf8(Advisories& advisories) {
  const auto strings = [](std::vector<std::string>& items) {
    for (auto& item : items) base::make_valid_utf8(item);
  };
  for (auto& a : advisories.affected) {
    for (std::string* text : {&a.ecosystem, &a.package, &a.vuln_id, &a.severity_source})
      base::make_valid_utf8(*text);
    for (auto& range : a.ranges) {
      for (auto& event : range.events) base::make_valid_utf8(event.version);
    }
    strings(a.versions);
    strings(a.vendor_ids);
  }
  for (auto& v : advisories.vulnerabilities) {
    for (std::string* text :
         {&v.id, &v.title, &v.description, &v.cvss_v3_vector, &v.cvss_v4_vector, &v.published, &v.modified}) {
      base::make_valid_utf8(*text);
    }
    strings(v.aliases);
    strings(v.references);
  }
}

std::string encode(const Affected& a) {
  json::object o;
  if (!a.ranges.empty()) {
    json::array ranges;
    for (const auto& r : a.ranges) {
      json::array events;
      for (const auto& e : r.events) {
        json::object event;
        event[event_key(e.kind)] = e.version;
        events.push_back(std::move(event));
      }
      json::object range;
      range["type"] = r.semver ? "SEMVER" : "ECOSYSTEM";
      range["events"] = std::move(events);
      ranges.push_back(std::move(range));
    }
    o["ranges"] = std::move(ranges);
  }
  if (!a.versions.empty()) o["versions"] = string_array(a.versions);
  if (a.status != Status::unknown) o["status"] = status_name(a.status);
  if (a.severity != Severity::unknown) o["severity"] = severity_name(a.severity);
  if (!a.severity_source.empty()) o["severity_source"] = a.severity_source;
  if (!a.vendor_ids.empty()) o["vendor_ids"] = string_array(a.vendor_ids);
  return json::serialize(o);
}

Result<Affected> decode_affected(std::string_view ecosystem, std::string_view package,
                                 std::string_view vuln_id, std::string_view spec) {
  auto parsed = parse_object(spec, "affected row");
  if (!parsed) return std::move(parsed).error();
  const json::object& o = *parsed;
  Affected a;
  a.ecosystem = ecosystem;
  a.package = package;
  a.vuln_id = vuln_id;
  if (const auto* ranges = o.if_contains("ranges"); ranges != nullptr && ranges->is_array()) {
    for (const auto& rv : ranges->get_array()) {
      if (!rv.is_object()) continue;
      Range range;
      range.semver = string_at(rv.get_object(), "type") == "SEMVER";
      const auto* events = rv.get_object().if_contains("events");
      if (events == nullptr || !events->is_array()) continue;
      for (const auto& ev : events->get_array()) {
        if (!ev.is_object() || ev.get_object().empty()) continue;
        const auto& [key, value] = *ev.get_object().begin();
        if (!value.is_string()) continue;
        Event event;
        event.version = value.get_string();
        for (auto kind :
             {Event::Kind::introduced, Event::Kind::fixed, Event::Kind::last_affected, Event::Kind::limit}) {
          if (event_key(kind) == key) event.kind = kind;
        }
        range.events.push_back(std::move(event));
      }
      a.ranges.push_back(std::move(range));
    }
  }
  a.versions = strings_at(o, "versions");
  a.status = status_from_name(string_at(o, "status"));
  a.severity = severity_from_name(string_at(o, "severity"));
  a.severity_source = string_at(o, "severity_source");
  a.vendor_ids = strings_at(o, "vendor_ids");
  return a;
}

std::string encode(const Vulnerability& v) {
  json::object o;
  if (!v.title.empty()) o["title"] = v.title;
  if (!v.description.empty()) o["description"] = v.description;
  if (v.severity != Severity::unknown) o["severity"] = severity_name(v.severity);
  if (!v.cvss_v3_vector.empty()) {
    o["cvss_v3_vector"] = v.cvss_v3_vector;
    o["cvss_v3_score"] = v.cvss_v3_score;
  }
  if (!v.cvss_v4_vector.empty()) {
    o["cvss_v4_vector"] = v.cvss_v4_vector;
    o["cvss_v4_score"] = v.cvss_v4_score;
  }
  if (!v.aliases.empty()) o["aliases"] = string_array(v.aliases);
  if (!v.references.empty()) o["references"] = string_array(v.references);
  if (!v.published.empty()) o["published"] = v.published;
  if (!v.modified.empty()) o["modified"] = v.modified;
  return json::serialize(o);
}

Result<Vulnerability> decode_vulnerability(std::string_view id, std::string_view doc) {
  auto parsed = parse_object(doc, "vulnerability");
  if (!parsed) return std::move(parsed).error();
  const json::object& o = *parsed;
  Vulnerability v;
  v.id = id;
  v.title = string_at(o, "title");
  v.description = string_at(o, "description");
  v.severity = severity_from_name(string_at(o, "severity"));
  v.cvss_v3_vector = string_at(o, "cvss_v3_vector");
  v.cvss_v3_score = number_at(o, "cvss_v3_score");
  v.cvss_v4_vector = string_at(o, "cvss_v4_vector");
  v.cvss_v4_score = number_at(o, "cvss_v4_score");
  v.aliases = strings_at(o, "aliases");
  v.references = strings_at(o, "references");
  v.published = string_at(o, "published");
  v.modified = string_at(o, "modified");
  return v;
}

}  // namespace berth::vulndb
