#include "topo/model/lab.h"

#include <algorithm>

#include <fmt/format.h>

#include "topo/model/hash.h"

namespace topo {

std::optional<End> End::parse(std::string_view text) {
  size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size())
    return std::nullopt;
  return End{std::string(text.substr(0, colon)), std::string(text.substr(colon + 1))};
}

std::string lan_name(size_t position, std::string_view name) {
  return name.empty() ? fmt::format("_lan{}", position) : fmt::format("_{}", name);
}

bool is_lan_name(std::string_view node) {
  return !node.empty() && node[0] == '_';
}

bool is_numbered_lan(std::string_view node) {
  std::string_view number = node.substr(std::min<size_t>(node.size(), 4));
  return node.substr(0, 4) == "_lan" && !number.empty() &&
         number.find_first_not_of("0123456789") == std::string_view::npos;
}

std::string lan_port_name(size_t member) {
  return fmt::format("p{}", member);
}

nl::Mac default_mac(const std::string& lab, const std::string& node, const std::string& iface,
                    unsigned attempt) {
  uint64_t h = fnv1a(fmt::format("{}/{}/{}#{}", lab, node, iface, attempt));
  // 0x02: locally administered, unicast.
  return {0x02, uint8_t(h >> 32), uint8_t(h >> 24), uint8_t(h >> 16), uint8_t(h >> 8), uint8_t(h)};
}

std::string sysctl_iface(const std::string& key) {
  size_t conf = key.find(".conf.");
  if (conf == std::string::npos) return "";
  size_t end = key.find('.', conf + 6);
  std::string iface = key.substr(conf + 6, end == std::string::npos ? end : end - conf - 6);
  return iface == "all" || iface == "default" ? "" : iface;
}

const char* iface_type_name(IfaceType type) {
  switch (type) {
    case IfaceType::lo:
      return "lo";
    case IfaceType::veth:
      return "veth";
    case IfaceType::bridge:
      return "bridge";
    case IfaceType::vxlan:
      return "vxlan";
    case IfaceType::other:
      return "other";
  }
  return "?";
}

const char* node_state_name(NodeState state) {
  switch (state) {
    case NodeState::running:
      return "running";
    case NodeState::stopped:
      return "stopped";
    case NodeState::paused:
      return "paused";
  }
  return "?";
}

std::optional<NodeState> parse_node_state(std::string_view name) {
  for (NodeState state : {NodeState::running, NodeState::stopped, NodeState::paused})
    if (name == node_state_name(state)) return state;
  return std::nullopt;
}

const BuiltIface* BuiltNode::find_iface(std::string_view iface) const {
  for (const BuiltIface& i : ifaces)
    if (i.name == iface) return &i;
  return nullptr;
}

bool BuiltNode::is_default_sysctl(std::string_view key) const {
  return std::find(default_sysctls.begin(), default_sysctls.end(), key) != default_sysctls.end();
}

const BuiltNode* Lab::find_node(std::string_view node) const {
  for (const BuiltNode& n : nodes)
    if (n.name == node) return &n;
  return nullptr;
}

const BuiltIface* Lab::find_iface(const End& end) const {
  if (end.on_host()) {
    for (const BuiltIface& i : host_ifaces)
      if (i.name == end.iface) return &i;
    return nullptr;
  }
  const BuiltNode* node = find_node(end.node);
  return node ? node->find_iface(end.iface) : nullptr;
}

}  // namespace topo
