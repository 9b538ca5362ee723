#include "topo/plan/converge.h"

#include <algorithm>

#include <fmt/format.h>

#include "topo/model/hash.h"
#include "topo/model/impair.h"
#include "topo/model/overloaded.h"

namespace topo {

namespace {

constexpr int kVethMtu = 1500;  // a veth's MTU when the file gives none

std::pair<std::string, std::string> split_end(const std::string& end) {
  size_t colon = end.find(':');
  return {end.substr(0, colon), end.substr(colon + 1)};
}

std::string node_of(const std::string& key, char separator) {
  return key.substr(0, key.find(separator));
}

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

bool same_route(const RouteSpec& a, const RouteSpec& b) {
  return hops_text(a) == hops_text(b);
}

}  // namespace

std::string link_key(const std::string& a, const std::string& b) {
  return a < b ? a + " <-> " + b : b + " <-> " + a;
}

namespace {

void add_iface_spec(LabSpec& s, const End& end, const BuiltIface& i) {
  std::string mac = i.mac ? nl::mac_text(*i.mac) : "";
  int mtu = i.type == IfaceType::veth ? (i.mtu ? i.mtu : kVethMtu) : i.mtu;
  s.ifaces[end.text()] = {iface_type_name(i.type), mac, mtu, i.up, i.master};
  for (const nl::IpPrefix& a : i.addresses)
    s.addresses[end.text() + " " + a.text()] = {end.text(), a};
  if (i.impairment) s.impairments[end.text()] = {impairment_text(*i.impairment), *i.impairment};
}

}  // namespace

LabSpec spec_of(const Lab& lab) {
  LabSpec s;
  size_t daemons = 0;
  for (const BuiltNode& n : lab.nodes) {
    s.nodes[n.name] = {n.netns, n.kind, n.env, n.exec, {}};
    for (const BuiltIface& i : n.ifaces) add_iface_spec(s, End{n.name, i.name}, i);
    for (const BuiltRoute& r : n.routes) {
      RouteSpec route{n.name, r.dst, {}};
      for (const BuiltRoute::Hop& h : r.hops) route.hops.push_back({h.gateway, h.dev});
      s.routes[n.name + " " + r.dst.network().text()] = route;
    }
    for (const auto& [key, value] : n.sysctls) s.sysctls[n.name + " " + key] = {n.name, key, value};
    for (const BuiltFile& f : n.files) s.files[n.name + "/" + f.name] = f.content;
    for (const BuiltDaemon& d : n.daemons)
      s.daemons[n.name + "/" + d.name] = {d.cmd, d.config, 0, daemons++};
    if (n.etc_link) s.etc_links.insert(n.name);
  }
  for (const BuiltIface& i : lab.host_ifaces) add_iface_spec(s, End{kHostNode, i.name}, i);
  for (const BuiltLink& l : lab.links)
    s.links[link_key(l.a.text(), l.b.text())] = {l.a.text(), l.b.text()};
  s.hosts = lab.hosts;
  return s;
}

LabSpec merged(LabSpec first, const LabSpec& second) {
  first.nodes.insert(second.nodes.begin(), second.nodes.end());
  first.ifaces.insert(second.ifaces.begin(), second.ifaces.end());
  first.links.insert(second.links.begin(), second.links.end());
  first.addresses.insert(second.addresses.begin(), second.addresses.end());
  first.routes.insert(second.routes.begin(), second.routes.end());
  first.sysctls.insert(second.sysctls.begin(), second.sysctls.end());
  first.impairments.insert(second.impairments.begin(), second.impairments.end());
  first.files.insert(second.files.begin(), second.files.end());
  first.daemons.insert(second.daemons.begin(), second.daemons.end());
  if (!first.hosts) first.hosts = second.hosts;
  first.etc_links.insert(second.etc_links.begin(), second.etc_links.end());
  return first;
}

namespace {

bool is_lan(const std::string& node) {
  return node.rfind("_lan", 0) == 0;
}

// Each LAN's members ("node:iface") and the port each is wired to.
using LanPorts = std::map<std::string, std::map<std::string, std::string>>;
void add_lan_port(LanPorts& lans, const std::string& a, const std::string& b) {
  auto [an, ai] = split_end(a);
  auto [bn, bi] = split_end(b);
  if (is_lan(an) && !is_lan(bn)) lans[an][b] = ai;
  if (is_lan(bn) && !is_lan(an)) lans[bn][a] = bi;
}

std::string free_name(const std::string& stem, const std::set<std::string>& taken) {
  for (int n = 1;; n++)
    if (!taken.count(stem + std::to_string(n))) return stem + std::to_string(n);
}

// `spec` with every end, node and key renamed.
LabSpec renamed(const LabSpec& spec, const std::string& lab,
                const std::map<std::string, std::string>& nodes,
                const std::map<std::string, std::string>& ends) {
  auto node = [&](const std::string& n) {
    auto it = nodes.find(n);
    return it == nodes.end() ? n : it->second;
  };
  auto end = [&](const std::string& e) {
    auto it = ends.find(e);
    if (it != ends.end()) return it->second;
    auto [n, iface] = split_end(e);
    return node(n) + ":" + iface;
  };
  LabSpec out;
  for (const auto& [name, n] : spec.nodes) {
    NodeSpec copy = n;
    std::string to = node(name);
    if (to != name && copy.netns.size() >= name.size())
      copy.netns = copy.netns.substr(0, copy.netns.size() - name.size()) + to;
    out.nodes[to] = copy;
  }
  for (const auto& [e, i] : spec.ifaces) {
    IfaceSpec copy = i;
    if (auto it = ends.find(e); it != ends.end()) {  // a LAN's port: its MAC is topo's
      auto [n, port] = split_end(it->second);
      copy.mac = nl::mac_text(default_mac(lab, n, port));
    }
    out.ifaces[end(e)] = copy;
  }
  for (const auto& [key, l] : spec.links) {
    LinkSpec copy{end(l.a), end(l.b)};
    out.links[link_key(copy.a, copy.b)] = copy;
  }
  for (const auto& [key, a] : spec.addresses)
    out.addresses[end(a.iface) + " " + a.address.text()] = {end(a.iface), a.address};
  for (const auto& [key, r] : spec.routes) {
    RouteSpec copy = r;
    copy.node = node(r.node);
    out.routes[copy.node + " " + r.dst.network().text()] = copy;
  }
  for (const auto& [key, s] : spec.sysctls)
    out.sysctls[node(s.node) + " " + s.key] = {node(s.node), s.key, s.value};
  for (const auto& [e, i] : spec.impairments) out.impairments[end(e)] = i;
  out.files = spec.files;  // nodes of the file's own: never renamed
  out.daemons = spec.daemons;
  out.hosts = spec.hosts;
  out.etc_links = spec.etc_links;  // nodes of the file's own: never renamed
  return out;
}

}  // namespace

void align_lans(LabSpec& spec, const std::string& lab,
                const std::vector<std::pair<std::string, std::string>>& veths) {
  LanPorts running, wanted;
  for (const auto& [a, b] : veths) add_lan_port(running, a, b);
  for (const auto& [key, l] : spec.links) add_lan_port(wanted, l.a, l.b);
  // Pairs by members in common, most first; each LAN matched once.
  std::vector<std::tuple<size_t, std::string, std::string>> pairs;
  for (const auto& [w, wm] : wanted)
    for (const auto& [r, rm] : running) {
      size_t common = 0;
      for (const auto& [member, port] : wm) common += rm.count(member);
      if (common) pairs.emplace_back(common, w, r);
    }
  std::sort(pairs.begin(), pairs.end(),
            [](const auto& x, const auto& y) { return std::get<0>(x) > std::get<0>(y); });
  std::map<std::string, std::string> match;  // wanted LAN -> running LAN
  std::set<std::string> taken;
  for (const auto& [common, w, r] : pairs)
    if (!match.count(w) && !taken.count(r)) {
      match[w] = r;
      taken.insert(r);
    }
  for (const auto& [r, members] : running) taken.insert(r);
  std::map<std::string, std::string> nodes, ends;
  for (const auto& [w, members] : wanted) {
    std::string to = match.count(w) ? match[w] : (taken.count(w) ? free_name("_lan", taken) : w);
    taken.insert(to);
    if (to != w) nodes[w] = to;
    const std::map<std::string, std::string>& kept = running[to];
    std::set<std::string> ports;
    for (const auto& [member, port] : kept) ports.insert(port);
    for (const auto& [member, port] : members) {
      auto it = kept.find(member);
      std::string new_port = it != kept.end() ? it->second : "";
      if (new_port.empty()) {
        new_port = free_name("p", ports);
        ports.insert(new_port);
      }
      if (to != w || new_port != port) ends[w + ":" + port] = to + ":" + new_port;
    }
  }
  if (!nodes.empty() || !ends.empty()) spec = renamed(spec, lab, nodes, ends);
}

std::string change_text(const Change& c) {
  std::string text = c.op == '#' ? std::string("note:") : std::string(1, c.op);
  text += " " + c.what + " " + c.object;
  if (!c.detail.empty()) text += ": " + c.detail;
  return text;
}

bool Convergence::changes_anything() const {
  return std::any_of(changes.begin(), changes.end(), [](const Change& c) { return c.op != '#'; });
}

namespace {

class Converger {
 public:
  Converger(const std::string& lab, const LabSpec& want, const LabSpec& before, const LabSpec& live,
            const std::map<std::string, std::string>& fresh)
      : want_(want), before_(before), live_(live), fresh_sysctls_(fresh) {
    out_.plan.lab = lab;
  }

