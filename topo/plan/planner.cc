#include "topo/plan/planner.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "topo/model/hash.h"
#include "topo/model/impair.h"
#include "topo/model/overloaded.h"
#include "topo/plan/hosts.h"

namespace topo {

namespace {

constexpr const char* kRouterSysctls[][2] = {{"net.ipv4.ip_forward", "1"},
                                             {"net.ipv6.conf.all.forwarding", "1"}};
// New interfaces skip duplicate address detection for their link-local addresses too, so IPv6
// works the moment `up` returns (addresses topo adds itself carry IFA_F_NODAD).
constexpr const char* kNoDadSysctl[2] = {"net.ipv6.conf.default.accept_dad", "0"};

struct Slots {
  std::map<std::string, int> slot;  // interface name -> slot
  int next = 1;
  int add(const std::string& name) {
    auto [it, fresh] = slot.emplace(name, next);
    if (fresh) next++;
    return it->second;
  }
};

class Planner {
 public:
  explicit Planner(const Topology& t) : t_(t) {}

  Plan run() {
    plan_.lab = t_.name;
    for (const Node& n : t_.nodes) {
      add_ns(n.name, t_.netns_of(n.name), PlanNode::Role::node);
      plan_.nodes.back().kind = kind_name(n.kind);
      for (const Setting& e : n.env) plan_.nodes.back().env.emplace_back(e.key, e.value);
    }
    for (size_t i = 0; i < t_.links.size(); i++)
      if (t_.links[i].is_lan()) {
        std::string name = fmt::format("_lan{}", i + 1);
        lan_of_[i] = add_ns(name, t_.netns_of(name), PlanNode::Role::lan);
        plan_.nodes.back().kind = "lan";
      }
    // MACs the file gives are taken before any is chosen: a chosen one must differ from them.
    for (const Link& l : t_.links)
      for (const Endpoint& e : l.endpoints)
        if (e.mac) macs_.insert(*e.mac);
    for (const Link& l : t_.links)
      for (const Endpoint& e : l.endpoints)
        if (e.on_host() && plan_.root < 0) {
          plan_.root = add_ns(kHostNode, "", PlanNode::Role::root);
          plan_.nodes.back().kind = "root";
        }
    slots_.resize(plan_.nodes.size());
    pending_.resize(plan_.nodes.size());

    for (size_t n = 0; n < plan_.nodes.size(); n++)
      if (plan_.nodes[n].role != PlanNode::Role::root) emit(CreateNetns{int(n)});
    std::set<std::string> v6 = nodes_with_v6();
    for (size_t n = 0; n < t_.nodes.size(); n++)
      if (v6.count(t_.nodes[n].name)) emit(SetSysctl{int(n), kNoDadSysctl[0], kNoDadSysctl[1]});
    plan_bridges();
    for (size_t i = 0; i < t_.links.size(); i++) plan_link(i);
    for (SetLink& s : ports_) emit(std::move(s));
    for (size_t n = 0; n < t_.nodes.size(); n++) plan_node(int(n));
    if (plan_.root >= 0) plan_pending(plan_.root);
    plan_processes();
    return std::move(plan_);
  }

 private:
  const Topology& t_;
  Plan plan_;
  std::map<std::string, int> index_;  // namespace name in the plan -> index
  std::map<size_t, int> lan_of_;      // link index -> its LAN namespace
  std::vector<Slots> slots_;
  std::set<nl::Mac> macs_;
  std::vector<SetLink> ports_;  // far ends that are bridge ports
  // Per namespace, what comes after the links: addresses on its ends and the ends to bring up.
  struct Pending {
    std::vector<AddAddress> addresses;
    std::vector<SetLink> ups;
    std::vector<SetImpair> impairs;
  };
  std::vector<Pending> pending_;

  template <class A>
  void emit(A&& action) {
    plan_.actions.emplace_back(std::forward<A>(action));
  }

