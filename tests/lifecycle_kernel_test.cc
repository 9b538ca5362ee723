// `topo node LAB NODE stop|start|restart|pause|resume` on real namespaces, as a user would run
// it: up, change a node, look with ip(8) and /proc, put it back, down.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <string>

#include "tests/lab_fixture.h"

namespace topo::testing {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

// h1 - r1 - h2, r1 with a static route, two daemons and two exec: lines that leave a trace in
// its directory, in order.
const char* kLab = R"(name: LAB
nodes:
  r1:
    kind: router
    routes: [10.9.0.0/16 via 10.2.0.2]
    exec:
      - echo exec1 >> $TOPO_NODE_DIR/order
      - echo exec2 >> $TOPO_NODE_DIR/order
    daemons:
      - {name: d1, cmd: "echo d1 >> $TOPO_NODE_DIR/order; exec sleep 1000"}
      - {name: d2, cmd: "while :; do echo tick >> $TOPO_NODE_DIR/ticks; sleep 0.01; done"}
  h1:
    routes: [default via 10.1.0.1]
  h2:
    routes: [default via 10.2.0.1]
    daemons: [{name: d3, cmd: sleep 1000}]
  sw: {kind: bridge}
  h3: {}
links:
  - endpoints: [h1:eth0, r1:eth1]
    addresses: [10.1.0.2/30, 10.1.0.1/30]
  - endpoints: [r1:eth2, h2:eth0]
    addresses: [10.2.0.1/30, 10.2.0.2/30]
  - endpoints: [sw:p1, h3:eth0]
tests:
  - name: r1 runs commands
    exec: {node: r1, cmd: "true"}
)";

class NodeLifecycle : public LabTest {
 protected:
  std::string node_dir(const std::string& node) const {
    return "/run/topo/" + lab() + "/nodes/" + node;
  }
  json status() {
    CmdResult r = topo("status " + lab() + " --json");
    EXPECT_EQ(r.status, 0) << r.output;
    return json::parse(r.output, nullptr, false);
  }
  json node_status(const std::string& node) {
    json st = status();  // kept: a range-for over status()["nodes"] would outlive it
    for (const json& n : st["nodes"])
      if (n["name"] == node) return n;
    return json();
  }
  std::string state_of(const std::string& node) { return node_status(node).value("state", "?"); }
  // Each daemon of a node: its pid, as status has it.
  std::map<std::string, int64_t> daemon_pids(const std::string& node) {
    std::map<std::string, int64_t> pids;
    json n = node_status(node);
    for (const json& d : n["daemons"])
      if (d.value("running", false)) pids[d["name"]] = d["pid"];
    return pids;
  }
  // Each interface of a node: name -> ifindex.
  std::map<std::string, int> ifindexes(const std::string& node) {
    std::map<std::string, int> out;
    json links = ip_json("ip -j -n " + netns(node) + " link show");
    for (const json& l : links) out[l["ifname"]] = l["ifindex"];
    return out;
  }
  ino_t netns_inode(const std::string& node) {
    struct stat st {};
    stat(("/run/netns/" + netns(node)).c_str(), &st);
    return st.st_ino;
  }
  json link(const std::string& node, const std::string& iface) {
    return ip_json("ip -j -n " + netns(node) + " link show " + iface)[0];
  }
  bool has_route(const std::string& node, const std::string& prefix) {
    return contains(run("ip -n " + netns(node) + " route show " + prefix).output, prefix);
  }
  bool pings(const std::string& from, const std::string& to) {
    return run("ip netns exec " + netns(from) + " ping -c1 -W1 " + to).status == 0;
  }
  // A process that exists and is not a zombie (whose parent, gone, left it to an init that may
  // be slow to reap it).
  static bool alive(pid_t pid) {
    std::string stat = file_text("/proc/" + std::to_string(pid) + "/stat");
    size_t paren = stat.rfind(')');
    return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
  }
  // The freezer of the cgroup a process is in says it is frozen.
  static bool frozen(pid_t pid) {
    std::string cgroup = file_text("/proc/" + std::to_string(pid) + "/cgroup");
    size_t at = cgroup.find("0::");
    if (at == std::string::npos) return false;
    std::string path = cgroup.substr(at + 3, cgroup.find('\n', at) - at - 3);
    return contains(file_text("/sys/fs/cgroup/unified" + path + "/cgroup.events"), "frozen 1");
  }
};

