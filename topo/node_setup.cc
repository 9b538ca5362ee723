#include "topo/node_setup.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <deque>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "netlink/error.h"
#include "netlink/fd.h"
#include "topo/entry.h"

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

void ensure_node_dir(const std::string& node_dir) {
  if (std::string why = make_node_dir(node_dir); !why.empty()) throw std::runtime_error(why);
}

void write_file(const std::string& path, const std::string& content, mode_t mode) {
  nl::Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd.valid()) nl::throw_errno("", path, "write", errno);
  fchmod(fd.get(), mode);
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) nl::throw_errno("", path, "write", errno);
    done += n;
  }
}

nl::Fd open_append(const std::string& path) {
  nl::Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!fd.valid()) nl::throw_errno("", path, "open", errno);
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
  make_dir(dirs.etc_dir(), 0755);
  write_file(dirs.etc_dir() + "/hosts", content, 0644);
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
  std::string dir = dirs.node_dir(node);
  ensure_node_dir(dir);
  for (const NodeFile& f : files) write_file(dir + "/" + f.name, f.content, 0644);
  if (!env.empty()) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& [k, v] : env) j.push_back({k, v});
    write_file(dirs.env_file(node), j.dump(), 0600);
  } else if (unlink(dirs.env_file(node).c_str()) != 0 && errno != ENOENT) {
    nl::throw_errno("", dirs.env_file(node), "remove", errno);
  }
}

std::string tail_of_file(const std::string& path, size_t lines) {
  std::ifstream in(path);
  std::deque<std::string> last;
  for (std::string line; std::getline(in, line);) {
    last.push_back(line);
    if (last.size() > lines) last.pop_front();
  }
  std::string out;
  for (const std::string& l : last) out += l + "\n";
  return out;
}

void run_exec(const NodeContext& node, const std::string& cmd) {
  ensure_node_dir(node.node_dir);
  nl::Fd log = open_append(node.node_dir + "/exec.log");
  std::string header = fmt::format("$ {}\n", cmd);
  if (::write(log.get(), header.data(), header.size()) < 0)
    nl::throw_errno("", node.node_dir + "/exec.log", "write", errno);
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
                  node.node, cmd, status, node.node_dir + "/exec.log", indent(tail)));
}

Daemon start_daemon(const NodeContext& node, const std::string& name, const std::string& cmd) {
  ensure_node_dir(node.node_dir);
  std::string log_path = node.node_dir + "/" + name + ".log";
  nl::Fd log = open_append(log_path);
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
