#include "replication/policy.h"

#include <boost/json.hpp>

#include "jobs/cron.h"
#include "oci/names.h"
#include "policy/doublestar.h"

namespace berth::replication {
namespace {

namespace json = boost::json;
using base::Errc;

base::Error invalid(std::string message) {
  return base::make_error(Errc::invalid_argument, std::move(message));
}

std::string text(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->as_string()) : std::string();
}

bool truth(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value != nullptr && value->is_bool() && value->as_bool();
}

// The id of a registry member ({"id": N}); 0 when absent or null.
base::Result<std::int64_t> registry_id(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value == nullptr || value->is_null()) return std::int64_t{0};
  if (!value->is_object()) return invalid(std::string(key) + " must be an object");
  const auto* id = value->as_object().if_contains("id");
  if (id == nullptr || id->is_null()) return std::int64_t{0};
  if (!id->is_int64() || id->as_int64() < 0) return invalid(std::string(key) + ".id must be a registry id");
  return id->as_int64();
}

base::Result<Filter> parse_filter(const json::value& item) {
  if (!item.is_object()) return invalid("invalid filter type");
  const auto& object = item.as_object();
  Filter filter;
  filter.type = text(object, "type");
  filter.decoration = text(object, "decoration");
  const auto* value = object.if_contains("value");
  if (filter.type == "name" || filter.type == "tag" || filter.type == "resource") {
    if (value != nullptr && !value->is_null() && !value->is_string())
      return invalid("the type of filter value isn't string");
    filter.value = text(object, "value");
  } else if (filter.type == "label") {
    if (value != nullptr && !value->is_null()) {
      if (!value->is_array()) return invalid("the type of label filter value isn't string slice");
      for (const auto& label : value->as_array()) {
        if (!label.is_string()) return invalid("the type of label filter value isn't string slice");
        filter.labels.emplace_back(label.as_string());
      }
    }
  } else {
    return invalid("invalid filter type");
  }
  if (!filter.decoration.empty()) {
    if (filter.type != "tag" && filter.type != "label")
      return invalid("only tag and label filter support decoration");
    if (filter.decoration != "matches" && filter.decoration != "excludes")
      return invalid("invalid filter decoration, :" + filter.decoration);
  }
  if (filter.type == "resource" && !filter.value.empty() && filter.value != "image" &&
      filter.value != "artifact")
    return invalid("invalid resource filter: " + filter.value);
  if ((filter.type == "name" || filter.type == "tag") && !policy::valid_doublestar(filter.value))
    return invalid("invalid " + filter.type + " filter pattern: " + filter.value);
  return filter;
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  while (!path.empty()) {
    const auto slash = path.find('/');
    out.emplace_back(path.substr(0, slash));
    path.remove_prefix(slash == std::string_view::npos ? path.size() : slash + 1);
  }
  return out;
}

}  // namespace

base::Result<Policy> parse_policy(const json::object& body) {
  Policy p;
  p.name = text(body, "name");
  if (p.name.empty()) return invalid("empty name");
  if (p.name.size() > 256) return invalid("the name is longer than 256 characters");
  p.description = text(body, "description");
  auto src = registry_id(body, "src_registry");
  if (!src) return std::move(src).error();
  auto dest = registry_id(body, "dest_registry");
  if (!dest) return std::move(dest).error();
  p.src_registry_id = *src;
  p.dest_registry_id = *dest;
  if ((p.src_registry_id == 0) == (p.dest_registry_id == 0))
    return invalid(
        "either src_registry or dest_registry should be empty and the other one shouldn't be empty");
  p.dest_namespace = text(body, "dest_namespace");
  if (!p.dest_namespace.empty() && !oci::valid_repository_name(p.dest_namespace))
    return invalid("invalid destination namespace: " + p.dest_namespace);
  if (const auto* count = body.if_contains("dest_namespace_replace_count");
      count != nullptr && !count->is_null()) {
    if (!count->is_int64() || count->as_int64() < -1 || count->as_int64() > 127)
      return invalid("dest_namespace_replace_count must be -1 or a number of levels");
    p.dest_namespace_replace_count = static_cast<int>(count->as_int64());
  }
  if (const auto* trigger = body.if_contains("trigger"); trigger != nullptr && trigger->is_object()) {
    const auto& t = trigger->as_object();
    p.trigger = text(t, "type");
    if (p.trigger.empty()) p.trigger = "manual";
    if (const auto* settings = t.if_contains("trigger_settings");
        settings != nullptr && settings->is_object())
      p.cron = text(settings->as_object(), "cron");
  }
  if (p.trigger != "manual" && p.trigger != "scheduled" && p.trigger != "event_based")
    return invalid("invalid trigger type");
  if (p.trigger == "scheduled") {
    if (p.cron.empty()) return invalid("the cron string cannot be empty when the trigger type is scheduled");
    if (auto cron = jobs::CronSpec::parse(p.cron); !cron)
      return invalid("invalid cron string for scheduled trigger: " + p.cron);
  } else {
    p.cron.clear();
  }
  if (p.trigger == "event_based" && !p.push())
    return invalid("an event-based trigger needs this registry as the source");
  if (const auto* filters = body.if_contains("filters"); filters != nullptr && !filters->is_null()) {
    if (!filters->is_array()) return invalid("filters must be an array");
    for (const auto& item : filters->as_array()) {
      auto filter = parse_filter(item);
      if (!filter) return std::move(filter).error();
      p.filters.push_back(std::move(*filter));
    }
  }
  // Harbor reads "deletion" (replicate_deletion is its output name); either turns it on.
  p.replicate_deletion = truth(body, "deletion") || truth(body, "replicate_deletion");
  p.override = truth(body, "override");
  p.enabled = truth(body, "enabled");
  if (const auto* speed = body.if_contains("speed"); speed != nullptr && speed->is_int64())
    p.speed_kb = std::max<std::int64_t>(0, speed->as_int64());
  p.copy_by_chunk = truth(body, "copy_by_chunk");
  p.single_active_replication = truth(body, "single_active_replication");
  return p;
}

