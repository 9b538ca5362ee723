#include "topo/verbs/cli.h"

#include <algorithm>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "topo/language/generate.h"
#include "topo/language/validator.h"
#include "topo/model/impair.h"
#include "topo/model/units.h"
#include "topo/model/version.h"
#include "topo/verbs/lab.h"

namespace topo {

namespace {

void setup_logging(int verbose, bool quiet) {
  auto logger = spdlog::stderr_color_mt("topo");
  logger->set_pattern("%^%v%$");
  logger->set_level(quiet     ? spdlog::level::warn
                    : verbose ? spdlog::level::debug
                              : spdlog::level::info);
  spdlog::set_default_logger(logger);
}

// A CLI11 check that `parse` understands a value: "VALUE is not understood: WHAT" otherwise.
template <class Parse>
CLI::Validator understood(Parse parse, const std::string& what) {
  return CLI::Validator(
      [parse, what](std::string& text) {
        return parse(text) ? std::string() : text + " is not understood: " + what;
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

  UpOptions up;
  CLI::App* up_cmd = app.add_subcommand("up", "Build the lab a topology file describes");
  up_cmd->add_option("FILE", up.file, "Topology file (- for standard input)")->required();
  up_cmd->add_flag("--dry-run", up.dry_run, "The same as `topo plan FILE`");
  up_cmd->add_flag("--keep-on-failure", up.keep_on_failure,
                   "On failure, keep what was created (for a look) instead of rolling back");

  std::string plan_file;
  bool plan_json = false;
  CLI::App* plan_cmd = app.add_subcommand(
      "plan", "Show what up would change (exit status 3 when something would); create nothing");
  plan_cmd->add_option("FILE", plan_file, "Topology file (- for standard input)")->required();
  plan_cmd->add_flag("--json", plan_json, "As JSON on standard output");

  std::string lab;
  bool down_force = false;
  CLI::App* down_cmd =
      app.add_subcommand("down", "Remove everything a lab created, and nothing else");
  down_cmd->add_option("LAB", lab, "Lab name, or the lab's topology file")->required();
  down_cmd->add_flag("--force", down_force,
                     "Also with a damaged journal: remove what its readable records name");

  std::string file;
  CLI::App* validate_cmd = app.add_subcommand("validate", "Check a topology file; create nothing");
  validate_cmd->add_option("FILE", file, "Topology file (- for standard input)")->required();

  std::string exec_lab, exec_node;
  CLI::App* exec_cmd = app.add_subcommand(
      "exec",
      "Run a command in a node (no command: an interactive shell); its exit status is topo's");
  exec_cmd->add_option("LAB", exec_lab, "Lab name, or the lab's topology file")->required();
  exec_cmd->add_option("NODE", exec_node, "Node name")->required();
  // Everything after NODE (and an optional --) is the command, options included.
  exec_cmd->prefix_command();
  exec_cmd->allow_extras();
  exec_cmd->footer("  CMD [ARG...]  the command to run in the node, after NODE (or after --)");

  std::string status_lab, ping_lab, test_lab;
  bool status_json = false, ping_json = false, test_json = false;
  CLI::App* status_cmd =
      app.add_subcommand("status", "Show a lab live from the kernel (no LAB: every running lab)");
  status_cmd->add_option("LAB", status_lab, "Lab name, or the lab's topology file");
  status_cmd->add_flag("--json", status_json, "JSON on standard output");
  CLI::App* ping_cmd = app.add_subcommand(
      "ping", "Ping every node's addresses from every other node; exit 1 when any fails");
  ping_cmd->add_option("LAB", ping_lab, "Lab name, or the lab's topology file")->required();
  ping_cmd->add_flag("--json", ping_json, "JSON on standard output");
  CLI::App* test_cmd =
      app.add_subcommand("test", "Run the lab file's tests, in order; exit 1 when any fails");
  test_cmd->add_option("LAB", test_lab, "Lab name, or the lab's topology file")->required();
  test_cmd->add_flag("--json", test_json, "JSON on standard output");

  std::string graph_file, graph_format = "dot", graph_out;
  CLI::App* graph_cmd = app.add_subcommand("graph", "Draw a lab from its file (no root needed)");
  graph_cmd->add_option("FILE", graph_file, "Topology file (- for standard input)")->required();
  graph_cmd->add_option("--format", graph_format, "dot (default), mermaid, or svg (needs Graphviz)")
      ->check(CLI::IsMember({"dot", "mermaid", "svg"}));
  graph_cmd->add_option("-o,--output", graph_out, "Write to this file instead of standard output");

  ImpairArgs impair;
  CLI::App* impair_cmd = add_impair(app, impair);

  std::string link_lab, link_end, link_state;
  CLI::App* link_cmd =
      app.add_subcommand("link", "Set one link end of a running lab administratively up or down");
  link_cmd->add_option("LAB", link_lab, "Lab name, or the lab's topology file")->required();
  link_cmd->add_option("NODE:IFACE", link_end, "The link end")->required();
  link_cmd->add_option("STATE", link_state, "up or down")
      ->required()
      ->check(CLI::IsMember({"up", "down"}));

  std::string gen_shape, gen_name;
  std::vector<long> gen_args;
  CLI::App* gen_cmd = app.add_subcommand(
      "generate",
      "Print a topology of a common shape: linear N | ring N | star N | tree DEPTH "
      "FANOUT | clos SPINES LEAVES HOSTS_PER_LEAF | grid W H | mesh N");
  gen_cmd->add_option("SHAPE", gen_shape, "linear, ring, star, tree, clos, grid or mesh")
      ->required();
  gen_cmd->add_option("ARGS", gen_args, "The shape's sizes");
  gen_cmd->add_option("--name", gen_name, "The lab's name (default: shape and first size)");

  // -v/-q after the verb too; not for exec, whose trailing words are the command.
  for (CLI::App* sub : {up_cmd, plan_cmd, down_cmd, validate_cmd, status_cmd, ping_cmd, test_cmd,
                        graph_cmd, impair_cmd, link_cmd, gen_cmd})
    sub->fallthrough();

  // What follows the first `--` is exec's command, given to it as it is (CLI11 would take it
  // for positionals of its own).
  std::vector<std::string> words(argv + 1, argv + argc);
  std::vector<std::string> after_dashes;
  if (auto dashes = std::find(words.begin(), words.end(), "--"); dashes != words.end()) {
    after_dashes.assign(dashes + 1, words.end());
    words.erase(dashes, words.end());
  }
  std::reverse(words.begin(), words.end());  // CLI11 takes a vector in reverse order
  try {
    app.parse(words);
    if (!*exec_cmd && !after_dashes.empty())
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
  if (*up_cmd) return cmd_up(up);
  if (*down_cmd) return cmd_down(lab, down_force);
  if (*plan_cmd) return cmd_plan(plan_file, plan_json);
  if (*status_cmd)
    return cmd_status(status_lab.empty() ? std::nullopt : std::optional(status_lab), status_json);
  if (*ping_cmd) return cmd_ping(ping_lab, ping_json);
  if (*graph_cmd) return cmd_graph(graph_file, graph_format, graph_out);
  if (*link_cmd) return cmd_link(link_lab, link_end, link_state == "up");
  if (*gen_cmd) {
    std::string error;
    std::optional<std::string> yaml = generate_topology(gen_shape, gen_args, gen_name, error);
    if (!yaml) {
      spdlog::error("error: {}", error);
      return 2;
    }
    if (!gen_name.empty())
      if (std::string why = lab_name_problem(gen_name); !why.empty()) {
        spdlog::error("error: {}", why);
        return 2;
      }
    std::fputs(yaml->c_str(), stdout);
    return 0;
  }
  if (*impair_cmd) return cmd_impair(impair.lab, impair.end, impair.impairment);
  if (*test_cmd) return cmd_test(test_lab, test_json);
  if (*exec_cmd) {
    std::vector<std::string> command = exec_cmd->remaining();
    command.insert(command.end(), after_dashes.begin(), after_dashes.end());
    return cmd_exec(exec_lab, exec_node, command);
  }
  return cmd_validate(file);
}

}  // namespace topo
