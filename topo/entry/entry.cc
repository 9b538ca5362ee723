#include "topo/entry/entry.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <stdexcept>

#include <nlohmann/json.hpp>

#include "topo/entry/safe_fs.h"

extern char** environ;

namespace topo {

namespace {

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// /etc/netns/<netns>/NAME -> /etc/NAME, for each NAME that exists in both (as iproute2 does).
std::vector<std::pair<std::string, std::string>> etc_binds(const std::string& netns) {
  std::vector<std::pair<std::string, std::string>> binds;
  std::string dir = "/etc/netns/" + netns;
  DIR* d = opendir(dir.c_str());
  if (!d) return binds;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    std::string target = "/etc/" + name;
    if (access(target.c_str(), F_OK) == 0) binds.emplace_back(dir + "/" + name, target);
  }
  closedir(d);
  return binds;
}

}  // namespace

std::vector<std::string> node_environment(const NodeContext& node) {
  std::vector<std::pair<std::string, std::string>> set = {
      {"TOPO_LAB", node.lab},           {"TOPO_NODE", node.node},       {"TOPO_NETNS", node.netns},
      {"TOPO_NODE_DIR", node.node_dir}, {"TOPO_LAB_DIR", node.lab_dir},
  };
  set.insert(set.end(), node.env.begin(), node.env.end());
  std::vector<std::string> env;
  for (char** e = environ; *e; e++) {
    std::string_view entry(*e);
    std::string_view key = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const auto& [k, v] : set) replaced = replaced || key == k;
    if (!replaced) env.emplace_back(entry);
  }
  for (const auto& [k, v] : set) env.push_back(k + "=" + v);
  return env;
}

void LabDirHold::acquire(const std::string& lab_dir) {
  std::string lab = lab_dir.substr(lab_dir.rfind('/') + 1);
  dir_ = open_dir(lab_dir);
  if (!dir_.valid())
    throw std::runtime_error(errno == ENOENT ? "lab " + lab + " is not running"
                                             : "cannot open " + lab_dir + ": " + strerror(errno));
  while (flock(dir_.get(), LOCK_SH) != 0)
    if (errno != EINTR) throw std::runtime_error("cannot lock " + lab_dir + ": " + strerror(errno));
  struct stat st;
  if (fstatat(dir_.get(), "state/journal", &st, AT_SYMLINK_NOFOLLOW) != 0) {
    dir_.reset();
    throw std::runtime_error("lab " + lab + " is not running");
  }
}

namespace {

// /run/topo/<lab> of /run/topo/<lab>/nodes/<node>.
std::string lab_dir_of(const std::string& node_dir) {
  std::string nodes_dir = node_dir.substr(0, node_dir.rfind('/'));
  return nodes_dir.substr(0, nodes_dir.rfind('/'));
}

}  // namespace

nl::Fd make_node_dir(const std::string& node_dir) {
  LabDirHold hold;
  hold.acquire(lab_dir_of(node_dir));
  return make_node_dir(hold, node_dir);
}

nl::Fd make_node_dir(const LabDirHold& hold, const std::string& node_dir) {
  size_t slash = node_dir.rfind('/');
  std::string nodes_dir = node_dir.substr(0, slash), node = node_dir.substr(slash + 1);
  // nodes/ 0711 (a daemon may run as another user and needs to reach its own), each node 0755,
  // whatever the umask. A node's directory that is there is left as it is: it may be a daemon
  // user's now.
  nl::Fd nodes = make_dir_beneath(hold.dir(), "nodes", 0711);
  nl::Fd dir = nodes.valid() ? make_dir_beneath(nodes.get(), node, 0755) : nl::Fd();
  if (!dir.valid())
    throw std::runtime_error("cannot create " + (nodes.valid() ? node_dir : nodes_dir) + ": " +
                             strerror(errno));
  return dir;
}

std::string paused_node_problem(const std::string& lab, const std::string& node) {
  std::optional<cgroup::Cgroup> group = cgroup::node_cgroup(lab, node);
  if (!group || !group->frozen()) return "";
  return "node " + node + " of lab " + lab + " is paused: its processes are frozen, and so would " +
         "be this command. `topo node " + lab + " " + node + " resume` continues it";
}