TEST_F(NodeLifecycle, StopKeepsNamespaceAndIfindexesAndStartBringsRoutesBack) {
  CmdResult up = topo("up " + write_lab(kLab));
  ASSERT_EQ(up.status, 0) << up.output;
  ASSERT_TRUE(eventually([&] { return pings("h1", "10.2.0.2"); }, 10s));
  std::map<std::string, int> indexes = ifindexes("r1");
  ino_t inode = netns_inode("r1");
  ASSERT_TRUE(has_route("r1", "10.9.0.0/16"));

  CmdResult stop = topo("node " + lab() + " r1 stop");
  ASSERT_EQ(stop.status, 0) << stop.output;
  EXPECT_TRUE(contains(stop.output, "node r1 of lab " + lab() + " is stopped")) << stop.output;
  EXPECT_EQ(netns_inode("r1"), inode);
  EXPECT_EQ(ifindexes("r1"), indexes);
  for (const char* iface : {"eth1", "eth2"}) {
    json l = link("r1", iface);
    EXPECT_FALSE(contains(l["flags"].dump(), "\"UP\"")) << l;
    EXPECT_TRUE(contains(ip_json("ip -j -n " + netns("r1") + " addr show " + iface).dump(), "10."))
        << "its IPv4 address is kept";
  }
  EXPECT_TRUE(contains(link("r1", "lo")["flags"].dump(), "\"UP\"")) << "lo stays up";
  // Every peer sees its carrier go, as when a router dies.
  for (const auto& [node, iface] : {std::pair{"h1", "eth0"}, std::pair{"h2", "eth0"}}) {
    json peer = link(node, iface);
    EXPECT_TRUE(contains(peer["flags"].dump(), "NO-CARRIER")) << peer;
    EXPECT_TRUE(peer["operstate"] == "LOWERLAYERDOWN" || peer["operstate"] == "DOWN") << peer;
  }
  EXPECT_FALSE(has_route("r1", "10.9.0.0/16")) << "the kernel removes it with the interface";
  EXPECT_EQ(state_of("r1"), "stopped");
  EXPECT_EQ(state_of("h1"), "running");
  EXPECT_FALSE(pings("h1", "10.2.0.2"));
  EXPECT_TRUE(contains(topo("status " + lab()).output, "r1  router  stopped"));

  CmdResult start = topo("node " + lab() + " r1 start");
  ASSERT_EQ(start.status, 0) << start.output;
  EXPECT_EQ(netns_inode("r1"), inode);
  EXPECT_EQ(ifindexes("r1"), indexes);
  EXPECT_TRUE(has_route("r1", "10.9.0.0/16"));
  EXPECT_TRUE(contains(link("r1", "eth1")["flags"].dump(), "\"UP\""));
  EXPECT_EQ(state_of("r1"), "running");
  EXPECT_TRUE(eventually([&] { return pings("h1", "10.2.0.2"); }, 10s));
  CmdResult plan = topo("plan " + dir() + "/lab.yaml");
  EXPECT_EQ(plan.status, 0) << plan.output;
}

// A scenario may have set a link of another node down on purpose: starting a node leaves that
// alone, and puts the node's own ends as the file says, forgetting their `topo link` state.
TEST_F(NodeLifecycle, StartSetsItsOwnEndsAsTheFileSaysAndLeavesOtherNodesAlone) {
  std::string file = write_lab(kLab);
  ASSERT_EQ(topo("up " + file).status, 0);
  ASSERT_EQ(topo("link " + lab() + " h2:eth0 down").status, 0);
  ASSERT_EQ(topo("link " + lab() + " r1:eth1 down").status, 0);
  std::string journal = "/run/topo/" + lab() + "/state/journal";
  ASSERT_TRUE(journal_has(journal, "link-state", "r1:eth1"));
  ASSERT_EQ(topo("node " + lab() + " r1 restart").status, 0);
  EXPECT_TRUE(contains(link("r1", "eth1")["flags"].dump(), "\"UP\""));
  EXPECT_FALSE(contains(link("h2", "eth0")["flags"].dump(), "\"UP\"")) << "h2's drift is kept";
  EXPECT_FALSE(journal_has(journal, "link-state", "r1:eth1"));
  EXPECT_TRUE(journal_has(journal, "link-state", "h2:eth0"));
  CmdResult plan = topo("plan " + file);
  // h2's drift (its end, and the route the kernel removed with it), and nothing of r1.
  EXPECT_TRUE(contains(plan.output, "! interface h2:eth0: down -> up")) << plan.output;
  EXPECT_FALSE(contains(plan.output, "r1")) << plan.output;
}

