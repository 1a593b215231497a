// YAML documents as JSON values (yaml-cpp to Boost.JSON), for readers of YAML formats
// (OSV advisories, Helm charts). Library berth_base_yaml.
#pragma once

#include <boost/json/value.hpp>
#include <string_view>

#include "base/result.h"

namespace berth::base {

enum class YamlScalars {
  strings,  // every scalar a JSON string
  typed,    // unquoted true/false, null/~, integers and decimals as JSON booleans, null, numbers
};

// The deepest nesting parse_yaml accepts (the root is level 0).
inline constexpr int kMaxYamlDepth = 64;

// Parses one YAML document: mappings become objects (only scalar keys are kept), sequences
// arrays; an alias becomes a copy of its anchor's value. Text that is not UTF-8 has its
// ill-formed bytes replaced by U+FFFD (YAML passes any byte through; JSON must be UTF-8).
// Errors: corrupt, with the reason: invalid YAML (yaml-cpp's message), nesting deeper than
// kMaxYamlDepth, or aliases that expand to more than four values per byte of `text`.
Result<boost::json::value> parse_yaml(std::string_view text, YamlScalars scalars);

}  // namespace berth::base