  int add_ns(const std::string& name, const std::string& netns, PlanNode::Role role) {
    int i = int(plan_.nodes.size());
    plan_.nodes.push_back({name, netns, role, "", {}});
    index_[name] = i;
    return i;
  }

  std::set<std::string> nodes_with_v6() const {
    std::set<std::string> out;
    for (const Link& l : t_.links)
      for (const Endpoint& e : l.endpoints)
        for (const nl::IpPrefix& a : e.addresses)
          if (a.is_v6()) out.insert(e.node);
    return out;
  }

  bool is_bridge_node(int n) const {
    return plan_.nodes[n].role == PlanNode::Role::node && t_.nodes[n].kind == NodeKind::bridge;
  }

  IfaceRef ref(int n, const std::string& iface) {
    if (n == plan_.root) return {n, iface, kKernelSlot};
    return {n, iface, slots_[n].add(iface)};
  }

  // The bridge an interface of namespace `n` is a port of, if any.
  std::optional<IfaceRef> bridge_of(int n) {
    if (plan_.nodes[n].role == PlanNode::Role::lan || is_bridge_node(n))
      return ref(n, kBridgeIface);
    return std::nullopt;
  }

  nl::Mac mac_for(const std::string& node, const std::string& iface,
                  const std::optional<nl::Mac>& given) {
    if (given) return *given;
    for (unsigned attempt = 0;; attempt++) {
      nl::Mac mac = default_mac(t_.name, node, iface, attempt);
      if (macs_.insert(mac).second) return mac;
    }
  }

  void plan_bridges() {
    for (size_t n = 0; n < plan_.nodes.size(); n++)
      if (auto br = bridge_of(int(n))) emit(CreateBridge{*br});
  }

  struct End {
    int ns;
    std::string iface;
    std::optional<nl::Mac> mac;
    const Endpoint* endpoint;  // null for a LAN's own port
  };

  void plan_veth(End a, End b, const Link& l) {
    // The root end is always b: it is born there by fd, with an ifindex the kernel chooses.
    // A bridge port is a where possible, so that it is born a port.
    if (a.ns == plan_.root || (!bridge_of(a.ns) && bridge_of(b.ns) && b.ns != plan_.root))
      std::swap(a, b);
    CreateVeth v{ref(a.ns, a.iface),
                 ref(b.ns, b.iface),
                 mac_for(plan_.nodes[a.ns].name, a.iface, a.mac),
                 mac_for(plan_.nodes[b.ns].name, b.iface, b.mac),
                 l.mtu,
                 bridge_of(a.ns),
                 l.up || !a.endpoint};
    for (const End* e : {&a, &b}) {
      if (!e->endpoint) continue;
      const IfaceRef& r = e == &a ? v.a : v.b;
      for (const nl::IpPrefix& addr : e->endpoint->addresses)
        pending_[r.node].addresses.push_back({r, addr});
      nl::Impairment imp = effective_impairment(
          l.impair ? &*l.impair : nullptr, e->endpoint->impair ? &*e->endpoint->impair : nullptr);
      if (imp.needs_netem() || imp.rate_bps) pending_[r.node].impairs.push_back({r, imp});
    }
    bool b_up = l.up || !b.endpoint;
    if (auto master = bridge_of(b.ns))
      ports_.push_back({v.b, b_up, master});
    else if (b_up)
      pending_[v.b.node].ups.push_back({v.b, true, std::nullopt});
    emit(std::move(v));
  }

  void plan_link(size_t i) {
    const Link& l = t_.links[i];
    auto end_of = [&](const Endpoint& e) {
      return End{index_.at(e.on_host() ? std::string(kHostNode) : e.node), e.iface, e.mac, &e};
    };
    if (l.is_lan()) {
      // Each member is wired to a port p1, p2, ... of the LAN's bridge, in its own namespace.
      int lan = lan_of_.at(i);
      for (size_t k = 0; k < l.endpoints.size(); k++)
        plan_veth(End{lan, fmt::format("p{}", k + 1), std::nullopt, nullptr},
                  end_of(l.endpoints[k]), l);
    } else {
      plan_veth(end_of(l.endpoints[0]), end_of(l.endpoints[1]), l);
    }
    plan_.links++;
  }

