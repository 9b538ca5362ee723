// Scenarios (`topo run`) and readiness (`up --wait`, `ready:`) against real namespaces.
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include "tests/lab_fixture.h"

namespace topo::testing {
namespace {

using nlohmann::json;

// a - b - c, b forwarding, static routes across it; tests and scenarios appended by each case.
const char* kChain = R"(name: LAB
nodes:
  a:
    routes: [10.1.0.4/30 via 10.1.0.2]
  b: {kind: router}
  c:
    routes: [10.1.0.0/30 via 10.1.0.5]
links:
  - endpoints: [a:e0, b:e0]
    addresses: [10.1.0.1/30, 10.1.0.2/30]
  - endpoints: [b:e1, c:e0]
    addresses: [10.1.0.5/30, 10.1.0.6/30]
tests:
  - name: a reaches c
    ping: {from: a, to: 10.1.0.6}
)";

using Scenario = LabTest;

// Actions, checks with within and holds, the timeline, --repeat's spread, and the lab put back
// after each run: links up, no impairment, `plan` finds nothing to change.
TEST_F(Scenario, RunsStepsMeasuresChecksAndPutsTheLabBack) {
  std::string file = write_lab(std::string(kChain) + R"(scenarios:
  cut:
    - route: {node: a, to: 10.1.0.4/30}
    - route: {node: a, to: 10.1.0.4/30, via: 10.1.0.2, dev: e0}
    - no_route: {node: a, to: 10.1.0.4/30, via: 10.1.0.6}
    - down: b:e1
    - test: {ping: {from: a, to: 10.1.0.6}, expect: failure}
      within: 5s
    - no_route: {node: b, to: 10.1.0.4/30}
      within: 5s
    - up: b:e1
    - test: a reaches c
      within: 10s
      holds: 300ms
      name: a reaches c again
    - route: {node: b, to: 10.1.0.4/30, dev: e1}
    - impair: {end: a:e0, rate: 1mbit}
    - exec: {node: a, cmd: "tc qdisc show dev e0 | grep -q tbf"}
    - wait: 100ms
)");
  ASSERT_EQ(topo("up " + file).status, 0);

  CmdResult r = topo("run " + lab() + " cut");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "scenario cut on lab " + lab())) << r.output;
  EXPECT_TRUE(contains(r.output, "down b:e1")) << r.output;
  EXPECT_TRUE(contains(r.output, "a reaches c again within 10s holds 300ms")) << r.output;
  EXPECT_TRUE(contains(r.output, "put back as its file says")) << r.output;
  EXPECT_TRUE(contains(r.output, "1 run: 1 passed, 0 failed")) << r.output;

  json j = topo_json("run " + lab() + " cut --json --repeat 2", 0);
  EXPECT_EQ(j["lab"], lab());
  EXPECT_EQ(j["scenario"], "cut");
  EXPECT_EQ(j["passed"], 2);
  ASSERT_EQ(j["runs"].size(), 2u);
  for (const json& run : j["runs"]) {
    ASSERT_EQ(run["steps"].size(), 12u) << run.dump(2);
    EXPECT_EQ(run["steps"][3]["outcome"], "done");
    EXPECT_EQ(run["steps"][3]["check"], false);
    for (int i : {0, 1, 2, 4, 5, 7, 8}) {
      EXPECT_EQ(run["steps"][i]["outcome"], "passed") << run["steps"][i].dump(2);
      EXPECT_TRUE(run["steps"][i].contains("measured")) << run["steps"][i].dump(2);
    }
    EXPECT_GE(run["steps"][7]["seconds"].get<double>(), 0.3) << "it went on holding for 300 ms";
    EXPECT_GE(run["steps"][11]["seconds"].get<double>(), 0.1);
    EXPECT_GE(run["steps"][11]["at"].get<double>(), run["steps"][10]["at"].get<double>());
  }
  ASSERT_EQ(j["spread"].size(), 7u);
  EXPECT_EQ(j["spread"][3]["held"], 2);
  EXPECT_LE(j["spread"][0]["min"].get<double>(), j["spread"][0]["median"].get<double>());
  EXPECT_LE(j["spread"][0]["median"].get<double>(), j["spread"][0]["max"].get<double>());

  // Put back: the end the scenario took down is up, the impairment it set is gone.
  json links = ip_json("ip -n " + netns("b") + " -j link show e1");
  EXPECT_TRUE(contains(links.dump(), "\"UP\"")) << links.dump();
  EXPECT_FALSE(contains(in_node("a", "tc qdisc show dev e0").output, "tbf"));
  CmdResult plan = topo("plan " + file);
  EXPECT_EQ(plan.status, 0) << plan.output;

  // --keep: the lab stays as the scenario left it (the impairment is there).
  ASSERT_EQ(topo("run " + lab() + " cut --keep -q").status, 0);
  EXPECT_TRUE(contains(in_node("a", "tc qdisc show dev e0").output, "tbf"));
  EXPECT_EQ(topo("plan " + file).status, 3) << "plan shows what the scenario left as drift";
}

