#include "topo/run/applier.h"

#include "topo/model/impair.h"
#include "topo/model/overloaded.h"

#include <future>
#include <map>
#include <mutex>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace topo {

namespace {

// The end of the run of actions of the same kind as actions[begin].
size_t run_end(const std::vector<Action>& actions, size_t begin) {
  size_t end = begin;
  while (end < actions.size() && actions[end].index() == actions[begin].index()) end++;
  return end;
}

std::string endpoint(const Plan& plan, const IfaceRef& r) {
  return End{plan.nodes[r.node].name, r.name}.text();
}

// With -v, each action as it is taken; otherwise nothing is even formatted (this runs per node
// and per link).
void log_action(const Plan& plan, const Action& action) {
  if (spdlog::should_log(spdlog::level::debug)) spdlog::debug("{}", describe(plan, action));
}

// Carries out one action. A veth end the change removes that has another MAC than the lab gave
// it is not the lab's any more: left alone, as teardown leaves one, and said so.
void apply_one(const Plan& plan, const Action& action, Backend& backend) {
  auto* veth = std::get_if<DeleteVeth>(&action);
  if (!veth) return backend.apply(plan, action);
  if (backend.remove_veth(plan, *veth) != Backend::Removed::not_ours) return;
  const std::string& netns = plan.nodes[veth->iface.node].netns;
  spdlog::warn(
      "left interface {} of {} alone: it is no longer the veth this lab made (its MAC is not "
      "{}); lab {} forgets it",
      veth->iface.name, netns.empty() ? "the root namespace" : "netns " + netns,
      nl::mac_text(veth->mac), plan.lab);
}

// What the journal learns once an action has been applied. A daemon cannot be journaled before
// it exists: its pid comes from starting it (if up dies in between, down still finds it by its
// namespace and its TOPO_LAB). After a removal, the journal forgets what was removed.
void journal_applied(const Plan& plan, const Action& action, Backend& backend,
                     JournalWriter& journal) {
  auto learn = overloaded{
      [&](const StartDaemon& d) {
        journal.daemon({plan.nodes[d.node].name, d.name, backend.last_pid()});
      },
      [&](const SetImpair& i) {
        journal.impairment(endpoint(plan, i.iface), impairment_text(i.impairment));
      },
      [&](const ClearImpair& i) { journal.impairment(endpoint(plan, i.iface), ""); },
      // Removed, or left as not the lab's (apply_one): the lab has it no more either way.
      [&](const DeleteVeth& v) {
        std::string end = endpoint(plan, v.iface);
        journal.veth_gone(end, v.peer);
        journal.veth_gone(v.peer, end);
        for (const std::string& e : {end, v.peer})
          if (std::optional<End> host = End::parse(e); host && host->on_host())
            journal.host_link_gone(host->iface);
      },
      [&](const StopDaemon& d) { journal.daemon_gone(plan.nodes[d.node].name, d.name); },
      [&](const ResumeNode& n) { journal.node_state(plan.nodes[n.node].name, NodeState::running); },
      [&](const DeleteNode& n) {
        journal.etc_link_gone(plan.nodes[n.node].netns);
        journal.netns_gone(plan.nodes[n.node].netns);
      },
      // Journaled before they are made (so that a down after a kill removes them).
      [](const OneOf<CreateNetns, CreateVeth, LinkEtc> auto&) {},
      // In the lab as built (the journal's `built` record, written before the first creation),
      // and in a node's namespace, which takes it when it goes: down needs nothing more.
      [](const OneOf<CreateVxlan, DeleteVxlan> auto&) {},
      // Nothing that down needs to know: it goes with the node's namespace or directory, or is
      // made again from the file.
      [](const OneOf<CreateBridge, SetSysctl, AddAddress, SetLink, AddRoute, WriteHosts,
                     PrepareNode, RunExec, WatchDaemons, ChangeLink, DeleteAddress, DeleteRoute,
                     RemoveFile> auto&) {}};
  std::visit(learn, action);
}

}  // namespace

