#include "topo/model/ip.h"

#include <gtest/gtest.h>

namespace nl {
namespace {

TEST(IpPrefix, ParsesV4AndV6WithPrefix) {
  auto v4 = IpPrefix::parse("10.1.0.1/30");
  ASSERT_TRUE(v4);
  EXPECT_FALSE(v4->is_v6());
  EXPECT_EQ(v4->len, 30);
  EXPECT_EQ(v4->text(), "10.1.0.1/30");
  auto v6 = IpPrefix::parse("fd00:2::1/64");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->is_v6());
  EXPECT_EQ(v6->text(), "fd00:2::1/64");
}

TEST(IpPrefix, RejectsMalformed) {
  for (const char* bad : {"", "10.1.0.1", "10.1.0.1/", "10.1.0.1/33", "10.1.0.1/-1", "10.1.0/24",
                          "fd00::1/129", "10.1.0.1/3x", "x/24", "10.1.0.1/0024"})
    EXPECT_FALSE(IpPrefix::parse(bad)) << bad;
}

TEST(IpPrefix, BareAddressOnlyWhenAllowed) {
  EXPECT_FALSE(IpPrefix::parse("10.0.0.1"));
  auto p = IpPrefix::parse("10.0.0.1", true);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->len, 32);
  EXPECT_EQ(IpPrefix::parse("fd00::1", true)->len, 128);
}

TEST(IpPrefix, NetworkAndContains) {
  auto p = *IpPrefix::parse("10.1.0.6/30");
  EXPECT_EQ(p.network().text(), "10.1.0.4/30");
  EXPECT_TRUE(p.contains(*IpPrefix::parse_address("10.1.0.5")));
  EXPECT_FALSE(p.contains(*IpPrefix::parse_address("10.1.0.9")));
  EXPECT_FALSE(p.contains(*IpPrefix::parse_address("fd00::1")));
  auto v6 = *IpPrefix::parse("fd00:1:2:3::9/62");
  EXPECT_EQ(v6.network().text(), "fd00:1:2::/62");
}

TEST(Mac, ParsesAndPrints) {
  auto m = parse_mac("02:00:0a:FF:00:01");
  ASSERT_TRUE(m);
  EXPECT_EQ(mac_text(*m), "02:00:0a:ff:00:01");
  for (const char* bad :
       {"", "02:00:00:00:00", "02:00:00:00:00:0g", "02-00-00-00-00-01", "02:00:00:00:00:001"})
    EXPECT_FALSE(parse_mac(bad)) << bad;
}

}  // namespace
}  // namespace nl
