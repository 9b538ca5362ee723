// query.h - what a namespace has now, read from the kernel (for status, ping and drift).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "netlink/netns.h"
#include "topo/model/ip.h"

namespace nl {

struct LinkState {
  std::string name;
  int ifindex = 0;
  std::string kind;       // "veth", "bridge", "" for lo
  bool admin_up = false;  // IFF_UP
  std::string operstate;  // "up", "down", "lowerlayerdown", "unknown", ...
  std::string mac;        // "" when none
  int mtu = 0;
  int peer_ifindex = 0;  // a veth's peer (in the peer's namespace)
  int master = 0;        // the bridge it is a port of
  uint64_t rx_packets = 0, tx_packets = 0;
  std::vector<IpPrefix> addresses;  // global and host scope; link-local left out
};

// Every interface of the namespace with its addresses: one link dump and one address dump.
std::vector<LinkState> list_links(Netns& ns);

}  // namespace nl
