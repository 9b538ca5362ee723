// Node by node, what a node is given after its links: sysctls, lo, interfaces, addresses,
// impairments, routes; then the hosts file, node directories and processes.
#include <fmt/format.h>

#include "topo/model/impair.h"

#include "topo/plan/converger.h"

namespace topo {

namespace {

std::string mac_or_none(const std::optional<nl::Mac>& mac) {
  return mac ? nl::mac_text(*mac) : "";
}

// An impairment compared by its text.
std::optional<std::string> impairment_of(const BuiltIface* iface) {
  if (!iface || !iface->impairment) return std::nullopt;
  return impairment_text(*iface->impairment);
}

}  // namespace

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
    const std::string* l = live_.sysctl(n.name, k);
    // An interface's own setting is lost with a link made again.
    bool with_link = !iface.empty() && made_links_.count(End{n.name, iface});
    if (l && *l == value) {
      if (with_link) emit(SetSysctl{node(n.name), k, value});
      continue;
    }
    const std::string* before = before_.sysctl(n.name, k);
    const BuiltNode* made = before_.node(n.name);
    if (n.is_default_sysctl(k) && l && before && *before == value) {
      // topo's default, set when the node was made: what changed it since (a routing daemon,
      // zebra turning IPv6 forwarding off) is left alone.
      change('#', "sysctl", sysctl_text({n.name, k}),
             fmt::format("{}, where topo's default is {}: left as it is (not in the file)", *l,
                         value));
      continue;
    }
    // A default the file now writes: the file's from now on, as if new.
    if (made && made->is_default_sysctl(k) && !n.is_default_sysctl(k)) before = nullptr;
    char op = classify(value, before, l);
    change(op, "sysctl", sysctl_text({n.name, k}),
           fmt::format("{} -> {}{}", l ? *l : "unset", value,
                       op == '!' ? " (changed by hand: put back)" : ""));
    emit(SetSysctl{node(n.name), k, value});
  }
}

// The sysctls of a namespace that stays that are no longer in the file: a new namespace's value.
void Converger::reset_sysctls(const std::string& n) {
  for (auto it = before_.sysctls.lower_bound({n, ""});
       it != before_.sysctls.end() && it->first.first == n; ++it) {
    const NodeKey& key = it->first;
    if (want_.sysctls.count(key)) continue;
    const std::string* fresh = find(fresh_sysctls_, key.second);
    const std::string* l = live_.sysctl(n, key.second);
    if (!fresh) {
      change('#', "sysctl", sysctl_text(key),
             "no longer in the file; left as it is (a new namespace has no such key)");
    } else if (!l || *l != *fresh) {
      change('-', "sysctl", sysctl_text(key),
             fmt::format("{} -> {} (a new namespace's value)", l ? *l : "?", *fresh));
      emit(SetSysctl{node(n), key.second, *fresh});
    }
  }
}

// lo up (in a new namespace), changes, addresses, the ends made now brought up, impairments.
void Converger::configure_ends(const std::string& node, const std::vector<BuiltIface>& ifaces) {
  for (const BuiltIface& i : ifaces)
    if (i.type == IfaceType::lo && i.up && fresh_.count(node))
      emit(SetLink{ref(End{node, i.name}), true, std::nullopt});
  for (const BuiltIface& i : ifaces) change_interface(End{node, i.name}, i);
  for (const BuiltIface& i : ifaces) add_addresses(End{node, i.name}, i);
  for (const BuiltIface& i : ifaces)
    if (ups_.count(End{node, i.name})) emit(SetLink{ref(End{node, i.name}), true, std::nullopt});
  for (const BuiltIface& i : ifaces) set_impairment(End{node, i.name}, i);
}

