#include "topo/entry/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace topo::cgroup {

namespace {

constexpr const char* kTopoDir = "/topo";

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool write_text(const std::string& path, const std::string& text) {
  nl::Fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  return fd.valid() && ::write(fd.get(), text.data(), text.size()) == ssize_t(text.size());
}

// The subdirectories of a cgroup: its child cgroups.
std::vector<std::string> children(const std::string& path) {
  std::vector<std::string> out;
  DIR* d = opendir(path.c_str());
  if (!d) return out;
  while (dirent* e = readdir(d))
    if (e->d_type == DT_DIR && strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
      out.push_back(path + "/" + e->d_name);
  closedir(d);
  return out;
}

// A cgroup.events line: "populated 1", "frozen 0".
bool event_is_set(const std::string& events, const std::string& key) {
  return ("\n" + events).find("\n" + key + " 1") != std::string::npos;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(const std::string& field) {
  std::string out;
  for (size_t i = 0; i < field.size(); i++) {
    bool octal = field[i] == '\\' && i + 3 < field.size() &&
                 std::all_of(field.begin() + i + 1, field.begin() + i + 4,
                             [](char c) { return c >= '0' && c <= '7'; });
    if (octal) {
      out += static_cast<char>(std::stoi(field.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      out += field[i];
    }
  }
  return out;
}

bool has_option(const std::string& options, const std::string& option) {
  return ("," + options + ",").find("," + option + ",") != std::string::npos;
}

std::optional<Hierarchy> find_hierarchy() {
  for (const char* mount : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"}) {
    struct statfs fs;
    if (statfs(mount, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC) return Hierarchy{mount, true};
  }
  return hierarchy_in_mountinfo(read_text("/proc/self/mountinfo"));
}

void pause_briefly() {
  poll(nullptr, 0, 2);
}

}  // namespace

std::optional<Hierarchy> hierarchy_in_mountinfo(const std::string& mountinfo) {
  std::optional<Hierarchy> freezer;
  std::istringstream lines(mountinfo);
  for (std::string line; std::getline(lines, line);) {
    // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS
    size_t dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream before(line.substr(0, dash)), after(line.substr(dash + 3));
    std::string id, parent, device, root, mount, fstype, source, options;
    before >> id >> parent >> device >> root >> mount;
    after >> fstype >> source >> options;
    if (fstype == "cgroup2") return Hierarchy{unescape(mount), true};
    if (fstype == "cgroup" && !freezer && has_option(options, "freezer"))
      freezer = Hierarchy{unescape(mount), false};
  }
  return freezer;
}

const std::optional<Hierarchy>& hierarchy() {
  static const std::optional<Hierarchy> found = find_hierarchy();
  return found;
}

bool Cgroup::exists() const {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool Cgroup::populated() const {
  if (!hierarchy.v2) return !processes().empty();
  return event_is_set(read_text(path + "/cgroup.events"), "populated");
}

std::vector<pid_t> Cgroup::processes() const {
  std::vector<pid_t> pids;
  std::istringstream in(read_text(path + "/cgroup.procs"));
  for (pid_t pid; in >> pid;) pids.push_back(pid);
  for (const std::string& dir : children(path)) {
    std::vector<pid_t> below = Cgroup{hierarchy, dir}.processes();
    pids.insert(pids.end(), below.begin(), below.end());
  }
  return pids;
}

void Cgroup::signal(int signal) const {
  for (pid_t pid : processes()) ::kill(pid, signal);
}

void Cgroup::kill() const {
  if (hierarchy.v2 && write_text(path + "/cgroup.kill", "1")) return;
  // Frozen, nothing forks between reading the list and the signal; a frozen process dies when it
  // is thawed.
  bool was_frozen = frozen();
  try {
    freeze(std::chrono::seconds(1));
  } catch (const std::runtime_error&) {
    // Signalled all the same: a process forked meanwhile may escape.
  }
  signal(SIGKILL);
  if (!was_frozen) thaw();
}

namespace {

// The file a cgroup's freezer is asked through, and the values that freeze and thaw.
struct Freezer {
  std::string file, freeze, thaw;
};
Freezer freezer_of(const Hierarchy& h) {
  return h.v2 ? Freezer{"/cgroup.freeze", "1", "0"} : Freezer{"/freezer.state", "FROZEN", "THAWED"};
}

}  // namespace

bool Cgroup::freeze(std::chrono::milliseconds limit) const {
  Freezer f = freezer_of(hierarchy);
  if (!write_text(path + f.file, f.freeze))
    throw std::runtime_error("cannot freeze cgroup " + path + ": " + strerror(errno));
  // v1 reads FREEZING until every process has stopped; v2 says so in cgroup.events.
  auto done = [&] {
    return hierarchy.v2 ? event_is_set(read_text(path + "/cgroup.events"), "frozen")
                        : read_text(path + f.file).rfind("FROZEN", 0) == 0;
  };
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) pause_briefly();
  return done();
}

void Cgroup::thaw() const {
  Freezer f = freezer_of(hierarchy);
  write_text(path + f.file, f.thaw);
}

bool Cgroup::frozen() const {
  if (hierarchy.v2) return read_text(path + "/cgroup.freeze").rfind("1", 0) == 0;
  // v1: freezer.state is also FROZEN under a frozen parent; self_freezing is its own.
  return read_text(path + "/freezer.self_freezing").rfind("1", 0) == 0;
}

void Cgroup::kill_frozen() const {
  if (frozen()) {
    signal(SIGKILL);
    thaw();
    return;
  }
  for (const std::string& dir : children(path)) Cgroup{hierarchy, dir}.kill_frozen();
}

bool Cgroup::wait_empty(std::chrono::steady_clock::time_point deadline) const {
  if (!hierarchy.v2) {
    while (populated() && std::chrono::steady_clock::now() < deadline) pause_briefly();
    return !populated();
  }
  nl::Fd events(::open((path + "/cgroup.events").c_str(), O_RDONLY | O_CLOEXEC));
  if (!events.valid()) return !exists();
  for (;;) {
    char buf[256];
    ssize_t n = pread(events.get(), buf, sizeof buf - 1, 0);
    if (n < 0) return false;
    if (!event_is_set(std::string(buf, n), "populated")) return true;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    // The kernel signals a change of cgroup.events with POLLPRI; the timeout only bounds a wait.
    pollfd p{events.get(), POLLPRI, 0};
    poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 100)));
  }
}

void Cgroup::remove() const {
  for (const std::string& dir : children(path)) Cgroup{hierarchy, dir}.remove();
  if (rmdir(path.c_str()) != 0 && errno != ENOENT)
    throw std::runtime_error("cannot remove cgroup " + path + ": " + strerror(errno));
}

void Cgroup::open_placement(Placement& placement) const {
  std::string file = path + "/cgroup.procs";
  int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    // Each directory from the hierarchy's mount down; only root can write there.
    for (size_t at = hierarchy.mount.size() + 1; at <= path.size(); at++) {
      if (at < path.size() && path[at] != '/') continue;
      std::string dir = path.substr(0, at);
      if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
        throw std::runtime_error("cannot create cgroup " + dir + ": " + strerror(errno));
    }
    fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
  }
  if (fd < 0) throw std::runtime_error("cannot open " + file + ": " + strerror(errno));
  placement.procs.reset(fd);
  if (hierarchy.v2) {
    placement.dir.reset(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!placement.dir.valid())
      throw std::runtime_error("cannot open cgroup " + path + ": " + strerror(errno));
  }
}

void Cgroup::leave() const {
  write_text(hierarchy.mount + kTopoDir + "/cgroup.procs", "0");
}

std::optional<Cgroup> lab_cgroup(const std::string& lab) {
  const std::optional<Hierarchy>& h = hierarchy();
  if (!h) return std::nullopt;
  return Cgroup{*h, h->mount + kTopoDir + "/lab-" + lab};
}

std::optional<Cgroup> node_cgroup(const std::string& lab, const std::string& node) {
  std::optional<Cgroup> l = lab_cgroup(lab);
  if (!l) return std::nullopt;
  return l->child("node-" + node);
}

std::optional<Cgroup> process_cgroup(const std::string& lab, const std::string& node,
                                     const std::string& daemon) {
  std::optional<Cgroup> n = node_cgroup(lab, node);
  if (!n) return std::nullopt;
  return n->child(daemon.empty() ? "commands" : "daemon-" + daemon);
}

pid_t fork_into(const Placement& into, bool& joined) {
  joined = true;
  if (into.dir.valid()) {
    clone_args args{};
    args.flags = CLONE_INTO_CGROUP;
    args.exit_signal = SIGCHLD;
    args.cgroup = static_cast<uint64_t>(into.dir.get());
    long pid = syscall(SYS_clone3, &args, sizeof args);
    if (pid >= 0) return static_cast<pid_t>(pid);
    // Where clone3 cannot (ENOSYS: an old kernel, or a seccomp filter that hides it), the child
    // moves itself.
  }
  pid_t pid = fork();
  if (pid == 0 && into.procs.valid()) joined = join(into.procs.get());
  return pid;
}

bool join(int procs) {
  return ::write(procs, "0", 1) == 1;
}

}  // namespace topo::cgroup
