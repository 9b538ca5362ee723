#include "topo/language/resolve.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "topo/language/hosts.h"
#include "topo/language/node_files.h"
#include "topo/language/placement.h"
#include "topo/model/hash.h"
#include "topo/model/impair.h"

namespace topo {

namespace {

constexpr const char* kRouterSysctls[][2] = {{"net.ipv4.ip_forward", "1"},
                                             {"net.ipv6.conf.all.forwarding", "1"}};
// New interfaces skip duplicate address detection for their link-local addresses too, so IPv6
// works the moment `up` returns (addresses topo adds itself carry IFA_F_NODAD).
constexpr const char* kNoDadSysctl[2] = {"net.ipv6.conf.default.accept_dad", "0"};

class Resolver {
 public:
  Resolver(const Topology& t, const std::string& host) : t_(t), here_(host) {}

  Lab run() {
    lab_.name = t_.name;
    lab_.prefix = t_.prefix;
    lab_.file_links = t_.links.size();
    lab_.host = here_;
    for (const Node& n : t_.nodes)
      if (is_here(n.name)) add_node(n);
    for (size_t i = 0; i < t_.links.size(); i++)
      if (t_.links[i].is_lan() && has_member_here(t_.links[i])) {
        std::string name = lan_name(i + 1, t_.links[i].name);
        lan_of_[i] = lab_.nodes.size();
        BuiltNode& lan = lab_.nodes.emplace_back();
        lan.name = name;
        lan.netns = t_.netns_of(name);
        lan.kind = NodeKind::lan;
        lan.ifaces.push_back({"lo", IfaceType::lo, {}, 0, false, "", 0, {}, {}, {}});
      }
    // MACs the file gives are taken before any is chosen: a chosen one must differ from them.
    for (const Link& l : t_.links)
      for (const Endpoint& e : l.endpoints)
        if (e.mac) macs_.insert(*e.mac);
    for (BuiltNode& n : lab_.nodes)
      if (has_bridge(n)) add_iface(n, kBridgeIface, IfaceType::bridge).up = true;
    for (size_t i = 0; i < t_.links.size(); i++) add_link(i);
    if (!t_.nodes.empty()) lab_.hosts = hosts_file(t_);
    return std::move(lab_);
  }

 private:
  const Topology& t_;
  const std::string here_;
  Lab lab_;
  std::map<size_t, size_t> lan_of_;  // link index -> its LAN's node
  std::set<nl::Mac> macs_;

  bool is_here(const std::string& node) const {
    if (here_.empty()) return true;
    const Node* n = t_.find_node(node);
    return n && n->host == here_;
  }

  // Whether this host makes an end: its node is here. A root-namespace end goes with the link's
  // nodes (which the loader checked are on one host).
  bool makes(const Link& l, const Endpoint& e) const {
    if (!e.on_host()) return is_here(e.node);
    for (const Endpoint& o : l.endpoints)
      if (!o.on_host()) return is_here(o.node);
    return true;
  }

  bool has_member_here(const Link& l) const {
    return std::any_of(l.endpoints.begin(), l.endpoints.end(),
                       [&](const Endpoint& e) { return makes(l, e); });
  }

  // The other hosts with ends of the link: those its tunnels go to.
  std::vector<const Host*> far_hosts(const Link& l) const {
    std::vector<const Host*> far;
    if (here_.empty()) return far;
    for (const Host* h : link_hosts(t_, l))
      if (h->name != here_) far.push_back(h);
    return far;
  }

  // The file's, else for a link between hosts what VXLAN over the underlay carries (every end
  // of a LAN alike, a segment having one MTU); 0 for the kernel's.
  int link_mtu(const Link& l) const {
    if (l.mtu) return *l.mtu;
    std::vector<const Host*> hosts = link_hosts(t_, l);
    if (here_.empty() || hosts.size() < 2) return 0;
    int mtu = vxlan_mtu(*hosts[0], *hosts[0]);
    for (const Host* h : hosts) mtu = std::min(mtu, vxlan_mtu(*hosts[0], *h));
    return mtu;
  }

  BuiltVxlan tunnel(const Link& l, const std::vector<const Host*>& far, std::string peer) const {
    const Host& here = *t_.find_host(here_);
    BuiltVxlan v{*l.vni, here.underlay, {}, here.vxlan_port, std::move(peer)};
    for (const Host* h : far) v.remotes.push_back(h->underlay);
    return v;
  }

  static bool has_bridge(const BuiltNode& n) {
    return n.kind == NodeKind::lan || n.kind == NodeKind::bridge;
  }

