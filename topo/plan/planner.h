// planner.h - a plan: the ordered actions that change a lab (converge.h makes them), without a
// system call.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "topo/model/impairment.h"
#include "topo/model/ip.h"
#include "topo/model/lab.h"
#include "topo/model/model.h"
#include "topo/model/netns_id.h"

namespace topo {

// A namespace the plan acts in: a node's, a LAN's (topo's own, for the LAN's bridge), or the
// root namespace (for `host:IFACE` ends; never created, never removed).
struct PlanNode {
  enum class Role { node, lan, root };
  std::string name;   // node name; "_lanN" or "_<name>" for a LAN; "host" for the root namespace
  std::string netns;  // empty for the root namespace
  Role role = Role::node;
  NodeKind kind = NodeKind::host;                        // NodeKind::lan for a LAN's
  std::vector<std::pair<std::string, std::string>> env;  // a node's `env`
};

// An interface of a namespace, and its slot (lab.h).
struct IfaceRef {
  int node = 0;
  std::string name;
  int slot = 0;
};

struct CreateNetns {
  int node = 0;
};
struct CreateBridge {
  IfaceRef bridge;  // created up
};
struct CreateVeth {
  IfaceRef a, b;  // sent from a's namespace; b is born in b's
  nl::Mac mac_a, mac_b;
  std::optional<int> mtu;
  std::optional<IfaceRef> master_a;  // a is born a port of this bridge
  bool up = true;                    // a comes up at creation; b with its own SetLink
};
// A VXLAN device (an end of a link to another host, or a LAN's port to other hosts): the
// request is sent in the root namespace, where its UDP socket lives on the underlay, and the
// device is born in the iface's namespace.
struct CreateVxlan {
  IfaceRef iface;
  nl::Mac mac;
  int mtu = 0;
  bool up = true;
  std::optional<IfaceRef> master;  // born a port of this bridge
  BuiltVxlan tunnel;
};
struct SetSysctl {
  int node = 0;
  std::string key, value;
};
struct AddAddress {
  IfaceRef iface;
  nl::IpPrefix address;
};
struct SetLink {  // one request: up, and/or a port of a bridge
  IfaceRef iface;
  bool up = true;
  std::optional<IfaceRef> master;
};
struct SetImpair {  // the end's root qdisc: netem and/or tbf
  IfaceRef iface;
  nl::Impairment impairment;
};
struct RouteHop {
  std::optional<nl::IpPrefix> gateway;
  std::optional<IfaceRef> dev;
};
struct AddRoute {
  int node = 0;
  nl::IpPrefix dst;
  std::vector<RouteHop> hops;
  bool replace = false;  // the route to dst that is there is replaced (a running lab's change)
};

// After the network: files and processes.
struct WriteHosts {  // the lab's one hosts file
  std::string content;
};
struct LinkEtc {  // /etc/netns/<netns> -> the lab's etc directory (which holds hosts)
  int node = 0;
};
// $TOPO_NODE_DIR, the node's private directories (mount points made where missing), its files,
// its env and mounts for the commands that enter it.
struct PrepareNode {
  int node = 0;
  std::vector<BuiltFile> files;
  std::vector<BuiltMount> mounts;
};
struct RunExec {  // /bin/sh -c CMD in the node; a non-zero exit fails up
  int node = 0;
  std::string cmd;
};
struct StartDaemon {  // /bin/sh -c CMD in the node, in the background
  int node = 0;
  std::string name, cmd;
  // Waited for first: a Unix socket that accepts a connection, or a command that exits 0.
  std::string wait_socket, wait_exec;
  uint64_t wait_timeout_us = 0;
};
struct WatchDaemons {};  // fails up when a daemon dies within its first second

// Changes to a running lab (converge.h): in place, or removals of what the lab made.
struct ChangeLink {  // MTU, MAC and/or admin state of an existing interface (same ifindex)
  IfaceRef iface;
  std::optional<int> mtu;
  std::optional<nl::Mac> mac;
  std::optional<bool> up;
};
struct DeleteAddress {
  IfaceRef iface;
  nl::IpPrefix address;
};
struct DeleteRoute {
  int node = 0;
  nl::IpPrefix dst;
};
struct ClearImpair {
  IfaceRef iface;
};
struct DeleteVeth {  // one end (its peer goes with it), if it still has the MAC topo gave it
  IfaceRef iface;
  nl::Mac mac;
  std::string peer;  // "node:iface", for the journal
};
struct DeleteVxlan {  // if it still has the MAC topo gave it
  IfaceRef iface;
  nl::Mac mac;
};
struct StopDaemon {  // the daemon's whole session: SIGTERM, then SIGKILL
  int node = 0;
  std::string name;
  int64_t pid = 0;
};
struct RemoveFile {  // a file no longer in the node's `files`
  int node = 0;
  std::string name;
};
struct ResumeNode {  // a paused node's processes thawed (`topo node LAB NODE pause` froze them)
  int node = 0;
};
struct DeleteNode {  // its processes stopped, its /etc/netns link and namespace removed
  int node = 0;
  nl::NetnsId id;  // the namespace's identity, as read when the lab was compared
};

using Action =
    std::variant<CreateNetns, CreateBridge, CreateVeth, CreateVxlan, SetSysctl, AddAddress, SetLink,
                 SetImpair, AddRoute, WriteHosts, LinkEtc, PrepareNode, RunExec, StartDaemon,
                 WatchDaemons, ChangeLink, DeleteAddress, DeleteRoute, ClearImpair, DeleteVeth,
                 DeleteVxlan, StopDaemon, RemoveFile, ResumeNode, DeleteNode>;

struct Plan {
  std::string lab;
  std::vector<PlanNode> nodes;
  std::vector<Action> actions;
  size_t links = 0;
  int root = -1;  // index of the root namespace in `nodes`, if any end is there
};

// One line per action, e.g. "r1: create veth eth1 <-> r2:eth1 mtu 9000".
std::string describe(const Plan& plan, const Action& action);

}  // namespace topo
