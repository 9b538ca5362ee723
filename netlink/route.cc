#include "netlink/route.h"

#include <linux/if.h>
#include <linux/rtnetlink.h>

#include <cstring>

#include <netlink/cache.h>
#include <netlink/route/link.h>
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

void add_route(Netns& ns, const IpPrefix& dst, const std::vector<Nexthop>& nexthops, bool replace) {
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
  // libnl adds NLM_F_CREATE: a replace makes the route when there is none to replace.
  int rc = rtnl_route_add(ns.socket().get(), route.get(), replace ? NLM_F_REPLACE : NLM_F_EXCL);
  ns.socket().check(rc, route_text(dst, nexthops), replace ? "replace route" : "add route");
}

void delete_route(Netns& ns, const IpPrefix& dst) {
  RoutePtr route(rtnl_route_alloc());
  AddrPtr dst_addr = make_nl_addr(dst.network());
  rtnl_route_set_family(route.get(), dst.family);
  rtnl_route_set_dst(route.get(), dst_addr.get());
  rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
  rtnl_route_set_scope(route.get(), RT_SCOPE_NOWHERE);  // any scope
  int rc = rtnl_route_delete(ns.socket().get(), route.get(), 0);
  ns.socket().check(rc, "route " + (dst.len == 0 ? std::string("default") : dst.network().text()),
                    "remove route");
}

std::vector<RouteState> list_static_routes(Netns& ns) {
  nl_cache* raw = nullptr;
  ns.socket().check(rtnl_route_alloc_cache(ns.socket().get(), AF_UNSPEC, 0, &raw), "routes",
                    "list");
  CachePtr routes(raw);
  nl_cache* links_raw = nullptr;
  ns.socket().check(rtnl_link_alloc_cache(ns.socket().get(), AF_UNSPEC, &links_raw), "links",
                    "list");
  CachePtr links(links_raw);
  std::vector<RouteState> out;
  for (nl_object* o = nl_cache_get_first(routes.get()); o; o = nl_cache_get_next(o)) {
    auto* r = reinterpret_cast<rtnl_route*>(o);
    if (rtnl_route_get_table(r) != RT_TABLE_MAIN || rtnl_route_get_protocol(r) != RTPROT_STATIC)
      continue;
    nl_addr* d = rtnl_route_get_dst(r);
    RouteState s;
    s.dst.family = rtnl_route_get_family(r);
    if (s.dst.family != AF_INET && s.dst.family != AF_INET6) continue;
    if (d && nl_addr_get_len(d))
      memcpy(s.dst.bytes.data(), nl_addr_get_binary_addr(d), s.dst.byte_count());
    s.dst.len = d ? nl_addr_get_prefixlen(d) : 0;
    for (int i = 0; i < rtnl_route_get_nnexthops(r); i++) {
      rtnl_nexthop* nh = rtnl_route_nexthop_n(r, i);
      Nexthop hop;
      if (nl_addr* gw = rtnl_route_nh_get_gateway(nh)) {
        IpPrefix g;
        g.family = nl_addr_get_family(gw);
        memcpy(g.bytes.data(), nl_addr_get_binary_addr(gw), g.byte_count());
        g.len = g.family == AF_INET ? 32 : 128;
        hop.gateway = g;
      }
      hop.ifindex = rtnl_route_nh_get_ifindex(nh);
      char name[IFNAMSIZ] = "";
      if (hop.ifindex) rtnl_link_i2name(links.get(), hop.ifindex, name, sizeof name);
      hop.ifname = name;
      s.nexthops.push_back(std::move(hop));
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace nl
