// A LAN's namespace and ports kept across changes of a running lab, and labs merged.
#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <tuple>

#include "topo/plan/converger.h"

namespace topo {

namespace {

// Members in the order of their text (`r1-a:eth1` before `r1:eth1`), the order a LAN's new
// members are given ports in.
struct TextOrder {
  bool operator()(const End& x, const End& y) const { return x.text() < y.text(); }
};

// Each LAN's members and the port each is wired to.
using Members = std::map<End, std::string, TextOrder>;
using LanPorts = std::map<std::string, Members>;
void add_lan_port(LanPorts& lans, const End& a, const End& b) {
  if (is_lan_name(a.node) && !is_lan_name(b.node)) lans[a.node][b] = a.iface;
  if (is_lan_name(b.node) && !is_lan_name(a.node)) lans[b.node][a] = b.iface;
}

std::string free_name(const std::string& stem, const std::set<std::string>& taken) {
  for (int n = 1;; n++)
    if (!taken.count(stem + std::to_string(n))) return stem + std::to_string(n);
}

std::string free_lan(const std::set<std::string>& taken) {
  for (size_t n = 1;; n++)
    if (!taken.count(lan_name(n))) return lan_name(n);
}

// Wanted LAN -> running LAN, by members in common, most first; each LAN matched once. Only
// LANs the file names by position: a LAN named in the file is the one of that name.
std::map<std::string, std::string> matched(const LanPorts& wanted, const LanPorts& running) {
  std::vector<std::tuple<size_t, std::string, std::string>> pairs;
  for (const auto& [w, wm] : wanted)
    for (const auto& [r, rm] : running) {
      if (!is_numbered_lan(w) || !is_numbered_lan(r)) continue;
      size_t common = 0;
      for (const auto& [member, port] : wm) common += rm.count(member);
      if (common) pairs.emplace_back(common, w, r);
    }
  std::stable_sort(pairs.begin(), pairs.end(),
                   [](const auto& x, const auto& y) { return std::get<0>(x) > std::get<0>(y); });
  std::map<std::string, std::string> match;
  std::set<std::string> taken;
  for (const auto& [common, w, r] : pairs)
    if (!match.count(w) && !taken.count(r)) {
      match[w] = r;
      taken.insert(r);
    }
  return match;
}

// `lab` with LANs and ports renamed (`nodes`: LAN -> LAN, `ends`: port -> port).
void rename(Lab& lab, const std::map<std::string, std::string>& nodes,
            const std::map<End, End>& ends) {
  auto end = [&](const End& e) {
    if (auto it = ends.find(e); it != ends.end()) return it->second;
    auto it = nodes.find(e.node);
    return it == nodes.end() ? e : End{it->second, e.iface};
  };
  for (BuiltNode& n : lab.nodes) {
    const std::string old = n.name;
    for (BuiltIface& i : n.ifaces)
      if (auto it = ends.find(End{old, i.name}); it != ends.end()) {
        i.name = it->second.iface;  // a LAN's port: its MAC is topo's
        i.mac = default_mac(lab.name, it->second.node, it->second.iface);
      }
    if (auto it = nodes.find(old); it != nodes.end()) {
      n.name = it->second;
      n.netns = lab.netns_of(n.name);
    }
  }
  for (BuiltLink& l : lab.links) l = {end(l.a), end(l.b)};
}

}  // namespace

void align_lans(Lab& lab, const std::vector<std::pair<End, End>>& veths) {
  LanPorts running, wanted;
  for (const auto& [a, b] : veths) add_lan_port(running, a, b);
  for (const BuiltLink& l : lab.links) add_lan_port(wanted, l.a, l.b);
  std::map<std::string, std::string> match = matched(wanted, running);
  std::set<std::string> taken;
  for (const auto& [w, r] : match) taken.insert(r);
  for (const auto& [r, members] : running) taken.insert(r);
  std::map<std::string, std::string> nodes;
  std::map<End, End> ends;
  for (const auto& [w, members] : wanted) {
    std::string to = !is_numbered_lan(w) ? w
                     : match.count(w)    ? match[w]
                     : taken.count(w)    ? free_lan(taken)
                                         : w;
    taken.insert(to);
    if (to != w) nodes[w] = to;
    const Members& kept = running[to];
    std::set<std::string> ports;
    for (const auto& [member, port] : kept) ports.insert(port);
    for (const auto& [member, port] : members) {
      auto it = kept.find(member);
      std::string new_port = it != kept.end() ? it->second : "";
      if (new_port.empty()) {
        new_port = free_name("p", ports);
        ports.insert(new_port);
      }
      if (to != w || new_port != port) ends[End{w, port}] = End{to, new_port};
    }
  }
  if (!nodes.empty() || !ends.empty()) rename(lab, nodes, ends);
}

namespace {

// `from`'s elements whose key none of `to`'s has, added to `to`.
template <class T, class Key, class Less = std::less<>>
void add_missing(std::vector<T>& to, const std::vector<T>& from, Key key, Less less = {}) {
  std::set<decltype(key(from[0])), Less> keys(less);
  for (const T& x : to) keys.insert(key(x));
  for (const T& x : from)
    if (keys.insert(key(x)).second) to.push_back(x);
}

}  // namespace

Lab merged(Lab first, const Lab& second) {
  auto name = [](const auto& x) { return x.name; };
  auto first_of = [](const auto& x) { return x.first; };
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < first.nodes.size(); i++) index[first.nodes[i].name] = i;
  for (const BuiltNode& n : second.nodes) {
    auto at = index.find(n.name);
    if (at == index.end()) {
      first.nodes.push_back(n);
      continue;
    }
    BuiltNode* it = &first.nodes[at->second];
    add_missing(it->ifaces, n.ifaces, name);
    for (BuiltIface& i : it->ifaces)
      if (const BuiltIface* j = n.find_iface(i.name)) {
        add_missing(
            i.addresses, j->addresses, [](const nl::IpPrefix& a) { return a; }, PrefixLess{});
        if (!i.impairment) i.impairment = j->impairment;
      }
    // A sysctl the first lab lacks comes with the second's word on whether it is a default.
    for (const auto& [key, value] : n.sysctls) {
      auto same = [&](const KeyValue& kv) { return kv.first == key; };
      if (n.is_default_sysctl(key) && std::none_of(it->sysctls.begin(), it->sysctls.end(), same))
        it->default_sysctls.push_back(key);
    }
    add_missing(it->sysctls, n.sysctls, first_of);
    add_missing(
        it->routes, n.routes, [](const BuiltRoute& r) { return r.dst.network(); }, PrefixLess{});
    add_missing(it->files, n.files, name);
    add_missing(it->daemons, n.daemons, name);
    it->etc_link = it->etc_link || n.etc_link;
  }
  add_missing(first.host_ifaces, second.host_ifaces, name);
  add_missing(first.links, second.links, [](const BuiltLink& l) { return link_key(l.a, l.b); });
  if (!first.hosts) first.hosts = second.hosts;
  return first;
}

}  // namespace topo
