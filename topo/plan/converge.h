// converge.h - a lab brought to what its file says, changing only what differs; a first `up`
// is the same comparison against nothing.
//
// What is wanted and what a lab was built from are Labs (lab.h); to compare them with what is
// live, each is seen as a set of named objects (LabSpec, spec_of()): namespaces, interfaces,
// veth pairs, addresses, routes, sysctls, impairments, files, daemons, the hosts file; live.h
// reads the live one from the kernel and the lab's files. converge() compares the three and
// returns the changes (+ added, - removed, ~ changed, ! drift put back) and the actions that
// make them, in the wanted lab's order. An object the lab never made is never touched: only
// what the last file (or the journal) says is the lab's can be removed.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "topo/model/impairment.h"
#include "topo/model/ip.h"
#include "topo/model/lab.h"
#include "topo/plan/planner.h"

namespace topo {

inline constexpr int kVethMtu = 1500;  // a veth's MTU when the file gives none

struct NodeSpec {
  std::string netns;
  NodeKind kind = NodeKind::host;
  std::vector<std::pair<std::string, std::string>> env;  // the node's env
  std::vector<std::string> exec;
  nl::NetnsId id;  // live: the namespace's identity
};

struct IfaceSpec {
  std::string kind;  // "lo", "veth", "bridge"
  std::string mac;   // "" for lo
  int mtu = 0;       // 0: the kernel's default (wanted); live: the MTU it has
  bool up = false;
  std::string master;  // the bridge it is a port of (same namespace), "" for none
};

// A veth pair as the plan creates it: `a` sends the request (and may be born a port of
// `master_a`), `b` is born in its own namespace; each "node:iface".
struct LinkSpec {
  std::string a, b;
};

struct AddressSpec {
  std::string iface;  // "node:iface"
  nl::IpPrefix address;
};

struct RouteSpec {
  std::string node;
  nl::IpPrefix dst;
  struct Hop {
    std::optional<nl::IpPrefix> gateway;
    std::string dev;  // "" when the file names none (the kernel finds it)
  };
  std::vector<Hop> hops;
};

struct SysctlSpec {
  std::string node, key, value;
};

struct ImpairSpec {
  std::string text;
  nl::Impairment impairment;
};

struct DaemonSpec {
  std::string cmd;
  std::string config;  // cmd, the node's env and files: a change restarts the daemon
  int64_t pid = 0;     // live: the running daemon
};

struct LabSpec {
  std::map<std::string, NodeSpec> nodes;          // by node name, LANs' too; not "host"
  std::map<std::string, IfaceSpec> ifaces;        // "node:iface" (root ends: "host:iface")
  std::map<std::string, LinkSpec> links;          // "a <-> b", ends in name order
  std::map<std::string, AddressSpec> addresses;   // "node:iface ADDR/LEN"
  std::map<std::string, RouteSpec> routes;        // "node DST"
  std::map<std::string, SysctlSpec> sysctls;      // "node KEY"
  std::map<std::string, ImpairSpec> impairments;  // "node:iface"
  std::map<std::string, std::string> files;       // "node/NAME" -> content
  std::map<std::string, DaemonSpec> daemons;      // "node/NAME"
  std::optional<std::string> hosts;               // the lab's hosts file
  std::set<std::string> etc_links;                // nodes with /etc/netns/<netns> -> the lab's
};

// The objects of a lab.
LabSpec spec_of(const Lab& lab);

// The key of a veth pair (ends in name order).
std::string link_key(const std::string& a, const std::string& b);

// Objects of both, for what a lab may hold after an `up` that changed it did not finish.
Lab merged(Lab first, const Lab& second);

// A LAN's namespace is named by the LAN's position among the file's links (_lan3), and its
// ports by their member's position (p1, p2, ...). Renames the LANs of `lab` and their ports to
// those of the running lab's LAN with the most members in common (the running lab's LANs and
// ports are read from its veths), so that a LAN keeps its namespace and a member its port when
// other links come or go. A LAN new to the lab gets a name no running LAN has. A renamed port
// gets the MAC topo gives a port of that name.
void align_lans(Lab& lab, const std::vector<std::pair<End, End>>& veths);

struct Change {
  char op = '+';       // '+' added, '-' removed, '~' changed, '!' drift put back, '#' a note
  std::string what;    // node, link, interface, address, route, sysctl, impairment, hosts,
                       // etc link, file, env, daemon, exec
  std::string object;  // "r1", "r1:eth1 <-> r2:eth1", "10.0.0.1/30 on r1:eth1", ...
  std::string detail;  // "mtu 1500 -> 9000", "missing", ...
};
std::string change_text(const Change& change);  // "~ interface r1:eth1: mtu 1500 -> 9000"

struct Convergence {
  std::vector<Change> changes;
  Plan plan;  // the actions, in order; its nodes: the wanted ones, then the removed ones
  bool changes_anything() const;  // a change other than notes
};

// Compares `want` with `live`, `before` telling which objects are the lab's (and so may be
// removed) and whether a difference is an edit of the file (~) or drift (!). `fresh_sysctls`:
// the values a new namespace has, for each sysctl of `before` that is no longer wanted.
// A first `up` is converge(want, {}, {}, {}). The order: daemons stopped, removals; then
// namespaces made (nodes, then LANs), each new one's own sysctls (before its interfaces exist,
// so that conf.default applies to them), bridges, every veth not live (born in place), far ends
// made bridge ports; node by node: sysctls, lo up, interfaces changed, addresses, ends up,
// impairments, routes; the root namespace's ends; the hosts file, /etc/netns links, node
// directories, exec, daemons (in the file's order) and the watch on them. Actions of one kind
// come in runs (the applier batches them); interfaces of a namespace made now carry the slots
// `want` gives them, others the kernel's (kKernelSlot).
Convergence converge(const Lab& want, const Lab& before, const LabSpec& live,
                     const std::map<std::string, std::string>& fresh_sysctls);

}  // namespace topo