void Converger::change_interface(const End& end, const BuiltIface& w) {
  const BuiltIface* l = live_.iface(end);
  if (!l || made_links_.count(end) || !survives(end.node)) return;
  const BuiltIface* before = before_.iface(end);
  ChangeLink c{ref(end), {}, {}, {}};
  std::vector<std::string> edits, drift;
  // Each setting classified alone; the interface is there, so a setting is never new ('+').
  auto by = [&](auto setting) {
    auto want = setting(w), live = setting(*l);
    std::optional<decltype(want)> made;
    if (before) made = setting(*before);
    return classify(want, made ? &*made : nullptr, &live);
  };
  auto note = [&](char op, std::string text) {
    (op == '!' ? drift : edits).push_back(std::move(text));
  };
  // topo gives its MTU and MAC to the interfaces it makes for links (not bridges, not lo).
  bool veth = w.type == IfaceType::veth || w.type == IfaceType::vxlan;
  if (char op = by(compared_mtu); veth && op) {
    c.mtu = compared_mtu(w);
    note(op, fmt::format("mtu {} -> {}", compared_mtu(*l), compared_mtu(w)));
  }
  auto mac = [](const BuiltIface& i) { return mac_or_none(i.mac); };
  if (char op = by(mac); veth && op) {
    c.mac = w.mac;
    note(op, fmt::format("mac {} -> {}", mac(*l), mac(w)));
  }
  if (char op = by([](const BuiltIface& i) { return i.up; }); op) {
    c.up = w.up;
    note(op, fmt::format("{} -> {}", l->up ? "up" : "down", w.up ? "up" : "down"));
  }
  if (edits.empty() && drift.empty()) return;
  if (!edits.empty())
    change('~', "interface", end.text(), fmt::format("{}", fmt::join(edits, ", ")));
  if (!drift.empty() && !quiet('!', end.node))
    change('!', "interface", end.text(),
           fmt::format("{} (changed by hand: put back)", fmt::join(drift, ", ")));
  emit(std::move(c));
}

void Converger::add_addresses(const End& end, const BuiltIface& iface) {
  for (const nl::IpPrefix& a : iface.addresses) {
    if (live_.has_address(end, a) && !made_links_.count(end) && survives(end.node)) {
      // Added by someone else (a daemon, by hand) and now in the file: the lab's from now on.
      if (!before_.has_address(end, a))
        change('#', "address", address_text({end, a}),
               "there already, not added by topo: the lab's from now on (removed when the file "
               "no longer has it)");
      continue;
    }
    // On a node made now, or a link made again, an address comes with it.
    bool with_link = made_links_.count(end) && before_.has_address(end, a);
    if (!fresh_.count(end.node) && !with_link) {
      char op = classify(before_.has_address(end, a), false);
      if (!quiet(op, end.node))
        change(op, "address", address_text({end, a}), op == '!' ? "missing: put back" : "");
    }
    emit(AddAddress{ref(end), a});
  }
}

void Converger::set_impairment(const End& end, const BuiltIface& iface) {
  if (!iface.impairment) return;
  std::string want = impairment_text(*iface.impairment);
  std::optional<std::string> live = impairment_of(live_.iface(end));
  bool made = made_links_.count(end) || !survives(end.node);
  if (!made && live == want) return;
  std::optional<std::string> before = impairment_of(before_.iface(end));
  if (!made)
    change(classify(want, before ? &*before : nullptr, live ? &*live : nullptr), "impairment",
           end.text(), fmt::format("{} -> {}", live.value_or("none"), want));
  emit(SetImpair{ref(end), *iface.impairment});
}

void Converger::set_route(const std::string& n, const BuiltRoute& route) {
  RouteKey key{n, route.dst.network()};
  const BuiltRoute& r = *want_.routes.at(key);
  const BuiltRoute* l = live_.route(n, route.dst);
  bool made = !survives(n);
  // A route out of a link made again went with the old link: it is put back with it.
  bool with_link = false;
  if (!made && l)
    for (const BuiltRoute::Hop& h : l->hops)
      with_link = with_link || made_links_.count(End{n, h.dev});
  if (!made && !with_link && l && route_matches(r, *l)) return;
  AddRoute add{node(n), r.dst, {}, !made && l};
  for (const BuiltRoute::Hop& h : r.hops) {
    std::optional<IfaceRef> dev;
    if (!h.dev.empty()) dev = ref(End{n, h.dev});
    add.hops.push_back({h.gateway, dev});
  }
  if (!made && !(with_link && route_matches(r, *l))) {
    const BuiltRoute* b = before_.route(n, route.dst);
    auto same = [](const BuiltRoute& x, const BuiltRoute& y) {
      return hops_text(x) == hops_text(y);
    };
    char op = classify(r, b, l, same);
    if (!quiet(op, n))
      change(op, "route", route_text(key),
             l ? fmt::format("{} -> {}", hops_text(*l), hops_text(r)) : hops_text(r));
  }
  emit(std::move(add));
}

