#include "topo/language/hosts.h"

#include <map>

#include <fmt/format.h>

namespace topo {

namespace {

struct Entry {
  nl::IpPrefix address;
  std::string name;  // node-iface
};

// Every address of every node in file order: loopbacks first, then link ends.
std::map<std::string, std::vector<Entry>> entries_by_node(const Topology& t) {
  std::map<std::string, std::vector<Entry>> out;
  for (const Node& n : t.nodes)
    for (const nl::IpPrefix& a : n.loopback) out[n.name].push_back({a, n.name + "-lo"});
  for (const Link& l : t.links)
    for (const Endpoint& e : l.endpoints)
      if (!e.on_host())
        for (const nl::IpPrefix& a : e.addresses)
          out[e.node].push_back({a, e.node + "-" + e.iface});
  return out;
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
  for (const Node& n : t.nodes) {
    const std::vector<Entry>& entries = all[n.name];
    const Entry* v4 = first_of(entries, nl::IpPrefix::AF_INET_VALUE);
    const Entry* v6 = first_of(entries, nl::IpPrefix::AF_INET6_VALUE);
    for (const Entry& e : entries) {
      bool primary = &e == v4 || &e == v6;
      // The node's name first on its primary lines: it is the canonical name programs show.
      out +=
          fmt::format("{}\t{}{}\n", e.address.address_text(), primary ? n.name + " " : "", e.name);
    }
  }
  return out;
}

}  // namespace topo
