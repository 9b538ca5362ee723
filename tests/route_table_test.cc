// The route monitor's table: kernel notifications applied as the kernel applied the change.
#include "netlink/route_table.h"

#include <linux/rtnetlink.h>

#include <gtest/gtest.h>

#include <netlink/msg.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>

#include "netlink/libnl_ptr.h"

namespace nl {
namespace {

IpPrefix prefix(const char* text) {
  return *IpPrefix::parse(text, true);
}

Nexthop hop(const char* gateway, int ifindex, const char* ifname) {
  Nexthop h;
  if (gateway) h.gateway = prefix(gateway);
  h.ifindex = ifindex;
  h.ifname = ifname;
  return h;
}

Route route(const char* dst, std::vector<Nexthop> hops, uint32_t metric = 0,
            int protocol = RTPROT_STATIC) {
  Route r;
  r.dst = prefix(dst);
  r.metric = metric;
  r.protocol = protocol;
  r.nexthops = std::move(hops);
  return r;
}

TEST(RouteTable, AddsReplacesAndRemovesIpv4) {
  RouteTable t;
  IpPrefix dst = prefix("10.0.0.3/32");
  EXPECT_TRUE(t.add(route("10.0.0.3/32", {hop("10.0.12.2", 2, "eth1")}), false));
  // The same entry again (a dump repeating a notification) changes nothing.
  EXPECT_FALSE(t.add(route("10.0.0.3/32", {hop("10.0.12.2", 2, "eth1")}), false));
  ASSERT_EQ(t.to(dst).size(), 1u);
  // NLM_F_REPLACE takes the place of the entry with the same metric.
  EXPECT_TRUE(t.add(route("10.0.0.3/32", {hop("10.0.13.2", 3, "eth2")}), true));
  ASSERT_EQ(t.to(dst).size(), 1u);
  EXPECT_EQ(t.to(dst)[0].nexthops[0].ifname, "eth2");
  // Another metric is another entry.
  EXPECT_TRUE(t.add(route("10.0.0.3/32", {hop("10.0.12.2", 2, "eth1")}, 20), false));
  EXPECT_EQ(t.to(dst).size(), 2u);
  EXPECT_TRUE(t.remove(route("10.0.0.3/32", {hop("10.0.13.2", 3, "eth2")})));
  ASSERT_EQ(t.to(dst).size(), 1u);
  EXPECT_EQ(t.to(dst)[0].metric, 20u);
  EXPECT_FALSE(t.remove(route("10.0.0.9/32", {hop("10.0.13.2", 3, "eth2")})));
  EXPECT_TRUE(t.remove(route("10.0.0.3/32", {hop("10.0.12.2", 2, "eth1")}, 20)));
  EXPECT_TRUE(t.to(dst).empty());
  EXPECT_EQ(t.size(), 0u);
}

TEST(RouteTable, Ipv6NexthopsJoinAndLeaveOneMultipathRoute) {
  RouteTable t;
  IpPrefix dst = prefix("fd00:9::/64");
  // The kernel announces a multipath route's nexthops one by one (or all at once).
  EXPECT_TRUE(t.add(route("fd00:9::/64", {hop("fe80::1", 2, "eth1")}, 1024), false));
  EXPECT_TRUE(t.add(route("fd00:9::/64", {hop("fe80::2", 3, "eth2")}, 1024), false));
  EXPECT_FALSE(t.add(
      route("fd00:9::/64", {hop("fe80::1", 2, "eth1"), hop("fe80::2", 3, "eth2")}, 1024), false));
  ASSERT_EQ(t.to(dst).size(), 1u);
  EXPECT_EQ(t.to(dst)[0].nexthops.size(), 2u);
  // One nexthop goes with an RTM_DELROUTE of that nexthop alone.
  EXPECT_TRUE(t.remove(route("fd00:9::/64", {hop("fe80::1", 2, "eth1")}, 1024)));
  ASSERT_EQ(t.to(dst).size(), 1u);
  ASSERT_EQ(t.to(dst)[0].nexthops.size(), 1u);
  EXPECT_EQ(t.to(dst)[0].nexthops[0].ifname, "eth2");
  // A replace replaces the whole multipath route, not one nexthop of it.
  t.add(route("fd00:9::/64", {hop("fe80::1", 2, "eth1")}, 1024), false);
  EXPECT_TRUE(t.add(route("fd00:9::/64", {hop("fe80::7", 4, "eth3")}, 1024), true));
  ASSERT_EQ(t.to(dst).size(), 1u);
  ASSERT_EQ(t.to(dst)[0].nexthops.size(), 1u);
  EXPECT_EQ(t.to(dst)[0].nexthops[0].ifname, "eth3");
  // A device route (no gateway) is an entry of its own beside it.
  EXPECT_TRUE(t.add(route("fd00:9::/64", {hop(nullptr, 5, "eth4")}, 1024), false));
  EXPECT_EQ(t.to(dst).size(), 2u);
  // A replace by a route of another kind takes the first route's place when none is of its kind.
  RouteTable u;
  u.add(route("fd00:9::/64", {hop("fe80::1", 2, "eth1"), hop("fe80::2", 3, "eth2")}, 1024), false);
  EXPECT_TRUE(u.add(route("fd00:9::/64", {hop(nullptr, 5, "eth4")}, 1024), true));
  ASSERT_EQ(u.to(dst).size(), 1u);
  EXPECT_EQ(u.to(dst)[0].nexthops[0].ifname, "eth4");
  // Deleting the whole multipath route at once.
  t.add(route("fd00:9::/64", {hop("fe80::8", 4, "eth3")}, 1024), false);
  EXPECT_TRUE(
      t.remove(route("fd00:9::/64", {hop("fe80::7", 4, "eth3"), hop("fe80::8", 4, "eth3")}, 1024)));
  ASSERT_EQ(t.to(dst).size(), 1u);
  EXPECT_FALSE(t.to(dst)[0].nexthops[0].gateway);
}

TEST(RouteTable, DeviceDownFlushesIpv4RoutesThroughItAndMarksMultipathHopsDead) {
  RouteTable t;
  t.add(route("10.0.0.3/32", {hop("10.0.12.2", 2, "eth1")}), false);
  t.add(route("10.0.0.4/32", {hop("10.0.12.2", 2, "eth1"), hop("10.0.13.2", 3, "eth2")}), false);
  t.add(route("10.0.0.5/32", {hop("10.0.13.2", 3, "eth2")}), false);
  t.add(route("fd00::5/128", {hop("fe80::1", 2, "eth1")}, 1024), false);
  std::vector<IpPrefix> changed = t.device_down(2);
  EXPECT_EQ(changed, (std::vector<IpPrefix>{prefix("10.0.0.3/32"), prefix("10.0.0.4/32")}));
  EXPECT_TRUE(t.to(prefix("10.0.0.3/32")).empty());
  ASSERT_EQ(t.to(prefix("10.0.0.4/32")).size(), 1u);
  EXPECT_TRUE(t.to(prefix("10.0.0.4/32"))[0].nexthops[0].dead);
  EXPECT_FALSE(t.to(prefix("10.0.0.4/32"))[0].nexthops[1].dead);
  EXPECT_EQ(t.to(prefix("10.0.0.5/32")).size(), 1u);
  // IPv6 announces its own removals: left to the notifications.
  EXPECT_EQ(t.to(prefix("fd00::5/128")).size(), 1u);
}

TEST(RouteTable, DifferencesAndSet) {
  RouteTable a, b;
  a.add(route("10.0.0.3/32", {hop("10.0.12.2", 2, "eth1")}), false);
  a.add(route("10.0.0.4/32", {hop("10.0.12.2", 2, "eth1")}), false);
  b.add(route("10.0.0.4/32", {hop("10.0.13.2", 3, "eth2")}), false);
  b.add(route("10.0.0.5/32", {hop("10.0.13.2", 3, "eth2")}), false);
  std::vector<IpPrefix> diff = a.differences(b);
  EXPECT_EQ(diff.size(), 3u);
  for (const IpPrefix& dst : diff) a.set(dst, b.to(dst));
  EXPECT_TRUE(a.differences(b).empty());
}

// A route message built as the kernel sends it, parsed by libnl as the monitor parses it.
Route parsed(rtnl_route* r, int type, int flags) {
  nl_msg* raw = nullptr;
  EXPECT_EQ(rtnl_route_build_add_request(r, flags, &raw), 0);
  std::unique_ptr<nl_msg, Releaser<nl_msg, nlmsg_free>> msg(raw);
  nlmsg_hdr(msg.get())->nlmsg_type = static_cast<uint16_t>(type);
  rtnl_route* back = nullptr;
  EXPECT_EQ(rtnl_route_parse(nlmsg_hdr(msg.get()), &back), 0);
  RoutePtr owned(back);
  return route_value(back, [](int ifindex) { return "if" + std::to_string(ifindex * 10); });
}

TEST(RouteValue, ReadsMultipathAndIpv6RoutesFromLibnl) {
  RoutePtr r(rtnl_route_alloc());
  rtnl_route_set_family(r.get(), AF_INET);
  AddrPtr dst = make_nl_addr(prefix("10.9.0.0/16"));
  rtnl_route_set_dst(r.get(), dst.get());
  rtnl_route_set_table(r.get(), RT_TABLE_MAIN);
  rtnl_route_set_protocol(r.get(), RTPROT_OSPF);
  rtnl_route_set_priority(r.get(), 20);
  for (auto [gw, ifindex] : {std::pair{"10.0.12.2", 2}, {"10.0.13.2", 3}}) {
    rtnl_nexthop* nh = rtnl_route_nh_alloc();
    AddrPtr g = make_nl_addr(prefix(gw));
    rtnl_route_nh_set_gateway(nh, g.get());
    rtnl_route_nh_set_ifindex(nh, ifindex);
    rtnl_route_add_nexthop(r.get(), nh);
  }
  Route v = parsed(r.get(), RTM_NEWROUTE, NLM_F_CREATE);
  EXPECT_EQ(v.dst, prefix("10.9.0.0/16"));
  EXPECT_EQ(v.protocol, RTPROT_OSPF);
  EXPECT_EQ(v.metric, 20u);
  ASSERT_EQ(v.nexthops.size(), 2u);
  EXPECT_EQ(v.nexthops[1].gateway, prefix("10.0.13.2"));
  EXPECT_EQ(v.nexthops[1].ifname, "if30");
  EXPECT_EQ(route_text(v),
            "10.9.0.0/16 proto ospf metric 20 nexthop via 10.0.12.2 dev if20 nexthop via "
            "10.0.13.2 dev if30");

  RoutePtr v6(rtnl_route_alloc());
  rtnl_route_set_family(v6.get(), AF_INET6);
  AddrPtr dst6 = make_nl_addr(prefix("fd00:9::/64"));
  rtnl_route_set_dst(v6.get(), dst6.get());
  rtnl_route_set_table(v6.get(), RT_TABLE_MAIN);
  rtnl_route_set_protocol(v6.get(), RTPROT_BGP);
  rtnl_nexthop* nh = rtnl_route_nh_alloc();
  AddrPtr g = make_nl_addr(prefix("fe80::1"));
  rtnl_route_nh_set_gateway(nh, g.get());
  rtnl_route_nh_set_ifindex(nh, 4);
  rtnl_route_add_nexthop(v6.get(), nh);
  Route w = parsed(v6.get(), RTM_DELROUTE, 0);
  EXPECT_EQ(route_text(w), "fd00:9::/64 via fe80::1 dev if40 proto bgp");
}

}  // namespace
}  // namespace nl