TEST_F(NodeLifecycle, StopEndsEveryProcessAndStartRunsExecAndDaemonsAgainInOrder) {
  ASSERT_EQ(topo("up " + write_lab(kLab)).status, 0);
  std::string order = node_dir("r1") + "/order";
  ASSERT_TRUE(eventually([&] { return file_text(order) == "exec1\nexec2\nd1\n"; }, 5s))
      << file_text(order);
  std::map<std::string, int64_t> before = daemon_pids("r1");
  ASSERT_EQ(before.size(), 2u);
  // What `topo exec` leaves running is the node's too.
  ASSERT_EQ(topo("exec " + lab() + " r1 -- sh -c 'sleep 1000 > /dev/null 2>&1 &'").status, 0);
  ASSERT_FALSE(run("ip netns pids " + netns("r1")).output.empty());

  ASSERT_EQ(topo("node " + lab() + " r1 stop").status, 0);
  EXPECT_EQ(run("ip netns pids " + netns("r1")).output, "") << "every process of r1 ended";
  for (const auto& [name, pid] : before) EXPECT_FALSE(alive(pid_t(pid))) << name;
  EXPECT_EQ(daemon_pids("r1").size(), 0u);
  EXPECT_EQ(daemon_pids("h2").size(), 1u) << "another node's daemon runs on";

  ASSERT_EQ(topo("node " + lab() + " r1 start").status, 0);
  EXPECT_TRUE(
      eventually([&] { return file_text(order) == "exec1\nexec2\nd1\nexec1\nexec2\nd1\n"; }, 5s))
      << file_text(order);
  std::map<std::string, int64_t> after = daemon_pids("r1");
  ASSERT_EQ(after.size(), 2u);
  for (const auto& [name, pid] : after) EXPECT_NE(pid, before[name]) << name << " started again";
  EXPECT_LT(after["d1"], after["d2"]) << "in the file's order";

  // restart: the same, in one verb.
  ASSERT_EQ(topo("node " + lab() + " r1 restart").status, 0);
  std::map<std::string, int64_t> again = daemon_pids("r1");
  EXPECT_EQ(again.size(), 2u);
  for (const auto& [name, pid] : again) EXPECT_NE(pid, after[name]) << name;
  EXPECT_EQ(state_of("r1"), "running");
}

TEST_F(NodeLifecycle, PauseFreezesEveryProcessKeepsCarrierAndResumeContinues) {
  ASSERT_EQ(topo("up " + write_lab(kLab)).status, 0);
  std::string ticks = node_dir("r1") + "/ticks";
  ASSERT_TRUE(eventually([&] { return !file_text(ticks).empty(); }, 5s));
  std::map<std::string, int64_t> pids = daemon_pids("r1");

  CmdResult pause = topo("node " + lab() + " r1 pause");
  ASSERT_EQ(pause.status, 0) << pause.output;
  for (const auto& [name, pid] : pids) EXPECT_TRUE(frozen(pid_t(pid))) << name;
  EXPECT_EQ(state_of("r1"), "paused");
  size_t seen = file_text(ticks).size();
  EXPECT_FALSE(eventually([&] { return file_text(ticks).size() != seen; }, 200ms))
      << "a paused daemon does nothing";
  // Its links stay up: the kernel still forwards and answers.
  EXPECT_FALSE(contains(link("h1", "eth0")["flags"].dump(), "NO-CARRIER"));
  EXPECT_TRUE(pings("h1", "10.2.0.2"));
  // Commands into it are refused, not left hanging.
  for (const std::string& verb :
       {"exec " + lab() + " r1 -- true", "ping " + lab(), "test " + lab()}) {
    CmdResult r = topo(verb);
    EXPECT_EQ(r.status, 1) << verb << "\n" << r.output;
    EXPECT_TRUE(contains(r.output, "node r1 of lab " + lab() + " is paused")) << r.output;
    EXPECT_TRUE(contains(r.output, "`topo node " + lab() + " r1 resume`")) << r.output;
  }

  CmdResult resume = topo("node " + lab() + " r1 resume");
  ASSERT_EQ(resume.status, 0) << resume.output;
  for (const auto& [name, pid] : pids) EXPECT_FALSE(frozen(pid_t(pid))) << name;
  EXPECT_EQ(daemon_pids("r1"), pids) << "the same processes, continued";
  EXPECT_TRUE(eventually([&] { return file_text(ticks).size() != seen; }, 5s));
  EXPECT_EQ(topo("exec " + lab() + " r1 -- true").status, 0);
  EXPECT_EQ(state_of("r1"), "running");
}