void Converger::write_files() {
  const std::optional<std::string>& hosts = lab_.hosts;
  if (hosts && hosts != live_.lab.hosts) {
    change(live_.lab.hosts ? '~' : '+', "hosts", "file",
           before_.lab.hosts == hosts ? "changed by hand: written again" : "");
    emit(WriteHosts{*hosts});
  }
  for (const BuiltNode& n : lab_.nodes)
    if (fresh_.count(n.name) && n.etc_link) emit(LinkEtc{node(n.name)});
  for (const BuiltNode& n : lab_.nodes)
    if (n.etc_link && survives(n.name) && !live_.etc_link(n.name)) {
      char op = classify(before_.etc_link(n.name), false);
      change(op, "etc link", "/etc/netns/" + n.netns, op == '!' ? "missing: put back" : "");
      emit(LinkEtc{node(n.name)});
    }
  for (const BuiltNode& n : lab_.nodes)
    if (n.kind != NodeKind::lan) prepare_node(n);
  for (const BuiltNode& n : lab_.nodes)
    if (fresh_.count(n.name) || restarted_.count(n.name))
      for (const std::string& cmd : n.exec) emit(RunExec{node(n.name), cmd});
}

// A node's directory, files and env: written again when any of them differs.
void Converger::prepare_node(const BuiltNode& n) {
  bool fresh = fresh_.count(n.name);
  bool differs = fresh;
  for (const BuiltFile& f : n.files) {
    const BuiltFile* l = live_.file(n.name, f.name);
    if (l && l->content == f.content && l->executable == f.executable) continue;
    differs = true;
    const BuiltFile* b = before_.file(n.name, f.name);
    if (!fresh)
      change(classify(f.content, b ? &b->content : nullptr, l ? &l->content : nullptr), "file",
             node_object_text({n.name, f.name}));
  }
  const BuiltNode* live_node = live_.node(n.name);
  std::vector<KeyValue> live_env;
  if (live_node) live_env = live_node->env;
  if (!fresh && live_env != n.env) {
    differs = true;
    change(n.env.empty() ? '-' : (live_env.empty() ? '+' : '~'), "env", n.name);
  }
  const BuiltNode* before = before_.node(n.name);
  std::vector<BuiltMount> before_mounts;
  if (before) before_mounts = before->mounts;
  if (!fresh && before_mounts != n.mounts) {
    differs = true;
    change(n.mounts.empty() ? '-' : (before_mounts.empty() ? '+' : '~'), "mounts", n.name);
  }
  // A new node's directory is made when anything runs in it; a node's that stays when what
  // is written there changed.
  bool runs = !n.files.empty() || !n.mounts.empty() || !n.exec.empty() || !n.daemons.empty() ||
              !n.env.empty();
  bool written = !n.files.empty() || !n.env.empty() || !live_env.empty() || !n.mounts.empty() ||
                 !before_mounts.empty();
  if (fresh ? runs : differs && written) emit(PrepareNode{node(n.name), n.files, n.mounts});
  if (!fresh && before && before->exec != n.exec)
    change('#', "exec", n.name, "exec: runs when a node is made; not run again now");
}

// In the file's order (a daemon may need one started before it): first those that wait for
// nothing, then those that wait, each once what it waits for is there.
void Converger::start_daemons() {
  bool started = false;
  for (bool waiting : {false, true})
    for (const BuiltNode& n : lab_.nodes)
      for (const BuiltDaemon& d : n.daemons) {
        if (d.waits() != waiting) continue;
        const BuiltDaemon* b = before_.daemon(n.name, d.name);
        bool changed = b && b->config != d.config;
        bool alive = live_.daemon(n.name, d.name);
        if (alive && survives(n.name) && !changed) continue;
        // A changed daemon that runs was announced as it was stopped; one of a namespace made
        // again comes with it.
        if (survives(n.name) && !alive) {
          char op = classify(d.config, b ? &b->config : nullptr, nullptr);
          if (!quiet(op, n.name))
            change(op, "daemon", node_object_text({n.name, d.name}),
                   op == '~'   ? "started: its cmd, env or files changed"
                   : op == '!' ? "not running: started again"
                               : d.cmd);
        }
        emit(StartDaemon{node(n.name), d.name, d.cmd, d.wait_socket, d.wait_exec,
                         d.wait_timeout_us});
        started = true;
      }
  if (started) emit(WatchDaemons{});
}

}  // namespace topo
