// Commands in nodes: topo exec, exec:, files, daemons, hosts, as a user would run them.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "tests/lab_fixture.h"

namespace topo::testing {
namespace {

using namespace std::chrono_literals;

const char* kPair = R"(name: LAB
nodes:
  a:
    env: {ROLE: core, GREETING: "hello there"}
    files:
      motd: |
        welcome to a
  b: {}
links:
  - endpoints: [a:e0, b:e0]
    addresses: [10.1.0.1/30, 10.1.0.2/30]
)";

using Node = LabTest;

TEST_F(Node, ExecPassesExitStatusSignalsAndStandardStreams) {
  ASSERT_EQ(topo("up " + write_lab(kPair)).status, 0);
  EXPECT_EQ(topo("exec " + lab() + " a -- sh -c 'exit 3'").status, 3);
  EXPECT_EQ(topo("exec " + lab() + " a -- sh -c 'kill -TERM $$'").status, 128 + SIGTERM);
  CmdResult cat =
      run("printf 'from stdin' | " + std::string(TOPO_BINARY) + " exec " + lab() + " a -- cat");
  EXPECT_EQ(cat.status, 0);
  EXPECT_EQ(cat.output, "from stdin");
  // Without `--` too, options of the command included.
  CmdResult ls = topo("exec " + lab() + " a ls -d /");
  EXPECT_EQ(ls.output, "/\n");
  // topo stands in for the command (born in the lab's cgroup as its child): a signal sent to topo
  // reaches the command, and topo exits as the command did.
  pid_t exec = spawn_topo({"exec", lab(), "a", "--", "sh", "-c",
                           "trap 'exit 9' TERM; echo ready; while :; do sleep 0.01; done"},
                          dir() + "/exec.log");
  ASSERT_TRUE(eventually([&] { return contains(file_text(dir() + "/exec.log"), "ready"); }, 5s));
  kill(exec, SIGTERM);
  EXPECT_EQ(wait_for(exec), 9);
  CmdResult missing = topo("exec " + lab() + " a -- no-such-command");
  EXPECT_EQ(missing.status, 127);
  EXPECT_TRUE(contains(missing.output, "cannot run `no-such-command`: No such file or directory"))
      << missing.output;
}

TEST_F(Node, ExecRunsWithTheNodesNameEnvironmentAndDirectory) {
  std::string file = write_lab(kPair);
  ASSERT_EQ(topo("up " + file).status, 0);
  CmdResult r = topo("exec " + lab() +
                     " a -- sh -c 'echo $(hostname) $TOPO_LAB $TOPO_NODE "
                     "$TOPO_NETNS $TOPO_NODE_DIR $TOPO_LAB_DIR $ROLE \"$GREETING\" $(pwd)'");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output, fmt::format("a {} a {} /run/topo/{}/nodes/a {} core hello there {}\n", lab(),
                                  netns("a"), lab(), dir(), dir()));
  EXPECT_EQ(file_text("/run/topo/" + lab() + "/nodes/a/motd"), "welcome to a\n");
  struct stat st;
  ASSERT_EQ(stat(("/run/topo/" + lab() + "/nodes/a/motd").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  // The lab given by its file, and -q before the verb: the same node.
  EXPECT_EQ(topo("-q exec " + file + " a -- hostname").output, "a\n");
  // A node without env or files gets its directory when a command runs there.
  EXPECT_EQ(topo("exec " + lab() + " b -- test -d /run/topo/" + lab() + "/nodes/b").status, 0);
  // The interface list is the node's (a fresh /sys), not the host's.
  EXPECT_EQ(topo("exec " + lab() + " a -- ls /sys/class/net").output, "e0\nlo\n");
}

TEST_F(Node, NamesResolveInTopoExecAndInIpNetnsExec) {
  ASSERT_EQ(topo("up " + write_lab(kPair)).status, 0);
  CmdResult topo_exec = topo("exec " + lab() + " a -- getent hosts b");
  EXPECT_EQ(topo_exec.output, "10.1.0.2        b b-e0\n");
  CmdResult ip_exec = in_node("b", "getent hosts a-e0");
  EXPECT_EQ(ip_exec.output, "10.1.0.1        a a-e0\n");
  EXPECT_EQ(topo("exec " + lab() + " a -- ping -c1 -W2 b").status, 0);
  // One hosts file for the lab: each node's /etc/netns entry links to it.
  std::string link = "/etc/netns/" + netns("a");
  EXPECT_TRUE(std::filesystem::is_symlink(link));
  EXPECT_EQ(std::filesystem::read_symlink(link), "/run/topo/" + lab() + "/etc");
  EXPECT_EQ(topo("down " + lab()).status, 0);
  EXPECT_FALSE(std::filesystem::exists(link));
  expect_nothing_left();
}

TEST_F(Node, ExecLinesRunInOrderAndAFailureRollsBackWithItsOutput) {
  std::string good = write_lab(R"(name: LAB
nodes:
  a:
    exec:
      - echo first > $TOPO_NODE_DIR/order
      - echo second >> $TOPO_NODE_DIR/order
      - ping -c1 -W2 b
  b: {}
links:
  - endpoints: [a:e0, b:e0]
    addresses: [10.1.0.1/30, 10.1.0.2/30]
)");
  ASSERT_EQ(topo("up " + good).status, 0);
  EXPECT_EQ(file_text("/run/topo/" + lab() + "/nodes/a/order"), "first\nsecond\n");
  EXPECT_TRUE(contains(file_text("/run/topo/" + lab() + "/log/a/exec.log"), "1 received"));
  ASSERT_EQ(topo("down " + lab()).status, 0);

  std::string bad = write_lab(R"(name: LAB
nodes:
  a:
    exec:
      - echo setting up
      - "echo line one; echo line two >&2; exit 5"
      - echo never
)",
                              "bad.yaml");
  CmdResult up = topo("up " + bad);
  EXPECT_EQ(up.status, 1) << up.output;
  EXPECT_TRUE(contains(up.output,
                       "exec on node a failed: `echo line one; echo line two >&2; "
                       "exit 5` exited with status 5"))
      << up.output;
  EXPECT_TRUE(contains(up.output, "    line one\n    line two\n")) << up.output;
  EXPECT_FALSE(contains(up.output, "never")) << up.output;
  EXPECT_TRUE(contains(up.output, "rolled back")) << up.output;
  expect_nothing_left();
}

TEST_F(Node, ADaemonThatDiesAtStartFailsUpWithTheEndOfItsLog) {
  std::string file = write_lab(R"(name: LAB
nodes:
  a:
    daemons:
      - {name: fine, cmd: sleep 1000}
      - {name: broken, cmd: "echo cannot bind; exit 4"}
)");
  CmdResult up = topo("up " + file);
  EXPECT_EQ(up.status, 1) << up.output;
  EXPECT_TRUE(contains(up.output, "daemon broken on node a exited with status 4 within 1000 ms"))
      << up.output;
  EXPECT_TRUE(contains(up.output, "    cannot bind\n")) << up.output;
  EXPECT_EQ(live_lab_processes(lab()), std::vector<pid_t>{})
      << "the daemon that ran was not stopped";
  expect_nothing_left();
}

// Rollback removes the lab's directory, logs and all: they are kept where the message says, and
// `down` removes them.
TEST_F(Node, AFailedUpKeepsItsLogsWhereTheMessageSays) {
  std::string file = write_lab(R"(name: LAB
nodes:
  a:
    exec: ["echo set up a"]
    daemons:
      - {name: broken, cmd: "echo cannot bind its socket; exit 4"}
)");
  std::string kept = "/run/topo/.failed/" + lab() + "/log";
  CmdResult up = topo("up " + file);
  EXPECT_EQ(up.status, 1) << up.output;
  EXPECT_TRUE(contains(up.output, "the end of its log (/run/topo/" + lab() +
                                      "/log/a/broken.log):\n"
                                      "    cannot bind its socket\n"))
      << up.output;
  EXPECT_TRUE(contains(up.output, "rolled back: lab " + lab() +
                                      " created nothing that is left; its logs (named above under "
                                      "/run/topo/" +
                                      lab() + "/log/) are kept in " + kept +
                                      "/ until its next failed `up` or `topo down " + lab() + "`"))
      << up.output;
  expect_nothing_left();
  EXPECT_EQ(file_text(kept + "/a/broken.log"), "cannot bind its socket\n");
  EXPECT_TRUE(contains(file_text(kept + "/a/exec.log"), "set up a")) << "every node's logs";
  struct stat st;
  ASSERT_EQ(stat(("/run/topo/.failed/" + lab()).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_EQ(st.st_uid, 0u);

  // The next failure replaces them.
  std::filesystem::remove(kept + "/a/exec.log");
  CmdResult again = topo("up " + file);
  EXPECT_EQ(again.status, 1);
  EXPECT_TRUE(contains(again.output, "are kept in " + kept + "/")) << again.output;
  EXPECT_EQ(file_text(kept + "/a/broken.log"), "cannot bind its socket\n");
  EXPECT_TRUE(std::filesystem::exists(kept + "/a/exec.log"));

  CmdResult down = topo("down " + lab());
  EXPECT_EQ(down.status, 0) << down.output;
  EXPECT_TRUE(contains(down.output, "removed the logs kept of lab " + lab() +
                                        "'s failed `up` (/run/topo/.failed/" + lab() + ")"))
      << down.output;
  EXPECT_FALSE(std::filesystem::exists("/run/topo/.failed/" + lab())) << down.output;
}

TEST_F(Node, DownStopsDaemonsAndWhatExecLeftRunningButNothingElse) {
  std::string file = write_lab(R"(name: LAB
nodes:
  a:
    exec: ["sleep 1000 &"]
    daemons:
      - {name: sleeper, cmd: sleep 1000}
      - {name: stubborn, cmd: "trap '' TERM; sleep 1000"}
)");
  CmdResult up = topo("up " + file);
  ASSERT_EQ(up.status, 0) << up.output;
  EXPECT_GE(live_lab_processes(lab()).size(), 3u);  // sleep &, sleeper, stubborn (and shells)
  // A process somebody else started in the lab's namespace is not the lab's to stop.
  pid_t foreign = fork();
  if (foreign == 0) {
    execl("/usr/sbin/ip", "ip", "netns", "exec", netns("a").c_str(), "sleep", "1000", nullptr);
    _exit(127);
  }
  ASSERT_TRUE(eventually(
      [&] {
        return run("ip netns pids " + netns("a")).output.find(std::to_string(foreign)) !=
               std::string::npos;
      },
      5s));
  auto start = std::chrono::steady_clock::now();
  CmdResult down = topo("down " + lab());
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(down.status, 0) << down.output;
  EXPECT_EQ(live_lab_processes(lab()), std::vector<pid_t>{});
  EXPECT_GE(seconds, 4.5) << "the daemon that ignores SIGTERM got its 5 s";
  EXPECT_EQ(kill(foreign, 0), 0) << "down stopped a process it did not start";
  kill(foreign, SIGKILL);
  waitpid(foreign, nullptr, 0);
  expect_nothing_left();
}

TEST_F(Node, KillNineDuringUpLeavesNoDaemonAfterDown) {
  std::string file = write_lab(R"(name: LAB
nodes:
  a:
    daemons:
      - {name: one, cmd: sleep 1000}
      - {name: two, cmd: sleep 1000}
)");
  std::string journal = "/run/topo/" + lab() + "/state/journal";
  pid_t up = spawn_topo({"up", file}, dir() + "/up.log");
  // Killed while it watches the daemons it started.
  EXPECT_TRUE(eventually([&] { return journal_has(journal, "daemon", "\"name\":\"two\""); }, 10s));
  kill(up, SIGKILL);
  EXPECT_EQ(wait_for(up), 128 + SIGKILL);
  EXPECT_GE(live_lab_processes(lab()).size(), 2u);
  CmdResult down = topo("down " + lab());
  EXPECT_EQ(down.status, 0) << down.output;
  EXPECT_EQ(live_lab_processes(lab()), std::vector<pid_t>{});
  expect_nothing_left();
}

TEST_F(Node, InteractiveShellShowsLabAndNode) {
  if (access("/bin/bash", X_OK) != 0) GTEST_SKIP() << "bash not installed";
  ASSERT_EQ(topo("up " + write_lab(kPair)).status, 0);
  CmdResult r = run("printf 'echo in $TOPO_NODE\\nexit 7\\n' | SHELL=/bin/bash " +
                    std::string(TOPO_BINARY) + " exec " + lab() + " b");
  EXPECT_EQ(r.status, 7) << r.output;
  EXPECT_TRUE(contains(r.output, "in b\n")) << r.output;
  EXPECT_TRUE(contains(r.output, "[" + lab() + ":b] ")) << r.output;
}

TEST_F(Node, ExecMistakes) {
  EXPECT_EQ(topo("exec " + lab() + " a -- true").status, 1) << "a lab that is not running";
  ASSERT_EQ(topo("up " + write_lab(kPair)).status, 0);
  CmdResult unknown = topo("exec " + lab() + " zz -- true");
  EXPECT_EQ(unknown.status, 2);
  EXPECT_TRUE(contains(unknown.output, "has no node `zz`")) << unknown.output;
  EXPECT_EQ(topo("exec " + lab() + " _lan1 -- true").status, 2);
  EXPECT_EQ(topo("exec " + lab()).status, 2) << "no node";
}

TEST_F(Node, FrrOspfConvergesAndDownStopsEveryDaemon) {
  if (access("/usr/lib/frr/zebra", X_OK) != 0)
    GTEST_SKIP() << "FRR is not installed (Debian package frr)";
  CmdResult up = topo("up " + example("frr-ospf.yaml"));
  ASSERT_EQ(up.status, 0) << up.output;
  // watchfrr, zebra, ospfd and staticd on each of three
  EXPECT_GE(live_lab_processes(lab()).size(), 12u);
  // Converged when r1 has learned r3's loopback from OSPF.
  EXPECT_TRUE(eventually(
      [&] {
        return contains(topo("exec " + lab() + " r1 -- ip route show 10.0.0.3 proto ospf").output,
                        "10.0.0.3");
      },
      60s));
  EXPECT_EQ(topo("exec " + lab() + " r1 -- ping -c1 -W2 10.0.0.3").status, 0);
  CmdResult vtysh = topo("exec " + lab() + " r1 -- vtysh -c 'show ip route'");
  EXPECT_TRUE(contains(vtysh.output, "O>* 10.0.0.3/32")) << vtysh.output;
  EXPECT_EQ(topo("down " + lab()).status, 0);
  EXPECT_EQ(live_lab_processes(lab()), std::vector<pid_t>{});
  expect_nothing_left();
}

}  // namespace
}  // namespace topo::testing
