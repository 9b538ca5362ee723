// converge.h - a lab brought to what its file says, changing only what differs; a first `up`
// is the same comparison against nothing.
//
// What is wanted, what a lab was built from and what it has live (live.h reads it from the
// kernel and the lab's files) are Labs (lab.h). converge() compares the three and
// returns the changes (+ added, - removed, ~ changed, ! drift put back) and the actions that
// make them, in the wanted lab's order. An object the lab never made is never touched: only
// what the last file (or the journal) says is the lab's can be removed.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "topo/model/impairment.h"
#include "topo/model/ip.h"
#include "topo/model/lab.h"
#include "topo/plan/planner.h"

namespace topo {

// Objects of both, for what a lab may hold after an `up` that changed it did not finish.
Lab merged(Lab first, const Lab& second);

// The part of a lab that is one node: its namespace and what is in it, without the other nodes,
// links, LANs, ends in the root namespace or hosts file. Converged against what is live of it,
// it changes that node and nothing else (`topo node LAB NODE start`): the veths stay, being
// no object of it; its interfaces, addresses, routes, files and processes are its own.
Lab node_part(const Lab& lab, std::string_view node);

// A LAN's namespace is named by the LAN's position among the file's links (_lan3), unless the
// file names it (_core), and its ports by their member's position (p1, p2, ...). Renames the
// LANs of `lab` named by position, and their ports, to those of the running lab's LAN named by
// position with the most members in common (the running lab's LANs and ports are read from its
// veths), so that a LAN keeps its namespace and a member its port when other links come or go.
// A LAN new to the lab gets a name no running LAN has. A LAN the file names keeps its name, and
// its members their ports in the running LAN of that name. A renamed port gets the MAC topo
// gives a port of that name.
void align_lans(Lab& lab, const std::vector<std::pair<End, End>>& veths);

struct Change {
  char op = '+';       // '+' added, '-' removed, '~' changed, '!' drift put back, '#' a note
  std::string what;    // node, link, interface, address, route, sysctl, impairment, hosts,
                       // etc link, file, env, daemon, exec; tests, scenarios, ready (the
                       // file's parts that `up` only stores)
  std::string object;  // "r1", "r1:eth1 <-> r2:eth1", "10.0.0.1/30 on r1:eth1", ..., or ""
  std::string detail;  // "mtu 1500 -> 9000", "missing", ...
};
// "~ interface r1:eth1: mtu 1500 -> 9000"; "~ tests: changed" with no object.
std::string change_text(const Change& change);

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
Convergence converge(const Lab& want, const Lab& before, const Lab& live,
                     const std::map<std::string, std::string>& fresh_sysctls);

}  // namespace topo
