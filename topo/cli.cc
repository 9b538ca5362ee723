#include "topo/cli.h"

#include <algorithm>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "topo/generate.h"
#include "topo/impair.h"
#include "topo/lab.h"
#include "topo/units.h"
#include "topo/validator.h"

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

}  // namespace

// The --delay ... --rate options as an impairment; nullopt (with the reason printed) when a
// value is not understood.
std::optional<nl::Impairment> impairment_from_options(
    const std::vector<std::pair<std::string, std::string>>& options) {
  Impair imp;
  for (const auto& [name, text] : options) {
    if (text.empty()) continue;
    bool ok = true;
    if (name == "delay") ok = (imp.delay_us = parse_delay_us(text)).has_value();
    if (name == "jitter") ok = (imp.jitter_us = parse_delay_us(text)).has_value();
    if (name == "loss") ok = (imp.loss = parse_percent(text)).has_value();
    if (name == "duplicate") ok = (imp.duplicate = parse_percent(text)).has_value();
    if (name == "corrupt") ok = (imp.corrupt = parse_percent(text)).has_value();
    if (name == "reorder") ok = (imp.reorder = parse_percent(text)).has_value();
    if (name == "rate") ok = (imp.rate_bps = parse_rate_bps(text)).has_value();
    if (!ok) {
      spdlog::error(
          "error: --{} {}: not understood (durations: 10ms, 500us, 1s, at most 274s; percentages: "
          "0.5%; rates: 64kbit, 20mbit, 1gbit)",
          name, text);
      return std::nullopt;
    }
  }
  if ((imp.jitter_us || imp.reorder) && !imp.delay_us) {
    spdlog::error("error: --jitter and --reorder need a --delay");
    return std::nullopt;
  }
  return effective_impairment(nullptr, &imp);
}

int run_cli(int argc, char** argv) {
  CLI::App app{"topo: declarative network-namespace labs, built in-process through netlink",
               "topo"};
  app.require_subcommand(1);
  int verbose = 0;
  bool quiet = false;
  app.add_flag("-v,--verbose", verbose, "Show every kernel action");
  app.add_flag("-q,--quiet", quiet, "Show only warnings and errors");

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

  std::string impair_lab, impair_end, imp_delay, imp_jitter, imp_loss, imp_dup, imp_corrupt,
      imp_reorder, imp_rate;
  bool impair_clear = false;
  CLI::App* impair_cmd = app.add_subcommand(
      "impair", "Set (replace) or --clear the impairment of one link end of a running lab");
  impair_cmd->add_option("LAB", impair_lab, "Lab name, or the lab's topology file")->required();
  impair_cmd->add_option("NODE:IFACE", impair_end, "The link end")->required();
  impair_cmd->add_option("--delay", imp_delay, "Delay, like 10ms");
  impair_cmd->add_option("--jitter", imp_jitter, "Jitter, like 2ms (with --delay)");
  impair_cmd->add_option("--loss", imp_loss, "Loss, like 0.5%");
  impair_cmd->add_option("--duplicate", imp_dup, "Duplication, like 0.1%");
  impair_cmd->add_option("--corrupt", imp_corrupt, "Corruption, like 0.1%");
  impair_cmd->add_option("--reorder", imp_reorder, "Reordering, like 1% (with --delay)");
  impair_cmd->add_option("--rate", imp_rate, "Rate, like 20mbit");
  impair_cmd->add_flag("--clear", impair_clear, "Remove every impairment of the end");

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
  if (*impair_cmd) {
    std::optional<nl::Impairment> imp = impairment_from_options({{"delay", imp_delay},
                                                                 {"jitter", imp_jitter},
                                                                 {"loss", imp_loss},
                                                                 {"duplicate", imp_dup},
                                                                 {"corrupt", imp_corrupt},
                                                                 {"reorder", imp_reorder},
                                                                 {"rate", imp_rate}});
    bool any = imp && (imp->needs_netem() || imp->rate_bps);
    if (impair_clear == any) {
      spdlog::error("error: give impairments (--delay, --rate, ...) or --clear, not {}",
                    any ? "both" : "neither");
      return 2;
    }
    if (!imp) return 2;
    return cmd_impair(impair_lab, impair_end, impair_clear ? std::nullopt : imp);
  }
  if (*test_cmd) return cmd_test(test_lab, test_json);
  if (*exec_cmd) {
    std::vector<std::string> command = exec_cmd->remaining();
    command.insert(command.end(), after_dashes.begin(), after_dashes.end());
    return cmd_exec(exec_lab, exec_node, command);
  }
  return cmd_validate(file);
}

}  // namespace topo
