#include "topo/model/units.h"

#include <gtest/gtest.h>

namespace topo {
namespace {

TEST(Units, Durations) {
  EXPECT_EQ(parse_duration_us("10ms"), 10000u);
  EXPECT_EQ(parse_duration_us("2s"), 2000000u);
  EXPECT_EQ(parse_duration_us("500us"), 500u);
  EXPECT_EQ(parse_duration_us("1.5ms"), 1500u);
  for (const char* bad : {"", "10", "ms", "-1ms", "10 ms", "10m", "1e3ms", "2h", "9999s"})
    EXPECT_FALSE(parse_duration_us(bad)) << bad;
}

TEST(Units, Percentages) {
  EXPECT_DOUBLE_EQ(*parse_percent("0.5%"), 0.5);
  EXPECT_DOUBLE_EQ(*parse_percent("100%"), 100);
  for (const char* bad : {"", "5", "101%", "-1%", "%", "1.2.3%"}) EXPECT_FALSE(parse_percent(bad));
}

TEST(Units, Rates) {
  EXPECT_EQ(parse_rate_bps("100mbit"), 100000000u);
  EXPECT_EQ(parse_rate_bps("64kbit"), 64000u);
  EXPECT_EQ(parse_rate_bps("1.5gbit"), 1500000000u);
  for (const char* bad : {"", "100", "100mbps", "100MBit", "mbit", "0kbit"})
    EXPECT_FALSE(parse_rate_bps(bad)) << bad;
}

}  // namespace
}  // namespace topo
