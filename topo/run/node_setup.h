// node_setup.h - the files and processes of a lab's nodes: hosts, /etc/netns links, node
// directories, exec: commands and daemons. Used by the system backend.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "topo/entry/cgroup.h"
#include "topo/entry/places.h"
#include "topo/model/lab.h"
#include "topo/model/model.h"
#include "topo/run/runner.h"
#include "topo/run/state.h"

namespace topo {

void write_hosts(const LabDirs& dirs, const std::string& content);

// /etc/netns/<netns> -> the lab's etc directory: `ip netns exec` and topo bind its hosts file
// over /etc/hosts. One symlink per node, whatever the lab's size.
// A link that is there already and points at the lab's etc directory is kept.
void link_etc(const LabDirs& dirs, const std::string& netns);
// Whether /etc/netns/<netns> is a symlink to the lab's etc directory (whoever made it: it is
// the link the lab would make).
bool etc_link_is_labs(const LabDirs& dirs, const std::string& netns);
enum class Unlinked { yes, absent, not_ours };
Unlinked unlink_etc(const LabDirs& dirs, const std::string& netns);

// $TOPO_NODE_DIR and the node's private directories (mounts/<node>/<target>, owned as the file
// says), its files in them (0644, or 0755 for an executable one: each replacing whatever had
// its name; one in a private directory gets its owner), the mount points missing on the host,
// and its env and mounts for the commands that enter it.
void prepare_node(const LabDirs& dirs, const std::string& node, const std::vector<BuiltFile>& files,
                  const std::vector<BuiltMount>& mounts,
                  const std::vector<std::pair<std::string, std::string>>& env);
// A file of the node (a plain name in $TOPO_NODE_DIR, or an absolute path in its private
// directories), read without following a symlink; nullopt when it is not a regular file there.
std::optional<std::string> read_node_file(const LabDirs& dirs, const std::string& node,
                                          const std::string& name);
bool node_file_executable(const LabDirs& dirs, const std::string& node, const std::string& name);
void remove_node_file(const LabDirs& dirs, const std::string& node, const std::string& name);
// Removes the mount points the lab made on the host, last made first (a directory that is not
// empty is left); one that another running lab mounts over is handed to that lab instead.
// Returns what could not be done.
std::vector<std::string> remove_mountpoints(const LabDirs& dirs);

// Runs /bin/sh -c CMD in the node, appending its output to the node's exec.log in
// dirs.log_dir (and to the debug log, line by line). Throws, with the exit status and the last
// lines of the output, when it exits non-zero.
void run_exec(const LabDirs& dirs, const NodeContext& node, const std::string& cmd);

struct Daemon {
  std::string node, name, log;
  pid_t pid = 0;
  std::chrono::steady_clock::time_point started;
  std::optional<cgroup::Cgroup> cgroup;  // where it runs (none: no cgroup hierarchy)
  bool in_background = false;            // its first process exited 0, leaving its children
};
// Returns once a Unix socket at `socket` (a path as the node's commands see it, mounts
// included) accepts a connection, or `exec` exits 0 in the node (tried every 100 ms); throws,
// saying what did not happen, after `timeout_us`. Returns at once with neither.
void wait_before_start(const LabDirs& dirs, const NodeContext& node, const std::string& daemon,
                       const std::string& socket, const std::string& exec, uint64_t timeout_us);
// Starts /bin/sh -c CMD in the node, in a session of its own, its output appended to
// <name>.log in dirs.log_dir.
Daemon start_daemon(const LabDirs& dirs, const NodeContext& node, const std::string& name,
                    const std::string& cmd);
// Waits until each daemon has run for `grace`; throws, with the end of its log, for the first
// one that exits sooner. A daemon whose first process forks into the background and exits 0
// (`zebra -d`) runs while its cgroup has a process.
void watch_daemons(std::vector<Daemon>& daemons, std::chrono::milliseconds grace);

// The last `lines` lines of a file (for messages).
std::string tail_of_file(const std::string& path, size_t lines);

}  // namespace topo
