// netlink_backend.h - the backend that acts on the system: the kernel through netlink/, and the
// lab's files and processes through node_setup.h.
#pragma once

#include <optional>
#include <vector>

#include "netlink/netns.h"
#include "topo/run/backend.h"
#include "topo/run/node_setup.h"

namespace topo {

// Holds one open namespace (fd and netlink socket) per node while a plan runs. Namespace
// creation switches the calling thread's netns: apply() must run on a thread of its own.
class NetlinkBackend : public Backend {
 public:
  NetlinkBackend(size_t nodes, LabDirs dirs) : netns_(nodes), dirs_(std::move(dirs)) {}

  // Set once here: the /etc/netns thread and the main thread both call apply() afterwards.
  void begin(const Plan& plan) override;
  void apply(const Plan& plan, const Action& action) override;
  // On as many threads as there are cores (at most 4): the kernel makes namespaces in parallel.
  void create_netns(const Plan& plan, const std::vector<int>& nodes,
                    const NetnsMade& made) override;
  bool links_etc_concurrently() const override { return true; }
  int64_t last_pid() override { return daemons_.empty() ? 0 : daemons_.back().pid; }
  bool etc_netns_dir_exists() override;
  Removed remove_netns(const std::string& netns, const nl::NetnsId& id) override;
  // On as many threads as there are cores (at most 4): each removal enters its namespace to
  // check the cookie.
  void remove_all_netns(const std::vector<JournalNetns>& netns,
                        const NetnsRemoved& removed) override;
  Removed remove_veth(const Plan& plan, const DeleteVeth& veth) override;
  Removed remove_host_link(const std::string& iface, const std::string& mac) override;
  std::vector<std::string> remove_vxlans(const std::vector<VxlanEnd>& ends) override;
  Removed remove_etc_link(const std::string& netns) override;
  void remove_etc_dir() override;
  std::vector<std::string> remove_mountpoints() override;
  std::vector<std::string> stop_processes(const JournalState& state) override;
  void release() override {
    netns_.clear();
    root_.reset();
  }

 private:
  // The handlers of apply(), one per action kind (std::visit checks that none is missing).
  auto building(const Plan& plan);
  auto changing(const Plan& plan);
  void stop_daemon(const Plan& plan, const StopDaemon& d);
  void delete_node(const Plan& plan, const DeleteNode& n);
  nl::Netns& ns(int node);
  nl::Netns& root();
  int ifindex(const IfaceRef& iface);
  NodeContext context(const Plan& plan, int node) const;

  std::vector<std::optional<nl::Netns>> netns_;
  std::optional<nl::Netns> root_;  // the namespace topo runs in, for `host:IFACE` ends
  int root_node_ = -1;
  const Plan* plan_ = nullptr;  // the plan being applied, for namespaces opened by name
  // The ifindex of slot 1 in every namespace: the first one free in a fresh namespace, probed
  // once, so that no interface has to be looked up after it is made.
  int first_ifindex_ = 0;
  LabDirs dirs_;
  std::vector<Daemon> daemons_;
};

}  // namespace topo
