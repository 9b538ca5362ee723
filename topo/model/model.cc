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

const char* node_change_name(NodeChange change) {
  switch (change) {
    case NodeChange::stop:
      return "stop";
    case NodeChange::start:
      return "start";
    case NodeChange::restart:
      return "restart";
    case NodeChange::pause:
      return "pause";
    case NodeChange::resume:
      return "resume";
  }
  return "?";
}

const TestCase* Topology::find_test(const std::string& name) const {
  for (const TestCase& t : tests)
    if (t.name == name) return &t;
  return nullptr;
}

const Scenario* Topology::find_scenario(const std::string& name) const {
  for (const Scenario& s : scenarios)
    if (s.name == name) return &s;
  return nullptr;
}

const Node* Topology::find_node(const std::string& name) const {
  for (const Node& n : nodes)
    if (n.name == name) return &n;
  return nullptr;
}

}  // namespace topo
