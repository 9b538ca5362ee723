#include "topo/run/live.h"

#include <set>

#include "netlink/netns.h"
#include "netlink/qdisc.h"
#include "netlink/query.h"
#include "netlink/route.h"
#include "netlink/sysctl.h"
#include "topo/entry/entry.h"
#include "topo/entry/safe_fs.h"
#include "topo/model/impair.h"
#include "topo/run/lifecycle.h"
#include "topo/run/node_setup.h"
#include "topo/run/processes.h"

namespace topo {

namespace {

struct Ends {  // for pairing veth ends
  int ifindex = 0, peer = 0;
};

IfaceType type_of(const nl::LinkState& l) {
  if (l.kind.empty() && l.name == "lo") return IfaceType::lo;
  if (l.kind == "veth") return IfaceType::veth;
  if (l.kind == "vxlan") return IfaceType::vxlan;
  return l.kind == "bridge" ? IfaceType::bridge : IfaceType::other;
}

class LiveReader {
 public:
  LiveReader(const Lab& known, const JournalState& journal, const LabDirs& dirs)
      : known_(known), journal_(journal), dirs_(dirs) {}

  Lab run() {
    live_.name = known_.name;
    live_.prefix = known_.prefix;
    std::map<std::string, const JournalNetns*> journaled;
    for (const JournalNetns& n : journal_.netns) journaled[n.netns] = &n;
    for (const BuiltNode& n : known_.nodes) {
      auto j = journaled.find(n.netns);
      if (j == journaled.end()) continue;       // never made by this lab
      if (!nl::netns_inode(n.netns)) continue;  // lost
      nl::Netns ns = nl::Netns::open(n.netns);
      // Replaced by another namespace of that name, or never bound by the lab (an `up` killed
      // first): not the lab's.
      if (!j->second->id.matches(ns.id())) continue;
      BuiltNode& node = live_.nodes.emplace_back();
      node.name = n.name;
      node.netns = n.netns;
      node.kind = parse_kind(j->second->kind).value_or(NodeKind::host);
      node.env = read_node_env(dirs_, n.name);
      node.id = ns.id();
      node.state = live_node_state(journal_, n.name);
      read_namespace(n, node, ns);
    }
    if (!known_.host_ifaces.empty()) {
      nl::Netns root = nl::Netns::current("");
      std::set<std::string> known;
      for (const BuiltIface& i : known_.host_ifaces) known.insert(i.name);
      live_.host_ifaces = read_links(kHostNode, root, &known);
    }
    for (const BuiltLink& l : known_.links) {
      auto a = ends_.find(l.a.text()), b = ends_.find(l.b.text());
      if (a != ends_.end() && b != ends_.end() && a->second.peer == b->second.ifindex &&
          b->second.peer == a->second.ifindex)
        live_.links.push_back(l);
    }
    read_daemons();
    live_.hosts = read_file(dirs_.etc_dir() + "/hosts");
    for (BuiltNode& n : live_.nodes)
      if (const BuiltNode* k = known_.find_node(n.name); k && k->etc_link)
        n.etc_link = etc_link_is_labs(dirs_, n.netns);
    return std::move(live_);
  }

 private:
  const Lab& known_;
  const JournalState& journal_;
  const LabDirs& dirs_;
  Lab live_;
  std::map<std::string, Ends> ends_;

  // A namespace's interfaces (in the root namespace, only those of `only`).
  std::vector<BuiltIface> read_links(const std::string& node, nl::Netns& ns,
                                     const std::set<std::string>* only = nullptr) {
    std::vector<nl::LinkState> links = nl::list_links(ns);
    std::map<int, std::string> names;
    for (const nl::LinkState& l : links) names[l.ifindex] = l.name;
    std::vector<BuiltIface> out;
    for (const nl::LinkState& l : links) {
      if (only && !only->count(l.name)) continue;  // not the lab's business
      std::string end = End{node, l.name}.text();
      BuiltIface& i = out.emplace_back();
      i.name = l.name;
      i.type = type_of(l);
      i.mac = nl::parse_mac(l.mac);
      i.mtu = l.mtu;
      i.up = l.admin_up;
      i.master = l.master && names.count(l.master) ? names[l.master] : "";
      i.addresses = l.addresses;
      if (i.type == IfaceType::veth) ends_[end] = {l.ifindex, l.peer_ifindex};
      auto imp = journal_.impairments.find(end);
      if (imp != journal_.impairments.end() && !imp->second.empty() &&
          nl::has_impairment(ns, l.ifindex))
        i.impairment = parse_impairment_text(imp->second);
    }
    return out;
  }

  void read_namespace(const BuiltNode& known, BuiltNode& node, nl::Netns& ns) {
    node.ifaces = read_links(node.name, ns);
    for (const nl::Route& r : nl::list_static_routes(ns)) {
      BuiltRoute route{r.dst, {}};
      for (const nl::Nexthop& h : r.nexthops) route.hops.push_back({h.gateway, h.ifname});
      node.routes.push_back(std::move(route));
    }
    for (const auto& [key, value] : known.sysctls)
      if (std::optional<std::string> v = nl::read_sysctl(ns, key))
        node.sysctls.emplace_back(key, *v);
    // The node's directories may be a user's: a symlink, FIFO or device there reads as missing.
    for (const BuiltFile& f : known.files)
      if (auto text = read_node_file(dirs_, node.name, f.name))
        node.files.push_back(
            {f.name, *text, f.executable && node_file_executable(dirs_, node.name, f.name)});
  }

  void read_daemons() {
    std::map<std::string, BuiltNode*> nodes;
    for (BuiltNode& n : live_.nodes) nodes[n.name] = &n;
    for (const JournalDaemon& d : journal_.daemons) {
      auto node = nodes.find(d.node);
      if (node != nodes.end() && daemon_running(journal_.header.lab, d, node->second->id.inode))
        node->second->daemons.push_back({d.name, "", "", d.pid, "", "", 0});
    }
  }
};

}  // namespace

Lab read_live(const Lab& known, const JournalState& journal, const LabDirs& dirs) {
  return LiveReader(known, journal, dirs).run();
}

}  // namespace topo
