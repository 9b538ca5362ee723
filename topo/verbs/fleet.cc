#include "topo/verbs/fleet.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "netlink/error.h"
#include "topo/entry/privileges.h"
#include "topo/model/fd.h"
#include "topo/verbs/checks.h"
#include "topo/verbs/lab.h"
#include "topo/verbs/lab_common.h"

extern "C" char** environ;

namespace topo {

FleetTools FleetTools::from_environment() {
  FleetTools tools;
  if (const char* ssh = std::getenv("TOPO_SSH")) {
    std::vector<std::string> words;
    std::istringstream line(ssh);
    for (std::string word; line >> word;) words.push_back(word);
    if (!words.empty()) tools.ssh = words;
  }
  if (const char* remote = std::getenv("TOPO_REMOTE"); remote && *remote)
    tools.remote_topo = remote;
  std::error_code ec;
  tools.self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  if (!spdlog::should_log(spdlog::level::info))
    tools.log_flags = {"-q"};
  else if (spdlog::should_log(spdlog::level::debug))
    tools.log_flags = {"-v"};
  return tools;
}

std::optional<Pos> reads_its_folder(const Topology& t) {
  for (const Node& n : t.nodes) {
    for (const NodeFile& f : n.files)
      if (!f.from.empty()) return f.pos;
    for (const Mount& m : n.mounts)
      if (m.kind == Mount::Kind::bind && !m.source.empty() && m.source[0] != '/') return m.pos;
  }
  return std::nullopt;
}

std::string shell_quoted(const std::string& word) {
  static const char kPlain[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:@,+%";
  if (!word.empty() && word.find_first_not_of(kPlain) == std::string::npos) return word;
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::vector<HostCommand> fleet_commands(
    const Topology& t, const std::vector<nl::IpPrefix>& local, const FleetTools& tools,
    const std::function<std::vector<std::string>(const Host&)>& words, bool in_folder,
    Diagnostics& diagnostics) {
  std::vector<HostCommand> commands;
  const Host* this_machine = nullptr;
  for (const Host& h : t.hosts) {
    std::vector<std::string> topo_words = tools.log_flags;
    for (std::string& w : words(h)) topo_words.push_back(std::move(w));
    if (h.ssh.empty()) {
      if (std::find(local.begin(), local.end(), h.underlay) == local.end()) {
        diagnostics.error(
            h.pos, fmt::format("host {} has no `ssh:` and is not this machine (its underlay "
                               "address {} is not one of this machine's): --all-hosts reaches "
                               "it only with `ssh: DESTINATION` (root@{}, or a Host of "
                               "~/.ssh/config)",
                               h.name, h.underlay.address_text(), h.underlay.address_text()));
      } else if (this_machine) {
        diagnostics.error(h.pos, fmt::format("host {} has no `ssh:`, and this machine is host {} "
                                             "already (it has both underlay addresses): give "
                                             "one of them an `ssh:`",
                                             h.name, this_machine->name));
      } else {
        this_machine = &h;
        HostCommand& c = commands.emplace_back(HostCommand{h.name, {tools.self}, ""});
        c.argv.insert(c.argv.end(), topo_words.begin(), topo_words.end());
        if (in_folder) c.cwd = t.dir;
      }
      continue;
    }
    std::string line = in_folder ? "cd " + shell_quoted(t.dir) + " && " : "";
    line += shell_quoted(tools.remote_topo);
    for (const std::string& w : topo_words) line += " " + shell_quoted(w);
    HostCommand& c = commands.emplace_back(HostCommand{h.name, tools.ssh, ""});
    // BatchMode: a host that asks for a password or a passphrase fails instead of waiting. `--`:
    // the destination is never taken for an option.
    c.argv.insert(c.argv.end(), {"-o", "BatchMode=yes", "--", h.ssh, line});
  }
  return commands;
}

namespace {

// A command's output, written a line at a time after "[HOST] ".
class PrefixedLines {
 public:
  PrefixedLines(const std::string& host, FILE* to) : prefix_("[" + host + "] "), to_(to) {}
  void add(const char* data, size_t size) {
    pending_.append(data, size);
    for (size_t end; (end = pending_.find('\n')) != std::string::npos;) {
      write(pending_.substr(0, end + 1));
      pending_.erase(0, end + 1);
    }
  }
  // At the end of the output: a last line without its newline.
  void finish() {
    if (!pending_.empty()) write(pending_ + "\n");
    pending_.clear();
  }

 private:
  void write(const std::string& line) {
    std::string text = prefix_ + line;
    std::fwrite(text.data(), 1, text.size(), to_);
    std::fflush(to_);
  }
  std::string prefix_, pending_;
  FILE* to_;
};

// While topo writes into commands that may have exited: their EPIPE rather than a SIGPIPE that
// would end topo.
class IgnoredSigpipe {
 public:
  IgnoredSigpipe() {
    struct sigaction ignore = {};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ignore, &old_);
  }
  ~IgnoredSigpipe() { sigaction(SIGPIPE, &old_, nullptr); }
  IgnoredSigpipe(const IgnoredSigpipe&) = delete;
  IgnoredSigpipe& operator=(const IgnoredSigpipe&) = delete;

 private:
  struct sigaction old_ = {};
};

struct Child {
  pid_t pid = -1;
  nl::Fd in, out, err;
  size_t written = 0;
  PrefixedLines out_lines, err_lines;
};

std::pair<nl::Fd, nl::Fd> make_pipe() {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error("pipe: " + nl::errno_text(errno));
  return {nl::Fd(p[0]), nl::Fd(p[1])};
}

// Starts the command, its standard input, output and error pipes to `child`; false, said on its
// host's lines, when it cannot start.
bool start(const HostCommand& c, Child& child) {
  auto [in_read, in_write] = make_pipe();
  auto [out_read, out_write] = make_pipe();
  auto [err_read, err_write] = make_pipe();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_read.get(), 0);
  posix_spawn_file_actions_adddup2(&actions, out_write.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err_write.get(), 2);
  if (!c.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, c.cwd.c_str());
  // SIGPIPE is ignored here (IgnoredSigpipe): the command gets its default back.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> argv;
  for (const std::string& a : c.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int err = posix_spawnp(&child.pid, argv[0], &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (err) {
    std::string why = fmt::format("cannot run {}{}: {}\n", c.argv[0],
                                  c.cwd.empty() ? "" : " in " + c.cwd, nl::errno_text(err));
    child.err_lines.add(why.data(), why.size());
    return false;
  }
  fcntl(in_write.get(), F_SETFL, O_NONBLOCK);
  child.in = std::move(in_write);
  child.out = std::move(out_read);
  child.err = std::move(err_read);
  return true;
}

// One turn of the loop on a ready descriptor: more of the input written, or output read.
void feed(Child& child, const std::string& input) {
  ssize_t n = ::write(child.in.get(), input.data() + child.written, input.size() - child.written);
  if (n > 0) child.written += n;
  if (child.written == input.size() || (n < 0 && errno != EAGAIN && errno != EINTR))
    child.in.reset();
}
void drain(nl::Fd& fd, PrefixedLines& lines) {
  char buffer[65536];
  ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
  if (n > 0) return lines.add(buffer, n);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  lines.finish();
  fd.reset();
}

}  // namespace

std::vector<int> run_on_hosts(const std::vector<HostCommand>& commands, const std::string& input) {
  IgnoredSigpipe ignored;
  std::vector<Child> children;
  children.reserve(commands.size());
  std::vector<int> status(commands.size(), 127);
  for (const HostCommand& c : commands) {
    Child& child =
        children.emplace_back(Child{-1, {}, {}, {}, 0, {c.host, stdout}, {c.host, stderr}});
    if (start(c, child) && input.empty()) child.in.reset();
  }
  for (;;) {
    std::vector<pollfd> fds;
    for (Child& c : children)
      for (nl::Fd* fd : {&c.in, &c.out, &c.err})
        if (fd->valid()) fds.push_back({fd->get(), short(fd == &c.in ? POLLOUT : POLLIN), 0});
    if (fds.empty()) break;
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("poll: " + nl::errno_text(errno));
    }
    for (const pollfd& p : fds) {
      if (!p.revents) continue;
      for (Child& c : children) {
        if (p.fd == c.in.get())
          feed(c, input);
        else if (p.fd == c.out.get())
          drain(c.out, c.out_lines);
        else if (p.fd == c.err.get())
          drain(c.err, c.err_lines);
      }
    }
  }
  for (size_t i = 0; i < children.size(); i++) {
    children[i].err_lines.finish();
    if (children[i].pid < 0) continue;
    int s = 0;
    while (waitpid(children[i].pid, &s, 0) < 0 && errno == EINTR) {
    }
    status[i] = WIFEXITED(s) ? WEXITSTATUS(s) : 128 + WTERMSIG(s);
  }
  return status;
}

namespace {

// The hosts whose command failed.
std::vector<std::string> failed_hosts(const std::vector<HostCommand>& commands,
                                      const std::vector<int>& status) {
  std::vector<std::string> failed;
  for (size_t i = 0; i < commands.size(); i++)
    if (status[i] != 0) failed.push_back(commands[i].host);
  return failed;
}

// Each host's command for `words`, with the file's errors said (Reported: exit 2) when there
// are any.
std::vector<HostCommand> commands_for(
    const Topology& t, const std::string& text,
    const std::function<std::vector<std::string>(const Host&)>& words, bool in_folder) {
  if (t.hosts.empty())
    throw InvalidInput(fmt::format(
        "{} has no `hosts`: --all-hosts runs the part of each host of a lab spread over "
        "several; `topo up {}` builds this one here",
        t.file, t.file == "<stdin>" ? "-" : t.file));
  Diagnostics diagnostics(t.file, text);
  std::vector<HostCommand> commands = fleet_commands(
      t, local_addresses(), FleetTools::from_environment(), words, in_folder, diagnostics);
  if (diagnostics.empty()) return commands;
  std::fputs(diagnostics.render().c_str(), stderr);
  error_outcome("{}: {} error{}; nothing was run on any host", t.file, diagnostics.size(),
                diagnostics.size() == 1 ? "" : "s");
  throw Reported{kInvalid};
}

// `topo down LAB` on every host; the hosts where it failed.
std::vector<std::string> down_everywhere(const Topology& t, const std::string& text, bool force) {
  std::vector<HostCommand> commands = commands_for(
      t, text,
      [&](const Host&) {
        std::vector<std::string> w = {"down", t.name};
        if (force) w.push_back("--force");
        return w;
      },
      false);
  return failed_hosts(commands, run_on_hosts(commands, ""));
}

std::string names(const std::vector<std::string>& hosts) {
  return fmt::format("host{} {}", hosts.size() == 1 ? "" : "s", fmt::join(hosts, ", "));
}

}  // namespace

int cmd_up_all_hosts(const UpOptions& options) {
  auto loaded = load_checked(options.file, options.name);
  if (!loaded) return kInvalid;
  const Topology& t = loaded->topology;
  std::vector<HostCommand> commands = commands_for(
      t, loaded->text,
      [&](const Host& h) {
        std::vector<std::string> w = {"up", "-", "--host", h.name};
        if (!options.name.empty()) w.insert(w.end(), {"--name", options.name});
        if (options.wait) w.push_back("--wait");
        if (options.keep_on_failure) w.push_back("--keep-on-failure");
        return w;
      },
      reads_its_folder(t).has_value());
  std::vector<std::string> failed = failed_hosts(commands, run_on_hosts(commands, loaded->text));
  std::vector<std::string> all;
  for (const Host& h : t.hosts) all.push_back(h.name);
  if (failed.empty()) {
    spdlog::info("lab {} is up on {}", t.name, names(all));
    return kOk;
  }
  spdlog::error("lab {}: up failed on {}", t.name, names(failed));
  if (options.keep_on_failure) {
    error_outcome("kept what was made (--keep-on-failure): `topo down {} --all-hosts` removes it",
                  t.name);
    return kFailed;
  }
  // A failed `up` rolled its own host back; down there too, for one that did not get to.
  spdlog::info("taking lab {} down on every host", t.name);
  std::vector<std::string> left = down_everywhere(t, loaded->text, false);
  if (left.empty()) {
    error_outcome("rolled back: lab {} is down on every host", t.name);
    return kFailed;
  }
  std::vector<std::string> down;
  for (const std::string& h : all)
    if (std::find(left.begin(), left.end(), h) == left.end()) down.push_back(h);
  error_outcome(
      "rolled back on {}; down failed on {} too (its lines above say why): `topo down "
      "{} --all-hosts` again once it can run",
      down.empty() ? "no host" : names(down), names(left), t.name);
  return kFailed;
}

int cmd_down_all_hosts(const std::string& lab_or_file, bool force) {
  std::optional<LoadResult> loaded;
  if (names_a_file(lab_or_file)) {
    loaded = load_checked(lab_or_file);
    if (!loaded) return kInvalid;
  } else {
    std::optional<std::string> lab = lab_name_of(lab_or_file);
    if (!lab) return kInvalid;
    require_privileges("down");
    std::optional<JournalState> state = read_journal(LabPaths::of(kRunDir, *lab).journal);
    if (!state || state->header.lab.empty())
      return fail(kFailed, fmt::format("lab {} is not running on this machine, which cannot tell "
                                       "its hosts: `topo down FILE --all-hosts` reads them from "
                                       "its file",
                                       *lab));
    loaded = stored_file(*lab, *state);
  }
  const Topology& t = loaded->topology;
  std::vector<std::string> failed = down_everywhere(t, loaded->text, force);
  if (!failed.empty())
    return fail(kFailed, fmt::format("lab {}: down failed on {}", t.name, names(failed)));
  std::vector<std::string> all;
  for (const Host& h : t.hosts) all.push_back(h.name);
  spdlog::info("lab {} is down on {}", t.name, names(all));
  return kOk;
}

}  // namespace topo
