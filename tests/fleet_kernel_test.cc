// fleet_kernel_test.cc - `topo up FILE --all-hosts` and `topo down LAB --all-hosts` for real,
// on simulated hosts (tests/simhosts.sh) that run sshd on their underlay addresses: topo is run
// in host a as a user would, and reaches each host through ssh, or, for the host without `ssh:`
// that is host a itself, runs its part directly.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "tests/simhosts_fixture.h"

namespace topo::testing {
namespace {

// Three routers in a chain, one per host: r1 (a) - r2 (b) - r3 (c), both links across hosts.
// HOSTS: the `hosts:` entries.
const char kChain[] = R"(name: LAB
hosts:
HOSTS
nodes:
  r1: {host: a}
  r2: {host: b}
  r3: {host: c}
links:
  - endpoints: [r1:eth1, r2:eth1]
    addresses: [10.0.12.1/30, 10.0.12.2/30]
  - endpoints: [r2:eth2, r3:eth1]
    addresses: [10.0.23.1/30, 10.0.23.2/30]
)";

class Fleet : public SimHostsTest {
 protected:
  void SetUp() override {
    SimHostsTest::SetUp();
    if (IsSkipped()) return;
    ASSERT_NO_FATAL_FAILURE(make_hosts(3));
    CmdResult r = run(simhosts("sshd " + tag()));
    ASSERT_EQ(r.status, 0) << r.output;
    ssh_config_ = r.output.substr(0, r.output.find('\n'));
  }

  // kChain with these `hosts:` entries.
  std::string write_chain(const std::string& hosts) {
    std::string text = kChain;
    text.replace(text.find("HOSTS"), 5, hosts);
    return write_lab(text);
  }
  std::string sshd_pid_file(const std::string& host) const {
    const char* base = getenv("SIMHOSTS_DIR");
    return fmt::format("{}/{}/ssh/sshd.{}.pid", base ? base : "/tmp/topo-simhosts", tag(), host);
  }

  std::string ssh_config_;
};

// The lines of `output` that do not start with one of the hosts' prefixes.
std::vector<std::string> unprefixed_lines(const std::string& output) {
  std::vector<std::string> out;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("[a] ", 0) != 0 && line.rfind("[b] ", 0) != 0 && line.rfind("[c] ", 0) != 0)
      out.push_back(line);
  return out;
}

// Host a builds its own part (no `ssh:`: its underlay address is its own); b is reached as
// root@192.0.2.11, c through an alias of the ssh_config that TOPO_SSH gives (`ssh -F FILE`).
TEST_F(Fleet, AllHostsBuildsEveryPartAndTakesItDownEachLinePrefixedWithItsHost) {
  std::string config = dir() + "/ssh_config";
  std::ofstream(config) << "Host sim-c\n  HostName 192.0.2.12\n\n" << file_text(ssh_config_);
  std::string file = write_chain(
      "  a: {underlay: 192.0.2.10}\n"
      "  b: {underlay: 192.0.2.11, ssh: root@192.0.2.11}\n"
      "  c: {underlay: 192.0.2.12, ssh: sim-c}");
  std::string env = "TOPO_SSH=" + testing::quoted("ssh -F " + config) + " ";

  CmdResult up = on("a", env + "topo up " + testing::quoted(file) + " --all-hosts");
  ASSERT_EQ(up.status, 0) << up.output;
  for (std::string h : {"a", "b", "c"})
    EXPECT_TRUE(contains(up.output, fmt::format("[{}] lab {} is up", h, lab()))) << up.output;
  EXPECT_EQ(unprefixed_lines(up.output),
            std::vector<std::string>{fmt::format("lab {} is up on hosts a, b, c", lab())});
  EXPECT_EQ(lab_netns_on("a"), std::vector<std::string>{netns("r1")});
  EXPECT_EQ(lab_netns_on("b"), std::vector<std::string>{netns("r2")});
  EXPECT_EQ(lab_netns_on("c"), std::vector<std::string>{netns("r3")});
  // Across the tunnels: r1 (a) to r2 (b), r2 to r3 (c).
  CmdResult ping = on("a", "ip netns exec " + netns("r1") + " ping -c1 -W2 10.0.12.2");
  EXPECT_EQ(ping.status, 0) << ping.output;
  ping = on("b", "ip netns exec " + netns("r2") + " ping -c1 -W2 10.0.23.2");
  EXPECT_EQ(ping.status, 0) << ping.output;

  // The hosts from the copy of the file a's part keeps.
  CmdResult down = on("a", env + "topo down " + lab() + " --all-hosts");
  EXPECT_EQ(down.status, 0) << down.output;
  for (std::string h : {"a", "b", "c"})
    EXPECT_TRUE(contains(down.output, fmt::format("[{}] lab {} is down", h, lab()))) << down.output;
  EXPECT_EQ(unprefixed_lines(down.output),
            std::vector<std::string>{fmt::format("lab {} is down on hosts a, b, c", lab())});
  expect_nothing_left();
}

// c's sshd is not running: its up fails, and what a and b built is taken down.
TEST_F(Fleet, AHostThatCannotBeReachedFailsUpAndTheOthersAreTakenDown) {
  std::string pid = file_text(sshd_pid_file("c"));
  ASSERT_GT(std::atoi(pid.c_str()), 0);
  ASSERT_EQ(kill(std::atoi(pid.c_str()), SIGTERM), 0);
  std::string file = write_chain(
      "  a: {underlay: 192.0.2.10, ssh: root@192.0.2.10}\n"
      "  b: {underlay: 192.0.2.11, ssh: root@192.0.2.11}\n"
      "  c: {underlay: 192.0.2.12, ssh: root@192.0.2.12}");
  ASSERT_TRUE(eventually([&] { return on("a", "ssh root@192.0.2.12 true").status == 255; },
                         std::chrono::seconds(5)));

  CmdResult up = on("a", "topo up " + testing::quoted(file) + " --all-hosts");
  EXPECT_EQ(up.status, 1) << up.output;
  EXPECT_TRUE(
      contains(up.output, "[c] ssh: connect to host 192.0.2.12 port 22: Connection refused"))
      << up.output;
  EXPECT_TRUE(contains(up.output, fmt::format("error: lab {}: up failed on host c\n", lab())))
      << up.output;
  for (std::string h : {"a", "b"}) {
    EXPECT_TRUE(contains(up.output, fmt::format("[{}] lab {} is up", h, lab()))) << up.output;
    EXPECT_TRUE(contains(up.output, fmt::format("[{}] lab {} is down", h, lab()))) << up.output;
  }
  expect_nothing_left();
}

}  // namespace
}  // namespace topo::testing
