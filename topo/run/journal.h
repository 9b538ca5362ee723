// journal.h - the append-only record of what a lab created, written before each creation.
//
// One JSON object per line. `up` appends a record for each kernel object before it makes it,
// a batch of records in one write(), so that after a kill -9 at any point `down` knows every
// object that may exist. A torn last line (the kill fell inside a write) is ignored.
//
// Version 3: a `built` record holds the whole lab an `up` builds (model/lab.h, as JSON: see
// run/lab_json.h), written before its first creation, so that what a running lab was built from
// is read, never recomputed. A `node-state` record (`topo node`) says that a node was stopped or
// paused, or runs again; it came later within version 3, whose readers pass over a type they do
// not know (a topo without `topo node` then sees every node running). Version 2 (still read): a
// namespace's identity is its cookie, device and inode, recorded by the thread that made it
// before the namespace is bound at its name. Version 1 (still read) recorded the inode alone,
// after the whole batch. A journal of any other version (or of none) is refused: it cannot be
// told from a misread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "netlink/netns.h"
#include "topo/model/fd.h"
#include "topo/model/hash.h"
#include "topo/model/lab.h"

namespace topo {

inline constexpr int kJournalVersion = 3;
inline constexpr int kOldestJournalVersion = 1;  // the oldest read

struct JournalHeader {
  std::string lab;
  std::string prefix;
  std::string file;       // absolute path of the topology file ("<stdin>" when read from stdin)
  std::string file_hash;  // of the file's bytes, to tell an unchanged file
  int64_t pid = 0;
  int64_t started = 0;  // unix seconds
};

struct JournalNetns {
  std::string netns;
  std::string node;
  nl::NetnsId id;    // unknown: `up` died before the namespace was bound at its name
  std::string kind;  // host, router, bridge; "lan" for a LAN's own namespace
};

struct JournalVeth {
  std::string a, b;  // "node:iface"
};

// A veth end in the root namespace: removed by name on down, if it still has its MAC.
struct JournalHostLink {
  std::string iface;
  std::string mac;
};

struct JournalDaemon {
  std::string node, name;
  int64_t pid = 0;
};

struct JournalState {
  JournalHeader header;
  int version = kJournalVersion;  // the header's: 1 and 2 hold no lab as built
  std::string written_by;         // the topo that wrote the journal ("" before version 3)
  // The lab as the last `up` that finished built it (its `built` record, followed by a
  // `complete` one). nullopt: the journal has none (version 1 or 2: the lab was built by an
  // older topo; or no `up` of it finished).
  std::optional<Lab> built;
  // The lab an `up` was building and did not finish (killed, or failed without its rollback):
  // a first `up` (then `built` is nullopt), or a change to a running lab (then the lab is
  // between `built` and this). nullopt: none.
  std::optional<Lab> building;
  std::vector<JournalNetns> netns;
  std::vector<JournalVeth> veths;
  std::vector<JournalHostLink> host_links;
  std::vector<std::string> etc_links;  // /etc/netns/<netns> symlinks
  bool etc_dir_made = false;           // /etc/netns did not exist before this lab
  std::vector<JournalDaemon> daemons;
  std::map<std::string, std::string> impairments;  // "node:iface" -> its impairment ("": none)
  std::map<std::string, bool> link_states;         // "node:iface" -> set up (true) or down
  std::map<std::string, NodeState> node_states;    // node -> stopped or paused (none: running)
  bool complete = false;                           // `up` finished
  size_t nodes = 0, links = 0;                     // as the complete record counts them
};

class JournalWriter {
 public:
  // Creates the journal (it must not exist) and writes its header.
  static JournalWriter create(const std::string& path, const JournalHeader& header);

  // The lab an `up` builds, whole: before its first creation, in one write. It counts as built
  // when a `complete` record follows it (rewrite, after a change, writes both).
  void built(const Lab& lab);

  void netns(const std::vector<JournalNetns>& batch);  // before creating them
  // A new namespace's identity, before it is bound at its name. One write: the threads that
  // make namespaces may call it at once.
  void netns_id(const std::string& netns, const nl::NetnsId& id) const;
  void veths(const std::vector<JournalVeth>& batch, const std::vector<JournalHostLink>& host);
  // Before linking /etc/netns/<netns> for each; `dir_exists`: whether /etc/netns did.
  void etc_links(const std::vector<std::string>& netns, bool dir_exists);
  void daemon(const JournalDaemon& daemon);  // after it started
  // What an end has been set to (at up, or at run time by `topo impair` / `topo link`).
  void impairment(const std::string& end, const std::string& text);
  void link_state(const std::string& end, bool up);
  // What `topo node` made of a node (after it did).
  void node_state(const std::string& node, NodeState state);

  // What a change to a running lab removed (after removing it).
  void netns_gone(const std::string& netns);
  void veth_gone(const std::string& a, const std::string& b);
  void host_link_gone(const std::string& iface);
  void etc_link_gone(const std::string& netns);
  void daemon_gone(const std::string& node, const std::string& name);

  // Appends to the journal of a running lab (the caller holds the lab's lock).
  static JournalWriter append_to(const std::string& path);
  void complete(size_t nodes, size_t links);

  // Replaces the journal with one that holds `state` alone (written beside it, then renamed
  // over it): after a running lab was changed, the records of what it removed go. After a
  // change has settled, state.built is what was wanted (and state.complete is set: a `built`
  // lab is one whose `up` completed, so a state with `built` and not `complete` is refused),
  // and state.building is nullopt.
  static void rewrite(const std::string& path, const JournalState& state);

 private:
  JournalWriter(std::string path, nl::Fd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  void write_lines(const std::string& lines) const;
  std::string path_;
  nl::Fd fd_;
};

// A node's state as the journal records it: running unless `topo node` stopped or paused it.
NodeState node_state(const JournalState& state, const std::string& node);

// Reads a journal; nullopt when there is none. Throws std::runtime_error when it is unreadable
// or damaged (a line that is not a record, other than a torn last one; a record whose fields are
// not what its type says; no header) — unless `damaged_lines` is given (`down --force`): then
// every record that can be read counts, and the numbers of the lines that cannot go there. A
// header of a version this topo does not read is an error even then.
std::optional<JournalState> read_journal(const std::string& path,
                                         std::vector<size_t>* damaged_lines = nullptr);

}  // namespace topo
