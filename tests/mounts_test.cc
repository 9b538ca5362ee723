// Per-node mounts, files from disk and daemons that wait, in the kernel (issue 15): each node
// sees its own directories, daemons run as their packages ship them, `down` leaves nothing.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "tests/lab_fixture.h"

namespace topo::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Mounts = LabTest;

bool exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

// Two nodes mount the same paths: each sees its own directory and files there, a daemon in each
// waits for the other daemon's socket in its own node, and a file comes from disk relative to the
// lab file even when topo runs elsewhere. `down` removes the mount point it made on the host.
TEST_F(Mounts, EachNodeSeesItsOwnDirectoriesAndDownLeavesNothing) {
  std::string point = "/run/topo-test-" + lab();  // missing on the host: made, then removed
  ASSERT_FALSE(exists(point));
  fs::create_directories(dir() + "/cfg");
  std::ofstream(dir() + "/cfg/id.conf") << "node {{node}} router-id {{loopback}}\n";
  // clang-format off
  std::string file = write_lab(fmt::format(R"Y(name: LAB
defaults:
  mounts:
    /etc/topo-test: {{owner: nobody}}
    {0}: {{}}
    /mnt: {{bind: cfg}}
  files:
    /etc/topo-test/id.conf: {{from: cfg/id.conf}}
  daemons:
    - name: server
      cmd: python3 -c "import socket,time; s=socket.socket(socket.AF_UNIX); time.sleep(0.5); s.bind('{0}/s.sock'); s.listen(); time.sleep(1000)"
    - name: client
      cmd: sleep 1001
      wait: {{socket: {0}/s.sock}}
nodes:
  a: {{loopback: 10.0.0.1/32}}
  b: {{loopback: 10.0.0.2/32}}
links:
  - endpoints: [a:eth1, b:eth1]
)Y",
                                           point));
  // clang-format on
  CmdResult up = run("cd / && " + std::string(TOPO_BINARY) + " up " + file);
  ASSERT_EQ(up.status, 0) << up.output;
  EXPECT_TRUE(exists(point)) << "the mount point was made";
  EXPECT_EQ(topo("exec " + lab() + " a -- cat /etc/topo-test/id.conf").output,
            "node a router-id 10.0.0.1\n");
  EXPECT_EQ(topo("exec " + lab() + " b -- cat /etc/topo-test/id.conf").output,
            "node b router-id 10.0.0.2\n");
  CmdResult owner =
      topo("exec " + lab() + " a -- stat -c %U:%a /etc/topo-test /etc/topo-test/id.conf");
  EXPECT_EQ(owner.output, "nobody:755\nnobody:644\n") << owner.output;
  // No cross-talk: what a writes in its directory b does not see, nor the host.
  ASSERT_EQ(topo("exec " + lab() + " a -- sh -c 'echo mine > " + point + "/note'").status, 0);
  EXPECT_NE(topo("exec " + lab() + " b -- cat " + point + "/note").status, 0);
  EXPECT_FALSE(exists(point + "/note"));
  EXPECT_TRUE(exists("/run/topo/" + lab() + "/mounts/a" + point + "/note"));
  // Each node's server socket is its own; each client started once it was there.
  EXPECT_EQ(topo("exec " + lab() + " b -- test -S " + point + "/s.sock").status, 0);
  // A bind is read-only unless said otherwise.
  CmdResult ro = topo("exec " + lab() + " a -- sh -c 'touch /mnt/x'");
  EXPECT_NE(ro.status, 0);
  EXPECT_TRUE(contains(ro.output, "Read-only")) << ro.output;
  EXPECT_EQ(topo("exec " + lab() + " a -- cat /mnt/id.conf").output,
            "node {{node}} router-id {{loopback}}\n");
  // Plain `ip netns exec` does not see them (documented).
  EXPECT_NE(run("ip netns exec " + netns("a") + " cat /etc/topo-test/id.conf").status, 0);
  // plan sees the file as built; a change on disk is a change to the lab.
  EXPECT_EQ(topo("plan " + file).status, 0);
  std::ofstream(dir() + "/cfg/id.conf") << "v2 {{node}}\n";
  CmdResult plan = topo("plan " + file);
  EXPECT_EQ(plan.status, 3);
  EXPECT_TRUE(contains(plan.output, "~ file a:/etc/topo-test/id.conf")) << plan.output;
  EXPECT_EQ(topo("down " + lab()).status, 0);
  EXPECT_FALSE(exists(point)) << "down removed the mount point it made";
  expect_nothing_left();
}

// A mount point two labs use is removed by the last one that goes down.
TEST_F(Mounts, AMountPointOutlivesTheLabThatMadeItWhileAnotherUsesIt) {
  std::string point = "/run/topo-test-" + lab();
  std::string yaml = fmt::format("name: LAB\nnodes:\n  a: {{mounts: {{{}: {{}}}}}}\n", point);
  std::string second = lab() + "x";
  struct Down {
    std::string lab;
    ~Down() { run(std::string(TOPO_BINARY) + " down " + lab); }
  } down_second{second};
  ASSERT_EQ(topo("up " + write_lab(yaml)).status, 0);
  std::string other = yaml;
  other.replace(other.find("LAB"), 3, second);
  std::string other_file = dir() + "/other.yaml";
  std::ofstream(other_file) << other;
  ASSERT_EQ(topo("up " + other_file).status, 0);
  ASSERT_EQ(topo("down " + lab()).status, 0);
  EXPECT_TRUE(exists(point)) << "the other lab still mounts over it";
  EXPECT_EQ(
      run(std::string(TOPO_BINARY) + " exec " + second + " a -- touch " + point + "/x").status, 0);
  ASSERT_EQ(topo("down " + second).status, 0);
  EXPECT_FALSE(exists(point)) << "the last lab that used it removed it";
  expect_nothing_left();
}

