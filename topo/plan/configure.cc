// Node by node, what a node is given after its links: sysctls, lo, interfaces, addresses,
// impairments, routes; then the hosts file, node directories and processes.
#include <fmt/format.h>

#include "topo/plan/converger.h"

namespace topo {

void Converger::configure(const BuiltNode& n) {
  set_sysctls(n);
  if (!fresh_.count(n.name)) reset_sysctls(n.name);
  configure_ends(n.name, n.ifaces);
  for (const BuiltRoute& r : n.routes) set_route(n.name, r);
}

// A new namespace's settings of its interfaces (its own came before them); every change on a
// namespace that stays.
void Converger::set_sysctls(const BuiltNode& n) {
  bool fresh = fresh_.count(n.name);
  for (const auto& [k, value] : n.sysctls) {
    std::string iface = sysctl_iface(k);
    if (fresh) {
      if (!iface.empty()) emit(SetSysctl{node(n.name), k, value});
      continue;
    }
    std::string key = n.name + " " + k;
    const SysctlSpec* l = find(live_.sysctls, key);
    // An interface's own setting is lost with a link made again.
    bool with_link = !iface.empty() && made_links_.count(End{n.name, iface}.text());
    if (l && l->value == value) {
      if (with_link) emit(SetSysctl{node(n.name), k, value});
      continue;
    }
    const SysctlSpec* b = find(before_.sysctls, key);
    char op = classify(value, b ? &b->value : nullptr, l ? &l->value : nullptr);
    change(op, "sysctl", key,
           fmt::format("{} -> {}{}", l ? l->value : "unset", value,
                       op == '!' ? " (changed by hand: put back)" : ""));
    emit(SetSysctl{node(n.name), k, value});
  }
}

// The sysctls of a namespace that stays that are no longer in the file: a new namespace's value.
void Converger::reset_sysctls(const std::string& n) {
  std::string prefix = n + " ";
  for (auto it = before_.sysctls.lower_bound(prefix);
       it != before_.sysctls.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    const auto& [key, s] = *it;
    if (want_.sysctls.count(key)) continue;
    const std::string* fresh = find(fresh_sysctls_, s.key);
    const SysctlSpec* l = find(live_.sysctls, key);
    if (!fresh) {
      change('#', "sysctl", key,
             "no longer in the file; left as it is (a new namespace has no such key)");
    } else if (!l || l->value != *fresh) {
      change('-', "sysctl", key,
             fmt::format("{} -> {} (a new namespace's value)", l ? l->value : "?", *fresh));
      emit(SetSysctl{node(n), s.key, *fresh});
    }
  }
}

// lo up (in a new namespace), changes, addresses, the ends made now brought up, impairments.
void Converger::configure_ends(const std::string& node, const std::vector<BuiltIface>& ifaces) {
  for (const BuiltIface& i : ifaces)
    if (i.type == IfaceType::lo && i.up && fresh_.count(node))
      emit(SetLink{ref(End{node, i.name}), true, std::nullopt});
  for (const BuiltIface& i : ifaces) change_interface(End{node, i.name}.text(), i);
  for (const BuiltIface& i : ifaces) add_addresses(End{node, i.name}.text(), i);
  for (const BuiltIface& i : ifaces)
    if (ups_.count(End{node, i.name}.text()))
      emit(SetLink{ref(End{node, i.name}), true, std::nullopt});
  for (const BuiltIface& i : ifaces) set_impairment(End{node, i.name}.text());
}

void Converger::change_interface(const std::string& end, const BuiltIface& iface) {
  const IfaceSpec* l = find(live_.ifaces, end);
  if (!l || made_links_.count(end) || !survives(End::parse(end)->node)) return;
  const IfaceSpec& w = want_.ifaces.at(end);
  const IfaceSpec* before = find(before_.ifaces, end);
  ChangeLink c{ref(end), {}, {}, {}};
  std::vector<std::string> edits, drift;
  // Each setting classified alone; the interface is there, so a setting is never new ('+').
  auto note = [&](char op, std::string text) {
    (op == '!' ? drift : edits).push_back(std::move(text));
  };
  bool veth = iface.type == IfaceType::veth;
  if (char op = classify(w.mtu, before ? &before->mtu : nullptr, &l->mtu); veth && op) {
    c.mtu = w.mtu;
    note(op, fmt::format("mtu {} -> {}", l->mtu, w.mtu));
  }
  if (char op = classify(w.mac, before ? &before->mac : nullptr, &l->mac); veth && op) {
    c.mac = iface.mac;
    note(op, fmt::format("mac {} -> {}", l->mac, w.mac));
  }
  if (char op = classify(w.up, before ? &before->up : nullptr, &l->up); op) {
    c.up = w.up;
    note(op, fmt::format("{} -> {}", l->up ? "up" : "down", w.up ? "up" : "down"));
  }
  if (edits.empty() && drift.empty()) return;
  if (!edits.empty()) change('~', "interface", end, fmt::format("{}", fmt::join(edits, ", ")));
  if (!drift.empty())
    change('!', "interface", end,
           fmt::format("{} (changed by hand: put back)", fmt::join(drift, ", ")));
  emit(std::move(c));
}

void Converger::add_addresses(const std::string& end, const BuiltIface& iface) {
  const std::string node = End::parse(end)->node;
  for (const nl::IpPrefix& a : iface.addresses) {
    std::string key = end + " " + a.text();
    if (live_.addresses.count(key) && !made_links_.count(end) && survives(node)) continue;
    // On a node made now, or a link made again, an address comes with it.
    bool with_link = made_links_.count(end) && before_.addresses.count(key);
    if (!fresh_.count(node) && !with_link) {
      char op = classify(before_.addresses.count(key), false);
      change(op, "address", a.text() + " on " + end, op == '!' ? "missing: put back" : "");
    }
    emit(AddAddress{ref(end), a});
  }
}

void Converger::set_impairment(const std::string& end) {
  const ImpairSpec* i = find(want_.impairments, end);
  if (!i) return;
  const ImpairSpec* l = find(live_.impairments, end);
  bool made = made_links_.count(end) || !survives(End::parse(end)->node);
  if (!made && l && l->text == i->text) return;
  const ImpairSpec* b = find(before_.impairments, end);
  if (!made)
    change(classify(i->text, b ? &b->text : nullptr, l ? &l->text : nullptr), "impairment", end,
           fmt::format("{} -> {}", l ? l->text : "none", i->text));
  emit(SetImpair{ref(end), i->impairment});
}

void Converger::set_route(const std::string& n, const BuiltRoute& route) {
  std::string key = n + " " + route.dst.network().text();
  const RouteSpec& r = want_.routes.at(key);
  const RouteSpec* l = find(live_.routes, key);
  bool made = !survives(n);
  // A route out of a link made again went with the old link: it is put back with it.
  bool with_link = false;
  if (!made && l)
    for (const RouteSpec::Hop& h : l->hops)
      with_link = with_link || made_links_.count(End{n, h.dev}.text());
  if (!made && !with_link && l && route_matches(r, *l)) return;
  AddRoute add{node(n), r.dst, {}, !made && l};
  for (const RouteSpec::Hop& h : r.hops) {
    std::optional<IfaceRef> dev;
    if (!h.dev.empty()) dev = ref(End{n, h.dev});
    add.hops.push_back({h.gateway, dev});
  }
  if (!made && !(with_link && route_matches(r, *l))) {
    const RouteSpec* b = find(before_.routes, key);
    auto same = [](const RouteSpec& x, const RouteSpec& y) { return hops_text(x) == hops_text(y); };
    change(classify(r, b, l, same), "route", key,
           l ? fmt::format("{} -> {}", hops_text(*l), hops_text(r)) : hops_text(r));
  }
  emit(std::move(add));
}

void Converger::write_files() {
  if (want_.hosts && want_.hosts != live_.hosts) {
    change(live_.hosts ? '~' : '+', "hosts", "file",
           before_.hosts == want_.hosts ? "changed by hand: written again" : "");
    emit(WriteHosts{*want_.hosts});
  }
  for (const BuiltNode& n : lab_.nodes)
    if (fresh_.count(n.name) && n.etc_link) emit(LinkEtc{node(n.name)});
  for (const BuiltNode& n : lab_.nodes)
    if (n.etc_link && survives(n.name) && !live_.etc_links.count(n.name)) {
      char op = classify(before_.etc_links.count(n.name), false);
      change(op, "etc link", "/etc/netns/" + n.netns, op == '!' ? "missing: put back" : "");
      emit(LinkEtc{node(n.name)});
    }
  for (const BuiltNode& n : lab_.nodes)
    if (n.kind != NodeKind::lan) prepare_node(n);
  for (const BuiltNode& n : lab_.nodes)
    if (fresh_.count(n.name))
      for (const std::string& cmd : n.exec) emit(RunExec{node(n.name), cmd});
}

// A node's directory, files and env: written again when any of them differs.
void Converger::prepare_node(const BuiltNode& n) {
  bool fresh = fresh_.count(n.name);
  bool differs = fresh;
  std::vector<NodeFile> files;
  for (const BuiltFile& f : n.files) {
    files.push_back({f.name, f.content, {}});
    std::string key = n.name + "/" + f.name;
    const std::string* l = find(live_.files, key);
    if (l && *l == f.content) continue;
    differs = true;
    if (!fresh) change(classify(f.content, find(before_.files, key), l), "file", key);
  }
  const NodeSpec* live_node = find(live_.nodes, n.name);
  std::vector<KeyValue> live_env;
  if (live_node) live_env = live_node->env;
  if (!fresh && live_env != n.env) {
    differs = true;
    change(n.env.empty() ? '-' : (live_env.empty() ? '+' : '~'), "env", n.name);
  }
  // A new node's directory is made when anything runs in it; a node's that stays when what
  // is written there changed.
  bool runs = !n.files.empty() || !n.exec.empty() || !n.daemons.empty() || !n.env.empty();
  if (fresh ? runs : differs && (!n.files.empty() || !n.env.empty() || !live_env.empty()))
    emit(PrepareNode{node(n.name), std::move(files)});
  const NodeSpec* before = find(before_.nodes, n.name);
  if (!fresh && before && before->exec != n.exec)
    change('#', "exec", n.name, "exec: runs when a node is made; not run again now");
}

// In the file's order (a daemon may need one started before it).
void Converger::start_daemons() {
  bool started = false;
  for (const BuiltNode& n : lab_.nodes)
    for (const BuiltDaemon& d : n.daemons) {
      std::string key = n.name + "/" + d.name;
      const DaemonSpec* b = find(before_.daemons, key);
      bool changed = b && b->config != d.config;
      bool alive = live_.daemons.count(key);
      if (alive && survives(n.name) && !changed) continue;
      // A changed daemon that runs was announced as it was stopped; one of a namespace made
      // again comes with it.
      if (survives(n.name) && !alive) {
        char op = classify(d.config, b ? &b->config : nullptr, nullptr);
        change(op, "daemon", key,
               op == '~'   ? "started: its cmd, env or files changed"
               : op == '!' ? "not running: started again"
                           : d.cmd);
      }
      emit(StartDaemon{node(n.name), d.name, d.cmd});
      started = true;
    }
  if (started) emit(WatchDaemons{});
}

}  // namespace topo
