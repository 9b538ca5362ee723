#include "topo/verbs/cli.h"

#include <algorithm>
#include <functional>
#include <memory>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "topo/language/generate.h"
#include "topo/language/validator.h"
#include "topo/model/impair.h"
#include "topo/model/units.h"
#include "topo/model/version.h"
#include "topo/verbs/fleet.h"
#include "topo/verbs/k8s.h"
#include "topo/verbs/lab.h"
#include "topo/verbs/log.h"
#include "topo/verbs/node.h"

namespace topo {

namespace {

// A CLI11 check that `parse` understands a value: "VALUE is not understood: WHAT" otherwise.
template <class Parse>
CLI::Validator understood(Parse parse, const std::string& what) {
  return CLI::Validator(
      [parse, what](std::string& text) {
        return parse(text) ? std::string() : text + " is not understood: " + what;
      },
      "");
}

// Standard output has the report (or --json): a JUnit report goes to a file only.
CLI::Validator not_stdout() {
  return CLI::Validator(
      [](std::string& path) {
        return path == "-" || path.empty()
                   ? std::string("- is not a file: standard output has the report (or --json)")
                   : std::string();
      },
      "");
}

// `topo impair LAB NODE:IFACE` with impairments or --clear.
struct ImpairArgs {
  std::string lab, end;
  std::string delay, jitter, loss, duplicate, corrupt, reorder, rate;
  bool clear = false;
  std::optional<nl::Impairment> impairment;  // none with --clear
};

// Each value checked as it is read, --clear alone, --jitter and --reorder with a --delay: every
// mistake is one error of CLI11's, exit 2.
CLI::App* add_impair(CLI::App& app, ImpairArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "impair", "Set (replace) or --clear the impairment of one link end of a running lab");
  cmd->add_option("LAB", args.lab, "Lab name, or the lab's topology file")->required();
  cmd->add_option("NODE:IFACE", args.end, "The link end")->required();
  auto duration = understood(parse_delay_us, "a duration like 10ms, 500us or 1s, at most " +
                                                 duration_text(nl::kMaxNetemDelayUs));
  auto percent = understood(parse_percent, "a percentage like 0.5%, at most 100%");
  auto rate = understood(parse_rate_bps, "a rate like 64kbit, 20mbit or 1gbit (8kbit to 16gbit)");
  CLI::Option_group* what = cmd->add_option_group("impairment", "What to set, or --clear");
  auto value = [what](const std::string& name, std::string& text, const std::string& help,
                      const CLI::Validator& check, const std::string& type) {
    return what->add_option(name, text, help)->check(check)->type_name(type);
  };
  CLI::Option* delay = value("--delay", args.delay, "Delay, like 10ms", duration, "DURATION");
  std::vector<CLI::Option*> set = {
      delay,
      value("--jitter", args.jitter, "Jitter, like 2ms (with --delay)", duration, "DURATION")
          ->needs(delay),
      value("--loss", args.loss, "Loss, like 0.5%", percent, "PERCENT"),
      value("--duplicate", args.duplicate, "Duplication, like 0.1%", percent, "PERCENT"),
      value("--corrupt", args.corrupt, "Corruption, like 0.1%", percent, "PERCENT"),
      value("--reorder", args.reorder, "Reordering, like 1% (with --delay)", percent, "PERCENT")
          ->needs(delay),
      value("--rate", args.rate, "Rate, like 20mbit", rate, "RATE")};
  CLI::Option* clear = what->add_flag("--clear", args.clear, "Remove every impairment of the end");
  for (CLI::Option* option : set) clear->excludes(option);
  what->require_option(1, 0);
  cmd->callback([&args] {
    if (args.clear) return;
    Impair imp;
    if (!args.delay.empty()) imp.delay_us = parse_delay_us(args.delay);
    if (!args.jitter.empty()) imp.jitter_us = parse_delay_us(args.jitter);
    if (!args.loss.empty()) imp.loss = parse_percent(args.loss);
    if (!args.duplicate.empty()) imp.duplicate = parse_percent(args.duplicate);
    if (!args.corrupt.empty()) imp.corrupt = parse_percent(args.corrupt);
    if (!args.reorder.empty()) imp.reorder = parse_percent(args.reorder);
    if (!args.rate.empty()) imp.rate_bps = parse_rate_bps(args.rate);
    args.impairment = effective_impairment(nullptr, &imp);
    if (!args.impairment->needs_netem() && !args.impairment->rate_bps)
      throw CLI::ValidationError(args.end,
                                 "these values impair nothing: --clear removes an impairment");
  });
  return cmd;
}

// A verb: its subcommand, and what runs when it is the one given.
struct Verb {
  CLI::App* cmd;
  std::function<int()> run;
};
using Verbs = std::vector<Verb>;

// Each verb's arguments live as long as its `run`, which holds them.
template <class Args>
std::shared_ptr<Args> args_of(Verbs& verbs, CLI::App* cmd, std::function<int(const Args&)> run) {
  auto args = std::make_shared<Args>();
  verbs.push_back({cmd, [args, run] { return run(*args); }});
  return args;
}

// --name NAME: a FILE read as lab NAME, its namespaces NAME-<node>, instead of the file's `name`
// (another instance of the same lab beside it); checked as the file's `name` is.
CLI::Option* add_name(CLI::App* cmd, std::string& name) {
  return cmd
      ->add_option("--name", name,
                   "The lab's name instead of the file's `name` (its namespaces NAME-<node>)")
      ->type_name("NAME")
      ->check(CLI::Validator([](std::string& text) { return lab_name_problem(text); }, ""));
}

// One positional LAB, required unless `optional`.
CLI::Option* add_lab(CLI::App* cmd, std::string& lab, bool optional = false) {
  CLI::Option* option = cmd->add_option("LAB", lab, "Lab name, or the lab's topology file");
  return optional ? option : option->required();
}

// up, plan, down, validate: a whole lab, from its file.
void add_lab_verbs(CLI::App& app, Verbs& verbs) {
  CLI::App* up = app.add_subcommand("up", "Build the lab a topology file describes");
  auto u = args_of<UpOptions>(verbs, up, [](const UpOptions& options) {
    return options.all_hosts ? cmd_up_all_hosts(options) : cmd_up(options);
  });
  up->add_option("FILE", u->file, "Topology file (- for standard input)")->required();
  add_name(up, u->name);
  CLI::Option* dry_run = up->add_flag("--dry-run", u->dry_run, "The same as `topo plan FILE`");
  up->add_flag("--keep-on-failure", u->keep_on_failure,
               "On failure, keep what was created (for a look) instead of rolling back");
  up->add_flag("--wait", u->wait,
               "Return when the file's `ready` tests hold (every test without `ready`)");
  CLI::Option* host =
      up->add_option("--host", u->host,
                     "Of a lab spread over hosts, build this host's part (default: the host "
                     "whose underlay address this machine has)");
  up->add_flag("--all-hosts", u->all_hosts,
               "Of a lab spread over hosts, build every host's part at once, each by a topo on "
               "its host (through ssh to its `ssh:`); any failure takes the lab down everywhere")
      ->excludes(host)
      ->excludes(dry_run);

  struct PlanArgs {
    std::string file, name;
    bool json = false;
    std::string host;
  };
  CLI::App* plan = app.add_subcommand(
      "plan", "Show what up would change (exit status 3 when something would); create nothing");
  auto p = args_of<PlanArgs>(
      verbs, plan, [](const PlanArgs& a) { return cmd_plan(a.file, a.json, a.name, a.host); });
  plan->add_option("FILE", p->file, "Topology file (- for standard input)")->required();
  add_name(plan, p->name);
  plan->add_flag("--json", p->json, "As JSON on standard output");
  plan->add_option("--host", p->host,
                   "Of a lab spread over hosts, this host's part (default: the host whose "
                   "underlay address this machine has)");

  struct DownArgs {
    std::string lab;
    bool force = false;
    bool all_hosts = false;
  };
  CLI::App* down = app.add_subcommand("down", "Remove everything a lab created, and nothing else");
  auto d = args_of<DownArgs>(verbs, down, [](const DownArgs& a) {
    return a.all_hosts ? cmd_down_all_hosts(a.lab, a.force) : cmd_down(a.lab, a.force);
  });
  add_lab(down, d->lab);
  down->add_flag("--force", d->force,
                 "Also with a damaged journal: remove what its readable records name");
  down->add_flag("--all-hosts", d->all_hosts,
                 "Of a lab spread over hosts, take it down on every host at once (its hosts: "
                 "from LAB's file, or from the copy of it this machine's part keeps)");

  struct ValidateArgs {
    std::string file, name;
  };
  CLI::App* validate = app.add_subcommand("validate", "Check a topology file; create nothing");
  auto v = args_of<ValidateArgs>(
      verbs, validate, [](const ValidateArgs& a) { return cmd_validate(a.file, a.name); });
  validate->add_option("FILE", v->file, "Topology file (- for standard input)")->required();
  add_name(validate, v->name);
}

// status, ping, test: looking at a running lab, with --json; ping with a family and nodes,
// test with --only and --junit.
void add_look_verbs(CLI::App& app, Verbs& verbs) {
  struct StatusArgs {
    std::string lab;
    bool json = false;
  };
  CLI::App* status =
      app.add_subcommand("status", "Show a lab live from the kernel (no LAB: every running lab)");
  auto s = args_of<StatusArgs>(verbs, status, [](const StatusArgs& a) {
    return cmd_status(a.lab.empty() ? std::nullopt : std::optional(a.lab), a.json);
  });
  add_lab(status, s->lab, true);
  status->add_flag("--json", s->json, "JSON on standard output");

  CLI::App* ping = app.add_subcommand(
      "ping",
      "Ping every node's addresses from every other node, of the families both have; exit 1 "
      "when any fails");
  auto p = args_of<PingOptions>(verbs, ping, cmd_ping);
  add_lab(ping, p->lab);
  ping->add_flag("--json", p->json, "JSON on standard output");
  ping->add_option("--family", p->family, "Only IPv4 (4) or only IPv6 (6) addresses")
      ->type_name("4|6")
      ->check(understood([](const std::string& text) { return text == "4" || text == "6"; },
                         "4 (IPv4) or 6 (IPv6)"));
  // One value per --nodes (commas between names): LAB after it is not taken for a node.
  ping->add_option("--nodes", p->nodes,
                   "Only between these nodes: names or glob patterns (r*), with commas or repeated")
      ->type_name("NODES")
      ->delimiter(',')
      ->allow_extra_args(false);

  CLI::App* test = app.add_subcommand(
      "test", "Run the lab's tests (a FILE's, given a file), in order; exit 1 when any fails");
  auto t = args_of<TestOptions>(verbs, test, cmd_test);
  add_lab(test, t->lab);
  test->add_flag("--json", t->json, "JSON on standard output");
  test->add_option("--only", t->only, "Run only this test: its name or a glob pattern (repeatable)")
      ->type_name("NAME")
      ->allow_extra_args(false);
  add_name(test, t->name);
  test->add_option("--junit", t->junit, "Also write a JUnit XML report to FILE (replacing it)")
      ->type_name("FILE")
      ->check(not_stdout());
}

// impair and link: one end of a running lab.
void add_end_verbs(CLI::App& app, Verbs& verbs) {
  auto impair = std::make_shared<ImpairArgs>();
  verbs.push_back({add_impair(app, *impair),
                   [impair] { return cmd_impair(impair->lab, impair->end, impair->impairment); }});

  struct LinkArgs {
    std::string lab, end, state;
  };
  CLI::App* link =
      app.add_subcommand("link", "Set one link end of a running lab administratively up or down");
  auto l = args_of<LinkArgs>(
      verbs, link, [](const LinkArgs& a) { return cmd_link(a.lab, a.end, a.state == "up"); });
  add_lab(link, l->lab);
  link->add_option("NODE:IFACE", l->end, "The link end")->required();
  link->add_option("STATE", l->state, "up or down")
      ->required()
      ->check(CLI::IsMember({"up", "down"}));
}

// node: one node of a running lab stopped, started, restarted, paused or resumed.
void add_node_verb(CLI::App& app, Verbs& verbs) {
  struct NodeArgs {
    std::string lab, node, action;
  };
  CLI::App* node =
      app.add_subcommand("node", "Stop, start, restart, pause or resume one node of a running lab");
  auto a = args_of<NodeArgs>(verbs, node, [](const NodeArgs& n) {
    return cmd_node(n.lab, n.node, *parse_node_action(n.action));
  });
  add_lab(node, a->lab);
  node->add_option("NODE", a->node, "Node name")->required();
  node->add_option("ACTION", a->action, "stop, start, restart, pause or resume")
      ->required()
      ->check(CLI::IsMember({"stop", "start", "restart", "pause", "resume"}));
}

// run: a scenario of a running lab.
void add_run(CLI::App& app, Verbs& verbs) {
  CLI::App* run = app.add_subcommand(
      "run", "Run a scenario of the lab's file: break, check how the lab heals, put it back");
  auto r = args_of<RunOptions>(verbs, run, cmd_run);
  add_lab(run, r->lab);
  run->add_option("SCENARIO", r->scenario, "The scenario's name, as the file's `scenarios` has it")
      ->required();
  run->add_option("--repeat", r->repeat, "Run it N times; the spread of every measured time")
      ->type_name("N")
      ->check(CLI::Range(1, 10000));
  run->add_flag("--keep", r->keep, "After the last run, leave the lab as the scenario left it");
  run->add_flag("--json", r->json, "JSON on standard output, instead of the timeline");
  run->add_option("--junit", r->junit, "Also write a JUnit XML report to FILE (replacing it)")
      ->type_name("FILE")
      ->check(not_stdout());
}

struct GenerateArgs {
  std::string shape, name;
  std::vector<long> sizes;
};

int cmd_generate(const GenerateArgs& a) {
  std::string error;
  std::optional<std::string> yaml = generate_topology(a.shape, a.sizes, a.name, error);
  if (!yaml) throw InvalidInput(error);
  if (!a.name.empty())
    if (std::string why = lab_name_problem(a.name); !why.empty()) throw InvalidInput(why);
  std::fputs(yaml->c_str(), stdout);
  return 0;
}

// graph: a drawing of a file, no lab.
void add_graph(CLI::App& app, Verbs& verbs) {
  struct GraphArgs {
    std::string file, format = "dot", out;
  };
  CLI::App* graph = app.add_subcommand("graph", "Draw a lab from its file (no root needed)");
  auto g = args_of<GraphArgs>(
      verbs, graph, [](const GraphArgs& a) { return cmd_graph(a.file, a.format, a.out); });
  graph->add_option("FILE", g->file, "Topology file (- for standard input)")->required();
  graph->add_option("--format", g->format, "dot (default), mermaid, or svg (needs Graphviz)")
      ->check(CLI::IsMember({"dot", "mermaid", "svg"}));
  graph->add_option("-o,--output", g->out, "Write to this file instead of standard output");
}

void add_generate(CLI::App& app, Verbs& verbs) {
  CLI::App* gen = app.add_subcommand(
      "generate",
      "Print a topology of a common shape: linear N | ring N | star N | tree DEPTH "
      "FANOUT | clos SPINES LEAVES HOSTS_PER_LEAF | grid W H | mesh N");
  auto a = args_of<GenerateArgs>(verbs, gen, cmd_generate);
  gen->add_option("SHAPE", a->shape, "linear, ring, star, tree, clos, grid or mesh")->required();
  gen->add_option("ARGS", a->sizes, "The shape's sizes");
  gen->add_option("--name", a->name, "The lab's name (default: shape and first size)");
}

// k8s: manifests for a cluster.
void add_k8s(CLI::App& app, Verbs& verbs) {
  CLI::App* k8s = app.add_subcommand(
      "k8s",
      "Print Kubernetes manifests that run a lab spread over hosts on a cluster whose nodes are "
      "named as its hosts: a ConfigMap with the file and a DaemonSet");
  auto a = args_of<K8sOptions>(verbs, k8s, cmd_k8s);
  k8s->add_option("FILE", a->file, "Topology file (- for standard input)")->required();
  k8s->add_option("--image", a->image,
                  "The pods' image: topo installed, and what the lab's nodes run")
      ->type_name("IMAGE")
      ->required();
  k8s->add_option("--namespace", a->name_space,
                  "The Kubernetes namespace of the manifests (default: none named, kubectl's)")
      ->type_name("NS")
      ->check(understood(is_k8s_name,
                         "a Kubernetes namespace: at most 63 of a-z, 0-9 and -, starting and "
                         "ending with a letter or digit"));
}

// exec: everything after NODE (and an optional --) is the command, options included; what
// follows the first `--` of the command line is given to it as it is (`after_dashes`).
void add_exec(CLI::App& app, Verbs& verbs, const std::vector<std::string>& after_dashes) {
  struct ExecArgs {
    std::string lab, node;
  };
  CLI::App* exec = app.add_subcommand(
      "exec",
      "Run a command in a node (no command: an interactive shell); its exit status is topo's");
  auto a = std::make_shared<ExecArgs>();
  verbs.push_back({exec, [a, exec, &after_dashes] {
                     std::vector<std::string> command = exec->remaining();
                     command.insert(command.end(), after_dashes.begin(), after_dashes.end());
                     return cmd_exec(a->lab, a->node, command);
                   }});
  add_lab(exec, a->lab);
  exec->add_option("NODE", a->node, "Node name")->required();
  exec->prefix_command();
  exec->allow_extras();
  exec->footer("  CMD [ARG...]  the command to run in the node, after NODE (or after --)");
}

// capture: packets on ends of a running lab.
void add_capture(CLI::App& app, Verbs& verbs) {
  struct CaptureArgs : CaptureRequest {
    std::string duration;
  };
  CLI::App* cmd = app.add_subcommand(
      "capture",
      "Capture packets on ends of a running lab into one pcapng stream (or a line per packet)");
  auto a = args_of<CaptureArgs>(verbs, cmd, [](const CaptureArgs& args) {
    CaptureRequest request = args;
    if (!args.duration.empty()) request.duration_us = *parse_duration_us(args.duration);
    return cmd_capture(request);
  });
  add_lab(cmd, a->lab);
  cmd->add_option("END", a->ends,
                  "NODE:IFACE, a node, or a link: its ends with commas (r1:eth1,r2:eth1); none: "
                  "every end of the lab");
  CLI::Option* write =
      cmd->add_option("-w,--write", a->write, "Write pcapng to FILE (- for standard output)")
          ->type_name("FILE");
  cmd->add_flag("--force", a->force, "Replace FILE if it exists")->needs(write);
  cmd->add_option("-f,--filter", a->filter, "Keep only what a BPF filter (tcpdump's syntax) names")
      ->type_name("FILTER");
  cmd->add_option("-c,--count", a->count, "Stop after COUNT packets")
      ->type_name("COUNT")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--duration", a->duration, "Stop after D, like 10s")
      ->type_name("D")
      ->check(understood(parse_duration_us, "a duration like 500ms or 10s, at most an hour"));
  cmd->add_option("--snaplen", a->snaplen, "Bytes kept of each packet (default 262144)")
      ->type_name("N")
      ->check(CLI::Range(16, 262144));
}

// Runs the verb: what it throws is said once, as an error, and is its exit status.
int run_verb(const std::function<int()>& run) {
  try {
    return run();
  } catch (const Reported& r) {
    return r.status;
  } catch (const InvalidInput& e) {
    spdlog::error("{}", e.what());
    return 2;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
}

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"topo: declarative network-namespace labs, built in-process through netlink",
               "topo"};
  app.require_subcommand(1);
  int verbose = 0;
  bool quiet = false;
  app.add_flag("-v,--verbose", verbose, "Show every kernel action");
  app.add_flag("-q,--quiet", quiet, "Show only warnings and errors");
  app.set_version_flag("--version", "topo " + version_text(), "Print topo's version and commit");

