#include "topo/run/node_setup.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <deque>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "netlink/error.h"
#include "topo/entry/entry.h"
#include "topo/entry/safe_fs.h"
#include "topo/model/fd.h"

namespace topo {

namespace {

constexpr const char* kEtcNetns = "/etc/netns";

void make_dir(const std::string& path, mode_t mode) {
  if (mkdir(path.c_str(), mode) == 0) {
    chmod(path.c_str(), mode);  // whatever the umask said
    return;
  }
  if (errno != EEXIST) nl::throw_errno("", path, "create directory", errno);
}

nl::Fd open_dir_or_throw(const std::string& path) {
  nl::Fd dir = open_dir(path);
  if (!dir.valid()) nl::throw_errno("", path, "open directory", errno);
  return dir;
}

nl::Fd make_dir_or_throw(int parent, const std::string& parent_path, const std::string& name,
                         mode_t mode) {
  nl::Fd dir = make_dir_beneath(parent, name, mode);
  if (!dir.valid()) nl::throw_errno("", parent_path + "/" + name, "create directory", errno);
  return dir;
}

void replace_or_throw(int dir, const std::string& dir_path, const std::string& name,
                      const std::string& content, mode_t mode) {
  if (int err = replace_file(dir, name, content, mode))
    nl::throw_errno("", dir_path + "/" + name, "write", err);
}

// The node's log directory (root's: log/ and log/<node>, 0755) and `name` in it, to append to.
nl::Fd open_log(const LabDirs& dirs, const std::string& node, const std::string& name) {
  nl::Fd run = open_dir_or_throw(dirs.run_dir);
  nl::Fd logs = make_dir_or_throw(run.get(), dirs.run_dir, "log", 0755);
  nl::Fd dir = make_dir_or_throw(logs.get(), dirs.run_dir + "/log", node, 0755);
  nl::Fd fd = open_beneath(dir.get(), name, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (!fd.valid()) nl::throw_errno("", dirs.log_dir(node) + "/" + name, "open", errno);
  return fd;
}

nl::Fd open_null() {
  nl::Fd fd(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!fd.valid()) nl::throw_errno("", "/dev/null", "open", errno);
  return fd;
}

std::string indent(const std::string& text) {
  std::string out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out += "    " + line + "\n";
  return out.empty() ? "    (no output)\n" : out;
}

}  // namespace

void write_hosts(const LabDirs& dirs, const std::string& content) {
  nl::Fd run = open_dir_or_throw(dirs.run_dir);
  nl::Fd etc = make_dir_or_throw(run.get(), dirs.run_dir, "etc", 0755);
  // In place, not replaced: what `ip netns exec` and topo bound over /etc/hosts is this inode.
  std::string path = dirs.etc_dir() + "/hosts";
  nl::Fd fd = open_beneath(etc.get(), "hosts", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (!fd.valid() || fchmod(fd.get(), 0644) != 0) nl::throw_errno("", path, "write", errno);
  for (size_t done = 0; done < content.size();) {
    ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) nl::throw_errno("", path, "write", errno);
    done += static_cast<size_t>(n);
  }
}

bool etc_link_is_labs(const LabDirs& dirs, const std::string& netns) {
  std::string link = std::string(kEtcNetns) + "/" + netns;
  char target[4096];
  ssize_t n = readlink(link.c_str(), target, sizeof target - 1);
  return n >= 0 && std::string(target, n) == dirs.etc_dir();
}

void link_etc(const LabDirs& dirs, const std::string& netns) {
  std::string link = std::string(kEtcNetns) + "/" + netns;
  if (symlink(dirs.etc_dir().c_str(), link.c_str()) == 0) return;
  int err = errno;
  // Only the first link of a machine without /etc/netns makes it (not a mkdir per node).
  if (err == ENOENT) {
    make_dir(kEtcNetns, 0755);
    if (symlink(dirs.etc_dir().c_str(), link.c_str()) == 0) return;
    err = errno;
  }
  // Left by an `up` that was killed, or kept when the node's namespace was lost: already right.
  if (err == EEXIST && etc_link_is_labs(dirs, netns)) return;
  nl::throw_errno(netns, link, "link to the lab's hosts", err);
}

Unlinked unlink_etc(const LabDirs& dirs, const std::string& netns) {
  std::string link = std::string(kEtcNetns) + "/" + netns;
  struct stat st;
  if (lstat(link.c_str(), &st) != 0 && errno == ENOENT) return Unlinked::absent;
  if (!etc_link_is_labs(dirs, netns)) return Unlinked::not_ours;
  if (unlink(link.c_str()) != 0 && errno != ENOENT) nl::throw_errno(netns, link, "remove", errno);
  return Unlinked::yes;
}

void prepare_node(const LabDirs& dirs, const std::string& node, const std::vector<NodeFile>& files,
                  const std::vector<std::pair<std::string, std::string>>& env) {
  std::string dir_path = dirs.node_dir(node);
  nl::Fd dir = make_node_dir(dir_path);
  for (const NodeFile& f : files) replace_or_throw(dir.get(), dir_path, f.name, f.content, 0644);
  nl::Fd state = open_dir_or_throw(dirs.state_dir());
  std::string env_name = "env." + node;
  if (!env.empty()) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& [k, v] : env) j.push_back({k, v});
    replace_or_throw(state.get(), dirs.state_dir(), env_name, j.dump(), 0600);
  } else if (unlinkat(state.get(), env_name.c_str(), 0) != 0 && errno != ENOENT) {
    nl::throw_errno("", dirs.env_file(node), "remove", errno);
  }
}