  void add_node(const Node& n) {
    BuiltNode b;
    b.name = n.name;
    b.netns = t_.netns_of(n.name);
    b.kind = n.kind;
    for (const Setting& e : n.env) b.env.emplace_back(e.key, e.value);
    set_sysctls(n, b);
    b.ifaces.push_back({"lo", IfaceType::lo, {}, 0, true, "", 0, n.loopback, {}, {}});
    for (const Route& r : n.routes) {
      BuiltRoute route{r.dst, {}};
      for (const nl::IpPrefix& gw : r.via) route.hops.push_back({gw, r.dev});
      if (r.via.empty()) route.hops.push_back({std::nullopt, r.dev});
      b.routes.push_back(std::move(route));
    }
    std::string files;  // for the daemons' config
    for (const NodeFile& f : n.files) {
      // A path as the kernel resolves it: /var/run/frr/x is where a mount at /run/frr puts it.
      b.files.push_back(
          {f.name[0] == '/' ? resolved_path(f.name) : f.name, f.content, f.executable});
      files += f.name + (f.executable ? "*\n" : "\n") + f.content + "\n";
    }
    b.mounts = mounts_of(n);
    for (const BuiltMount& m : b.mounts)
      files += "mount " + m.target + " " + m.bind + " " + m.file + " " + m.owner +
               (m.read_only ? " ro\n" : "\n");
    for (const Command& c : n.exec) b.exec.push_back(c.cmd);
    for (const Command& d : n.daemons) {
      std::string config = d.cmd + "\n" + files;
      for (const auto& [k, v] : b.env) config += k + "=" + v + "\n";
      BuiltDaemon& daemon = b.daemons.emplace_back();
      daemon.name = d.name;
      daemon.cmd = d.cmd;
      daemon.config = content_hash(config);
      if (d.wait) {
        daemon.wait_socket = d.wait->socket.empty() ? "" : resolved_path(d.wait->socket);
        daemon.wait_exec = d.wait->exec;
        daemon.wait_timeout_us = d.wait->timeout_us;
      }
    }
    b.etc_link = true;
    lab_.nodes.push_back(std::move(b));
  }

  // By target, so that a mount comes before those inside it; a bind's source absolute.
  std::vector<BuiltMount> mounts_of(const Node& n) const {
    std::vector<BuiltMount> out;
    for (const Mount& m : n.mounts) {
      BuiltMount& b = out.emplace_back();
      b.target = resolved_path(m.target);
      if (m.kind == Mount::Kind::bind)
        b.bind = m.source[0] == '/'
                     ? m.source
                     : std::filesystem::weakly_canonical(std::filesystem::path(t_.dir) / m.source)
                           .string();
      if (m.kind == Mount::Kind::file) b.file = m.source;
      b.read_only = m.read_only;
      b.owner = m.owner;
    }
    std::sort(out.begin(), out.end(),
              [](const BuiltMount& x, const BuiltMount& y) { return x.target < y.target; });
    return out;
  }

  // In the order they are set: IPv6's, a router's (unless the file sets them), the file's.
  // topo's own (all but the file's) are its defaults.
  void set_sysctls(const Node& n, BuiltNode& b) const {
    auto by_default = [&](const char* key, const char* value) {
      b.sysctls.emplace_back(key, value);
      b.default_sysctls.push_back(key);
    };
    bool v6 = false;
    for (const Link& l : t_.links)
      for (const Endpoint& e : l.endpoints)
        for (const nl::IpPrefix& a : e.addresses) v6 = v6 || (e.node == n.name && a.is_v6());
    std::set<std::string> user_keys;
    for (const Setting& s : n.sysctls) user_keys.insert(s.key);
    if (v6 && !user_keys.count(kNoDadSysctl[0])) by_default(kNoDadSysctl[0], kNoDadSysctl[1]);
    if (n.kind == NodeKind::router)
      for (auto& [key, value] : kRouterSysctls)
        if (!user_keys.count(key)) by_default(key, value);
    for (const Setting& s : n.sysctls) b.sysctls.emplace_back(s.key, s.value);
  }

  // Slots number a namespace's interfaces in the order they are added: lo 0, then 1, 2, ...
  BuiltIface& add_iface(BuiltNode& n, const std::string& name, IfaceType type) {
    n.ifaces.push_back({name, type, {}, 0, false, "", int(n.ifaces.size()), {}, {}, {}});
    return n.ifaces.back();
  }

  nl::Mac mac_for(const std::string& node, const std::string& iface,
                  const std::optional<nl::Mac>& given) {
    if (given) return *given;
    for (unsigned attempt = 0;; attempt++) {
      nl::Mac mac = default_mac(t_.name, node, iface, attempt);
      if (macs_.insert(mac).second) return mac;
    }
  }

