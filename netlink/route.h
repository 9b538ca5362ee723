// route.h - static routes in a node's namespace.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "netlink/netns.h"
#include "topo/model/ip.h"

struct rtnl_route;

namespace nl {

struct Nexthop {
  std::optional<IpPrefix> gateway;  // none: a route straight out of `ifindex`
  int ifindex = 0;                  // 0: the kernel finds the device from the gateway
  std::string ifname;               // for messages
  bool dead = false;                // read back only: the kernel marks it unusable (RTNH_F_DEAD)
  bool operator==(const Nexthop&) const = default;
};

// Adds one route (proto static, main table); two or more nexthops make it ECMP (multipath).
// `replace`: the route to `dst` that is there already is replaced in one request.
void add_route(Netns& ns, const IpPrefix& dst, const std::vector<Nexthop>& nexthops,
               bool replace = false);

// Removes the main table's route to `dst`.
void delete_route(Netns& ns, const IpPrefix& dst);

// A route as the kernel reports it (a dump or a notification).
struct Route {
  IpPrefix dst;         // host bits clear; length 0: a default route
  int table = 254;      // RT_TABLE_MAIN
  int protocol = 0;     // RTPROT_*: kernel, boot, static, zebra, bird, bgp, ospf, ...
  int type = 1;         // RTN_UNICAST, or blackhole, unreachable, ...
  int tos = 0;          // IPv4 only
  uint32_t metric = 0;  // RTA_PRIORITY
  bool cloned = false;  // RTM_F_CLONED: a cache entry (IPv6 exceptions), not a table entry
  std::vector<Nexthop> nexthops;  // several: multipath (RTA_MULTIPATH)
  bool operator==(const Route&) const = default;
};

// The name of an interface of the route's namespace by ifindex ("" when unknown).
using IfnameOf = std::function<std::string(int ifindex)>;

// A route parsed by libnl (rtnl_route_parse, or a cache) as a value; each nexthop's ifname from
// `ifname_of`.
Route route_value(rtnl_route* route, const IfnameOf& ifname_of);

// The main table's static routes (proto static, as topo makes them; `ip route add` by hand
// makes proto boot ones, which are left out), with their nexthops (ifname filled in).
std::vector<Route> list_static_routes(Netns& ns);

// "10.9.0.0/16 via 10.1.0.2 dev eth1", for messages and plans.
std::string route_text(const IpPrefix& dst, const std::vector<Nexthop>& nexthops);
// The whole entry as `ip route` shows it: "10.0.0.3/32 via 10.0.12.2 dev eth1 proto ospf
// metric 20"; "blackhole 10.9.0.0/16 proto static".
std::string route_text(const Route& route);
// "static", "kernel", "ospf", ... (iproute2's names), or the number.
std::string protocol_text(int protocol);

}  // namespace nl
