// `topo exec`: a command, or a shell, inside a node of a running lab.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "topo/lab.h"
#include "topo/node_setup.h"
#include "topo/privileges.h"
#include "topo/runner.h"
#include "topo/state.h"

namespace topo {

namespace {

pid_t g_child = 0;

void forward_signal(int signal) {
  if (g_child > 0) kill(g_child, signal);
}

// The interactive shell: $SHELL (else /bin/sh), its prompt showing lab and node.
std::vector<std::string> shell_argv(const NodeContext& node) {
  const char* env_shell = getenv("SHELL");
  std::string shell = env_shell && *env_shell ? env_shell : "/bin/sh";
  if (std::filesystem::path(shell).filename() == "bash") {
    // bash sets its prompt in ~/.bashrc: run that, then put lab and node in front.
    std::string rc = node.node_dir + "/.topo-bashrc";
    std::ofstream(rc) << "[ -f ~/.bashrc ] && . ~/.bashrc\n"
                      << "PS1=\"[" << node.lab << ":" << node.node
                      << "] ${PS1:-\\\\h:\\\\w\\\\$ }\"\n";
    return {shell, "--rcfile", rc, "-i"};
  }
  return {shell, "-i"};
}

}  // namespace

int cmd_exec(const std::string& lab_or_file, const std::string& node,
             const std::vector<std::string>& command) {
  std::optional<std::string> name = lab_name_of(lab_or_file);
  if (!name) return 2;
  const std::string& lab = *name;
  if (std::string why = missing_privileges("exec"); !why.empty()) {
    spdlog::error("error: {}", why);
    return 1;
  }
  // Only the journal's header and this node's record are needed: no parse of the whole lab, so
  // that exec costs the same in a lab of 10 nodes or 10,000.
  LabPaths paths = LabPaths::of(kRunDir, lab);
  std::ifstream in(paths.journal);
  if (!in) {
    spdlog::error("error: lab {} is not running", lab);
    return 1;
  }
  std::stringstream text;
  text << in.rdbuf();
  std::string journal = text.str();
  nlohmann::json header =
      nlohmann::json::parse(journal.substr(0, journal.find('\n')), nullptr, false);
  if (!header.is_object() || header.value("t", "") != "lab") {
    spdlog::error("error: lab {} has no usable state (run `topo down {}`)", lab, lab);
    return 1;
  }
  std::string netns = header.value("prefix", "") + node;
  // The netns record's two fields as nlohmann writes them (keys sorted, no spaces).
  std::string record = nlohmann::json{{"netns", netns}, {"node", node}}.dump();
  record = record.substr(1, record.size() - 2);
  if (node.empty() || node[0] == '_' || journal.find(record) == std::string::npos) {
    spdlog::error("error: lab {} has no node `{}`", lab, node);
    return 2;
  }
  std::string file = header.value("file", "");
  LabDirs dirs{
      lab, paths.lab_dir,
      file == "<stdin>" ? std::string("/") : std::filesystem::path(file).parent_path().string()};
  NodeContext ctx{lab, node, netns, dirs.node_dir(node), dirs.lab_dir, read_node_env(dirs, node)};
  // $TOPO_NODE_DIR exists for every node a command runs in.
  mkdir((paths.lab_dir + "/nodes").c_str(), 0711);
  mkdir(ctx.node_dir.c_str(), 0755);

  std::vector<std::string> argv = command.empty() ? shell_argv(ctx) : command;
  try {
    g_child = spawn_in_node(ctx, {argv});
  } catch (const std::exception& e) {
    spdlog::error("error: {}", e.what());
    return 127;
  }
  // The terminal's Ctrl-C and Ctrl-\ reach the command (it is in our process group); topo
  // only waits. Signals sent to topo alone are passed on.
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  for (int s : {SIGTERM, SIGHUP}) signal(s, forward_signal);
  return wait_exit_status(g_child);
}

}  // namespace topo
