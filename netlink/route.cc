#include "netlink/route.h"

#include <linux/if.h>
#include <linux/rtnetlink.h>

#include <algorithm>
#include <cstring>

#include <netlink/cache.h>
#include <netlink/route/link.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>
#include <netlink/route/rtnl.h>

#include <string>

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

namespace {

IpPrefix host_prefix(nl_addr* a) {
  IpPrefix p;
  p.family = nl_addr_get_family(a);
  memcpy(p.bytes.data(), nl_addr_get_binary_addr(a),
         std::min<size_t>(p.byte_count(), nl_addr_get_len(a)));
  p.len = p.max_len();
  return p;
}

}  // namespace

Route route_value(rtnl_route* r, const IfnameOf& ifname_of) {
  Route out;
  out.dst.family = rtnl_route_get_family(r);
  if (nl_addr* d = rtnl_route_get_dst(r)) {
    size_t n = std::min<size_t>(out.dst.byte_count(), nl_addr_get_len(d));
    memcpy(out.dst.bytes.data(), nl_addr_get_binary_addr(d), n);
    out.dst.len = static_cast<int>(nl_addr_get_prefixlen(d));
  }
  out.dst = out.dst.network();
  out.table = static_cast<int>(rtnl_route_get_table(r));
  out.protocol = rtnl_route_get_protocol(r);
  out.type = rtnl_route_get_type(r);
  out.tos = rtnl_route_get_tos(r);
  out.metric = rtnl_route_get_priority(r);
  out.cloned = rtnl_route_get_flags(r) & RTM_F_CLONED;
  for (int i = 0; i < rtnl_route_get_nnexthops(r); i++) {
    rtnl_nexthop* nh = rtnl_route_nexthop_n(r, i);
    Nexthop hop;
    // RTA_VIA: an IPv4 route through an IPv6 gateway.
    if (nl_addr* gw = rtnl_route_nh_get_gateway(nh))
      hop.gateway = host_prefix(gw);
    else if (nl_addr* via = rtnl_route_nh_get_via(nh))
      hop.gateway = host_prefix(via);
    hop.ifindex = rtnl_route_nh_get_ifindex(nh);
    if (hop.ifindex) hop.ifname = ifname_of(hop.ifindex);
    hop.dead = rtnl_route_nh_get_flags(nh) & RTNH_F_DEAD;
    out.nexthops.push_back(std::move(hop));
  }
  return out;
}

std::vector<Route> list_static_routes(Netns& ns) {
  nl_cache* raw = nullptr;
  ns.socket().check(rtnl_route_alloc_cache(ns.socket().get(), AF_UNSPEC, 0, &raw), "routes",
                    "list");
  CachePtr routes(raw);
  nl_cache* links_raw = nullptr;
  ns.socket().check(rtnl_link_alloc_cache(ns.socket().get(), AF_UNSPEC, &links_raw), "links",
                    "list");
  CachePtr links(links_raw);
  auto ifname_of = [&](int ifindex) {
    char name[IFNAMSIZ] = "";
    rtnl_link_i2name(links.get(), ifindex, name, sizeof name);
    return std::string(name);
  };
  std::vector<Route> out;
  for (nl_object* o = nl_cache_get_first(routes.get()); o; o = nl_cache_get_next(o)) {
    auto* r = reinterpret_cast<rtnl_route*>(o);
    if (rtnl_route_get_table(r) != RT_TABLE_MAIN || rtnl_route_get_protocol(r) != RTPROT_STATIC)
      continue;
    int family = rtnl_route_get_family(r);
    if (family != AF_INET && family != AF_INET6) continue;
    out.push_back(route_value(r, ifname_of));
  }
  return out;
}

std::string protocol_text(int protocol) {
  // iproute2's names (its rt_protos). libnl's rtnl_route_proto2str knows only the older ones
  // and says "0xbc" for ospf.
  switch (protocol) {
    case RTPROT_UNSPEC:
      return "unspec";
    case RTPROT_REDIRECT:
      return "redirect";
    case RTPROT_KERNEL:
      return "kernel";
    case RTPROT_BOOT:
      return "boot";
    case RTPROT_STATIC:
      return "static";
    case RTPROT_GATED:
      return "gated";
    case RTPROT_RA:
      return "ra";
    case RTPROT_MRT:
      return "mrt";
    case RTPROT_ZEBRA:
      return "zebra";
    case RTPROT_BIRD:
      return "bird";
    case RTPROT_DNROUTED:
      return "dnrouted";
    case RTPROT_XORP:
      return "xorp";
    case RTPROT_NTK:
      return "ntk";
    case RTPROT_DHCP:
      return "dhcp";
    case RTPROT_MROUTED:
      return "mrouted";
    case RTPROT_KEEPALIVED:
      return "keepalived";
    case RTPROT_BABEL:
      return "babel";
    case RTPROT_OPENR:
      return "openr";
    case RTPROT_BGP:
      return "bgp";
    case RTPROT_ISIS:
      return "isis";
    case RTPROT_OSPF:
      return "ospf";
    case RTPROT_RIP:
      return "rip";
    case RTPROT_EIGRP:
      return "eigrp";
    default:
      return std::to_string(protocol);
  }
}

std::string route_text(const Route& r) {
  std::string text;
  if (r.type != RTN_UNICAST) {
    char buf[32];
    text = std::string(nl_rtntype2str(r.type, buf, sizeof buf)) + " ";
  }
  text += route_text(r.dst, {});
  auto hop_text = [](const Nexthop& nh) {
    std::string t;
    if (nh.gateway) t += " via " + nh.gateway->address_text();
    if (!nh.ifname.empty())
      t += " dev " + nh.ifname;
    else if (nh.ifindex)
      t += fmt::format(" dev if{}", nh.ifindex);
    if (nh.dead) t += " dead";
    return t;
  };
  if (r.nexthops.size() == 1) text += hop_text(r.nexthops[0]);
  text += " proto " + protocol_text(r.protocol);
  if (r.metric) text += fmt::format(" metric {}", r.metric);
  if (r.nexthops.size() > 1)
    for (const Nexthop& nh : r.nexthops) text += " nexthop" + hop_text(nh);
  return text;
}

}  // namespace nl