// A check that does not hold: exit 1, the timeline says what was expected and what came, the
// steps after it still run, the JUnit report (read by an XML parser) has the failure; a failed
// action skips the rest.
TEST_F(Scenario, AFailingCheckIsExitOneAndAJUnitFailure) {
  std::string file = write_lab(std::string(kChain) + R"(scenarios:
  broken:
    - down: a:e0
    - route: {node: a, to: 10.1.0.4/30, via: 10.1.0.2}
      within: 300ms
    - test: {exec: {node: c, cmd: "echo hi; exit 4"}, expect: {exit: 4, output: hi}}
    - exec: {node: c, cmd: "echo nope >&2; exit 3"}
    - up: a:e0
)");
  ASSERT_EQ(topo("up " + file).status, 0);
  std::string report = dir() + "/junit.xml";
  CmdResult r = topo("run " + lab() + " broken --junit " + testing::quoted(report));
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "✗ after")) << r.output;
  EXPECT_TRUE(contains(r.output, "no such route: ")) << r.output;
  EXPECT_TRUE(contains(r.output, "expected exit 0\n      got exit 3\n      stderr:\n        nope"))
      << r.output;
  EXPECT_TRUE(contains(r.output, "skipped")) << r.output;
  EXPECT_TRUE(contains(r.output, "1 run: 0 passed, 1 failed")) << r.output;

  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_file(report.c_str())) << file_text(report);
  pugi::xml_node suite = doc.child("testsuites").child("testsuite");
  EXPECT_EQ(std::string(suite.attribute("name").value()), lab() + ".broken");
  EXPECT_EQ(suite.attribute("tests").as_int(), 4) << "two checks, a failed action, a skipped one";
  EXPECT_EQ(suite.attribute("failures").as_int(), 1);
  EXPECT_EQ(suite.attribute("errors").as_int(), 1);
  EXPECT_EQ(suite.attribute("skipped").as_int(), 1);
  pugi::xml_node route =
      suite.find_child_by_attribute("testcase", "classname", (lab() + ".broken").c_str());
  EXPECT_TRUE(contains(route.attribute("name").value(), "route a 10.1.0.4/30 via 10.1.0.2"));
  EXPECT_TRUE(contains(route.child("failure").attribute("message").value(), "no such route"));
  // The lab is put back: a's end up, and the route the kernel dropped with it made again.
  EXPECT_TRUE(contains(in_node("a", "ip route").output, "10.1.0.4/30 via 10.1.0.2"));
  EXPECT_EQ(topo("plan " + file).status, 0);
}

// Ctrl-C in the middle: the step under way stops, the lab is put back, exit 130. Meanwhile the
// lab is busy: another verb that changes it fails at once.
TEST_F(Scenario, InterruptedItPutsTheLabBack) {
  std::string file = write_lab(std::string(kChain) + R"(scenarios:
  long:
    - down: b:e0
    - wait: 60s
    - up: b:e0
)");
  ASSERT_EQ(topo("up " + file).status, 0);
  std::string log = dir() + "/run.log";
  pid_t pid = spawn_topo({"run", lab(), "long"}, log);
  ASSERT_TRUE(
      eventually([&] { return contains(file_text(log), "down b:e0"); }, std::chrono::seconds(10)))
      << file_text(log);
  CmdResult busy = topo("link " + lab() + " b:e1 down");
  EXPECT_EQ(busy.status, 1) << busy.output;
  EXPECT_TRUE(contains(busy.output, "run")) << busy.output;
  // Looking is not changing: a capture (and a test) runs while the scenario holds the lab.
  CmdResult capture = topo("capture " + lab() + " b:e1 --duration 200ms -w " + dir() + "/c.pcapng");
  EXPECT_EQ(capture.status, 0) << capture.output;
  EXPECT_EQ(topo("test " + lab()).status, 1) << "b:e0 is down: a does not reach c";
  kill(pid, SIGINT);
  EXPECT_EQ(wait_for(pid), 130) << file_text(log);
  EXPECT_TRUE(contains(file_text(log), "wait 60s") && contains(file_text(log), "interrupted"))
      << file_text(log);
  std::string out = file_text(log);
  EXPECT_TRUE(contains(out, "interrupted")) << out;
  EXPECT_TRUE(contains(out, "putting lab " + lab() + " back")) << out;
  EXPECT_TRUE(contains(ip_json("ip -n " + netns("b") + " -j link show e0").dump(), "\"UP\""));
  EXPECT_EQ(topo("plan " + file).status, 0);

  // --keep keeps what a finished run left, not what an interrupted one did.
  std::string kept = dir() + "/kept.log";
  pid = spawn_topo({"run", lab(), "long", "--keep"}, kept);
  ASSERT_TRUE(
      eventually([&] { return contains(file_text(kept), "down b:e0"); }, std::chrono::seconds(10)))
      << file_text(kept);
  kill(pid, SIGINT);
  EXPECT_EQ(wait_for(pid), 130) << file_text(kept);
  EXPECT_TRUE(contains(file_text(kept), "putting lab " + lab() + " back")) << file_text(kept);
  EXPECT_EQ(topo("plan " + file).status, 0);
}

