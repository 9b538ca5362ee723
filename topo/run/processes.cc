#include "topo/run/processes.h"

#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

namespace topo {

namespace {

bool has_lab_env(pid_t pid, const std::string& needle) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  // Entries are NUL-terminated; a NUL in front makes the first one findable like the rest.
  std::string env = std::string(1, '\0') + s.str();
  return env.find(needle) != std::string::npos;
}

// Gone: no such process, or a zombie (which its parent, or we, will reap).
bool gone(pid_t pid) {
  int status;
  if (waitpid(pid, &status, WNOHANG) == pid) return true;  // our child, reaped now
  if (kill(pid, 0) != 0) return true;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  size_t paren = line.rfind(')');
  return paren == std::string::npos || (paren + 2 < line.size() && line[paren + 2] == 'Z');
}

// How long a SIGKILL may take to end a process.
constexpr std::chrono::seconds kKillWait{5};

// Waits until every process of `cgroups` and each of `pids` has ended, or the deadline passes;
// `pids` keeps those that have not. Whether all ended.
bool all_ended(const std::vector<cgroup::Cgroup>& cgroups, std::vector<pid_t>& pids,
               std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    pids.erase(std::remove_if(pids.begin(), pids.end(), gone), pids.end());
    if (pids.empty() || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  bool ended = pids.empty();
  for (const cgroup::Cgroup& g : cgroups) ended = g.wait_empty(deadline) && ended;
  return ended;
}

// Removes a cgroup. A command may join between the kill and the removal (`topo exec` just
// then): killed too, three times at most; throws std::runtime_error when it cannot.
void remove_killing(const cgroup::Cgroup& g) {
  for (int attempt = 0;; attempt++) {
    try {
      g.remove();
      return;
    } catch (const std::runtime_error&) {
      if (attempt == 3) throw;
    }
    g.kill();
    g.wait_empty(std::chrono::steady_clock::now() + kKillWait);
  }
}

}  // namespace

bool process_alive(pid_t pid) {
  return !gone(pid);
}

bool daemon_running(const std::string& lab, const JournalDaemon& daemon, uint64_t netns_id) {
  std::optional<cgroup::Cgroup> group = cgroup::process_cgroup(lab, daemon.node, daemon.name);
  if (group && group->exists()) return group->populated();
  pid_t pid = static_cast<pid_t>(daemon.pid);
  return pid > 0 && process_alive(pid) && (netns_id == 0 || process_netns(pid) == netns_id);
}

std::vector<pid_t> session_processes(pid_t session) {
  std::vector<pid_t> out;
  DIR* proc = opendir("/proc");
  if (!proc) return out;
  while (dirent* e = readdir(proc)) {
    pid_t pid = static_cast<pid_t>(atoi(e->d_name));
    if (pid <= 0) continue;
    std::ifstream stat(std::string("/proc/") + e->d_name + "/stat");
    std::string line;
    std::getline(stat, line);
    size_t paren = line.rfind(')');
    if (paren == std::string::npos) continue;
    // After the name: state, ppid, pgrp, session.
    std::istringstream fields(line.substr(paren + 2));
    std::string state;
    long ppid = 0, pgrp = 0, sid = 0;
    fields >> state >> ppid >> pgrp >> sid;
    if (sid == session && state != "Z") out.push_back(pid);
  }
  closedir(proc);
  return out;
}

uint64_t process_netns(pid_t pid) {
  char buf[64];
  std::string path = "/proc/" + std::to_string(pid) + "/ns/net";
  ssize_t n = readlink(path.c_str(), buf, sizeof buf - 1);
  if (n <= 0) return 0;
  buf[n] = '\0';
  // "net:[4026531840]"
  const char* open = strchr(buf, '[');
  return open ? strtoull(open + 1, nullptr, 10) : 0;
}

std::vector<pid_t> lab_processes(const std::string& lab, const std::set<uint64_t>& netns_ids,
                                 const std::vector<pid_t>& journaled) {
  std::vector<pid_t> found;
  if (netns_ids.empty()) return found;
  std::string needle = std::string(1, '\0') + "TOPO_LAB=" + lab + std::string(1, '\0');
  DIR* proc = opendir("/proc");
  if (!proc) return found;
  pid_t self = getpid();
  while (dirent* e = readdir(proc)) {
    char* end = nullptr;
    long pid = strtol(e->d_name, &end, 10);
    if (*end != '\0' || pid <= 0 || pid == self) continue;
    if (!netns_ids.count(process_netns(pid))) continue;
    bool ours = std::find(journaled.begin(), journaled.end(), pid) != journaled.end();
    if (ours || has_lab_env(pid, needle)) found.push_back(pid);
  }
  closedir(proc);
  return found;
}

std::vector<cgroup::Cgroup> existing(const std::vector<std::optional<cgroup::Cgroup>>& cgroups) {
  std::vector<cgroup::Cgroup> out;
  for (const std::optional<cgroup::Cgroup>& g : cgroups)
    if (g && g->exists()) out.push_back(*g);
  return out;
}

std::vector<std::string> stop_processes(const std::vector<cgroup::Cgroup>& cgroups,
                                        std::vector<pid_t> pids, std::chrono::milliseconds grace) {
  // A paused node's processes cannot see SIGTERM until thawed: killed at once.
  for (const cgroup::Cgroup& g : cgroups) g.kill_frozen();
  for (const cgroup::Cgroup& g : cgroups) {
    std::vector<pid_t> inside = g.processes();
    for (pid_t pid : inside) {
      if (pid == getpid())
        g.leave();
      else
        kill(pid, SIGTERM);
      // The cgroup is waited for as a whole, not each of its processes.
      pids.erase(std::remove(pids.begin(), pids.end(), pid), pids.end());
    }
  }
  for (pid_t pid : pids) kill(pid, SIGTERM);
  if (!all_ended(cgroups, pids, std::chrono::steady_clock::now() + grace)) {
    for (const cgroup::Cgroup& g : cgroups) g.kill();
    for (pid_t pid : pids) kill(pid, SIGKILL);
    all_ended(cgroups, pids, std::chrono::steady_clock::now() + kKillWait);
  }
  std::vector<std::string> failures;
  for (pid_t pid : pids) failures.push_back(fmt::format("process {} survived SIGKILL", pid));
  for (const cgroup::Cgroup& g : cgroups) {
    try {
      remove_killing(g);
    } catch (const std::runtime_error& e) {
      std::vector<pid_t> left = g.processes();
      failures.push_back(left.empty() ? e.what()
                                      : fmt::format("processes {} of cgroup {} survived SIGKILL",
                                                    fmt::join(left, ", "), g.path));
    }
  }
  return failures;
}

}  // namespace topo