void apply_plan(const Plan& plan, Backend& backend, JournalWriter& journal,
                const ProgressFn& progress) {
  apply_actions(plan, backend, journal, progress);
  size_t nodes = 0;
  for (const PlanNode& n : plan.nodes) nodes += n.role == PlanNode::Role::node;
  journal.complete(nodes, plan.links);
}

void apply_actions(const Plan& plan, Backend& backend, JournalWriter& journal,
                   const ProgressFn& progress) {
  const std::vector<Action>& actions = plan.actions;
  backend.begin(plan);
  Progress done;
  for (const Action& a : actions) {
    done.netns_total += std::holds_alternative<CreateNetns>(a);
    done.links_total += std::holds_alternative<CreateVeth>(a);
  }
  // /etc/netns links need nothing from the kernel: made alongside it when the backend can.
  std::future<void> etc_links;
  auto wait_etc_links = [&] {
    if (etc_links.valid()) etc_links.get();  // rethrows its failure
  };
  if (backend.links_etc_concurrently()) {
    std::vector<std::string> netns;
    std::vector<const Action*> links;
    for (const Action& a : actions)
      if (auto* e = std::get_if<LinkEtc>(&a)) {
        netns.push_back(plan.nodes[e->node].netns);
        links.push_back(&a);
      }
    if (!links.empty()) {
      journal.etc_links(netns, backend.etc_netns_dir_exists());
      etc_links = std::async(std::launch::async, [&plan, &backend, links] {
        for (const Action* a : links) backend.apply(plan, *a);
      });
    }
  }
  struct Join {  // never leave the thread running past this function, whatever is thrown
    std::future<void>& f;
    ~Join() {
      if (f.valid()) f.wait();
    }
  } join{etc_links};

  for (size_t begin = 0; begin < actions.size();) {
    size_t end = begin + 1;
    if (std::holds_alternative<LinkEtc>(actions[begin]) && etc_links.valid()) {
      end = run_end(actions, begin);  // being made on the other thread
    } else if (std::holds_alternative<CreateNetns>(actions[begin])) {
      end = run_end(actions, begin);
      std::vector<JournalNetns> batch;
      for (size_t i = begin; i < end; i++) {
        int n = std::get<CreateNetns>(actions[i]).node;
        batch.push_back(
            {plan.nodes[n].netns, plan.nodes[n].name, {}, kind_name(plan.nodes[n].kind)});
      }
      journal.netns(batch);
      std::vector<int> nodes;
      for (size_t i = begin; i < end; i++) {
        log_action(plan, actions[i]);
        nodes.push_back(std::get<CreateNetns>(actions[i]).node);
      }
      std::mutex counting;
      backend.create_netns(plan, nodes, [&](int node, const nl::NetnsId& id) {
        // Before the namespace gets its name: down removes only a recorded one.
        journal.netns_id(plan.nodes[node].netns, id);
        std::lock_guard<std::mutex> lock(counting);
        done.netns_done++;
        if (progress) progress(done);
      });
    } else if (std::holds_alternative<CreateVeth>(actions[begin])) {
      end = run_end(actions, begin);
      std::vector<JournalVeth> batch;
      std::vector<JournalHostLink> host;
      for (size_t i = begin; i < end; i++) {
        const auto& v = std::get<CreateVeth>(actions[i]);
        batch.push_back({endpoint(plan, v.a), endpoint(plan, v.b)});
        if (v.b.node == plan.root) host.push_back({v.b.name, nl::mac_text(v.mac_b)});
      }
      journal.veths(batch, host);
      for (size_t i = begin; i < end; i++) {
        log_action(plan, actions[i]);
        backend.apply(plan, actions[i]);
        done.links_done++;
        if (progress) progress(done);
      }
    } else if (std::holds_alternative<LinkEtc>(actions[begin])) {
      end = run_end(actions, begin);
      std::vector<std::string> batch;
      for (size_t i = begin; i < end; i++)
        batch.push_back(plan.nodes[std::get<LinkEtc>(actions[i]).node].netns);
      journal.etc_links(batch, backend.etc_netns_dir_exists());
      for (size_t i = begin; i < end; i++) {
        log_action(plan, actions[i]);
        backend.apply(plan, actions[i]);
      }
    } else {
      // Commands in nodes may resolve names: the links must all be there.
      if (std::holds_alternative<PrepareNode>(actions[begin])) wait_etc_links();
      log_action(plan, actions[begin]);
      apply_one(plan, actions[begin], backend);
      journal_applied(plan, actions[begin], backend, journal);
    }
    begin = end;
  }
  wait_etc_links();
}

