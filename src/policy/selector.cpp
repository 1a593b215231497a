#include "policy/selector.h"

#include "policy/doublestar.h"

namespace berth::policy {

namespace json = boost::json;

base::Result<Selector> parse_selector(const json::value& value, SelectorTarget target) {
  auto invalid = [](std::string message) {
    return base::make_error(base::Errc::invalid_argument, std::move(message));
  };
  if (!value.is_object()) return invalid("a selector must be an object");
  const auto& object = value.get_object();
  auto text = [&](const char* key) -> std::string {
    const auto* v = object.if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
  };
  Selector out;
  out.kind = text("kind");
  out.decoration = text("decoration");
  out.pattern = text("pattern");
  out.extras = text("extras");
  if (out.kind != "doublestar") return invalid("selector kind must be doublestar, not '" + out.kind + "'");
  const bool repository = target == SelectorTarget::repository;
  const bool known = repository ? (out.decoration == "repoMatches" || out.decoration == "repoExcludes")
                                : (out.decoration == "matches" || out.decoration == "excludes");
  if (!known)
    return invalid(std::string("selector decoration must be ") +
                   (repository ? "repoMatches or repoExcludes" : "matches or excludes") + ", not '" +
                   out.decoration + "'");
  if (out.pattern.empty()) return invalid("selector pattern is required");
  if (!valid_doublestar(out.pattern)) return invalid("invalid pattern: " + out.pattern);
  return out;
}

json::object selector_json(const Selector& selector) {
  json::object out{
      {"kind", selector.kind}, {"decoration", selector.decoration}, {"pattern", selector.pattern}};
  if (!selector.extras.empty()) out["extras"] = selector.extras;
  return out;
}

bool selector_selects(const Selector& selector, std::string_view name) {
  const bool match = doublestar_match(selector.pattern, name);
  const bool excludes = selector.decoration == "excludes" || selector.decoration == "repoExcludes";
  return excludes ? !match : match;
}

}  // namespace berth::policy
