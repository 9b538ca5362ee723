// entry.h - entering a node as `ip netns exec` does: its network namespace, a private mount
// namespace (/ rslave, a fresh /sys, /etc/netns/<netns>/* bound over /etc/*), a UTS namespace
// named after the node, the TOPO_* variables, the lab directory as working directory; and more:
// the node's own `mounts` in that mount namespace.
//
// No logging or formatting library here: the `topo` front end links this alone, so that
// `topo exec` starts as fast as `ip netns exec` (see front.cc).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "topo/entry/cgroup.h"
#include "topo/entry/places.h"
#include "topo/model/fd.h"

namespace topo {

// A shared hold on a running lab's directory (/run/topo/<lab>), for making something in it.
// `down` removes that directory, journal included, only while it holds it exclusively: under
// this hold, either the journal is there and what is made is removed by a later `down`, or the
// journal is gone and nothing is made (a lab being taken down is not brought back).
class LabDirHold {
 public:
  // Takes the hold; throws std::runtime_error when the lab cannot be held (it is not running,
  // or being taken down), saying so.
  void acquire(const std::string& lab_dir);
  int dir() const { return dir_.get(); }
  void release() { dir_.reset(); }

 private:
  nl::Fd dir_;
};

// Why no command may start in a node now: "" when it may; "node NODE of lab LAB is paused: ..."
// when `topo node LAB NODE pause` froze it (a command would be born frozen and hang).
std::string paused_node_problem(const std::string& lab, const std::string& node);

// Everything entering needs, made beforehand: after a fork only system calls follow.
struct NodeEntry {
  // Held from before the node's directory and cgroup are made until the command is born in its
  // cgroup (release() it then): `down` cannot stop the lab's processes and remove its cgroups
  // in between, and so leave a command (or a cgroup) behind.
  LabDirHold hold;
  nl::Fd netns;
  cgroup::Placement cgroup;  // where the command is started (cgroup::fork_into)
  std::string netns_name, hostname, cwd;
  std::vector<std::string> argv, env;
  std::vector<std::pair<std::string, std::string>> binds;  // /etc/netns/<netns>/X -> /etc/X
  struct Mount {
    std::string source, target;
    bool read_only = false;
    unsigned long flags = 0;  // read-only: the source's nosuid, nodev, noexec kept
  };
  std::vector<Mount> mounts;    // the node's `mounts`, after the binds, parents first
  unsigned long sys_flags = 0;  // /sys read-only where it is
  std::vector<char*> argv_pointers, env_pointers;  // into argv and env

  NodeEntry() = default;
  NodeEntry(const NodeEntry&) = delete;  // the pointers point into this object
  NodeEntry& operator=(const NodeEntry&) = delete;

  // Opens the node's namespace and the cgroup to start the command in (that of `daemon`, or
  // with none the node's cgroup for other commands: see cgroup.h), makes its directory and
  // gathers the rest. Throws std::runtime_error saying what failed, or that the node is paused
  // (paused_node_problem).
  void prepare(const NodeContext& node, const std::vector<std::string>& argv,
               const std::string& daemon = {});
};

// $TOPO_NODE_DIR (and the lab's nodes/ directory), made if need be and opened, under a
// LabDirHold: for a command about to run in the node (a node may have had no need of it until
// now), or files to write there. Throws std::runtime_error ("cannot create PATH: REASON").
nl::Fd make_node_dir(const std::string& node_dir);
// The same under a hold the caller has.
nl::Fd make_node_dir(const LabDirHold& hold, const std::string& node_dir);

// Enters the node and execs the command (looked up in PATH). Returns only when a step failed:
// which one, with errno saying why. Async-signal-safe: fit for a child between fork and exec.
const char* enter_and_exec(const NodeEntry& entry);
inline constexpr const char* kExecStep = "run the command";

// The environment a command in the node gets: ours, then TOPO_*, then the node's env.
std::vector<std::string> node_environment(const NodeContext& node);

// The mounts prepare_node kept for a node (none when it has none); throws std::runtime_error
// when they cannot be read (a command must not run without them: it would write the host's).
std::vector<NodeEntry::Mount> read_node_mounts(const std::string& mounts_file);

// The env prepare_node kept for a node (empty when it has none).
std::vector<std::pair<std::string, std::string>> read_node_env(const LabDirs& dirs,
                                                               const std::string& node);

}  // namespace topo
