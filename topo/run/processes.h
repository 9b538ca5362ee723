// processes.h - finding and stopping the processes a lab started.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "topo/entry/cgroup.h"
#include "topo/run/journal.h"

namespace topo {

// The inode of a process's network namespace, or 0 when it cannot be read.
uint64_t process_netns(pid_t pid);

// The lab's processes as a scan of /proc finds them, for a lab started before topo put them in
// cgroups: every process in one of its namespaces that topo started (TOPO_LAB=<lab> in its
// environment: exec: commands and their children, daemons, `topo exec`), and every journaled
// daemon pid still in one of them (whatever its environment has become). A process somebody else
// started in a lab namespace is left alone.
std::vector<pid_t> lab_processes(const std::string& lab, const std::set<uint64_t>& netns_ids,
                                 const std::vector<pid_t>& journaled);

// Whether a process exists and is not a zombie.
bool process_alive(pid_t pid);

// Whether a journaled daemon still runs: a live process in its cgroup (its first process may
// have forked into the background and exited, as `zebra -d` does). A daemon started before topo
// used cgroups: its pid alive, and in its node's namespace (a pid that was reused elsewhere is not
// it); `netns_id` 0: the namespace is not known.
bool daemon_running(const std::string& lab, const JournalDaemon& daemon, uint64_t netns_id);

// The live processes of a session (a daemon started before topo used cgroups, and what it
// started: topo starts each daemon in a session of its own).
std::vector<pid_t> session_processes(pid_t session);

// Stops every process in `cgroups` (and below) and each of `pids`: SIGTERM, then after `grace`
// SIGKILL to what is left (to a cgroup as one step that a fork cannot escape); then removes the
// cgroups. The processes of a frozen cgroup among them (a paused node) are killed at once, before
// the others get their SIGTERM (cgroup::Cgroup::kill_frozen). Children of this process among
// `pids` are reaped. One line for each process or cgroup that survived, or cgroup that could not
// be removed.
std::vector<std::string> stop_processes(const std::vector<cgroup::Cgroup>& cgroups,
                                        std::vector<pid_t> pids, std::chrono::milliseconds grace);

// The cgroups that exist of these (a lab, node or daemon with a cgroup).
std::vector<cgroup::Cgroup> existing(const std::vector<std::optional<cgroup::Cgroup>>& cgroups);

}  // namespace topo
