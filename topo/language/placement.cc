#include "topo/language/placement.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "topo/language/suggest.h"
#include "topo/language/validator.h"
#include "topo/model/hash.h"
#include "topo/model/lab.h"

namespace topo {

int vxlan_mtu(const Host& a, const Host& b) {
  int overhead = a.underlay.is_v6() ? kVxlanOverhead6 : kVxlanOverhead4;
  return std::min(a.underlay_mtu, b.underlay_mtu) - overhead;
}

uint32_t derived_vni(const std::string& lab, const std::string& link_id) {
  uint64_t h = fnv1a(lab + "/" + link_id);
  uint32_t vni = uint32_t((h ^ (h >> 24) ^ (h >> 48)) & kMaxVni);
  return vni ? vni : 1;
}

std::vector<const Host*> link_hosts(const Topology& t, const Link& link) {
  std::set<std::string> names;
  for (const Endpoint& e : link.endpoints)
    if (const Node* n = t.find_node(e.node); n && !n->host.empty()) names.insert(n->host);
  std::vector<const Host*> out;
  for (const Host& h : t.hosts)
    if (names.count(h.name)) out.push_back(&h);
  return out;
}

namespace {

std::string link_id(const Link& link, size_t index) {
  if (link.is_lan()) return lan_name(index + 1, link.name);
  std::vector<std::string> ends;
  for (const Endpoint& e : link.endpoints) ends.push_back(End{e.node, e.iface}.text());
  std::sort(ends.begin(), ends.end());
  std::string id;
  for (const std::string& e : ends) id += (id.empty() ? "" : "|") + e;
  return id;
}

class Placer {
 public:
  Placer(Topology& t, Diagnostics& d) : t_(t), d_(d) {}

  void run() {
    check_hosts();
    place_nodes();
    number_links();
    if (t_.hosts.size() > 1)
      for (const Link& l : t_.links) check_crossing(l);
  }

 private:
  Topology& t_;
  Diagnostics& d_;

  void check_hosts() {
    std::map<nl::IpPrefix, const Host*, nl::PrefixLess> underlays;
    for (const Host& h : t_.hosts) {
      if (std::string why = host_name_problem(h.name); !why.empty()) d_.error(h.pos, why);
      if (!h.underlay_pos.line) continue;  // none, or unreadable: reported by the loader
      auto [first, fresh] = underlays.emplace(h.underlay, &h);
      if (!fresh)
        d_.error(h.underlay_pos,
                 fmt::format("underlay {} is host `{}`'s too (line {}): each host has its own",
                             h.underlay.address_text(), first->second->name,
                             first->second->underlay_pos.line));
    }
  }

  void place_nodes() {
    std::vector<std::string> names;
    for (const Host& h : t_.hosts) names.push_back(h.name);
    for (Node& n : t_.nodes) {
      if (n.host.empty()) {
        if (!t_.hosts.empty()) n.host = t_.hosts[0].name;
      } else if (t_.hosts.empty()) {
        d_.error(n.host_pos, fmt::format("node `{}` is on host `{}`, but the file has no "
                                         "`hosts` to say where that is",
                                         n.name, n.host));
      } else if (!t_.find_host(n.host)) {
        d_.error(n.host_pos, fmt::format("unknown host `{}` (the file's hosts: {}){}", n.host,
                                         fmt::join(names, ", "), did_you_mean(n.host, names)));
      }
    }
  }

  // The file's VNIs first (each once), then the others derived, in file order.
  void number_links() {
    std::map<uint32_t, Pos> used;
    for (const Link& l : t_.links) {
      if (!l.vni) continue;
      auto [first, fresh] = used.emplace(*l.vni, l.vni_pos);
      if (!fresh)
        d_.error(l.vni_pos, fmt::format("vni {} is used twice in the lab (first at line {})",
                                        *l.vni, first->second.line));
    }
    for (size_t i = 0; i < t_.links.size(); i++) {
      Link& l = t_.links[i];
      if (l.vni) continue;
      uint32_t vni = derived_vni(t_.name, link_id(l, i));
      while (used.count(vni)) vni = vni == uint32_t(kMaxVni) ? 1 : vni + 1;
      used.emplace(vni, Pos{});
      l.vni = vni;
    }
  }

  void check_crossing(const Link& l) {
    std::vector<const Host*> hosts = link_hosts(t_, l);
    if (hosts.size() < 2) return;
    std::vector<std::string> names;
    for (const Host* h : hosts) names.push_back(h->name);
    std::string between = fmt::format("hosts {}", fmt::join(names, ", "));
    for (const Endpoint& e : l.endpoints)
      if (e.on_host())
        d_.error(e.pos, fmt::format("`{}` is in a root namespace, but this link's nodes are on "
                                    "{}: which host's is not said; give the end a node",
                                    End{e.node, e.iface}.text(), between));
    const Host& a = *hosts[0];
    int mtu = a.underlay_mtu;
    for (const Host* h : hosts) {
      if (h->underlay.is_v6() != a.underlay.is_v6())
        d_.error(l.pos, fmt::format("this link joins {}, whose underlays are IPv4 and IPv6: a "
                                    "VXLAN tunnel needs one family at both ends",
                                    between));
      if (h->vxlan_port != a.vxlan_port)
        d_.error(l.pos, fmt::format("this link joins {}, whose vxlan_port differ ({} and {}): a "
                                    "VXLAN device sends to the port it listens on",
                                    between, a.vxlan_port, h->vxlan_port));
      mtu = std::min(mtu, vxlan_mtu(a, *h));
    }
    int overhead = a.underlay.is_v6() ? kVxlanOverhead6 : kVxlanOverhead4;
    if (l.mtu && *l.mtu > mtu)
      d_.error(l.mtu_pos, fmt::format("mtu {} does not fit in VXLAN between {}: at most {} (the "
                                      "underlay's {} less {} bytes of VXLAN over IPv{})",
                                      *l.mtu, between, mtu, mtu + overhead, overhead,
                                      a.underlay.is_v6() ? 6 : 4));
  }
};

}  // namespace

void place(Topology& topology, Diagnostics& diagnostics) {
  Placer(topology, diagnostics).run();
}

}  // namespace topo