  // What follows the first `--` is exec's command (CLI11 would take it for positionals).
  std::vector<std::string> words(argv + 1, argv + argc);
  std::vector<std::string> after_dashes;
  if (auto dashes = std::find(words.begin(), words.end(), "--"); dashes != words.end()) {
    after_dashes.assign(dashes + 1, words.end());
    words.erase(dashes, words.end());
  }
  Verbs verbs;
  add_lab_verbs(app, verbs);
  add_exec(app, verbs, after_dashes);
  add_look_verbs(app, verbs);
  add_graph(app, verbs);
  add_end_verbs(app, verbs);
  add_node_verb(app, verbs);
  add_run(app, verbs);
  add_generate(app, verbs);
  add_capture(app, verbs);
  add_k8s(app, verbs);
  // -v/-q after the verb too; not for exec, whose trailing words are the command.
  for (const Verb& v : verbs)
    if (v.cmd->get_name() != "exec") v.cmd->fallthrough();

  std::reverse(words.begin(), words.end());  // CLI11 takes a vector in reverse order
  try {
    app.parse(words);
    if (!app.got_subcommand("exec") && !after_dashes.empty())
      throw CLI::ExtrasError("--", std::vector<std::string>(after_dashes));
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  setup_logging(verbose, quiet);
  for (const Verb& v : verbs)
    if (*v.cmd) return run_verb(v.run);
  return 2;  // require_subcommand(1): not reached
}

}  // namespace topo
