// base::parse_yaml: YAML documents as the OSV importer and the artifact inspector (Chart.yaml,
// requirements.yaml of a pushed Helm chart) read them.
// Input: the document; a first byte 0x01 asks for string scalars (the rest typed) and is not
// part of the document.
// Checks: a parsed document is JSON that serializes and parses back to the same value, nested no
// deeper than promised (so what
// Berth serves of a chart is JSON a client can read); with string scalars no scalar is a number,
// boolean or null, except where YAML had no value at all.
#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cmath>

#include "base/yaml.h"
#include "fuzz_support.h"

namespace {

using namespace berth;
namespace json = boost::json;

void check_strings(const json::value& value) {
  if (value.is_array()) {
    for (const auto& item : value.as_array()) check_strings(item);
  } else if (value.is_object()) {
    for (const auto& member : value.as_object()) check_strings(member.value());
  } else {
    FUZZ_CHECK(value.is_string() || value.is_null());
  }
}

// a == b, but doubles within a relative 1e-14: Boost.JSON 1.81 parses numbers fast, not exactly.
bool same(const json::value& a, const json::value& b) {
  if (a.is_double() && b.is_double()) {
    const double x = a.get_double(), y = b.get_double();
    return x == y || std::fabs(x - y) <= 1e-14 * std::max(std::fabs(x), std::fabs(y));
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const auto &p = a.get_array(), &q = b.get_array();
    if (p.size() != q.size()) return false;
    for (std::size_t i = 0; i < p.size(); ++i)
      if (!same(p[i], q[i])) return false;
    return true;
  }
  if (a.is_object()) {
    const auto &p = a.get_object(), &q = b.get_object();
    if (p.size() != q.size()) return false;
    for (const auto& member : p) {
      const auto* other = q.if_contains(member.key());
      if (other == nullptr || !same(member.value(), *other)) return false;
    }
    return true;
  }
  return a == b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::as_text(data, size);
  auto scalars = base::YamlScalars::typed;
  if (text.starts_with('\x01')) {
    scalars = base::YamlScalars::strings;
    text.remove_prefix(1);
  }
  auto document = base::parse_yaml(text, scalars);
  if (!document) {
    FUZZ_CHECK(document.error().code == base::Errc::corrupt);
    return 0;
  }
  boost::system::error_code ec;
  json::parse_options options;
  options.max_depth = base::kMaxYamlDepth + 1;
  const json::value again = json::parse(json::serialize(*document), ec, {}, options);
  FUZZ_CHECK(!ec);
  FUZZ_CHECK(same(again, *document));
  if (scalars == base::YamlScalars::strings) check_strings(*document);
  return 0;
}
