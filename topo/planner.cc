#include "topo/planner.h"

#include <map>
#include <set>

#include <fmt/format.h>

#include "topo/hash.h"

namespace topo {

namespace {

constexpr const char* kRouterSysctls[][2] = {{"net.ipv4.ip_forward", "1"},
                                             {"net.ipv6.conf.all.forwarding", "1"}};

struct NodeIfaces {
  std::map<std::string, int> slot;  // interface name -> slot
  int next = 1;
  int add(const std::string& name) { return slot.emplace(name, next).second ? next++ : slot[name]; }
};

class Planner {
 public:
  explicit Planner(const Topology& t) : t_(t) {}

  Plan run() {
    plan_.lab = t_.name;
    for (size_t i = 0; i < t_.nodes.size(); i++) {
      plan_.nodes.push_back({t_.nodes[i].name, t_.netns_of(t_.nodes[i].name)});
      index_[t_.nodes[i].name] = static_cast<int>(i);
    }
    ifaces_.resize(t_.nodes.size());
    per_node_.resize(t_.nodes.size());
    for (size_t i = 0; i < t_.nodes.size(); i++) plan_.actions.emplace_back(CreateNetns{int(i)});
    for (const Link& l : t_.links) plan_link(l);
    for (size_t i = 0; i < t_.nodes.size(); i++) plan_node(int(i));
    return std::move(plan_);
  }

 private:
  const Topology& t_;
  Plan plan_;
  std::map<std::string, int> index_;
  std::vector<NodeIfaces> ifaces_;
  std::set<nl::Mac> macs_;
  // Per node, what comes after the links: addresses on its ends and the ends to bring up.
  struct Pending {
    std::vector<AddAddress> addresses;
    std::vector<LinkUp> ups;
  };
  std::vector<Pending> per_node_;

  IfaceRef ref(const std::string& node, const std::string& iface) {
    int n = index_.at(node);
    return {n, iface, ifaces_[n].add(iface)};
  }

  nl::Mac mac_for(const Endpoint& ep) {
    if (ep.mac) return *ep.mac;
    for (unsigned attempt = 0;; attempt++) {
      nl::Mac mac = default_mac(t_.name, ep.node, ep.iface, attempt);
      if (macs_.insert(mac).second) return mac;
    }
  }

  void plan_link(const Link& l) {
    const Endpoint& ea = l.endpoints.at(0);
    const Endpoint& eb = l.endpoints.at(1);
    CreateVeth v{ref(ea.node, ea.iface), ref(eb.node, eb.iface), mac_for(ea), mac_for(eb),
                 l.mtu, l.up};
    for (const Endpoint* ep : {&ea, &eb}) {
      const IfaceRef& r = ep == &ea ? v.a : v.b;
      for (const nl::IpPrefix& a : ep->addresses) per_node_[r.node].addresses.push_back({r, a});
    }
    if (l.up) per_node_[v.b.node].ups.push_back({v.b});
    plan_.actions.emplace_back(std::move(v));
    plan_.links++;
  }

  void plan_node(int n) {
    const Node& node = t_.nodes[n];
    std::set<std::string> user_keys;
    for (const Sysctl& s : node.sysctls) user_keys.insert(s.key);
    if (node.kind == NodeKind::router)
      for (auto& [key, value] : kRouterSysctls)
        if (!user_keys.count(key)) plan_.actions.emplace_back(SetSysctl{n, key, value});
    for (const Sysctl& s : node.sysctls) plan_.actions.emplace_back(SetSysctl{n, s.key, s.value});
    IfaceRef lo{n, "lo", 0};
    plan_.actions.emplace_back(LinkUp{lo});
    for (const nl::IpPrefix& a : node.loopback) plan_.actions.emplace_back(AddAddress{lo, a});
    for (AddAddress& a : per_node_[n].addresses) plan_.actions.emplace_back(std::move(a));
    for (LinkUp& u : per_node_[n].ups) plan_.actions.emplace_back(std::move(u));
    for (const Route& r : node.routes) {
      AddRoute route{n, r.dst, {}};
      std::optional<IfaceRef> dev;
      if (!r.dev.empty()) dev = ref(node.name, r.dev);
      for (const nl::IpPrefix& gw : r.via) route.hops.push_back({gw, dev});
      if (r.via.empty()) route.hops.push_back({std::nullopt, dev});
      plan_.actions.emplace_back(std::move(route));
    }
  }
};

}  // namespace

nl::Mac default_mac(const std::string& lab, const std::string& node, const std::string& iface,
                    unsigned attempt) {
  uint64_t h = fnv1a(fmt::format("{}/{}/{}#{}", lab, node, iface, attempt));
  // 0x02: locally administered, unicast.
  return {0x02, uint8_t(h >> 32), uint8_t(h >> 24), uint8_t(h >> 16), uint8_t(h >> 8),
          uint8_t(h)};
}

Plan make_plan(const Topology& topology) { return Planner(topology).run(); }

std::string describe(const Plan& plan, const Action& action) {
  auto node = [&](int n) -> const std::string& { return plan.nodes[n].name; };
  return std::visit(
      [&](const auto& a) -> std::string {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, CreateNetns>) {
          return fmt::format("{}: create netns {}", node(a.node), plan.nodes[a.node].netns);
        } else if constexpr (std::is_same_v<T, CreateVeth>) {
          std::string text = fmt::format("{}: create veth {} ({}) <-> {}:{} ({})", node(a.a.node),
                                         a.a.name, nl::mac_text(a.mac_a), node(a.b.node),
                                         a.b.name, nl::mac_text(a.mac_b));
          if (a.mtu) text += fmt::format(" mtu {}", *a.mtu);
          return text + (a.up ? "" : " down");
        } else if constexpr (std::is_same_v<T, SetSysctl>) {
          return fmt::format("{}: sysctl {}={}", node(a.node), a.key, a.value);
        } else if constexpr (std::is_same_v<T, AddAddress>) {
          return fmt::format("{}: address {} on {}", node(a.iface.node), a.address.text(),
                             a.iface.name);
        } else if constexpr (std::is_same_v<T, LinkUp>) {
          return fmt::format("{}: set {} up", node(a.iface.node), a.iface.name);
        } else {
          std::string text = fmt::format("{}: route {}", node(a.node),
                                         a.dst.len == 0 ? "default" : a.dst.network().text());
          for (const RouteHop& h : a.hops) {
            if (h.gateway) text += " via " + h.gateway->address_text();
            if (h.dev) text += " dev " + h.dev->name;
          }
          return text;
        }
      },
      action);
}

}  // namespace topo
