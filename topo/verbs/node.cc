// `topo node LAB NODE stop|start|restart|pause|resume`: a node's life at run time. Stopping and
// pausing are lifecycle.h's; starting is the lab's one way of configuring a node, converge
// (converge.h), over the node's part of the lab as built.
#include "topo/verbs/node.h"

#include <algorithm>
#include <exception>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "topo/entry/privileges.h"
#include "topo/language/suggest.h"
#include "topo/run/applier.h"
#include "topo/run/lifecycle.h"
#include "topo/run/netlink_backend.h"
#include "topo/verbs/lab.h"
#include "topo/verbs/lab_common.h"

namespace topo {

namespace {

constexpr NodeAction kActions[] = {NodeAction::stop, NodeAction::start, NodeAction::restart,
                                   NodeAction::pause, NodeAction::resume};

// The node's namespace as the journal records it. `host` (the machine's own namespace), a LAN's
// namespace and a name the lab has not are the user's mistakes.
JournalNetns node_record(const OpenLab& lab, const std::string& node) {
  if (node == kHostNode)
    throw InvalidInput(fmt::format(
        "`host` is the machine's own network namespace, not a node of lab {}: topo neither stops "
        "nor pauses it",
        lab.name));
  std::vector<std::string> names;
  for (const JournalNetns& n : lab.journal.netns) {
    if (parse_kind(n.kind) == NodeKind::lan || is_lan_name(n.node)) continue;
    if (n.node == node) return n;
    names.push_back(n.node);
  }
  throw InvalidInput(
      fmt::format("lab {} has no node `{}`{}", lab.name, node, did_you_mean(node, names)));
}

// Why `action` cannot be taken on a node in `state`; "" when it can.
std::string wrong_state(const OpenLab& lab, const std::string& node, NodeAction action,
                        NodeState state) {
  std::string it = fmt::format("node {} of lab {}", node, lab.name);
  auto verb = [&](const char* what) {
    return fmt::format("`topo node {} {} {}`", lab.name, node, what);
  };
  switch (action) {
    case NodeAction::stop:
      if (state == NodeState::stopped) return it + " is stopped already";
      break;
    case NodeAction::start:
      if (state == NodeState::running)
        return fmt::format("{} is running: {} stops and starts it", it, verb("restart"));
      if (state == NodeState::paused)
        return fmt::format("{} is paused: {} continues it, {} starts it afresh", it, verb("resume"),
                           verb("restart"));
      break;
    case NodeAction::restart:
      break;
    case NodeAction::pause:
      if (state == NodeState::paused) return it + " is paused already";
      if (state == NodeState::stopped) return it + " is stopped: it has no process to pause";
      break;
    case NodeAction::resume:
      if (state == NodeState::running) return it + " is not paused: it is running";
      if (state == NodeState::stopped)
        return fmt::format("{} is stopped, not paused: {} starts it", it, verb("start"));
      break;
  }
  return "";
}

void stop(OpenLab& lab, const JournalNetns& n) {
  JournalWriter journal = JournalWriter::append_to(lab.paths.journal);
  // Journaled first: should a step fail, the node is stopped in part, and `start` (or `up`)
  // puts it back all the same.
  journal.node_state(n.node, NodeState::stopped);
  std::vector<pid_t> pids;
  std::vector<std::string> daemons;
  for (const JournalDaemon& d : lab.journal.daemons)
    if (d.node == n.node) {
      pids.push_back(static_cast<pid_t>(d.pid));
      daemons.push_back(d.name);
    }
  // The links first, as when a router dies: its processes can send nothing as they end.
  std::exception_ptr down = on_own_thread([&] { set_interfaces_down(n.netns); });
  stop_node_processes(lab.name, n, pids);
  for (const std::string& d : daemons) journal.daemon_gone(n.node, d);
  if (down) std::rethrow_exception(down);
}

// Whether an action sets or clears an impairment: the link's, which a node's start leaves as it
// is (as set by the file or by `topo impair`).
bool impairs(const Action& a) {
  return std::holds_alternative<SetImpair>(a) || std::holds_alternative<ClearImpair>(a);
}

void start(OpenLab& lab, const JournalNetns& n) {
  Lab part = node_part(built_lab(lab.journal), n.node);
  LabDirs dirs = LabDirs::of(lab.name, lab.journal.header.file);
  Convergence c = compare_with_live(part, part, lab.journal, dirs);
  std::erase_if(c.plan.actions, impairs);
  for (const Change& ch : c.changes) spdlog::debug("{}", change_text(ch));
  JournalWriter journal = JournalWriter::append_to(lab.paths.journal);
  NetlinkBackend backend(c.plan.nodes.size(), dirs);
  std::exception_ptr error = on_own_thread([&] { apply_actions(c.plan, backend, journal); });
  backend.release();
  if (error)
    throw std::runtime_error(fmt::format(
        "node {} of lab {} did not start: {}. It is still stopped: `topo node {} {} start` (or "
        "`topo up`) tries again",
        n.node, lab.name, describe_error(error), lab.name, n.node));
  // The node runs as built: its stopped state and the `topo link` states of its ends go.
  std::optional<JournalState> now = read_journal(lab.paths.journal);
  if (!now) throw std::runtime_error("the journal of lab " + lab.name + " is gone");
  now->node_states.erase(n.node);
  std::erase_if(now->link_states, [&](const auto& entry) {
    std::optional<End> end = End::parse(entry.first);
    return end && end->node == n.node;
  });
  JournalWriter::rewrite(lab.paths.journal, *now);
}

void reread(OpenLab& lab) {
  std::optional<JournalState> now = read_journal(lab.paths.journal);
  if (!now) throw std::runtime_error("the journal of lab " + lab.name + " is gone");
  lab.journal = std::move(*now);
}

}  // namespace

const char* node_action_name(NodeAction action) {
  switch (action) {
    case NodeAction::stop:
      return "stop";
    case NodeAction::start:
      return "start";
    case NodeAction::restart:
      return "restart";
    case NodeAction::pause:
      return "pause";
    case NodeAction::resume:
      return "resume";
  }
  return "?";
}

std::optional<NodeAction> parse_node_action(std::string_view name) {
  for (NodeAction action : kActions)
    if (name == node_action_name(action)) return action;
  return std::nullopt;
}

OpenLab open_lab(const std::string& lab_or_file, const std::string& verb) {
  std::optional<std::string> name = lab_name_of(lab_or_file);
  if (!name) throw Reported{kInvalid};
  require_privileges(verb);
  OpenLab lab{*name, LabPaths::of(kRunDir, *name), {}, std::nullopt};
  // The lock first: an `up` may be writing the journal, a `down` removing the lab.
  lab.lock = LabLock::acquire_existing(lab.paths, lab.name, verb);
  std::optional<JournalState> s;
  if (lab.lock) s = read_journal(lab.paths.journal);
  if (!s || s->header.lab.empty())
    throw std::runtime_error(fmt::format("lab {} is not running", lab.name));
  if (!s->complete) throw std::runtime_error(unfinished_up(*s));
  built_lab(*s);  // throws for a lab an older topo built: it could not be started again
  lab.journal = std::move(*s);
  return lab;
}

NodeState state_of(const OpenLab& lab, const std::string& node) {
  return live_node_state(lab.journal, node);
}

void change_node(OpenLab& lab, const std::string& node, NodeAction action) {
  JournalNetns n = node_record(lab, node);
  bool freezing = action == NodeAction::pause || action == NodeAction::resume;
  if (freezing && parse_kind(n.kind) == NodeKind::bridge)
    throw InvalidInput(fmt::format(
        "node {} of lab {} is a bridge: the kernel forwards its frames, which no process of it "
        "does, so pausing it would stop nothing. `topo node {} {} stop` takes its ports down",
        node, lab.name, lab.name, node));
  NodeState state = state_of(lab, node);
  if (std::string why = wrong_state(lab, node, action, state); !why.empty())
    throw std::runtime_error(why + ": nothing was changed");
  switch (action) {
    case NodeAction::stop:
      stop(lab, n);
      break;
    case NodeAction::start:
      start(lab, n);
      break;
    case NodeAction::restart:
      if (state != NodeState::stopped) {
        stop(lab, n);
        reread(lab);
      }
      start(lab, n);
      break;
    case NodeAction::pause:
      pause_node(lab.name, node);
      JournalWriter::append_to(lab.paths.journal).node_state(node, NodeState::paused);
      break;
    case NodeAction::resume:
      resume_node(lab.name, node);
      JournalWriter::append_to(lab.paths.journal).node_state(node, NodeState::running);
      break;
  }
  reread(lab);
}

int cmd_node(const std::string& lab_or_file, const std::string& node, NodeAction action) {
  auto start = std::chrono::steady_clock::now();
  OpenLab lab = open_lab(lab_or_file, "node");
  change_node(lab, node, action);
  spdlog::info("node {} of lab {} is {} ({} took {:.3f} s)", node, lab.name,
               node_state_name(state_of(lab, node)), node_action_name(action),
               seconds_since(start));
  return kOk;
}

}  // namespace topo
