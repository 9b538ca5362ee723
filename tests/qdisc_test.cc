#include "netlink/qdisc.h"

#include <gtest/gtest.h>

#include <limits>

#include "topo/impair.h"
#include "topo/model.h"

namespace {

TEST(Qdisc, TbfIsSizedInBytesFromTheRateInBits) {
  nl::TbfSizes s = nl::tbf_sizes(20'000'000);  // 20mbit
  EXPECT_EQ(s.rate_bytes, 2'500'000u);
  EXPECT_EQ(s.bucket, 16384u);  // 4 ms would be 10 kB: the floor of full-size segments wins
  EXPECT_EQ(s.limit, 16384u + 125'000u);                 // and 50 ms of queue
  nl::TbfSizes fast = nl::tbf_sizes(10'000'000'000ull);  // 10gbit
  EXPECT_EQ(fast.rate_bytes, 1'250'000'000u);
  EXPECT_EQ(fast.bucket, 5'000'000u);
}

TEST(Qdisc, NetemProbabilitiesUseTheKernelsU32Scale) {
  EXPECT_EQ(nl::netem_probability(0), 0u);
  EXPECT_EQ(nl::netem_probability(100), std::numeric_limits<uint32_t>::max());
  EXPECT_EQ(nl::netem_probability(50), 2147483648u);
  EXPECT_NEAR(nl::netem_probability(0.5), 21474836.0, 1.0);
}

TEST(Impairment, AnEndsSettingsOverrideTheLinksAndReadBack) {
  topo::Impair link, end;
  link.delay_us = 10000;
  link.loss = 0.5;
  link.rate_bps = 100'000'000;
  end.delay_us = 5000;
  nl::Impairment e = topo::effective_impairment(&link, &end);
  EXPECT_EQ(e.delay_us, 5000u);
  EXPECT_DOUBLE_EQ(e.loss, 0.5);
  EXPECT_TRUE(e.needs_netem());
  EXPECT_EQ(topo::impairment_text(e), "delay 5ms loss 0.5% rate 100mbit");
  nl::Impairment rate_only = topo::effective_impairment(nullptr, nullptr);
  rate_only.rate_bps = 64000;
  EXPECT_FALSE(rate_only.needs_netem());
  EXPECT_EQ(topo::impairment_text(rate_only), "rate 64kbit");
}

}  // namespace
