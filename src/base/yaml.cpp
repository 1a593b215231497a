#include "base/yaml.h"

#include <yaml-cpp/yaml.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <charconv>
#include <cmath>
#include <string>

#include "base/utf8.h"

namespace berth::base {
namespace {

namespace json = boost::json;

// YAML passes any byte through; JSON text must be UTF-8.
json::string valid_text(const std::string& text) {
  return json::string(is_valid_utf8(text) ? text : to_valid_utf8(text));
}

// A plain (unquoted) scalar as YAML 1.2's core schema reads it.
json::value typed_scalar(const std::string& text) {
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") return nullptr;
  const char* end = text.data() + text.size();
  std::int64_t integer = 0;
  if (auto [ptr, ec] = std::from_chars(text.data(), end, integer); ec == std::errc() && ptr == end)
    return integer;
  double decimal = 0;
  // Not "inf" or "nan" (plain strings in YAML, and no JSON number can hold them).
  if (auto [ptr, ec] = std::from_chars(text.data(), end, decimal);
      ec == std::errc() && ptr == end && std::isfinite(decimal))
    return decimal;
  return valid_text(text);
}

json::value to_json(const YAML::Node& node, YamlScalars scalars, int depth) {
  constexpr int kMaxDepth = 64;
  if (depth > kMaxDepth) return nullptr;
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      // yaml-cpp tags plain scalars "?" and quoted ones "!".
      if (scalars == YamlScalars::typed && node.Tag() == "?") return typed_scalar(node.Scalar());
      return valid_text(node.Scalar());
    case YAML::NodeType::Sequence: {
      json::array a;
      for (const auto& item : node) a.push_back(to_json(item, scalars, depth + 1));
      return a;
    }
    case YAML::NodeType::Map: {
      json::object o;
      for (const auto& kv : node) {
        if (!kv.first.IsScalar()) continue;
        o[valid_text(kv.first.Scalar())] = to_json(kv.second, scalars, depth + 1);
      }
      return o;
    }
    default:
      return nullptr;
  }
}

}  // namespace

Result<json::value> parse_yaml(std::string_view text, YamlScalars scalars) {
  try {
    return to_json(YAML::Load(std::string(text)), scalars, 0);
  } catch (const YAML::Exception& e) {
    return make_error(Errc::corrupt, std::string("invalid YAML: ") + e.what());
  }
}

}  // namespace berth::base
