// journal_records.h - the journal's records as JSON (journal.h): the type of each line (its "t")
// and the fields under it, for the writer (journal.cc) and the reader (journal_read.cc) alone.
//
// The field names are the on-disk format, read back from every version: keep them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "topo/run/journal.h"

namespace topo::journal {

// Each record's "t".
inline constexpr const char* kHeader = "lab";
inline constexpr const char* kBuilt = "built";  // {"lab": a Lab (lab_json.h)}
inline constexpr const char* kNetns = "netns";
inline constexpr const char* kNetnsId = "netns-id";
inline constexpr const char* kVeth = "veth";
inline constexpr const char* kHostLink = "host-link";
inline constexpr const char* kEtcDir = "etc-dir";  // no fields
inline constexpr const char* kEtcLink = "etc-link";
inline constexpr const char* kDaemon = "daemon";
inline constexpr const char* kImpair = "impair";
inline constexpr const char* kLinkState = "link-state";
inline constexpr const char* kNodeState = "node-state";
inline constexpr const char* kComplete = "complete";
inline constexpr const char* kNetnsGone = "netns-gone";
inline constexpr const char* kVethGone = "veth-gone";
inline constexpr const char* kHostLinkGone = "host-link-gone";
inline constexpr const char* kEtcLinkGone = "etc-link-gone";
inline constexpr const char* kDaemonGone = "daemon-gone";

// The header, as written (JournalHeader calls the hash file_hash).
struct Header {
  std::string lab, prefix, file, hash;
  int64_t pid = 0, started = 0;
  int version = 0;   // checked before the rest is read (journal_read.cc)
  std::string topo;  // the topo that wrote it (version and commit); "" before version 3
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Header, lab, prefix, file, hash, pid, started,
                                                version, topo)

// A namespace's identity: its cookie, device and inode. Version 1 wrote the inode alone, as "id".
struct NetnsIdRecord {
  std::string netns;
  nl::NetnsId id;
};
inline void to_json(nlohmann::json& j, const NetnsIdRecord& r) {
  j = {{"netns", r.netns}, {"cookie", r.id.cookie}, {"dev", r.id.dev}, {"ino", r.id.inode}};
}
inline void from_json(const nlohmann::json& j, NetnsIdRecord& r) {
  r.netns = j.value("netns", "");
  if (j.contains("ino"))
    r.id = {j.value("cookie", uint64_t{0}), j.value("dev", uint64_t{0}),
            j.value("ino", uint64_t{0})};
  else
    r.id = {0, 0, j.value("id", uint64_t{0})};
}

struct NetnsRef {  // etc-link, netns-gone, etc-link-gone
  std::string netns;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(NetnsRef, netns)

struct HostLinkRef {  // host-link-gone
  std::string iface;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(HostLinkRef, iface)

struct DaemonRef {  // daemon-gone
  std::string node, name;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DaemonRef, node, name)

struct EndImpairment {  // impair: "" for none
  std::string end, text;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(EndImpairment, end, text)

struct EndLinkState {  // link-state
  std::string end;
  bool up = true;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(EndLinkState, end, up)

struct NodeStateRecord {  // node-state: a node_state_name()
  std::string node, state;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(NodeStateRecord, node, state)

struct Counts {  // complete
  size_t nodes = 0, links = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Counts, nodes, links)

// A record's line: its fields and its type.
template <typename Record>
std::string line(const char* type, const Record& record) {
  nlohmann::json j = record;
  j["t"] = type;
  return j.dump() + "\n";
}

}  // namespace topo::journal

namespace topo {

// The records whose fields are JournalState's own.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(JournalNetns, netns, node, kind)  // id: netns-id
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(JournalVeth, a, b)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(JournalHostLink, iface, mac)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(JournalDaemon, node, name, pid)

}  // namespace topo