// A route check's time agrees with an independent observer: `ip -ts monitor route` in the node,
// started before, stamps the same deletion within a few milliseconds.
TEST_F(Scenario, ARouteChecksTimeAgreesWithIpMonitor) {
  std::string file = write_lab(std::string(kChain) + R"(scenarios:
  timed:
    - exec: {node: a, cmd: "ip route del 10.1.0.4/30"}
    - no_route: {node: a, to: 10.1.0.4/30}
      within: 5s
)");
  ASSERT_EQ(topo("up " + file).status, 0);
  std::string log = dir() + "/monitor.log";
  pid_t monitor = fork();
  if (monitor == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    execlp("ip", "ip", "-n", netns("a").c_str(), "-ts", "monitor", "route", nullptr);
    _exit(127);
  }
  struct Stop {
    pid_t pid;
    ~Stop() {
      kill(pid, SIGTERM);
      wait_for(pid);
    }
  } stop_monitor{monitor};
  // Listening once it has seen a route of ours come and go.
  ASSERT_TRUE(eventually(
      [&] {
        // One shell in the node: `ip netns exec` runs only the first command of a list there.
        in_node("a", "sh -c 'ip route add 192.0.2.0/24 via 10.1.0.2; ip route del 192.0.2.0/24'");
        return contains(file_text(log), "192.0.2.0/24");
      },
      std::chrono::seconds(10)))
      << file_text(log);

  CmdResult r = run(std::string(TOPO_BINARY) + " run " + lab() + " timed --json 2>/dev/null");
  ASSERT_EQ(r.status, 0) << r.output;
  json j = json::parse(r.output);
  const json& run0 = j["runs"][0];
  double topo_at = run0["started"].get<double>() + run0["steps"][0]["at"].get<double>() +
                   run0["steps"][1]["measured"].get<double>();

  // [2026-12-03T07:50:01.123456] Deleted 10.1.0.4/30 via 10.1.0.2 dev e0 ...
  std::string text = file_text(log);
  size_t line = text.find("] Deleted 10.1.0.4/30");
  ASSERT_NE(line, std::string::npos) << text;
  size_t open_bracket = text.rfind('[', line);
  std::string stamp = text.substr(open_bracket + 1, line - open_bracket - 1);
  std::tm tm = {};
  const char* rest = strptime(stamp.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  ASSERT_NE(rest, nullptr) << stamp;
  tm.tm_isdst = -1;
  double ip_at = static_cast<double>(mktime(&tm)) + std::stod(std::string("0") + rest);
  EXPECT_NEAR(topo_at, ip_at, 0.005) << stamp << "\n" << r.output;
}

// The example: OSPF routes around a cut link, a stopped router and a paused one (whose hellos
// stop), every time, each heal timed; the JUnit report has every check, passed.
TEST_F(Scenario, TheFrrExampleHealsAndIsTimed) {
  if (access("/usr/lib/frr/ospfd", X_OK) != 0)
    GTEST_SKIP() << "FRR is not installed (apt-get install frr)";
  std::string file = example("frr-ospf.yaml");
  CmdResult up = topo("up " + file);
  ASSERT_EQ(up.status, 0) << up.output;
  ASSERT_TRUE(contains(up.output, "is ready")) << up.output;
  std::string report = dir() + "/failover.xml";
  CmdResult r = topo("run " + lab() + " failover --junit " + testing::quoted(report));
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "r1 declares r2 dead (dead-interval 3s) within 15s")) << r.output;
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_file(report.c_str())) << file_text(report);
  pugi::xml_node suite = doc.child("testsuites").child("testsuite");
  EXPECT_EQ(suite.attribute("tests").as_int(), 7) << file_text(report);
  EXPECT_EQ(suite.attribute("failures").as_int(), 0) << file_text(report);
  // The reroute around the cut link is OSPF's work, not the kernel's: it takes some time.
  pugi::xml_node reroute = suite.first_child().next_sibling();  // after <properties>
  EXPECT_TRUE(contains(reroute.attribute("name").value(), "r1 reroutes to r3 through r2"))
      << file_text(report);
  EXPECT_EQ(topo("plan " + file).status, 0) << "put back as the file says";
}

