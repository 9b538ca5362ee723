// route_table.h - one routing table of a namespace as values, kept up to date by applying the
// kernel's route notifications the way the kernel applied the change (no system call here).
#pragma once

#include <map>
#include <vector>

#include "netlink/route.h"
#include "topo/model/ip.h"

namespace nl {

// The entries of one table by destination. What counts as the same entry follows the kernel:
// - IPv4: an entry is (dst, tos, metric) plus its nexthops. NLM_F_REPLACE replaces the first
//   entry with the same dst, tos and metric; `ip route append` adds a second one beside it.
// - IPv6: entries with the same dst and metric whose nexthops all have a gateway are one
//   multipath (ECMP) route: the kernel announces each added nexthop on its own (or the whole
//   route), and a removed nexthop with an RTM_DELROUTE of that nexthop alone; both are merged
//   into the one entry here. NLM_F_REPLACE replaces that whole route.
class RouteTable {
 public:
  using Entries = std::vector<Route>;

  // RTM_NEWROUTE (a dump's entries too); `replace`: it came with NLM_F_REPLACE. An entry that
  // is there already (same identity and nexthops) is refreshed, not doubled: a dump may repeat
  // what a notification said. Returns whether the entries to route.dst changed.
  bool add(const Route& route, bool replace);
  // RTM_DELROUTE. Returns whether the entries to route.dst changed.
  bool remove(const Route& route);
  // The IPv4 routes the kernel flushes without a notification when a device goes down or away
  // (fib_sync_down_dev): nexthops through `ifindex` die, and an entry whose nexthops are all
  // dead goes. Returns the destinations that changed.
  std::vector<IpPrefix> device_down(int ifindex);

  // The entries whose destination is exactly `dst` (none: empty).
  const Entries& to(const IpPrefix& dst) const;
  const std::map<IpPrefix, Entries, PrefixLess>& all() const { return entries_; }
  // The destinations whose entries differ between the two tables (order of entries aside).
  std::vector<IpPrefix> differences(const RouteTable& other) const;
  // Makes the entries to `dst` these (none: removes them).
  void set(const IpPrefix& dst, const Entries& entries);
  size_t size() const;

 private:
  bool add_v4(Entries& entries, const Route& route, bool replace);
  bool add_v6(Entries& entries, const Route& route, bool replace);
  bool remove_v4(Entries& entries, const Route& route);
  bool remove_v6(Entries& entries, const Route& route);

  std::map<IpPrefix, Entries, PrefixLess> entries_;
};

// Whether the two entry lists hold the same routes, in whatever order.
bool same_entries(const RouteTable::Entries& a, const RouteTable::Entries& b);

}  // namespace nl
