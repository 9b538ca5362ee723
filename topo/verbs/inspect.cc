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
#include "topo/verbs/json_text.h"
#include "topo/verbs/junit.h"
#include "topo/verbs/lab.h"
#include "topo/verbs/status.h"

namespace topo {

using nlohmann::json;

namespace {

constexpr int kOk = 0, kFailed = 1, kInvalid = 2;

// A running lab's journal. Throws when there is none (Reported when LAB names no lab).
struct Running {
  std::string lab;
  JournalState state;
};
Running running_lab(const std::string& lab_or_file, const std::string& verb) {
  std::optional<std::string> lab = lab_name_of(lab_or_file);
  if (!lab) throw Reported{kInvalid};
  require_privileges(verb);
  std::optional<JournalState> s = read_journal(LabPaths::of(kRunDir, *lab).journal);
  if (!s || s->header.lab.empty())
    throw std::runtime_error(fmt::format("lab {} is not running", *lab));
  return Running{*lab, std::move(*s)};
}

bool colour_out() {
  return isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
}

NodeContext context_of(const Running& r, const JournalNetns& n) {
  LabDirs dirs = LabDirs::of(r.lab, r.state.header.file);
  return {r.lab, n.node, n.netns, dirs.node_dir(n.node), dirs.lab_dir, read_node_env(dirs, n.node)};
}

std::string seconds_text(std::chrono::steady_clock::duration d) {
  return fmt::format("{:.2f} s", std::chrono::duration<double>(d).count());
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
  for (const Target& t : nodes) contexts.push_back(context_of(r, *t.ns));
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

// --- test ---

// The lab's file as `up` read it, not as it may have been edited since. Read whole and closed
// (close-on-exec besides): the tests' commands inherit nothing of it.
LoadResult stored_file(const Running& r) {
  std::optional<std::string> text = read_file(LabPaths::of(kRunDir, r.lab).topology);
  std::string file = r.state.header.file;
  LoadResult loaded = load_text(file, text.value_or(""), std::filesystem::path(file).parent_path());
  if (!text || !loaded.diagnostics.empty())
    throw std::runtime_error(
        fmt::format("lab {} has no readable copy of its file: run `topo down {}` and `up` again",
                    r.lab, r.lab));
  return loaded;
}

// What a test runs, and what it expects, in words.
struct TestCommand {
  std::vector<std::string> argv;
  std::string expected;
};

TestCommand command_of(const Topology& t, const TestCase& test) {
  if (test.is_ping()) {
    std::string to = test.to;
    if (t.find_node(to)) {
      auto a = primary_address(t, to);
      to = a ? a->address_text() : to;
    }
    return {{"ping", "-c1", "-W1", to},
            fmt::format("ping {} {}", to, test.expect_success ? "answers" : "gets no answer")};
  }
  std::string expected = test.expect_exit      ? fmt::format("exit {}", *test.expect_exit)
                         : test.expect_success ? "exit 0"
                                               : "a non-zero exit";
  if (test.expect_output) expected += fmt::format(" and output matching /{}/", *test.expect_output);
  return {{"/bin/sh", "-c", test.cmd}, expected};
}

struct TestRun {
  bool passed = false;
  int attempts = 0;
  Captured got;
  std::chrono::steady_clock::duration took{};
};

// Tries the command until it passes or the test's deadline passes.
TestRun run_test(const NodeContext& ctx, const TestCase& test, const TestCommand& command) {
  auto start = std::chrono::steady_clock::now();
  auto deadline = start + std::chrono::microseconds(test.timeout_us);
  std::optional<std::regex> re;
  if (test.expect_output) re.emplace(*test.expect_output);
  TestRun run;
  for (;;) {
    run.attempts++;
    // One try may take until the deadline, and at least 10 s.
    auto limit = std::max(deadline, std::chrono::steady_clock::now() + std::chrono::seconds(10));
    run.got = run_captured(ctx, command.argv, limit);
    bool exit_ok = test.expect_exit ? run.got.status == *test.expect_exit
                                    : (run.got.status == 0) == test.expect_success;
    run.passed = exit_ok && (!re || std::regex_search(run.got.out, *re));
    if (run.passed || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the next poll of the state
  }
  run.took = std::chrono::steady_clock::now() - start;
  return run;
}

json test_json(const TestCase& test, const std::string& expected, const TestRun& run) {
  return {{"name", test.name},
          {"passed", run.passed},
          {"seconds", std::chrono::duration<double>(run.took).count()},
          {"attempts", run.attempts},
          {"expected", expected},
          {"got",
           {{"exit", run.got.status},
            {"stdout", run.got.out},
            {"stderr", run.got.err},
            {"timed_out", run.got.timed_out}}}};
}

// What a failed test expected and what came back, a line each, the outputs (their last 2000
// bytes) indented.
std::string failure_text(const std::string& expected, const TestRun& run) {
  std::string out = fmt::format("expected {}\ngot exit {}{}\n", expected, run.got.status,
                                run.got.timed_out ? " (killed: timed out)" : "");
  for (auto [what, text] : {std::pair{"stdout", run.got.out}, {"stderr", run.got.err}}) {
    std::string shown = text.size() > 2000 ? "..." + text.substr(text.size() - 2000) : text;
    if (shown.empty()) continue;
    out += fmt::format("{}:\n", what);
    std::istringstream lines(shown);
    for (std::string l; std::getline(lines, l);) out += fmt::format("  {}\n", l);
  }
  return out;
}

// ✓ or ✗ and the test's name; for a failure, what was expected and what came.
void print_test(const TestCase& test, const std::string& expected, const TestRun& run) {
  fmt::print("{} {} ({}{})\n", run.passed ? "✓" : "✗", test.name, seconds_text(run.took),
             run.attempts > 1 ? fmt::format(", {} tries", run.attempts) : "");
  if (!run.passed) {
    std::istringstream lines(failure_text(expected, run));
    for (std::string l; std::getline(lines, l);) fmt::print("    {}\n", l);
  }
  std::fflush(stdout);
}

// A test as a JUnit case: its failure's message is the first two lines of what print_test says
// (and the tries), its text all of it.
junit::Case junit_case(const std::string& lab, const TestCase& test, const std::string& expected,
                       const TestRun& run) {
  junit::Case c;
  c.name = test.name;
  c.classname = lab;
  c.seconds = std::chrono::duration<double>(run.took).count();
  if (run.passed) return c;
  c.outcome = junit::Case::Outcome::failed;
  c.message = fmt::format("expected {}, got exit {}{}{}", expected, run.got.status,
                          run.got.timed_out ? " (killed: timed out)" : "",
                          run.attempts > 1 ? fmt::format(" ({} tries)", run.attempts) : "");
  c.text = failure_text(expected, run);
  return c;
}

// Writes the report; a file that cannot be written is said, after the run's own report, and
// makes the exit status 1.
int write_junit(const junit::Suite& suite, const std::string& path) {
  try {
    junit::write({suite}, path);
    return kOk;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return kFailed;
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
  LoadResult loaded = stored_file(r);
  const Topology& t = loaded.topology;
  std::map<std::string, const JournalNetns*> by_node;
  for (const JournalNetns& n : r.state.netns) by_node[n.node] = &n;
  junit::Suite suite;
  suite.name = r.lab;
  suite.timestamp = junit::timestamp(std::time(nullptr));
  suite.hostname = junit::hostname();
  auto start = std::chrono::steady_clock::now();
  json results = json::array();
  size_t failed = 0;
  for (const TestCase& test : t.tests) {
    const std::string& node = test.is_ping() ? test.from : test.node;
    TestCommand command = command_of(t, test);
    TestRun run = run_test(context_of(r, *by_node.at(node)), test, command);
    failed += !run.passed;
    results.push_back(test_json(test, command.expected, run));
    suite.cases.push_back(junit_case(r.lab, test, command.expected, run));
    if (!as_json) print_test(test, command.expected, run);
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
  int written = junit_file.empty() ? kOk : write_junit(suite, junit_file);
  return failed ? kFailed : written;
}

}  // namespace topo