  Convergence run() {
    plan_nodes();
    stop_daemons();
    remove_from_surviving_nodes();
    remove_links_and_nodes();
    create_nodes();
    create_links();
    change_interfaces();
    set_sysctls(/*early=*/false);
    add_addresses();
    set_impairments();
    set_routes();
    files_and_processes();
    return std::move(out_);
  }

 private:
  const LabSpec& want_;
  const LabSpec& before_;
  const LabSpec& live_;
  const std::map<std::string, std::string>& fresh_sysctls_;
  Convergence out_;
  std::map<std::string, int> index_;
  std::set<std::string> fresh_;       // namespaces to make: new, lost, or replaced
  std::set<std::string> gone_;        // namespaces to remove: no longer wanted, or replaced
  std::set<std::string> made_links_;  // ends ("node:iface") of the links made now

  template <class A>
  void emit(A&& action) {
    out_.plan.actions.emplace_back(std::forward<A>(action));
  }
  void change(char op, std::string what, std::string object, std::string detail = "") {
    out_.changes.push_back({op, std::move(what), std::move(object), std::move(detail)});
  }
  // Whether a wanted object missing from the live lab is new (+) or was lost (!).
  char added_or_drift(bool in_before) const { return in_before ? '!' : '+'; }

  int node(const std::string& name) const { return index_.at(name); }
  IfaceRef ref(const std::string& end) const {
    auto [n, iface] = split_end(end);
    return {node(n), iface, kKernelSlot};
  }
  bool survives(const std::string& node_name) const {
    return node_name == kHostNode || (want_.nodes.count(node_name) && !fresh_.count(node_name));
  }