  struct Side {
    BuiltNode* node;  // null for the root namespace
    End end;
    const Endpoint* endpoint;  // null for a LAN's own port
  };

  Side side_of(const Endpoint& e) {
    if (e.on_host()) return {nullptr, {kHostNode, e.iface}, &e};
    for (BuiltNode& n : lab_.nodes)
      if (n.name == e.node) return {&n, {e.node, e.iface}, &e};
    return {nullptr, {e.node, e.iface}, &e};
  }

  BuiltIface& made(Side& s, const Link& l, int mtu) {
    BuiltIface* iface;
    if (s.node) {
      iface = &add_iface(*s.node, s.end.iface, IfaceType::veth);
      if (has_bridge(*s.node)) iface->master = kBridgeIface;
    } else {
      lab_.host_ifaces.push_back(
          {s.end.iface, IfaceType::veth, {}, 0, false, "", kKernelSlot, {}, {}, {}});
      iface = &lab_.host_ifaces.back();
    }
    iface->mac = mac_for(s.end.node, s.end.iface, s.endpoint ? s.endpoint->mac : std::nullopt);
    iface->mtu = mtu;
    iface->up = l.up || !s.endpoint;
    if (s.endpoint) {
      iface->addresses = s.endpoint->addresses;
      nl::Impairment imp = effective_impairment(
          l.impair ? &*l.impair : nullptr, s.endpoint->impair ? &*s.endpoint->impair : nullptr);
      if (imp.needs_netem() || imp.rate_bps) iface->impairment = imp;
    }
    return *iface;
  }

  void add_veth(Side a, Side b, const Link& l) {
    // The root end is always b: it is born there by fd, with an ifindex the kernel chooses.
    // A bridge port is a where possible, so that it is born a port.
    bool a_bridge = a.node && has_bridge(*a.node), b_bridge = b.node && has_bridge(*b.node);
    if (!a.node || (!a_bridge && b_bridge)) std::swap(a, b);
    made(a, l, link_mtu(l));
    made(b, l, link_mtu(l));
    lab_.links.push_back({a.end, b.end});
  }

  void add_link(size_t i) {
    const Link& l = t_.links[i];
    std::vector<const Host*> far = far_hosts(l);
    if (!l.is_lan()) {
      const Endpoint& x = l.endpoints[0];
      const Endpoint& y = l.endpoints[1];
      if (makes(l, x) && makes(l, y)) return add_veth(side_of(x), side_of(y), l);
      // One end here: a VXLAN device to the host of the other.
      if (makes(l, x) || makes(l, y)) {
        const Endpoint& mine = makes(l, x) ? x : y;
        const Endpoint& peer = &mine == &x ? y : x;
        Side s = side_of(mine);
        BuiltIface& end = made(s, l, link_mtu(l));
        end.type = IfaceType::vxlan;
        end.vxlan = tunnel(l, far,
                           fmt::format("{}: {}", t_.find_node(peer.node)->host,
                                       End{peer.node, peer.iface}.text()));
      }
      return;
    }
    if (!lan_of_.count(i)) return;  // no member here
    // Each member here is wired to a port p1, p2, ... (by its place among the LAN's members) of
    // the LAN's bridge, in its own namespace; the members on other hosts are through one VXLAN
    // port, to each of their hosts.
    for (size_t k = 0; k < l.endpoints.size(); k++) {
      if (!makes(l, l.endpoints[k])) continue;
      // (A pointer into nodes: stable, as no node is added from here on.)
      BuiltNode* lan = &lab_.nodes[lan_of_.at(i)];
      add_veth({lan, {lan->name, lan_port_name(k + 1)}, nullptr}, side_of(l.endpoints[k]), l);
    }
    if (far.empty()) return;
    BuiltNode& lan = lab_.nodes[lan_of_.at(i)];
    BuiltIface& port = add_iface(lan, kLanTunnel, IfaceType::vxlan);
    port.master = kBridgeIface;
    port.up = true;
    // One per host on the one segment: each its own MAC.
    port.mac = mac_for(lan.name + "@" + here_, kLanTunnel, std::nullopt);
    port.mtu = link_mtu(l);
    std::vector<std::string> names;
    for (const Host* h : far) names.push_back(h->name);
    port.vxlan = tunnel(l, far, fmt::format("{}: {}", fmt::join(names, ", "), lan.name));
  }
};

}  // namespace

Lab resolve(const Topology& topology) {
  return Resolver(topology, topology.here).run();
}

}  // namespace topo
