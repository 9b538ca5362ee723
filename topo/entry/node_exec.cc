// `topo exec`: a command, or a shell, inside a node of a running lab. Linked into the lean
// `topo` front end too: no logging or formatting library here (see entry.h).
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "topo/entry/entry.h"
#include "topo/entry/node_exec.h"
#include "topo/entry/privileges.h"
#include "topo/entry/relay.h"
#include "topo/entry/safe_fs.h"

namespace topo {

namespace {

int fail(int status, const std::string& message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  return status;
}

// The interactive shell: $SHELL (else /bin/sh), its prompt showing lab and node. bash sets its
// prompt in ~/.bashrc: an rc file of the lab's runs that, then puts lab and node in front. The
// file is root's, in the lab's state directory (a node's directory may be a user's, who could
// put anything under its name), made once, under a hold on the lab's directory.
std::vector<std::string> shell_argv(const LabPaths& paths, std::string& why) {
  const char* env_shell = getenv("SHELL");
  std::string shell = env_shell && *env_shell ? env_shell : "/bin/sh";
  if (std::filesystem::path(shell).filename() != "bash") return {shell, "-i"};
  LabDirHold hold;
  if (why = hold.take(paths.lab_dir); !why.empty()) return {};
  std::string rc_name = std::filesystem::path(paths.bashrc).filename();
  nl::Fd state = open_beneath(hold.dir(), "state", O_RDONLY | O_DIRECTORY);
  int err = state.valid() ? 0 : errno;
  struct stat st;
  if (!err && fstatat(state.get(), rc_name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    const char* rc =
        "[ -f ~/.bashrc ] && . ~/.bashrc\n"
        "PS1=\"[$TOPO_LAB:$TOPO_NODE] ${PS1:-\\\\h:\\\\w\\\\$ }\"\n";
    err = replace_file(state.get(), rc_name, rc, 0600);
  }
  if (err) why = "cannot write " + paths.bashrc + ": " + strerror(err);
  return {shell, "--rcfile", paths.bashrc, "-i"};
}

}  // namespace

int exec_in_node(const std::string& lab, const std::string& node,
                 const std::vector<std::string>& command) {
  if (std::string why = missing_privileges("exec"); !why.empty()) return fail(1, why);
  // Only the journal's header and this node's record are needed: no parse of the whole lab, so
  // that exec costs the same in a lab of 10 nodes or 10,000.
  LabPaths paths = LabPaths::of(kRunDir, lab);
  std::optional<std::string> text = read_file(paths.journal);
  if (!text) return fail(1, "lab " + lab + " is not running");
  const std::string& journal = *text;
  nlohmann::json header =
      nlohmann::json::parse(journal.substr(0, journal.find('\n')), nullptr, false);
  if (!header.is_object() || header.value("t", "") != "lab")
    return fail(1, "lab " + lab + " has no usable state (run `topo down " + lab + "`)");
  std::string netns = header.value("prefix", "") + node;
  // The netns record's two fields as nlohmann writes them (keys sorted, no spaces).
  std::string record = nlohmann::json{{"netns", netns}, {"node", node}}.dump();
  record = record.substr(1, record.size() - 2);
  if (node.empty() || node[0] == '_' || journal.find(record) == std::string::npos)
    return fail(2, "lab " + lab + " has no node `" + node + "`");
  LabDirs dirs = LabDirs::of(lab, header.value("file", ""));
  NodeContext ctx{lab, node, netns, dirs.node_dir(node), dirs.lab_dir, read_node_env(dirs, node)};

  // The command's exit status and signals are its own: it replaces topo, as with `ip netns exec`,
  // or, in the lab's cgroup, topo relays them.
  std::string why;
  std::vector<std::string> argv = command.empty() ? shell_argv(paths, why) : command;
  if (!why.empty()) return fail(1, why);
  NodeEntry entry;
  if (why = prepare_entry(ctx, argv, entry); !why.empty()) return fail(127, why);
  std::fflush(nullptr);
  auto cannot = [&](const char* step) {
    int err = errno;
    std::string what = step == std::string_view(kExecStep) ? "run `" + entry.argv[0] + "`" : step;
    return fail(127, "node " + node + ": cannot " + what + ": " + strerror(err));
  };
  if (!entry.cgroup.valid()) return cannot(enter_and_exec(entry));
  // The command is born in the lab's cgroup as topo's child, topo standing in for it: moving topo
  // itself there would wait for an RCU grace period, longer than all the rest of `topo exec`.
  sigset_t old = block_relayed_signals();
  bool joined;
  pid_t child = cgroup::fork_into(entry.cgroup, joined);
  if (child < 0) return cannot("start a process");
  if (child == 0) {
    sigprocmask(SIG_SETMASK, &old, nullptr);
    _exit(cannot(joined ? enter_and_exec(entry) : "join the lab's cgroup"));
  }
  entry.netns.reset();  // topo must not keep the namespace alive
  entry.cgroup = {};
  entry.hold.release();  // the command is in the lab's cgroup: `down` may go ahead
  relay(child, old);
}

}  // namespace topo
