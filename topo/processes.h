// processes.h - finding and stopping the processes a lab started.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <set>
#include <string>
#include <vector>

namespace topo {

// The inode of a process's network namespace, or 0 when it cannot be read.
uint64_t process_netns(pid_t pid);

// The lab's processes: every process in one of its namespaces that topo started (TOPO_LAB=<lab>
// in its environment: exec: commands and their children, daemons, `topo exec`), and every
// journaled daemon pid still in one of them (whatever its environment has become). A process
// somebody else started in a lab namespace is left alone.
std::vector<pid_t> lab_processes(const std::string& lab, const std::set<uint64_t>& netns_ids,
                                 const std::vector<pid_t>& journaled);

// Whether a process exists and is not a zombie.
bool process_alive(pid_t pid);

// Whether a journaled daemon still runs: alive, and in its node's namespace (a pid that was
// reused elsewhere is not it). `netns_id` 0: the namespace is not known.
bool daemon_running(pid_t pid, uint64_t netns_id);

// The live processes of a session (a daemon and what it started: topo starts each daemon in a
// session of its own).
std::vector<pid_t> session_processes(pid_t session);

// SIGTERM to each, then SIGKILL to those still there after `grace`. Children of this process
// are reaped. Returns the pids still alive at the end (none, unless unkillable).
std::vector<pid_t> stop_processes(const std::vector<pid_t>& pids, std::chrono::milliseconds grace);

}  // namespace topo
