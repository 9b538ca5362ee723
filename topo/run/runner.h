// runner.h - processes inside a node: the namespace, mounts, hostname, environment and working
// directory that `ip netns exec` users expect, for exec:, daemons:, tests and `topo exec`.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "topo/entry/places.h"

namespace topo {

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH
  int stdin_fd = -1;              // -1: inherit
  int stdout_fd = -1;
  int stderr_fd = -1;
  bool new_session = false;  // setsid(): a process group of its own, no controlling terminal
  std::string daemon = {};   // the daemon it is, whose cgroup it joins; empty: not a daemon
};

// Forks a child that joins the lab's cgroup for it (cgroup.h) and the node's network namespace,
// gets a private mount namespace as `ip netns exec` makes it (/ rslave, a fresh /sys,
// /etc/netns/<netns>/* bound over /etc/*), a UTS namespace whose hostname is the node's name, the
// TOPO_* variables and the node's env, starts in TOPO_LAB_DIR and execs argv directly. Throws
// std::runtime_error, with the reason, when any of that fails before the command starts (the child
// is reaped then).
pid_t spawn_in_node(const NodeContext& node, const SpawnOptions& options);

// Waits for a child: its exit status, or 128+N after signal N.
int wait_exit_status(pid_t pid);

struct Captured {
  int status = -1;  // exit status, 128+N after signal N
  std::string out, err;
  bool timed_out = false;    // killed (with its session) at the deadline
  bool interrupted = false;  // killed (with its session) when `stop` was set
};
// Runs argv in the node, stdin from /dev/null, and collects stdout and stderr; past `deadline`
// the command and everything it started are killed; so too as soon as `stop` (if given) is set.
Captured run_captured(const NodeContext& node, const std::vector<std::string>& argv,
                      std::chrono::steady_clock::time_point deadline,
                      const std::atomic<bool>* stop = nullptr);

}  // namespace topo
