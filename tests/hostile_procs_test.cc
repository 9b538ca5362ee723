// hostile_procs_test.cc - processes that try to outlive `down`: started with an empty
// environment, moved to another network namespace, forked by a daemon faster than a scan of
// /proc, left in the background by `topo exec` or `topo test`; and a daemon that forks into the
// background, as `zebra -d` does, which is running while its child runs.
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "tests/lab_fixture.h"
#include "topo/entry/cgroup.h"
#include "topo/run/processes.h"

namespace topo::testing {
namespace {

using namespace std::chrono_literals;

// A process a test started, known by its pid and its start time (a pid may be reused).
struct Started {
  pid_t pid = 0;
  std::string start;
};

// Field 22 of /proc/PID/stat (the start time); nullopt for no such process, or a zombie.
std::optional<std::string> start_time(pid_t pid) {
  std::string stat = file_text("/proc/" + std::to_string(pid) + "/stat");
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) return std::nullopt;
  std::istringstream fields(stat.substr(paren + 2));  // from field 3, the state
  std::vector<std::string> f;
  for (std::string w; fields >> w;) f.push_back(w);
  if (f.size() < 20 || f[0] == "Z") return std::nullopt;
  return f[19];
}

bool still_runs(const Started& p) {
  std::optional<std::string> start = start_time(p.pid);
  return start && *start == p.start;
}

// The pids in a file the lab's commands wrote (one a line), each with its start time now.
std::vector<Started> started_from(const std::string& file) {
  std::vector<Started> out;
  std::istringstream lines(file_text(file));
  for (std::string line; std::getline(lines, line);) {
    pid_t pid = static_cast<pid_t>(std::atoi(line.c_str()));
    if (std::optional<std::string> start = pid > 0 ? start_time(pid) : std::nullopt)
      out.push_back({pid, *start});
  }
  return out;
}

std::vector<pid_t> survivors(const std::vector<Started>& started) {
  std::vector<pid_t> out;
  for (const Started& p : started)
    if (still_runs(p)) out.push_back(p.pid);
  return out;
}

// A process's cgroup as /proc/PID/cgroup has it: cgroup v2's, else the v1 freezer's.
std::string cgroup_of(pid_t pid) {
  std::istringstream lines(file_text("/proc/" + std::to_string(pid) + "/cgroup"));
  std::string v1;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("0::", 0) == 0) return line.substr(3);
    if (line.find(":freezer:") != std::string::npos) v1 = line.substr(line.rfind(':') + 1);
  }
  return v1;
}

class HostileProcs : public LabTest {
 protected:
  void TearDown() override {
    LabTest::TearDown();
    // What down failed to stop, and only what this test started.
    for (const Started& p : started_)
      if (still_runs(p)) kill(p.pid, SIGKILL);
  }

  // Remembers processes the lab started, so that the test kills them if down does not.
  std::vector<Started> track(std::vector<Started> started) {
    started_.insert(started_.end(), started.begin(), started.end());
    return started;
  }

  // write_lab, with PIDS standing for the file the lab's commands write their pids to (the
  // fixture replaces every `LAB`, and so `$TOPO_LAB_DIR`).
  std::string lab_file(const std::string& yaml) {
    std::string path = write_lab(yaml), text = file_text(path);
    for (size_t at; (at = text.find("PIDS")) != std::string::npos;) text.replace(at, 4, pids());
    std::ofstream(path) << text;
    return path;
  }
  std::string pids() const { return dir() + "/pids"; }

