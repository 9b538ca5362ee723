// route.h - static routes in a node's namespace.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "netlink/netns.h"
#include "topo/model/ip.h"

namespace nl {

struct Nexthop {
  std::optional<IpPrefix> gateway;  // none: a route straight out of `ifindex`
  int ifindex = 0;                  // 0: the kernel finds the device from the gateway
  std::string ifname;               // for messages
};

// Adds one route (proto static, main table); two or more nexthops make it ECMP (multipath).
// `replace`: the route to `dst` that is there already is replaced in one request.
void add_route(Netns& ns, const IpPrefix& dst, const std::vector<Nexthop>& nexthops,
               bool replace = false);

// Removes the main table's route to `dst`.
void delete_route(Netns& ns, const IpPrefix& dst);

// The main table's static routes (proto static, as topo makes them; `ip route add` by hand
// makes proto boot ones, which are left out), with their nexthops (ifname filled in).
struct RouteState {
  IpPrefix dst;
  std::vector<Nexthop> nexthops;
};
std::vector<RouteState> list_static_routes(Netns& ns);

// "10.9.0.0/16 via 10.1.0.2 dev eth1", for messages and plans.
std::string route_text(const IpPrefix& dst, const std::vector<Nexthop>& nexthops);

}  // namespace nl
