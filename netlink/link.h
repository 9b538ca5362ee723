// link.h - interfaces and their addresses inside a node's namespace.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "netlink/ip.h"
#include "netlink/netns.h"

namespace nl {

// One end of a veth pair, as it is to be born.
struct VethEnd {
  Netns* netns = nullptr;
  std::string name;
  int ifindex = 0;  // 0: let the kernel choose
  std::optional<Mac> mac;
  bool up = false;
};

// Creates a veth pair with each end directly in its own namespace, names, ifindexes, MACs and
// the MTU folded into one request. `a.up` is honoured at creation; `b.up` needs set_link_up.
void create_veth(const VethEnd& a, const VethEnd& b, std::optional<int> mtu);

void set_link_up(Netns& ns, int ifindex, const std::string& ifname);

// The lowest ifindex no interface of a freshly made namespace has (lo is 1, but loaded tunnel
// modules add fallback devices such as sit0 to every new namespace).
int first_free_ifindex(Netns& ns);

void add_address(Netns& ns, int ifindex, const std::string& ifname, const IpPrefix& address);

}  // namespace nl
