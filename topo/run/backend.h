// backend.h - where a plan's actions take effect: the system (netlink_backend.h: the kernel
// through netlink/, files, processes) or a recorder (fake_backend.h) for tests.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "topo/plan/planner.h"
#include "topo/run/journal.h"

namespace topo {

class Backend {
 public:
  virtual ~Backend() = default;

  // Called once before the plan's first action, before any other thread may call apply().
  virtual void begin(const Plan& plan) { (void)plan; }

  // Carries out one action; throws (nl::Error for the kernel) when it fails. The applier
  // gives CreateNetns to create_netns and DeleteVeth to remove_veth instead.
  virtual void apply(const Plan& plan, const Action& action) = 0;

  // Creates the namespaces of these CreateNetns actions, in any order or in parallel. Calls
  // `made` with each one's identity before it is bound at its name (on several threads at
  // once, maybe); throws the first failure once every worker has stopped.
  using NetnsMade = std::function<void(int node, const nl::NetnsId& id)>;
  virtual void create_netns(const Plan& plan, const std::vector<int>& nodes,
                            const NetnsMade& made) = 0;

  // Whether LinkEtc actions may run on a thread of their own while the kernel work goes on
  // (they only touch the filesystem, which is slow where /etc is).
  virtual bool links_etc_concurrently() const { return false; }

  // The pid of the daemon the last StartDaemon started.
  virtual int64_t last_pid() = 0;
  // Whether /etc/netns exists (so that down removes it only if the lab made it).
  virtual bool etc_netns_dir_exists() = 0;

  enum class Removed { yes, absent, not_ours };
  // Removes a lab's namespace if it is the one `id` names; with `id` unknown (the lab's `up`
  // stopped before binding one there), only an empty file left at the name, never a namespace.
  virtual Removed remove_netns(const std::string& netns, const nl::NetnsId& id) = 0;
  // Removes these namespaces of a lab (newest first, or in parallel), calling `removed` after
  // each with what became of it or the failure's text (on several threads at once, maybe).
  struct NetnsRemoval {
    Removed removed = Removed::absent;
    std::string failure;  // empty: no failure
  };
  using NetnsRemoved = std::function<void(const JournalNetns& netns, const NetnsRemoval& removal)>;
  virtual void remove_all_netns(const std::vector<JournalNetns>& netns,
                                const NetnsRemoved& removed) {
    for (auto it = netns.rbegin(); it != netns.rend(); ++it) removed(*it, try_remove_netns(*it));
  }
  // A DeleteVeth of a change to a running lab: removes the end (and its peer with it) if it
  // still has the MAC topo gave it; not_ours, and left alone, when it has another.
  virtual Removed remove_veth(const Plan& plan, const DeleteVeth& veth) = 0;
  // Removes a lab's veth end in the root namespace if it still has the MAC topo gave it.
  virtual Removed remove_host_link(const std::string& iface, const std::string& mac) = 0;
  // Removes the lab's VXLAN devices from their namespaces (each namespace entered once), each
  // if its namespace is still the lab's (as `netns.id` says) and it still has the MAC topo gave
  // it; what failed.
  struct VxlanEnd {
    JournalNetns netns;
    std::string iface;
    nl::Mac mac;
  };
  virtual std::vector<std::string> remove_vxlans(const std::vector<VxlanEnd>& ends) {
    (void)ends;
    return {};
  }
  // Removes /etc/netns/<netns> if it is still the lab's link.
  virtual Removed remove_etc_link(const std::string& netns) = 0;
  // Removes /etc/netns if it is empty.
  virtual void remove_etc_dir() = 0;
  // Removes the mount points the lab made on the host (see node_setup.h); what failed.
  virtual std::vector<std::string> remove_mountpoints() { return {}; }
  // Stops every process the lab started (SIGTERM, then SIGKILL after 5 s); one line per
  // process that would not stop.
  virtual std::vector<std::string> stop_processes(const JournalState& state) = 0;

  // Lets go of every handle the backend holds (sockets, namespace fds), so that namespaces
  // already removed by name can go away.
  virtual void release() {}

 protected:
  // remove_netns, with a failure turned into its text.
  NetnsRemoval try_remove_netns(const JournalNetns& n) {
    try {
      return {remove_netns(n.netns, n.id), ""};
    } catch (const std::exception& e) {
      return {Removed::absent, e.what()};
    }
  }
};

}  // namespace topo
