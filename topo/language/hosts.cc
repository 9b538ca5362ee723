#include "topo/language/hosts.h"

#include <map>
#include <set>

#include <fmt/format.h>

namespace topo {

namespace {

struct Entry {
  nl::IpPrefix address;
  std::string iface;  // "lo" for a loopback address
  std::string name;   // its name in the hosts file (see iface_names); "" for none
};

// Every address of every node in file order: loopbacks first, then link ends.
std::map<std::string, std::vector<Entry>> entries_by_node(const Topology& t) {
  std::map<std::string, std::vector<Entry>> out;
  for (const Node& n : t.nodes)
    for (const nl::IpPrefix& a : n.loopback) out[n.name].push_back({a, "lo", ""});
  for (const Link& l : t.links)
    for (const Endpoint& e : l.endpoints)
      if (!e.on_host())
        for (const nl::IpPrefix& a : e.addresses) out[e.node].push_back({a, e.iface, ""});
  return out;
}

// The names an interface of a node may have, preferred first: its own name when it already
// starts with the node's (`r1-eth1` on r1, as FRR's topotests name interfaces), then
// node-iface.
std::vector<std::string> candidate_names(const std::string& node, const std::string& iface) {
  std::string long_name = node + "-" + iface;
  if (iface.size() > node.size() + 1 && iface.starts_with(node + "-")) return {iface, long_name};
  return {long_name};
}

// Gives each entry its name: the first candidate that no node and no entry before it (nodes in
// file order, each node's addresses in file order) has. Every address of an interface has the
// same name; an interface left with no free name has none (its addresses stay reachable by
// address, and by the node's name on its primary lines).
void name_entries(const Topology& t, std::map<std::string, std::vector<Entry>>& all) {
  std::set<std::string> taken;
  for (const Node& n : t.nodes) taken.insert(n.name);
  for (const Node& n : t.nodes) {
    std::map<std::string, std::string> of_iface;
    for (Entry& e : all[n.name]) {
      auto [it, fresh] = of_iface.try_emplace(e.iface);
      if (fresh)
        for (const std::string& name : candidate_names(n.name, e.iface))
          if (taken.insert(name).second) {
            it->second = name;
            break;
          }
      e.name = it->second;
    }
  }
}

const Entry* first_of(const std::vector<Entry>& entries, int family) {
  for (const Entry& e : entries)
    if (family == 0 || e.address.family == family) return &e;
  return nullptr;
}

}  // namespace

std::optional<nl::IpPrefix> primary_address(const Topology& t, const std::string& node,
                                            int family) {
  auto all = entries_by_node(t);
  const std::vector<Entry>& entries = all[node];
  const Entry* e =
      family ? first_of(entries, family) : first_of(entries, nl::IpPrefix::AF_INET_VALUE);
  if (!e && !family) e = first_of(entries, nl::IpPrefix::AF_INET6_VALUE);
  if (!e) return std::nullopt;
  return e->address;
}

std::string hosts_file(const Topology& t) {
  std::string out = fmt::format(
      "# /etc/hosts of lab {}, written by topo for every node\n"
      "127.0.0.1\tlocalhost\n"
      "::1\tlocalhost ip6-localhost ip6-loopback\n"
      "ff02::1\tip6-allnodes\n"
      "ff02::2\tip6-allrouters\n",
      t.name);
  auto all = entries_by_node(t);
  name_entries(t, all);
  for (const Node& n : t.nodes) {
    const std::vector<Entry>& entries = all[n.name];
    const Entry* v4 = first_of(entries, nl::IpPrefix::AF_INET_VALUE);
    const Entry* v6 = first_of(entries, nl::IpPrefix::AF_INET6_VALUE);
    for (const Entry& e : entries) {
      std::vector<std::string> names;
      // The node's name first on its primary lines: it is the canonical name programs show.
      if (&e == v4 || &e == v6) names.push_back(n.name);
      if (!e.name.empty()) names.push_back(e.name);
      if (!names.empty())
        out += fmt::format("{}\t{}\n", e.address.address_text(), fmt::join(names, " "));
    }
  }
  return out;
}

}  // namespace topo
