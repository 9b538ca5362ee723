#include "topo/run/netlink_backend.h"

#include "netlink/error.h"
#include "netlink/link.h"
#include "netlink/qdisc.h"
#include "netlink/route.h"
#include "netlink/sysctl.h"
#include "topo/model/overloaded.h"
#include "topo/run/lifecycle.h"
#include "topo/run/processes.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace topo {

namespace {

// What a process gets between SIGTERM and SIGKILL.
constexpr std::chrono::seconds kGrace{5};

}  // namespace

nl::Netns& NetlinkBackend::root() {
  if (!root_) root_.emplace(nl::Netns::current(""));
  return *root_;
}

nl::Netns& NetlinkBackend::ns(int node) {
  if (node == root_node_) return root();
  std::optional<nl::Netns>& n = netns_.at(node);
  // A namespace this run did not make: one of the running lab that is being changed.
  if (!n && plan_) n.emplace(nl::Netns::open(plan_->nodes.at(node).netns));
  if (!n) throw nl::Error("", "node " + std::to_string(node), "use", EINVAL, "namespace not open");
  return *n;
}

int NetlinkBackend::ifindex(const IfaceRef& iface) {
  if (iface.slot == kKernelSlot) return nl::ifindex_of(ns(iface.node), iface.name);
  return iface.slot == 0 ? 1 : first_ifindex_ + iface.slot - 1;  // lo is 1 in every namespace
}

NodeContext NetlinkBackend::context(const Plan& plan, int node) const {
  const PlanNode& n = plan.nodes.at(node);
  return {dirs_.lab, n.name, n.netns, dirs_.node_dir(n.name), dirs_.lab_dir, n.env};
}

void NetlinkBackend::begin(const Plan& plan) {
  root_node_ = plan.root;
  plan_ = &plan;
}

// What a fresh `up` does: the network, then the nodes' files and processes.
auto NetlinkBackend::building(const Plan& plan) {
  return overloaded{
      [](const CreateNetns&) {
        throw std::logic_error("namespaces are made by create_netns, which records their identity");
      },
      [&](const CreateBridge& br) {
        nl::create_bridge(ns(br.bridge.node), br.bridge.name,
                          br.bridge.slot == kKernelSlot ? 0 : ifindex(br.bridge));
      },
      [&](const CreateVeth& v) {
        // An end without a slot gets the ifindex the kernel chooses; it is looked up when needed.
        int a_index = v.a.slot == kKernelSlot ? 0 : ifindex(v.a);
        int b_index = v.b.slot == kKernelSlot ? 0 : ifindex(v.b);
        nl::VethEnd a{&ns(v.a.node), v.a.name, a_index,
                      v.mac_a,       v.up,     v.master_a ? ifindex(*v.master_a) : 0};
        nl::VethEnd b{&ns(v.b.node), v.b.name, b_index, v.mac_b, false, 0};
        nl::create_veth(a, b, v.mtu);
      },
      [&](const CreateVxlan& v) {
        nl::VxlanDevice d{&ns(v.iface.node),
                          v.iface.name,
                          v.iface.slot == kKernelSlot ? 0 : ifindex(v.iface),
                          v.mac,
                          v.mtu,
                          v.up,
                          v.master ? ifindex(*v.master) : 0,
                          v.tunnel.vni,
                          v.tunnel.local,
                          v.tunnel.remotes,
                          v.tunnel.port};
        nl::create_vxlan(root(), d);
      },
      [&](const SetSysctl& s) { nl::write_sysctl(ns(s.node), s.key, s.value); },
      [&](const AddAddress& a) {
        nl::add_address(ns(a.iface.node), ifindex(a.iface), a.iface.name, a.address);
      },
      [&](const SetLink& l) {
        nl::change_link(ns(l.iface.node), ifindex(l.iface), l.iface.name, l.up,
                        l.master ? ifindex(*l.master) : 0);
      },
      [&](const AddRoute& r) {
        std::vector<nl::Nexthop> hops;
        for (const RouteHop& h : r.hops)
          hops.push_back({h.gateway, h.dev ? ifindex(*h.dev) : 0, h.dev ? h.dev->name : ""});
        nl::add_route(ns(r.node), r.dst, hops, r.replace);
      },
      [&](const SetImpair& i) {
        nl::set_impairment(ns(i.iface.node), ifindex(i.iface), i.iface.name, i.impairment);
      },
      [&](const WriteHosts& h) { write_hosts(dirs_, h.content); },
      [&](const LinkEtc& e) { link_etc(dirs_, plan.nodes[e.node].netns); },
      [&](const PrepareNode& p) {
        prepare_node(dirs_, plan.nodes[p.node].name, p.files, p.mounts, plan.nodes[p.node].env);
      },
      [&](const RunExec& x) { run_exec(dirs_, context(plan, x.node), x.cmd); },
      [&](const StartDaemon& d) {
        NodeContext node = context(plan, d.node);
        wait_before_start(dirs_, node, d.name, d.wait_socket, d.wait_exec, d.wait_timeout_us);
        daemons_.push_back(start_daemon(dirs_, node, d.name, d.cmd));
      },
      [&](const WatchDaemons&) { watch_daemons(daemons_, std::chrono::seconds(1)); }};
}

