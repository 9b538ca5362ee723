// converger.h - the comparison behind converge() (converge.h), in two files: converge.cc
// (namespaces, removals, what is made) and configure.cc (node by node, then processes).
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <type_traits>

#include "topo/plan/converge.h"

namespace topo {

// To compare labs, each is seen as a set of named objects: namespaces, interfaces, veth pairs,
// addresses, routes, sysctls, impairments, files, daemons, the hosts file.
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

// What a wanted object is to the lab, the one classification every kind of object goes
// through: 0, kept (live as wanted); '+' new to the file; '!' drift put back (the lab was built
// with it as wanted, and it was changed or lost by hand); '~' changed by the file. `before`
// and `live`: null when the lab never made it, or it is not there.
template <class T, class Same = std::equal_to<T>>
char classify(const T& want, const std::type_identity_t<T>* before,
              const std::type_identity_t<T>* live, Same same = {}) {
  if (live && same(want, *live)) return 0;
  if (!before) return '+';
  return same(*before, want) ? '!' : '~';
}

// An object that is its name (a namespace, a link, an address, an /etc/netns link).
inline char classify(bool in_before, bool in_live) {
  static constexpr bool kThere = true;
  return classify(kThere, in_before ? &kThere : nullptr, in_live ? &kThere : nullptr);
}

template <class Map>
const typename Map::mapped_type* find(const Map& map, const std::string& key) {
  auto it = map.find(key);
  return it == map.end() ? nullptr : &it->second;
}

// "r1/conf": the node, and the name.
std::pair<std::string, std::string> split_key(const std::string& key);

std::string hops_text(const RouteSpec& r);
bool route_matches(const RouteSpec& want, const RouteSpec& live);

class Converger {
 public:
  Converger(const Lab& want, const Lab& before, const Lab& live,
            const std::map<std::string, std::string>& fresh_sysctls);
  Convergence run();

 private:
  const Lab& lab_;  // what is wanted, in order
  LabSpec want_, before_;
  LabSpec live_;
  const std::map<std::string, std::string>& fresh_sysctls_;
  Convergence out_;
  std::map<std::string, int> index_;                   // node -> its index in the plan
  std::map<std::string, const BuiltNode*> lab_nodes_;  // node -> what is wanted of it
  std::set<std::string> fresh_;                        // namespaces to make: new, lost, or replaced
  std::set<std::string> gone_;        // namespaces to remove: no longer wanted, or replaced
  std::set<std::string> made_links_;  // ends ("node:iface") of the links made now
  std::set<std::string> ups_;         // ends of links made now that their node brings up

  template <class A>
  void emit(A&& action) {
    out_.plan.actions.emplace_back(std::forward<A>(action));
  }
  void change(char op, std::string what, std::string object, std::string detail = "") {
    out_.changes.push_back({op, std::move(what), std::move(object), std::move(detail)});
  }

  int node(const std::string& name) const { return index_.at(name); }
  const BuiltIface& wanted(const End& end) const {
    return end.on_host() ? *lab_.find_iface(end) : *lab_nodes_.at(end.node)->find_iface(end.iface);
  }
  // An interface; with its slot when its namespace is made now (its interfaces are made in the
  // order the lab gives), else the kernel's.
  IfaceRef ref(const End& end) const;
  IfaceRef ref(const std::string& end) const { return ref(*End::parse(end)); }
  bool survives(const std::string& node_name) const {
    return node_name == kHostNode || (want_.nodes.count(node_name) && !fresh_.count(node_name));
  }

  // converge.cc
  void add_plan_node(const std::string& name, const NodeSpec& n);
  void plan_nodes();
  void stop_daemons();
  void remove_from_surviving_nodes();
  void remove_links_and_nodes();
  void create_nodes();
  void create_links();

  // configure.cc
  void configure(const BuiltNode& n);
  void set_sysctls(const BuiltNode& n);
  void reset_sysctls(const std::string& n);
  void configure_ends(const std::string& node, const std::vector<BuiltIface>& ifaces);
  void change_interface(const std::string& end, const BuiltIface& iface);
  void add_addresses(const std::string& end, const BuiltIface& iface);
  void set_impairment(const std::string& end);
  void set_route(const std::string& node, const BuiltRoute& route);
  void write_files();
  void prepare_node(const BuiltNode& n);
  void start_daemons();
};

}  // namespace topo