  void add_plan_node(const std::string& name, const NodeSpec& n) {
    PlanNode::Role role = n.kind == NodeKind::lan ? PlanNode::Role::lan : PlanNode::Role::node;
    index_[name] = int(out_.plan.nodes.size());
    out_.plan.nodes.push_back({name, n.netns, role, n.kind, n.env});
  }

  void plan_nodes() {
    for (const auto& [name, n] : want_.nodes) add_plan_node(name, n);
    for (const auto& [name, n] : live_.nodes)
      if (!index_.count(name)) add_plan_node(name, n);
    bool host = false;
    for (const auto* spec : {&want_, &before_})
      for (const auto& [key, l] : spec->links)
        host = host || node_of(l.a, ':') == kHostNode || node_of(l.b, ':') == kHostNode;
    if (host) {
      index_[kHostNode] = out_.plan.root = int(out_.plan.nodes.size());
      out_.plan.nodes.push_back({kHostNode, "", PlanNode::Role::root, NodeKind::host, {}});
    }
    for (const auto& [name, n] : want_.nodes) {
      auto live = live_.nodes.find(name);
      if (live == live_.nodes.end()) {
        fresh_.insert(name);
      } else if ((live->second.kind == NodeKind::bridge) != (n.kind == NodeKind::bridge)) {
        // A bridge node's interfaces are ports of its bridge: it is made again.
        fresh_.insert(name);
        gone_.insert(name);
      } else if (live->second.kind != n.kind) {
        change('~', "node", name,
               fmt::format("kind {} -> {}", kind_name(live->second.kind), kind_name(n.kind)));
      }
    }
    for (const auto& [name, n] : live_.nodes)
      if (!want_.nodes.count(name)) gone_.insert(name);
  }

