#include "topo/run/lab_json.h"

#include <stdexcept>
#include <string>

namespace {

[[noreturn]] void misread(const char* what, const nlohmann::json& j) {
  throw std::runtime_error(std::string("not ") + what + ": " + j.dump());
}

}  // namespace

NLOHMANN_JSON_NAMESPACE_BEGIN

void adl_serializer<nl::Mac>::to_json(json& j, const nl::Mac& mac) {
  j = nl::mac_text(mac);
}

void adl_serializer<nl::Mac>::from_json(const json& j, nl::Mac& mac) {
  std::optional<nl::Mac> parsed =
      j.is_string() ? nl::parse_mac(j.get<std::string>()) : std::nullopt;
  if (!parsed) misread("a MAC", j);
  mac = *parsed;
}

NLOHMANN_JSON_NAMESPACE_END

namespace nl {

void to_json(nlohmann::json& j, const IpPrefix& prefix) {
  if (prefix.family == 0)
    j = nullptr;
  else
    j = prefix.text();
}

void from_json(const nlohmann::json& j, IpPrefix& prefix) {
  if (j.is_null()) {
    prefix = {};
    return;
  }
  std::optional<IpPrefix> parsed =
      j.is_string() ? IpPrefix::parse(j.get<std::string>()) : std::nullopt;
  if (!parsed) misread("an address with its prefix length", j);
  prefix = *parsed;
}

}  // namespace nl

namespace topo {

void to_json(nlohmann::json& j, NodeKind kind) {
  j = kind_name(kind);
}

void from_json(const nlohmann::json& j, NodeKind& kind) {
  std::optional<NodeKind> parsed = j.is_string() ? parse_kind(j.get<std::string>()) : std::nullopt;
  if (!parsed) misread("a node kind", j);
  kind = *parsed;
}

void to_json(nlohmann::json& j, IfaceType type) {
  j = iface_type_name(type);
}

void from_json(const nlohmann::json& j, IfaceType& type) {
  for (IfaceType t : {IfaceType::lo, IfaceType::veth, IfaceType::bridge, IfaceType::vxlan})
    if (j.is_string() && j.get<std::string>() == iface_type_name(t)) {
      type = t;
      return;
    }
  misread("an interface type", j);
}

void to_json(nlohmann::json& j, const End& end) {
  j = end.text();
}

void from_json(const nlohmann::json& j, End& end) {
  std::optional<End> parsed = j.is_string() ? End::parse(j.get<std::string>()) : std::nullopt;
  if (!parsed) misread("an end (node:iface)", j);
  end = *parsed;
}

std::string lab_json_text(const Lab& lab) {
  if (lab.nodes.empty()) return nlohmann::json(lab).dump();  // left out, as a default
  std::string text =
      nlohmann::json(
          Lab{lab.name, lab.prefix, {}, lab.host_ifaces, lab.links, lab.hosts, lab.file_links, lab.host})
          .dump();
  text.pop_back();  // the object's closing brace: the nodes go before it
  text += text.size() > 1 ? R"(,"nodes":[)" : R"("nodes":[)";
  for (size_t i = 0; i < lab.nodes.size(); i++) {
    if (i) text += ',';
    text += nlohmann::json(lab.nodes[i]).dump();
  }
  text += "]}";
  return text;
}

}  // namespace topo
