// lab_index.h - a Lab's objects found by what names them, for comparing labs (converger.h):
// pointers into the Lab, which must outlive the index.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include "topo/model/lab.h"

namespace topo {

inline constexpr int kVethMtu = 1500;  // a veth's MTU when the file gives none

// The MTU an interface is compared by: a veth without one in the file has the kernel's 1500.
int compared_mtu(const BuiltIface& iface);

using nl::PrefixLess;

// A veth pair, whichever end sent the request: its ends in order.
using LinkKey = std::pair<End, End>;
LinkKey link_key(const End& a, const End& b);

struct AddressKey {
  End end;
  nl::IpPrefix address;
  bool operator<(const AddressKey& o) const {
    return end != o.end ? end < o.end : PrefixLess{}(address, o.address);
  }
};

struct RouteKey {
  std::string node;
  nl::IpPrefix dst;  // the destination's network (host bits cleared)
  bool operator<(const RouteKey& o) const {
    return node != o.node ? node < o.node : PrefixLess{}(dst, o.dst);
  }
};

// A node's sysctl (by key), file or daemon (by name).
using NodeKey = std::pair<std::string, std::string>;

// When a lab names an object twice, the last one counts.
struct LabIndex {
  explicit LabIndex(const Lab& lab);

  const Lab& lab;
  std::map<std::string, const BuiltNode*, std::less<>> nodes;  // LANs' too; not the root
  std::map<End, const BuiltIface*> ifaces;                     // the root namespace's as host:IFACE
  std::map<LinkKey, const BuiltLink*> links;
  std::set<AddressKey> addresses;
  std::map<RouteKey, const BuiltRoute*> routes;
  std::map<NodeKey, const std::string*> sysctls;  // the value
  std::map<NodeKey, const BuiltFile*> files;
  std::map<NodeKey, const BuiltDaemon*> daemons;

  // Null (false) when the lab has none.
  const BuiltNode* node(std::string_view name) const;
  const BuiltIface* iface(const End& end) const;
  const BuiltLink* link(const End& a, const End& b) const;
  bool has_address(const End& end, const nl::IpPrefix& address) const;
  const BuiltRoute* route(const std::string& node, const nl::IpPrefix& dst) const;
  const std::string* sysctl(const std::string& node, const std::string& key) const;
  const BuiltFile* file(const std::string& node, const std::string& name) const;
  const BuiltDaemon* daemon(const std::string& node, const std::string& name) const;
  bool etc_link(const std::string& node) const;
};

// How changes name objects, and the order removals are listed (and made) in: by these texts.
std::string link_text(const End& a, const End& b);    // "r1:eth1 <-> r2:eth1", in text order
std::string address_text(const AddressKey& a);        // "10.1.0.1/29 on r1:eth1"
std::string address_order(const AddressKey& a);       // "r1:eth1 10.1.0.1/29"
std::string route_text(const RouteKey& r);            // "r1 10.9.0.0/16"
std::string sysctl_text(const NodeKey& s);            // "r1 net.ipv4.ip_forward"
// "r2/bgpd", "r1/frr.conf", "r1:/etc/frr/frr.conf"
std::string node_object_text(const NodeKey& object);

}  // namespace topo
