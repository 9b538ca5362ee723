// `tests`: a ping or a command, what each expects, and how long it may try.
#include <yaml-cpp/yaml.h>
#include <regex>

#include <fmt/format.h>

#include "topo/language/loader_parts.h"
#include "topo/model/units.h"

namespace topo::loader {

namespace {

const Keys kTestKeys{"name", "ping", "exec", "expect", "timeout"};
const Keys kPingKeys{"from", "to"};
const Keys kExecKeys{"node", "cmd"};
const Keys kExpectKeys{"exit", "output"};

// `ping` or `exec`, exactly one.
void read_action(Reader& in, const YAML::Node& item, TestCase& test) {
  YAML::Node ping = item["ping"], exec = item["exec"];
  if (ping && exec) {
    in.error(test.pos, "a test has `ping` or `exec`, not both");
  } else if (ping) {
    if (ping.IsMap()) {
      in.check_keys(ping, kPingKeys, "`ping`");
      if (auto f = ping["from"]) test.from = in.scalar(f, "from");
      if (auto to = ping["to"]) test.to = in.scalar(to, "to");
    }
    if (test.from.empty() || test.to.empty())
      in.error(pos_of(ping),
               "`ping` needs `from` (a node) and `to` (a node or an "
               "address)");
  } else if (exec) {
    if (exec.IsMap()) {
      in.check_keys(exec, kExecKeys, "`exec`");
      if (auto n = exec["node"]) test.node = in.scalar(n, "node");
      if (auto c = exec["cmd"]) test.cmd = in.scalar(c, "cmd");
    }
    if (test.node.empty() || test.cmd.empty())
      in.error(pos_of(exec), "`exec` needs `node` and `cmd`");
  } else {
    in.error(test.pos, "a test needs `ping` or `exec`");
  }
}

void read_expect(Reader& in, const YAML::Node& e, TestCase& test) {
  if (e.IsScalar()) {
    if (e.Scalar() == "success" || e.Scalar() == "failure")
      test.expect_success = e.Scalar() == "success";
    else
      in.error(pos_of(e), fmt::format("`expect` is success, failure or {{exit: N, output: "
                                      "REGEX}}, not `{}`",
                                      e.Scalar()));
    return;
  }
  if (!e.IsMap()) {
    in.error(pos_of(e), "`expect` is success, failure or {exit: N, output: REGEX}");
    return;
  }
  in.check_keys(e, kExpectKeys, "`expect`");
  if (test.is_ping()) in.error(pos_of(e), "a ping test expects success or failure");
  if (auto x = e["exit"]) {
    test.expect_exit = in.integer(x, "exit");
    if (test.expect_exit && (*test.expect_exit < 0 || *test.expect_exit > 255))
      in.error(pos_of(x), "`exit` is from 0 to 255");
  }
  if (auto o = e["output"]) {
    std::string re = in.scalar(o, "output");
    try {
      std::regex check(re);
      test.expect_output = re;
    } catch (const std::regex_error& err) {
      in.error(pos_of(o),
               fmt::format("`output` is not a valid regular expression: {}", err.what()));
    }
  }
}

void read_timeout(Reader& in, const YAML::Node& to, TestCase& test) {
  std::string text = in.scalar(to, "timeout");
  auto us = parse_duration_us(text);
  if (us)
    test.timeout_us = *us;
  else if (to.IsScalar())
    in.error(pos_of(to), fmt::format("`timeout: {}` is not a duration like 30s", text));
}

}  // namespace

void read_test_body(Reader& in, const YAML::Node& item, TestCase& test) {
  read_action(in, item, test);
  if (auto e = item["expect"]) read_expect(in, e, test);
}

void read_tests(Reader& in, const YAML::Node& tests, Topology& t) {
  if (!tests.IsSequence()) {
    in.error(pos_of(tests), "`tests` must be a list");
    return;
  }
  for (const YAML::Node& item : tests) {
    if (!item.IsMap()) {
      in.error(pos_of(item), "a test is a mapping with `name` and `ping` or `exec`");
      continue;
    }
    in.check_keys(item, kTestKeys, "a test");
    TestCase test;
    test.pos = pos_of(item);
    if (auto n = item["name"])
      test.name = in.scalar(n, "name");
    else
      in.error(test.pos, "a test needs a `name`");
    read_test_body(in, item, test);
    if (auto to = item["timeout"]) read_timeout(in, to, test);
    t.tests.push_back(std::move(test));
  }
}

}  // namespace topo::loader
