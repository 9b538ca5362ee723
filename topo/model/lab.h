// lab.h - a lab as built: everything its file asks for, fully resolved (addresses from pools,
// MACs, the LANs' namespaces and ports, each interface's slot), in the order `up` makes it.
//
// The language resolves a file into one (language/resolve.h); the journal stores the one a
// running lab was built from (run/journal.h), so that what a lab was built from is read, never
// recomputed; the live reader describes what a running lab has now in the same terms; and
// plan/ compares what is wanted with what was built and what is live. A first `up` is that
// comparison against nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "topo/model/impairment.h"
#include "topo/model/ip.h"
#include "topo/model/model.h"
#include "topo/model/netns_id.h"

namespace topo {

// One end of a link: an interface of a node, written `node:iface` (`host:iface` for the root
// namespace). Parsed and printed here only.
struct End {
  std::string node, iface;

  // Split at the first colon; nullopt when there is none or either side is empty.
  static std::optional<End> parse(std::string_view text);
  std::string text() const { return node + ":" + iface; }
  bool on_host() const { return node == kHostNode; }
  auto operator<=>(const End&) const = default;
};

// A LAN (a link of three ends or more, or a stub) is a bridge in a namespace of its own, named
// `_` and the link's `name:` (`_core`), or, without one, after the LAN's position among the
// file's links (`_lan3`), with one port per member (`p1`, `p2`, ...). No node of the file can
// have such a name (node names start with a letter or digit), and no `name:` is `lan<N>`.
std::string lan_name(size_t position, std::string_view name = "");  // position 1-based
bool is_lan_name(std::string_view node);
bool is_numbered_lan(std::string_view node);  // `_lan<N>`: a LAN the file gives no name
std::string lan_port_name(size_t member);     // 1-based
// A LAN's port towards its members on other hosts (a VXLAN device), when it has any.
inline constexpr const char* kLanTunnel = "vxlan0";

// The MAC topo gives an interface with none in the file: locally administered, unicast, and
// the same for the same lab, node and interface every time (`attempt` > 0 when an earlier one
// was taken).
nl::Mac default_mac(const std::string& lab, const std::string& node, const std::string& iface,
                    unsigned attempt = 0);

// slot numbers a namespace's interfaces in the order they are made: 0 is lo, 1.. the others,
// so that a backend knows their ifindexes without asking the kernel. kKernelSlot: the kernel
// chooses (the root namespace, where topo owns too little to choose, or a namespace that
// already exists).
inline constexpr int kKernelSlot = -1;

// The interface a sysctl is about (net.ipv4.conf.eth1.rp_filter: eth1); "" for one of the
// namespace's own (conf.all, conf.default, or not under conf).
std::string sysctl_iface(const std::string& key);

// other: an interface topo does not make (found live in a node, made there by hand).
// vxlan: an end of a link to a node on another host, or a LAN's port towards other hosts.
enum class IfaceType { lo, veth, bridge, vxlan, other };
const char* iface_type_name(IfaceType type);  // "lo", "veth", "bridge", "vxlan", "other"

using KeyValue = std::pair<std::string, std::string>;

// A VXLAN device's tunnel: made by a request sent in the host's root namespace (where its UDP
// socket lives, on the underlay) and born in its node's namespace.
struct BuiltVxlan {
  uint32_t vni = 0;
  nl::IpPrefix local;  // this host's underlay address
  std::vector<nl::IpPrefix>
      remotes;  // the other hosts': one for a link; a LAN's, each with members
  int port = kVxlanPort;
  std::string peer;  // what is at the far side, for people: "b: r2:eth1", or "b, c: _core" for a LAN
  bool operator==(const BuiltVxlan&) const = default;
};

struct BuiltIface {
  std::string name;
  IfaceType type = IfaceType::veth;
  std::optional<nl::Mac> mac;  // veths; none for lo and bridges (the kernel's); live: any
  int mtu = 0;                 // 0: the kernel's default
  bool up = false;
  std::string master;  // the bridge it is a port of (in the same namespace); "" for none
  int slot = kKernelSlot;
  std::vector<nl::IpPrefix> addresses;  // in the order they are added (a subnet's first is
                                        // its primary)
  std::optional<nl::Impairment> impairment;
  std::optional<BuiltVxlan> vxlan;  // IfaceType::vxlan: its tunnel (none live: not read back)
};

struct BuiltRoute {
  nl::IpPrefix dst;  // prefix length 0: the default route
  struct Hop {
    std::optional<nl::IpPrefix> gateway;
    std::string dev;  // "" when the file names none (the kernel finds it)
    bool operator==(const Hop&) const = default;
  };
  std::vector<Hop> hops;  // two or more: ECMP
};

// Written to $TOPO_NODE_DIR/<name>, or for an absolute name to the node's private directory
// that holds it (a BuiltMount).
struct BuiltFile {
  std::string name, content;
  bool executable = false;  // 0755, not 0644
};

// What a node's commands see at `target`: with neither `bind` nor `file`, a directory of the
// node's own (owned by `owner`, root's when empty).
struct BuiltMount {
  std::string target;
  std::string bind;  // an absolute host path
  std::string file;  // one of the node's files (a plain name)
  bool read_only = false;
  std::string owner;  // "user" or "user:group"
  bool is_private_dir() const { return bind.empty() && file.empty(); }
  bool operator==(const BuiltMount&) const = default;
};

struct BuiltDaemon {
  std::string name, cmd;
  std::string config;  // a hash of cmd, the node's env, files and mounts: a change restarts it
  int64_t pid = 0;     // live only: the running daemon
  // It starts once this Unix socket (a path as the node sees it) accepts a connection, or this
  // command exits 0 in the node; none: at once.
  std::string wait_socket, wait_exec;
  uint64_t wait_timeout_us = 0;
  bool waits() const { return !wait_socket.empty() || !wait_exec.empty(); }
};

// A node at run time (`topo node`): running as built; stopped (its processes ended, its
// interfaces but lo down: its namespace, interfaces and addresses kept); or paused (its
// processes frozen, its interfaces as they were).
enum class NodeState { running, stopped, paused };
const char* node_state_name(NodeState state);  // "running", "stopped", "paused"
// The state a name (as node_state_name gives it) stands for; nullopt for any other text.
std::optional<NodeState> parse_node_state(std::string_view name);

struct BuiltNode {
  std::string name, netns;
  NodeKind kind = NodeKind::host;  // NodeKind::lan for a LAN's namespace
  std::vector<KeyValue> env;
  std::vector<KeyValue> sysctls;  // in the order they are set
  // The keys of `sysctls` that topo sets of its own (a router's forwarding, IPv6's accept_dad),
  // not the file: set when they become wanted, and then left to whatever changes them later (a
  // routing daemon may turn forwarding off).
  std::vector<std::string> default_sysctls;
  std::vector<BuiltIface> ifaces;  // lo first, then by slot
  std::vector<BuiltRoute> routes;
  std::vector<BuiltFile> files;
  std::vector<BuiltMount> mounts;        // parents before what they hold
  std::vector<std::string> exec;         // run once, when the node is made
  std::vector<BuiltDaemon> daemons;      // in the file's order: started in it
  bool etc_link = false;                 // /etc/netns/<netns> links to the lab's etc directory
  nl::NetnsId id;                        // live only: the namespace's identity
  NodeState state = NodeState::running;  // live only

  const BuiltIface* find_iface(std::string_view iface) const;
  bool is_default_sysctl(std::string_view key) const;
};

struct BuiltLink {  // a veth pair: `a` sends the request (born a port of a's bridge, if any)
  End a, b;
};

struct Lab {
  std::string name, prefix;
  std::vector<BuiltNode> nodes;         // the file's nodes in its order, then the LANs'
  std::vector<BuiltIface> host_ifaces;  // the lab's ends in the root namespace (`host:IFACE`)
  std::vector<BuiltLink> links;         // in the order they are made
  std::optional<std::string> hosts;     // the lab's hosts file
  size_t file_links = 0;                // links as the file counts them (a LAN is one)
  std::string host;  // the host of the file's `hosts` this part of the lab is on; "" for none

  const BuiltNode* find_node(std::string_view node) const;
  // The interface an end names (a `host:` end among host_ifaces); null when there is none.
  const BuiltIface* find_iface(const End& end) const;
  std::string netns_of(std::string_view node) const { return prefix + std::string(node); }
};

}  // namespace topo
