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

// Why a document is refused after it parsed as YAML.
struct Refused {
  std::string reason;
};

// Converts yaml-cpp's node graph to JSON within bounds: an alias is a reference that the JSON
// copies, so a few lines of anchors can stand for billions of values ("billion laughs"), and an
// alias inside its own anchor for an endless nesting.
class Converter {
 public:
  Converter(YamlScalars scalars, std::size_t max_values) : scalars_(scalars), left_(max_values) {}

  json::value convert(const YAML::Node& node, int depth) {
    if (depth > kMaxYamlDepth)
      throw Refused{"nested deeper than " + std::to_string(kMaxYamlDepth) + " levels"};
    if (left_ == 0) throw Refused{"its aliases expand to too many values"};
    --left_;
    switch (node.Type()) {
      case YAML::NodeType::Scalar:
        // yaml-cpp tags plain scalars "?" and quoted ones "!".
        if (scalars_ == YamlScalars::typed && node.Tag() == "?") return typed_scalar(node.Scalar());
        return valid_text(node.Scalar());
      case YAML::NodeType::Sequence: {
        json::array a;
        for (const auto& item : node) a.push_back(convert(item, depth + 1));
        return a;
      }
      case YAML::NodeType::Map: {
        json::object o;
        for (const auto& kv : node) {
          if (!kv.first.IsScalar()) continue;
          o[valid_text(kv.first.Scalar())] = convert(kv.second, depth + 1);
        }
        return o;
      }
      default:
        return nullptr;
    }
  }

 private:
  YamlScalars scalars_;
  std::size_t left_;
};

}  // namespace

Result<json::value> parse_yaml(std::string_view text, YamlScalars scalars) {
  try {
    const YAML::Node root = YAML::Load(std::string(text));
    // Without aliases a document has fewer values than bytes; with them, at most four times.
    return Converter(scalars, 4 * text.size() + 1024).convert(root, 0);
  } catch (const YAML::Exception& e) {
    return make_error(Errc::corrupt, std::string("invalid YAML: ") + e.what());
  } catch (const Refused& refused) {
    return make_error(Errc::corrupt, "YAML refused: " + refused.reason);
  }
}

}  // namespace berth::base