std::vector<std::string> teardown(const JournalState& state, Backend& backend,
                                  const ProgressFn& progress) {
  Progress done;
  done.netns_total = state.netns.size();
  // Processes first: a process in a namespace would keep it alive after its name is gone.
  std::vector<std::string> failures = backend.stop_processes(state);
  // Nothing mounts over them any more (a command's mounts die with it).
  if (failures.empty())
    for (std::string& f : backend.remove_mountpoints()) failures.push_back(std::move(f));
  // Ends in the root namespace first: they would outlive the lab's namespaces until the kernel
  // got round to destroying them. Every other veth goes with its namespaces.
  for (const JournalHostLink& h : state.host_links) {
    try {
      if (backend.remove_host_link(h.iface, h.mac) == Backend::Removed::not_ours)
        spdlog::warn(
            "left interface {} in the root namespace alone: it is no longer the one "
            "this lab created",
            h.iface);
    } catch (const std::exception& e) {
      failures.push_back(e.what());
    }
  }
  for (const std::string& netns : state.etc_links) {
    try {
      if (backend.remove_etc_link(netns) == Backend::Removed::not_ours)
        spdlog::warn("left /etc/netns/{} alone: it is no longer this lab's", netns);
    } catch (const std::exception& e) {
      failures.push_back(e.what());
    }
  }
  if (state.etc_dir_made) backend.remove_etc_dir();
  // VXLAN devices, before their namespaces: the kernel would remove them only when it got round
  // to destroying those, and until then their VNI stays taken on the host's underlay (an `up`
  // right after a `down` would fail).
  std::map<std::string, const JournalNetns*> by_name;
  for (const JournalNetns& n : state.netns) by_name[n.netns] = &n;
  std::map<std::pair<std::string, std::string>, Backend::VxlanEnd> vxlans;  // (netns, iface)
  for (const Lab* lab :
       {state.built ? &*state.built : nullptr, state.building ? &*state.building : nullptr}) {
    if (!lab) continue;
    for (const BuiltNode& node : lab->nodes)
      for (const BuiltIface& i : node.ifaces)
        if (auto n = by_name.find(node.netns); i.vxlan && i.mac && n != by_name.end())
          vxlans.try_emplace({node.netns, i.name}, Backend::VxlanEnd{*n->second, i.name, *i.mac});
  }
  if (!vxlans.empty()) {
    std::vector<Backend::VxlanEnd> ends;
    for (auto& [key, end] : vxlans) ends.push_back(std::move(end));
    for (std::string& f : backend.remove_vxlans(ends)) failures.push_back(std::move(f));
  }
  std::mutex reporting;
  backend.remove_all_netns(state.netns, [&](const JournalNetns& n,
                                            const Backend::NetnsRemoval& removal) {
    std::lock_guard<std::mutex> lock(reporting);
    if (!removal.failure.empty()) {
      failures.push_back(removal.failure);
      return;
    }
    if (removal.removed == Backend::Removed::not_ours && n.id.known())
      spdlog::warn("left netns {} alone: it is no longer the namespace this lab created", n.netns);
    else if (removal.removed == Backend::Removed::not_ours)
      spdlog::warn("left netns {} alone: this lab never bound a namespace there", n.netns);
    done.netns_done++;
    if (progress) progress(done);
  });
  backend.release();
  return failures;
}

}  // namespace topo
