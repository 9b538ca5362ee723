#include "netlink/qdisc.h"

#include <gtest/gtest.h>

#include <limits>

#include <netlink/route/tc.h>

#include "topo/model/impair.h"
#include "topo/model/model.h"

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

// The requests an impairment change sends, as the kernel sees them (this kernel has no netem,
// so the sequence is the test: the kernel refuses a qdisc of another kind under handle 1:).
using Op = nl::QdiscRequest::Op;
const nl::QdiscRequest kRemoveRoot{Op::remove_root, "", TC_H_ROOT, 0};
const nl::QdiscRequest kNetemRoot{Op::add, "netem", TC_H_ROOT, TC_HANDLE(1, 0)};
const nl::QdiscRequest kTbfRoot{Op::add, "tbf", TC_H_ROOT, TC_HANDLE(1, 0)};
const nl::QdiscRequest kTbfUnderNetem{Op::add, "tbf", TC_HANDLE(1, 1), TC_HANDLE(10, 0)};

nl::Impairment delay() {
  nl::Impairment i;
  i.delay_us = 10000;
  return i;
}
nl::Impairment rate() {
  nl::Impairment i;
  i.rate_bps = 1'000'000;
  return i;
}
nl::Impairment delay_and_rate() {
  nl::Impairment i = delay();
  i.rate_bps = 1'000'000;
  return i;
}

TEST(Qdisc, AFreshInterfaceGetsItsImpairmentWithoutARemoval) {
  nl::QdiscState fresh{"noqueue", false};
  EXPECT_EQ(nl::impairment_requests(fresh, delay()), std::vector{kNetemRoot});
  EXPECT_EQ(nl::impairment_requests(fresh, rate()), std::vector{kTbfRoot});
  EXPECT_EQ(nl::impairment_requests(fresh, delay_and_rate()),
            (std::vector{kNetemRoot, kTbfUnderNetem}));
  EXPECT_TRUE(nl::impairment_requests(fresh, nl::Impairment{}).empty());
  EXPECT_TRUE(nl::impairment_requests({"", false}, nl::Impairment{}).empty());
}

TEST(Qdisc, TheSameKindIsReplacedInPlace) {
  EXPECT_EQ(nl::impairment_requests({"netem", false}, delay()), std::vector{kNetemRoot});
  EXPECT_EQ(nl::impairment_requests({"tbf", false}, rate()), std::vector{kTbfRoot});
  EXPECT_EQ(nl::impairment_requests({"netem", true}, delay_and_rate()),
            (std::vector{kNetemRoot, kTbfUnderNetem}));
  EXPECT_EQ(nl::impairment_requests({"netem", false}, delay_and_rate()),
            (std::vector{kNetemRoot, kTbfUnderNetem}));
}

TEST(Qdisc, AnotherKindAtTheRootIsRemovedFirst) {
  // tbf alone -> netem: handle 1: would be reused with another kind.
  EXPECT_EQ(nl::impairment_requests({"tbf", false}, delay()),
            (std::vector{kRemoveRoot, kNetemRoot}));
  EXPECT_EQ(nl::impairment_requests({"tbf", false}, delay_and_rate()),
            (std::vector{kRemoveRoot, kNetemRoot, kTbfUnderNetem}));
  // netem (+tbf) -> tbf alone.
  EXPECT_EQ(nl::impairment_requests({"netem", true}, rate()), (std::vector{kRemoveRoot, kTbfRoot}));
  EXPECT_EQ(nl::impairment_requests({"netem", false}, rate()),
            (std::vector{kRemoveRoot, kTbfRoot}));
}

TEST(Qdisc, ATbfChildNoLongerWantedDoesNotStayBehind) {
  EXPECT_EQ(nl::impairment_requests({"netem", true}, delay()),
            (std::vector{kRemoveRoot, kNetemRoot}));
}

TEST(Qdisc, NoImpairmentRemovesOnlyWhatTopoSets) {
  EXPECT_EQ(nl::impairment_requests({"netem", true}, nl::Impairment{}), std::vector{kRemoveRoot});
  EXPECT_EQ(nl::impairment_requests({"tbf", false}, nl::Impairment{}), std::vector{kRemoveRoot});
  // A qdisc topo does not set is not topo's to remove.
  EXPECT_TRUE(nl::impairment_requests({"fq_codel", false}, nl::Impairment{}).empty());
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

// The live reader reads an end's impairment back from the journal's text.
TEST(Impairment, TheTextReadsBackAsTheImpairment) {
  nl::Impairment i;
  i.delay_us = 1500;
  i.jitter_us = 2000;
  i.loss = 0.25;
  i.duplicate = 1;
  i.corrupt = 0.5;
  i.reorder = 3;
  i.rate_bps = 64000;
  std::optional<nl::Impairment> back = topo::parse_impairment_text(topo::impairment_text(i));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, i);
  EXPECT_EQ(topo::parse_impairment_text(""), nl::Impairment{});
  EXPECT_FALSE(topo::parse_impairment_text("delay"));
  EXPECT_FALSE(topo::parse_impairment_text("speed 10mbit"));
  EXPECT_FALSE(topo::parse_impairment_text("loss lots"));
}

}  // namespace
