// hosts.h - the lab's /etc/hosts: every node name, and node-iface, to its addresses.
#pragma once

#include <optional>
#include <string>

#include "topo/model/model.h"

namespace topo {

// One file for the whole lab, shared by every node (each node's /etc/netns/<netns> links to the
// directory that holds it), so per-node work does not grow with the lab:
//   10.0.0.1   r1 r1-lo
//   10.1.0.1   r1-eth1
// A node's name goes on its primary address of each family. An interface already named after
// its node (`r1-eth1` on r1) keeps its own name rather than `r1-r1-eth1`. No name is given
// twice: node names come first, then interfaces in file order, and an interface whose name is
// taken gets node-iface instead (`r1-r1-eth1`), or, when that is taken too, no name.
std::string hosts_file(const Topology& topology);

// A node's primary address of a family: its first loopback address, else the first address of
// its first addressed interface, in file order. AF_UNSPEC: IPv4 if it has one, else IPv6.
std::optional<nl::IpPrefix> primary_address(const Topology& topology, const std::string& node,
                                            int family = 0);

}  // namespace topo
