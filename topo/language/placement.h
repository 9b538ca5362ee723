// placement.h - a lab spread over machines (`hosts`): which host each node is on, the VXLAN
// network (VNI) of each link, and what a link between two hosts can carry.
//
// Every host reads the same file and derives the same answers from it, so that each builds its
// own part with no controller: a node is made by the host it is on; a link whose ends are on
// two hosts is, on each, a VXLAN device in its node, tunnelled over the underlay.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "topo/language/diag.h"
#include "topo/model/model.h"

namespace topo {

// VXLAN's own bytes in each packet (outer Ethernet, IP, UDP and VXLAN headers) over an IPv4
// underlay, and over IPv6.
inline constexpr int kVxlanOverhead4 = 50;
inline constexpr int kVxlanOverhead6 = 70;

// The largest MTU a link between hosts a and b carries: the smaller underlay MTU less VXLAN's.
int vxlan_mtu(const Host& a, const Host& b);

// A link's VNI when the file gives none: FNV-1a of "<lab>/<link id>" folded to 24 bits, where
// the id is a LAN's name (`_lan3`, `_core`) or a point-to-point link's two ends in order
// ("r1:eth1|r2:eth1"); 0 becomes 1.
uint32_t derived_vni(const std::string& lab, const std::string& link_id);

// Checks `hosts` and every `host:` against it; gives a node without one the first host; gives
// each link without `vni` its derived one, the next free number on a collision (in file
// order); checks what links between hosts need (one underlay family and port, an MTU that
// fits, no `host:` end). One diagnostic per broken rule.
void place(Topology& topology, Diagnostics& diagnostics);

// The hosts a link's node ends are on, in the order of the file's `hosts`.
std::vector<const Host*> link_hosts(const Topology& topology, const Link& link);

}  // namespace topo
