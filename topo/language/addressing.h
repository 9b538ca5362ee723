// addressing.h - addresses from the `addressing` pools for whatever the file leaves unaddressed.
//
// Deterministic: the same file gives the same addresses, in file order. A subnet that overlaps
// any address written in the file is skipped, so pool addresses never collide with the file's.
//   p2p       two-endpoint links: one /30 each (/31 with p2p_prefix: 31)
//   lan       LANs (3+ endpoints, or a stub) and bridge segments: one /24 each, hosts .1, .2, ...
//   loopback  one /32 on lo per router that has no loopback
//   ipv6      a /64 per auto-addressed link or segment as well; a /128 per such loopback, from
//             the pool's first /64 (links then start at the second)
#pragma once

#include "topo/language/diag.h"
#include "topo/model/model.h"

namespace topo {

// Fills in addresses; reports an exhausted pool (which, and how many subnets it lacks).
void assign_addresses(Topology& topology, Diagnostics& diagnostics);

// The k-th subnet of length `len` inside `pool` (k counted from 0).
nl::IpPrefix nth_subnet(const nl::IpPrefix& pool, int len, unsigned __int128 k);
// The address `k` inside `subnet`, with the subnet's prefix length.
nl::IpPrefix nth_host(const nl::IpPrefix& subnet, unsigned __int128 k);
// Whether two prefixes share any address.
bool overlaps(const nl::IpPrefix& a, const nl::IpPrefix& b);

}  // namespace topo
