// netlink_backend.h - the backend that acts on the kernel through netlink/.
#pragma once

#include <optional>
#include <vector>

#include "netlink/netns.h"
#include "topo/backend.h"

namespace topo {

// Holds one open namespace (fd and netlink socket) per node while a plan runs. Namespace
// creation switches the calling thread's netns: apply() must run on a thread of its own.
class NetlinkBackend : public Backend {
 public:
  explicit NetlinkBackend(size_t nodes) : netns_(nodes) {}

  void apply(const Plan& plan, const Action& action) override;
  uint64_t netns_id(int node) override { return netns_.at(node)->inode(); }
  Removed remove_netns(const std::string& netns, uint64_t id) override;
  Removed remove_host_link(const std::string& iface, const std::string& mac) override;
  void release() override {
    netns_.clear();
    root_.reset();
  }

 private:
  nl::Netns& ns(int node);
  nl::Netns& root();
  int ifindex(const IfaceRef& iface);

  std::vector<std::optional<nl::Netns>> netns_;
  std::optional<nl::Netns> root_;  // the namespace topo runs in, for `host:IFACE` ends
  int root_node_ = -1;
  // The ifindex of slot 1 in every namespace: the first one free in a fresh namespace, probed
  // once, so that no interface has to be looked up after it is made.
  int first_ifindex_ = 0;
};

}  // namespace topo
