#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "iam/allowlist.h"

namespace berth::iam {
namespace {

using base::Errc;

CidrList parse(const std::vector<std::string>& entries) {
  auto list = CidrList::parse(entries);
  EXPECT_TRUE(list.ok()) << (list.ok() ? "" : list.error().message);
  return list.ok() ? std::move(list).value() : CidrList{};
}

TEST(CidrList, EmptyListAllowsEverything) {
  const CidrList list = parse({});
  EXPECT_TRUE(list.empty());
  EXPECT_TRUE(list.allows("10.1.2.3"));
  EXPECT_TRUE(list.allows("2001:db8::1"));
  EXPECT_TRUE(list.allows("garbage"));
}

TEST(CidrList, Ipv4Blocks) {
  const CidrList list = parse({"10.0.0.0/8", "192.168.1.0/24", "172.16.0.0/12"});
  EXPECT_FALSE(list.empty());
  EXPECT_TRUE(list.allows("10.0.0.0"));
  EXPECT_TRUE(list.allows("10.255.255.255"));
  EXPECT_FALSE(list.allows("11.0.0.0"));
  EXPECT_FALSE(list.allows("9.255.255.255"));
  EXPECT_TRUE(list.allows("192.168.1.77"));
  EXPECT_FALSE(list.allows("192.168.2.1"));
  EXPECT_TRUE(list.allows("172.31.255.255"));
  EXPECT_FALSE(list.allows("172.32.0.0"));
}

TEST(CidrList, OddPrefixLengthsCutInsideAByte) {
  const CidrList list = parse({"192.168.1.64/27"});  // .64 - .95
  EXPECT_FALSE(list.allows("192.168.1.63"));
  EXPECT_TRUE(list.allows("192.168.1.64"));
  EXPECT_TRUE(list.allows("192.168.1.95"));
  EXPECT_FALSE(list.allows("192.168.1.96"));
}

TEST(CidrList, SingleHosts) {
  const CidrList list = parse({"192.168.1.7", "::1", "203.0.113.9/32"});
  EXPECT_TRUE(list.allows("192.168.1.7"));
  EXPECT_FALSE(list.allows("192.168.1.8"));
  EXPECT_FALSE(list.allows("192.168.1.6"));
  EXPECT_TRUE(list.allows("::1"));
  EXPECT_FALSE(list.allows("::2"));
  EXPECT_TRUE(list.allows("203.0.113.9"));
}

TEST(CidrList, Ipv6Blocks) {
  const CidrList list = parse({"fd00::/8", "2001:db8:abcd::/48"});
  EXPECT_TRUE(list.allows("fd12:3456::1"));
  EXPECT_FALSE(list.allows("fe80::1"));
  EXPECT_TRUE(list.allows("2001:db8:abcd:ffff::1"));
  EXPECT_FALSE(list.allows("2001:db8:abce::1"));
  EXPECT_FALSE(list.allows("10.0.0.1"));
}

TEST(CidrList, HostBitsInAnEntryAreIgnored) {
  const CidrList list = parse({"10.1.2.3/8", "2001:db8::ff/32", "192.168.1.70/27", "fd00::1:ff/113"});
  EXPECT_TRUE(list.allows("10.200.0.1"));
  EXPECT_TRUE(list.allows("2001:db8:1::1"));
  EXPECT_TRUE(list.allows("192.168.1.64"));
  EXPECT_TRUE(list.allows("192.168.1.95"));
  EXPECT_FALSE(list.allows("192.168.1.96"));
  EXPECT_TRUE(list.allows("fd00::1:0"));
  EXPECT_TRUE(list.allows("fd00::1:7fff"));
  EXPECT_FALSE(list.allows("fd00::1:8000"));
}

TEST(CidrList, ZeroPrefixMatchesTheWholeFamilyOnly) {
  const CidrList v4 = parse({"0.0.0.0/0"});
  EXPECT_TRUE(v4.allows("1.2.3.4"));
  EXPECT_TRUE(v4.allows("::ffff:1.2.3.4"));
  EXPECT_FALSE(v4.allows("2001:db8::1"));
}

TEST(CidrList, Ipv4MappedAddressesCountAsIpv4) {
  const CidrList list = parse({"10.0.0.0/8"});
  EXPECT_TRUE(list.allows("::ffff:10.1.2.3"));
  EXPECT_TRUE(list.allows("::FFFF:10.1.2.3"));
  EXPECT_TRUE(list.allows("[::ffff:10.1.2.3]"));
  EXPECT_FALSE(list.allows("::ffff:11.1.2.3"));
  // Not mapped: an IPv4-compatible or NAT64 address is a different IPv6 address.
  EXPECT_FALSE(list.allows("::10.1.2.3"));
  EXPECT_FALSE(list.allows("64:ff9b::10.1.2.3"));
}

TEST(CidrList, Ipv4MappedEntriesCountAsIpv4) {
  const CidrList host = parse({"::ffff:192.0.2.1"});
  EXPECT_TRUE(host.allows("192.0.2.1"));
  EXPECT_FALSE(host.allows("192.0.2.2"));
  const CidrList block = parse({"::ffff:10.0.0.0/104"});  // = 10.0.0.0/8
  EXPECT_TRUE(block.allows("10.9.9.9"));
  EXPECT_TRUE(block.allows("::ffff:10.9.9.9"));
  EXPECT_FALSE(block.allows("11.0.0.0"));
}

TEST(CidrList, BracketsZonesAndSpaces) {
  const CidrList list = parse({"[::1]", " 10.0.0.0/8 ", "fe80::/10"});
  EXPECT_TRUE(list.allows("[::1]"));
  EXPECT_TRUE(list.allows("::1"));
  EXPECT_TRUE(list.allows("10.0.0.1"));
  EXPECT_TRUE(list.allows("fe80::1%eth0"));
}

TEST(CidrList, UnparsableAddressesAreOutside) {
  const CidrList list = parse({"0.0.0.0/0", "::/0"});
  EXPECT_TRUE(list.allows("8.8.8.8"));
  EXPECT_TRUE(list.allows("2001:db8::1"));
  EXPECT_FALSE(list.allows(""));
  EXPECT_FALSE(list.allows("localhost"));
  EXPECT_FALSE(list.allows("10.0.0.256"));
  EXPECT_FALSE(list.allows("10.0.0"));
  EXPECT_FALSE(list.allows("10.0.0.1:8080"));
  EXPECT_FALSE(list.allows("[10.0.0.1]x"));
  EXPECT_FALSE(list.allows("::g"));
}

TEST(CidrList, BadEntriesAreRefusedByName) {
  const std::vector<std::string> bad = {
      "10.0.0.0/33",  "::/129",       "10.0.0.0/",
      "10.0.0.0/-1",  "10.0.0.0/8/8", "10.0.0.0/abc",
      "10.0.0.256",   "example.com",  "",
      "10.0.0.0/+8",  "fd00::/8x",    "::ffff:10.0.0.0/8",
      "1.2.3.4.5/32", "[::1",         "10.0.0.0/ 8",
  };
  for (const auto& entry : bad) {
    const auto list = CidrList::parse({"192.168.0.0/16", entry});
    ASSERT_FALSE(list.ok()) << "accepted: \"" << entry << "\"";
    EXPECT_EQ(list.error().code, Errc::invalid_argument);
    EXPECT_NE(list.error().message.find("\"" + entry + "\""), std::string::npos) << list.error().message;
  }
}

}  // namespace
}  // namespace berth::iam
