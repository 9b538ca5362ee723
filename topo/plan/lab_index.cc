#include "topo/plan/lab_index.h"

namespace topo {

int compared_mtu(const BuiltIface& iface) {
  return iface.type == IfaceType::veth && !iface.mtu ? kVethMtu : iface.mtu;
}

LinkKey link_key(const End& a, const End& b) {
  return a < b ? LinkKey{a, b} : LinkKey{b, a};
}

namespace {

template <class Map, class Key>
auto find(const Map& map, const Key& key) -> typename Map::mapped_type {
  auto it = map.find(key);
  return it == map.end() ? nullptr : it->second;
}

void add_iface(LabIndex& index, const End& end, const BuiltIface& iface) {
  index.ifaces[end] = &iface;
  for (const nl::IpPrefix& a : iface.addresses) index.addresses.insert({end, a});
}

void add_node(LabIndex& index, const BuiltNode& n) {
  index.nodes[n.name] = &n;
  for (const BuiltIface& i : n.ifaces) add_iface(index, End{n.name, i.name}, i);
  for (const BuiltRoute& r : n.routes) index.routes[{n.name, r.dst.network()}] = &r;
  for (const auto& [key, value] : n.sysctls) index.sysctls[{n.name, key}] = &value;
  for (const BuiltFile& f : n.files) index.files[{n.name, f.name}] = &f;
  for (const BuiltDaemon& d : n.daemons) index.daemons[{n.name, d.name}] = &d;
}

}  // namespace

LabIndex::LabIndex(const Lab& lab) : lab(lab) {
  for (const BuiltNode& n : lab.nodes) add_node(*this, n);
  for (const BuiltIface& i : lab.host_ifaces) add_iface(*this, End{kHostNode, i.name}, i);
  for (const BuiltLink& l : lab.links) links[link_key(l.a, l.b)] = &l;
}

const BuiltNode* LabIndex::node(std::string_view name) const {
  return find(nodes, name);
}

const BuiltIface* LabIndex::iface(const End& end) const {
  return find(ifaces, end);
}

const BuiltLink* LabIndex::link(const End& a, const End& b) const {
  return find(links, link_key(a, b));
}

bool LabIndex::has_address(const End& end, const nl::IpPrefix& address) const {
  return addresses.count({end, address});
}

const BuiltRoute* LabIndex::route(const std::string& node, const nl::IpPrefix& dst) const {
  return find(routes, RouteKey{node, dst.network()});
}

const std::string* LabIndex::sysctl(const std::string& node, const std::string& key) const {
  return find(sysctls, NodeKey{node, key});
}

const BuiltFile* LabIndex::file(const std::string& node, const std::string& name) const {
  return find(files, NodeKey{node, name});
}

const BuiltDaemon* LabIndex::daemon(const std::string& node, const std::string& name) const {
  return find(daemons, NodeKey{node, name});
}

bool LabIndex::etc_link(const std::string& name) const {
  const BuiltNode* n = node(name);
  return n && n->etc_link;
}

std::string link_text(const End& a, const End& b) {
  std::string x = a.text(), y = b.text();
  return x < y ? x + " <-> " + y : y + " <-> " + x;
}

std::string address_text(const AddressKey& a) {
  return a.address.text() + " on " + a.end.text();
}

std::string address_order(const AddressKey& a) {
  return a.end.text() + " " + a.address.text();
}

std::string route_text(const RouteKey& r) {
  return r.node + " " + r.dst.text();
}

std::string sysctl_text(const NodeKey& s) {
  return s.first + " " + s.second;
}

std::string node_object_text(const NodeKey& object) {
  // A file with an absolute path (in a directory of the node's own): "r1:/etc/frr/frr.conf".
  return object.first + (object.second.rfind('/', 0) == 0 ? ":" : "/") + object.second;
}

}  // namespace topo
