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

#include "netlink/fd.h"

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
  // Waits until nothing lives in it or below, or the deadline passes; whether it is empty.
  bool wait_empty(std::chrono::steady_clock::time_point deadline) const;
  // Removes it and everything below (each must be empty). The reason on failure, else empty.
  std::string remove() const;
  // Makes it (and its parents) if needed, and opens its cgroup.procs for join(). The reason on
  // failure, else empty.
  std::string open_for_joining(nl::Fd& procs) const;
  // Moves this process out, to the `topo` cgroup, if it is in it or below (`topo down` run from
  // a shell in the lab must not kill itself).
  void leave() const;
};

// The cgroups of a lab, its nodes and their processes: nullopt without a hierarchy.
std::optional<Cgroup> lab_cgroup(const std::string& lab);
std::optional<Cgroup> node_cgroup(const std::string& lab, const std::string& node);
// `daemon` empty: the node's cgroup for commands that are not daemons.
std::optional<Cgroup> process_cgroup(const std::string& lab, const std::string& node,
                                     const std::string& daemon);

// Moves the calling process into the cgroup whose cgroup.procs `procs` is. Async-signal-safe:
// fit for a child between fork and exec.
bool join(int procs);

}  // namespace topo::cgroup