TEST_F(NodeLifecycle, PlanShowsAStoppedOrPausedNodeAsOneLineAndUpPutsItBack) {
  std::string file = write_lab(kLab);
  ASSERT_EQ(topo("up " + file).status, 0);
  ASSERT_EQ(topo("node " + lab() + " r1 stop").status, 0);
  ASSERT_EQ(topo("node " + lab() + " h2 pause").status, 0);
  CmdResult plan = topo("plan " + file);
  EXPECT_EQ(plan.status, 3) << plan.output;
  EXPECT_EQ(plan.output,
            "! node r1: stopped (`topo node`): started again\n"
            "! node h2: paused (`topo node`): resumed\n");
  CmdResult up = topo("up " + file);
  EXPECT_EQ(up.status, 0) << up.output;
  EXPECT_EQ(state_of("r1"), "running");
  EXPECT_EQ(state_of("h2"), "running");
  EXPECT_EQ(daemon_pids("r1").size(), 2u);
  EXPECT_TRUE(has_route("r1", "10.9.0.0/16"));
  EXPECT_TRUE(eventually([&] { return pings("h1", "10.2.0.2"); }, 10s));
  CmdResult again = topo("plan " + file);
  EXPECT_EQ(again.status, 0) << again.output;
}

TEST_F(NodeLifecycle, DownOfALabWithAPausedNodeLeavesNothing) {
  ASSERT_EQ(topo("up " + write_lab(kLab)).status, 0);
  ASSERT_EQ(topo("node " + lab() + " r1 pause").status, 0);
  ASSERT_EQ(topo("node " + lab() + " h2 stop").status, 0);
  CmdResult down = topo("down " + lab());
  EXPECT_EQ(down.status, 0) << down.output;
  EXPECT_EQ(live_lab_processes(lab()), std::vector<pid_t>{});
  expect_nothing_left();
}

TEST_F(NodeLifecycle, ABridgeNodeStopsAndStartsItsPorts) {
  ASSERT_EQ(topo("up " + write_lab(kLab)).status, 0);
  ASSERT_EQ(topo("node " + lab() + " sw stop").status, 0);
  EXPECT_TRUE(contains(link("h3", "eth0")["flags"].dump(), "NO-CARRIER"));
  ASSERT_EQ(topo("node " + lab() + " sw start").status, 0);
  EXPECT_TRUE(
      eventually([&] { return !contains(link("h3", "eth0")["flags"].dump(), "NO-CARRIER"); }, 5s));
  EXPECT_EQ(topo("plan " + dir() + "/lab.yaml").status, 0);
}

