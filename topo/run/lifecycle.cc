#include "topo/run/lifecycle.h"

#include <errno.h>

#include <stdexcept>

#include <fmt/format.h>

#include "netlink/error.h"
#include "netlink/link.h"
#include "netlink/netns.h"
#include "netlink/query.h"
#include "topo/entry/cgroup.h"
#include "topo/run/processes.h"

namespace topo {

namespace {

// What a process gets between SIGTERM and SIGKILL: as `down` gives it.
constexpr std::chrono::seconds kGrace{5};
// How long the processes of a node may take to freeze.
constexpr std::chrono::seconds kFreezeLimit{5};

}  // namespace

void set_interfaces_down(const std::string& netns) {
  nl::Netns ns = nl::Netns::open(netns);
  for (const nl::LinkState& l : nl::list_links(ns))
    if (l.name != "lo" && l.admin_up) nl::set_link_state(ns, l.ifindex, l.name, false);
}

void stop_node_processes(const std::string& lab, const JournalNetns& node,
                         const std::vector<pid_t>& daemon_pids) {
  std::vector<pid_t> pids =
      node.id.known() ? lab_processes(lab, {node.id.inode}, daemon_pids) : std::vector<pid_t>{};
  std::vector<std::string> failures =
      stop_processes(existing({cgroup::node_cgroup(lab, node.node)}), pids, kGrace);
  if (!failures.empty())
    throw nl::Error(node.netns, "node " + node.node, "stop the processes of", EBUSY,
                    fmt::format("{}", fmt::join(failures, "; ")));
}

void pause_node(const std::string& lab, const std::string& node) {
  std::optional<cgroup::Cgroup> group = cgroup::node_cgroup(lab, node);
  if (!group)
    throw std::runtime_error(
        "pausing a node needs a cgroup freezer (cgroup v2, or cgroup v1's freezer hierarchy), "
        "and this machine has none");
  // Made with the cgroup commands are started in: a command started later is born frozen.
  cgroup::Placement placement;
  if (std::optional<cgroup::Cgroup> commands = cgroup::process_cgroup(lab, node, ""))
    commands->open_placement(placement);
  if (group->freeze(kFreezeLimit)) return;
  group->thaw();
  throw std::runtime_error(fmt::format(
      "the processes of node {} did not all freeze within {} s (one in uninterruptible sleep?): "
      "they are running again",
      node, kFreezeLimit.count()));
}

void resume_node(const std::string& lab, const std::string& node) {
  std::optional<cgroup::Cgroup> group = cgroup::node_cgroup(lab, node);
  if (group && group->exists()) group->thaw();
}

NodeState live_node_state(const JournalState& journal, const std::string& node) {
  NodeState recorded = node_state(journal, node);
  if (recorded == NodeState::stopped) return recorded;
  std::optional<cgroup::Cgroup> group = cgroup::node_cgroup(journal.header.lab, node);
  return group && group->frozen() ? NodeState::paused : NodeState::running;
}

}  // namespace topo
