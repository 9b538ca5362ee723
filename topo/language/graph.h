// graph.h - a lab drawn from its file alone: Graphviz DOT, Mermaid, or SVG through `dot`.
#pragma once

#include <string>

#include "topo/model/model.h"

namespace topo {

// Nodes shaped by kind (router: box, host: ellipse, bridge: box3d), LANs as dashed ellipses,
// the root namespace as a house; links labelled with interface names and addresses at each
// end, and with MTU, `state: down` and impairments in the middle.
std::string to_dot(const Topology& topology);
std::string to_mermaid(const Topology& topology);

}  // namespace topo
