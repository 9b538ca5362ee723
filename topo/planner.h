// planner.h - a topology turned into an ordered list of kernel actions, without a syscall.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "netlink/ip.h"
#include "topo/model.h"

namespace topo {

struct PlanNode {
  std::string name;
  std::string netns;
};

// An interface of a node. `slot` numbers a node's interfaces: 0 is lo, 1.. the others in the
// order they are created; a backend maps slots to ifindexes it knows without asking the kernel.
struct IfaceRef {
  int node = 0;
  std::string name;
  int slot = 0;
};

struct CreateNetns {
  int node = 0;
};
struct CreateVeth {
  IfaceRef a, b;  // sent from a's namespace; b is born in b's
  nl::Mac mac_a, mac_b;
  std::optional<int> mtu;
  bool up = true;  // a comes up at creation; b with its own LinkUp
};
struct SetSysctl {
  int node = 0;
  std::string key, value;
};
struct AddAddress {
  IfaceRef iface;
  nl::IpPrefix address;
};
struct LinkUp {
  IfaceRef iface;
};
struct RouteHop {
  std::optional<nl::IpPrefix> gateway;
  std::optional<IfaceRef> dev;
};
struct AddRoute {
  int node = 0;
  nl::IpPrefix dst;
  std::vector<RouteHop> hops;
};

using Action = std::variant<CreateNetns, CreateVeth, SetSysctl, AddAddress, LinkUp, AddRoute>;

struct Plan {
  std::string lab;
  std::vector<PlanNode> nodes;
  std::vector<Action> actions;
  size_t links = 0;
};

// Namespaces first, then every veth (born in place), then node by node: sysctls, lo up,
// addresses, the ends not yet up, routes. A topology with diagnostics must not be planned.
Plan make_plan(const Topology& topology);

// One line per action, e.g. "r1: create veth eth1 <-> r2:eth1 mtu 9000".
std::string describe(const Plan& plan, const Action& action);

// The MAC topo gives an interface with none in the file: locally administered, unicast, and
// the same for the same lab, node and interface every time.
nl::Mac default_mac(const std::string& lab, const std::string& node, const std::string& iface,
                    unsigned attempt = 0);

}  // namespace topo