  void stop_daemons() {
    for (const auto& [key, d] : live_.daemons) {
      std::string n = node_of(key, '/');
      auto want = want_.daemons.find(key);
      auto before = before_.daemons.find(key);
      bool changed = want != want_.daemons.end() && before != before_.daemons.end() &&
                     want->second.config != before->second.config;
      if (want == want_.daemons.end() || !survives(n) || changed) {
        if (want == want_.daemons.end()) change('-', "daemon", key);
        if (changed) change('~', "daemon", key, "restarted: its cmd, env or files changed");
        emit(StopDaemon{node(n), key.substr(key.find('/') + 1), d.pid});
      }
    }
  }

  // What the lab made on a namespace that stays, and is no longer wanted.
  void remove_from_surviving_nodes() {
    for (const auto& [key, r] : live_.routes)
      if (!want_.routes.count(key) && before_.routes.count(key) && survives(r.node)) {
        change('-', "route", key, hops_text(r));
        emit(DeleteRoute{node(r.node), r.dst});
      }
    for (const auto& [key, a] : live_.addresses)
      if (!want_.addresses.count(key) && before_.addresses.count(key) &&
          survives(node_of(a.iface, ':')) && want_.ifaces.count(a.iface)) {
        change('-', "address", a.address.text() + " on " + a.iface);
        emit(DeleteAddress{ref(a.iface), a.address});
      }
    // An impairment is the lab's whoever set it, the file or `topo impair`: not checked in before.
    for (const auto& [end, i] : live_.impairments)
      if (!want_.impairments.count(end) && survives(node_of(end, ':')) && want_.ifaces.count(end)) {
        change('-', "impairment", end, i.text);
        emit(ClearImpair{ref(end)});
      }
    for (const auto& [key, content] : live_.files)
      if (!want_.files.count(key) && before_.files.count(key) && survives(node_of(key, '/'))) {
        change('-', "file", key);
        emit(RemoveFile{node(node_of(key, '/')), key.substr(key.find('/') + 1)});
      }
  }

  void remove_links_and_nodes() {
    for (const auto& [key, l] : live_.links) {
      bool wanted = want_.links.count(key);
      std::string na = node_of(l.a, ':'), nb = node_of(l.b, ':');
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
        if (!survives(node_of(end, ':')) || live == live_.ifaces.end() ||
            made == before_.ifaces.end() || live->second.kind != "veth" ||
            live->second.mac != made->second.mac)
          continue;
        emit(DeleteVeth{ref(end), nl::parse_mac(live->second.mac).value_or(nl::Mac{}), peer});
      }
    }
    for (const std::string& name : gone_) {
      if (!want_.nodes.count(name)) change('-', "node", name);
      emit(DeleteNode{node(name), live_.nodes.at(name).id});
    }
  }

  void create_nodes() {
    for (const std::string& name : fresh_) {
      bool replaced = gone_.count(name);
      if (replaced)
        change('~', "node", name,
               fmt::format("kind {} -> {}: made again", kind_name(live_.nodes.at(name).kind),
                           kind_name(want_.nodes.at(name).kind)));
      else
        change(added_or_drift(before_.nodes.count(name)), "node", name,
               before_.nodes.count(name) ? "its namespace is gone: made again"
                                         : kind_name(want_.nodes.at(name).kind));
      emit(CreateNetns{node(name)});
    }
    set_sysctls(/*early=*/true);
    for (const auto& [end, i] : want_.ifaces)
      if (i.kind == "bridge" && (!live_.ifaces.count(end) || fresh_.count(node_of(end, ':'))))
        emit(CreateBridge{ref(end)});
  }