void NodeEntry::prepare(const NodeContext& node, const std::vector<std::string>& command,
                        const std::string& daemon) {
  if (std::string why = paused_node_problem(node.lab, node.node); !why.empty())
    throw std::runtime_error(why);
  hold.acquire(lab_dir_of(node.node_dir));
  make_node_dir(hold, node.node_dir);
  std::string netns_path = "/run/netns/" + node.netns;
  netns.reset(::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!netns.valid())
    throw std::runtime_error("node " + node.node + ": cannot open " + netns_path + ": " +
                             strerror(errno));
  if (auto group = cgroup::process_cgroup(node.lab, node.node, daemon)) {
    try {
      group->open_placement(cgroup);
    } catch (const std::runtime_error& e) {
      throw std::runtime_error("node " + node.node + ": " + e.what());
    }
  }
  netns_name = node.netns;
  hostname = node.node;
  cwd = node.lab_dir;
  argv = command;
  env = node_environment(node);
  binds = etc_binds(node.netns);
  mounts = read_node_mounts(
      LabDirs{node.lab, lab_dir_of(node.node_dir), node.lab_dir}.mounts_file(node.node));
  struct statvfs sys;
  sys_flags = statvfs("/sys", &sys) == 0 && (sys.f_flag & ST_RDONLY) ? MS_RDONLY : 0;
  argv_pointers = pointers(argv);
  env_pointers = pointers(env);
}

const char* enter_and_exec(const NodeEntry& entry) {
  if (setns(entry.netns.get(), CLONE_NEWNET) != 0) return "enter the network namespace";
  if (unshare(CLONE_NEWNS | CLONE_NEWUTS) != 0) return "unshare mount and UTS namespaces";
  // Mounts made here must not propagate back to the host.
  if (mount("", "/", "none", MS_SLAVE | MS_REC, nullptr) != 0) return "make / rslave";
  // A /sys that shows this namespace's interfaces. No sysfs mounted there before is fine.
  umount2("/sys", MNT_DETACH);
  if (mount(entry.netns_name.c_str(), "/sys", "sysfs", entry.sys_flags, nullptr) != 0)
    return "mount /sys";
  for (const auto& [from, to] : entry.binds)
    if (mount(from.c_str(), to.c_str(), "none", MS_BIND, nullptr) != 0)
      return "bind /etc/netns files over /etc";
  // A read-only one is not recursive: what is mounted below its source is not carried along
  // writable.
  for (const NodeEntry::Mount& m : entry.mounts) {
    if (mount(m.source.c_str(), m.target.c_str(), "none", MS_BIND | (m.read_only ? 0 : MS_REC),
              nullptr) != 0)
      return "mount the node's mounts (see `mounts` in its lab's file)";
    if (m.read_only && mount("", m.target.c_str(), "none",
                             MS_REMOUNT | MS_BIND | MS_RDONLY | m.flags, nullptr) != 0)
      return "make the node's mounts read-only";
  }
  if (sethostname(entry.hostname.data(), entry.hostname.size()) != 0) return "set the hostname";
  if (chdir(entry.cwd.c_str()) != 0) return "change to TOPO_LAB_DIR";
  execvpe(entry.argv_pointers[0], entry.argv_pointers.data(), entry.env_pointers.data());
  return kExecStep;
}

std::vector<NodeEntry::Mount> read_node_mounts(const std::string& mounts_file) {
  std::optional<std::string> text = read_file(mounts_file);
  if (!text && errno == ENOENT) return {};
  nlohmann::json j = text ? nlohmann::json::parse(*text, nullptr, false) : nlohmann::json();
  if (!j.is_array())
    throw std::runtime_error("cannot read " + mounts_file + ": " +
                             (text ? std::string("not what topo wrote") : strerror(errno)));
  std::vector<NodeEntry::Mount> mounts;
  for (const auto& m : j) {
    if (!m.is_object() || !m.contains("source") || !m.contains("target") ||
        !m["source"].is_string() || !m["target"].is_string() ||
        (m.contains("readonly") && !m["readonly"].is_boolean()))
      throw std::runtime_error("cannot read " + mounts_file + ": not what topo wrote");
    NodeEntry::Mount mount{m["source"].get<std::string>(), m["target"].get<std::string>(),
                           m.value("readonly", false), 0};
    struct statvfs st;
    if (mount.read_only && statvfs(mount.source.c_str(), &st) == 0)
      mount.flags = (st.f_flag & ST_NOSUID ? MS_NOSUID : 0) |
                    (st.f_flag & ST_NODEV ? MS_NODEV : 0) | (st.f_flag & ST_NOEXEC ? MS_NOEXEC : 0);
    mounts.push_back(std::move(mount));
  }
  return mounts;
}

std::vector<std::pair<std::string, std::string>> read_node_env(const LabDirs& dirs,
                                                               const std::string& node) {
  std::optional<std::string> text = read_file(dirs.env_file(node));
  if (!text) return {};
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  std::vector<std::pair<std::string, std::string>> env;
  if (j.is_array())
    for (const auto& kv : j)
      if (kv.is_array() && kv.size() == 2 && kv[0].is_string() && kv[1].is_string())
        env.emplace_back(kv[0].get<std::string>(), kv[1].get<std::string>());
  return env;
}

}  // namespace topo
