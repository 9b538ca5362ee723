// `topo exec`: a command, or a shell, inside a node of a running lab. Linked into the lean
// `topo` front end too: no logging or formatting library here (see entry.h).
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <utility>

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
// put anything under its name), made once, under a hold on the lab's directory. Throws
// std::runtime_error when it cannot be made.
std::vector<std::string> shell_argv(const LabPaths& paths) {
  const char* env_shell = getenv("SHELL");
  std::string shell = env_shell && *env_shell ? env_shell : "/bin/sh";
  if (std::filesystem::path(shell).filename() != "bash") return {shell, "-i"};
  LabDirHold hold;
  hold.acquire(paths.lab_dir);
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
  if (err) throw std::runtime_error("cannot write " + paths.bashrc + ": " + strerror(err));
  return {shell, "--rcfile", paths.bashrc, "-i"};
}

// The string fields of one journal record, through nlohmann's SAX parser: no tree is built.
class FlatRecord : public nlohmann::json_sax<nlohmann::json> {
 public:
  // `netns`: stop as soon as the record is seen to be another namespace's.
  explicit FlatRecord(std::string_view netns = {}) : wanted_netns_(netns) {}
  std::string t, netns, node, kind, prefix, file;

  bool string(string_t& value) override {
    if (key_ == "netns" && !wanted_netns_.empty() && value != wanted_netns_) return false;
    for (auto [name, field] : {std::pair{"t", &t},
                               {"netns", &netns},
                               {"node", &node},
                               {"kind", &kind},
                               {"prefix", &prefix},
                               {"file", &file}})
      if (key_ == name) *field = std::move(value);
    return true;
  }
  bool key(string_t& key) override {
    key_ = std::move(key);
    return true;
  }
  // No record read here has a nested value.
  bool start_object(std::size_t) override { return ++depth_ == 1; }
  bool end_object() override { return --depth_ >= 0; }
  bool start_array(std::size_t) override { return false; }
  bool end_array() override { return false; }
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool binary(binary_t&) override { return false; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

  // Parses `line`; false when it is not a whole flat record (torn, damaged, another
  // namespace's).
  bool parse(std::string_view line) {
    return nlohmann::json::sax_parse(line.begin(), line.end(), this) && !t.empty();
  }

 private:
  std::string_view wanted_netns_;
  std::string key_;
  int depth_ = 0;
};

// Whether a line may be a record of type `type` whose other fields all sort before "t": the
// journal's objects are written with their keys sorted (nlohmann's objects are std::maps), so
// such a record's type ends its line. A line of any other type (a namespace's identity, a veth,
// the lab as built) is passed over without being parsed.
bool may_be(std::string_view line, std::string_view type) {
  constexpr std::string_view kOpen = R"("t":")", kClose = R"("})";
  size_t size = kOpen.size() + type.size() + kClose.size();
  if (line.size() < size) return false;
  std::string_view tail = line.substr(line.size() - size);
  return tail.substr(0, kOpen.size()) == kOpen && tail.substr(kOpen.size(), type.size()) == type &&
         tail.substr(kOpen.size() + type.size()) == kClose;
}

}  // namespace

JournalNode find_node_in_journal(std::string_view journal, std::string_view node) {
  size_t header_end = std::min(journal.find('\n'), journal.size());
  FlatRecord header;
  if (!header.parse(journal.substr(0, header_end)) || header.t != "lab") return {};
  JournalNode found{JournalNode::Found::no_node, header.prefix + std::string(node), header.file};
  for (size_t at = header_end + 1; at < journal.size();) {
    size_t end = std::min(journal.find('\n', at), journal.size());
    std::string_view line = journal.substr(at, end - at);
    at = end + 1;
    bool netns = may_be(line, "netns");
    if (!netns && !may_be(line, "netns-gone")) continue;
    FlatRecord r(found.netns);
    if (!r.parse(line)) continue;
    if (netns && r.t == "netns" && r.node == node && r.kind != "lan")
      found.found = JournalNode::Found::node;
    else if (r.t == "netns-gone")
      found.found = JournalNode::Found::no_node;
  }
  return found;
}

int exec_in_node(const std::string& lab, const std::string& node,
                 const std::vector<std::string>& command) {
  try {
    require_privileges("exec");
  } catch (const std::exception& e) {
    return fail(1, e.what());
  }
  LabPaths paths = LabPaths::of(kRunDir, lab);
  std::optional<std::string> text = read_file(paths.journal);
  if (!text) return fail(1, "lab " + lab + " is not running");
  JournalNode found = find_node_in_journal(*text, node);
  if (found.found == JournalNode::Found::no_header)
    return fail(1, "lab " + lab + " has no usable state (run `topo down " + lab + "`)");
  // A name no file's node can have (they start with a letter or a digit) is not looked for: the
  // first journals recorded no kind for a LAN's namespace.
  if (node.empty() || !std::isalnum(static_cast<unsigned char>(node[0])) ||
      found.found == JournalNode::Found::no_node)
    return fail(2, "lab " + lab + " has no node `" + node + "`");
  if (std::string why = paused_node_problem(lab, node); !why.empty()) return fail(1, why);
  LabDirs dirs = LabDirs::of(lab, found.file);
  NodeContext ctx{
      lab, node, found.netns, dirs.node_dir(node), dirs.lab_dir, read_node_env(dirs, node)};

  // The command's exit status and signals are its own: it replaces topo, as with `ip netns exec`,
  // or, in the lab's cgroup, topo relays them.
  std::vector<std::string> argv = command;
  try {
    if (argv.empty()) argv = shell_argv(paths);
  } catch (const std::exception& e) {
    return fail(1, e.what());
  }
  NodeEntry entry;
  try {
    entry.prepare(ctx, argv);
  } catch (const std::exception& e) {
    return fail(127, e.what());
  }
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
