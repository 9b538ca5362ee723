#include "topo/plan/planner.h"

#include <map>
#include <set>

namespace topo {

namespace {

class Builder {
 public:
  explicit Builder(const Lab& lab) : lab_(lab) {}

  Plan run() {
    plan_.lab = lab_.name;
    plan_.links = lab_.file_links;
    for (const BuiltNode& n : lab_.nodes) {
      index_[n.name] = int(plan_.nodes.size());
      PlanNode::Role role = n.kind == NodeKind::lan ? PlanNode::Role::lan : PlanNode::Role::node;
      plan_.nodes.push_back({n.name, n.netns, role, n.kind, n.env});
    }
    if (!lab_.host_ifaces.empty()) {
      index_[kHostNode] = plan_.root = int(plan_.nodes.size());
      plan_.nodes.push_back({kHostNode, "", PlanNode::Role::root, NodeKind::host, {}});
    }
    for (const BuiltLink& l : lab_.links) b_ends_.insert(l.b);
    for (size_t n = 0; n < lab_.nodes.size(); n++) emit(CreateNetns{int(n)});
    // A new namespace's own settings before its interfaces exist: the defaults they take.
    for (size_t n = 0; n < lab_.nodes.size(); n++)
      for (const auto& [key, value] : lab_.nodes[n].sysctls)
        if (sysctl_iface(key).empty()) emit(SetSysctl{int(n), key, value});
    for (const BuiltNode& n : lab_.nodes)
      for (const BuiltIface& i : n.ifaces)
        if (i.type == IfaceType::bridge) emit(CreateBridge{ref(End{n.name, i.name})});
    for (const BuiltLink& l : lab_.links) add_veth(l);
    for (const BuiltLink& l : lab_.links)
      if (const BuiltIface* b = lab_.find_iface(l.b); !b->master.empty())
        emit(SetLink{ref(l.b), b->up, ref(End{l.b.node, b->master})});
    for (size_t n = 0; n < lab_.nodes.size(); n++)
      if (lab_.nodes[n].kind != NodeKind::lan) configure(lab_.nodes[n]);
    configure_ends(kHostNode, lab_.host_ifaces);
    files_and_processes();
    return std::move(plan_);
  }

 private:
  const Lab& lab_;
  Plan plan_;
  std::map<std::string, int, std::less<>> index_;  // node name -> its index in the plan
  std::set<End> b_ends_;                           // ends born by the other's request

  template <class A>
  void emit(A&& action) {
    plan_.actions.emplace_back(std::forward<A>(action));
  }

  IfaceRef ref(const End& end) const {
    const BuiltIface* i = lab_.find_iface(end);
    return {index_.at(end.node), end.iface, i ? i->slot : kKernelSlot};
  }

  void add_veth(const BuiltLink& l) {
    const BuiltIface& a = *lab_.find_iface(l.a);
    const BuiltIface& b = *lab_.find_iface(l.b);
    std::optional<IfaceRef> master_a;
    if (!a.master.empty()) master_a = ref(End{l.a.node, a.master});
    emit(CreateVeth{ref(l.a), ref(l.b), *a.mac, *b.mac,
                    a.mtu ? std::optional<int>(a.mtu) : std::nullopt, master_a, a.up});
  }

  // After every link: a node's settings of its interfaces, lo, addresses, ends up, routes.
  void configure(const BuiltNode& n) {
    int node = index_.at(n.name);
    for (const auto& [key, value] : n.sysctls)
      if (!sysctl_iface(key).empty()) emit(SetSysctl{node, key, value});
    configure_ends(n.name, n.ifaces);
    for (const BuiltRoute& r : n.routes) {
      AddRoute route{node, r.dst, {}};
      for (const BuiltRoute::Hop& h : r.hops) {
        std::optional<IfaceRef> dev;
        if (!h.dev.empty()) dev = ref(End{n.name, h.dev});
        route.hops.push_back({h.gateway, dev});
      }
      emit(std::move(route));
    }
  }

  // Addresses (lo's first), then the ends the other end's request made to bring up, then
  // impairments.
  void configure_ends(const std::string& node, const std::vector<BuiltIface>& ifaces) {
    for (const BuiltIface& i : ifaces) {
      if (i.type == IfaceType::lo && i.up)
        emit(SetLink{ref(End{node, i.name}), true, std::nullopt});
      for (const nl::IpPrefix& a : i.addresses) emit(AddAddress{ref(End{node, i.name}), a});
    }
    for (const BuiltIface& i : ifaces)
      if (i.up && i.master.empty() && b_ends_.count(End{node, i.name}))
        emit(SetLink{ref(End{node, i.name}), true, std::nullopt});
    for (const BuiltIface& i : ifaces)
      if (i.impairment) emit(SetImpair{ref(End{node, i.name}), *i.impairment});
  }

  void files_and_processes() {
    if (lab_.hosts) emit(WriteHosts{*lab_.hosts});
    for (size_t n = 0; n < lab_.nodes.size(); n++)
      if (lab_.nodes[n].etc_link) emit(LinkEtc{int(n)});
    for (size_t n = 0; n < lab_.nodes.size(); n++) {
      const BuiltNode& node = lab_.nodes[n];
      if (node.files.empty() && node.exec.empty() && node.daemons.empty() && node.env.empty())
        continue;
      std::vector<NodeFile> files;
      for (const BuiltFile& f : node.files) files.push_back({f.name, f.content, {}});
      emit(PrepareNode{int(n), std::move(files)});
    }
    for (size_t n = 0; n < lab_.nodes.size(); n++)
      for (const std::string& cmd : lab_.nodes[n].exec) emit(RunExec{int(n), cmd});
    bool daemons = false;
    for (size_t n = 0; n < lab_.nodes.size(); n++)
      for (const BuiltDaemon& d : lab_.nodes[n].daemons) {
        emit(StartDaemon{int(n), d.name, d.cmd});
        daemons = true;
      }
    if (daemons) emit(WatchDaemons{});
  }
};

}  // namespace

Plan build_plan(const Lab& lab) {
  return Builder(lab).run();
}

}  // namespace topo
