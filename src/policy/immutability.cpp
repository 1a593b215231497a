#include "policy/immutability.h"

#include <boost/json.hpp>

namespace berth::policy {
namespace {

namespace json = boost::json;

base::Error invalid(std::string message) {
  return base::make_error(base::Errc::invalid_argument, std::move(message));
}

bool same_rule(const ImmutableRule& a, const ImmutableRule& b) {
  auto same = [](const Selector& x, const Selector& y) {
    return x.decoration == y.decoration && x.pattern == y.pattern;
  };
  return same(a.tag, b.tag) && same(a.repository, b.repository);
}

std::string rule_text(const ImmutableRule& rule) {
  return json::serialize(immutable_rule_json(rule));
}

}  // namespace

base::Result<ImmutableRule> parse_immutable_rule(const json::object& body) {
  ImmutableRule rule;
  if (const auto* v = body.if_contains("priority"); v != nullptr && v->is_int64())
    rule.priority = v->get_int64();
  if (const auto* v = body.if_contains("disabled"); v != nullptr && v->is_bool())
    rule.disabled = v->get_bool();
  if (const auto* v = body.if_contains("action"); v != nullptr && v->is_string() && !v->get_string().empty())
    rule.action = std::string(v->get_string());
  if (const auto* v = body.if_contains("template");
      v != nullptr && v->is_string() && !v->get_string().empty())
    rule.template_name = std::string(v->get_string());
  if (rule.action != "immutable") return invalid("action must be immutable");
  if (rule.template_name != "immutable_template") return invalid("template must be immutable_template");
  const auto* tags = body.if_contains("tag_selectors");
  if (tags == nullptr || !tags->is_array() || tags->get_array().empty())
    return invalid("tag_selectors is required");
  auto tag = parse_selector(tags->get_array().front(), SelectorTarget::tag);
  if (!tag) return tag.error();
  rule.tag = std::move(*tag);
  const auto* scopes = body.if_contains("scope_selectors");
  const json::value* repositories =
      scopes != nullptr && scopes->is_object() ? scopes->get_object().if_contains("repository") : nullptr;
  if (repositories == nullptr || !repositories->is_array() || repositories->get_array().empty())
    return invalid("scope_selectors.repository is required");
  auto repository = parse_selector(repositories->get_array().front(), SelectorTarget::repository);
  if (!repository) return repository.error();
  rule.repository = std::move(*repository);
  return rule;
}

json::object immutable_rule_json(const ImmutableRule& rule) {
  return json::object{
      {"id", rule.id},
      {"priority", rule.priority},
      {"disabled", rule.disabled},
      {"action", rule.action},
      {"template", rule.template_name},
      {"params", json::object{}},
      {"tag_selectors", json::array{selector_json(rule.tag)}},
      {"scope_selectors", json::object{{"repository", json::array{selector_json(rule.repository)}}}},
  };
}

bool selects(const ImmutableRule& rule, std::string_view repository, std::string_view tag) {
  return !rule.disabled && selector_selects(rule.repository, repository) && selector_selects(rule.tag, tag);
}

base::Result<std::shared_ptr<const std::vector<ImmutableRule>>> Immutability::rules_of(
    std::int64_t project_id) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = cache_.find(project_id); it != cache_.end()) return it->second;
  }
  auto records = db_.list_immutable_rules(project_id);
  if (!records) return records.error();
  auto rules = std::make_shared<std::vector<ImmutableRule>>();
  for (const auto& record : *records) {
    boost::system::error_code ec;
    auto value = json::parse(record.rule_json, ec);
    if (ec || !value.is_object()) continue;
    auto rule = parse_immutable_rule(value.get_object());
    if (!rule) continue;
    rule->id = record.id;
    rule->project_id = record.project_id;
    rule->priority = record.priority;
    rule->disabled = record.disabled;
    rules->push_back(std::move(*rule));
  }
  std::shared_ptr<const std::vector<ImmutableRule>> shared = std::move(rules);
  std::lock_guard lock(mutex_);
  cache_[project_id] = shared;
  return shared;
}

void Immutability::forget(std::int64_t project_id) {
  std::lock_guard lock(mutex_);
  cache_.erase(project_id);
}

base::Result<bool> Immutability::is_immutable(const std::string& repository, const std::string& tag) {
  const auto slash = repository.find('/');
  if (slash == std::string::npos) return false;
  auto project = iam_.project(std::string_view(repository).substr(0, slash));
  if (!project) return false;
  auto rules = rules_of(project->id);
  if (!rules) return rules.error();
  const std::string_view name = std::string_view(repository).substr(slash + 1);
  for (const auto& rule : **rules)
    if (selects(rule, name, tag)) return true;
  return false;
}

base::Result<std::vector<ImmutableRule>> Immutability::list(std::int64_t project_id) {
  auto rules = rules_of(project_id);
  if (!rules) return rules.error();
  return **rules;
}

base::Result<std::int64_t> Immutability::create(const ImmutableRule& rule) {
  auto existing = rules_of(rule.project_id);
  if (!existing) return existing.error();
  for (const auto& other : **existing)
    if (same_rule(other, rule))
      return base::make_error(base::Errc::conflict, "immutable rule already exists");
  meta::ImmutableRuleRecord record{0, rule.project_id, rule.priority, false, rule_text(rule), {}};
  auto id = db_.create_immutable_rule(record, kMaxImmutableRules);
  forget(rule.project_id);
  return id;
}

base::Status Immutability::update(const ImmutableRule& rule) {
  auto existing = rules_of(rule.project_id);
  if (!existing) return existing.error();
  for (const auto& other : **existing)
    if (other.id != rule.id && same_rule(other, rule))
      return base::make_error(base::Errc::conflict, "immutable rule already exists");
  auto s = db_.update_immutable_rule(
      meta::ImmutableRuleRecord{rule.id, rule.project_id, rule.priority, rule.disabled, rule_text(rule), {}});
  forget(rule.project_id);
  return s;
}

base::Status Immutability::remove(std::int64_t project_id, std::int64_t id) {
  auto s = db_.delete_immutable_rule(project_id, id);
  forget(project_id);
  return s;
}

}  // namespace berth::policy
