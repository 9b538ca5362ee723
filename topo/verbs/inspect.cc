// The verbs that look at a running lab: status, ping, test.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "netlink/netns.h"
#include "netlink/query.h"
#include "topo/entry/entry.h"
#include "topo/entry/privileges.h"
#include "topo/entry/safe_fs.h"
#include "topo/language/hosts.h"
#include "topo/language/loader.h"
#include "topo/run/node_setup.h"
#include "topo/run/runner.h"
#include "topo/run/state.h"
#include "topo/verbs/checks.h"
#include "topo/verbs/json_text.h"
#include "topo/verbs/junit.h"
#include "topo/verbs/lab.h"
#include "topo/verbs/status.h"

namespace topo {

using nlohmann::json;

namespace {

constexpr int kOk = 0, kFailed = 1, kInvalid = 2;

bool colour_out() {
  return isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
}

// --- ping ---

// A node that can ping (not a bridge, not a LAN) and its primary addresses.
struct Target {
  const JournalNetns* ns;
  std::vector<nl::IpPrefix> addresses;
};

// Live from the kernel, per family: the first of lo's addresses, else of its interfaces in the
// order they were made (what its name resolves to).
std::vector<nl::IpPrefix> primary_addresses(const std::string& netns) {
  nl::Netns ns = nl::Netns::open(netns);
  std::vector<nl::LinkState> links = nl::list_links(ns);
  std::stable_sort(links.begin(), links.end(), [](const auto& x, const auto& y) {
    return x.ifindex < y.ifindex;  // lo (1) first
  });
  std::vector<nl::IpPrefix> out;
  for (int family : {nl::IpPrefix::AF_INET_VALUE, nl::IpPrefix::AF_INET6_VALUE}) {
    bool found = false;
    for (const nl::LinkState& l : links)
      for (const nl::IpPrefix& a : l.addresses)
        if (!found && a.family == family && !a.is_loopback()) {
          out.push_back(a);
          found = true;
        }
  }
  return out;
}

std::vector<Target> ping_targets(const JournalState& state) {
  std::vector<Target> nodes;
  for (const JournalNetns& n : state.netns)
    if (auto kind = parse_kind(n.kind); kind != NodeKind::lan && kind != NodeKind::bridge)
      nodes.push_back({&n, primary_addresses(n.netns)});
  return nodes;
}

// One ping: from node to node (indexes into the targets), of one address.
struct Probe {
  size_t from, to;
  nl::IpPrefix address;
  bool ok = false;
};

std::vector<Probe> probes_of(const std::vector<Target>& nodes) {
  std::vector<Probe> probes;
  for (size_t f = 0; f < nodes.size(); f++)
    for (size_t t = 0; t < nodes.size(); t++)
      if (f != t)
        for (const nl::IpPrefix& a : nodes[t].addresses) probes.push_back({f, t, a});
  return probes;
}

// Runs every probe, in parallel, a bounded number at a time; a probe that cannot start is said
// and fails.
void run_probes(const Running& r, const std::vector<Target>& nodes, std::vector<Probe>& probes) {
  std::vector<NodeContext> contexts;
  for (const Target& t : nodes) contexts.push_back(context_of(r.lab, r.state, t.ns->node));
  const size_t kParallel = 64;
  std::map<pid_t, size_t> running;
  nl::Fd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  for (size_t next = 0; next < probes.size() || !running.empty();) {
    while (next < probes.size() && running.size() < kParallel) {
      Probe& p = probes[next];
      try {
        pid_t pid = spawn_in_node(
            contexts[p.from],
            {{"ping", "-c1", "-W1", p.address.address_text()}, null.get(), null.get(), null.get()});
        running[pid] = next;
      } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
      }
      next++;
    }
    if (running.empty()) continue;
    int raw;
    pid_t pid = waitpid(-1, &raw, 0);
    if (pid < 0) break;
    auto it = running.find(pid);
    if (it == running.end()) continue;
    probes[it->second].ok = WIFEXITED(raw) && WEXITSTATUS(raw) == 0;
    running.erase(it);
  }
}

// (from, to) -> all of its addresses answered.
using PairResults = std::map<std::pair<size_t, size_t>, bool>;
PairResults pair_results(const std::vector<Probe>& probes) {
  PairResults pair_ok;
  for (const Probe& p : probes) {
    auto [it, first] = pair_ok.try_emplace({p.from, p.to}, true);
    it->second = it->second && p.ok;
  }
  return pair_ok;
}

json ping_json(const std::string& lab, const std::vector<Target>& nodes,
               const std::vector<Probe>& probes, size_t pairs, size_t good) {
  json out = {{"lab", lab}, {"pairs", pairs}, {"reachable", good}, {"results", json::array()}};
  for (const Probe& p : probes)
    out["results"].push_back({{"from", nodes[p.from].ns->node},
                              {"to", nodes[p.to].ns->node},
                              {"address", p.address.address_text()},
                              {"ok", p.ok}});
  return out;
}

// A matrix of ✓ and ✗, from (rows) to (columns), and the count.
std::string ping_matrix(const std::vector<Target>& nodes, const PairResults& pair_ok, size_t good) {
  size_t width = 4;
  for (const Target& t : nodes) width = std::max(width, t.ns->node.size());
  std::string out = fmt::format("{:<{}}", "from\\to", width + 1);
  for (const Target& t : nodes) out += fmt::format(" {:<{}}", t.ns->node, width);
  out += "\n";
  for (size_t f = 0; f < nodes.size(); f++) {
    out += fmt::format("{:<{}}", nodes[f].ns->node, width + 1);
    for (size_t t = 0; t < nodes.size(); t++) {
      auto it = pair_ok.find({f, t});
      const char* cell = f == t ? "-" : it == pair_ok.end() ? "." : it->second ? "✓" : "✗";
      out += " " + std::string(cell) + std::string(width - 1, ' ');
    }
    out += "\n";
  }
  size_t pairs = pair_ok.size();
  out += fmt::format("{}/{} pairs reachable{}\n", good, pairs,
                     pairs == good ? "" : "; ✗: some address of the node did not answer");
  return out;
}

}  // namespace

