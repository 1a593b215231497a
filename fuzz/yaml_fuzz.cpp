// base::parse_yaml: YAML documents as the OSV importer and the artifact inspector (Chart.yaml,
// requirements.yaml of a pushed Helm chart) read them.
// Input: the document; a first byte 0x01 asks for string scalars (the rest typed) and is not
// part of the document.
// Checks: a parsed document is JSON that serializes and parses back to the same value (so what
// Berth serves of a chart is JSON a client can read); with string scalars no scalar is a number,
// boolean or null, except where YAML had no value at all.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

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
  const json::value again = json::parse(json::serialize(*document), ec);
  FUZZ_CHECK(!ec);
  FUZZ_CHECK(again == *document);
  if (scalars == base::YamlScalars::strings) check_strings(*document);
  return 0;
}
