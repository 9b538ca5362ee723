#include "netlink/route_table.h"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>

namespace nl {

namespace {

// The kernel tells nexthops apart by gateway and device; `dead` and the name may change.
bool same_hop(const Nexthop& a, const Nexthop& b) {
  return a.gateway == b.gateway && a.ifindex == b.ifindex;
}

bool has_hop(const std::vector<Nexthop>& hops, const Nexthop& hop) {
  return std::any_of(hops.begin(), hops.end(), [&](const Nexthop& h) { return same_hop(h, hop); });
}

bool same_hops(const std::vector<Nexthop>& a, const std::vector<Nexthop>& b) {
  return a.size() == b.size() &&
         std::all_of(a.begin(), a.end(), [&](const Nexthop& h) { return has_hop(b, h); });
}

// An IPv6 route that the kernel joins with others of its dst and metric into one multipath
// route (rt6_qualify_for_ecmp): every nexthop has a gateway, and it was not learnt from a
// router advertisement.
bool joins_multipath(const Route& r) {
  return !r.nexthops.empty() && r.protocol != RTPROT_RA &&
         std::all_of(r.nexthops.begin(), r.nexthops.end(),
                     [](const Nexthop& h) { return h.gateway.has_value(); });
}

// Puts `route` in place of `entry`; whether that changed anything.
bool overwrite(Route& entry, const Route& route) {
  if (entry == route) return false;
  entry = route;
  return true;
}

const RouteTable::Entries kNone;

}  // namespace

bool RouteTable::add(const Route& route, bool replace) {
  Entries& entries = entries_[route.dst];
  bool changed =
      route.dst.is_v6() ? add_v6(entries, route, replace) : add_v4(entries, route, replace);
  if (entries.empty()) entries_.erase(route.dst);
  return changed;
}

bool RouteTable::add_v4(Entries& entries, const Route& route, bool replace) {
  for (Route& e : entries) {
    bool same_key = e.tos == route.tos && e.metric == route.metric;
    // fib_table_insert: a replace takes the place of the first alias with this tos and metric.
    if (same_key && replace) return overwrite(e, route);
    if (same_key && e.type == route.type && same_hops(e.nexthops, route.nexthops))
      return overwrite(e, route);
  }
  entries.push_back(route);
  return true;
}

bool RouteTable::add_v6(Entries& entries, const Route& route, bool replace) {
  bool multipath = joins_multipath(route);
  if (replace) {
    // fib6_add_rt2node: a replace takes the place of the route of this metric that is of the
    // same kind (multipath or not), else of the first route of this metric; a multipath route
    // is replaced whole.
    Route* same_kind = nullptr;
    Route* first = nullptr;
    for (Route& e : entries) {
      if (e.metric != route.metric) continue;
      if (!first) first = &e;
      if (!same_kind && joins_multipath(e) == multipath) same_kind = &e;
    }
    if (Route* target = same_kind ? same_kind : first) return overwrite(*target, route);
    entries.push_back(route);
    return true;
  }
  for (Route& e : entries) {
    if (e.metric != route.metric) continue;
    if (multipath && joins_multipath(e)) {
      bool changed = false;
      for (const Nexthop& hop : route.nexthops) {
        auto it = std::find_if(e.nexthops.begin(), e.nexthops.end(),
                               [&](const Nexthop& h) { return same_hop(h, hop); });
        if (it == e.nexthops.end()) {
          e.nexthops.push_back(hop);
          changed = true;
        } else if (!(*it == hop)) {
          *it = hop;
          changed = true;
        }
      }
      return changed;
    }
    if (e.type == route.type && same_hops(e.nexthops, route.nexthops)) return overwrite(e, route);
  }
  entries.push_back(route);
  return true;
}

bool RouteTable::remove(const Route& route) {
  auto found = entries_.find(route.dst);
  if (found == entries_.end()) return false;
  bool changed =
      route.dst.is_v6() ? remove_v6(found->second, route) : remove_v4(found->second, route);
  if (found->second.empty()) entries_.erase(found);
  return changed;
}

bool RouteTable::remove_v4(Entries& entries, const Route& route) {
  auto same_key = [&](const Route& e) { return e.tos == route.tos && e.metric == route.metric; };
  // The notification carries the whole entry it removed; failing that, the first of its key.
  auto it = std::find_if(entries.begin(), entries.end(), [&](const Route& e) {
    return same_key(e) && e.type == route.type && same_hops(e.nexthops, route.nexthops);
  });
  if (it == entries.end()) it = std::find_if(entries.begin(), entries.end(), same_key);
  if (it == entries.end()) return false;
  entries.erase(it);
  return true;
}

bool RouteTable::remove_v6(Entries& entries, const Route& route) {
  for (auto it = entries.begin(); it != entries.end(); ++it) {
    if (it->metric != route.metric || it->type != route.type) continue;
    if (!std::all_of(route.nexthops.begin(), route.nexthops.end(),
                     [&](const Nexthop& h) { return has_hop(it->nexthops, h); }))
      continue;
    // One nexthop of a multipath route goes with an RTM_DELROUTE of that nexthop alone.
    std::erase_if(it->nexthops, [&](const Nexthop& h) { return has_hop(route.nexthops, h); });
    if (it->nexthops.empty() || route.nexthops.empty()) entries.erase(it);
    return true;
  }
  return false;
}

std::vector<IpPrefix> RouteTable::device_down(int ifindex) {
  std::vector<IpPrefix> changed;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->first.is_v6()) {
      ++it;
      continue;
    }
    bool touched = false;
    for (Route& r : it->second)
      for (Nexthop& h : r.nexthops)
        if (h.ifindex == ifindex && !h.dead) h.dead = touched = true;
    std::erase_if(it->second, [](const Route& r) {
      return !r.nexthops.empty() && std::all_of(r.nexthops.begin(), r.nexthops.end(),
                                                [](const Nexthop& h) { return h.dead; });
    });
    if (touched) changed.push_back(it->first);
    it = it->second.empty() ? entries_.erase(it) : std::next(it);
  }
  return changed;
}

const RouteTable::Entries& RouteTable::to(const IpPrefix& dst) const {
  auto it = entries_.find(dst);
  return it == entries_.end() ? kNone : it->second;
}

bool same_entries(const RouteTable::Entries& a, const RouteTable::Entries& b) {
  if (a.size() != b.size()) return false;
  std::vector<bool> used(b.size());
  for (const Route& r : a) {
    size_t i = 0;
    while (i < b.size() && (used[i] || !(b[i] == r))) i++;
    if (i == b.size()) return false;
    used[i] = true;
  }
  return true;
}

std::vector<IpPrefix> RouteTable::differences(const RouteTable& other) const {
  std::vector<IpPrefix> out;
  for (const auto& [dst, entries] : entries_)
    if (!same_entries(entries, other.to(dst))) out.push_back(dst);
  for (const auto& [dst, entries] : other.entries_)
    if (!entries_.count(dst)) out.push_back(dst);
  return out;
}

void RouteTable::set(const IpPrefix& dst, const Entries& entries) {
  if (entries.empty())
    entries_.erase(dst);
  else
    entries_[dst] = entries;
}

size_t RouteTable::size() const {
  size_t n = 0;
  for (const auto& [dst, entries] : entries_) n += entries.size();
  return n;
}

}  // namespace nl
