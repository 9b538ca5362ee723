#include "netlink/route.h"

#include <linux/rtnetlink.h>

#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>

#include <fmt/format.h>

#include "netlink/error.h"
#include "netlink/libnl_ptr.h"

namespace nl {

std::string route_text(const IpPrefix& dst, const std::vector<Nexthop>& nexthops) {
  std::string text = dst.len == 0 ? "default" : dst.text();
  if (dst.len == 0 && dst.is_v6()) text += " (v6)";
  for (const Nexthop& nh : nexthops) {
    if (nh.gateway) text += " via " + nh.gateway->address_text();
    if (!nh.ifname.empty()) text += " dev " + nh.ifname;
  }
  return text;
}

void add_route(Netns& ns, const IpPrefix& dst, const std::vector<Nexthop>& nexthops) {
  RoutePtr route(rtnl_route_alloc());
  AddrPtr dst_addr = make_nl_addr(dst.network());
  rtnl_route_set_family(route.get(), dst.family);
  rtnl_route_set_dst(route.get(), dst_addr.get());
  rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
  rtnl_route_set_protocol(route.get(), RTPROT_STATIC);
  rtnl_route_set_type(route.get(), RTN_UNICAST);
  for (const Nexthop& hop : nexthops) {
    // The route takes ownership of each nexthop (freed with the route).
    rtnl_nexthop* nh = rtnl_route_nh_alloc();
    if (hop.gateway) {
      AddrPtr gw = make_nl_addr(*hop.gateway);
      rtnl_route_nh_set_gateway(nh, gw.get());  // takes its own reference
    }
    if (hop.ifindex) rtnl_route_nh_set_ifindex(nh, hop.ifindex);
    rtnl_route_add_nexthop(route.get(), nh);
  }
  // Scope is left to libnl: link for a device route, universe when there is a gateway.
  int rc = rtnl_route_add(ns.socket().get(), route.get(), NLM_F_EXCL);
  ns.socket().check(rc, route_text(dst, nexthops), "add route");
}

}  // namespace nl
