// checks.h - the tests of a lab's file, run in a running lab: for `topo test`, for the checks of
// a scenario (`topo run`) and for the tests `up` waits for (`ready`).
#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "topo/entry/places.h"
#include "topo/language/loader.h"
#include "topo/run/journal.h"
#include "topo/run/runner.h"
#include "topo/verbs/junit.h"

namespace topo {

// A running lab's journal. Throws when there is none (Reported when LAB names no lab).
struct Running {
  std::string lab;
  JournalState state;
};
Running running_lab(const std::string& lab_or_file, const std::string& verb);

// The lab's file as `up` read it, not as it may have been edited since. Throws when the lab
// has no readable copy.
LoadResult stored_file(const std::string& lab, const JournalState& state);

// The tests `only` names, in file order: each word a test's name or a glob pattern (`bgp *`);
// every test when there is none. Throws InvalidInput for a word that names no test of `t` (with
// the nearest name), saying that `source` ("lab demo", or a file) has none.
std::vector<const TestCase*> select_tests(const Topology& t, const std::vector<std::string>& only,
                                          const std::string& source);

// A node of the lab, to run commands in. Throws std::runtime_error when the lab has no such
// node.
NodeContext context_of(const std::string& lab, const JournalState& state, const std::string& node);

// What a test runs, and what it expects, in words.
struct TestCommand {
  std::vector<std::string> argv;
  std::string expected;
};
TestCommand command_of(const Topology& t, const TestCase& test);
// The node a test runs in.
const std::string& test_node(const TestCase& test);
// Of a lab spread over hosts, the host of the test's node when it is not `here` (the test runs
// there, not on this machine); "" when the test runs here.
std::string test_elsewhere(const Topology& t, const std::string& here, const TestCase& test);
// The host whose part of the lab runs on this machine ("" for the whole lab).
std::string running_host(const JournalState& state);

// One try of a test: whether it held, and what came back. A try that has not ended by `limit`
// is killed, with everything it started; so too as soon as `stop` (if given) is set.
struct TestTry {
  bool passed = false;
  Captured got;
};
TestTry try_test(const NodeContext& ctx, const TestCase& test, const TestCommand& command,
                 std::chrono::steady_clock::time_point limit,
                 const std::atomic<bool>* stop = nullptr);

// A test tried until it holds or its timeout passes (one try without a timeout).
struct TestRun {
  bool passed = false;
  int attempts = 0;
  Captured got;
  std::chrono::steady_clock::duration took{};
};
TestRun run_test(const NodeContext& ctx, const TestCase& test, const TestCommand& command);

// What a failed test expected and what came back, a line each, the outputs (their last 2000
// bytes) indented.
std::string failure_text(const std::string& expected, const Captured& got);
// "exit 1 (killed: timed out)": what came back, in short.
std::string got_text(const Captured& got);

nlohmann::json test_json(const std::string& name, const std::string& expected, const TestRun& run);
// ✓ or ✗ and the test's name; for a failure, what was expected and what came.
void print_test(const std::string& name, const std::string& expected, const TestRun& run);
junit::Case junit_case(const std::string& classname, const std::string& name,
                       const std::string& expected, const TestRun& run);
// Writes a JUnit report; a file that cannot be written is said, after the run's own report, and
// makes the exit status 1 (else 0).
int write_junit(const std::vector<junit::Suite>& suites, const std::string& path);

std::string seconds_text(std::chrono::steady_clock::duration d);

// After `up`: tries the tests `ready` names (every test of the file without `ready`) until all
// hold, or its timeout (60 s unless it says) passes. 0 when they hold; 1, with what each test
// that did not hold expected and got, when they do not (the lab stays up).
int wait_ready(const Topology& t);

}  // namespace topo
