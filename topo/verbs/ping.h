// ping.h - `topo ping`: which node pings which address, and what the answers add up to. What is
// here takes no system call (the probes are run by inspect.cc), so it is tested without a lab.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "topo/model/ip.h"

namespace topo {

// A node that can ping (not a bridge, not a LAN): its primary address of each family it has
// (its name's in the hosts file), IPv4 first.
struct PingNode {
  std::string name;
  std::vector<nl::IpPrefix> addresses;
  // Of a lab spread over hosts, the host of a node not on this one: pinged, never pinging (its
  // row is its host's `topo ping`). "" for a node here.
  std::string host;
};

// The nodes `--nodes` names: each word a node's name or a glob pattern (`r*`); every node when
// there is none. In the order of `nodes`. Throws InvalidInput for a name that is no node that can
// ping (with the nearest one, or saying it is a bridge), or a pattern that matches none.
std::vector<PingNode> select_ping_nodes(const std::string& lab, std::vector<PingNode> nodes,
                                        const std::vector<std::string>& words,
                                        const std::vector<std::string>& bridges);

// One ping: from a node to an address of another (indexes into the nodes).
struct Probe {
  size_t from, to;
  nl::IpPrefix address;
  bool ok = false;
  std::string failure;  // when not ok: what happened ("no answer", ...)
};

// For every ordered pair, a probe of each of the target's addresses of a family the sender has
// an address of too (only of `family`, 4 or 6, when it is not 0). A pair with none is n/a.
std::vector<Probe> ping_probes(const std::vector<PingNode>& nodes, int family);

// What the probes of a pair add up to.
// elsewhere: a pair whose sender is on another host (not counted).
enum class PairResult { self, reachable, failed, not_applicable, elsewhere };
struct PingSummary {
  std::vector<std::vector<PairResult>> pairs;  // [from][to]
  size_t counted = 0, reachable = 0, not_applicable = 0;
  bool all_reachable() const { return reachable == counted; }
};
PingSummary summarize(const std::vector<PingNode>& nodes, const std::vector<Probe>& probes);

// The matrix (from: rows, to: columns) of ✓ ✗ n/a, the count, a legend of the marks shown, and
// a line for each probe that failed: which address of which node, and what happened.
std::string ping_text(const std::vector<PingNode>& nodes, const std::vector<Probe>& probes,
                      const PingSummary& summary, int family);

// {"lab", "family", "nodes", "pairs", "reachable", "not_applicable", "results"} (see
// docs/topology.md, Ping).
nlohmann::json ping_json(const std::string& lab, const std::vector<PingNode>& nodes,
                         const std::vector<Probe>& probes, const PingSummary& summary, int family);

}  // namespace topo
