// link.h - interfaces and their addresses inside a node's namespace.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "netlink/netns.h"
#include "topo/model/ip.h"

namespace nl {

// One end of a veth pair, as it is to be born.
struct VethEnd {
  Netns* netns = nullptr;
  std::string name;
  int ifindex = 0;  // 0: let the kernel choose
  std::optional<Mac> mac;
  bool up = false;
  int master = 0;  // ifindex of a bridge (in netns) this end is born a port of; a's only
};

// Creates a veth pair with each end directly in its own namespace, names, ifindexes, MACs and
// the MTU folded into one request. `a.up` is honoured at creation; b comes up by change_link.
void create_veth(const VethEnd& a, const VethEnd& b, std::optional<int> mtu);

// A VXLAN device, as it is to be born: the request is sent on `underlay`'s socket (the host's
// root namespace, where the device's UDP socket then lives) and the device is born in `netns`.
struct VxlanDevice {
  Netns* netns = nullptr;
  std::string name;
  int ifindex = 0;  // 0: let the kernel choose
  Mac mac{};
  int mtu = 0;
  bool up = false;
  int master = 0;  // ifindex of a bridge in netns it is born a port of
  uint32_t vni = 0;
  IpPrefix local;
  std::vector<IpPrefix> remotes;  // one: its remote; more: an all-zeros FDB entry to each
  int port = 4789;
};
void create_vxlan(Netns& underlay, const VxlanDevice& device);

// Sets a link administratively up or down.
void set_link_state(Netns& ns, int ifindex, const std::string& ifname, bool up);

// One change request: bring a link up and/or make it a port of a bridge (master ifindex).
void change_link(Netns& ns, int ifindex, const std::string& ifname, bool up, int master);

// Creates a Linux bridge, up, with the given ifindex (0: the kernel chooses).
void create_bridge(Netns& ns, const std::string& name, int ifindex);

// The ifindex of an interface, asked of the kernel (for the few topo did not number itself).
int ifindex_of(Netns& ns, const std::string& ifname);

// Deletes an interface if it still has the MAC topo gave it; false when it is absent, or is
// somebody else's (another MAC). Deleting a veth end deletes its peer too.
Deleted delete_link_with_mac(Netns& ns, const std::string& ifname, const Mac& mac);

// The lowest ifindex no interface of a freshly made namespace has (lo is 1, but loaded tunnel
// modules add fallback devices such as sit0 to every new namespace).
int first_free_ifindex(Netns& ns);

void add_address(Netns& ns, int ifindex, const std::string& ifname, const IpPrefix& address);
void delete_address(Netns& ns, int ifindex, const std::string& ifname, const IpPrefix& address);

// Changes an existing interface in place (same ifindex): each field that is set.
struct LinkChange {
  std::optional<int> mtu;
  std::optional<Mac> mac;
  std::optional<bool> up;
};
void modify_link(Netns& ns, int ifindex, const std::string& ifname, const LinkChange& change);

}  // namespace nl
