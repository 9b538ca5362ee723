// resolve.h - a loaded file resolved into the lab it asks for (lab.h): every choice topo makes
// for the file is made here, once: the LANs' namespaces and ports, MACs, which end of a veth
// sends the request, each interface's slot, the sysctls a router and IPv6 need, the daemons'
// configs, the hosts file.
#pragma once

#include "topo/model/lab.h"
#include "topo/model/model.h"

namespace topo {

// A topology with diagnostics must not be resolved. Of a lab spread over `hosts`, the part of
// topology.here (its nodes, and of each link to another host a VXLAN end).
Lab resolve(const Topology& topology);

}  // namespace topo
