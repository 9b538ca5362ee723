#include "topo/plan/converger.h"

#include <algorithm>

#include <fmt/format.h>

#include "topo/model/hash.h"
#include "topo/model/impair.h"
#include "topo/model/overloaded.h"

namespace topo {

std::string hops_text(const BuiltRoute& r) {
  std::string text;
  for (const BuiltRoute::Hop& h : r.hops) {
    if (h.gateway) text += " via " + h.gateway->address_text();
    if (!h.dev.empty()) text += " dev " + h.dev;
  }
  return text.empty() ? text : text.substr(1);
}

// A live route is what is wanted when each wanted hop is there (a hop without a device in the
// file matches whatever device the kernel chose).
bool route_matches(const BuiltRoute& want, const BuiltRoute& live) {
  if (want.hops.size() != live.hops.size()) return false;
  for (const BuiltRoute::Hop& w : want.hops) {
    bool found = false;
    for (const BuiltRoute::Hop& l : live.hops)
      found = found || (w.gateway == l.gateway && (w.dev.empty() || w.dev == l.dev));
    if (!found) return false;
  }
  return true;
}

std::string change_text(const Change& c) {
  std::string text = c.op == '#' ? std::string("note:") : std::string(1, c.op);
  text += " " + c.what;
  if (!c.object.empty()) text += " " + c.object;
  if (!c.detail.empty()) text += ": " + c.detail;
  return text;
}

bool Convergence::changes_anything() const {
  return std::any_of(changes.begin(), changes.end(), [](const Change& c) { return c.op != '#'; });
}

Converger::Converger(const Lab& want, const Lab& before, const Lab& live,
                     const std::map<std::string, std::string>& fresh_sysctls)
    : lab_(want), want_(want), before_(before), live_(live), fresh_sysctls_(fresh_sysctls) {
  out_.plan.lab = want.name;
  out_.plan.links = want.file_links;
}

Convergence Converger::run() {
  plan_nodes();
  wake_nodes();
  stop_daemons();
  remove_from_surviving_nodes();
  remove_tunnels();
  remove_links_and_nodes();
  create_nodes();
  create_links();
  create_tunnels();
  for (const BuiltNode& n : lab_.nodes) configure(n);
  configure_ends(kHostNode, lab_.host_ifaces);
  write_files();
  start_daemons();
  return std::move(out_);
}

IfaceRef Converger::ref(const End& end) const {
  int slot = kKernelSlot;
  if (fresh_.count(end.node))
    if (const BuiltIface* i = want_.iface(end)) slot = i->slot;
  return {node(end.node), end.iface, slot};
}

void Converger::add_plan_node(const BuiltNode& n) {
  PlanNode::Role role = n.kind == NodeKind::lan ? PlanNode::Role::lan : PlanNode::Role::node;
  index_[n.name] = int(out_.plan.nodes.size());
  out_.plan.nodes.push_back({n.name, n.netns, role, n.kind, n.env});
}

void Converger::plan_nodes() {
  for (const BuiltNode& n : lab_.nodes) add_plan_node(n);
  for (const auto& [name, n] : live_.nodes)
    if (!index_.count(name)) add_plan_node(*n);
  bool host = false;
  for (const Lab* lab : {&want_.lab, &before_.lab})
    for (const BuiltLink& l : lab->links) host = host || l.a.on_host() || l.b.on_host();
  if (host) {
    index_[kHostNode] = out_.plan.root = int(out_.plan.nodes.size());
    out_.plan.nodes.push_back({kHostNode, "", PlanNode::Role::root, NodeKind::host, {}});
  }
  for (const BuiltNode& n : lab_.nodes) {
    const BuiltNode* live = live_.node(n.name);
    if (!live) {
      fresh_.insert(n.name);
    } else if ((live->kind == NodeKind::bridge) != (n.kind == NodeKind::bridge)) {
      // A bridge node's interfaces are ports of its bridge: it is made again.
      fresh_.insert(n.name);
      gone_.insert(n.name);
    } else if (live->kind != n.kind) {
      change('~', "node", n.name,
             fmt::format("kind {} -> {}", kind_name(live->kind), kind_name(n.kind)));
    }
  }
  for (const auto& [name, n] : live_.nodes)
    if (!want_.node(name)) gone_.insert(name);
}

// A node that stays and was paused is resumed before anything else is done to it; one that was
// stopped is started again as it is configured (restarted_).
void Converger::wake_nodes() {
  for (const BuiltNode& n : lab_.nodes) {
    const BuiltNode* live = live_.node(n.name);
    if (!live || !survives(n.name)) continue;
    if (live->state == NodeState::paused) {
      change('!', "node", n.name, "paused (`topo node`): resumed");
      emit(ResumeNode{node(n.name)});
    } else if (live->state == NodeState::stopped) {
      change('!', "node", n.name, "stopped (`topo node`): started again");
      restarted_.insert(n.name);
    }
  }
}

void Converger::stop_daemons() {
  auto stops = [&](const NodeKey& key, const BuiltDaemon*) {
    const BuiltDaemon* want = want_.daemon(key.first, key.second);
    const BuiltDaemon* before = before_.daemon(key.first, key.second);
    return !want || !survives(key.first) || (before && want->config != before->config);
  };
  // Nodes in the order of their text, as other removals; a node's daemons said in the order the
  // lab started them and stopped in the reverse: one may need another started before it
  // (ospfd zebra's socket).
  std::map<NodeKey, size_t> started;
  for (bool waiting : {false, true})  // as start_daemons started them
    for (const BuiltNode& n : before_.lab.nodes)
      for (const BuiltDaemon& d : n.daemons)
        if (d.waits() == waiting) started.emplace(NodeKey{n.name, d.name}, started.size());
  auto order = [&](const NodeKey& key) {
    auto s = started.find(key);
    return fmt::format("{}/{:08} {}", key.first, s == started.end() ? started.size() : s->second,
                       key.second);
  };
  auto stopping = picked(live_.daemons, stops, order);
  for (const auto* entry : stopping) {
    const NodeKey& key = entry->first;
    const BuiltDaemon* want = want_.daemon(key.first, key.second);
    const BuiltDaemon* before = before_.daemon(key.first, key.second);
    if (!want) change('-', "daemon", node_object_text(key));
    if (want && before && want->config != before->config)
      change('~', "daemon", node_object_text(key), "restarted: its cmd, env or files changed");
  }
  for (auto entry = stopping.rbegin(); entry != stopping.rend(); ++entry)
    emit(StopDaemon{node((*entry)->first.first), (*entry)->first.second, (*entry)->second->pid});
}

void Converger::remove_from_surviving_nodes() {
  auto route_gone = [&](const RouteKey& key, const BuiltRoute*) {
    return !want_.routes.count(key) && before_.routes.count(key) && survives(key.node);
  };
  for (const auto* entry : picked(live_.routes, route_gone, route_text)) {
    const auto& [key, r] = *entry;
    change('-', "route", route_text(key), hops_text(*r));
    emit(DeleteRoute{node(key.node), r->dst});
  }
  remove_addresses();
  // An impairment is the lab's whoever set it, the file or `topo impair`: not checked in before.
  auto impaired = [&](const End& end, const BuiltIface* i) {
    const BuiltIface* want = want_.iface(end);
    return i->impairment && want && !want->impairment && survives(end.node);
  };
  for (const auto* entry : picked(live_.ifaces, impaired, std::mem_fn(&End::text))) {
    const auto& [end, i] = *entry;
    change('-', "impairment", end.text(), impairment_text(*i->impairment));
    emit(ClearImpair{ref(end)});
  }
  auto file_gone = [&](const NodeKey& key, const BuiltFile*) {
    return !want_.files.count(key) && before_.files.count(key) && survives(key.first);
  };
  for (const auto* entry : picked(live_.files, file_gone, node_object_text)) {
    const NodeKey& key = entry->first;
    change('-', "file", node_object_text(key));
    emit(RemoveFile{node(key.first), key.second});
  }
}

void Converger::remove_addresses() {
  auto gone = [&](const AddressKey& a) {
    return !want_.addresses.count(a) && before_.addresses.count(a) && survives(a.end.node) &&
           want_.iface(a.end);
  };
  std::vector<const AddressKey*> removed;
  for (const AddressKey& a : live_.addresses)
    if (gone(a)) removed.push_back(&a);
  std::sort(removed.begin(), removed.end(), [](const AddressKey* x, const AddressKey* y) {
    return address_order(*x) < address_order(*y);
  });
  for (const AddressKey* a : removed) {
    change('-', "address", address_text(*a));
    emit(DeleteAddress{ref(a->end), a->address});
  }
}

void Converger::remove_links_and_nodes() {
  auto removed = [&](const LinkKey& key, const BuiltLink*) {
    return !want_.links.count(key) || !survives(key.first.node) || !survives(key.second.node);
  };
  auto text = [](const LinkKey& key) { return link_text(key.first, key.second); };
  for (const auto* entry : picked(live_.links, removed, text)) {
    const auto& [key, l] = *entry;
    if (!want_.links.count(key)) change('-', "link", text(key));
    // A link goes with the namespaces it joins; when one of them stays, the kernel would
    // take the link away only when it got round to destroying the other: it is removed now.
    if (gone_.count(l->a.node) && gone_.count(l->b.node)) continue;
    const End& end = gone_.count(l->a.node) ? l->b : l->a;
    const End& peer = &end == &l->a ? l->b : l->a;
    emit(DeleteVeth{ref(end), live_.ifaces.at(end)->mac.value_or(nl::Mac{}), peer.text()});
  }
  // An end of the lab's in a namespace that stays, whose peer's namespace was lost (deleted
  // by hand): the kernel removes the pair only once it has destroyed that namespace, which
  // may be later. Removed now, so that the link can be made again.
  auto lost = [&](const LinkKey& key, const BuiltLink*) {
    return !live_.links.count(key) && before_.links.count(key);
  };
  for (const auto* entry : picked(want_.links, lost, text)) {
    const BuiltLink& l = *entry->second;
    for (const auto& [end, peer] : {std::pair{l.a, l.b}, std::pair{l.b, l.a}}) {
      const BuiltIface* live = live_.iface(end);
      const BuiltIface* made = before_.iface(end);
      if (!survives(end.node) || !live || !made || live->type != IfaceType::veth ||
          live->mac != made->mac)
        continue;
      emit(DeleteVeth{ref(end), live->mac.value_or(nl::Mac{}), peer.text()});
    }
  }
  for (const std::string& name : gone_) {
    if (!want_.node(name)) change('-', "node", name);
    emit(DeleteNode{node(name), live_.node(name)->id});
  }
}

// New namespaces, each one's own sysctls (before its interfaces exist, so that conf.default
// applies to them), bridges.
void Converger::create_nodes() {
  for (const BuiltNode& n : lab_.nodes) {
    if (!fresh_.count(n.name)) continue;
    if (gone_.count(n.name))
      change('~', "node", n.name,
             fmt::format("kind {} -> {}: made again", kind_name(live_.node(n.name)->kind),
                         kind_name(n.kind)));
    else
      change(classify(before_.node(n.name), false), "node", n.name,
             before_.node(n.name) ? "its namespace is gone: made again" : kind_name(n.kind));
    emit(CreateNetns{node(n.name)});
  }
  for (const BuiltNode& n : lab_.nodes)
    if (fresh_.count(n.name))
      for (const auto& [key, value] : n.sysctls)
        if (sysctl_iface(key).empty()) emit(SetSysctl{node(n.name), key, value});
  for (const BuiltNode& n : lab_.nodes)
    for (const BuiltIface& i : n.ifaces) {
      End end{n.name, i.name};
      if (i.type == IfaceType::bridge && (!live_.iface(end) || fresh_.count(n.name)))
        emit(CreateBridge{ref(end)});
    }
}

// Every link not live, in the lab's order; then the far ends born outside their bridge made
// its ports (the ends to bring up are brought up with their node).
void Converger::create_links() {
  std::vector<SetLink> ports;
  for (const BuiltLink& l : lab_.links) {
    bool nodes_survive = survives(l.a.node) && survives(l.b.node);
    if (live_.link(l.a, l.b) && nodes_survive) continue;
    // A link of a namespace made again comes with it; any other is new or was lost.
    char op = classify(before_.link(l.a, l.b), false);
    if (op == '+' || nodes_survive)
      change(op, "link", link_text(l.a, l.b), op == '!' ? "missing: made again" : "");
    const BuiltIface& a = wanted(l.a);
    const BuiltIface& b = wanted(l.b);
    std::optional<IfaceRef> master_a;
    if (!a.master.empty()) master_a = ref(End{l.a.node, a.master});
    emit(CreateVeth{ref(l.a), ref(l.b), *a.mac, *b.mac,
                    a.mtu ? std::optional<int>(a.mtu) : std::nullopt, master_a, a.up});
    if (!b.master.empty())
      ports.push_back({ref(l.b), b.up, ref(End{l.b.node, b.master})});
    else if (b.up)
      ups_.insert(l.b);
    made_links_.insert(l.a);
    made_links_.insert(l.b);
  }
  for (SetLink& p : ports) emit(std::move(p));
}

// Whether the end is a VXLAN device as the lab made it and still wants it.
static bool same_tunnel(const BuiltIface* want, const BuiltIface* before, const BuiltIface* live) {
  return want && before && live && want->type == IfaceType::vxlan &&
         live->type == IfaceType::vxlan && before->vxlan == want->vxlan && live->mac == before->mac;
}

// The lab's VXLAN devices no longer wanted as they are: gone from the file, their tunnel changed
// (made again), or in a namespace that goes.
void Converger::remove_tunnels() {
  auto removed = [&](const End& end, const BuiltIface* live) {
    const BuiltIface* before = before_.iface(end);
    // Also of a namespace that goes: its VNI stays taken until the kernel destroys it.
    return live->type == IfaceType::vxlan && before && before->type == IfaceType::vxlan &&
           (!survives(end.node) || !same_tunnel(want_.iface(end), before, live));
  };
  for (const auto* entry : picked(live_.ifaces, removed, std::mem_fn(&End::text))) {
    const End& end = entry->first;
    const BuiltIface* want = want_.iface(end);
    if ((!want || want->type != IfaceType::vxlan) && survives(end.node))
      change('-', "tunnel", end.text(), before_.iface(end)->vxlan->peer);
    // By the MAC the lab gave it: another device of that name is left alone.
    emit(DeleteVxlan{ref(end), before_.iface(end)->mac.value_or(nl::Mac{})});
  }
}

// Every VXLAN device not live as wanted, in the lab's order.
void Converger::create_tunnels() {
  for (const BuiltNode& n : lab_.nodes)
    for (const BuiltIface& i : n.ifaces) {
      if (i.type != IfaceType::vxlan) continue;
      End end{n.name, i.name};
      const BuiltIface* before = before_.iface(end);
      const BuiltIface* live = live_.iface(end);
      if (survives(n.name) && same_tunnel(&i, before, live)) continue;
      if (survives(n.name)) {
        const BuiltIface* made = before && before->type == IfaceType::vxlan ? before : nullptr;
        char op = !made ? '+' : made->vxlan == i.vxlan ? '!' : '~';
        change(op, "tunnel", end.text(),
               op == '!' ? "missing: made again"
                         : fmt::format("vni {} to {}", i.vxlan->vni, i.vxlan->peer));
      }
      std::optional<IfaceRef> master;
      if (!i.master.empty()) master = ref(End{n.name, i.master});
      emit(CreateVxlan{ref(end), *i.mac, i.mtu, i.up, master, *i.vxlan});
      made_links_.insert(end);
    }
}

Lab node_part(const Lab& lab, std::string_view node) {
  Lab part;
  part.name = lab.name;
  part.prefix = lab.prefix;
  if (const BuiltNode* n = lab.find_node(node)) part.nodes.push_back(*n);
  return part;
}

Convergence converge(const Lab& want, const Lab& before, const Lab& live,
                     const std::map<std::string, std::string>& fresh_sysctls) {
  return Converger(want, before, live, fresh_sysctls).run();
}

}  // namespace topo
