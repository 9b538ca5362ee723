// `topo run LAB SCENARIO`: a scenario's steps against a running lab, one line each as they end,
// its checks timed from the action before them; then the lab put back as its file says.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "topo/language/suggest.h"
#include "topo/model/impair.h"
#include "topo/model/overloaded.h"
#include "topo/model/units.h"
#include "topo/run/route_watch.h"
#include "topo/verbs/checks.h"
#include "topo/verbs/json_text.h"
#include "topo/verbs/lab.h"
#include "topo/verbs/lab_common.h"
#include "topo/verbs/node.h"
#include "topo/verbs/runtime.h"

namespace topo {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kInterrupted = 130;  // as a shell reports a command ended by Ctrl-C

// Set by SIGINT and SIGTERM while a scenario runs: the step under way stops, the rest are
// skipped, and the lab is put back.
std::atomic<bool> g_stop{false};

class StopOnSignals {
 public:
  StopOnSignals() {
    g_stop = false;
    struct sigaction sa = {};
    sa.sa_handler = [](int) { g_stop = true; };
    sa.sa_flags = SA_RESTART;  // a write to a piped stdout goes on; the flag is what counts
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~StopOnSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  StopOnSignals(const StopOnSignals&) = delete;
  StopOnSignals& operator=(const StopOnSignals&) = delete;

 private:
  struct sigaction old_int_ = {}, old_term_ = {};
};

// Sleeps until `until`, or until a signal asks to stop; whether it slept the whole time.
bool sleep_until(Clock::time_point until) {
  while (Clock::now() < until) {
    if (g_stop) return false;
    std::this_thread::sleep_for(
        std::min<Clock::duration>(until - Clock::now(), std::chrono::milliseconds(20)));
  }
  return !g_stop;
}

double seconds_of(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

std::string ms_text(double seconds) {
  return fmt::format("{:.3f} s", seconds);
}

// --- what each step is, in words ---

std::string route_text(const RouteCheck& r) {
  std::string text = fmt::format("{} {} {}", r.present ? "route" : "no_route", r.node, r.to.text());
  if (r.via) text += " via " + r.via->address_text();
  if (!r.dev.empty()) text += " dev " + r.dev;
  return text;
}

std::string joined(const std::vector<std::string>& words) {
  return fmt::format("{}", fmt::join(words, " "));
}

std::string step_text(const Step& step) {
  std::string text =
      !step.name.empty()
          ? step.name
          : std::visit(
                overloaded{
                    [](const LinkStep& l) {
                      return fmt::format("{} {}", l.up ? "up" : "down", joined(l.ends));
                    },
                    [](const ImpairStep& i) {
                      if (!i.impair) return fmt::format("impair {} clear", i.end);
                      return fmt::format(
                          "impair {} {}", i.end,
                          impairment_text(effective_impairment(nullptr, &*i.impair)));
                    },
                    [](const NodeStep& n) {
                      return fmt::format("{} {}", node_action_name(n.action), joined(n.nodes));
                    },
                    [](const ExecStep& e) { return fmt::format("exec {}: {}", e.node, e.cmd); },
                    [](const WaitStep& w) { return fmt::format("wait {}", duration_text(w.us)); },
                    [](const RouteCheck& r) { return route_text(r); },
                    [](const TestCheck& c) {
                      if (!c.inline_test) return fmt::format("test {}", c.name);
                      const TestCase& t = *c.inline_test;
                      return t.is_ping() ? fmt::format("ping {} -> {}", t.from, t.to)
                                         : fmt::format("exec {}: {}", t.node, t.cmd);
                    }},
                step.action);
  if (step.within_us) text += " within " + duration_text(*step.within_us);
  if (step.holds_us) text += " holds " + duration_text(*step.holds_us);
  return text;
}

// --- results ---

enum class Outcome { done, passed, failed, skipped, interrupted };
const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::done:
      return "done";
    case Outcome::passed:
      return "passed";
    case Outcome::failed:
      return "failed";
    case Outcome::skipped:
      return "skipped";
    case Outcome::interrupted:
      return "interrupted";
  }
  return "?";
}

struct StepResult {
  std::string text;
  bool check = false;
  Outcome outcome = Outcome::skipped;
  double at = 0;       // when the step began, in seconds since the run began
  double seconds = 0;  // how long it took
  // A check: from the start of the last action before it to when it held (for `within`: the
  // convergence time).
  std::optional<double> measured;
  std::string message;  // a failure in one line
  std::string detail;   // and in full: what was expected, what came back
};

struct RunResult {
  std::vector<StepResult> steps;
  double started = 0;  // wall-clock time, seconds since the epoch: `at` is counted from it
  double seconds = 0;
  bool interrupted = false;
  bool passed() const {
    for (const StepResult& s : steps)
      if (s.outcome != Outcome::done && s.outcome != Outcome::passed) return false;
    return true;
  }
};

// --- the steps against the lab ---

class ScenarioRun {
 public:
  ScenarioRun(OpenLab& lab, const Topology& t, RouteWatch* routes)
      : lab_(lab), t_(t), routes_(routes) {}

