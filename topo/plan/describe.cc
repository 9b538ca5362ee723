#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "topo/model/impair.h"
#include "topo/model/overloaded.h"
#include "topo/plan/planner.h"

namespace topo {

namespace {

// The text of each action of a fresh `up`, and of each change to a running lab.
// Each handler holds the plan by pointer (never a copy of it).
auto describing_building(const Plan* plan) {
  auto node = [plan](int n) -> const std::string& { return plan->nodes[n].name; };
  auto end = [node](const IfaceRef& r) { return End{node(r.node), r.name}.text(); };
  return overloaded{
      [=](const CreateNetns& a) {
        return fmt::format("{}: create netns {}", node(a.node), plan->nodes[a.node].netns);
      },
      [=](const CreateBridge& a) {
        return fmt::format("{}: create bridge {}", node(a.bridge.node), a.bridge.name);
      },
      [=](const CreateVeth& a) {
        std::string text =
            fmt::format("{}: create veth {} ({}) <-> {} ({})", node(a.a.node), a.a.name,
                        nl::mac_text(a.mac_a), end(a.b), nl::mac_text(a.mac_b));
        if (a.mtu) text += fmt::format(" mtu {}", *a.mtu);
        if (a.master_a) text += fmt::format(" master {}", a.master_a->name);
        return text + (a.up ? "" : " down");
      },
      [=](const CreateVxlan& a) {
        std::vector<std::string> remotes;
        for (const nl::IpPrefix& r : a.tunnel.remotes) remotes.push_back(r.address_text());
        std::string text =
            fmt::format("{}: create vxlan {} ({}) vni {} local {} remote {} port {} ({}) mtu {}",
                        node(a.iface.node), a.iface.name, nl::mac_text(a.mac), a.tunnel.vni,
                        a.tunnel.local.address_text(), fmt::join(remotes, ","), a.tunnel.port,
                        a.tunnel.peer, a.mtu);
        if (a.master) text += fmt::format(" master {}", a.master->name);
        return text + (a.up ? "" : " down");
      },
      [=](const SetSysctl& a) {
        return fmt::format("{}: sysctl {}={}", node(a.node), a.key, a.value);
      },
      [=](const AddAddress& a) {
        return fmt::format("{}: address {} on {}", node(a.iface.node), a.address.text(),
                           a.iface.name);
      },
      [=](const SetLink& a) {
        std::string text = fmt::format("{}: set {}", node(a.iface.node), a.iface.name);
        if (a.master) text += " master " + a.master->name;
        return text + (a.up ? " up" : "");
      },
      [=](const SetImpair& a) {
        return fmt::format("{}: impair {}: {}", node(a.iface.node), a.iface.name,
                           impairment_text(a.impairment));
      },
      [=](const AddRoute& a) {
        std::string text =
            fmt::format("{}: {} {}", node(a.node), a.replace ? "replace route" : "route",
                        a.dst.len == 0 ? "default" : a.dst.network().text());
        for (const RouteHop& h : a.hops) {
          if (h.gateway) text += " via " + h.gateway->address_text();
          if (h.dev) text += " dev " + h.dev->name;
        }
        return text;
      },
      [=](const WriteHosts& a) {
        return fmt::format("all: hosts file ({} lines)",
                           std::count(a.content.begin(), a.content.end(), '\n'));
      },
      [=](const LinkEtc& a) {
        return fmt::format("{}: link /etc/netns/{} to the lab's hosts", node(a.node),
                           plan->nodes[a.node].netns);
      },
      [=](const PrepareNode& a) {
        std::string text = fmt::format("{}: node directory", node(a.node));
        for (size_t i = 0; i < a.mounts.size(); i++)
          text += (i ? ", " : ", mounts ") + a.mounts[i].target;
        for (size_t i = 0; i < a.files.size(); i++)
          text += (i ? ", " : ", files ") + a.files[i].name;
        return text;
      },
      [=](const RunExec& a) { return fmt::format("{}: exec `{}`", node(a.node), a.cmd); },
      [=](const StartDaemon& a) {
        std::string wait = !a.wait_socket.empty() ? " once " + a.wait_socket + " accepts"
                           : !a.wait_exec.empty() ? " once `" + a.wait_exec + "` succeeds"
                                                  : "";
        return fmt::format("{}: start daemon {}{}: `{}`", node(a.node), a.name, wait, a.cmd);
      },
      [](const WatchDaemons&) {
        return std::string("all: check that every daemon still runs 1 s after its start");
      }};
}

auto describing_changes(const Plan* plan) {
  auto node = [plan](int n) -> const std::string& { return plan->nodes[n].name; };
  return overloaded{
      [=](const ChangeLink& a) {
        std::string text = fmt::format("{}: set {}", node(a.iface.node), a.iface.name);
        if (a.mtu) text += fmt::format(" mtu {}", *a.mtu);
        if (a.mac) text += " address " + nl::mac_text(*a.mac);
        if (a.up) text += *a.up ? " up" : " down";
        return text;
      },
      [=](const DeleteAddress& a) {
        return fmt::format("{}: remove address {} from {}", node(a.iface.node), a.address.text(),
                           a.iface.name);
      },
      [=](const DeleteRoute& a) {
        return fmt::format("{}: remove route {}", node(a.node),
                           a.dst.len == 0 ? "default" : a.dst.network().text());
      },
      [=](const ClearImpair& a) {
        return fmt::format("{}: clear impairment of {}", node(a.iface.node), a.iface.name);
      },
      [=](const DeleteVeth& a) {
        return fmt::format("{}: delete veth {} <-> {}", node(a.iface.node), a.iface.name, a.peer);
      },
      [=](const DeleteVxlan& a) {
        return fmt::format("{}: delete vxlan {}", node(a.iface.node), a.iface.name);
      },
      [=](const StopDaemon& a) {
        return fmt::format("{}: stop daemon {} (pid {})", node(a.node), a.name, a.pid);
      },
      [=](const RemoveFile& a) { return fmt::format("{}: remove file {}", node(a.node), a.name); },
      [=](const ResumeNode& a) { return fmt::format("{}: resume its processes", node(a.node)); },
      [=](const DeleteNode& a) {
        return fmt::format("{}: stop its processes, delete netns {}", node(a.node),
                           plan->nodes[a.node].netns);
      }};
}

}  // namespace

std::string describe(const Plan& plan, const Action& action) {
  return std::visit(overloaded{describing_building(&plan), describing_changes(&plan)}, action);
}

}  // namespace topo