// What a change to a running lab does besides: in place, or removals of what the lab made.
auto NetlinkBackend::changing(const Plan& plan) {
  return overloaded{
      [&](const ChangeLink& c) {
        nl::modify_link(ns(c.iface.node), ifindex(c.iface), c.iface.name, {c.mtu, c.mac, c.up});
      },
      [&](const DeleteAddress& a) {
        nl::delete_address(ns(a.iface.node), ifindex(a.iface), a.iface.name, a.address);
      },
      [&](const DeleteRoute& r) { nl::delete_route(ns(r.node), r.dst); },
      [&](const ClearImpair& i) {
        nl::clear_impairment(ns(i.iface.node), ifindex(i.iface), i.iface.name);
      },
      [](const DeleteVeth&) {
        throw std::logic_error(
            "veth ends are removed by remove_veth, which says whether one was "
            "still the lab's");
      },
      [&](const DeleteVxlan& v) {
        nl::Deleted d = nl::delete_link_with_mac(ns(v.iface.node), v.iface.name, v.mac);
        if (d == nl::Deleted::not_ours)
          spdlog::warn(
              "left interface {} of netns {} alone: it is no longer the VXLAN device "
              "this lab made (its MAC is not {})",
              v.iface.name, plan.nodes[v.iface.node].netns, nl::mac_text(v.mac));
      },
      [&](const StopDaemon& d) { stop_daemon(plan, d); },
      [&](const RemoveFile& f) { remove_node_file(dirs_, plan.nodes[f.node].name, f.name); },
      [&](const ResumeNode& n) { resume_node(dirs_.lab, plan.nodes[n.node].name); },
      [&](const DeleteNode& n) { delete_node(plan, n); }};
}

void NetlinkBackend::apply(const Plan& plan, const Action& action) {
  std::visit(overloaded{building(plan), changing(plan)}, action);
}

void NetlinkBackend::stop_daemon(const Plan& plan, const StopDaemon& d) {
  const std::string& node = plan.nodes[d.node].name;
  std::vector<cgroup::Cgroup> cgroups = existing({cgroup::process_cgroup(dirs_.lab, node, d.name)});
  // A daemon started before topo used cgroups: its session.
  pid_t pid = static_cast<pid_t>(d.pid);
  std::vector<pid_t> pids = cgroups.empty() ? session_processes(pid) : std::vector<pid_t>{};
  if (cgroups.empty() && pids.empty() && pid > 0 && process_alive(pid)) pids.push_back(pid);
  std::vector<std::string> failures = topo::stop_processes(cgroups, pids, kGrace);
  if (!failures.empty())
    throw nl::Error(plan.nodes[d.node].netns, "daemon " + d.name, "stop", EBUSY,
                    fmt::format("{}", fmt::join(failures, "; ")));
}

void NetlinkBackend::delete_node(const Plan& plan, const DeleteNode& n) {
  const PlanNode& node = plan.nodes[n.node];
  // Its cgroup, and what a scan finds of processes started before topo used cgroups.
  std::vector<pid_t> pids =
      n.id.known() ? lab_processes(dirs_.lab, {n.id.inode}, {}) : std::vector<pid_t>{};
  std::vector<std::string> failures =
      topo::stop_processes(existing({cgroup::node_cgroup(dirs_.lab, node.name)}), pids, kGrace);
  if (!failures.empty())
    throw nl::Error(node.netns, "node " + node.name, "stop the processes of", EBUSY,
                    fmt::format("{}", fmt::join(failures, "; ")));
  if (node.role == PlanNode::Role::node) remove_etc_link(node.netns);
  netns_.at(n.node).reset();  // our socket in it must not keep it alive
  if (remove_netns(node.netns, n.id) == Removed::not_ours)
    throw nl::Error(node.netns, "netns " + node.netns, "delete", EEXIST,
                    "it is no longer the namespace this lab made");
}

bool NetlinkBackend::etc_netns_dir_exists() {
  struct stat st;
  return stat("/etc/netns", &st) == 0;
}

Backend::Removed NetlinkBackend::remove_etc_link(const std::string& netns) {
  switch (unlink_etc(dirs_, netns)) {
    case Unlinked::yes:
      return Removed::yes;
    case Unlinked::absent:
      return Removed::absent;
    case Unlinked::not_ours:
      break;
  }
  return Removed::not_ours;
}

void NetlinkBackend::remove_etc_dir() {
  rmdir("/etc/netns");
}  // fails, harmlessly, if in use

