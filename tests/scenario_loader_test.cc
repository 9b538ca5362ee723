// `scenarios` and `ready` as the loader reads and checks them.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "topo/language/loader.h"

namespace topo {
namespace {

// Three nodes in a line, a test, and what the case adds after it.
std::string lab(const std::string& rest) {
  return R"(name: t
nodes: {r1: {}, r2: {}, r3: {}}
links:
  - endpoints: [r1:eth1, r2:eth1]
  - endpoints: [r2:eth2, r3:eth1]
tests:
  - name: r1 reaches r3
    ping: {from: r1, to: r3}
)" + rest;
}
constexpr int kFirstLine = 9;  // the first line of `rest`

LoadResult load(const std::string& text) {
  return load_text("lab.yaml", text, "/labs");
}

// The file has exactly one error, at line:col (line counted in `rest`, from 0), whose message
// contains `what`; rendered as FILE:LINE:COL.
void expect_error(const std::string& rest, int line, int col, const std::string& what) {
  LoadResult r = load(lab(rest));
  ASSERT_EQ(r.diagnostics.size(), 1u) << r.diagnostics.render();
  const Diagnostic& d = r.diagnostics.list()[0];
  EXPECT_EQ(d.pos.line, kFirstLine + line) << d.message;
  EXPECT_EQ(d.pos.col, col) << d.message;
  EXPECT_NE(d.message.find(what), std::string::npos) << d.message;
  std::string rendered = r.diagnostics.render();
  EXPECT_EQ(rendered.rfind(fmt::format("lab.yaml:{}:{}: ", kFirstLine + line, col), 0), 0u)
      << rendered;
}

TEST(ScenarioLoader, ReadsEveryKindOfStep) {
  LoadResult r = load(lab(R"(scenarios:
  heal:
    - down: r1:eth1
    - up: [r1:eth1, r2:eth2]
    - impair: {end: r2:eth1, delay: 10ms, loss: 1%}
    - impair: {end: r2:eth1, clear: true}
    - stop: r2
    - start: [r2, r3]
    - restart: r2
    - pause: r3
    - resume: r3
    - exec: {node: r1, cmd: "ip route"}
    - wait: 1.5s
    - route: {node: r1, to: 10.0.0.3/32, via: 10.0.12.2, dev: eth1}
      within: 10s
      name: reroute
    - no_route: {node: r1, to: fd00::/64}
      holds: 2s
    - test: r1 reaches r3
      within: 5s
      holds: 1s
    - test: {ping: {from: r1, to: r2}, expect: failure}
    - test: {exec: {node: r3, cmd: "true"}, expect: {exit: 0, output: "x"}}
)"));
  ASSERT_TRUE(r.diagnostics.empty()) << r.diagnostics.render();
  ASSERT_EQ(r.topology.scenarios.size(), 1u);
  const Scenario& s = r.topology.scenarios[0];
  EXPECT_EQ(s.name, "heal");
  ASSERT_EQ(s.steps.size(), 16u);
  auto link = std::get<LinkStep>(s.steps[1].action);
  EXPECT_TRUE(link.up);
  EXPECT_EQ(link.ends, (std::vector<std::string>{"r1:eth1", "r2:eth2"}));
  auto imp = std::get<ImpairStep>(s.steps[2].action);
  EXPECT_EQ(imp.end, "r2:eth1");
  ASSERT_TRUE(imp.impair);
  EXPECT_EQ(imp.impair->delay_us, 10000u);
  EXPECT_FALSE(std::get<ImpairStep>(s.steps[3].action).impair);
  EXPECT_EQ(std::get<NodeStep>(s.steps[5].action).nodes, (std::vector<std::string>{"r2", "r3"}));
  EXPECT_EQ(std::get<NodeStep>(s.steps[7].action).action, NodeAction::pause);
  EXPECT_EQ(std::get<ExecStep>(s.steps[9].action).cmd, "ip route");
  EXPECT_EQ(std::get<WaitStep>(s.steps[10].action).us, 1500000u);
  const Step& route = s.steps[11];
  EXPECT_TRUE(route.is_check());
  EXPECT_EQ(route.name, "reroute");
  EXPECT_EQ(route.within_us, 10000000u);
  auto rc = std::get<RouteCheck>(route.action);
  EXPECT_TRUE(rc.present);
  EXPECT_EQ(rc.to.text(), "10.0.0.3/32");
  EXPECT_EQ(rc.via->address_text(), "10.0.12.2");
  EXPECT_EQ(rc.dev, "eth1");
  EXPECT_FALSE(std::get<RouteCheck>(s.steps[12].action).present);
  EXPECT_EQ(s.steps[12].holds_us, 2000000u);
  EXPECT_EQ(std::get<TestCheck>(s.steps[13].action).name, "r1 reaches r3");
  auto inline_ping = std::get<TestCheck>(s.steps[14].action).inline_test;
  ASSERT_TRUE(inline_ping);
  EXPECT_EQ(inline_ping->to, "r2");
  EXPECT_FALSE(inline_ping->expect_success);
  EXPECT_EQ(std::get<TestCheck>(s.steps[15].action).inline_test->expect_output, "x");
}

TEST(ScenarioLoader, ReadsReady) {
  LoadResult r = load(lab("ready: {tests: [r1 reaches r3], timeout: 90s}\n"));
  ASSERT_TRUE(r.diagnostics.empty()) << r.diagnostics.render();
  ASSERT_TRUE(r.topology.ready);
  EXPECT_EQ(r.topology.ready->tests, (std::vector<std::string>{"r1 reaches r3"}));
  EXPECT_EQ(r.topology.ready->timeout_us, 90000000u);
  LoadResult all = load(lab("ready: {tests: all}\n"));
  ASSERT_TRUE(all.diagnostics.empty()) << all.diagnostics.render();
  EXPECT_TRUE(all.topology.ready->all);
  EXPECT_EQ(all.topology.ready->timeout_us, 60000000u);
}

TEST(ScenarioLoader, RefusesUnknownNamesWithTheNearestOne) {
  expect_error("scenarios:\n  s:\n    - stop: r4\n", 2, 7, "scenario `s`: unknown node `r4`");
  expect_error("scenarios:\n  s:\n    - stop: t-r2\n", 2, 7,
               "that is the namespace of node `r2`; write `r2`");
  expect_error("scenarios:\n  s:\n    - down: r1:eth9\n", 2, 7,
               "`r1:eth9` is not a link end of this lab (did you mean `r1:eth1`?)");
  expect_error("scenarios:\n  s:\n    - down: r9:eth1\n", 2, 7, "unknown node `r9` in `r9:eth1`");
  expect_error("scenarios:\n  s:\n    - down: r1\n", 2, 7, "`r1` is not a link end (node:iface)");
  expect_error("scenarios:\n  s:\n    - impair: {end: r3:eth2, rate: 1mbit}\n", 2, 7,
               "not a link end of this lab");
  expect_error("scenarios:\n  s:\n    - test: r1 reaches r4\n", 2, 7,
               "unknown test `r1 reaches r4` (did you mean `r1 reaches r3`?)");
  expect_error("scenarios:\n  s:\n    - exec: {node: r5, cmd: x}\n", 2, 7, "unknown node `r5`");
  expect_error("scenarios:\n  s:\n    - test: {ping: {from: r1, to: r7}}\n", 2, 13,
               "`to: r7` is neither a node nor an IP address");
  expect_error("scenarios:\n  s:\n    - pause: host\n", 2, 7, "`host` is the root namespace");
  expect_error("ready: {tests: [r1 reaches r2]}\n", 0, 17, "`ready`: unknown test `r1 reaches r2`");
}

TEST(ScenarioLoader, RefusesRouteChecksThatCannotMatchARoute) {
  expect_error("scenarios:\n  s:\n    - route: {node: r1, to: 10.0.0.3}\n", 2, 29,
               "is an address, not a prefix: a route to this address alone is 10.0.0.3/32");
  expect_error("scenarios:\n  s:\n    - route: {node: r1, to: 10.0.0.3/24}\n", 2, 29,
               "has bits set past its prefix length: the kernel's route is to 10.0.0.0/24");
  expect_error("scenarios:\n  s:\n    - route: {node: r1, to: ten}\n", 2, 29,
               "`to: ten` is not a prefix");
  expect_error("scenarios:\n  s:\n    - route: {node: r1, to: 10.0.0.0/8, via: x}\n", 2, 46,
               "`via: x` is not an IP address");
  expect_error("scenarios:\n  s:\n    - route: {node: r1, to: 10.0.0.0/8, via: fd00::1}\n", 2, 7,
               "not of one IP version");
  expect_error("scenarios:\n  s:\n    - no_route: {node: r1, to: 10.0.0.0/8, dev: eth2}\n", 2, 7,
               "node `r1` has no interface `eth2`");
  expect_error("scenarios:\n  s:\n    - route: {node: r1}\n", 2, 14, "needs `node` and `to`");
  expect_error("scenarios:\n  s:\n    - route: {node: r1, to: 10.0.0.0/8, gw: x}\n", 2, 41,
               "unknown key `gw`");
}

TEST(ScenarioLoader, RefusesMalformedSteps) {
  expect_error("scenarios:\n  s:\n    - wait: -1s\n", 2, 13, "`wait: -1s` is not a duration");
  expect_error("scenarios:\n  s:\n    - wait: soon\n", 2, 13, "is not a duration");
  expect_error("scenarios:\n  s:\n    - test: r1 reaches r3\n      within: 1 hour\n", 3, 15,
               "`within: 1 hour` is not a duration");
  expect_error("scenarios:\n  s:\n    - down: r1:eth1\n      within: 1s\n", 3, 15,
               "`within` is for checks (route, no_route, test), not for `down`");
  expect_error("scenarios:\n  s:\n    - wait: 1s\n      holds: 1s\n", 3, 14,
               "`holds` is for checks");
  expect_error("scenarios:\n  s:\n    - up: r1:eth1\n      down: r1:eth1\n", 2, 7,
               "a step does one thing: `up` and `down` are two steps");
  expect_error("scenarios:\n  s:\n    - name: nothing\n", 2, 7, "a step needs one of: down, up");
  expect_error("scenarios:\n  s:\n    - reboot: r1\n", 2, 7, "unknown key `reboot` in a step");
  expect_error("scenarios:\n  s:\n    - impair: {end: r1:eth1}\n", 2, 15,
               "needs a value to set (delay, loss, rate, ...) or `clear: true`");
  expect_error("scenarios:\n  s:\n    - impair: {end: r1:eth1, clear: true, loss: 1%}\n", 2, 15,
               "sets values or has `clear: true`, not both");
  expect_error("scenarios:\n  s:\n    - impair: {end: r1:eth1, loss: 300%}\n", 2, 36,
               "`loss: 300%` is not a percentage");
  expect_error("scenarios:\n  s:\n    - exec: {node: r1}\n", 2, 13,
               "`exec` needs `node` and `cmd`");
  expect_error("scenarios:\n  s:\n    - test: {ping: {from: r1, to: r2}, timeout: 1s}\n", 2, 40,
               "unknown key `timeout` in `test`");
  expect_error("scenarios:\n  s: []\n", 1, 6, "scenario `s` is a list of steps");
  expect_error("scenarios:\n  s: {down: r1:eth1}\n", 1, 6, "scenario `s` is a list of steps");
  expect_error("scenarios:\n  a b:\n    - wait: 1s\n", 1, 3,
               "scenario name `a b` may contain only");
  expect_error("scenarios:\n  s:\n    - wait: 1s\n  s:\n    - wait: 2s\n", 3, 3,
               "duplicate key `s`");
  expect_error("scenarios: [s]\n", 0, 12, "`scenarios` is a mapping of names to lists of steps");
  expect_error("ready: [r1 reaches r3]\n", 0, 8, "`ready` is a mapping like");
  expect_error("ready: {timeout: 10s}\n", 0, 8, "`ready` needs `tests`");
  expect_error("ready: {tests: [], timeout: 10s}\n", 0, 16, "`tests` names no test");
}

TEST(ScenarioLoader, ReadyAllNeedsTests) {
  LoadResult r = load("name: t\nnodes: {a: {}}\nready: {tests: all}\n");
  ASSERT_EQ(r.diagnostics.size(), 1u) << r.diagnostics.render();
  EXPECT_NE(r.diagnostics.list()[0].message.find("it has none"), std::string::npos);
}

}  // namespace
}  // namespace topo
