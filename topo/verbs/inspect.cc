// The verbs that look at a running lab: status, ping (what it pings and reports: ping.cc), test.
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
#include "topo/verbs/lab_common.h"
#include "topo/verbs/ping.h"
#include "topo/verbs/status.h"

namespace topo {

using nlohmann::json;

namespace {

bool colour_out() {
  return isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
}

// --- ping ---

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

// The nodes that can ping (not bridges, not LANs), and the bridges. Each node's addresses are
// read once it is chosen.
std::pair<std::vector<PingNode>, std::vector<std::string>> ping_nodes(const JournalState& state) {
  std::vector<PingNode> nodes;
  std::vector<std::string> bridges;
  for (const JournalNetns& n : state.netns) {
    auto kind = parse_kind(n.kind);
    if (kind == NodeKind::bridge) bridges.push_back(n.node);
    if (kind != NodeKind::lan && kind != NodeKind::bridge) nodes.push_back({n.node, {}, ""});
  }
  return {nodes, bridges};
}

const std::string& netns_of(const JournalState& state, const std::string& node) {
  for (const JournalNetns& n : state.netns)
    if (n.node == node) return n.netns;
  throw std::runtime_error(fmt::format("lab {} has no node {}", state.header.lab, node));
}

// ping's exit status: 1 no answer (iputils), anything else an error before one was awaited.
std::string ping_failure(int raw) {
  if (WIFEXITED(raw) && WEXITSTATUS(raw) == 1) return "no answer";
  if (WIFEXITED(raw))
    return fmt::format("ping exited with status {} (no route to it, or another error)",
                       WEXITSTATUS(raw));
  return fmt::format("ping was killed by signal {}", WTERMSIG(raw));
}

// Runs every probe, in parallel, a bounded number at a time; a probe that cannot start fails,
// saying why.
void run_probes(const Running& r, const std::vector<PingNode>& nodes, std::vector<Probe>& probes) {
  std::vector<NodeContext> contexts;
  for (const PingNode& n : nodes)  // a node on another host sends no probe
    contexts.push_back(n.host.empty() ? context_of(r.lab, r.state, n.name) : NodeContext{});
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
        p.failure = fmt::format("ping could not start: {}", e.what());
      }
      next++;
    }
    if (running.empty()) continue;
    int raw;
    pid_t pid = waitpid(-1, &raw, 0);
    if (pid < 0) break;
    auto it = running.find(pid);
    if (it == running.end()) continue;
    Probe& p = probes[it->second];
    p.ok = WIFEXITED(raw) && WEXITSTATUS(raw) == 0;
    if (!p.ok) p.failure = ping_failure(raw);
    running.erase(it);
  }
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

int cmd_ping(const PingOptions& options) {
  Running r = running_lab(options.lab, "ping");
  auto [all, bridges] = ping_nodes(r.state);
  // Of a lab spread over hosts, the nodes of the others too, as targets: their addresses as
  // the stored file gives them.
  std::optional<LoadResult> stored;
  if (!running_host(r.state).empty()) {
    stored = stored_file(r.lab, r.state);
    for (const Node& n : stored->topology.nodes)
      if (n.host != running_host(r.state) && n.kind != NodeKind::bridge) {
        all.push_back({n.name, {}, n.host});
        for (int family : {nl::IpPrefix::AF_INET_VALUE, nl::IpPrefix::AF_INET6_VALUE})
          if (auto a = primary_address(stored->topology, n.name, family))
            all.back().addresses.push_back(*a);
      } else if (n.host != running_host(r.state)) {
        bridges.push_back(n.name);
      }
  }
  std::vector<PingNode> nodes = select_ping_nodes(r.lab, all, options.nodes, bridges);
  for (PingNode& n : nodes)
    if (n.host.empty()) n.addresses = primary_addresses(netns_of(r.state, n.name));
  std::vector<Probe> probes = ping_probes(nodes, options.family);
  run_probes(r, nodes, probes);
  PingSummary summary = summarize(nodes, probes);
  if (options.json)
    std::fputs(
        (json_report(ping_json(r.lab, nodes, probes, summary, options.family)) + "\n").c_str(),
        stdout);
  else
    std::fputs(ping_text(nodes, probes, summary, options.family).c_str(), stdout);
  return summary.all_reachable() ? kOk : kFailed;
}

int cmd_test(const TestOptions& options) {
  // A file: its tests, against the running lab of its name.
  std::optional<LoadResult> given;
  if (names_a_file(options.lab)) {
    given = load_checked(options.lab, options.name);
    if (!given) return kInvalid;
  } else if (!options.name.empty()) {
    throw InvalidInput(fmt::format(
        "--name goes with a FILE, and `{}` is no file: a lab's name names its lab already",
        options.lab));
  }
  Running r = running_lab(given ? given->topology.name : options.lab, "test");
  LoadResult loaded = given ? std::move(*given) : stored_file(r.lab, r.state);
  const Topology& t = loaded.topology;
  if (given && read_file(LabPaths::of(kRunDir, r.lab).topology) != loaded.text)
    spdlog::info(
        "the tests are {}'s, which is not the copy lab {} stored at its last `up`: `topo plan "
        "{}` shows how they differ",
        t.file, r.lab, t.file);
  std::vector<const TestCase*> tests =
      select_tests(t, options.only, given ? t.file : "lab " + r.lab);
  junit::Suite suite;
  suite.name = r.lab;
  suite.timestamp = junit::timestamp(std::time(nullptr));
  suite.hostname = junit::hostname();
  auto start = std::chrono::steady_clock::now();
  json results = json::array();
  json elsewhere = json::array();
  size_t failed = 0;
  std::string here = running_host(r.state);
  for (const TestCase* test : tests) {
    if (std::string host = test_elsewhere(t, here, *test); !host.empty()) {
      elsewhere.push_back({{"name", test->name}, {"host", host}});
      suite.cases.push_back({test->name, r.lab, 0, junit::Case::Outcome::skipped,
                             fmt::format("its node is on host {}: run there", host), ""});
      if (!options.json)
        fmt::print("- {}: its node {} is on host {} (run it there)\n", test->name, test_node(*test),
                   host);
      continue;
    }
    TestCommand command = command_of(t, *test);
    TestRun run = run_test(context_of(r.lab, r.state, test_node(*test)), *test, command);
    failed += !run.passed;
    results.push_back(test_json(test->name, command.expected, run));
    suite.cases.push_back(junit_case(r.lab, test->name, command.expected, run));
    if (!options.json) print_test(test->name, command.expected, run);
  }
  suite.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  size_t ran = results.size();
  if (options.json) {
    json out = {{"lab", r.lab}, {"passed", ran - failed}, {"failed", failed}, {"tests", results}};
    if (!here.empty()) {
      out["host"] = here;
      out["elsewhere"] = elsewhere;
    }
    std::fputs((json_report(out) + "\n").c_str(), stdout);
  } else if (tests.empty()) {
    fmt::print("lab {} has no tests\n", r.lab);
  } else {
    fmt::print("{} passed, {} failed{}\n", ran - failed, failed,
               elsewhere.empty() ? "" : fmt::format(", {} on other hosts", elsewhere.size()));
  }
  std::fflush(stdout);
  int written = options.junit.empty() ? kOk : write_junit({suite}, options.junit);
  return failed ? kFailed : written;
}

}  // namespace topo
