// node.h - `topo node LAB NODE stop|start|restart|pause|resume`: one node of a running lab
// stopped and started, or paused and resumed, at run time. What a scenario runs in-process, the
// lab's lock held, as the verb runs it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "topo/model/lab.h"
#include "topo/run/journal.h"
#include "topo/run/state.h"

namespace topo {

enum class NodeAction { stop, start, restart, pause, resume };
const char* node_action_name(NodeAction action);  // "stop", "start", ...
std::optional<NodeAction> parse_node_action(std::string_view name);

// A running lab held under its lock, its journal read under it.
struct OpenLab {
  std::string name;
  LabPaths paths;
  JournalState journal;
  std::optional<LabLock> lock;  // held by this object; none when the caller holds the lock
};

// Takes the lab's lock (saying `verb` holds it) and reads its journal. Throws Reported{2} when
// LAB is neither a lab's name nor a file (said already); std::runtime_error when the lab is not
// running, is busy, or was not finished or built by this topo.
OpenLab open_lab(const std::string& lab_or_file, const std::string& verb);

// A node's state now (the journal, and its cgroup's freezer): cheap, no netlink.
NodeState state_of(const OpenLab& lab, const std::string& node);

// Takes a node of the lab from one state to another, and journals it; lab.journal is read again
// afterwards. stop: running or paused -> stopped (a paused node's processes are killed where they
// stand); start: stopped -> running, as the lab was built (converged, the node alone); restart:
// stop then start (a stopped node is started); pause: running -> paused; resume: paused ->
// running. Throws InvalidInput (exit 2) for a node the lab has not, `host`, or a bridge node
// asked to pause or resume; std::runtime_error (exit 1), with nothing changed, for a node in
// another state than the action needs, and for a failure of the kernel or of processes.
void change_node(OpenLab& lab, const std::string& node, NodeAction action);

// The verb: the lab's lock taken, change_node, a line saying what became of the node.
int cmd_node(const std::string& lab_or_file, const std::string& node, NodeAction action);

}  // namespace topo
