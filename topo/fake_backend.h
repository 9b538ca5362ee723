// fake_backend.h - a backend that records what it is asked to do, and can be told to fail.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "topo/backend.h"

namespace topo {

class FakeBackend : public Backend {
 public:
  void apply(const Plan& plan, const Action& action) override;
  uint64_t netns_id(int node) override { return 1000 + node; }
  Removed remove_netns(const std::string& netns, uint64_t id) override;
  Removed remove_host_link(const std::string& iface, const std::string& mac) override;

  // Every action applied, as describe() writes it, then "remove netns NAME" for removals.
  std::vector<std::string> log;
  // Fail the action whose description contains this text.
  std::optional<std::string> fail_on;
  std::set<std::string> live_netns;
};

}  // namespace topo