int cmd_status(const std::optional<std::string>& lab_or_file, bool as_json) {
  if (!lab_or_file) {
    // Every lab's journal is root's alone: without root each would look unreadable.
    require_privileges("status");
    json labs = labs_summary();
    std::fputs(
        as_json ? (json_text(labs) + "\n").c_str() : summary_table(labs, colour_out()).c_str(),
        stdout);
    return kOk;
  }
  Running r = running_lab(*lab_or_file, "status");
  json st = lab_status(r.state);
  std::fputs(as_json ? (json_report(st) + "\n").c_str() : status_table(st, colour_out()).c_str(),
             stdout);
  return kOk;
}

int cmd_ping(const std::string& lab_or_file, bool as_json) {
  Running r = running_lab(lab_or_file, "ping");
  std::vector<Target> nodes = ping_targets(r.state);
  std::vector<Probe> probes = probes_of(nodes);
  run_probes(r, nodes, probes);
  PairResults pair_ok = pair_results(probes);
  size_t good = 0;
  for (const auto& [pair, ok] : pair_ok) good += ok;
  if (as_json)
    std::fputs((json_report(ping_json(r.lab, nodes, probes, pair_ok.size(), good)) + "\n").c_str(),
               stdout);
  else
    std::fputs(ping_matrix(nodes, pair_ok, good).c_str(), stdout);
  return good == pair_ok.size() ? kOk : kFailed;
}

int cmd_test(const std::string& lab_or_file, bool as_json, const std::string& junit_file) {
  Running r = running_lab(lab_or_file, "test");
  LoadResult loaded = stored_file(r.lab, r.state);
  const Topology& t = loaded.topology;
  junit::Suite suite;
  suite.name = r.lab;
  suite.timestamp = junit::timestamp(std::time(nullptr));
  suite.hostname = junit::hostname();
  auto start = std::chrono::steady_clock::now();
  json results = json::array();
  size_t failed = 0;
  for (const TestCase& test : t.tests) {
    TestCommand command = command_of(t, test);
    TestRun run = run_test(context_of(r.lab, r.state, test_node(test)), test, command);
    failed += !run.passed;
    results.push_back(test_json(test.name, command.expected, run));
    suite.cases.push_back(junit_case(r.lab, test.name, command.expected, run));
    if (!as_json) print_test(test.name, command.expected, run);
  }
  suite.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (as_json) {
    json out = {{"lab", r.lab},
                {"passed", t.tests.size() - failed},
                {"failed", failed},
                {"tests", results}};
    std::fputs((json_report(out) + "\n").c_str(), stdout);
  } else if (t.tests.empty()) {
    fmt::print("lab {} has no tests\n", r.lab);
  } else {
    fmt::print("{} passed, {} failed\n", t.tests.size() - failed, failed);
  }
  std::fflush(stdout);
  int written = junit_file.empty() ? kOk : write_junit({suite}, junit_file);
  return failed ? kFailed : written;
}

}  // namespace topo
