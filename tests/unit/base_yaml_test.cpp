#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "base/yaml.h"

namespace berth::base {
namespace {

namespace json = boost::json;

TEST(ParseYaml, TypedScalarsBecomeJsonTypes) {
  auto value =
      parse_yaml("name: demo\nversion: 1.2.3\nreplicas: 3\nratio: 0.5\non: true\nnothing: ~\nquoted: '3'\n",
                 YamlScalars::typed);
  ASSERT_TRUE(value.ok()) << value.error().message;
  const json::object& o = value->as_object();
  EXPECT_EQ(o.at("name"), "demo");
  EXPECT_EQ(o.at("version"), "1.2.3");
  EXPECT_EQ(o.at("replicas"), 3);
  EXPECT_EQ(o.at("ratio"), 0.5);
  EXPECT_EQ(o.at("on"), true);
  EXPECT_TRUE(o.at("nothing").is_null());
  EXPECT_EQ(o.at("quoted"), "3");
}

// JSON has no number for them; in YAML they are plain strings (its infinity is ".inf").
TEST(ParseYaml, InfinityAndNanWordsStayStrings) {
  auto value = parse_yaml("a: inf\nb: nan\nc: -infinity\nd: 1e400\n", YamlScalars::typed);
  ASSERT_TRUE(value.ok()) << value.error().message;
  const json::object& o = value->as_object();
  EXPECT_EQ(o.at("a"), "inf");
  EXPECT_EQ(o.at("b"), "nan");
  EXPECT_EQ(o.at("c"), "-infinity");
  EXPECT_EQ(o.at("d"), "1e400");
}

TEST(ParseYaml, StringScalarsStayStrings) {
  auto value = parse_yaml("replicas: 3\nlist: [a, 2]\n", YamlScalars::strings);
  ASSERT_TRUE(value.ok()) << value.error().message;
  EXPECT_EQ(value->as_object().at("replicas"), "3");
  EXPECT_EQ(value->as_object().at("list").as_array().at(1), "2");
}

// A Chart.yaml may hold any byte (YAML does not check); what Berth serves of it is JSON, which
// a client must be able to parse (yaml_fuzz checks the round trip).
TEST(ParseYaml, TextThatIsNotUtf8IsReplaced) {
  auto value = parse_yaml("descr\xff: \"caf\xe9\"\nplain: x\xc3\n", YamlScalars::typed);
  ASSERT_TRUE(value.ok()) << value.error().message;
  const json::object& o = value->as_object();
  EXPECT_EQ(o.at("descr\xef\xbf\xbd"), "caf\xef\xbf\xbd");
  EXPECT_EQ(o.at("plain"), "x\xef\xbf\xbd");
  boost::system::error_code ec;
  json::value again = json::parse(json::serialize(*value), ec);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(again, *value);
}

// Found by yaml_fuzz: an alias inside its own anchor nested without end, and aliases of aliases
// multiply ("billion laughs"); both are refused instead of expanded.
TEST(ParseYaml, AliasesThatExpandWithoutBoundAreRefused) {
  std::ifstream found(
      std::filesystem::path(BERTH_FUZZ_REGRESSIONS) / "yaml" / "alias-inside-its-own-anchor.yaml",
      std::ios::binary);
  const std::string found_text((std::istreambuf_iterator<char>(found)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(found_text.empty());
  for (const std::string& cyclic_text : {found_text, std::string("base: &base\n  a: 1\n  <<: *base\n")}) {
    auto cyclic = parse_yaml(cyclic_text, YamlScalars::typed);
    ASSERT_FALSE(cyclic.ok());
    EXPECT_EQ(cyclic.error().code, Errc::corrupt);
  }
  std::string laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char level = 'b'; level <= 'j'; ++level) {
    const char below = static_cast<char>(level - 1);
    laughs += std::string(1, level) + ": &" + level + " [";
    for (int i = 0; i < 10; ++i) laughs += std::string(i ? ", *" : "*") + below;
    laughs += "]\n";
  }
  auto bomb = parse_yaml(laughs, YamlScalars::strings);  // 10^10 strings
  ASSERT_FALSE(bomb.ok());
  EXPECT_EQ(bomb.error().code, Errc::corrupt);
  auto anchors = parse_yaml("defaults: &d {replicas: 2}\nprod: *d\nstaging: *d\n", YamlScalars::typed);
  ASSERT_TRUE(anchors.ok()) << anchors.error().message;
  EXPECT_EQ(anchors->as_object().at("staging").as_object().at("replicas"), 2);
}

TEST(ParseYaml, NestingPastTheLimitIsRefused) {
  auto nested = [](int levels) { return std::string(levels, '[') + std::string(levels, ']'); };
  EXPECT_TRUE(parse_yaml(nested(kMaxYamlDepth + 1), YamlScalars::typed).ok());  // levels 0 to 64
  auto deep = parse_yaml(nested(kMaxYamlDepth + 2), YamlScalars::typed);
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.error().code, Errc::corrupt);
}

TEST(ParseYaml, InvalidYamlIsCorrupt) {
  auto value = parse_yaml("a: [unclosed\n", YamlScalars::typed);
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.error().code, Errc::corrupt);
}

}  // namespace
}  // namespace berth::base
