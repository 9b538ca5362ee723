#include "topo/model/model.h"

namespace topo {

const char* kind_name(NodeKind kind) {
  switch (kind) {
    case NodeKind::host:
      return "host";
    case NodeKind::router:
      return "router";
    case NodeKind::bridge:
      return "bridge";
    case NodeKind::lan:
      return "lan";
  }
  return "?";
}

std::optional<NodeKind> parse_kind(std::string_view name) {
  for (NodeKind kind : {NodeKind::host, NodeKind::router, NodeKind::bridge, NodeKind::lan})
    if (name == kind_name(kind)) return kind;
  return std::nullopt;
}

const Node* Topology::find_node(const std::string& name) const {
  for (const Node& n : nodes)
    if (n.name == name) return &n;
  return nullptr;
}

}  // namespace topo