  // Runs every step in order, printing each line as it ends unless `quiet`.
  RunResult run(const Scenario& s, bool quiet) {
    RunResult result;
    start_ = last_action_ = Clock::now();
    result.started =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    bool go_on = true;
    for (const Step& step : s.steps) {
      StepResult r;
      r.text = step_text(step);
      r.check = step.is_check();
      auto began = Clock::now();
      r.at = seconds_of(began - start_);
      if (!go_on) {
        r.outcome = Outcome::skipped;
      } else {
        try {
          r.check ? check(step, began, r) : act(step, r);
        } catch (const std::exception& e) {
          r.outcome = Outcome::failed;
          r.message = e.what();
        }
        if (g_stop && r.outcome != Outcome::failed) r.outcome = Outcome::interrupted;
        r.seconds = seconds_of(Clock::now() - began);
        // Checks count from the moment the action began: what it did took effect from then
        // (a router stopped loses its routes while its daemons are being stopped).
        if (!r.check && r.outcome == Outcome::done &&
            !std::holds_alternative<WaitStep>(step.action))
          last_action_ = began;
        // A failed action leaves the lab in a state the rest was not written for.
        go_on = !g_stop && (r.check || r.outcome == Outcome::done);
      }
      if (!quiet) print_step(r);
      result.steps.push_back(std::move(r));
    }
    result.seconds = seconds_of(Clock::now() - start_);
    result.interrupted = g_stop;
    return result;
  }

 private:
  OpenLab& lab_;
  const Topology& t_;
  RouteWatch* routes_;
  Clock::time_point start_, last_action_;

  void act(const Step& step, StepResult& r) {
    r.outcome = Outcome::done;
    std::visit(overloaded{[&](const LinkStep& l) {
                            for (const std::string& end : l.ends) set_end_state(lab_, end, l.up);
                          },
                          [&](const ImpairStep& i) {
                            std::optional<nl::Impairment> imp;
                            if (i.impair) imp = effective_impairment(nullptr, &*i.impair);
                            set_end_impairment(lab_, i.end, imp);
                          },
                          [&](const NodeStep& n) {
                            for (const std::string& node : n.nodes)
                              change_node(lab_, node, n.action);
                          },
                          [&](const ExecStep& e) {
                            Captured got = run_captured(context_of(lab_.name, lab_.journal, e.node),
                                                        {"/bin/sh", "-c", e.cmd},
                                                        Clock::now() + kExecLimit, &g_stop);
                            if (got.status == 0 || got.interrupted) return;
                            r.outcome = Outcome::failed;
                            r.message = fmt::format("expected exit 0, got {}", got_text(got));
                            r.detail = failure_text("exit 0", got);
                          },
                          [&](const WaitStep& w) {
                            sleep_until(Clock::now() + std::chrono::microseconds(w.us));
                          },
                          [](const OneOf<RouteCheck, TestCheck> auto&) {}},
               step.action);
  }

  static constexpr auto kExecLimit = std::chrono::minutes(10);