  void plan_processes() {
    if (t_.nodes.empty()) return;
    emit(WriteHosts{hosts_file(t_)});
    for (size_t n = 0; n < t_.nodes.size(); n++) emit(LinkEtc{int(n)});
    for (size_t n = 0; n < t_.nodes.size(); n++)
      if (t_.nodes[n].runs_anything() || !t_.nodes[n].env.empty())
        emit(PrepareNode{int(n), t_.nodes[n].files});
    for (size_t n = 0; n < t_.nodes.size(); n++)
      for (const Command& c : t_.nodes[n].exec) emit(RunExec{int(n), c.cmd});
    bool daemons = false;
    for (size_t n = 0; n < t_.nodes.size(); n++)
      for (const Command& d : t_.nodes[n].daemons) {
        emit(StartDaemon{int(n), d.name, d.cmd});
        daemons = true;
      }
    if (daemons) emit(WatchDaemons{});
  }

  void plan_pending(int n) {
    for (AddAddress& a : pending_[n].addresses) emit(std::move(a));
    for (SetLink& u : pending_[n].ups) emit(std::move(u));
    for (SetImpair& i : pending_[n].impairs) emit(std::move(i));
  }

  void plan_node(int n) {
    const Node& node = t_.nodes[n];
    std::set<std::string> user_keys;
    for (const Setting& s : node.sysctls) user_keys.insert(s.key);
    if (node.kind == NodeKind::router)
      for (auto& [key, value] : kRouterSysctls)
        if (!user_keys.count(key)) emit(SetSysctl{n, key, value});
    for (const Setting& s : node.sysctls) emit(SetSysctl{n, s.key, s.value});
    IfaceRef lo{n, "lo", 0};
    emit(SetLink{lo, true, std::nullopt});
    for (const nl::IpPrefix& a : node.loopback) emit(AddAddress{lo, a});
    plan_pending(n);
    for (const Route& r : node.routes) {
      AddRoute route{n, r.dst, {}};
      std::optional<IfaceRef> dev;
      if (!r.dev.empty()) dev = ref(n, r.dev);
      for (const nl::IpPrefix& gw : r.via) route.hops.push_back({gw, dev});
      if (r.via.empty()) route.hops.push_back({std::nullopt, dev});
      emit(std::move(route));
    }
  }
};

}  // namespace

nl::Mac default_mac(const std::string& lab, const std::string& node, const std::string& iface,
                    unsigned attempt) {
  uint64_t h = fnv1a(fmt::format("{}/{}/{}#{}", lab, node, iface, attempt));
  // 0x02: locally administered, unicast.
  return {0x02, uint8_t(h >> 32), uint8_t(h >> 24), uint8_t(h >> 16), uint8_t(h >> 8), uint8_t(h)};
}

Plan make_plan(const Topology& topology) {
  return Planner(topology).run();
}

namespace {

// The text of each action of a fresh `up`, and of each change to a running lab.
// Each handler holds the plan by pointer (never a copy of it).
auto describing_building(const Plan* plan) {
  auto node = [plan](int n) -> const std::string& { return plan->nodes[n].name; };
  auto end = [node](const IfaceRef& r) { return node(r.node) + ":" + r.name; };
  return overloaded{
      [=](const CreateNetns& a) {
        return fmt::format("{}: create netns {}", node(a.node), plan->nodes[a.node].netns);
      },
      [=](const CreateBridge& a) {
        return fmt::format("{}: create bridge {}", node(a.bridge.node), a.bridge.name);
      },
      [=](const CreateVeth& a) {
        std::string text =
            fmt::format("{}: create veth {} ({}) <-> {} ({})", node(a.a.node), a.a.name,
                        nl::mac_text(a.mac_a), end(a.b), nl::mac_text(a.mac_b));
        if (a.mtu) text += fmt::format(" mtu {}", *a.mtu);
        if (a.master_a) text += fmt::format(" master {}", a.master_a->name);
        return text + (a.up ? "" : " down");
      },
      [=](const SetSysctl& a) {
        return fmt::format("{}: sysctl {}={}", node(a.node), a.key, a.value);
      },
      [=](const AddAddress& a) {
        return fmt::format("{}: address {} on {}", node(a.iface.node), a.address.text(),
                           a.iface.name);
      },
      [=](const SetLink& a) {
        std::string text = fmt::format("{}: set {}", node(a.iface.node), a.iface.name);
        if (a.master) text += " master " + a.master->name;
        return text + (a.up ? " up" : "");
      },
      [=](const SetImpair& a) {
        return fmt::format("{}: impair {}: {}", node(a.iface.node), a.iface.name,
                           impairment_text(a.impairment));
      },
      [=](const AddRoute& a) {
        std::string text =
            fmt::format("{}: {} {}", node(a.node), a.replace ? "replace route" : "route",
                        a.dst.len == 0 ? "default" : a.dst.network().text());
        for (const RouteHop& h : a.hops) {
          if (h.gateway) text += " via " + h.gateway->address_text();
          if (h.dev) text += " dev " + h.dev->name;
        }
        return text;
      },
      [=](const WriteHosts& a) {
        return fmt::format("all: hosts file ({} lines)",
                           std::count(a.content.begin(), a.content.end(), '\n'));
      },
      [=](const LinkEtc& a) {
        return fmt::format("{}: link /etc/netns/{} to the lab's hosts", node(a.node),
                           plan->nodes[a.node].netns);
      },
      [=](const PrepareNode& a) {
        std::string text = fmt::format("{}: node directory", node(a.node));
        for (size_t i = 0; i < a.files.size(); i++)
          text += (i ? ", " : ", files ") + a.files[i].name;
        return text;
      },
      [=](const RunExec& a) { return fmt::format("{}: exec `{}`", node(a.node), a.cmd); },
      [=](const StartDaemon& a) {
        return fmt::format("{}: start daemon {}: `{}`", node(a.node), a.name, a.cmd);
      },
      [](const WatchDaemons&) {
        return std::string("all: check that every daemon still runs 1 s after its start");
      }};
}

auto describing_changes(const Plan* plan) {
  auto node = [plan](int n) -> const std::string& { return plan->nodes[n].name; };
  return overloaded{
      [=](const ChangeLink& a) {
        std::string text = fmt::format("{}: set {}", node(a.iface.node), a.iface.name);
        if (a.mtu) text += fmt::format(" mtu {}", *a.mtu);
        if (a.mac) text += " address " + nl::mac_text(*a.mac);
        if (a.up) text += *a.up ? " up" : " down";
        return text;
      },
      [=](const DeleteAddress& a) {
        return fmt::format("{}: remove address {} from {}", node(a.iface.node), a.address.text(),
                           a.iface.name);
      },
      [=](const DeleteRoute& a) {
        return fmt::format("{}: remove route {}", node(a.node),
                           a.dst.len == 0 ? "default" : a.dst.network().text());
      },
      [=](const ClearImpair& a) {
        return fmt::format("{}: clear impairment of {}", node(a.iface.node), a.iface.name);
      },
      [=](const DeleteVeth& a) {
        return fmt::format("{}: delete veth {} <-> {}", node(a.iface.node), a.iface.name, a.peer);
      },
      [=](const StopDaemon& a) {
        return fmt::format("{}: stop daemon {} (pid {})", node(a.node), a.name, a.pid);
      },
      [=](const RemoveFile& a) { return fmt::format("{}: remove file {}", node(a.node), a.name); },
      [=](const DeleteNode& a) {
        return fmt::format("{}: stop its processes, delete netns {}", node(a.node),
                           plan->nodes[a.node].netns);
      }};
}

}  // namespace

std::string describe(const Plan& plan, const Action& action) {
  return std::visit(overloaded{describing_building(&plan), describing_changes(&plan)}, action);
}

}  // namespace topo
