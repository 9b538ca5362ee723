// lab_json.h - a lab as built (model/lab.h) as JSON, for the journal's `built` record: each
// value's to_json/from_json, through nlohmann's type macros where a struct's fields are the
// format. model/ has no JSON library; its values are given one here.
//
// The field names are the format of journal version 3: renaming a field, changing what one
// holds or its default is a new journal version (journal.h). A field at its default (empty,
// none, zero) is left out, and a field a record lacks reads as its default: a 1000-node lab's
// record is then about half the size, and takes half the time to write. What only a live lab
// has (a namespace's identity, a daemon's pid) is not written: the journal records identities
// in their own records, and a lab as built has no pids.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "topo/model/impairment.h"
#include "topo/model/ip.h"
#include "topo/model/lab.h"

NLOHMANN_JSON_NAMESPACE_BEGIN

// nlohmann 3.11.2 (Debian 12's) has no std::optional: null for none.
template <typename T>
struct adl_serializer<std::optional<T>> {
  static void to_json(json& j, const std::optional<T>& value) {
    if (value)
      j = *value;
    else
      j = nullptr;
  }
  static void from_json(const json& j, std::optional<T>& value) {
    if (j.is_null())
      value.reset();
    else
      value = j.get<T>();
  }
};

// A MAC as its text, "02:00:00:00:00:01" (nl::Mac is a std::array: ADL cannot find nl's
// functions for it).
template <>
struct adl_serializer<nl::Mac> {
  static void to_json(json& j, const nl::Mac& mac);
  static void from_json(const json& j, nl::Mac& mac);
};

NLOHMANN_JSON_NAMESPACE_END

namespace topo::lab_json {

// Whether a field holds its type's default, and so is left out.
template <typename T>
bool is_default(const T& value, const T& default_value) {
  return value == default_value;
}
template <typename T>
bool is_default(const std::vector<T>& value, const std::vector<T>&) {
  return value.empty();
}
template <typename T>
bool is_default(const std::optional<T>& value, const std::optional<T>&) {
  return !value;
}

}  // namespace topo::lab_json

// NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT, writing only the fields not at their
// default (nlohmann's macros write every one).
#define TOPO_JSON_TO_UNLESS_DEFAULT(field)                                                   \
  if (!::topo::lab_json::is_default(nlohmann_json_t.field, nlohmann_json_default_obj.field)) \
    nlohmann_json_j[#field] = nlohmann_json_t.field;
#define TOPO_DEFINE_JSON_LEAVING_DEFAULTS_OUT(Type, ...)                                    \
  inline void to_json(nlohmann::json& nlohmann_json_j, const Type& nlohmann_json_t) {       \
    static const Type nlohmann_json_default_obj{};                                          \
    nlohmann_json_j = nlohmann::json::object();                                             \
    NLOHMANN_JSON_EXPAND(NLOHMANN_JSON_PASTE(TOPO_JSON_TO_UNLESS_DEFAULT, __VA_ARGS__))     \
  }                                                                                         \
  inline void from_json(const nlohmann::json& nlohmann_json_j, Type& nlohmann_json_t) {     \
    const Type nlohmann_json_default_obj{};                                                 \
    NLOHMANN_JSON_EXPAND(NLOHMANN_JSON_PASTE(NLOHMANN_JSON_FROM_WITH_DEFAULT, __VA_ARGS__)) \
  }

namespace nl {

// As its text, "10.1.0.1/30" (host bits kept); null for none (family 0). Text that is not a
// prefix is an error, never a zero address.
void to_json(nlohmann::json& j, const IpPrefix& prefix);
void from_json(const nlohmann::json& j, IpPrefix& prefix);

TOPO_DEFINE_JSON_LEAVING_DEFAULTS_OUT(Impairment, delay_us, jitter_us, loss, duplicate, corrupt,
                                      reorder, rate_bps)

}  // namespace nl

namespace topo {

// Enums and ends as their names: "router", "veth", "a:eth0"; an unknown name is an error.
void to_json(nlohmann::json& j, NodeKind kind);
void from_json(const nlohmann::json& j, NodeKind& kind);
void to_json(nlohmann::json& j, IfaceType type);
void from_json(const nlohmann::json& j, IfaceType& type);
void to_json(nlohmann::json& j, const End& end);
void from_json(const nlohmann::json& j, End& end);

TOPO_DEFINE_JSON_LEAVING_DEFAULTS_OUT(BuiltVxlan, vni, local, remotes, port, peer)
TOPO_DEFINE_JSON_LEAVING_DEFAULTS_OUT(BuiltIface, name, type, mac, mtu, up, master, slot, addresses,
                                      impairment, vxlan)
TOPO_DEFINE_JSON_LEAVING_DEFAULTS_OUT(BuiltRoute::Hop, gateway, dev)
TOPO_DEFINE_JSON_LEAVING_DEFAULTS_OUT(BuiltRoute, dst, hops)
TOPO_DEFINE_JSON_LEAVING_DEFAULTS_OUT(BuiltFile, name, content, executable)
TOPO_DEFINE_JSON_LEAVING_DEFAULTS_OUT(BuiltMount, target, bind, file, read_only, owner)
TOPO_DEFINE_JSON_LEAVING_DEFAULTS_OUT(BuiltDaemon, name, cmd, config, wait_socket, wait_exec,
                                      wait_timeout_us)  // no pid
// default_sysctls came after journal version 3's first topo: a record without them reads as
// every sysctl the file's (put back when changed), as that topo had them.
TOPO_DEFINE_JSON_LEAVING_DEFAULTS_OUT(BuiltNode, name, netns, kind, env, sysctls, default_sysctls,
                                      ifaces, routes, files, mounts, exec, daemons,
                                      etc_link)  // no id
TOPO_DEFINE_JSON_LEAVING_DEFAULTS_OUT(BuiltLink, a, b)
// host and an interface's vxlan came with `hosts` (issue 16), within version 3: a journal
// without them is a lab on one machine, as it was.
TOPO_DEFINE_JSON_LEAVING_DEFAULTS_OUT(Lab, name, prefix, nodes, host_ifaces, links, hosts,
                                      file_links, host)

// The text of json(lab).dump(), but for the order of its fields (the nodes come last), made one
// node's tree at a time: a 1000-node lab as one tree takes twice as long to build and free.
std::string lab_json_text(const Lab& lab);

}  // namespace topo