  // Held within the time it has (or at once), then for as long as `holds` says.
  void check(const Step& step, Clock::time_point began, StepResult& r) {
    auto deadline = began + std::chrono::microseconds(step.within_us.value_or(0));
    std::optional<Clock::time_point> held;
    if (const auto* route = std::get_if<RouteCheck>(&step.action))
      held = check_route(*route, deadline, r);
    else
      held = check_test(std::get<TestCheck>(step.action), deadline, r);
    if (!held) {
      r.outcome = g_stop ? Outcome::interrupted : Outcome::failed;
      if (g_stop) r.message = r.detail = "";
      return;
    }
    r.measured = seconds_of(*held - last_action_);
    r.outcome = Outcome::passed;
    if (!step.holds_us) return;
    auto until = std::max(*held, Clock::now()) + std::chrono::microseconds(*step.holds_us);
    bool kept = std::holds_alternative<RouteCheck>(step.action)
                    ? keeps_route(std::get<RouteCheck>(step.action), *held, until, r)
                    : keeps_test(std::get<TestCheck>(step.action), until, r);
    if (!kept) r.outcome = Outcome::failed;
    if (kept && g_stop) r.outcome = Outcome::interrupted;  // it did not hold for all of `holds`
  }

  static RouteQuery query_of(const RouteCheck& c) {
    RouteQuery q{c.node, c.to, c.via, std::nullopt};
    if (!c.dev.empty()) q.dev = c.dev;
    return q;
  }

  std::optional<Clock::time_point> check_route(const RouteCheck& c, Clock::time_point deadline,
                                               StepResult& r) {
    RouteQuery q = query_of(c);
    // In slices, so that Ctrl-C is noticed.
    for (;;) {
      auto slice = std::min(deadline, Clock::now() + std::chrono::milliseconds(50));
      if (auto at = routes_->wait(q, c.present, last_action_, slice)) {
        if (!routes_->exact(q, last_action_, *at))
          r.message = "about: the kernel sent more route changes than were read in time";
        return at;
      }
      if (g_stop || Clock::now() >= deadline) break;
    }
    r.message = fmt::format("{}: {}", c.present ? "no such route" : "the route is still there",
                            routes_->describe(q));
    r.detail = r.message + "\n";
    return std::nullopt;
  }

  // Watched in slices until `until` (Ctrl-C is noticed); a break is said as soon as it comes.
  bool keeps_route(const RouteCheck& c, Clock::time_point from, Clock::time_point until,
                   StepResult& r) {
    RouteQuery q = query_of(c);
    for (auto upto = from; upto < until && !g_stop;) {
      upto = std::min(until, Clock::now() + std::chrono::milliseconds(50));
      if (auto broke = routes_->first_break(q, c.present, from, upto)) {
        r.message = fmt::format("held for {}, then broke; now {}",
                                ms_text(seconds_of(*broke - from)), routes_->describe(q));
        r.detail = r.message + "\n";
        return false;
      }
    }
    return true;  // held throughout, or interrupted
  }

  const TestCase& test_of(const TestCheck& c) const {
    return c.inline_test ? *c.inline_test : *t_.find_test(c.name);
  }

  // Tried until it holds or the deadline passes; when the try that held began.
  std::optional<Clock::time_point> check_test(const TestCheck& c, Clock::time_point deadline,
                                              StepResult& r) {
    const TestCase& test = test_of(c);
    TestCommand command = command_of(t_, test);
    NodeContext ctx = context_of(lab_.name, lab_.journal, test_node(test));
    int tries = 0;
    for (;;) {
      auto began = Clock::now();
      tries++;
      auto limit = std::max(deadline, began + std::chrono::seconds(10));
      TestTry t = try_test(ctx, test, command, limit, &g_stop);
      if (t.passed) return began;
      if (g_stop) return std::nullopt;
      if (Clock::now() >= deadline) {
        r.message = fmt::format("expected {}, got {}{}", command.expected, got_text(t.got),
                                tries > 1 ? fmt::format(" ({} tries)", tries) : "");
        r.detail = failure_text(command.expected, t.got);
        return std::nullopt;
      }
      sleep_until(std::min(deadline, Clock::now() + std::chrono::milliseconds(100)));
    }
  }

