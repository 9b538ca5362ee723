#include "topo/plan/converger.h"

#include <algorithm>

#include <fmt/format.h>

#include "topo/model/hash.h"
#include "topo/model/impair.h"
#include "topo/model/overloaded.h"

namespace topo {

std::pair<std::string, std::string> split_key(const std::string& key) {
  size_t slash = key.find('/');
  return {key.substr(0, slash), key.substr(slash + 1)};
}

namespace {

std::string node_of(const std::string& end) {
  return End::parse(end)->node;
}

}  // namespace

std::string hops_text(const RouteSpec& r) {
  std::string text;
  for (const RouteSpec::Hop& h : r.hops) {
    if (h.gateway) text += " via " + h.gateway->address_text();
    if (!h.dev.empty()) text += " dev " + h.dev;
  }
  return text.empty() ? text : text.substr(1);
}

// A live route is what is wanted when each wanted hop is there (a hop without a device in the
// file matches whatever device the kernel chose).
bool route_matches(const RouteSpec& want, const RouteSpec& live) {
  if (want.hops.size() != live.hops.size()) return false;
  for (const RouteSpec::Hop& w : want.hops) {
    bool found = false;
    for (const RouteSpec::Hop& l : live.hops)
      found = found || (w.gateway == l.gateway && (w.dev.empty() || w.dev == l.dev));
    if (!found) return false;
  }
  return true;
}

Converger::Converger(const Lab& want, const Lab& before, const Lab& live,
                     const std::map<std::string, std::string>& fresh_sysctls)
    : lab_(want),
      want_(spec_of(want)),
      before_(spec_of(before)),
      live_(spec_of(live)),
      fresh_sysctls_(fresh_sysctls) {
  out_.plan.lab = want.name;
  out_.plan.links = want.file_links;
  for (const BuiltNode& n : want.nodes) lab_nodes_[n.name] = &n;
}

Convergence Converger::run() {
  plan_nodes();
  stop_daemons();
  remove_from_surviving_nodes();
  remove_links_and_nodes();
  create_nodes();
  create_links();
  for (const BuiltNode& n : lab_.nodes) configure(n);
  configure_ends(kHostNode, lab_.host_ifaces);
  write_files();
  start_daemons();
  return std::move(out_);
}

IfaceRef Converger::ref(const End& end) const {
  int slot = kKernelSlot;
  if (fresh_.count(end.node))
    if (const BuiltIface* i = lab_nodes_.at(end.node)->find_iface(end.iface)) slot = i->slot;
  return {node(end.node), end.iface, slot};
}

void Converger::add_plan_node(const std::string& name, const NodeSpec& n) {
  PlanNode::Role role = n.kind == NodeKind::lan ? PlanNode::Role::lan : PlanNode::Role::node;
  index_[name] = int(out_.plan.nodes.size());
  out_.plan.nodes.push_back({name, n.netns, role, n.kind, n.env});
}

void Converger::plan_nodes() {
  for (const BuiltNode& n : lab_.nodes) add_plan_node(n.name, want_.nodes.at(n.name));
  for (const auto& [name, n] : live_.nodes)
    if (!index_.count(name)) add_plan_node(name, n);
  bool host = false;
  for (const auto* spec : {&want_, &before_})
    for (const auto& [key, l] : spec->links)
      host = host || node_of(l.a) == kHostNode || node_of(l.b) == kHostNode;
  if (host) {
    index_[kHostNode] = out_.plan.root = int(out_.plan.nodes.size());
    out_.plan.nodes.push_back({kHostNode, "", PlanNode::Role::root, NodeKind::host, {}});
  }
  for (const BuiltNode& n : lab_.nodes) {
    const NodeSpec* live = find(live_.nodes, n.name);
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
    if (!want_.nodes.count(name)) gone_.insert(name);
}

void Converger::stop_daemons() {
  for (const auto& [key, d] : live_.daemons) {
    auto [n, name] = split_key(key);
    auto want = want_.daemons.find(key);
    auto before = before_.daemons.find(key);
    bool changed = want != want_.daemons.end() && before != before_.daemons.end() &&
                   want->second.config != before->second.config;
    if (want == want_.daemons.end() || !survives(n) || changed) {
      if (want == want_.daemons.end()) change('-', "daemon", key);
      if (changed) change('~', "daemon", key, "restarted: its cmd, env or files changed");
      emit(StopDaemon{node(n), name, d.pid});
    }
  }
}

void Converger::remove_from_surviving_nodes() {
  for (const auto& [key, r] : live_.routes)
    if (!want_.routes.count(key) && before_.routes.count(key) && survives(r.node)) {
      change('-', "route", key, hops_text(r));
      emit(DeleteRoute{node(r.node), r.dst});
    }
  for (const auto& [key, a] : live_.addresses)
    if (!want_.addresses.count(key) && before_.addresses.count(key) && survives(node_of(a.iface)) &&
        want_.ifaces.count(a.iface)) {
      change('-', "address", a.address.text() + " on " + a.iface);
      emit(DeleteAddress{ref(a.iface), a.address});
    }
  // An impairment is the lab's whoever set it, the file or `topo impair`: not checked in before.
  for (const auto& [end, i] : live_.impairments)
    if (!want_.impairments.count(end) && survives(node_of(end)) && want_.ifaces.count(end)) {
      change('-', "impairment", end, i.text);
      emit(ClearImpair{ref(end)});
    }
  for (const auto& [key, content] : live_.files)
    if (!want_.files.count(key) && before_.files.count(key) && survives(split_key(key).first)) {
      change('-', "file", key);
      emit(RemoveFile{node(split_key(key).first), split_key(key).second});
    }
}

void Converger::remove_links_and_nodes() {
  for (const auto& [key, l] : live_.links) {
    bool wanted = want_.links.count(key);
    std::string na = node_of(l.a), nb = node_of(l.b);
    if (wanted && survives(na) && survives(nb)) continue;
    if (!wanted) change('-', "link", key);
    // A link goes with the namespaces it joins; when one of them stays, the kernel would
    // take the link away only when it got round to destroying the other: it is removed now.
    if (gone_.count(na) && gone_.count(nb)) continue;
    std::string end = gone_.count(na) ? l.b : l.a;
    std::string peer = end == l.a ? l.b : l.a;
    auto mac = nl::parse_mac(live_.ifaces.at(end).mac);
    emit(DeleteVeth{ref(end), mac.value_or(nl::Mac{}), peer});
  }
  // An end of the lab's in a namespace that stays, whose peer's namespace was lost (deleted
  // by hand): the kernel removes the pair only once it has destroyed that namespace, which
  // may be later. Removed now, so that the link can be made again.
  for (const auto& [key, l] : want_.links) {
    if (live_.links.count(key) || !before_.links.count(key)) continue;
    for (const auto& [end, peer] : {std::pair{l.a, l.b}, std::pair{l.b, l.a}}) {
      auto live = live_.ifaces.find(end);
      auto made = before_.ifaces.find(end);
      if (!survives(node_of(end)) || live == live_.ifaces.end() || made == before_.ifaces.end() ||
          live->second.kind != "veth" || live->second.mac != made->second.mac)
        continue;
      emit(DeleteVeth{ref(end), nl::parse_mac(live->second.mac).value_or(nl::Mac{}), peer});
    }
  }
  for (const std::string& name : gone_) {
    if (!want_.nodes.count(name)) change('-', "node", name);
    emit(DeleteNode{node(name), live_.nodes.at(name).id});
  }
}

// New namespaces, each one's own sysctls (before its interfaces exist, so that conf.default
// applies to them), bridges.
void Converger::create_nodes() {
  for (const BuiltNode& n : lab_.nodes) {
    if (!fresh_.count(n.name)) continue;
    if (gone_.count(n.name))
      change('~', "node", n.name,
             fmt::format("kind {} -> {}: made again", kind_name(live_.nodes.at(n.name).kind),
                         kind_name(n.kind)));
    else
      change(classify(before_.nodes.count(n.name), false), "node", n.name,
             before_.nodes.count(n.name) ? "its namespace is gone: made again" : kind_name(n.kind));
    emit(CreateNetns{node(n.name)});
  }
  for (const BuiltNode& n : lab_.nodes)
    if (fresh_.count(n.name))
      for (const auto& [key, value] : n.sysctls)
        if (sysctl_iface(key).empty()) emit(SetSysctl{node(n.name), key, value});
  for (const BuiltNode& n : lab_.nodes)
    for (const BuiltIface& i : n.ifaces) {
      End end{n.name, i.name};
      if (i.type == IfaceType::bridge && (!live_.ifaces.count(end.text()) || fresh_.count(n.name)))
        emit(CreateBridge{ref(end)});
    }
}

// Every link not live, in the lab's order; then the far ends born outside their bridge made
// its ports (the ends to bring up are brought up with their node).
void Converger::create_links() {
  std::vector<SetLink> ports;
  for (const BuiltLink& l : lab_.links) {
    std::string key = link_key(l.a.text(), l.b.text());
    bool nodes_survive = survives(l.a.node) && survives(l.b.node);
    if (live_.links.count(key) && nodes_survive) continue;
    // A link of a namespace made again comes with it; any other is new or was lost.
    char op = classify(before_.links.count(key), false);
    if (op == '+' || nodes_survive) change(op, "link", key, op == '!' ? "missing: made again" : "");
    const BuiltIface& a = wanted(l.a);
    const BuiltIface& b = wanted(l.b);
    std::optional<IfaceRef> master_a;
    if (!a.master.empty()) master_a = ref(End{l.a.node, a.master});
    emit(CreateVeth{ref(l.a), ref(l.b), *a.mac, *b.mac,
                    a.mtu ? std::optional<int>(a.mtu) : std::nullopt, master_a, a.up});
    if (!b.master.empty())
      ports.push_back({ref(l.b), b.up, ref(End{l.b.node, b.master})});
    else if (b.up)
      ups_.insert(l.b.text());
    made_links_.insert(l.a.text());
    made_links_.insert(l.b.text());
  }
  for (SetLink& p : ports) emit(std::move(p));
}

Convergence converge(const Lab& want, const Lab& before, const Lab& live,
                     const std::map<std::string, std::string>& fresh_sysctls) {
  return Converger(want, before, live, fresh_sysctls).run();
}

}  // namespace topo
