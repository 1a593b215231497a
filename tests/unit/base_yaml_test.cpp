#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

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
  auto value = parse_yaml("a: inf
b: nan
c: -infinity
d: 1e400
", YamlScalars::typed);
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
// a client must be able to parse (found by yaml_fuzz).
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

TEST(ParseYaml, InvalidYamlIsCorrupt) {
  auto value = parse_yaml("a: [unclosed\n", YamlScalars::typed);
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.error().code, Errc::corrupt);
}

}  // namespace
}  // namespace berth::base
