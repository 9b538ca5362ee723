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

const char* node_action_name(NodeAction action) {
  switch (action) {
    case NodeAction::stop:
      return "stop";
    case NodeAction::start:
      return "start";
    case NodeAction::restart:
      return "restart";
    case NodeAction::pause:
      return "pause";
    case NodeAction::resume:
      return "resume";
  }
  return "?";
}

std::optional<NodeAction> parse_node_action(std::string_view name) {
  for (NodeAction action : {NodeAction::stop, NodeAction::start, NodeAction::restart,
                            NodeAction::pause, NodeAction::resume})
    if (name == node_action_name(action)) return action;
  return std::nullopt;
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

const Host* Topology::find_host(const std::string& name) const {
  for (const Host& h : hosts)
    if (h.name == name) return &h;
  return nullptr;
}

const Node* Topology::find_node(const std::string& name) const {
  for (const Node& n : nodes)
    if (n.name == name) return &n;
  return nullptr;
}

}  // namespace topo
