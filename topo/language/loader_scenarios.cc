// `scenarios`: named lists of steps that break and mend a running lab and time its checks; and
// `ready`: the tests `up` waits for.
#include <yaml-cpp/yaml.h>

#include <fmt/format.h>

#include "topo/language/loader_parts.h"
#include "topo/model/units.h"

namespace topo::loader {

namespace {

// A step is one of these, with `name`, `within` and `holds` beside it.
const Keys kActionKeys{"down",   "up",   "impair", "stop",  "start",    "restart", "pause",
                       "resume", "exec", "wait",   "route", "no_route", "test"};
const Keys kModifierKeys{"name", "within", "holds"};
const Keys kExecKeys{"node", "cmd"};
const Keys kRouteKeys{"node", "to", "via", "dev"};
const Keys kInlineTestKeys{"ping", "exec", "expect"};
const Keys kReadyKeys{"tests", "timeout"};

std::vector<std::string> names_of(Reader& in, const YAML::Node& n, const std::string& what) {
  std::vector<std::string> out;
  for (auto& [text, pos] : in.scalars(n, what)) out.push_back(text);
  if (n.IsSequence() && n.size() == 0) in.error(pos_of(n), fmt::format("`{}` names nothing", what));
  return out;
}

ExecStep read_exec(Reader& in, const YAML::Node& n) {
  ExecStep e;
  if (n.IsMap()) {
    in.check_keys(n, kExecKeys, "`exec`");
    if (auto node = n["node"]) e.node = in.scalar(node, "node");
    if (auto cmd = n["cmd"]) e.cmd = in.scalar(cmd, "cmd");
  }
  if (e.node.empty() || e.cmd.empty()) in.error(pos_of(n), "`exec` needs `node` and `cmd`");
  return e;
}

RouteCheck read_route(Reader& in, const YAML::Node& n, bool present) {
  const char* key = present ? "route" : "no_route";
  RouteCheck r;
  r.present = present;
  if (!n.IsMap()) {
    in.error(pos_of(n), fmt::format("`{}` is a mapping like {{node: r1, to: 10.0.0.3/32, via: "
                                    "10.0.12.2}}",
                                    key));
    return r;
  }
  in.check_keys(n, kRouteKeys, fmt::format("`{}`", key));
  if (auto node = n["node"]) r.node = in.scalar(node, "node");
  if (auto to = n["to"]) {
    std::string text = in.scalar(to, "to");
    if (auto p = nl::IpPrefix::parse(text)) {
      r.to = *p;
      if (p->network().bytes != p->bytes)
        in.error(pos_of(to), fmt::format("`to: {}` has bits set past its prefix length: the "
                                         "kernel's route is to {}",
                                         text, p->network().text()));
    } else if (auto a = nl::IpPrefix::parse_address(text)) {
      in.error(pos_of(to), fmt::format("`to: {}` is an address, not a prefix: a route to this "
                                       "address alone is {}/{}",
                                       text, text, a->max_len()));
    } else if (to.IsScalar()) {
      in.error(pos_of(to),
               fmt::format("`to: {}` is not a prefix like 10.0.0.0/24 or fd00::/64", text));
    }
  }
  if (auto via = n["via"]) {
    std::string text = in.scalar(via, "via");
    if (auto a = nl::IpPrefix::parse_address(text))
      r.via = *a;
    else if (via.IsScalar())
      in.error(pos_of(via), fmt::format("`via: {}` is not an IP address", text));
  }
  if (auto dev = n["dev"]) r.dev = in.scalar(dev, "dev");
  if (r.node.empty() || !n["to"])
    in.error(pos_of(n), fmt::format("`{}` needs `node` and `to` (a prefix)", key));
  return r;
}

TestCheck read_test_check(Reader& in, const YAML::Node& n) {
  TestCheck c;
  if (n.IsScalar()) {
    c.name = n.Scalar();
    if (c.name.empty()) in.error(pos_of(n), "`test` names a test of `tests`, or is one");
    return c;
  }
  if (!n.IsMap()) {
    in.error(pos_of(n),
             "`test` is the name of a test of `tests`, or a test: {ping: ...} or {exec: ...}");
    return c;
  }
  in.check_keys(n, kInlineTestKeys, "`test`");
  TestCase test;
  test.pos = pos_of(n);
  read_test_body(in, n, test);
  c.inline_test = std::move(test);
  return c;
}

// The one action of a step.
std::optional<StepAction> read_action(Reader& in, const std::string& key, const YAML::Node& n) {
  if (key == "down" || key == "up") return LinkStep{names_of(in, n, key), key == "up"};
  for (NodeAction change : {NodeAction::stop, NodeAction::start, NodeAction::restart,
                            NodeAction::pause, NodeAction::resume})
    if (key == node_action_name(change)) return NodeStep{names_of(in, n, key), change};
  if (key == "impair") {
    ImpairStep s;
    std::optional<Impair> imp = read_impair(in, n, {"end", "clear"});
    if (!n.IsMap()) return s;
    if (auto end = n["end"])
      s.end = in.scalar(end, "end");
    else
      in.error(pos_of(n), "`impair` needs the `end` it changes (node:iface)");
    bool clear = false;
    if (auto c = n["clear"]) {
      clear = in.scalar(c, "clear") == "true";
      if (!clear) in.error(pos_of(c), "`clear` is `true`, or left out");
    }
    // Values it has, read or not (one that could not be read was reported already).
    bool sets = false;
    for (auto kv = n.begin(); kv != n.end(); ++kv)
      sets = sets || !kv->first.IsScalar() ||
             (kv->first.Scalar() != "end" && kv->first.Scalar() != "clear" &&
              !is_extension_key(kv->first.Scalar()));
    if (clear && sets)
      in.error(pos_of(n), "`impair` sets values or has `clear: true`, not both");
    else if (!clear && !sets)
      in.error(pos_of(n),
               "`impair` needs a value to set (delay, loss, rate, ...) or `clear: true`");
    if (!clear) s.impair = imp;
    return s;
  }
  if (key == "exec") return read_exec(in, n);
  if (key == "wait") {
    std::optional<uint64_t> us = in.duration(n, "wait");
    return WaitStep{us.value_or(0)};
  }
  if (key == "route" || key == "no_route") return read_route(in, n, key == "route");
  if (key == "test") return read_test_check(in, n);
  return std::nullopt;
}

void read_step(Reader& in, const YAML::Node& item, Scenario& s) {
  if (!item.IsMap()) {
    in.error(pos_of(item),
             "a step is a mapping like {down: r1:eth1} or {route: {...}, within: 10s}");
    return;
  }
  Keys keys = kActionKeys;
  keys.insert(keys.end(), kModifierKeys.begin(), kModifierKeys.end());
  in.check_keys(item, keys, "a step");
  Step step;
  step.pos = pos_of(item);
  std::vector<std::string> actions;
  for (auto kv = item.begin(); kv != item.end(); ++kv) {
    if (!kv->first.IsScalar()) continue;
    const std::string& key = kv->first.Scalar();
    if (std::find(kActionKeys.begin(), kActionKeys.end(), key) == kActionKeys.end()) continue;
    actions.push_back(key);
    if (actions.size() == 1)
      if (auto a = read_action(in, key, kv->second)) step.action = std::move(*a);
  }
  bool unknown_keys = false;
  for (auto kv = item.begin(); kv != item.end(); ++kv)
    unknown_keys = unknown_keys || !kv->first.IsScalar() ||
                   (!is_extension_key(kv->first.Scalar()) &&
                    std::find(keys.begin(), keys.end(), kv->first.Scalar()) == keys.end());
  if (actions.empty()) {
    if (!unknown_keys)  // else an unknown key was said, with the nearest one
      in.error(step.pos,
               "a step needs one of: down, up, impair, stop, start, restart, pause, "
               "resume, exec, wait (actions); route, no_route, test (checks)");
    return;
  }
  if (actions.size() > 1) {
    in.error(step.pos, fmt::format("a step does one thing: `{}` and `{}` are two steps", actions[0],
                                   actions[1]));
    return;
  }
  if (auto n = item["name"]) step.name = in.scalar(n, "name");
  for (auto [key, field] : {std::pair{"within", &step.within_us}, {"holds", &step.holds_us}}) {
    YAML::Node n = item[key];
    if (!n) continue;
    *field = in.duration(n, key);
    if (!step.is_check())
      in.error(pos_of(n), fmt::format("`{}` is for checks (route, no_route, test), not for `{}`",
                                      key, actions[0]));
  }
  s.steps.push_back(std::move(step));
}

}  // namespace

void read_scenarios(Reader& in, const YAML::Node& scenarios, Topology& t) {
  if (!scenarios.IsMap()) {
    in.error(pos_of(scenarios), "`scenarios` is a mapping of names to lists of steps");
    return;
  }
  in.check_unique_keys(scenarios);
  for (auto kv = scenarios.begin(); kv != scenarios.end(); ++kv) {
    Scenario s;
    s.name = in.scalar(kv->first, "scenario name");
    s.pos = pos_of(kv->first);
    YAML::Node steps = kv->second;
    if (!steps.IsSequence() || steps.size() == 0) {
      in.error(pos_of(steps), fmt::format("scenario `{}` is a list of steps", s.name));
      continue;
    }
    for (const YAML::Node& item : steps) read_step(in, item, s);
    t.scenarios.push_back(std::move(s));
  }
}

void read_ready(Reader& in, const YAML::Node& ready, Topology& t) {
  Ready r;
  r.pos = pos_of(ready);
  if (!ready.IsMap()) {
    in.error(r.pos, "`ready` is a mapping like {tests: [r1 sees r3], timeout: 60s}");
    return;
  }
  in.check_keys(ready, kReadyKeys, "`ready`");
  if (auto tests = ready["tests"]) {
    if (tests.IsScalar() && tests.Scalar() == "all") {
      r.all = true;
    } else {
      for (auto& [name, pos] : in.scalars(tests, "tests")) {
        r.tests.push_back(name);
        r.test_pos.push_back(pos);
      }
      if (r.tests.empty() && tests.IsSequence())
        in.error(pos_of(tests), "`tests` names no test: name some, or write `all`");
    }
  } else {
    in.error(r.pos, "`ready` needs `tests`: the names of the tests `up` waits for, or `all`");
  }
  if (auto to = ready["timeout"])
    if (auto us = in.duration(to, "timeout")) r.timeout_us = *us;
  t.ready = std::move(r);
}

}  // namespace topo::loader
