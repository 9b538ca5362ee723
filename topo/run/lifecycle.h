// lifecycle.h - a node of a running lab stopped, paused and resumed at run time (`topo node`):
// the kernel's and the processes' side. Starting a node again is converge's (converge.h: a
// stopped node is started as the lab was built); topo/verbs/node.cc decides which is done.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "topo/model/lab.h"
#include "topo/run/journal.h"

namespace topo {

// Sets every interface of the namespace but lo administratively down, so that the peer of each
// veth sees its carrier go (NO-CARRIER), as when a router dies. The namespace, its interfaces
// (and their ifindexes) and IPv4 addresses stay; the kernel itself removes the routes through
// an interface that goes down, and its IPv6 addresses (unless keep_addr_on_down is set).
// Throws nl::Error. Switches no namespace of the calling thread.
void set_interfaces_down(const std::string& netns);

// Stops every process of a node as `down` stops them: its cgroup (daemons, exec: lines and what
// they left, `topo exec`) and, for a lab started before topo used cgroups, the lab's processes in
// its namespace (`netns_inode`) and `daemon_pids`: SIGTERM, SIGKILL after 5 s; a paused
// (frozen) process is killed where it stands. Its cgroup is removed. Throws nl::Error naming
// what survived.
void stop_node_processes(const std::string& lab, const JournalNetns& node,
                         const std::vector<pid_t>& daemon_pids);

// Freezes every process of the node (its cgroup, made if it has none yet, so that a command
// started in it later is frozen too). Throws std::runtime_error when the machine has no
// freezer, or when the processes were not all frozen within 5 s (then they are thawed again).
void pause_node(const std::string& lab, const std::string& node);
// Thaws them; a node that is not frozen is left as it is.
void resume_node(const std::string& lab, const std::string& node);

// A node's state now: stopped as the journal says (`topo node stop`); paused when its cgroup is
// frozen (whoever froze it); else running.
NodeState live_node_state(const JournalState& journal, const std::string& node);

}  // namespace topo