std::vector<std::string> NetlinkBackend::remove_mountpoints() {
  return topo::remove_mountpoints(dirs_);
}

std::vector<std::string> NetlinkBackend::stop_processes(const JournalState& state) {
  const std::string& lab = state.header.lab;
  // The lab's cgroup holds every process it started. A lab started before topo used cgroups has
  // none (or only some): the scan of /proc that found its processes then still runs.
  std::set<uint64_t> ids;
  for (const JournalNetns& n : state.netns)
    if (n.id.known()) ids.insert(n.id.inode);
  std::vector<pid_t> journaled;
  for (const JournalDaemon& d : state.daemons) journaled.push_back(static_cast<pid_t>(d.pid));
  std::vector<std::string> failures = topo::stop_processes(
      existing({cgroup::lab_cgroup(lab)}), lab_processes(lab, ids, journaled), kGrace);
  for (std::string& f : failures) f = fmt::format("lab {}: {}", lab, f);
  return failures;
}

void NetlinkBackend::create_netns(const Plan& plan, const std::vector<int>& nodes,
                                  const NetnsMade& made) {
  size_t workers = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 4);
  workers = std::min(workers, nodes.size());
  // Descriptors kept open while they fit well within the limit (two per node then).
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  bool keep = netns_.size() * 2 + 512 < lim.rlim_cur;
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::vector<std::exception_ptr> errors(workers);
  auto work = [&](size_t w) {
    try {
      for (size_t i; !failed && (i = next++) < nodes.size();) {
        int n = nodes[i];
        // Each slot is written by one thread only.
        netns_.at(n).emplace(nl::Netns::create(
            plan.nodes[n].netns, [&](const nl::NetnsId& id) { made(n, id); }, keep));
      }
    } catch (...) {
      errors[w] = std::current_exception();
      failed = true;
    }
  };
  std::vector<std::thread> threads;
  for (size_t w = 1; w < workers; w++) threads.emplace_back(work, w);
  if (workers) work(0);
  for (std::thread& t : threads) t.join();
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
  if (!first_ifindex_ && !nodes.empty()) first_ifindex_ = nl::first_free_ifindex(ns(nodes.front()));
}

Backend::Removed NetlinkBackend::remove_netns(const std::string& netns, const nl::NetnsId& id) {
  switch (nl::delete_netns(netns, id)) {
    case nl::Deleted::yes:
      return Removed::yes;
    case nl::Deleted::absent:
      return Removed::absent;
    case nl::Deleted::not_ours:
      break;
  }
  return Removed::not_ours;
}

void NetlinkBackend::remove_all_netns(const std::vector<JournalNetns>& netns,
                                      const NetnsRemoved& removed) {
  size_t workers = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 4);
  workers = std::min(workers, netns.size());
  std::atomic<size_t> next{0};
  // Always on threads of their own: entering namespaces must not touch the caller's thread.
  std::vector<std::thread> threads;
  for (size_t w = 0; w < workers; w++)
    threads.emplace_back([&] {
      for (size_t i; (i = next++) < netns.size();) removed(netns[i], try_remove_netns(netns[i]));
    });
  for (std::thread& t : threads) t.join();
}

namespace {

Backend::Removed removed(nl::Deleted deleted) {
  switch (deleted) {
    case nl::Deleted::yes:
      return Backend::Removed::yes;
    case nl::Deleted::absent:
      return Backend::Removed::absent;
    case nl::Deleted::not_ours:
      break;
  }
  return Backend::Removed::not_ours;
}

}  // namespace

Backend::Removed NetlinkBackend::remove_veth(const Plan&, const DeleteVeth& veth) {
  return removed(nl::delete_link_with_mac(ns(veth.iface.node), veth.iface.name, veth.mac));
}

std::vector<std::string> NetlinkBackend::remove_vxlans(const std::vector<VxlanEnd>& ends) {
  std::vector<std::string> failures;
  // On a thread of its own: opening a namespace enters it, which must not touch the caller's.
  std::thread worker([&] {
    std::optional<nl::Netns> ns;
    for (const VxlanEnd& end : ends) {
      try {
        if (!ns || ns->name() != end.netns.netns) {
          ns.reset();
          if (!end.netns.id.known() || !nl::netns_inode(end.netns.netns)) continue;
          ns.emplace(nl::Netns::open(end.netns.netns));
        }
        if (end.netns.id.matches(ns->id())) nl::delete_link_with_mac(*ns, end.iface, end.mac);
      } catch (const std::exception& e) {
        failures.push_back(e.what());
      }
    }
  });
  worker.join();
  return failures;
}

Backend::Removed NetlinkBackend::remove_host_link(const std::string& iface,
                                                  const std::string& mac) {
  std::optional<nl::Mac> m = nl::parse_mac(mac);
  if (!m) return Removed::not_ours;
  return removed(nl::delete_link_with_mac(root(), iface, *m));
}

}  // namespace topo