json::object policy_json(const Policy& p) {
  json::array filters;
  for (const auto& f : p.filters) {
    json::object item{{"type", f.type}};
    if (f.type == "label") {
      json::array labels;
      for (const auto& l : f.labels) labels.emplace_back(l);
      item["value"] = std::move(labels);
    } else {
      item["value"] = f.value;
    }
    if (!f.decoration.empty()) item["decoration"] = f.decoration;
    filters.push_back(std::move(item));
  }
  json::object trigger{{"type", p.trigger}, {"trigger_settings", json::object{{"cron", p.cron}}}};
  return json::object{{"id", p.id},
                      {"name", p.name},
                      {"description", p.description},
                      {"dest_namespace", p.dest_namespace},
                      {"dest_namespace_replace_count", p.dest_namespace_replace_count},
                      {"trigger", std::move(trigger)},
                      {"filters", std::move(filters)},
                      {"replicate_deletion", p.replicate_deletion},
                      {"deletion", p.replicate_deletion},
                      {"override", p.override},
                      {"enabled", p.enabled},
                      {"speed", p.speed_kb},
                      {"copy_by_chunk", p.copy_by_chunk},
                      {"single_active_replication", p.single_active_replication}};
}

meta::ReplicationPolicyRecord to_record(const Policy& p) {
  meta::ReplicationPolicyRecord r;
  r.id = p.id;
  r.name = p.name;
  r.src_registry_id = p.src_registry_id;
  r.dest_registry_id = p.dest_registry_id;
  r.enabled = p.enabled;
  json::object stored = policy_json(p);
  r.policy_json = json::serialize(stored);
  return r;
}

base::Result<Policy> from_record(const meta::ReplicationPolicyRecord& r) {
  boost::system::error_code ec;
  auto parsed = json::parse(r.policy_json, ec);
  if (ec || !parsed.is_object())
    return base::make_error(Errc::corrupt, "replication policy " + std::to_string(r.id) + " is not JSON");
  json::object& body = parsed.as_object();
  body["name"] = r.name;
  body["enabled"] = r.enabled;
  body["src_registry"] = json::object{{"id", r.src_registry_id}};
  body["dest_registry"] = json::object{{"id", r.dest_registry_id}};
  auto p = parse_policy(body);
  if (!p)
    return base::make_error(Errc::corrupt,
                            "replication policy " + std::to_string(r.id) + ": " + p.error().message);
  p->id = r.id;
  p->created = r.created;
  p->updated = r.updated;
  return p;
}

bool selects_repository(const Policy& p, std::string_view repository) {
  for (const auto& f : p.filters) {
    if (f.type == "name" && !f.value.empty() && !policy::doublestar_match(f.value, repository)) return false;
  }
  return true;
}

bool selects_tag(const Policy& p, std::string_view tag) {
  for (const auto& f : p.filters) {
    if (f.type != "tag" || f.value.empty()) continue;
    const bool match = policy::doublestar_match(f.value, tag);
    if (match == (f.decoration == "excludes")) return false;
  }
  return true;
}

bool selects_labels(const Policy& p, const std::vector<std::string>& labels) {
  for (const auto& f : p.filters) {
    if (f.type != "label" || f.labels.empty()) continue;
    bool all = true;
    for (const auto& wanted : f.labels) {
      if (std::find(labels.begin(), labels.end(), wanted) == labels.end()) all = false;
    }
    if (all == (f.decoration == "excludes")) return false;
  }
  return true;
}

bool selects_resource(const Policy& p, std::string_view kind) {
  for (const auto& f : p.filters) {
    if (f.type == "resource" && !f.value.empty() && f.value != kind) return false;
  }
  return true;
}

base::Result<std::string> destination_repository(const Policy& p, const std::string& source) {
  if (p.dest_namespace.empty()) return source;
  const auto parts = split_path(source);
  const std::string& last = parts.back();
  const int prefix = static_cast<int>(parts.size()) - 1;
  const int count = p.dest_namespace_replace_count;
  if (count < 0) return p.dest_namespace + "/" + last;
  if (count > prefix) {
    return invalid(
        "the source repository \"" + source + "\" contains only " + std::to_string(prefix) +
        " path components excepting the last one, but the destination namespace flattening level is " +
        std::to_string(count));
  }
  std::string out = p.dest_namespace;
  for (int i = count; i < prefix; ++i) out += "/" + parts[static_cast<std::size_t>(i)];
  return out + "/" + last;
}

}  // namespace berth::replication
