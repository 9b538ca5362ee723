// fake_backend.h - a backend that records what it is asked to do, and can be told to fail.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "topo/run/backend.h"

namespace topo {

class FakeBackend : public Backend {
 public:
  void apply(const Plan& plan, const Action& action) override;
  // One after the other; each live, and its identity recorded, once its CreateNetns was applied.
  void create_netns(const Plan& plan, const std::vector<int>& nodes,
                    const NetnsMade& made) override;
  // The identity the fake gives a node's namespace.
  static nl::NetnsId id_of(int node) {
    return {5000 + static_cast<uint64_t>(node), 1, 1000 + static_cast<uint64_t>(node)};
  }
  int64_t last_pid() override { return 4000 + static_cast<int64_t>(log.size()); }
  bool etc_netns_dir_exists() override { return etc_dir_exists; }
  Removed remove_netns(const std::string& netns, const nl::NetnsId& id) override;
  // Logged as apply() logs it; not_ours for the ends in `not_ours`.
  Removed remove_veth(const Plan& plan, const DeleteVeth& veth) override;
  Removed remove_host_link(const std::string& iface, const std::string& mac) override;
  Removed remove_etc_link(const std::string& netns) override;
  void remove_etc_dir() override { log.push_back("remove /etc/netns"); }
  std::vector<std::string> stop_processes(const JournalState& state) override;

  // Every action applied, as describe() writes it, then one line per removal.
  std::vector<std::string> log;
  // The interfaces each action makes or sets, with the slots it gives them: "node:iface@slot".
  std::vector<std::string> slots;
  // Fail the action whose description contains this text.
  std::optional<std::string> fail_on;
  std::set<std::string> live_netns;
  // Veth ends ("node:iface") that have another MAC than the lab gave them.
  std::set<std::string> not_ours;
  bool etc_dir_exists = true;
};

}  // namespace topo
