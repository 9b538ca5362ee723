// places.h - where a running lab keeps things, and where and as what a command of a node runs:
// what both the node entry (`topo exec`) and running a lab need to know.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace topo {

inline constexpr const char* kRunDir = "/run/topo";

struct LabPaths {
  std::string lab_dir, state_dir, journal, lock;
  std::string topology;  // the topology file as `up` read it, for `topo test`
  std::string bashrc;    // the rc file of `topo exec` bash shells
  static LabPaths of(const std::string& run_dir, const std::string& lab) {
    std::string dir = run_dir + "/" + lab, state = dir + "/state";
    return {dir,
            state,
            state + "/journal",
            state + "/lock",
            state + "/topology.yaml",
            state + "/bashrc"};
  }
};

// Where a running lab keeps things: /run/topo/<lab>/...
struct LabDirs {
  std::string lab;
  std::string run_dir;  // /run/topo/<lab>
  std::string lab_dir;  // the topology file's directory (TOPO_LAB_DIR)

  std::string etc_dir() const { return run_dir + "/etc"; }
  std::string node_dir(const std::string& node) const { return run_dir + "/nodes/" + node; }
  std::string state_dir() const { return run_dir + "/state"; }
  std::string env_file(const std::string& node) const { return state_dir() + "/env." + node; }
  // What the node's commands get bound where (its `mounts`, sources resolved), as JSON.
  std::string mounts_file(const std::string& node) const { return state_dir() + "/mounts." + node; }
  // The node's private directories: a mount at /etc/frr is mounts/<node>/etc/frr.
  std::string mounts_dir(const std::string& node) const { return run_dir + "/mounts/" + node; }
  // The mount points up made on the host (directories that were missing), as JSON: the last
  // lab that uses one removes it.
  std::string mountpoints_file() const { return state_dir() + "/mountpoints"; }
  // The output of a node's exec: lines and daemons: root's, out of the node's directory (which
  // a daemon's user may own).
  std::string log_dir(const std::string& node) const { return run_dir + "/log/" + node; }

  // A lab's directories, from its topology file as the journal has it: an absolute path, or
  // "<stdin>" (whose lab directory is /: nothing of the reading shell's is recorded).
  static LabDirs of(const std::string& lab, const std::string& file) {
    return {
        lab, LabPaths::of(kRunDir, lab).lab_dir,
        file == "<stdin>" ? std::string("/") : std::filesystem::path(file).parent_path().string()};
  }
};

// Where and as what a command runs.
struct NodeContext {
  std::string lab;
  std::string node;
  std::string netns;     // /run/netns/<netns>
  std::string node_dir;  // $TOPO_NODE_DIR
  std::string lab_dir;   // $TOPO_LAB_DIR: the topology file's directory; the working directory
  std::vector<std::pair<std::string, std::string>> env;  // the node's `env`
};

}  // namespace topo