TEST_F(Scenario, MistakesOnTheCommandLine) {
  std::string file = write_lab(std::string(kChain) + "scenarios:\n  cut:\n    - down: b:e1\n");
  CmdResult not_running = topo("run " + lab() + " cut");
  EXPECT_EQ(not_running.status, 1);
  EXPECT_TRUE(contains(not_running.output, "lab " + lab() + " is not running"))
      << not_running.output;
  ASSERT_EQ(topo("up " + file).status, 0);
  CmdResult unknown = topo("run " + lab() + " cur");
  EXPECT_EQ(unknown.status, 2);
  EXPECT_TRUE(contains(unknown.output, "has no scenario `cur` (did you mean `cut`?)"))
      << unknown.output;
  EXPECT_EQ(topo("run " + lab() + " cut --repeat 0").status, 2);
  EXPECT_EQ(topo("run " + lab() + " cut --junit -").status, 2);
  EXPECT_EQ(topo("run " + lab()).status, 2);
  // Nothing was changed by any of them.
  EXPECT_TRUE(contains(ip_json("ip -n " + netns("b") + " -j link show e1").dump(), "\"UP\""));
  EXPECT_EQ(topo("plan " + file).status, 0);
}

// `ready:` makes up wait for its tests; `--wait` waits for every test; a test that does not hold
// in time is exit 1, said, and the lab stays up.
TEST_F(Scenario, UpWaitsUntilTheLabIsReady) {
  std::string ready = write_lab(std::string(kChain) + R"(  - name: c's flag is there
    exec: {node: c, cmd: "test -f $TOPO_NODE_DIR/flag"}
ready: {tests: [c's flag is there], timeout: 20s}
)");
  // The flag comes a while after up: ready waits for it.
  std::string with_flag = file_text(ready);
  with_flag.replace(with_flag.find("  c:\n"), 5,
                    "  c:\n    exec: [\"(sleep 0.5; touch $TOPO_NODE_DIR/flag) &\"]\n");
  std::ofstream(ready) << with_flag;
  CmdResult up = topo("up " + ready);
  EXPECT_EQ(up.status, 0) << up.output;
  EXPECT_TRUE(contains(up.output, "✓ c's flag is there")) << up.output;
  EXPECT_TRUE(contains(up.output, "is ready")) << up.output;
  ASSERT_EQ(topo("down " + lab()).status, 0);

  // --wait without `ready`: every test of the file.
  std::string plain = write_lab(kChain, "plain.yaml");
  CmdResult waited = topo("up --wait " + plain);
  EXPECT_EQ(waited.status, 0) << waited.output;
  EXPECT_TRUE(contains(waited.output, "✓ a reaches c")) << waited.output;
  ASSERT_EQ(topo("down " + lab()).status, 0);

  // Never ready: said with what the test expected and got; the lab stays up.
  std::string never = write_lab(std::string(kChain) + R"(  - name: never
    exec: {node: a, cmd: "echo not yet; false"}
ready: {tests: all, timeout: 500ms}
)",
                                "never.yaml");
  CmdResult not_ready = topo("up " + never);
  EXPECT_EQ(not_ready.status, 1) << not_ready.output;
  EXPECT_TRUE(contains(not_ready.output, "test `never` did not hold within")) << not_ready.output;
  EXPECT_TRUE(
      contains(not_ready.output, "expected exit 0\n    got exit 1\n    stdout:\n      not yet"))
      << not_ready.output;
  EXPECT_TRUE(contains(not_ready.output, "is up, but not ready")) << not_ready.output;
  EXPECT_EQ(netns_with_prefix(prefix()).size(), 3u);
}

}  // namespace
}  // namespace topo::testing
