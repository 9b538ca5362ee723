// route_history.h - a node's routes to each destination over time, and the route check's two
// questions asked of it: since when has "NODE has a route to PREFIX [via GW | dev IFACE]" held,
// and did it hold without a break over a span. Plain values: RouteWatch (route_watch.h) fills
// it from the kernel's notifications; the tests fill it by hand.
//
// What "NODE has a route to PREFIX" means:
// - an entry of the node's main routing table (what `ip route` / `ip -6 route` list; every
//   protocol: kernel, static, boot, zebra, bgp, ospf, bird, ...) whose destination is exactly
//   PREFIX (host bits of the query ignored: 10.0.0.3/24 is 10.0.0.0/24); a route to a shorter
//   prefix that covers it, or a default route, does not count; any type counts (blackhole too);
// - with `via GW`: one of the entry's nexthops has the gateway GW;
// - with `dev IFACE`: one of its nexthops leaves through the interface IFACE (by its name when
//   the change was read); with both, one nexthop has both;
// - a nexthop the kernel marks dead (its device is down, in a multipath route) is not counted;
//   a nexthop whose link lost its carrier ("linkdown") still is, as the kernel still uses it;
// - "no route" is the opposite, with the same via/dev.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "netlink/route_table.h"
#include "topo/model/ip.h"

namespace topo {

using SteadyTime = std::chrono::steady_clock::time_point;

struct RouteQuery {
  std::string node;
  nl::IpPrefix prefix;
  std::optional<nl::IpPrefix> via;
  std::optional<std::string> dev;
};

// Whether `entries` (the routes whose destination is the query's prefix) has the route asked.
bool route_matches(const RouteQuery& query, const nl::RouteTable::Entries& entries);

// "r1 has a route to 10.0.0.3/32 via 10.0.12.2", "r1 has no route to 10.0.0.3/32".
std::string query_text(const RouteQuery& query, bool present);
// What the node has: "r1 has 10.0.0.3/32 via 10.0.12.2 dev eth1 proto ospf metric 20" (entries
// joined by "; "), or "r1 has no route to 10.0.0.3/32".
std::string routes_text(const std::string& node, const nl::IpPrefix& prefix,
                        const nl::RouteTable::Entries& entries);

class RouteHistory {
 public:
  // The table as read at `start`; what it holds counts as held since ever.
  RouteHistory(const nl::RouteTable& table, SteadyTime start);

  // The entries to `dst` became `entries` at `at` (a stamp earlier than the last record of dst
  // counts as that record's). `exact`: false when the change was found by a new dump after lost
  // notifications, so `at` is when the loss was seen, not when the change was made.
  void record(const nl::IpPrefix& dst, nl::RouteTable::Entries entries, SteadyTime at, bool exact);
  // The kernel dropped notifications, seen at `at`.
  void lost(SteadyTime at) { losses_.push_back(at); }

  // The entries to `dst` at `t`.
  const nl::RouteTable::Entries& entries(const nl::IpPrefix& dst, SteadyTime t) const;
  // The whole table at `t`.
  nl::RouteTable table_at(SteadyTime t) const;
  // If the query is as wanted (`present`: has the route; else has not) at `until`: since when
  // it has been so without a break (SteadyTime::min(): since ever). nullopt when it is not.
  std::optional<SteadyTime> holding_since(const RouteQuery& query, bool present,
                                          SteadyTime until) const;
  // The first moment in [from, until] at which the query was not as wanted (`from` itself if
  // it was not then); nullopt when it held throughout.
  std::optional<SteadyTime> first_break(const RouteQuery& query, bool present, SteadyTime from,
                                        SteadyTime until) const;
  // Whether every change recorded for `dst` in (from, until] is exactly timed and no
  // notification was lost then.
  bool exact(const nl::IpPrefix& dst, SteadyTime from, SteadyTime until) const;
  SteadyTime start() const { return start_; }

 private:
  struct Record {
    SteadyTime at;
    bool exact = true;
    nl::RouteTable::Entries entries;
  };
  const std::vector<Record>& records(const nl::IpPrefix& dst) const;
  // Whether the query is as wanted after the first `n` records of its destination.
  bool holds_after(const RouteQuery& query, bool present, const std::vector<Record>& records,
                   size_t n) const;

  SteadyTime start_;
  std::map<nl::IpPrefix, std::vector<Record>, nl::PrefixLess> records_;
  std::vector<SteadyTime> losses_;
};

}  // namespace topo
