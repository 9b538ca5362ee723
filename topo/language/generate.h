// generate.h - `topo generate`: a valid topology of a common shape, as YAML text.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace topo {

// Shapes and their arguments:
//   linear N | ring N | star N | tree DEPTH FANOUT | clos SPINES LEAVES HOSTS_PER_LEAF
//   | grid W H | mesh N
// Nodes that connect others are routers; end hosts are hosts; a star's hub is a bridge.
// Addresses come from pools (p2p 10.0.0.0/8, lan 172.16.0.0/12); there are no static routes:
// neighbours reach each other, and a routing daemon (examples/frr-ospf.yaml) does the rest.
// nullopt, with `error` set, for an unknown shape or arguments out of range.
std::optional<std::string> generate_topology(const std::string& shape,
                                             const std::vector<long>& args, const std::string& name,
                                             std::string& error);

}  // namespace topo