// A wait that never ends fails `up` after its timeout, says what did not happen, and rolls back.
TEST_F(Mounts, AWaitThatTimesOutFailsUpAndRollsBack) {
  std::string point = "/run/topo-test-" + lab();
  CmdResult up = topo("up " + write_lab(fmt::format(R"(name: LAB
nodes:
  a:
    mounts: {{{0}: {{}}}}
    daemons:
      - {{name: never, cmd: sleep 1000, wait: {{socket: {0}/none.sock, timeout: 300ms}}}}
      - {{name: fails, cmd: sleep 1001, wait: {{exec: "exit 3", timeout: 300ms}}}}
)",
                                                    point)));
  EXPECT_EQ(up.status, 1);
  EXPECT_TRUE(contains(up.output,
                       "daemon never on node a was not started: nothing accepted a "
                       "connection on " +
                           point + "/none.sock within 300ms (its `wait`)"))
      << up.output;
  EXPECT_FALSE(exists(point)) << "rollback removed the mount point";
  expect_nothing_left();
}

// Two FRR routers, FRR started by its own init script with the package's paths: each router's
// vtysh talks to its own daemons with no flags, its config is its own, the host's /etc/frr and
// /run/frr are left alone, and down stops everything.
TEST_F(Mounts, FrrRoutersEachHaveTheirOwnEtcAndRunFrr) {
  if (access("/usr/lib/frr/frrinit.sh", X_OK) != 0)
    GTEST_SKIP() << "FRR is not installed (Debian package frr)";
  auto listing = [](const std::string& dir) {
    return run("ls -la --time-style=full-iso " + dir + " 2>&1").output;
  };
  std::string host_etc = listing("/etc/frr"), host_run = listing("/run/frr");
  CmdResult up = topo("up " + example("frr-ospf.yaml"));
  ASSERT_EQ(up.status, 0) << up.output;
  for (const char* r : {"r1", "r2"}) {
    CmdResult conf = topo(fmt::format("exec {} {} -- vtysh -c 'show running-config'", lab(), r));
    EXPECT_TRUE(contains(conf.output, fmt::format("ospf router-id 10.0.0.{}", r[1] - '0')))
        << conf.output;
    EXPECT_TRUE(contains(conf.output, fmt::format("hostname {}", r))) << conf.output;
  }
  EXPECT_TRUE(eventually(
      [&] {
        return contains(topo("exec " + lab() + " r1 -- vtysh -c 'show ip route'").output,
                        "O>* 10.0.0.3/32");
      },
      60s));
  CmdResult test = topo("test " + lab());
  EXPECT_EQ(test.status, 0) << test.output;
  EXPECT_EQ(listing("/etc/frr"), host_etc);
  EXPECT_EQ(listing("/run/frr"), host_run);
  EXPECT_EQ(topo("down " + lab()).status, 0);
  EXPECT_EQ(live_lab_processes(lab()), std::vector<pid_t>{});
  expect_nothing_left();
}

TEST_F(Mounts, FrrBgpExampleConvergesAndItsTestsPass) {
  if (access("/usr/lib/frr/frrinit.sh", X_OK) != 0)
    GTEST_SKIP() << "FRR is not installed (Debian package frr)";
  CmdResult up = topo("up " + example("frr-bgp.yaml"));  // returns once its tests hold (ready)
  ASSERT_EQ(up.status, 0) << up.output;
  CmdResult test = topo("test " + lab());
  EXPECT_EQ(test.status, 0) << test.output;
  CmdResult bgp = topo("exec " + lab() + " r1 -- vtysh -c 'show bgp summary'");
  EXPECT_TRUE(contains(bgp.output, "65002")) << bgp.output;
  EXPECT_EQ(topo("down " + lab()).status, 0);
  expect_nothing_left();
}

TEST_F(Mounts, BirdOspfExampleConvergesAndBirdcWorksWithoutFlags) {
  if (access("/usr/sbin/bird", X_OK) != 0)
    GTEST_SKIP() << "BIRD is not installed (Debian package bird2)";
  bool run_bird = exists("/run/bird");
  CmdResult up = topo("up " + example("bird-ospf.yaml"));
  ASSERT_EQ(up.status, 0) << up.output;
  CmdResult test = topo("test " + lab());
  EXPECT_EQ(test.status, 0) << test.output;
  CmdResult routes = topo("exec " + lab() + " r1 -- birdc show route");
  EXPECT_EQ(routes.status, 0) << routes.output;
  EXPECT_TRUE(contains(routes.output, "10.0.0.3/32")) << routes.output;
  EXPECT_EQ(topo("down " + lab()).status, 0);
  EXPECT_EQ(exists("/run/bird"), run_bird) << "/run/bird as before";
  expect_nothing_left();
}

}  // namespace
}  // namespace topo::testing