std::string tail_of_file(const std::string& path, size_t lines) {
  std::istringstream in(read_file(path).value_or(""));
  std::deque<std::string> last;
  for (std::string line; std::getline(in, line);) {
    last.push_back(line);
    if (last.size() > lines) last.pop_front();
  }
  std::string out;
  for (const std::string& l : last) out += l + "\n";
  return out;
}

void run_exec(const LabDirs& dirs, const NodeContext& node, const std::string& cmd) {
  std::string log_path = dirs.log_dir(node.node) + "/exec.log";
  nl::Fd log = open_log(dirs, node.node, "exec.log");
  std::string header = fmt::format("$ {}\n", cmd);
  if (::write(log.get(), header.data(), header.size()) < 0)
    nl::throw_errno("", log_path, "write", errno);
  nl::Fd null = open_null();
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) nl::throw_errno("", "pipe", "create", errno);
  nl::Fd out(p[0]), in(p[1]);
  pid_t pid = spawn_in_node(node, {{"/bin/sh", "-c", cmd}, null.get(), in.get(), in.get()});
  in.reset();
  fcntl(out.get(), F_SETFL, O_NONBLOCK);
  // Read until the shell exits, not until end of file: a command it left running in the
  // background keeps the pipe open.
  std::deque<std::string> last;
  std::string partial;
  int status = -1;
  auto drain = [&] {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(out.get(), buf, sizeof buf)) > 0) {
      ssize_t ignored = ::write(log.get(), buf, n);
      (void)ignored;
      partial.append(buf, n);
      for (size_t nl; (nl = partial.find('\n')) != std::string::npos; partial.erase(0, nl + 1)) {
        spdlog::debug("{}| {}", node.node, partial.substr(0, nl));
        last.push_back(partial.substr(0, nl));
        if (last.size() > 10) last.pop_front();
      }
    }
  };
  while (status < 0) {
    pollfd pfd{out.get(), POLLIN, 0};
    poll(&pfd, 1, 50);
    drain();
    int raw;
    pid_t r = waitpid(pid, &raw, WNOHANG);
    if (r == pid) status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
    if (r < 0 && errno != EINTR) status = 127;
  }
  drain();
  if (!partial.empty()) last.push_back(partial);
  if (status == 0) return;
  std::string tail;
  for (const std::string& l : last) tail += l + "\n";
  throw std::runtime_error(
      fmt::format("exec on node {} failed: `{}` exited with status {}; the "
                  "last lines of its output ({}):\n{}",
                  node.node, cmd, status, log_path, indent(tail)));
}

Daemon start_daemon(const LabDirs& dirs, const NodeContext& node, const std::string& name,
                    const std::string& cmd) {
  std::string log_path = dirs.log_dir(node.node) + "/" + name + ".log";
  nl::Fd log = open_log(dirs, node.node, name + ".log");
  nl::Fd null = open_null();
  // Not "exec CMD": CMD may be a list ("trap '' TERM; sleep 9"). The shell and what it starts
  // share the session; down stops them all.
  pid_t pid = spawn_in_node(node, {{"/bin/sh", "-c", cmd},
                                   null.get(),
                                   log.get(),
                                   log.get(),
                                   /*new_session=*/true,
                                   name});
  return {node.node,
          name,
          log_path,
          pid,
          std::chrono::steady_clock::now(),
          cgroup::process_cgroup(node.lab, node.node, name)};
}

void watch_daemons(std::vector<Daemon>& daemons, std::chrono::milliseconds grace) {
  for (;;) {
    auto now = std::chrono::steady_clock::now();
    bool waiting = false;
    for (Daemon& d : daemons) {
      int raw;
      std::optional<int> status;
      if (!d.in_background && waitpid(d.pid, &raw, WNOHANG) == d.pid) {
        status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
        d.in_background = *status == 0 && d.cgroup && d.cgroup->populated();
      }
      if ((status && !d.in_background) || (d.in_background && !d.cgroup->populated()))
        throw std::runtime_error(fmt::format(
            "daemon {} on node {} {} within {} ms of its start; the end of its log ({}):\n{}",
            d.name, d.node,
            status ? fmt::format("exited with status {}", *status)
                   : "went to the background, and its processes exited",
            grace.count(), d.log, indent(tail_of_file(d.log, 10))));
      waiting = waiting || now - d.started < grace;
    }
    if (!waiting) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace topo
