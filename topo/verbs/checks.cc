#include "topo/verbs/checks.h"

#include <fnmatch.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "topo/entry/entry.h"
#include "topo/entry/privileges.h"
#include "topo/entry/safe_fs.h"
#include "topo/language/hosts.h"
#include "topo/language/suggest.h"
#include "topo/run/node_setup.h"
#include "topo/run/state.h"
#include "topo/verbs/lab.h"

namespace topo {

Running running_lab(const std::string& lab_or_file, const std::string& verb) {
  std::optional<std::string> lab = lab_name_of(lab_or_file);
  if (!lab) throw Reported{2};
  require_privileges(verb);
  std::optional<JournalState> s = read_journal(LabPaths::of(kRunDir, *lab).journal);
  if (!s || s->header.lab.empty())
    throw std::runtime_error(fmt::format("lab {} is not running", *lab));
  return Running{*lab, std::move(*s)};
}

// Read whole and closed (close-on-exec besides): the tests' commands inherit nothing of it.
// Read as the lab it is (a lab brought up with --name has a name its file does not say).
LoadResult stored_file(const std::string& lab, const JournalState& state) {
  std::optional<std::string> text = read_file(LabPaths::of(kRunDir, lab).topology);
  std::string file = state.header.file;
  LoadResult loaded = load_text(file, text.value_or(""), std::filesystem::path(file).parent_path(),
                                Disk::skip, {state.header.lab, state.header.prefix});
  if (!text || !loaded.diagnostics.empty())
    throw std::runtime_error(fmt::format(
        "lab {} has no readable copy of its file: run `topo down {}` and `up` again", lab, lab));
  return loaded;
}

std::vector<const TestCase*> select_tests(const Topology& t, const std::vector<std::string>& only,
                                          const std::string& source) {
  std::vector<const TestCase*> chosen;
  std::vector<std::string> names;
  for (const TestCase& test : t.tests) names.push_back(test.name);
  auto named = [](const std::string& word, const std::string& name) {
    return word == name || fnmatch(word.c_str(), name.c_str(), 0) == 0;
  };
  for (const std::string& word : only)
    if (std::none_of(names.begin(), names.end(), [&](const auto& n) { return named(word, n); }))
      throw InvalidInput(
          t.tests.empty()
              ? fmt::format("{} has no tests: --only `{}` names none", source, word)
              : fmt::format("{} has no test `{}`{}", source, word, did_you_mean(word, names)));
  for (const TestCase& test : t.tests)
    if (only.empty() || std::any_of(only.begin(), only.end(),
                                    [&](const auto& word) { return named(word, test.name); }))
      chosen.push_back(&test);
  return chosen;
}

NodeContext context_of(const std::string& lab, const JournalState& state, const std::string& node) {
  for (const JournalNetns& n : state.netns)
    if (n.node == node) {
      LabDirs dirs = LabDirs::of(lab, state.header.file);
      return {
          lab, n.node, n.netns, dirs.node_dir(n.node), dirs.lab_dir, read_node_env(dirs, n.node)};
    }
  throw std::runtime_error(fmt::format("lab {} has no node {}", lab, node));
}

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

const std::string& test_node(const TestCase& test) {
  return test.is_ping() ? test.from : test.node;
}

std::string test_elsewhere(const Topology& t, const std::string& here, const TestCase& test) {
  const Node* n = t.find_node(test_node(test));
  return !here.empty() && n && n->host != here ? n->host : "";
}

std::string running_host(const JournalState& state) {
  if (state.built) return state.built->host;
  return state.building ? state.building->host : "";
}

TestTry try_test(const NodeContext& ctx, const TestCase& test, const TestCommand& command,
                 std::chrono::steady_clock::time_point limit, const std::atomic<bool>* stop) {
  TestTry t;
  t.got = run_captured(ctx, command.argv, limit, stop);
  bool exit_ok = test.expect_exit ? t.got.status == *test.expect_exit
                                  : (t.got.status == 0) == test.expect_success;
  // The loader checked the regex: it compiles.
  t.passed = exit_ok &&
             (!test.expect_output || std::regex_search(t.got.out, std::regex(*test.expect_output)));
  return t;
}

TestRun run_test(const NodeContext& ctx, const TestCase& test, const TestCommand& command) {
  auto start = std::chrono::steady_clock::now();
  auto deadline = start + std::chrono::microseconds(test.timeout_us);
  TestRun run;
  for (;;) {
    run.attempts++;
    // One try may take until the deadline, and at least 10 s.
    auto limit = std::max(deadline, std::chrono::steady_clock::now() + std::chrono::seconds(10));
    TestTry t = try_test(ctx, test, command, limit);
    run.passed = t.passed;
    run.got = std::move(t.got);
    if (run.passed || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the next poll of the state
  }
  run.took = std::chrono::steady_clock::now() - start;
  return run;
}

std::string got_text(const Captured& got) {
  return fmt::format("exit {}{}", got.status, got.timed_out ? " (killed: timed out)" : "");
}

std::string failure_text(const std::string& expected, const Captured& got) {
  std::string out = fmt::format("expected {}\ngot {}\n", expected, got_text(got));
  for (auto [what, text] : {std::pair{"stdout", got.out}, {"stderr", got.err}}) {
    std::string shown = text.size() > 2000 ? "..." + text.substr(text.size() - 2000) : text;
    if (shown.empty()) continue;
    out += fmt::format("{}:\n", what);
    std::istringstream lines(shown);
    for (std::string l; std::getline(lines, l);) out += fmt::format("  {}\n", l);
  }
  return out;
}

nlohmann::json test_json(const std::string& name, const std::string& expected, const TestRun& run) {
  return {{"name", name},
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

std::string seconds_text(std::chrono::steady_clock::duration d) {
  return fmt::format("{:.2f} s", std::chrono::duration<double>(d).count());
}

void print_test(const std::string& name, const std::string& expected, const TestRun& run) {
  fmt::print("{} {} ({}{})\n", run.passed ? "✓" : "✗", name, seconds_text(run.took),
             run.attempts > 1 ? fmt::format(", {} tries", run.attempts) : "");
  if (!run.passed) {
    std::istringstream lines(failure_text(expected, run.got));
    for (std::string l; std::getline(lines, l);) fmt::print("    {}\n", l);
  }
  std::fflush(stdout);
}

// Its failure's message is the first two lines of what print_test says (and the tries), its
// text all of it.
junit::Case junit_case(const std::string& classname, const std::string& name,
                       const std::string& expected, const TestRun& run) {
  junit::Case c;
  c.name = name;
  c.classname = classname;
  c.seconds = std::chrono::duration<double>(run.took).count();
  if (run.passed) return c;
  c.outcome = junit::Case::Outcome::failed;
  c.message = fmt::format("expected {}, got {}{}", expected, got_text(run.got),
                          run.attempts > 1 ? fmt::format(" ({} tries)", run.attempts) : "");
  c.text = failure_text(expected, run.got);
  return c;
}

int write_junit(const std::vector<junit::Suite>& suites, const std::string& path) {
  try {
    junit::write(suites, path);
    return 0;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
}

int wait_ready(const Topology& t) {
  auto start = std::chrono::steady_clock::now();
  uint64_t timeout_us = t.ready ? t.ready->timeout_us : Ready{}.timeout_us;
  auto deadline = start + std::chrono::microseconds(timeout_us);
  std::vector<const TestCase*> waiting;
  // Of a lab spread over hosts, each host waits for the tests of its own nodes.
  for (const TestCase& test : t.tests)
    if ((!t.ready || t.ready->all ||
         std::count(t.ready->tests.begin(), t.ready->tests.end(), test.name)) &&
        test_elsewhere(t, t.here, test).empty())
      waiting.push_back(&test);
  Running r = running_lab(t.name, "up");
  if (waiting.empty() && !t.here.empty()) {
    spdlog::info("lab {} is ready: none of the tests it waits for runs on host {}'s nodes", t.name,
                 t.here);
    return 0;
  }
  spdlog::info("lab {}: waiting for {} test{} to hold (at most {})", t.name, waiting.size(),
               waiting.size() == 1 ? "" : "s", seconds_text(deadline - start));
  std::map<const TestCase*, TestTry> last;
  while (!waiting.empty()) {
    for (auto it = waiting.begin(); it != waiting.end();) {
      TestCommand command = command_of(t, **it);
      TestTry got;
      try {
        NodeContext ctx = context_of(r.lab, r.state, test_node(**it));
        got = try_test(
            ctx, **it, command,
            std::max(deadline, std::chrono::steady_clock::now() + std::chrono::seconds(10)));
      } catch (const std::exception& e) {  // it could not start (a paused node): it did not hold
        got.got.status = -1;
        got.got.err = e.what();
      }
      if (got.passed) {
        spdlog::info("✓ {} ({})", (*it)->name,
                     seconds_text(std::chrono::steady_clock::now() - start));
        it = waiting.erase(it);
      } else {
        last[*it] = std::move(got);
        ++it;
      }
    }
    if (waiting.empty() || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the next poll of the state
  }
  if (waiting.empty()) {
    spdlog::info("lab {} is ready ({})", t.name,
                 seconds_text(std::chrono::steady_clock::now() - start));
    return 0;
  }
  for (const TestCase* test : waiting) {
    spdlog::error("lab {} is not ready: test `{}` did not hold within {}", t.name, test->name,
                  seconds_text(deadline - start));
    std::istringstream lines(failure_text(command_of(t, *test).expected, last[test].got));
    for (std::string l; std::getline(lines, l);) fmt::print(stderr, "    {}\n", l);
  }
  spdlog::error(
      "lab {} is up, but not ready: `topo test {}` tries its tests again, `topo down {}` "
      "removes it",
      t.name, t.name, t.name);
  return 1;
}

}  // namespace topo