// A hung router: its links stay up, its hellos stop, and its neighbour's OSPF declares it down
// (dead interval 3 s); resumed, the adjacency comes back. A router stopped and started again runs
// new daemons that learn the routes again.
TEST_F(NodeLifecycle, PausedFrrRouterIsDeclaredDownByItsNeighbourAndComesBack) {
  if (access("/usr/lib/frr/zebra", X_OK) != 0)
    GTEST_SKIP() << "FRR is not installed (Debian package frr)";
  CmdResult up = topo("up " + example("frr-ospf.yaml"));
  ASSERT_EQ(up.status, 0) << up.output;
  auto r1_learned_r2 = [&] {
    return contains(run("ip -n " + netns("r1") + " route show 10.0.0.2 proto ospf").output,
                    "10.0.0.2");
  };
  ASSERT_TRUE(eventually(r1_learned_r2, 60s));
  ASSERT_EQ(topo("node " + lab() + " r2 pause").status, 0);
  EXPECT_TRUE(eventually([&] { return !r1_learned_r2(); }, 30s))
      << "r1's OSPF declared r2 down when its hellos stopped";
  EXPECT_FALSE(contains(link("r1", "eth1")["flags"].dump(), "NO-CARRIER")) << "carrier stayed";
  ASSERT_EQ(topo("node " + lab() + " r2 resume").status, 0);
  EXPECT_TRUE(eventually(r1_learned_r2, 60s));

  std::map<std::string, int64_t> before = daemon_pids("r2");
  ASSERT_EQ(topo("node " + lab() + " r2 stop").status, 0);
  EXPECT_TRUE(eventually([&] { return !r1_learned_r2(); }, 30s));
  CmdResult start = topo("node " + lab() + " r2 start");
  ASSERT_EQ(start.status, 0) << start.output;
  std::map<std::string, int64_t> after = daemon_pids("r2");
  EXPECT_EQ(after.size(), 1u);  // frr: FRR's init, and the daemons watchfrr starts
  for (const auto& [name, pid] : after) EXPECT_NE(pid, before[name]) << name;
  EXPECT_TRUE(eventually(r1_learned_r2, 60s));
}

// Each mistake: its message and exit status, and nothing changed.
TEST_F(NodeLifecycle, Mistakes) {
  CmdResult not_running = topo("node " + lab() + " r1 stop");
  EXPECT_EQ(not_running.status, 1);
  EXPECT_TRUE(contains(not_running.output, "lab " + lab() + " is not running"))
      << not_running.output;
  ASSERT_EQ(topo("up " + write_lab(kLab)).status, 0);
  std::map<std::string, int64_t> pids = daemon_pids("r1");
  struct Case {
    std::string args;
    int status;
    std::string says;
  };
  const std::string l = lab();
  const std::vector<Case> cases = {
      {l + " r2 stop", 2, "lab " + l + " has no node `r2` (did you mean `r1`?)"},
      {l + " host stop", 2, "`host` is the machine's own network namespace"},
      {l + " _lan1 stop", 2, "has no node `_lan1`"},
      {l + " r1 reboot", 2, "ACTION: reboot not in {stop,start,restart,pause,resume}"},
      {l + " r1 start", 1,
       "node r1 of lab " + l + " is running: `topo node " + l +
           " r1 restart` stops and starts it: nothing was changed"},
      {l + " r1 resume", 1, "node r1 of lab " + l + " is not paused: it is running"},
      {l + " sw pause", 2, "node sw of lab " + l + " is a bridge"},
  };
  for (const Case& c : cases) {
    CmdResult r = topo("node " + c.args);
    EXPECT_EQ(r.status, c.status) << c.args << "\n" << r.output;
    EXPECT_TRUE(contains(r.output, c.says)) << c.args << "\n" << r.output;
  }
  EXPECT_EQ(daemon_pids("r1"), pids) << "nothing was changed";
  ASSERT_EQ(topo("node " + l + " r1 stop").status, 0);
  for (const Case& c : std::vector<Case>{
           {l + " r1 stop", 1, "node r1 of lab " + l + " is stopped already: nothing was changed"},
           {l + " r1 pause", 1, "is stopped: it has no process to pause"},
           {l + " r1 resume", 1, "is stopped, not paused: `topo node " + l + " r1 start`"},
       }) {
    CmdResult r = topo("node " + c.args);
    EXPECT_EQ(r.status, c.status) << c.args << "\n" << r.output;
    EXPECT_TRUE(contains(r.output, c.says)) << c.args << "\n" << r.output;
  }
  EXPECT_EQ(state_of("r1"), "stopped");
  ASSERT_EQ(topo("node " + l + " h2 pause").status, 0);
  for (const Case& c : std::vector<Case>{
           {l + " h2 pause", 1, "node h2 of lab " + l + " is paused already"},
           {l + " h2 start", 1, "is paused: `topo node " + l + " h2 resume` continues it"},
       }) {
    CmdResult r = topo("node " + c.args);
    EXPECT_EQ(r.status, c.status) << c.args << "\n" << r.output;
    EXPECT_TRUE(contains(r.output, c.says)) << c.args << "\n" << r.output;
  }
  EXPECT_EQ(state_of("h2"), "paused");
}

}  // namespace
}  // namespace topo::testing
