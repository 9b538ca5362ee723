// simhosts_fixture.h - kernel tests on simulated hosts (tests/simhosts.sh): each test its own
// hosts under a unique tag and its own lab name, destroyed whatever happens; topo is run inside
// a host as a user there would run it, and a host's own /run and /etc are read through its
// holder's /proc/PID/root.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/lab_fixture.h"

namespace topo::testing {

class SimHostsTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // The harness's command line, with the topo under test.
  static std::string simhosts(const std::string& args);
  // Makes hosts a, b, ... (use with ASSERT_NO_FATAL_FAILURE).
  void make_hosts(int n);
  const std::vector<std::string>& hosts() const { return hosts_; }
  const std::string& tag() const { return tag_; }
  // This test's lab name; `netns(node)` is a node's namespace in a host.
  const std::string& lab() const { return lab_; }
  std::string netns(const std::string& node) const { return lab_ + "-" + node; }
  const std::string& dir() const { return dir_; }
  // Writes a lab file in dir(); every "LAB" in `yaml` becomes lab(). Returns its path.
  std::string write_lab(const std::string& yaml, const std::string& name = "lab.yaml");

  // A shell command line run inside a host.
  CmdResult on(const std::string& host, const std::string& command);
  // topo in a host; `env`: VAR=VALUE words before it.
  CmdResult topo_on(const std::string& host, const std::string& args, const std::string& env = "");
  // topo's standard output as JSON (its standard error dropped), and its exit status.
  std::pair<int, nlohmann::json> topo_json_on(const std::string& host, const std::string& args);
  // `topo ARGS` in a host, in the background, its output to `log`; returns the pid of topo
  // itself (the harness and nsenter exec it).
  pid_t spawn_on(const std::string& host, const std::vector<std::string>& args,
                 const std::string& log);

  // /proc/PID of the process that holds a host: its root/ is the host's view of the files.
  std::string root_of(const std::string& host);
  // The lab's namespaces in a host's /run/netns, sorted.
  std::vector<std::string> lab_netns_on(const std::string& host);
  // Interfaces in the host's own network namespace other than its lo and eth0.
  std::vector<std::string> extra_links_on(const std::string& host);
  // Whether the namespace NETNS of a host has an interface IFACE: asked from a thread that
  // enters it (cheap enough to poll every few milliseconds; no process started).
  bool has_link(const std::string& host, const std::string& netns, const std::string& iface);
  // Nothing of the lab on any host: namespaces, their mounts, devices in the host's namespace,
  // state under /run/topo, /etc/netns links, cgroups.
  void expect_nothing_left();

 private:
  std::string tag_, lab_, dir_;
  std::vector<std::string> hosts_;
  std::map<std::string, std::string> holder_;
};

}  // namespace topo::testing