  bool live_link(const std::string& key, const LinkSpec& l) const {
    return live_.links.count(key) && survives(node_of(l.a, ':')) && survives(node_of(l.b, ':'));
  }

  void create_links() {
    for (const auto& [key, l] : want_.links) {
      if (live_link(key, l)) continue;
      // A link of a namespace made again comes with it; any other is new or was lost.
      bool nodes_survive = survives(node_of(l.a, ':')) && survives(node_of(l.b, ':'));
      if (!before_.links.count(key))
        change('+', "link", key);
      else if (nodes_survive)
        change('!', "link", key, "missing: made again");
      const IfaceSpec& a = want_.ifaces.at(l.a);
      const IfaceSpec& b = want_.ifaces.at(l.b);
      std::optional<IfaceRef> master_a;
      if (!a.master.empty()) master_a = ref(node_of(l.a, ':') + ":" + a.master);
      emit(CreateVeth{ref(l.a), ref(l.b), *nl::parse_mac(a.mac), *nl::parse_mac(b.mac),
                      a.mtu == kVethMtu ? std::nullopt : std::optional<int>(a.mtu), master_a,
                      a.up});
      std::optional<IfaceRef> master_b;
      if (!b.master.empty()) master_b = ref(node_of(l.b, ':') + ":" + b.master);
      if (b.up || master_b) emit(SetLink{ref(l.b), b.up, master_b});
      made_links_.insert(l.a);
      made_links_.insert(l.b);
    }
    for (const std::string& name : fresh_) emit(SetLink{ref(name + ":lo"), true, std::nullopt});
  }

  void change_interfaces() {
    for (const auto& [end, w] : want_.ifaces) {
      auto l = live_.ifaces.find(end);
      if (l == live_.ifaces.end() || made_links_.count(end) || !survives(node_of(end, ':')))
        continue;
      auto b = before_.ifaces.find(end);
      const IfaceSpec* before = b == before_.ifaces.end() ? nullptr : &b->second;
      ChangeLink c{ref(end), {}, {}, {}};
      std::vector<std::string> edits, drift;
      auto note = [&](bool was_wanted, std::string text) {
        (was_wanted ? drift : edits).push_back(std::move(text));
      };
      if (w.kind == "veth" && w.mtu != l->second.mtu) {
        c.mtu = w.mtu;
        note(before && before->mtu == w.mtu, fmt::format("mtu {} -> {}", l->second.mtu, w.mtu));
      }
      if (w.kind == "veth" && w.mac != l->second.mac) {
        c.mac = nl::parse_mac(w.mac);
        note(before && before->mac == w.mac, fmt::format("mac {} -> {}", l->second.mac, w.mac));
      }
      if (w.up != l->second.up) {
        c.up = w.up;
        note(before && before->up == w.up,
             fmt::format("{} -> {}", l->second.up ? "up" : "down", w.up ? "up" : "down"));
      }
      if (edits.empty() && drift.empty()) continue;
      auto join = [](const std::vector<std::string>& v) {
        return fmt::format("{}", fmt::join(v, ", "));
      };
      if (!edits.empty()) change('~', "interface", end, join(edits));
      if (!drift.empty())
        change('!', "interface", end, join(drift) + " (changed by hand: put back)");
      emit(std::move(c));
    }
  }