  // The lab's cgroup directory in each hierarchy a machine may have.
  std::vector<std::string> lab_cgroups() const {
    std::vector<std::string> out;
    for (const char* mount : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified", "/sys/fs/cgroup/freezer"})
      out.push_back(std::string(mount) + "/topo/lab-" + lab());
    return out;
  }

  void expect_in_cgroup(const Started& p, const std::string& node, const std::string& leaf) {
    EXPECT_EQ(cgroup_of(p.pid), "/topo/lab-" + lab() + "/node-" + node + "/" + leaf)
        << "process " << p.pid;
  }

  void expect_down_kills(const std::vector<Started>& started) {
    CmdResult down = topo("down " + lab());
    EXPECT_EQ(down.status, 0) << down.output;
    EXPECT_EQ(survivors(started), std::vector<pid_t>{}) << "processes of the lab outlived down";
    for (const std::string& dir : lab_cgroups())
      EXPECT_FALSE(std::filesystem::exists(dir)) << dir << " outlived down";
    expect_nothing_left();
  }

 private:
  std::vector<Started> started_;
};

TEST_F(HostileProcs, DownKillsWhatAnExecLineStartedWithAnEmptyEnvironment) {
  std::string file = lab_file(R"(name: LAB
nodes:
  a:
    exec: ["env -i sleep 1000 >/dev/null 2>&1 & echo $! >> PIDS"]
)");
  CmdResult up = topo("up " + file);
  ASSERT_EQ(up.status, 0) << up.output;
  std::vector<Started> started = track(started_from(pids()));
  ASSERT_EQ(started.size(), 1u);
  expect_in_cgroup(started[0], "a", "commands");
  expect_down_kills(started);
}

TEST_F(HostileProcs, DownKillsWhatAnExecLineMovedToAnotherNetworkNamespace) {
  std::string file = lab_file(R"(name: LAB
nodes:
  a:
    exec: ["unshare -n sleep 1000 >/dev/null 2>&1 & echo $! >> PIDS"]
)");
  CmdResult up = topo("up " + file);
  ASSERT_EQ(up.status, 0) << up.output;
  std::vector<Started> started = track(started_from(pids()));
  ASSERT_EQ(started.size(), 1u);
  // Once unshare has made its namespace and become sleep.
  EXPECT_TRUE(eventually(
      [&] {
        return contains(file_text("/proc/" + std::to_string(started[0].pid) + "/cmdline"),
                        std::string("sleep\0", 6));
      },
      5s));
  expect_in_cgroup(started[0], "a", "commands");
  expect_down_kills(started);
}

TEST_F(HostileProcs, DownKillsEveryChildOfADaemonThatKeepsForking) {
  // It ignores SIGTERM (and so do its children): down waits, then kills, while it forks on.
  std::string file = lab_file(R"(name: LAB
nodes:
  a:
    daemons:
      - name: forker
        cmd: "trap '' TERM; while :; do sleep 1000 >/dev/null 2>&1 & echo $! >> PIDS; sleep 0.01; done"
)");
  CmdResult up = topo("up " + file);
  ASSERT_EQ(up.status, 0) << up.output;
  ASSERT_TRUE(eventually([&] { return started_from(pids()).size() >= 5; }, 10s));
  std::vector<Started> before = track(started_from(pids()));
  expect_in_cgroup(before[0], "a", "daemon-forker");
  expect_down_kills(before);
  // The children forked while down ran: they have the lab's environment.
  std::vector<pid_t> late = live_lab_processes(lab());
  EXPECT_EQ(late, std::vector<pid_t>{}) << "children forked during down outlived it";
  for (pid_t pid : late) kill(pid, SIGKILL);
}

TEST_F(HostileProcs, DownKillsWhatTopoExecAndTopoTestLeftInTheBackground) {
  std::string file = lab_file(R"(name: LAB
nodes:
  a: {}
tests:
  - name: leaves a process
    exec: {node: a, cmd: "env -i sleep 1000 >/dev/null 2>&1 & echo $!"}
)");
  CmdResult up = topo("up " + file);
  ASSERT_EQ(up.status, 0) << up.output;
  CmdResult exec =
      topo("exec " + lab() + " a -- sh -c 'unshare -n sleep 1000 >/dev/null 2>&1 & echo $!'");
  std::ofstream(pids()) << exec.output;
  std::vector<Started> started = track(started_from(pids()));
  ASSERT_EQ(exec.status, 0) << exec.output;
  CmdResult test = topo("test " + lab() + " --json");
  nlohmann::json results = nlohmann::json::parse(test.output, nullptr, false);
  ASSERT_TRUE(results.is_object()) << test.output;
  std::ofstream(pids()) << results["tests"][0]["got"].value("stdout", std::string());
  for (const Started& p : track(started_from(pids()))) started.push_back(p);
  ASSERT_EQ(test.status, 0) << test.output;
  ASSERT_EQ(started.size(), 2u) << exec.output << test.output;
  for (const Started& p : started) expect_in_cgroup(p, "a", "commands");
  expect_down_kills(started);
}

TEST_F(HostileProcs, RestartingADaemonKillsWhatItStartedInASessionOfItsOwn) {
  std::string file = lab_file(R"(name: LAB
nodes:
  a:
    daemons:
      - name: d
        cmd: "setsid sleep 1000 >/dev/null 2>&1 & echo $! >> PIDS; exec sleep 1000"
)");
  CmdResult up = topo("up " + file);
  ASSERT_EQ(up.status, 0) << up.output;
  std::vector<Started> started = track(started_from(pids()));
  ASSERT_EQ(started.size(), 1u);
  expect_in_cgroup(started[0], "a", "daemon-d");
  std::string changed = file_text(file);
  changed.replace(changed.find("exec sleep 1000"), 15, "exec sleep 1001");
  std::ofstream(file) << changed;
  CmdResult restart = topo("up " + file);
  ASSERT_EQ(restart.status, 0) << restart.output;
  EXPECT_EQ(survivors(started), std::vector<pid_t>{}) << "the old daemon's process outlived it";
  std::vector<Started> now = track(started_from(pids()));
  ASSERT_EQ(now.size(), 1u) << "the daemon started again";
  expect_in_cgroup(now[0], "a", "daemon-d");
  expect_down_kills(now);
}

TEST_F(HostileProcs, RemovingANodeKillsWhatItsExecLinesLeftRunning) {
  std::string file = lab_file(R"(name: LAB
nodes:
  a: {}
  b:
    exec: ["env -i sleep 1000 >/dev/null 2>&1 & echo $! >> PIDS"]
)");
  CmdResult up = topo("up " + file);
  ASSERT_EQ(up.status, 0) << up.output;
  std::vector<Started> started = track(started_from(pids()));
  ASSERT_EQ(started.size(), 1u);
  std::ofstream(file) << "name: " << lab() << "\nnodes:\n  a: {}\n";
  CmdResult change = topo("up " + file);
  ASSERT_EQ(change.status, 0) << change.output;
  EXPECT_EQ(survivors(started), std::vector<pid_t>{}) << "a process of node b outlived it";
  for (const std::string& dir : lab_cgroups())
    EXPECT_FALSE(std::filesystem::exists(dir + "/node-b")) << dir << "/node-b outlived the node";
  expect_down_kills({});
}

TEST_F(HostileProcs, StatusShowsADaemonThatForkedIntoTheBackgroundRunningWhileItsChildRuns) {
  // As `zebra -d` does: the first process forks, and exits 0.
  std::string file = lab_file(R"(name: LAB
nodes:
  a:
    daemons:
      - {name: bg, cmd: "sleep 1000 >/dev/null 2>&1 & echo $! > PIDS"}
)");
  CmdResult up = topo("up " + file);
  ASSERT_EQ(up.status, 0) << up.output;
  std::vector<Started> child = track(started_from(pids()));
  ASSERT_EQ(child.size(), 1u);
  auto daemon_state = [&] {
    nlohmann::json st =
        nlohmann::json::parse(topo("status " + lab() + " --json").output, nullptr, false);
    return st.is_object() ? st : nlohmann::json::object();
  };
  nlohmann::json st = daemon_state();
  ASSERT_TRUE(st.contains("nodes")) << st;
  EXPECT_EQ(st["nodes"][0]["daemons"][0]["running"], true) << st;
  EXPECT_EQ(st["drift"], nlohmann::json::array()) << st;
  CmdResult plan = topo("plan " + file);
  EXPECT_EQ(plan.status, 0) << "nothing to restart: " << plan.output;

  ASSERT_TRUE(still_runs(child[0]));
  kill(child[0].pid, SIGKILL);
  EXPECT_TRUE(eventually(
      [&] { return daemon_state()["nodes"][0]["daemons"][0]["running"] == false; }, 10s));
  st = daemon_state();
  EXPECT_TRUE(contains(st["drift"].dump(), "daemon bg on node a")) << st;
  expect_down_kills(child);
}

TEST_F(HostileProcs, DownThatCannotRemoveACgroupFailsAndKeepsTheJournalForAnotherDown) {
  std::string file = lab_file(R"(name: LAB
nodes:
  a:
    exec: ["sleep 1000 >/dev/null 2>&1 & echo $! >> PIDS"]
)");
  CmdResult up = topo("up " + file);
  ASSERT_EQ(up.status, 0) << up.output;
  std::vector<Started> started = track(started_from(pids()));
  ASSERT_EQ(started.size(), 1u);
  std::string commands;
  for (const char* mount : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified", "/sys/fs/cgroup/freezer"})
    if (std::string dir = mount + cgroup_of(started[0].pid); std::filesystem::exists(dir))
      commands = dir;
  ASSERT_FALSE(commands.empty()) << cgroup_of(started[0].pid);
  // A directory mounted over the node's cgroup: it cannot be removed.
  std::string cover = dir() + "/cover";
  ASSERT_EQ(mkdir(cover.c_str(), 0755), 0);
  ASSERT_EQ(mount(cover.c_str(), commands.c_str(), nullptr, MS_BIND, nullptr), 0)
      << strerror(errno);
  struct Unmount {
    std::string path;
    ~Unmount() { umount2(path.c_str(), MNT_DETACH); }
  } unmount{commands};

  CmdResult down = topo("down " + lab());
  EXPECT_EQ(down.status, 1) << down.output;
  EXPECT_TRUE(contains(down.output, "cannot remove cgroup " + commands)) << down.output;
  EXPECT_TRUE(contains(down.output, "run `topo down " + lab() + "` again")) << down.output;
  EXPECT_EQ(survivors(started), std::vector<pid_t>{}) << "its processes were killed all the same";
  EXPECT_TRUE(std::filesystem::exists("/run/topo/" + lab() + "/state/journal"));

  ASSERT_EQ(umount2(commands.c_str(), MNT_DETACH), 0) << strerror(errno);
  expect_down_kills(started);
}

// A lab started by a topo older than its cgroups: its processes are where that topo left them.
TEST_F(HostileProcs, DownOfALabStartedBeforeCgroupsStopsItsProcessesAsBefore) {
  const std::optional<cgroup::Hierarchy>& h = cgroup::hierarchy();
  if (!h) GTEST_SKIP() << "no cgroup hierarchy";
  std::string file = lab_file(R"(name: LAB
nodes:
  a:
    exec: ["sleep 1000 >/dev/null 2>&1 & echo $! >> PIDS"]
    daemons:
      - {name: d, cmd: "echo $$ >> PIDS; exec sleep 1000"}
)");
  CmdResult up = topo("up " + file);
  ASSERT_EQ(up.status, 0) << up.output;
  std::vector<Started> started = track(started_from(pids()));
  ASSERT_EQ(started.size(), 2u);
  // Out of the lab's cgroups, which are removed: as the older topo left them.
  for (const Started& p : started) std::ofstream(h->mount + "/cgroup.procs") << p.pid << std::endl;
  std::optional<cgroup::Cgroup> group = cgroup::lab_cgroup(lab());
  ASSERT_TRUE(group);
  EXPECT_NO_THROW(group->remove());
  nlohmann::json st =
      nlohmann::json::parse(topo("status " + lab() + " --json").output, nullptr, false);
  EXPECT_EQ(st["nodes"][0]["daemons"][0]["running"], true) << st;
  expect_down_kills(started);
}

// A machine without cgroup v2 uses v1's freezer: a tree that forks on is frozen, then killed.
TEST_F(HostileProcs, TheV1FreezerKillsATreeThatKeepsForking) {
  std::istringstream lines(file_text("/proc/self/mountinfo"));
  std::string without_v2;
  for (std::string line; std::getline(lines, line);)
    if (!contains(line, " - cgroup2 ")) without_v2 += line + "\n";
  std::optional<cgroup::Hierarchy> v1 = cgroup::hierarchy_in_mountinfo(without_v2);
  if (!v1) GTEST_SKIP() << "no cgroup v1 freezer hierarchy is mounted";
  cgroup::Cgroup group{*v1, v1->mount + "/topo/lab-" + lab()};
  cgroup::Cgroup commands = group.child("node-a").child("commands");
  cgroup::Placement placement;
  ASSERT_NO_THROW(commands.open_placement(placement));
  EXPECT_FALSE(placement.dir.valid()) << "v1 has no CLONE_INTO_CGROUP: the child moves itself";
  bool joined;
  pid_t shell = cgroup::fork_into(placement, joined);
  if (shell == 0) {
    if (!joined) _exit(127);
    execl("/bin/sh", "sh", "-c", "trap '' TERM; while :; do sleep 1000 & sleep 0.01; done",
          nullptr);
    _exit(127);
  }
  placement = {};
  ASSERT_TRUE(eventually([&] { return commands.processes().size() >= 10; }, 10s));
  std::vector<Started> started;
  for (pid_t pid : commands.processes())
    if (std::optional<std::string> start = start_time(pid)) started.push_back({pid, *start});
  track(started);

  EXPECT_EQ(stop_processes({group}, {}, std::chrono::milliseconds(50)), std::vector<std::string>{});
  EXPECT_EQ(wait_for(shell), 128 + SIGKILL);
  EXPECT_EQ(survivors(started), std::vector<pid_t>{});
  EXPECT_FALSE(group.exists()) << "it was removed, and so empty: no child forked later is left";
  rmdir((v1->mount + "/topo").c_str());  // fails, harmlessly, while another lab uses it
}

}  // namespace
}  // namespace topo::testing
