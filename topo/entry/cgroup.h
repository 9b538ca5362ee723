// cgroup.h - the lab's cgroups. Every process a lab starts lives in one, so that a process cannot
// leave the lab by clearing its environment, joining another namespace or forking fast:
//
//   <hierarchy>/topo/lab-<lab>/node-<node>/daemon-<name>   a daemon and everything it starts
//   <hierarchy>/topo/lab-<lab>/node-<node>/commands        exec: lines, topo exec, tests, ping
//
// <hierarchy> is cgroup v2 where it is mounted (/sys/fs/cgroup; /sys/fs/cgroup/unified on a
// hybrid machine), else cgroup v1's freezer hierarchy. The prefixes keep names apart from the
// kernel's own files (a node named `tasks`, a daemon named `cgroup.procs`).
//
// No logging or formatting library here: the `topo` front end links this (see entry.h).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "topo/model/fd.h"

namespace topo::cgroup {

struct Hierarchy {
  std::string mount;  // where it is mounted
  bool v2 = true;     // false: cgroup v1's freezer
};

// The hierarchy of a /proc/self/mountinfo text: the first cgroup2 mount, else the first v1
// mount with the freezer controller.
std::optional<Hierarchy> hierarchy_in_mountinfo(const std::string& mountinfo);
// This machine's, looked up once: the usual places first (a statfs each), then
// /proc/self/mountinfo (long where a big lab has mounted thousands of namespaces).
const std::optional<Hierarchy>& hierarchy();

// Where a new process of the lab goes: a cgroup's directory (for clone3's CLONE_INTO_CGROUP, on
// cgroup v2) and its cgroup.procs (for a process that moves itself there). Neither open: no
// cgroup hierarchy on this machine.
struct Placement {
  nl::Fd dir, procs;
  bool valid() const { return procs.valid(); }
};

// One cgroup: a directory of a hierarchy.
struct Cgroup {
  Hierarchy hierarchy;
  std::string path;

  Cgroup child(const std::string& name) const { return {hierarchy, path + "/" + name}; }
  bool exists() const;
  // A live process in it or below (zombies do not count).
  bool populated() const;
  // The processes in it and below.
  std::vector<pid_t> processes() const;
  // Sends `signal` to each process in it and below.
  void signal(int signal) const;
  // SIGKILL to everything in it and below, in one step that a fork cannot escape: cgroup.kill
  // (cgroup v2, Linux 5.14), else frozen, each process killed, thawed.
  void kill() const;
  // The freezer (cgroup v2 cgroup.freeze, v1 freezer.state), as `docker pause` uses it: every
  // process in it and below stops (as with SIGSTOP, but a process that forks meanwhile cannot
  // escape, and none sees a signal). freeze() waits until they all are (at most `limit`);
  // false when they were not by then (a process in uninterruptible sleep). Throws
  // std::runtime_error when the freezer cannot be written.
  bool freeze(std::chrono::milliseconds limit) const;
  void thaw() const;
  // Whether it was frozen itself (freeze()), not only as a part of a frozen parent.
  bool frozen() const;
  // Every process in a frozen cgroup of it or below (itself included) killed where it stands,
  // then thawed, so that it dies without running again: a frozen process sees no SIGTERM, and
  // thawing it first would let it run (and send what it sends) once more.
  void kill_frozen() const;
  // Waits until nothing lives in it or below, or the deadline passes; whether it is empty.
  bool wait_empty(std::chrono::steady_clock::time_point deadline) const;
  // Removes it and everything below (each must be empty). Throws std::runtime_error ("cannot
  // remove cgroup PATH: REASON") when it cannot.
  void remove() const;
  // Makes it (and its parents) if needed, and opens it for fork_into(). Throws
  // std::runtime_error saying what could not be made or opened.
  void open_placement(Placement& placement) const;
  // Moves this process out of it, to the `topo` cgroup (`topo down` run from a shell in the lab
  // must not kill itself).
  void leave() const;
};

// The cgroups of a lab, its nodes and their processes: nullopt without a hierarchy.
std::optional<Cgroup> lab_cgroup(const std::string& lab);
std::optional<Cgroup> node_cgroup(const std::string& lab, const std::string& node);
// `daemon` empty: the node's cgroup for commands that are not daemons.
std::optional<Cgroup> process_cgroup(const std::string& lab, const std::string& node,
                                     const std::string& daemon);

// Forks a child in the cgroup of `into` (or anywhere when it is not valid): born there with
// clone3's CLONE_INTO_CGROUP (cgroup v2, Linux 5.7), else forked and moved by the child itself
// writing to cgroup.procs — which waits for an RCU grace period (some 10 ms here), where being born
// there costs nothing. As fork(): the child's pid, 0 in the child, -1 and errno. In the child,
// `joined` is false when that write failed (errno says why). The child runs a raw clone: only
// system calls until it execs.
pid_t fork_into(const Placement& into, bool& joined);

// Moves the calling process into the cgroup whose cgroup.procs `procs` is. Async-signal-safe.
bool join(int procs);

}  // namespace topo::cgroup