  // Early, a new namespace's settings (before its interfaces exist: the defaults they take);
  // then, the rest: every change on the namespaces that stay, and new namespaces' settings of
  // their interfaces.
  void set_sysctls(bool early) {
    for (const auto& [key, s] : want_.sysctls) {
      std::string iface = sysctl_iface(s.key);
      if (fresh_.count(s.node)) {
        if (early == iface.empty()) emit(SetSysctl{node(s.node), s.key, s.value});
        continue;
      }
      if (early) continue;
      auto l = live_.sysctls.find(key);
      // An interface's own setting is lost with a link made again.
      bool with_link = !iface.empty() && made_links_.count(s.node + ":" + iface);
      if (l != live_.sysctls.end() && l->second.value == s.value) {
        if (with_link) emit(SetSysctl{node(s.node), s.key, s.value});
        continue;
      }
      auto b = before_.sysctls.find(key);
      std::string now = l == live_.sysctls.end() ? "unset" : l->second.value;
      if (b == before_.sysctls.end())
        change('+', "sysctl", key, fmt::format("{} -> {}", now, s.value));
      else if (b->second.value == s.value)
        change('!', "sysctl", key,
               fmt::format("{} -> {} (changed by hand: put back)", now, s.value));
      else
        change('~', "sysctl", key, fmt::format("{} -> {}", now, s.value));
      emit(SetSysctl{node(s.node), s.key, s.value});
    }
    if (early) return;
    for (const auto& [key, s] : before_.sysctls) {
      if (want_.sysctls.count(key) || !survives(s.node)) continue;
      auto fresh = fresh_sysctls_.find(s.key);
      auto l = live_.sysctls.find(key);
      if (fresh == fresh_sysctls_.end()) {
        change('#', "sysctl", key,
               "no longer in the file; left as it is (a new namespace has no such key)");
      } else if (l == live_.sysctls.end() || l->second.value != fresh->second) {
        change('-', "sysctl", key,
               fmt::format("{} -> {} (a new namespace's value)",
                           l == live_.sysctls.end() ? "?" : l->second.value, fresh->second));
        emit(SetSysctl{node(s.node), s.key, fresh->second});
      }
    }
  }

  void add_addresses() {
    for (const auto& [key, a] : want_.addresses) {
      if (live_.addresses.count(key) && !made_links_.count(a.iface) &&
          survives(node_of(a.iface, ':')))
        continue;
      // On a node made now, or a link made again, an address comes with it.
      bool with_link = made_links_.count(a.iface) && before_.addresses.count(key);
      if (!fresh_.count(node_of(a.iface, ':')) && !with_link) {
        bool lost = before_.addresses.count(key);
        change(added_or_drift(lost), "address", a.address.text() + " on " + a.iface,
               lost ? "missing: put back" : "");
      }
      emit(AddAddress{ref(a.iface), a.address});
    }
  }

  void set_impairments() {
    for (const auto& [end, i] : want_.impairments) {
      auto l = live_.impairments.find(end);
      bool made = made_links_.count(end) || !survives(node_of(end, ':'));
      if (!made && l != live_.impairments.end() && l->second.text == i.text) continue;
      auto b = before_.impairments.find(end);
      if (!made) {
        std::string now = l == live_.impairments.end() ? "none" : l->second.text;
        bool drift = b != before_.impairments.end() && b->second.text == i.text;
        change(drift ? '!' : (l == live_.impairments.end() ? '+' : '~'), "impairment", end,
               fmt::format("{} -> {}", now, i.text));
      }
      emit(SetImpair{ref(end), i.impairment});
    }
  }

  void set_routes() {
    for (const auto& [key, r] : want_.routes) {
      auto l = live_.routes.find(key);
      bool made = !survives(r.node);
      // A route out of a link made again went with the old link: it is put back with it.
      bool with_link = false;
      if (!made && l != live_.routes.end())
        for (const RouteSpec::Hop& h : l->second.hops)
          with_link = with_link || made_links_.count(r.node + ":" + h.dev);
      if (!made && !with_link && l != live_.routes.end() && route_matches(r, l->second)) continue;
      AddRoute add{node(r.node), r.dst, {}, !made && l != live_.routes.end()};
      for (const RouteSpec::Hop& h : r.hops) {
        std::optional<IfaceRef> dev;
        if (!h.dev.empty()) dev = ref(r.node + ":" + h.dev);
        add.hops.push_back({h.gateway, dev});
      }
      if (!made && !(with_link && route_matches(r, l->second))) {
        auto b = before_.routes.find(key);
        bool in_before = b != before_.routes.end();
        if (l == live_.routes.end())
          change(added_or_drift(in_before), "route", key, hops_text(r));
        else
          change(in_before && same_route(b->second, r) ? '!' : '~', "route", key,
                 fmt::format("{} -> {}", hops_text(l->second), hops_text(r)));
      }
      emit(std::move(add));
    }
  }

