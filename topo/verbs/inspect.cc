// The verbs that look at a running lab: status, ping, test.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
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
#include "topo/model/lab.h"
#include "topo/run/node_setup.h"
#include "topo/run/runner.h"
#include "topo/run/state.h"
#include "topo/verbs/json_text.h"
#include "topo/verbs/lab.h"
#include "topo/verbs/status.h"

namespace topo {

using nlohmann::json;

namespace {

constexpr int kOk = 0, kFailed = 1, kInvalid = 2;

// A running lab's journal, or a message and the exit status to return.
struct Running {
  std::string lab;
  JournalState state;
};
std::optional<Running> running_lab(const std::string& lab_or_file, const std::string& verb,
                                   int& status) {
  status = kInvalid;
  std::optional<std::string> lab = lab_name_of(lab_or_file);
  if (!lab) return std::nullopt;
  status = kFailed;
  if (std::string why = missing_privileges(verb); !why.empty()) {
    spdlog::error("error: {}", why);
    return std::nullopt;
  }
  try {
    std::optional<JournalState> s = read_journal(LabPaths::of(kRunDir, *lab).journal);
    if (s && !s->header.lab.empty()) return Running{*lab, std::move(*s)};
  } catch (const std::exception& e) {
    spdlog::error("error: {}", e.what());
    return std::nullopt;
  }
  spdlog::error("error: lab {} is not running", *lab);
  return std::nullopt;
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

}  // namespace

int cmd_status(const std::optional<std::string>& lab_or_file, bool as_json) {
  if (!lab_or_file) {
    // Every lab's journal is root's alone: without root each would look unreadable.
    if (std::string why = missing_privileges("status"); !why.empty()) {
      spdlog::error("error: {}", why);
      return kFailed;
    }
    json labs = labs_summary();
    std::fputs(
        as_json ? (json_text(labs) + "\n").c_str() : summary_table(labs, colour_out()).c_str(),
        stdout);
    return kOk;
  }
  int status;
  std::optional<Running> r = running_lab(*lab_or_file, "status", status);
  if (!r) return status;
  json st = lab_status(r->state);
  std::fputs(as_json ? (json_text(st) + "\n").c_str() : status_table(st, colour_out()).c_str(),
             stdout);
  return kOk;
}

int cmd_ping(const std::string& lab_or_file, bool as_json) {
  int status;
  std::optional<Running> r = running_lab(lab_or_file, "ping", status);
  if (!r) return status;
  // Every node that can ping (not bridges, not LANs) and its primary addresses, live from the
  // kernel: per family, the first of lo's, else of its interfaces in the order they were made
  // (what its name resolves to).
  struct Target {
    const JournalNetns* ns;
    std::vector<nl::IpPrefix> addresses;
  };
  std::vector<Target> nodes;
  for (const JournalNetns& n : r->state.netns) {
    if (auto kind = parse_kind(n.kind); kind == NodeKind::lan || kind == NodeKind::bridge) continue;
    Target t{&n, {}};
    try {
      nl::Netns ns = nl::Netns::open(n.netns);
      std::vector<nl::LinkState> links = nl::list_links(ns);
      std::stable_sort(links.begin(), links.end(), [](const auto& x, const auto& y) {
        return x.ifindex < y.ifindex;  // lo (1) first
      });
      for (int family : {nl::IpPrefix::AF_INET_VALUE, nl::IpPrefix::AF_INET6_VALUE}) {
        bool found = false;
        for (const nl::LinkState& l : links)
          for (const nl::IpPrefix& a : l.addresses)
            if (!found && a.family == family && !a.is_loopback()) {
              t.addresses.push_back(a);
              found = true;
            }
      }
    } catch (const std::exception& e) {
      spdlog::error("error: {}", e.what());
      return kFailed;
    }
    nodes.push_back(std::move(t));
  }
  // Every (from, to, address), run in parallel, a bounded number at a time.
  struct Probe {
    size_t from, to;
    nl::IpPrefix address;
    bool ok = false;
  };
  std::vector<Probe> probes;
  for (size_t f = 0; f < nodes.size(); f++)
    for (size_t t = 0; t < nodes.size(); t++)
      if (f != t)
        for (const nl::IpPrefix& a : nodes[t].addresses) probes.push_back({f, t, a});
  std::vector<NodeContext> contexts;
  for (const Target& t : nodes) contexts.push_back(context_of(*r, *t.ns));
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
        spdlog::error("error: {}", e.what());
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
  // pair -> all of its addresses answered
  std::map<std::pair<size_t, size_t>, bool> pair_ok;
  for (const Probe& p : probes) {
    auto key = std::make_pair(p.from, p.to);
    pair_ok[key] = (pair_ok.count(key) ? pair_ok[key] : true) && p.ok;
  }
  size_t pairs = pair_ok.size(), good = 0;
  for (auto& [k, ok] : pair_ok) good += ok;
  if (as_json) {
    json out = {{"lab", r->lab}, {"pairs", pairs}, {"reachable", good}, {"results", json::array()}};
    for (const Probe& p : probes)
      out["results"].push_back({{"from", nodes[p.from].ns->node},
                                {"to", nodes[p.to].ns->node},
                                {"address", p.address.address_text()},
                                {"ok", p.ok}});
    std::fputs((json_text(out) + "\n").c_str(), stdout);
  } else {
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
    out += fmt::format("{}/{} pairs reachable{}\n", good, pairs,
                       pairs == good ? "" : "; ✗: some address of the node did not answer");
    std::fputs(out.c_str(), stdout);
  }
  return good == pairs ? kOk : kFailed;
}

int cmd_test(const std::string& lab_or_file, bool as_json) {
  int status;
  std::optional<Running> r = running_lab(lab_or_file, "test", status);
  if (!r) return status;
  // The tests of the file as `up` read it, not as it may have been edited since.
  // Read whole and closed (close-on-exec besides): the tests' commands inherit nothing of it.
  std::optional<std::string> text = read_file(LabPaths::of(kRunDir, r->lab).topology);
  std::string file = r->state.header.file;
  LoadResult loaded = load_text(file, text.value_or(""), std::filesystem::path(file).parent_path());
  if (!text || !loaded.diagnostics.empty()) {
    spdlog::error(
        "error: lab {} has no readable copy of its file: run `topo down {}` and `up` "
        "again",
        r->lab, r->lab);
    return kFailed;
  }
  const Topology& t = loaded.topology;
  std::map<std::string, const JournalNetns*> by_node;
  for (const JournalNetns& n : r->state.netns) by_node[n.node] = &n;

  json results = json::array();
  size_t failed = 0;
  for (const TestCase& test : t.tests) {
    auto start = std::chrono::steady_clock::now();
    auto deadline = start + std::chrono::microseconds(test.timeout_us);
    const std::string& node = test.is_ping() ? test.from : test.node;
    NodeContext ctx = context_of(*r, *by_node.at(node));
    std::vector<std::string> argv;
    std::string expected;
    if (test.is_ping()) {
      std::string to = test.to;
      if (t.find_node(to)) {
        auto a = primary_address(t, to);
        to = a ? a->address_text() : to;
      }
      argv = {"ping", "-c1", "-W1", to};
      expected = fmt::format("ping {} {}", to, test.expect_success ? "answers" : "gets no answer");
    } else {
      argv = {"/bin/sh", "-c", test.cmd};
      if (test.expect_exit)
        expected = fmt::format("exit {}", *test.expect_exit);
      else
        expected = test.expect_success ? "exit 0" : "a non-zero exit";
      if (test.expect_output)
        expected += fmt::format(" and output matching /{}/", *test.expect_output);
    }
    std::optional<std::regex> re;
    if (test.expect_output) re.emplace(*test.expect_output);
    Captured got;
    int attempts = 0;
    bool passed = false;
    for (;;) {
      attempts++;
      // One try may take until the deadline, and at least 10 s.
      auto limit = std::max(deadline, std::chrono::steady_clock::now() + std::chrono::seconds(10));
      got = run_captured(ctx, argv, limit);
      bool exit_ok = test.expect_exit ? got.status == *test.expect_exit
                                      : (got.status == 0) == test.expect_success;
      passed = exit_ok && (!re || std::regex_search(got.out, *re));
      if (passed || std::chrono::steady_clock::now() >= deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the next poll of the state
    }
    auto took = std::chrono::steady_clock::now() - start;
    failed += !passed;
    results.push_back({{"name", test.name},
                       {"passed", passed},
                       {"seconds", std::chrono::duration<double>(took).count()},
                       {"attempts", attempts},
                       {"expected", expected},
                       {"got",
                        {{"exit", got.status},
                         {"stdout", got.out},
                         {"stderr", got.err},
                         {"timed_out", got.timed_out}}}});
    if (!as_json) {
      fmt::print("{} {} ({}{})\n", passed ? "✓" : "✗", test.name, seconds_text(took),
                 attempts > 1 ? fmt::format(", {} tries", attempts) : "");
      if (!passed) {
        fmt::print("    expected {}\n    got exit {}{}\n", expected, got.status,
                   got.timed_out ? " (killed: timed out)" : "");
        for (auto [what, text] : {std::pair{"stdout", got.out}, {"stderr", got.err}}) {
          std::string shown = text.size() > 2000 ? "..." + text.substr(text.size() - 2000) : text;
          if (!shown.empty()) {
            fmt::print("    {}:\n", what);
            std::istringstream lines(shown);
            for (std::string l; std::getline(lines, l);) fmt::print("      {}\n", l);
          }
        }
      }
      std::fflush(stdout);
    }
  }
  if (as_json) {
    json out = {{"lab", r->lab},
                {"passed", t.tests.size() - failed},
                {"failed", failed},
                {"tests", results}};
    std::fputs((json_text(out) + "\n").c_str(), stdout);
  } else if (t.tests.empty()) {
    fmt::print("lab {} has no tests\n", r->lab);
  } else {
    fmt::print("{} passed, {} failed\n", t.tests.size() - failed, failed);
  }
  return failed ? kFailed : kOk;
}

}  // namespace topo
