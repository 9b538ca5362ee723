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
  Converger(const Lab& want, const Lab& before, const LabSpec& live,
            const std::map<std::string, std::string>& fresh_sysctls);
  Convergence run();

 private:
  const Lab& lab_;  // what is wanted, in order
  LabSpec want_, before_;
  const LabSpec& live_;
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
