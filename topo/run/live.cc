#include "topo/run/live.h"

#include "netlink/netns.h"
#include "netlink/qdisc.h"
#include "netlink/query.h"
#include "netlink/route.h"
#include "netlink/sysctl.h"
#include "topo/entry/entry.h"
#include "topo/entry/safe_fs.h"
#include "topo/run/processes.h"

namespace topo {

namespace {

struct Ends {  // for pairing veth ends
  int ifindex = 0, peer = 0;
};

class LiveReader {
 public:
  LiveReader(const LabSpec& known, const JournalState& journal, const LabDirs& dirs)
      : known_(known), journal_(journal), dirs_(dirs) {}

  LabSpec run() {
    std::map<std::string, const JournalNetns*> journaled;
    for (const JournalNetns& n : journal_.netns) journaled[n.netns] = &n;
    for (const auto& [name, n] : known_.nodes) {
      auto j = journaled.find(n.netns);
      if (j == journaled.end()) continue;       // never made by this lab
      if (!nl::netns_inode(n.netns)) continue;  // lost
      nl::Netns ns = nl::Netns::open(n.netns);
      // Replaced by another namespace of that name, or never bound by the lab (an `up` killed
      // first): not the lab's.
      if (!j->second->id.matches(ns.id())) continue;
      NodeKind kind = parse_kind(j->second->kind).value_or(NodeKind::host);
      live_.nodes[name] = {n.netns, kind, read_node_env(dirs_, name), {}, ns.id()};
      read_namespace(name, ns);
    }
    bool host = false;
    for (const auto& [end, i] : known_.ifaces) host = host || End::parse(end)->on_host();
    if (host) {
      nl::Netns root = nl::Netns::current("");
      read_links(kHostNode, root);
    }
    for (const auto& [key, l] : known_.links) {
      auto a = ends_.find(l.a), b = ends_.find(l.b);
      if (a != ends_.end() && b != ends_.end() && a->second.peer == b->second.ifindex &&
          b->second.peer == a->second.ifindex)
        live_.links[key] = l;
    }
    for (const JournalDaemon& d : journal_.daemons) {
      auto node = live_.nodes.find(d.node);
      if (node != live_.nodes.end() &&
          daemon_running(journal_.header.lab, d, node->second.id.inode))
        live_.daemons[d.node + "/" + d.name] = {"", "", d.pid};
    }
    live_.hosts = read_file(dirs_.etc_dir() + "/hosts");
    for (const std::string& node : known_.etc_links)
      if (auto n = live_.nodes.find(node);
          n != live_.nodes.end() && etc_link_is_labs(dirs_, n->second.netns))
        live_.etc_links.insert(node);
    return std::move(live_);
  }

 private:
  const LabSpec& known_;
  const JournalState& journal_;
  const LabDirs& dirs_;
  LabSpec live_;
  std::map<std::string, Ends> ends_;

  void read_links(const std::string& node, nl::Netns& ns) {
    std::vector<nl::LinkState> links = nl::list_links(ns);
    std::map<int, std::string> names;
    for (const nl::LinkState& l : links) names[l.ifindex] = l.name;
    for (const nl::LinkState& l : links) {
      std::string end = End{node, l.name}.text();
      if (node == kHostNode && !known_.ifaces.count(end)) continue;  // not the lab's business
      std::string kind = l.kind.empty() && l.name == "lo" ? "lo" : l.kind;
      std::string master = l.master && names.count(l.master) ? names[l.master] : "";
      live_.ifaces[end] = {kind, l.mac, l.mtu, l.admin_up, master};
      if (kind == "veth") ends_[end] = {l.ifindex, l.peer_ifindex};
      for (const nl::IpPrefix& a : l.addresses) live_.addresses[end + " " + a.text()] = {end, a};
      auto imp = journal_.impairments.find(end);
      if (imp != journal_.impairments.end() && !imp->second.empty()) {
        if (nl::has_impairment(ns, l.ifindex)) live_.impairments[end] = {imp->second, {}};
      }
    }
  }

  void read_namespace(const std::string& node, nl::Netns& ns) {
    read_links(node, ns);
    for (const nl::RouteState& r : nl::list_static_routes(ns)) {
      RouteSpec route{node, r.dst, {}};
      for (const nl::Nexthop& h : r.nexthops) route.hops.push_back({h.gateway, h.ifname});
      live_.routes[node + " " + r.dst.network().text()] = route;
    }
    for (const auto& [key, s] : known_.sysctls)
      if (s.node == node)
        if (std::optional<std::string> v = nl::read_sysctl(ns, s.key))
          live_.sysctls[key] = {node, s.key, *v};
    // The node's directory may be a user's: a symlink, FIFO or device there reads as missing.
    nl::Fd dir;
    for (const auto& [key, content] : known_.files) {
      if (key.compare(0, node.size() + 1, node + "/") != 0) continue;
      if (!dir.valid()) dir = open_dir(dirs_.node_dir(node));
      if (dir.valid())
        if (auto text = read_file_beneath(dir.get(), key.substr(node.size() + 1)))
          live_.files[key] = *text;
    }
  }
};

}  // namespace

LabSpec read_live(const LabSpec& known, const JournalState& journal, const LabDirs& dirs) {
  return LiveReader(known, journal, dirs).run();
}

}  // namespace topo