  void files_and_processes() {
    if (want_.hosts && want_.hosts != live_.hosts) {
      change(live_.hosts ? '~' : '+', "hosts", "file",
             before_.hosts == want_.hosts ? "changed by hand: written again" : "");
      emit(WriteHosts{*want_.hosts});
    }
    for (const std::string& name : fresh_)
      if (want_.nodes.at(name).kind != NodeKind::lan) emit(LinkEtc{node(name)});
    for (const std::string& name : want_.etc_links)
      if (survives(name) && !live_.etc_links.count(name)) {
        bool lost = before_.etc_links.count(name);
        change(added_or_drift(lost), "etc link", "/etc/netns/" + want_.nodes.at(name).netns,
               lost ? "missing: put back" : "");
        emit(LinkEtc{node(name)});
      }
    // A node's directory, files and env: written again when any of them differs.
    std::map<std::string, std::vector<NodeFile>> files;
    for (const auto& [key, content] : want_.files)
      files[node_of(key, '/')].push_back({key.substr(key.find('/') + 1), content, {}});
    for (const auto& [name, n] : want_.nodes) {
      if (n.kind == NodeKind::lan) continue;
      bool fresh = fresh_.count(name);
      bool differs = fresh;
      for (const NodeFile& f : files[name]) {
        std::string key = name + "/" + f.name;
        auto l = live_.files.find(key);
        if (l != live_.files.end() && l->second == f.content) continue;
        differs = true;
        if (!fresh)
          change(l == live_.files.end() ? added_or_drift(before_.files.count(key)) : '~', "file",
                 key);
      }
      auto live_node = live_.nodes.find(name);
      std::vector<std::pair<std::string, std::string>> live_env;
      if (live_node != live_.nodes.end()) live_env = live_node->second.env;
      if (!fresh && live_env != n.env) {
        differs = true;
        change(n.env.empty() ? '-' : (live_env.empty() ? '+' : '~'), "env", name);
      }
      // (A command or daemon makes the node's directory itself when it starts.)
      if (differs && (!files[name].empty() || !n.env.empty() || !live_env.empty()))
        emit(PrepareNode{node(name), files[name]});
      auto before = before_.nodes.find(name);
      if (!fresh && before != before_.nodes.end() && before->second.exec != n.exec)
        change('#', "exec", name, "exec: runs when a node is made; not run again now");
    }
    for (const std::string& name : fresh_)
      for (const std::string& cmd : want_.nodes.at(name).exec) emit(RunExec{node(name), cmd});
    bool started = false;
    // In the file's order (a daemon may need one started before it).
    std::vector<std::pair<std::string, const DaemonSpec*>> daemons;
    for (const auto& [key, d] : want_.daemons) daemons.emplace_back(key, &d);
    std::stable_sort(daemons.begin(), daemons.end(), [](const auto& x, const auto& y) {
      return x.second->order < y.second->order;
    });
    for (const auto& [key, daemon] : daemons) {
      const DaemonSpec& d = *daemon;
      std::string n = node_of(key, '/');
      auto l = live_.daemons.find(key);
      auto b = before_.daemons.find(key);
      bool changed = b != before_.daemons.end() && b->second.config != d.config;
      bool alive = l != live_.daemons.end();
      if (alive && survives(n) && !changed) continue;
      // A changed daemon that runs was announced as it was stopped; one of a namespace made
      // again comes with it.
      if (survives(n) && changed && !alive)
        change('~', "daemon", key, "started: its cmd, env or files changed");
      else if (survives(n) && !changed)
        change(added_or_drift(b != before_.daemons.end()), "daemon", key,
               b != before_.daemons.end() ? "not running: started again" : d.cmd);
      emit(StartDaemon{node(n), key.substr(key.find('/') + 1), d.cmd});
      started = true;
    }
    if (started) emit(WatchDaemons{});
  }
};

}  // namespace

Convergence converge(const std::string& lab, const LabSpec& want, const LabSpec& before,
                     const LabSpec& live, const std::map<std::string, std::string>& fresh_sysctls) {
  return Converger(lab, want, before, live, fresh_sysctls).run();
}

}  // namespace topo
