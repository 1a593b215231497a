#include "policy/retention.h"

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cmath>
#include <ctime>
#include <optional>

namespace berth::policy {
namespace {

namespace json = boost::json;

enum class Unit { none, count, days };

struct Template {
  std::string_view name;
  std::string_view display_text;
  Unit unit;
};

// Harbor's metadata lists the first five; the others are evaluators it also registers.
constexpr std::array<Template, 8> kTemplates{{
    {"latestPushedK", "the most recently pushed # artifacts", Unit::count},
    {"latestPulledN", "the most recently pulled # artifacts", Unit::count},
    {"nDaysSinceLastPush", "pushed within the last # days", Unit::days},
    {"nDaysSinceLastPull", "pulled within the last # days", Unit::days},
    {"always", "always", Unit::none},
    {"latestActiveK", "the most recently pushed or pulled # artifacts", Unit::count},
    {"lastXDays", "pushed within the last # days", Unit::days},
    {"nothing", "none", Unit::none},
}};

constexpr std::int64_t kMaxCount = 32767;    // Harbor: "... is too large" at or above
constexpr std::int64_t kMaxDays = 20190904;  // Harbor's limit on day counts

const Template* find_template(std::string_view name) {
  for (const auto& t : kTemplates)
    if (t.name == name) return &t;
  return nullptr;
}

base::Error invalid(std::string message) {
  return base::make_error(base::Errc::invalid_argument, std::move(message));
}

std::optional<std::int64_t> integer(const json::value& value) {
  if (value.is_int64()) return value.get_int64();
  if (value.is_uint64() && value.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(value.get_uint64());
  if (value.is_double()) {
    const double d = value.get_double();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15) return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

base::Status check_params(const RetentionRule& rule, const Template& t) {
  if (t.unit == Unit::none) return base::ok_status();
  const std::string key(t.name);
  const auto* value = rule.params.if_contains(key);
  if (value == nullptr || value->is_null())
    return invalid("missing required parameter " + key + " for rule " + key);
  auto n = integer(*value);
  if (!n) return invalid(key + " type error");
  if (*n < 0) return invalid(key + " is less than zero");
  if (t.unit == Unit::count ? *n >= kMaxCount : *n > kMaxDays) return invalid(key + " is too large");
  return base::ok_status();
}

base::Result<std::vector<Selector>> parse_selectors(const json::value* value, SelectorTarget target,
                                                    std::string_view what) {
  if (value == nullptr || !value->is_array() || value->get_array().empty())
    return invalid(std::string(what) + " is required");
  std::vector<Selector> out;
  for (const auto& item : value->get_array()) {
    auto selector = parse_selector(item, target);
    if (!selector) return selector.error();
    if (target == SelectorTarget::tag && !selector->extras.empty()) {
      boost::system::error_code ec;
      auto extras = json::parse(selector->extras, ec);
      const json::value* untagged =
          !ec && extras.is_object() ? extras.get_object().if_contains("untagged") : nullptr;
      if (ec || !extras.is_object() || (untagged != nullptr && !untagged->is_bool()))
        return invalid("tag selector extras must be JSON like {\"untagged\":true}");
    }
    out.push_back(std::move(*selector));
  }
  return out;
}

base::Result<RetentionRule> parse_rule(const json::value& value) {
  if (!value.is_object()) return invalid("a rule must be an object");
  const auto& object = value.get_object();
  RetentionRule rule;
  if (const auto* v = object.if_contains("id"); v != nullptr && v->is_int64()) rule.id = v->get_int64();
  if (const auto* v = object.if_contains("priority"); v != nullptr && v->is_int64())
    rule.priority = v->get_int64();
  if (const auto* v = object.if_contains("disabled"); v != nullptr && v->is_bool())
    rule.disabled = v->get_bool();
  if (const auto* v = object.if_contains("action");
      v != nullptr && v->is_string() && !v->get_string().empty())
    rule.action = std::string(v->get_string());
  if (rule.action != "retain") return invalid("rule action must be retain, not '" + rule.action + "'");
  const auto* name = object.if_contains("template");
  if (name == nullptr || !name->is_string() || name->get_string().empty())
    return invalid("rule template is required");
  rule.template_name = std::string(name->get_string());
  const Template* t = find_template(rule.template_name);
  if (t == nullptr) return invalid("rule evaluator " + rule.template_name + " is not registered");
  if (const auto* v = object.if_contains("params"); v != nullptr && v->is_object())
    rule.params = v->get_object();
  if (auto s = check_params(rule, *t); !s) return s.error();
  auto tags = parse_selectors(object.if_contains("tag_selectors"), SelectorTarget::tag, "tag_selectors");
  if (!tags) return tags.error();
  rule.tag_selectors = std::move(*tags);
  const auto* scopes = object.if_contains("scope_selectors");
  auto repositories = parse_selectors(
      scopes != nullptr && scopes->is_object() ? scopes->get_object().if_contains("repository") : nullptr,
      SelectorTarget::repository, "scope_selectors.repository");
  if (!repositories) return repositories.error();
  rule.repository_selectors = std::move(*repositories);
  return rule;
}

json::object rule_json(const RetentionRule& rule) {
  json::array tags;
  for (const auto& s : rule.tag_selectors) tags.push_back(selector_json(s));
  json::array repositories;
  for (const auto& s : rule.repository_selectors) repositories.push_back(selector_json(s));
  return json::object{
      {"id", rule.id},
      {"priority", rule.priority},
      {"disabled", rule.disabled},
      {"action", rule.action},
      {"template", rule.template_name},
      {"params", rule.params},
      {"tag_selectors", std::move(tags)},
      {"scope_selectors", json::object{{"repository", std::move(repositories)}}},
  };
}

// The number a rule's template takes (validated when parsed).
std::int64_t parameter(const RetentionRule& rule) {
  const auto* value = rule.params.if_contains(rule.template_name);
  auto n = value != nullptr ? integer(*value) : std::nullopt;
  return n.value_or(0);
}

bool untagged_selected(const Selector& selector) {
  bool untagged = selector.decoration == "matches";  // Harbor's default when extras say nothing
  if (!selector.extras.empty()) {
    boost::system::error_code ec;
    auto extras = json::parse(selector.extras, ec);
    if (!ec && extras.is_object())
      if (const auto* v = extras.get_object().if_contains("untagged"); v != nullptr && v->is_bool())
        untagged = v->get_bool();
  }
  return untagged;
}

bool rule_selects(const RetentionRule& rule, const RetentionCandidate& candidate) {
  for (const auto& selector : rule.tag_selectors) {
    bool selected = candidate.tags.empty() && untagged_selected(selector);
    for (const auto& tag : candidate.tags) selected = selected || selector_selects(selector, tag);
    if (!selected) return false;
  }
  return true;
}

bool rule_covers(const RetentionRule& rule, std::string_view repository) {
  if (rule.disabled) return false;
  return std::all_of(rule.repository_selectors.begin(), rule.repository_selectors.end(),
                     [&](const Selector& s) { return selector_selects(s, repository); });
}

// Marks in `kept` the selected candidates (indices) the rule retains.
void retain(const RetentionRule& rule, const std::vector<RetentionCandidate>& candidates,
            std::vector<std::size_t> selected, TimePoint now, std::vector<bool>& kept) {
  const std::int64_t n = parameter(rule);
  auto newest_first = [&](auto key) {
    std::stable_sort(selected.begin(), selected.end(),
                     [&](std::size_t a, std::size_t b) { return key(candidates[a]) > key(candidates[b]); });
    for (std::size_t i = 0; i < selected.size() && static_cast<std::int64_t>(i) < n; ++i)
      kept[selected[i]] = true;
  };
  auto since = [&](auto key) {
    const TimePoint cutoff = now - std::chrono::hours(24) * n;
    for (auto i : selected)
      if (key(candidates[i]) != TimePoint{} && key(candidates[i]) >= cutoff) kept[i] = true;
  };
  auto pushed = [](const RetentionCandidate& c) { return c.pushed; };
  auto pulled = [](const RetentionCandidate& c) { return c.pulled; };
  const std::string& t = rule.template_name;
  if (t == "latestPushedK") {
    newest_first(pushed);
  } else if (t == "latestPulledN") {
    std::erase_if(selected, [&](std::size_t i) { return candidates[i].pulled == TimePoint{}; });
    newest_first(pulled);
  } else if (t == "latestActiveK") {
    newest_first([](const RetentionCandidate& c) { return std::max(c.pushed, c.pulled); });
  } else if (t == "nDaysSinceLastPush" || t == "lastXDays") {
    since(pushed);
  } else if (t == "nDaysSinceLastPull") {
    since(pulled);
  } else if (t == "always") {
    for (auto i : selected) kept[i] = true;
  }
  // "nothing" retains nothing.
}

std::string format_time(TimePoint time) {
  if (time == TimePoint{}) return {};
  const std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y/%m/%d %H:%M:%S", &tm);
  return buffer;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ',';
    out += item;
  }
  return out;
}

}  // namespace

base::Result<RetentionPolicy> parse_retention_policy(const json::object& body) {
  RetentionPolicy policy;
  if (const auto* v = body.if_contains("id"); v != nullptr && v->is_int64()) policy.id = v->get_int64();
  if (const auto* v = body.if_contains("algorithm");
      v != nullptr && v->is_string() && !v->get_string().empty())
    policy.algorithm = std::string(v->get_string());
  if (policy.algorithm != "or") return invalid("algorithm must be or, not '" + policy.algorithm + "'");
  const auto* rules = body.if_contains("rules");
  if (rules != nullptr && !rules->is_null() && !rules->is_array()) return invalid("rules must be an array");
  if (rules != nullptr && rules->is_array()) {
    if (rules->get_array().size() > kMaxRetentionRules)
      return invalid("only " + std::to_string(kMaxRetentionRules) + " rules are allowed at most");
    for (const auto& item : rules->get_array()) {
      auto rule = parse_rule(item);
      if (!rule) return rule.error();
      policy.rules.push_back(std::move(*rule));
    }
  }
  for (std::size_t i = 0; i < policy.rules.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      auto a = rule_json(policy.rules[i]);
      auto b = rule_json(policy.rules[j]);
      a.erase("id");
      b.erase("id");
      if (a == b)
        return base::make_error(base::Errc::conflict,
                                "rule " + std::to_string(i) + " is conflict with rule " + std::to_string(j));
    }
  }
  const auto* trigger = body.if_contains("trigger");
  if (trigger != nullptr && trigger->is_object()) {
    const auto& object = trigger->get_object();
    if (const auto* kind = object.if_contains("kind"); kind != nullptr && kind->is_string())
      policy.trigger_kind = std::string(kind->get_string());
    if (policy.trigger_kind != "Schedule")
      return invalid("trigger kind must be Schedule, not '" + policy.trigger_kind + "'");
    const auto* settings = object.if_contains("settings");
    if (settings == nullptr || !settings->is_object()) return invalid("Trigger.Settings: Can not be empty");
    const auto* cron = settings->get_object().if_contains("cron");
    if (cron == nullptr || !cron->is_string()) return invalid("Trigger.Settings.cron: Can not be empty");
    policy.cron = std::string(cron->get_string());
  }
  const auto* scope = body.if_contains("scope");
  if (scope == nullptr || !scope->is_object()) return invalid("scope is required");
  const auto& scope_object = scope->get_object();
  if (const auto* level = scope_object.if_contains("level"); level != nullptr && level->is_string())
    policy.scope_level = std::string(level->get_string());
  if (policy.scope_level != "project") return invalid("scope " + policy.scope_level + " is not support");
  const auto* ref = scope_object.if_contains("ref");
  auto project = ref != nullptr ? integer(*ref) : std::nullopt;
  if (!project || *project <= 0)
    return invalid("invalid Project id " + (project ? std::to_string(*project) : std::string("(none)")));
  policy.project_id = *project;
  return policy;
}

json::object retention_policy_json(const RetentionPolicy& policy) {
  json::array rules;
  for (const auto& rule : policy.rules) rules.push_back(rule_json(rule));
  return json::object{
      {"id", policy.id},
      {"algorithm", policy.algorithm},
      {"rules", std::move(rules)},
      {"trigger", json::object{{"kind", policy.trigger_kind},
                               {"settings", json::object{{"cron", policy.cron}}},
                               {"references", json::object{}}}},
      {"scope", json::object{{"level", policy.scope_level}, {"ref", policy.project_id}}},
  };
}

json::object retention_metadata_json() {
  json::array templates;
  for (const auto& t : kTemplates) {
    json::array params;
    if (t.unit != Unit::none)
      params.push_back(json::object{
          {"type", "int"}, {"unit", t.unit == Unit::count ? "COUNT" : "DAYS"}, {"required", true}});
    templates.push_back(json::object{{"rule_template", t.name},
                                     {"display_text", t.display_text},
                                     {"action", "retain"},
                                     {"params", std::move(params)}});
  }
  return json::object{
      {"templates", std::move(templates)},
      {"scope_selectors",
       json::array{json::object{{"display_text", "Repositories"},
                                {"kind", "doublestar"},
                                {"decorations", json::array{"repoMatches", "repoExcludes"}}}}},
      {"tag_selectors", json::array{json::object{{"display_text", "Tags"},
                                                 {"kind", "doublestar"},
                                                 {"decorations", json::array{"matches", "excludes"}}}}},
  };
}

std::string_view retention_name(Retention retention) {
  switch (retention) {
    case Retention::retain:
      return "RETAIN";
    case Retention::remove:
      return "DEL";
    case Retention::immutable:
      return "IMMUTABLE";
  }
  return "RETAIN";
}

bool retention_covers(const RetentionPolicy& policy, std::string_view repository) {
  return std::any_of(policy.rules.begin(), policy.rules.end(),
                     [&](const RetentionRule& rule) { return rule_covers(rule, repository); });
}

std::vector<Retention> evaluate_retention(const RetentionPolicy& policy, std::string_view repository,
                                          const std::vector<RetentionCandidate>& candidates, TimePoint now) {
  std::vector<bool> kept(candidates.size(), false);
  for (const auto& rule : policy.rules) {
    if (!rule_covers(rule, repository)) continue;
    std::vector<std::size_t> selected;
    for (std::size_t i = 0; i < candidates.size(); ++i)
      if (rule_selects(rule, candidates[i])) selected.push_back(i);
    retain(rule, candidates, std::move(selected), now, kept);
  }
  std::vector<Retention> out;
  out.reserve(candidates.size());
  for (std::size_t i = 0; i < candidates.size(); ++i)
    out.push_back(kept[i]                   ? Retention::retain
                  : candidates[i].immutable ? Retention::immutable
                                            : Retention::remove);
  return out;
}

std::string retention_table(const std::vector<RetentionCandidate>& candidates,
                            const std::vector<Retention>& verdicts) {
  std::vector<std::array<std::string, 8>> rows;
  rows.push_back({"Digest", "Tag", "Kind", "Labels", "PushedTime", "PulledTime", "CreatedTime", "Retention"});
  for (std::size_t i = 0; i < candidates.size() && i < verdicts.size(); ++i) {
    const auto& c = candidates[i];
    rows.push_back({c.digest, join(c.tags), c.kind, join(c.labels), format_time(c.pushed),
                    format_time(c.pulled), format_time(c.created), std::string(retention_name(verdicts[i]))});
  }
  std::array<std::size_t, 8> width{};
  for (const auto& row : rows)
    for (std::size_t k = 0; k < row.size(); ++k) width[k] = std::max(width[k], row[k].size());
  std::string out;
  auto line = [&](const std::array<std::string, 8>& row) {
    out += '|';
    for (std::size_t k = 0; k < row.size(); ++k) {
      out += ' ';
      out += row[k];
      out.append(width[k] - row[k].size() + 1, ' ');
      out += '|';
    }
    out += '\n';
  };
  line(rows.front());
  out += '+';
  for (auto w : width) {
    out.append(w + 2, '-');
    out += '+';
  }
  out += '\n';
  for (std::size_t r = 1; r < rows.size(); ++r) line(rows[r]);
  return out;
}

}  // namespace berth::policy
