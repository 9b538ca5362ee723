#include "topo/run/node_setup.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <map>
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
#include "topo/model/units.h"

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
                      const std::string& content, mode_t mode, uid_t uid = 0, gid_t gid = 0) {
  if (int err = replace_file(dir, name, content, mode, uid, gid))
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

namespace {

struct Owner {
  uid_t uid = 0;
  gid_t gid = 0;
};

// "user" (and the user's group) or "user:group"; root for "". The file was checked when it was
// read, but the user may have gone since.
Owner owner_of(const std::string& owner) {
  if (owner.empty()) return {};
  size_t colon = owner.find(':');
  std::string user = owner.substr(0, colon);
  const passwd* pw = getpwnam(user.c_str());
  if (!pw) throw std::runtime_error(fmt::format("there is no user `{}` on this machine", user));
  Owner o{pw->pw_uid, pw->pw_gid};
  if (colon != std::string::npos) {
    std::string group = owner.substr(colon + 1);
    const struct group* gr = getgrnam(group.c_str());
    if (!gr) throw std::runtime_error(fmt::format("there is no group `{}` on this machine", group));
    o.gid = gr->gr_gid;
  }
  return o;
}

std::vector<std::string> components(const std::string& rel) {
  std::vector<std::string> out;
  std::istringstream in(rel);
  for (std::string part; std::getline(in, part, '/');)
    if (!part.empty()) out.push_back(part);
  return out;
}

// The directory `rel` below `root` (each step beneath the last, never through a symlink), made
// where missing when `make` (0755, and from depth `owned_from` on owned by `owner`).
nl::Fd walk(int root, const std::string& root_path, const std::string& rel, bool make,
            size_t owned_from = SIZE_MAX, Owner owner = {}) {
  nl::Fd dir(fcntl(root, F_DUPFD_CLOEXEC, 0));
  std::string path = root_path;
  std::vector<std::string> parts = components(rel);
  for (size_t i = 0; i < parts.size(); i++) {
    path += "/" + parts[i];
    nl::Fd next = make ? make_dir_beneath(dir.get(), parts[i], 0755)
                       : open_beneath(dir.get(), parts[i], O_RDONLY | O_DIRECTORY);
    if (!next.valid()) {
      if (!make && errno == ENOENT) return next;
      nl::throw_errno("", path, make ? "create directory" : "open directory", errno);
    }
    if (make && i >= owned_from && fchown(next.get(), owner.uid, owner.gid) != 0)
      nl::throw_errno("", path, "change owner", errno);
    dir = std::move(next);
  }
  return dir;
}

const BuiltMount* holder(const std::vector<BuiltMount>& mounts, const std::string& path) {
  const BuiltMount* best = nullptr;
  for (const BuiltMount& m : mounts)
    if (m.is_private_dir() && path.compare(0, m.target.size(), m.target) == 0 &&
        (path.size() == m.target.size() || path[m.target.size()] == '/') &&
        (!best || m.target.size() > best->target.size()))
      best = &m;
  return best;
}

// The directory holding a file of the node and the file's name in it: $TOPO_NODE_DIR for a
// plain name, the node's private directories for an absolute one.
struct FilePlace {
  nl::Fd dir;
  std::string dir_path, name;
};

FilePlace file_place(const LabDirs& dirs, const std::string& node, const std::string& name,
                     bool make, const std::vector<BuiltMount>& mounts = {}) {
  size_t slash = name.rfind('/');
  if (slash == std::string::npos) {
    std::string path = dirs.node_dir(node);
    return {make ? make_node_dir(path) : open_dir(path), path, name};
  }
  std::string root_path = dirs.mounts_dir(node);
  nl::Fd root = open_dir(root_path);
  if (!root.valid()) {
    if (!make && errno == ENOENT) return {};
    nl::throw_errno("", root_path, "open directory", errno);
  }
  std::string parent = name.substr(0, slash);
  const BuiltMount* m = make ? holder(mounts, name) : nullptr;
  size_t owned_from = m ? components(m->target).size() : SIZE_MAX;
  Owner owner = m ? owner_of(m->owner) : Owner{};
  return {walk(root.get(), root_path, parent, make, owned_from, owner), root_path + parent,
          name.substr(slash + 1)};
}

bool exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

// Mount points missing on the host are made, and written down in the lab's mountpoints file
// first; the file's readers and writers hold /run/topo (flock) meanwhile.
class MountpointLock {
 public:
  MountpointLock() : dir_(open_dir(kRunDir)) {
    if (!dir_.valid()) nl::throw_errno("", kRunDir, "open directory", errno);
    while (flock(dir_.get(), LOCK_EX) != 0)
      if (errno != EINTR) nl::throw_errno("", kRunDir, "lock", errno);
  }

 private:
  nl::Fd dir_;
};

std::vector<std::string> read_json_strings(const std::string& path) {
  nlohmann::json j = nlohmann::json::parse(read_file(path).value_or(""), nullptr, false);
  std::vector<std::string> out;
  if (j.is_array())
    for (const auto& s : j)
      if (s.is_string()) out.push_back(s.get<std::string>());
  return out;
}

void write_json(const std::string& path, const nlohmann::json& j) {
  std::string dir = path.substr(0, path.rfind('/'));
  nl::Fd fd = open_dir_or_throw(dir);
  replace_or_throw(fd.get(), dir, path.substr(path.rfind('/') + 1), j.dump(), 0600);
}

void make_mountpoints(const LabDirs& dirs, const std::vector<BuiltMount>& mounts) {
  std::vector<std::string> made = read_json_strings(dirs.mountpoints_file());
  for (const BuiltMount& m : mounts) {
    if (!m.file.empty() || exists(m.target)) continue;
    std::vector<std::string> missing;
    for (std::string p = m.target; !p.empty() && !exists(p); p = p.substr(0, p.rfind('/')))
      missing.insert(missing.begin(), p);
    made.insert(made.end(), missing.begin(), missing.end());
    write_json(dirs.mountpoints_file(), made);
    for (const std::string& p : missing)
      if (mkdir(p.c_str(), 0755) != 0 && errno != EEXIST)
        nl::throw_errno("", p, "create mount point", errno);
  }
}

}  // namespace

void prepare_node(const LabDirs& dirs, const std::string& node, const std::vector<BuiltFile>& files,
                  const std::vector<BuiltMount>& mounts,
                  const std::vector<std::pair<std::string, std::string>>& env) {
  std::string dir_path = dirs.node_dir(node);
  make_node_dir(dir_path);
  bool private_dirs = false;
  for (const BuiltMount& m : mounts) private_dirs = private_dirs || m.is_private_dir();
  if (private_dirs) {
    nl::Fd run = open_dir_or_throw(dirs.run_dir);
    nl::Fd all = make_dir_or_throw(run.get(), dirs.run_dir, "mounts", 0755);
    nl::Fd root = make_dir_or_throw(all.get(), dirs.run_dir + "/mounts", node, 0755);
    for (const BuiltMount& m : mounts)
      if (m.is_private_dir())
        walk(root.get(), dirs.mounts_dir(node), m.target, true, components(m.target).size() - 1,
             owner_of(m.owner));
  }
  for (const BuiltFile& f : files) {
    FilePlace place = file_place(dirs, node, f.name, true, mounts);
    const BuiltMount* m = f.name[0] == '/' ? holder(mounts, f.name) : nullptr;
    Owner o = m ? owner_of(m->owner) : Owner{};
    replace_or_throw(place.dir.get(), place.dir_path, place.name, f.content,
                     f.executable ? 0755 : 0644, o.uid, o.gid);
  }
  if (!mounts.empty()) {
    MountpointLock lock;
    make_mountpoints(dirs, mounts);
    nlohmann::json j = nlohmann::json::array();
    for (const BuiltMount& m : mounts)
      j.push_back({{"source", !m.bind.empty()   ? m.bind
                              : !m.file.empty() ? dir_path + "/" + m.file
                                                : dirs.mounts_dir(node) + m.target},
                   {"target", m.target},
                   {"readonly", m.read_only}});
    write_json(dirs.mounts_file(node), j);
  } else if (unlink(dirs.mounts_file(node).c_str()) != 0 && errno != ENOENT) {
    nl::throw_errno("", dirs.mounts_file(node), "remove", errno);
  }
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

std::optional<std::string> read_node_file(const LabDirs& dirs, const std::string& node,
                                          const std::string& name) {
  FilePlace place = file_place(dirs, node, name, false);
  if (!place.dir.valid()) return std::nullopt;
  return read_file_beneath(place.dir.get(), place.name);
}

bool node_file_executable(const LabDirs& dirs, const std::string& node, const std::string& name) {
  FilePlace place = file_place(dirs, node, name, false);
  struct stat st;
  return place.dir.valid() &&
         fstatat(place.dir.get(), place.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
         (st.st_mode & S_IXUSR);
}

void remove_node_file(const LabDirs& dirs, const std::string& node, const std::string& name) {
  FilePlace place = file_place(dirs, node, name, false);
  if (place.dir.valid() && unlinkat(place.dir.get(), place.name.c_str(), 0) != 0 && errno != ENOENT)
    nl::throw_errno("", place.dir_path + "/" + place.name, "remove", errno);
}

std::vector<std::string> remove_mountpoints(const LabDirs& dirs) {
  if (!exists(dirs.state_dir())) return {};
  MountpointLock lock;
  // This lab mounts nothing from now on: no other lab hands it a mount point after this.
  if (nl::Fd state = open_dir(dirs.state_dir()); state.valid())
    for (const std::string& f : dir_entries(state.get()))
      if (f.rfind("mounts.", 0) == 0) unlinkat(state.get(), f.c_str(), 0);
  std::vector<std::string> made = read_json_strings(dirs.mountpoints_file());
  if (made.empty()) return {};
  // Another running lab that mounts over one (or below it) takes it over.
  std::map<std::string, std::string> users;  // mount point -> the mountpoints file of a user
  nl::Fd run = open_dir(kRunDir);
  for (const std::string& lab : run.valid() ? dir_entries(run.get()) : std::vector<std::string>{}) {
    if (lab == dirs.lab) continue;
    LabDirs other = LabDirs::of(lab, "/");
    nl::Fd state = open_dir(other.state_dir());
    for (const std::string& f :
         state.valid() ? dir_entries(state.get()) : std::vector<std::string>{}) {
      if (f.rfind("mounts.", 0) != 0) continue;
      nlohmann::json j = nlohmann::json::parse(read_file(other.state_dir() + "/" + f).value_or(""),
                                               nullptr, false);
      if (!j.is_array()) continue;
      for (const auto& m : j)
        if (m.is_object() && m.value("target", "").size())
          for (const std::string& p : made) {
            std::string target = m.value("target", "");
            if (target == p || target.rfind(p + "/", 0) == 0) users[p] = other.mountpoints_file();
          }
    }
  }
  std::vector<std::string> failures;
  for (auto p = made.rbegin(); p != made.rend(); ++p) {
    if (auto user = users.find(*p); user != users.end()) {
      std::vector<std::string> theirs = read_json_strings(user->second);
      if (std::find(theirs.begin(), theirs.end(), *p) == theirs.end()) {
        theirs.insert(theirs.begin(), *p);  // parents first: removed after what they hold
        std::sort(theirs.begin(), theirs.end());
        try {
          write_json(user->second, theirs);
        } catch (const std::exception& e) {
          failures.push_back(e.what());
        }
      }
      continue;
    }
    // Not empty (something of the host's own is there now), or mounted on: left, and said.
    if (rmdir(p->c_str()) != 0 && errno != ENOENT)
      spdlog::warn("left mount point {} on the host: {}", *p, strerror(errno));
  }
  return failures;
}

namespace {

// Where a path the node's commands see is on the host: below the source of the mount that
// covers it (the deepest), or the path itself.
std::string host_path(const LabDirs& dirs, const std::string& node, const std::string& path) {
  nlohmann::json j =
      nlohmann::json::parse(read_file(dirs.mounts_file(node)).value_or(""), nullptr, false);
  std::string best_target, best_source;
  if (j.is_array())
    for (const auto& m : j) {
      if (!m.is_object()) continue;
      std::string target = m.value("target", ""), source = m.value("source", "");
      bool covers = !target.empty() && path.compare(0, target.size(), target) == 0 &&
                    (path.size() == target.size() || path[target.size()] == '/');
      if (covers && target.size() > best_target.size()) best_target = target, best_source = source;
    }
  return best_target.empty() ? path : best_source + path.substr(best_target.size());
}

// Whether a Unix socket at `path` accepts a connection. Through its directory's descriptor: a
// socket's path may be longer than sockaddr_un holds.
bool socket_accepts(const std::string& path) {
  size_t slash = path.rfind('/');
  nl::Fd dir(::open(path.substr(0, slash + 1).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid()) return false;
  std::string via = fmt::format("/proc/self/fd/{}/{}", dir.get(), path.substr(slash + 1));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (via.size() >= sizeof addr.sun_path) return false;
  memcpy(addr.sun_path, via.data(), via.size());
  nl::Fd sock(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  return sock.valid() && connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

}  // namespace

void wait_before_start(const LabDirs& dirs, const NodeContext& node, const std::string& daemon,
                       const std::string& socket, const std::string& exec, uint64_t timeout_us) {
  if (socket.empty() && exec.empty()) return;
  auto start = std::chrono::steady_clock::now();
  auto deadline = start + std::chrono::microseconds(timeout_us);
  std::string on_host = socket.empty() ? "" : host_path(dirs, node.node, socket);
  std::string last;
  for (;;) {
    if (!socket.empty() && socket_accepts(on_host)) return;
    if (!exec.empty()) {
      Captured c = run_captured(node, {"/bin/sh", "-c", exec}, deadline);
      if (c.status == 0 && !c.timed_out) return;
      last =
          c.timed_out ? "it was still running" : fmt::format("it exited with status {}", c.status);
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(socket.empty() ? 100 : 10));
  }
  throw std::runtime_error(
      socket.empty()
          ? fmt::format("daemon {} on node {} was not started: `{}` did not succeed within {} "
                        "(its `wait`; the last time {})",
                        daemon, node.node, exec, duration_text(timeout_us), last)
          : fmt::format("daemon {} on node {} was not started: nothing accepted a connection on "
                        "{} within {} (its `wait`)",
                        daemon, node.node, socket, duration_text(timeout_us)));
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
