// The route check's semantics: which routes match a query, since when a query holds, whether
// it broke; fed by hand, no kernel.
#include "topo/run/route_history.h"

#include <linux/rtnetlink.h>

#include <gtest/gtest.h>

namespace topo {
namespace {

using namespace std::chrono_literals;

nl::IpPrefix prefix(const char* text) {
  return *nl::IpPrefix::parse(text, true);
}

nl::Nexthop hop(const char* gateway, const char* ifname, bool dead = false) {
  nl::Nexthop h;
  if (gateway) h.gateway = prefix(gateway);
  h.ifindex = 2;
  h.ifname = ifname;
  h.dead = dead;
  return h;
}

nl::Route route(const char* dst, std::vector<nl::Nexthop> hops, int protocol = RTPROT_OSPF) {
  nl::Route r;
  r.dst = prefix(dst);
  r.protocol = protocol;
  r.nexthops = std::move(hops);
  return r;
}

RouteQuery query(const char* dst, std::optional<const char*> via = {},
                 std::optional<std::string> dev = {}) {
  RouteQuery q{"r1", prefix(dst), {}, dev};
  if (via) q.via = prefix(*via);
  return q;
}

TEST(RouteMatches, ExactPrefixViaAndDev) {
  std::vector<nl::Route> entries{route("10.0.0.3/32", {hop("10.0.12.2", "eth1")})};
  EXPECT_TRUE(route_matches(query("10.0.0.3/32"), entries));
  EXPECT_TRUE(route_matches(query("10.0.0.3/32", "10.0.12.2"), entries));
  EXPECT_FALSE(route_matches(query("10.0.0.3/32", "10.0.13.2"), entries));
  EXPECT_TRUE(route_matches(query("10.0.0.3/32", {}, "eth1"), entries));
  EXPECT_FALSE(route_matches(query("10.0.0.3/32", {}, "eth2"), entries));
  EXPECT_TRUE(route_matches(query("10.0.0.3/32", "10.0.12.2", "eth1"), entries));
  EXPECT_FALSE(route_matches(query("10.0.0.3/32", "10.0.12.2", "eth2"), entries));
  EXPECT_FALSE(route_matches(query("10.0.0.3/32"), {}));
}

TEST(RouteMatches, AnyNexthopOfAMultipathRouteButNotADeadOne) {
  std::vector<nl::Route> entries{
      route("10.9.0.0/16", {hop("10.0.12.2", "eth1", /*dead=*/true), hop("10.0.13.2", "eth2")})};
  EXPECT_TRUE(route_matches(query("10.9.0.0/16", "10.0.13.2"), entries));
  EXPECT_FALSE(route_matches(query("10.9.0.0/16", "10.0.12.2"), entries));
  EXPECT_FALSE(route_matches(query("10.9.0.0/16", {}, "eth1"), entries));
  EXPECT_TRUE(route_matches(query("10.9.0.0/16"), entries));
}

TEST(RouteText, SaysWhatTheNodeHas) {
  EXPECT_EQ(query_text(query("10.0.0.3/32", "10.0.12.2"), true),
            "r1 has a route to 10.0.0.3/32 via 10.0.12.2");
  EXPECT_EQ(query_text(query("10.0.0.3/32", {}, "eth1"), false),
            "r1 has no route to 10.0.0.3/32 dev eth1");
  EXPECT_EQ(routes_text("r1", prefix("10.0.0.3/32"), {}), "r1 has no route to 10.0.0.3/32");
  EXPECT_EQ(
      routes_text("r1", prefix("10.0.0.3/32"), {route("10.0.0.3/32", {hop("10.0.12.2", "eth1")})}),
      "r1 has 10.0.0.3/32 via 10.0.12.2 dev eth1 proto ospf");
}

class History : public ::testing::Test {
 protected:
  SteadyTime t0 = SteadyTime{} + 1000s;
  nl::RouteTable start_table() {
    nl::RouteTable t;
    t.add(route("10.0.0.3/32", {hop("10.0.12.2", "eth1")}), false);
    return t;
  }
};

TEST_F(History, WhatTheFirstDumpFoundHeldSinceEver) {
  RouteHistory h(start_table(), t0);
  EXPECT_EQ(h.holding_since(query("10.0.0.3/32"), true, t0 + 5s), SteadyTime::min());
  EXPECT_EQ(h.holding_since(query("10.0.0.4/32"), false, t0 + 5s), SteadyTime::min());
  EXPECT_EQ(h.holding_since(query("10.0.0.4/32"), true, t0 + 5s), std::nullopt);
}

TEST_F(History, ARouteThatMovesIsTimedByTheChangeThatMadeTheQueryHold) {
  RouteHistory h(start_table(), t0);
  // Withdrawn at +1s, back through another neighbour at +1.5s.
  h.record(prefix("10.0.0.3/32"), {}, t0 + 1s, true);
  h.record(prefix("10.0.0.3/32"), {route("10.0.0.3/32", {hop("10.0.13.2", "eth2")})}, t0 + 1500ms,
           true);
  RouteQuery via_new = query("10.0.0.3/32", "10.0.13.2");
  EXPECT_EQ(h.holding_since(via_new, true, t0 + 2s), t0 + 1500ms);
  EXPECT_EQ(h.holding_since(via_new, true, t0 + 1200ms), std::nullopt);
  EXPECT_EQ(h.holding_since(query("10.0.0.3/32", "10.0.12.2"), false, t0 + 2s), t0 + 1s);
  EXPECT_EQ(h.holding_since(query("10.0.0.3/32"), false, t0 + 1200ms), t0 + 1s);
  EXPECT_EQ(h.holding_since(query("10.0.0.3/32"), false, t0 + 2s), std::nullopt);
  // It broke at +1s (and came back): no "holds throughout" over that span.
  EXPECT_EQ(h.first_break(query("10.0.0.3/32"), true, t0, t0 + 2s), t0 + 1s);
  EXPECT_EQ(h.first_break(query("10.0.0.3/32"), true, t0 + 1500ms, t0 + 2s), std::nullopt);
  EXPECT_EQ(h.first_break(query("10.0.0.3/32"), true, t0 + 1200ms, t0 + 2s), t0 + 1200ms);
  EXPECT_EQ(h.entries(prefix("10.0.0.3/32"), t0 + 1200ms).size(), 0u);
  EXPECT_EQ(h.table_at(t0 + 2s).size(), 1u);
}

TEST_F(History, AFlapTimesTheLastOnsetAndChangesThatKeepItHoldingDoNot) {
  RouteHistory h(start_table(), t0);
  nl::IpPrefix dst = prefix("10.0.0.3/32");
  h.record(dst, {}, t0 + 1s, true);
  h.record(dst, {route("10.0.0.3/32", {hop("10.0.12.2", "eth1")})}, t0 + 2s, true);
  h.record(dst, {}, t0 + 3s, true);
  h.record(dst, {route("10.0.0.3/32", {hop("10.0.12.2", "eth1")})}, t0 + 4s, true);
  // Another metric added later: the query held already.
  nl::Route other = route("10.0.0.3/32", {hop("10.0.13.2", "eth2")});
  other.metric = 20;
  h.record(dst, {route("10.0.0.3/32", {hop("10.0.12.2", "eth1")}), other}, t0 + 5s, true);
  EXPECT_EQ(h.holding_since(query("10.0.0.3/32"), true, t0 + 6s), t0 + 4s);
  EXPECT_EQ(h.holding_since(query("10.0.0.3/32", "10.0.13.2"), true, t0 + 6s), t0 + 5s);
}

TEST_F(History, StampsNeverGoBackAndRepeatsAreNotChanges) {
  RouteHistory h(start_table(), t0);
  nl::IpPrefix dst = prefix("10.0.0.3/32");
  h.record(dst, {}, t0 + 2s, true);
  // A change found by a later dump stamped before the last record counts from that record.
  h.record(dst, {route("10.0.0.3/32", {hop("10.0.13.2", "eth2")})}, t0 + 1s, false);
  EXPECT_EQ(h.holding_since(query("10.0.0.3/32", "10.0.13.2"), true, t0 + 3s), t0 + 2s);
  EXPECT_FALSE(h.exact(dst, t0, t0 + 3s));
  EXPECT_TRUE(h.exact(dst, t0 + 2s, t0 + 3s));
  h.record(dst, {route("10.0.0.3/32", {hop("10.0.13.2", "eth2")})}, t0 + 4s, true);
  EXPECT_EQ(h.holding_since(query("10.0.0.3/32", "10.0.13.2"), true, t0 + 5s), t0 + 2s);
  h.lost(t0 + 6s);
  EXPECT_FALSE(h.exact(dst, t0 + 5s, t0 + 7s));
}

}  // namespace
}  // namespace topo
