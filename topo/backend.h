// backend.h - where a plan's actions take effect: the kernel (netlink_backend.h) or a recorder
// (fake_backend.h) for tests.
#pragma once

#include <cstdint>
#include <string>

#include "topo/planner.h"

namespace topo {

class Backend {
 public:
  virtual ~Backend() = default;

  // Carries out one action; throws (nl::Error for the kernel) when it fails.
  virtual void apply(const Plan& plan, const Action& action) = 0;

  // The identity (inode) of a node's namespace after its CreateNetns ran.
  virtual uint64_t netns_id(int node) = 0;

  enum class Removed { yes, absent, not_ours };
  // Removes a lab's namespace. `id` 0: unknown, remove by name. A namespace whose inode is not
  // `id` is somebody else's now and is left alone.
  virtual Removed remove_netns(const std::string& netns, uint64_t id) = 0;

  // Removes a lab's veth end in the root namespace if it still has the MAC topo gave it.
  virtual Removed remove_host_link(const std::string& iface, const std::string& mac) = 0;

  // Lets go of every handle the backend holds (sockets, namespace fds), so that namespaces
  // already removed by name can go away.
  virtual void release() {}
};

}  // namespace topo
