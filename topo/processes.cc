#include "topo/processes.h"

#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

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

}  // namespace

bool process_alive(pid_t pid) {
  return !gone(pid);
}

bool daemon_running(pid_t pid, uint64_t netns_id) {
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

std::vector<pid_t> stop_processes(const std::vector<pid_t>& pids, std::chrono::milliseconds grace) {
  for (pid_t pid : pids) kill(pid, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + grace;
  std::vector<pid_t> left = pids;
  for (int signal : {SIGTERM, SIGKILL}) {
    if (signal == SIGKILL) {
      for (pid_t pid : left) kill(pid, SIGKILL);
      deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    }
    while (!left.empty() && std::chrono::steady_clock::now() < deadline) {
      left.erase(std::remove_if(left.begin(), left.end(), gone), left.end());
      if (!left.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    left.erase(std::remove_if(left.begin(), left.end(), gone), left.end());
    if (left.empty()) break;
  }
  return left;
}

}  // namespace topo
