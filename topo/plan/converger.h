// converger.h - the comparison behind converge() (converge.h), in two files: converge.cc
// (namespaces, removals, what is made) and configure.cc (node by node, then processes).
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "topo/plan/converge.h"
#include "topo/plan/lab_index.h"

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

// The value `map` has for `key`; null when none.
template <class Map, class Key>
const typename Map::mapped_type* find(const Map& map, const Key& key) {
  auto it = map.find(key);
  return it == map.end() ? nullptr : &it->second;
}

// The entries of `map` that `pick(key, value)` picks, in the order of `order(key)`: the order
// removals are listed (and made) in, by the text that names them.
template <class Map, class Pick, class Order>
std::vector<const typename Map::value_type*> picked(const Map& map, Pick pick, Order order) {
  std::vector<std::pair<std::string, const typename Map::value_type*>> keyed;
  for (const auto& entry : map)
    if (pick(entry.first, entry.second)) keyed.emplace_back(order(entry.first), &entry);
  std::sort(keyed.begin(), keyed.end(),
            [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<const typename Map::value_type*> out;
  for (const auto& [text, entry] : keyed) out.push_back(entry);
  return out;
}

std::string hops_text(const BuiltRoute& r);
bool route_matches(const BuiltRoute& want, const BuiltRoute& live);

class Converger {
 public:
  Converger(const Lab& want, const Lab& before, const Lab& live,
            const std::map<std::string, std::string>& fresh_sysctls);
  Convergence run();

 private:
  const Lab& lab_;  // what is wanted, in order
  LabIndex want_, before_, live_;
  const std::map<std::string, std::string>& fresh_sysctls_;
  Convergence out_;
  std::map<std::string, int> index_;  // node -> its index in the plan
  std::set<std::string> fresh_;       // namespaces to make: new, lost, or replaced
  std::set<std::string> gone_;        // namespaces to remove: no longer wanted, or replaced
  std::set<End> made_links_;          // ends of the links made now
  std::set<End> ups_;                 // ends of links made now that their node brings up
  // Nodes that stay and were stopped (`topo node stop`): configured again as the lab was built,
  // their exec: lines run again, their daemons started; their drift is the one line that says so.
  std::set<std::string> restarted_;

  template <class A>
  void emit(A&& action) {
    out_.plan.actions.emplace_back(std::forward<A>(action));
  }
  void change(char op, std::string what, std::string object, std::string detail = "") {
    out_.changes.push_back({op, std::move(what), std::move(object), std::move(detail)});
  }

  int node(const std::string& name) const { return index_.at(name); }
  const BuiltIface& wanted(const End& end) const { return *want_.iface(end); }
  // An interface; with its slot when its namespace is made now (its interfaces are made in the
  // order the lab gives), else the kernel's.
  IfaceRef ref(const End& end) const;
  // Drift of a node started again, which its own line stands for: not listed.
  bool quiet(char op, const std::string& node_name) const {
    return op == '!' && restarted_.count(node_name);
  }
  bool survives(const std::string& node_name) const {
    return node_name == kHostNode || (want_.node(node_name) && !fresh_.count(node_name));
  }

  // converge.cc
  void add_plan_node(const BuiltNode& n);
  void plan_nodes();
  void wake_nodes();
  void stop_daemons();
  void remove_from_surviving_nodes();
  void remove_addresses();
  void remove_links_and_nodes();
  void remove_tunnels();
  void create_nodes();
  void create_links();
  void create_tunnels();

  // configure.cc
  void configure(const BuiltNode& n);
  void set_sysctls(const BuiltNode& n);
  void reset_sysctls(const std::string& n);
  void configure_ends(const std::string& node, const std::vector<BuiltIface>& ifaces);
  void change_interface(const End& end, const BuiltIface& iface);
  void add_addresses(const End& end, const BuiltIface& iface);
  void set_impairment(const End& end, const BuiltIface& iface);
  void set_route(const std::string& node, const BuiltRoute& route);
  void write_files();
  void prepare_node(const BuiltNode& n);
  void start_daemons();
};

}  // namespace topo
