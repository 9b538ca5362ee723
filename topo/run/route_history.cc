#include "topo/run/route_history.h"

#include <algorithm>

#include "netlink/route.h"

namespace topo {

namespace {

bool same_address(const nl::IpPrefix& a, const nl::IpPrefix& b) {
  return a.family == b.family && a.bytes == b.bytes;
}

nl::IpPrefix key(const nl::IpPrefix& prefix) {
  return prefix.network();
}

const std::vector<nl::Route> kNoEntries;

}  // namespace

bool route_matches(const RouteQuery& query, const nl::RouteTable::Entries& entries) {
  for (const nl::Route& route : entries) {
    if (!query.via && !query.dev) return true;
    for (const nl::Nexthop& hop : route.nexthops) {
      if (hop.dead) continue;
      if (query.via && !(hop.gateway && same_address(*hop.gateway, *query.via))) continue;
      if (query.dev && hop.ifname != *query.dev) continue;
      return true;
    }
  }
  return false;
}

std::string query_text(const RouteQuery& query, bool present) {
  std::string text = query.node + (present ? " has a route to " : " has no route to ") +
                     nl::route_text(key(query.prefix), {});
  if (query.via) text += " via " + query.via->address_text();
  if (query.dev) text += " dev " + *query.dev;
  return text;
}

std::string routes_text(const std::string& node, const nl::IpPrefix& prefix,
                        const nl::RouteTable::Entries& entries) {
  if (entries.empty()) return node + " has no route to " + nl::route_text(key(prefix), {});
  std::string text = node + " has ";
  for (size_t i = 0; i < entries.size(); i++) text += (i ? "; " : "") + nl::route_text(entries[i]);
  return text;
}

RouteHistory::RouteHistory(const nl::RouteTable& table, SteadyTime start) : start_(start) {
  for (const auto& [dst, entries] : table.all()) records_[dst].push_back({start, true, entries});
}

void RouteHistory::record(const nl::IpPrefix& dst, nl::RouteTable::Entries entries, SteadyTime at,
                          bool exact) {
  std::vector<Record>& list = records_[key(dst)];
  if (!list.empty()) {
    if (nl::same_entries(list.back().entries, entries)) return;
    at = std::max(at, list.back().at);
  } else if (entries.empty()) {
    return;  // none before, none now
  }
  list.push_back({at, exact, std::move(entries)});
}

const std::vector<RouteHistory::Record>& RouteHistory::records(const nl::IpPrefix& dst) const {
  static const std::vector<Record> kNone;
  auto it = records_.find(key(dst));
  return it == records_.end() ? kNone : it->second;
}

const nl::RouteTable::Entries& RouteHistory::entries(const nl::IpPrefix& dst, SteadyTime t) const {
  const std::vector<Record>& list = records(dst);
  auto after = std::upper_bound(list.begin(), list.end(), t,
                                [](SteadyTime t, const Record& r) { return t < r.at; });
  return after == list.begin() ? kNoEntries : std::prev(after)->entries;
}

nl::RouteTable RouteHistory::table_at(SteadyTime t) const {
  nl::RouteTable table;
  for (const auto& [dst, list] : records_) table.set(dst, entries(dst, t));
  return table;
}

bool RouteHistory::holds_after(const RouteQuery& query, bool present,
                               const std::vector<Record>& list, size_t n) const {
  return route_matches(query, n == 0 ? kNoEntries : list[n - 1].entries) == present;
}

std::optional<SteadyTime> RouteHistory::holding_since(const RouteQuery& query, bool present,
                                                      SteadyTime until) const {
  const std::vector<Record>& list = records(query.prefix);
  auto after = std::upper_bound(list.begin(), list.end(), until,
                                [](SteadyTime t, const Record& r) { return t < r.at; });
  size_t n = static_cast<size_t>(after - list.begin());
  if (!holds_after(query, present, list, n)) return std::nullopt;
  // Back through the records while it held: the first of them is when it began to.
  while (n > 0 && holds_after(query, present, list, n - 1)) n--;
  if (n == 0) return SteadyTime::min();
  // What the first dump found has held since ever, as far as anyone can tell.
  if (list[n - 1].at <= start_) return SteadyTime::min();
  return list[n - 1].at;
}

std::optional<SteadyTime> RouteHistory::first_break(const RouteQuery& query, bool present,
                                                    SteadyTime from, SteadyTime until) const {
  if (route_matches(query, entries(query.prefix, from)) != present) return from;
  for (const Record& r : records(query.prefix))
    if (r.at > from && r.at <= until && route_matches(query, r.entries) != present) return r.at;
  return std::nullopt;
}

bool RouteHistory::exact(const nl::IpPrefix& dst, SteadyTime from, SteadyTime until) const {
  auto within = [&](SteadyTime t) { return t > from && t <= until; };
  for (const Record& r : records(dst))
    if (within(r.at) && !r.exact) return false;
  return std::none_of(losses_.begin(), losses_.end(), within);
}

}  // namespace topo