  bool keeps_test(const TestCheck& c, Clock::time_point until, StepResult& r) {
    const TestCase& test = test_of(c);
    TestCommand command = command_of(t_, test);
    NodeContext ctx = context_of(lab_.name, lab_.journal, test_node(test));
    auto from = Clock::now();
    while (Clock::now() < until && !g_stop) {
      TestTry t = try_test(ctx, test, command, until + std::chrono::seconds(10), &g_stop);
      if (!t.passed && !g_stop) {
        r.message = fmt::format("held for {}, then: expected {}, got {}",
                                ms_text(seconds_of(Clock::now() - from)), command.expected,
                                got_text(t.got));
        r.detail = failure_text(command.expected, t.got);
        return false;
      }
      sleep_until(std::min(until, Clock::now() + std::chrono::milliseconds(100)));
    }
    return true;
  }

  void print_step(const StepResult& r) const {
    std::string result;
    switch (r.outcome) {
      case Outcome::done:
        result = "done";
        break;
      case Outcome::passed:
        result = "✓ " + ms_text(r.measured.value_or(r.seconds));
        break;
      case Outcome::failed:
        result = fmt::format("✗ after {}", ms_text(r.seconds));
        break;
      case Outcome::skipped:
        result = "skipped";
        break;
      case Outcome::interrupted:
        result = "interrupted";
        break;
    }
    fmt::print("  {:>9}  {:<56} {}\n", "+" + ms_text(r.at), r.text, result);
    if (r.outcome == Outcome::passed && !r.message.empty()) fmt::print("      {}\n", r.message);
    if (r.outcome == Outcome::failed) {
      std::istringstream lines(r.detail.empty() ? r.message : r.detail);
      for (std::string l; std::getline(lines, l);) fmt::print("      {}\n", l);
    }
    std::fflush(stdout);
  }
};

// --- over several runs ---

struct Spread {
  size_t step = 0;
  std::vector<double> times;  // of the runs in which it held
  size_t runs = 0;            // in which it ran
};

std::vector<Spread> spreads(const std::vector<RunResult>& runs) {
  std::vector<Spread> out;
  if (runs.empty()) return out;
  for (size_t i = 0; i < runs[0].steps.size(); i++) {
    if (!runs[0].steps[i].check) continue;
    Spread s{i, {}, 0};
    for (const RunResult& run : runs) {
      const StepResult& r = run.steps[i];
      if (r.outcome == Outcome::skipped || r.outcome == Outcome::interrupted) continue;
      s.runs++;
      if (r.outcome == Outcome::passed && r.measured) s.times.push_back(*r.measured);
    }
    std::sort(s.times.begin(), s.times.end());
    out.push_back(std::move(s));
  }
  return out;
}

double median(const std::vector<double>& sorted) {
  size_t n = sorted.size();
  return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

void print_spreads(const std::vector<Spread>& list, const std::vector<RunResult>& runs) {
  fmt::print("\n  {:<56} {:>9} {:>9} {:>9}  held\n", "check (time from the action before it)",
             "min", "median", "max");
  for (const Spread& s : list) {
    const std::string& text = runs[0].steps[s.step].text;
    if (s.times.empty())
      fmt::print("  {:<56} {:>9} {:>9} {:>9}  0 of {}\n", text, "-", "-", "-", s.runs);
    else
      fmt::print("  {:<56} {:>9} {:>9} {:>9}  {} of {}\n", text, ms_text(s.times.front()),
                 ms_text(median(s.times)), ms_text(s.times.back()), s.times.size(), s.runs);
  }
}

json step_json(size_t i, const StepResult& r) {
  json j = {{"step", i + 1},    {"text", r.text},
            {"check", r.check}, {"outcome", outcome_name(r.outcome)},
            {"at", r.at},       {"seconds", r.seconds}};
  if (r.measured) j["measured"] = *r.measured;
  if (!r.message.empty()) j["message"] = r.message;
  if (!r.detail.empty()) j["detail"] = r.detail;
  return j;
}

json run_json(const std::string& lab, const std::string& scenario,
              const std::vector<RunResult>& runs) {
  json out = {
      {"lab", lab}, {"scenario", scenario}, {"runs", json::array()}, {"spread", json::array()}};
  size_t passed = 0;
  for (size_t k = 0; k < runs.size(); k++) {
    json steps = json::array();
    for (size_t i = 0; i < runs[k].steps.size(); i++)
      steps.push_back(step_json(i, runs[k].steps[i]));
    out["runs"].push_back({{"run", k + 1},
                           {"passed", runs[k].passed()},
                           {"interrupted", runs[k].interrupted},
                           {"started", runs[k].started},
                           {"seconds", runs[k].seconds},
                           {"steps", steps}});
    passed += runs[k].passed();
  }
  for (const Spread& s : spreads(runs)) {
    json j = {{"step", s.step + 1},
              {"text", runs[0].steps[s.step].text},
              {"runs", s.runs},
              {"held", s.times.size()},
              {"times", s.times}};
    if (!s.times.empty()) {
      j["min"] = s.times.front();
      j["median"] = median(s.times);
      j["max"] = s.times.back();
    }
    out["spread"].push_back(j);
  }
  out["passed"] = passed;
  out["failed"] = runs.size() - passed;
  return out;
}

// One suite per run, a case per check and per action that failed or did not run; the spread of
// the measured times as the last suite's properties.
std::vector<junit::Suite> run_junit(const std::string& lab, const std::string& scenario,
                                    const std::vector<RunResult>& runs, long started) {
  std::vector<junit::Suite> suites;
  std::string classname = lab + "." + scenario;
  for (size_t k = 0; k < runs.size(); k++) {
    junit::Suite suite;
    suite.name = runs.size() > 1 ? fmt::format("{} run {}", classname, k + 1) : classname;
    suite.timestamp = junit::timestamp(started);
    suite.hostname = junit::hostname();
    suite.seconds = runs[k].seconds;
    for (size_t i = 0; i < runs[k].steps.size(); i++) {
      const StepResult& r = runs[k].steps[i];
      if (!r.check && r.outcome == Outcome::done) continue;  // actions that went as asked
      junit::Case c;
      c.name = fmt::format("{}: {}", i + 1, r.text);
      c.classname = classname;
      c.seconds = r.measured.value_or(r.seconds);
      switch (r.outcome) {
        case Outcome::done:
        case Outcome::passed:
          break;
        case Outcome::failed:
          c.outcome = r.check ? junit::Case::Outcome::failed : junit::Case::Outcome::error;
          c.message = r.message;
          c.text = r.detail;
          break;
        case Outcome::skipped:
        case Outcome::interrupted:
          c.outcome = junit::Case::Outcome::skipped;
          c.message = outcome_name(r.outcome);
          break;
      }
      suite.cases.push_back(std::move(c));
    }
    suites.push_back(std::move(suite));
  }
  for (const Spread& s : spreads(runs)) {
    std::string key = fmt::format("step {}: {}", s.step + 1, runs[0].steps[s.step].text);
    auto& props = suites.back().properties;
    props.emplace_back(key + " held", fmt::format("{} of {}", s.times.size(), s.runs));
    if (s.times.empty()) continue;
    props.emplace_back(key + " min", fmt::format("{:.3f}", s.times.front()));
    props.emplace_back(key + " median", fmt::format("{:.3f}", median(s.times)));
    props.emplace_back(key + " max", fmt::format("{:.3f}", s.times.back()));
  }
  return suites;
}

// The nodes whose routes a scenario checks, and their namespaces.
std::vector<RouteWatch::Node> watched_nodes(const Scenario& s, const JournalState& state) {
  std::vector<RouteWatch::Node> out;
  for (const Step& step : s.steps)
    if (const auto* r = std::get_if<RouteCheck>(&step.action))
      for (const JournalNetns& n : state.netns)
        if (n.node == r->node &&
            std::none_of(out.begin(), out.end(), [&](const auto& o) { return o.name == n.node; }))
          out.push_back({n.node, n.netns});
  return out;
}

// Back to what the file says, as `topo up` of it would do (the lab's lock is held); the journal
// read again.
// A failure is said (once) and is false: the report of the runs so far is still given.
bool put_back(OpenLab& lab) {
  // `up`'s own lines would drown the timeline: only its warnings and errors are shown.
  struct Quiet {
    spdlog::level::level_enum level = spdlog::get_level();
    Quiet() {
      if (level < spdlog::level::warn) spdlog::set_level(spdlog::level::warn);
    }
    ~Quiet() { spdlog::set_level(level); }
  };
  try {
    auto start = Clock::now();
    std::optional<JournalState> state = read_journal(lab.paths.journal);
    if (!state) throw std::runtime_error("its journal is gone");
    LoadResult loaded = stored_file(lab.name, *state);
    int status;
    {
      Quiet quiet;
      status = converge_running(loaded, *state, start);
    }
    state = read_journal(lab.paths.journal);
    if (!state) throw std::runtime_error("its journal is gone");
    lab.journal = std::move(*state);
    return status == kOk;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return false;
  }
}

const Scenario& find_scenario(const Topology& t, const std::string& lab, const std::string& name) {
  if (const Scenario* s = t.find_scenario(name)) return *s;
  std::vector<std::string> names;
  for (const Scenario& s : t.scenarios) names.push_back(s.name);
  if (names.empty())
    throw InvalidInput(fmt::format(
        "lab {} has no scenarios (its file as `up` last read it: `topo up FILE` takes in an "
        "edited file)",
        lab));
  throw InvalidInput(
      fmt::format("lab {} has no scenario `{}`{}", lab, name, did_you_mean(name, names)));
}

}  // namespace

int cmd_run(const RunOptions& o) {
  OpenLab lab = open_lab(o.lab, "run");
  LoadResult loaded = stored_file(lab.name, lab.journal);
  const Scenario& scenario = find_scenario(loaded.topology, lab.name, o.scenario);
  StopOnSignals signals;
  // Started before the first step: every route change from then on is recorded.
  RouteWatch routes;
  if (auto nodes = watched_nodes(scenario, lab.journal); !nodes.empty()) routes.start(nodes);
  ScenarioRun runner(lab, loaded.topology, &routes);
  long started = std::time(nullptr);
  std::vector<RunResult> runs;
  bool put_back_failed = false;
  for (int k = 1; k <= o.repeat && !g_stop; k++) {
    if (!o.json)
      fmt::print("{}scenario {} on lab {}{}\n", k > 1 ? "\n" : "", scenario.name, lab.name,
                 o.repeat > 1 ? fmt::format(", run {} of {}", k, o.repeat) : "");
    runs.push_back(runner.run(scenario, o.json));
    if (k == o.repeat && o.keep && !g_stop) break;  // an interrupted lab is put back all the same
    if (g_stop && !o.json) fmt::print("interrupted: putting lab {} back\n", lab.name);
    if (!put_back(lab)) {
      spdlog::error(
          "lab {} could not be put back as its file says: `topo plan` shows what "
          "differs",
          lab.name);
      put_back_failed = true;
      break;
    }
    if (!o.json) fmt::print("  lab {} put back as its file says\n", lab.name);
  }
  if (runs.empty()) return kInterrupted;  // stopped before the first step
  size_t passed = 0;
  for (const RunResult& r : runs) passed += r.passed();
  if (o.json) {
    std::fputs((json_report(run_json(lab.name, scenario.name, runs)) + "\n").c_str(), stdout);
  } else {
    if (runs.size() > 1 || std::any_of(runs[0].steps.begin(), runs[0].steps.end(),
                                       [](const StepResult& s) { return s.measured.has_value(); }))
      print_spreads(spreads(runs), runs);
    fmt::print("{} run{}: {} passed, {} failed\n", runs.size(), runs.size() == 1 ? "" : "s", passed,
               runs.size() - passed);
  }
  std::fflush(stdout);
  int written = o.junit.empty()
                    ? kOk
                    : write_junit(run_junit(lab.name, scenario.name, runs, started), o.junit);
  if (g_stop) return kInterrupted;
  if (passed < runs.size() || put_back_failed) return kFailed;
  return written;
}

}  // namespace topo
