// Harbor's doublestar selectors, shared by tag immutability and tag retention rules: a kind
// (always "doublestar"), a decoration saying whether the pattern selects what it matches or
// what it does not ("matches"/"excludes" for tags, "repoMatches"/"repoExcludes" for
// repositories) and the pattern. Retention's tag selectors also carry `extras`, the JSON text
// {"untagged":bool} saying whether artifacts without tags are selected.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "base/result.h"

namespace berth::policy {

struct Selector {
  std::string kind = "doublestar";
  std::string decoration;  // tags: matches | excludes; repositories: repoMatches | repoExcludes
  std::string pattern;
  std::string extras;  // "" or JSON text; emitted only when set
};

enum class SelectorTarget { tag, repository };

// Reads a selector from the API's JSON. Errors: invalid_argument naming what is wrong.
base::Result<Selector> parse_selector(const boost::json::value& value, SelectorTarget target);
boost::json::object selector_json(const Selector& selector);

// Whether the selector selects `name` (a tag, or a repository without its project): the
// pattern matches it, or does not when the decoration excludes.
bool selector_selects(const Selector& selector, std::string_view name);

}  // namespace berth::policy
