// Replication policies as Harbor shapes them (filters, flattening, validation) and the sealing
// of registry secrets.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "base/secret_box.h"
#include "replication/policy.h"

namespace berth {
namespace {

namespace json = boost::json;

replication::Policy parse(std::string_view text) {
  auto policy = replication::parse_policy(json::parse(text).as_object());
  EXPECT_TRUE(policy.ok()) << (policy.ok() ? "" : policy.error().message);
  return policy.ok() ? *policy : replication::Policy{};
}

std::string parse_error(std::string_view text) {
  auto policy = replication::parse_policy(json::parse(text).as_object());
  return policy.ok() ? std::string("accepted") : policy.error().message;
}

TEST(ReplicationPolicy, FlatteningFollowsHarborsReplaceCount) {
  auto p = parse(R"({"name":"p","dest_registry":{"id":1},"dest_namespace":"n"})");
  EXPECT_EQ(*replication::destination_repository(p, "a/b/c/image"), "n/image");  // -1 by default
  for (auto [count, expected] : std::vector<std::pair<int, std::string>>{
           {0, "n/a/b/c/image"}, {1, "n/b/c/image"}, {2, "n/c/image"}, {3, "n/image"}}) {
    p.dest_namespace_replace_count = count;
    EXPECT_EQ(*replication::destination_repository(p, "a/b/c/image"), expected) << count;
  }
  p.dest_namespace_replace_count = 4;
  EXPECT_FALSE(replication::destination_repository(p, "a/b/c/image").ok());
  p.dest_namespace.clear();
  EXPECT_EQ(*replication::destination_repository(p, "a/b/c/image"), "a/b/c/image");
}

TEST(ReplicationPolicy, FiltersSelectNamesTagsAndLabels) {
  auto p = parse(R"({"name":"p","dest_registry":{"id":1},"filters":[
    {"type":"name","value":"library/**"},{"type":"tag","value":"v*"},
    {"type":"tag","value":"*-rc*","decoration":"excludes"},
    {"type":"label","value":["prod"],"decoration":"matches"}]})");
  EXPECT_TRUE(replication::selects_repository(p, "library/a/b"));
  EXPECT_FALSE(replication::selects_repository(p, "other/a"));
  EXPECT_TRUE(replication::selects_tag(p, "v1.2"));
  EXPECT_FALSE(replication::selects_tag(p, "v1.2-rc1"));
  EXPECT_FALSE(replication::selects_tag(p, "latest"));
  EXPECT_TRUE(replication::selects_labels(p, {"prod", "x"}));
  EXPECT_FALSE(replication::selects_labels(p, {"dev"}));
}

TEST(ReplicationPolicy, RefusesWhatHarborRefuses) {
  EXPECT_EQ(parse_error(R"({"dest_registry":{"id":1}})"), "empty name");
  EXPECT_EQ(parse_error(R"({"name":"p"})"),
            "either src_registry or dest_registry should be empty and the other one shouldn't be empty");
  EXPECT_EQ(parse_error(R"({"name":"p","src_registry":{"id":1},"dest_registry":{"id":2}})"),
            "either src_registry or dest_registry should be empty and the other one shouldn't be empty");
  EXPECT_EQ(parse_error(R"({"name":"p","dest_registry":{"id":1},"trigger":{"type":"hourly"}})"),
            "invalid trigger type");
  EXPECT_EQ(parse_error(R"({"name":"p","dest_registry":{"id":1},"trigger":{"type":"scheduled"}})"),
            "the cron string cannot be empty when the trigger type is scheduled");
  EXPECT_EQ(
      parse_error(
          R"({"name":"p","dest_registry":{"id":1},"filters":[{"type":"name","value":"a","decoration":"excludes"}]})"),
      "only tag and label filter support decoration");
  EXPECT_EQ(
      parse_error(R"({"name":"p","dest_registry":{"id":1},"filters":[{"type":"resource","value":"chart"}]})"),
      "invalid resource filter: chart");
  EXPECT_EQ(parse_error(R"({"name":"p","src_registry":{"id":1},"trigger":{"type":"event_based"}})"),
            "an event-based trigger needs this registry as the source");
}

TEST(ReplicationPolicy, RoundTripsThroughItsRecord) {
  auto p = parse(R"({"name":"p","src_registry":{"id":3},"dest_namespace":"m","dest_namespace_replace_count":1,
    "trigger":{"type":"scheduled","trigger_settings":{"cron":"0 0 3 * * *"}},"deletion":true,"override":true,
    "enabled":true,"speed":100,"filters":[{"type":"tag","value":"v*","decoration":"excludes"}]})");
  p.id = 7;
  auto record = replication::to_record(p);
  record.id = 7;
  auto back = replication::from_record(record);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(json::serialize(replication::policy_json(*back)), json::serialize(replication::policy_json(p)));
  EXPECT_FALSE(back->push());
  EXPECT_TRUE(back->replicate_deletion);
}

TEST(SecretBox, SealsSoThatOnlyItsKeyOpens) {
  auto box = base::SecretBox::with_key(std::string(32, 'k'));
  auto other = base::SecretBox::with_key(std::string(32, 'o'));
  ASSERT_TRUE(box.ok() && other.ok());
  const std::string sealed = box->seal("hunter2");
  EXPECT_EQ(sealed.find("hunter2"), std::string::npos);
  EXPECT_NE(sealed, box->seal("hunter2"));  // a fresh nonce each time
  EXPECT_EQ(*box->unseal(sealed), "hunter2");
  EXPECT_FALSE(other->unseal(sealed).ok());
  std::string altered = sealed;
  altered[altered.size() / 2] = altered[altered.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(box->unseal(altered).ok());
  EXPECT_EQ(box->seal(""), "");
  EXPECT_EQ(*box->unseal(""), "");
}

}  // namespace
}  // namespace berth
