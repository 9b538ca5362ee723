// Integration tests: real namespaces, real veths, checked with ip(8) as a user would.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tests/lab_fixture.h"

namespace topo::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

using Up = LabTest;

TEST_F(Up, TriangleExampleRoutesEveryLoopbackToEveryOther) {
  std::string file = example("triangle.yaml");
  CmdResult up = topo("up " + file);
  ASSERT_EQ(up.status, 0) << up.output;
  EXPECT_TRUE(contains(up.output, "is up: 3 nodes, 3 links")) << up.output;
  EXPECT_EQ(netns_with_prefix(prefix()),
            (std::vector<std::string>{netns("r1"), netns("r2"), netns("r3")}));
  CmdResult list = run("ip netns list");
  EXPECT_TRUE(contains(list.output, netns("r1"))) << list.output;
  for (auto [from, to] : {std::pair{"r1", "10.0.0.3"}, {"r2", "10.0.0.1"}, {"r3", "10.0.0.2"}}) {
    CmdResult ping = in_node(from, fmt::format("ping -c1 -W2 -I 10.0.0.{} {}", from[1] - '0', to));
    EXPECT_EQ(ping.status, 0) << from << " -> " << to << ": " << ping.output;
  }
  CmdResult down = topo("down " + lab());
  EXPECT_EQ(down.status, 0) << down.output;
  EXPECT_TRUE(contains(down.output, "3 namespaces removed")) << down.output;
  expect_nothing_left();
}

TEST_F(Up, TwoHostsExamplePingOverIpv4AndIpv6) {
  ASSERT_EQ(topo("up " + example("two-hosts.yaml")).status, 0);
  EXPECT_EQ(in_node("h1", "ping -c1 -W2 192.168.50.2").status, 0);
  CmdResult v6 = in_node("h1", "ping -6 -c1 -W2 fd00:50::2");
  EXPECT_EQ(v6.status, 0) << v6.output;
  EXPECT_EQ(topo("down " + lab()).status, 0);
  expect_nothing_left();
}

TEST_F(Up, MtuMacStateAndForwardingAreWhatTheFileSays) {
  std::string file = write_lab(R"(name: LAB
nodes:
  r: {kind: router}
  h: {}
  g: {}
links:
  - endpoints:
      - {node: r, iface: big0, mac: "02:aa:bb:cc:dd:01", addresses: [10.3.0.1/24]}
      - {node: h, iface: big0, addresses: [10.3.0.2/24]}
    mtu: 9000
  - endpoints: [r:off0, g:off0]
    state: down
)");
  CmdResult up = topo("up " + file);
  ASSERT_EQ(up.status, 0) << up.output;
  json r = ip_json("ip -j -n " + netns("r") + " link show big0");
  ASSERT_TRUE(r.is_array() && r.size() == 1) << r;
  EXPECT_EQ(r[0]["mtu"], 9000);
  EXPECT_EQ(r[0]["address"], "02:aa:bb:cc:dd:01");
  EXPECT_EQ(r[0]["operstate"], "UP");
  json h = ip_json("ip -j -n " + netns("h") + " link show big0");
  EXPECT_EQ(h[0]["mtu"], 9000);
  EXPECT_EQ(h[0]["operstate"], "UP");
  // A MAC not given is topo's deterministic one: locally administered, unicast.
  std::string mac = h[0]["address"];
  EXPECT_EQ(mac.substr(0, 3), "02:");
  json off = ip_json("ip -j -n " + netns("g") + " link show off0");
  EXPECT_EQ(off[0]["operstate"], "DOWN");
  EXPECT_EQ(in_node("r", "cat /proc/sys/net/ipv4/ip_forward").output, "1\n");
  EXPECT_EQ(in_node("r", "cat /proc/sys/net/ipv6/conf/all/forwarding").output, "1\n");
  EXPECT_EQ(in_node("h", "cat /proc/sys/net/ipv4/ip_forward").output, "0\n");
  EXPECT_EQ(in_node("h", "ping -c1 -W2 -M do -s 8972 10.3.0.1").status, 0);
}

TEST_F(Up, EcmpAndDeviceRoutesAreInTheKernel) {
  std::string file = write_lab(R"(name: LAB
nodes:
  a:
    sysctls: {net.ipv4.conf.all.rp_filter: 0}
    routes:
      - {dst: 10.8.0.0/16, via: [10.1.0.2, 10.2.0.2]}
      - {dst: 192.0.2.0/24, dev: e2}
      - default via 10.1.0.2
  b: {}
  c: {}
links:
  - endpoints: [a:e1, b:e1]
    addresses: [10.1.0.1/30, 10.1.0.2/30]
  - endpoints: [a:e2, c:e1]
    addresses: [10.2.0.1/30, 10.2.0.2/30]
)");
  CmdResult up = topo("up " + file);
  ASSERT_EQ(up.status, 0) << up.output;
  json ecmp = ip_json("ip -j -n " + netns("a") + " route show 10.8.0.0/16");
  ASSERT_EQ(ecmp.size(), 1u) << ecmp;
  ASSERT_TRUE(ecmp[0].contains("nexthops")) << ecmp;
  EXPECT_EQ(ecmp[0]["nexthops"].size(), 2u);
  EXPECT_EQ(ecmp[0]["protocol"], "static");
  json dev = ip_json("ip -j -n " + netns("a") + " route show 192.0.2.0/24");
  ASSERT_EQ(dev.size(), 1u);
  EXPECT_EQ(dev[0]["dev"], "e2");
  EXPECT_EQ(dev[0]["scope"], "link");
  json def = ip_json("ip -j -n " + netns("a") + " route show default");
  ASSERT_EQ(def.size(), 1u);
  EXPECT_EQ(def[0]["gateway"], "10.1.0.2");
  EXPECT_EQ(in_node("a", "cat /proc/sys/net/ipv4/conf/all/rp_filter").output, "0\n");
}

TEST_F(Up, UnchangedFileIsANoOpAndSoIsAnEditThatChangesNothing) {
  std::string file = example("two-hosts.yaml");
  ASSERT_EQ(topo("up " + file).status, 0);
  std::string inode_before = run("stat -L -c %i /run/netns/" + netns("h1")).output;
  CmdResult again = topo("up " + file);
  EXPECT_EQ(again.status, 0) << again.output;
  EXPECT_TRUE(contains(again.output, "nothing to do")) << again.output;
  EXPECT_EQ(run("stat -L -c %i /run/netns/" + netns("h1")).output, inode_before);
  std::ofstream(file, std::ios::app) << "# an edit\n";
  CmdResult changed = topo("up " + file);
  EXPECT_EQ(changed.status, 0) << changed.output;
  EXPECT_TRUE(contains(changed.output, "nothing to do")) << changed.output;
  EXPECT_EQ(run("stat -L -c %i /run/netns/" + netns("h1")).output, inode_before);
  // The lab now runs from the edited file.
  EXPECT_EQ(file_text("/run/topo/" + lab() + "/state/topology.yaml"), file_text(file));
  // down by file as well as by name
  EXPECT_EQ(topo("down " + file).status, 0);
  expect_nothing_left();
}

// --name: the file brought up as this test's lab, beside the file's own, whatever the file's
// name and prefix; the verbs that read the lab's stored copy read it as that lab.
TEST_F(Up, ANameGivenMakesAnotherInstanceOfTheFilesLab) {
  std::string file = write_lab(R"(name: file-own-name
prefix: fixed-
nodes: {a: {}, b: {}}
links:
  - endpoints: [a:eth1, b:eth1]
    addresses: [10.1.0.1/30, 10.1.0.2/30]
tests:
  - name: a reaches b
    ping: {from: a, to: b}
scenarios:
  flap: [{down: "a:eth1"}, {up: "a:eth1"}]
)");
  CmdResult up = topo("up " + file + " --name " + lab());
  ASSERT_EQ(up.status, 0) << up.output;
  EXPECT_EQ(netns_with_prefix(prefix()), (std::vector<std::string>{netns("a"), netns("b")}));
  EXPECT_TRUE(netns_with_prefix("fixed-").empty());
  EXPECT_FALSE(std::filesystem::exists("/run/topo/file-own-name"));
  CmdResult stored = topo("test " + lab());
  EXPECT_EQ(stored.status, 0) << stored.output;
  CmdResult given = topo("test " + file + " --name " + lab());
  EXPECT_EQ(given.status, 0) << given.output;
  CmdResult run = topo("run " + lab() + " flap");  // and put back as the stored copy says
  EXPECT_EQ(run.status, 0) << run.output;
  CmdResult plan = topo("plan " + file + " --name " + lab());
  EXPECT_EQ(plan.status, 0) << plan.output;
  EXPECT_TRUE(contains(plan.output, "no changes")) << plan.output;
  EXPECT_EQ(topo("down " + lab()).status, 0);
  expect_nothing_left();
}

TEST_F(Up, DownOfALabThatIsNotRunningSaysSoAndCreatesNothing) {
  CmdResult down = topo("down " + lab());
  EXPECT_EQ(down.status, 0) << down.output;
  EXPECT_TRUE(contains(down.output, "lab " + lab() + " is not running")) << down.output;
  expect_nothing_left();
}

TEST_F(Up, AKernelFailureRollsBackEverythingAndNamesWhatFailed) {
  std::string file = write_lab(R"(name: LAB
nodes:
  a: {}
  b: {sysctls: {net.ipv4.no_such_knob: 1}}
links:
  - endpoints: [a:e0, b:e0]
    addresses: [10.1.0.1/30, 10.1.0.2/30]
)");
  CmdResult up = topo("up " + file);
  EXPECT_EQ(up.status, 1) << up.output;
  EXPECT_TRUE(contains(up.output, "set sysctl net.ipv4.no_such_knob=1 in netns " + netns("b") +
                                      ": No such file or directory"))
      << up.output;
  EXPECT_TRUE(contains(up.output, "rolled back")) << up.output;
  expect_nothing_left();
}

TEST_F(Up, KeepOnFailureKeepsWhatWasMadeForDownToRemove) {
  std::string file = write_lab(R"(name: LAB
nodes:
  a: {sysctls: {net.ipv4.no_such_knob: 1}}
  b: {}
links:
  - endpoints: [a:e0, b:e0]
)");
  CmdResult up = topo("up --keep-on-failure " + file);
  EXPECT_EQ(up.status, 1) << up.output;
  EXPECT_TRUE(contains(up.output, "kept what was created")) << up.output;
  EXPECT_EQ(netns_with_prefix(prefix()).size(), 2u);
  // The journal says the up did not finish: a second up refuses, and so does plan; down cleans.
  for (const char* verb : {"up ", "plan "}) {
    CmdResult again = topo(verb + file);
    EXPECT_EQ(again.status, 1);
    EXPECT_TRUE(contains(again.output, "did not finish")) << again.output;
  }
  EXPECT_EQ(netns_with_prefix(prefix()).size(), 2u);
  EXPECT_EQ(topo("down " + lab()).status, 0);
  expect_nothing_left();
}

TEST_F(Up, ANamespaceThatExistsAlreadyIsRefusedAndLeftAlone) {
  std::string foreign = netns("b");
  ASSERT_EQ(run("ip netns add " + foreign).status, 0);
  std::string file = write_lab(
      "name: LAB\nnodes: {a: {}, b: {}}\nlinks:\n"
      "  - endpoints: [a:e0, b:e0]\n");
  CmdResult up = topo("up " + file);
  EXPECT_EQ(up.status, 1) << up.output;
  EXPECT_TRUE(contains(up.output, "netns " + foreign + " already exists")) << up.output;
  EXPECT_EQ(netns_with_prefix(prefix()), std::vector<std::string>{foreign});
  EXPECT_FALSE(std::filesystem::exists("/run/topo/" + lab()));
  EXPECT_EQ(topo("down " + lab()).status, 0);
  EXPECT_EQ(netns_with_prefix(prefix()), std::vector<std::string>{foreign});
  run("ip netns delete " + foreign);
}

TEST_F(Up, DownLeavesAloneANamespaceThatReplacedTheLabs) {
  std::string file = write_lab(
      "name: LAB\nnodes: {a: {}, b: {}}\nlinks:\n"
      "  - endpoints: [a:e0, b:e0]\n");
  ASSERT_EQ(topo("up " + file).status, 0);
  // Somebody removes the lab's namespace by hand and makes their own under the same name.
  ASSERT_EQ(run("ip netns delete " + netns("a") + " && ip netns add " + netns("a")).status, 0);
  CmdResult down = topo("down " + lab());
  EXPECT_EQ(down.status, 0) << down.output;
  EXPECT_TRUE(contains(down.output, "left netns " + netns("a") + " alone")) << down.output;
  EXPECT_EQ(netns_with_prefix(prefix()), std::vector<std::string>{netns("a")});
  run("ip netns delete " + netns("a"));
  expect_nothing_left();
}

// A stub network: one interface on a segment of its own, up with carrier, and routed to.
TEST_F(Up, AStubHasCarrierAndItsAddressesAndANamedLanItsName) {
  std::string file = write_lab(R"(name: LAB
nodes:
  r1: {kind: router}
  h1: {routes: [default via 10.1.0.1]}
  h2: {}
  h3: {}
links:
  - endpoints: [r1:eth9]
    stub: true
    addresses: [[10.9.0.1/24, "fd00:9::1/64"]]
  - endpoints: [r1:eth1, h1:eth1, h2:eth1, h3:eth1]
    name: access
    addresses: [10.1.0.1/24, 10.1.0.11/24, 10.1.0.12/24, 10.1.0.13/24]
)");
  CmdResult up = topo("up " + file);
  ASSERT_EQ(up.status, 0) << up.output;
  json eth9 = ip_json("ip -n " + netns("r1") + " -j addr show dev eth9")[0];
  EXPECT_EQ(eth9["operstate"], "UP") << eth9.dump();
  std::vector<std::string> flags = eth9["flags"].get<std::vector<std::string>>();
  EXPECT_NE(std::find(flags.begin(), flags.end(), "LOWER_UP"), flags.end()) << eth9.dump();
  std::string addrs = eth9["addr_info"].dump();
  EXPECT_TRUE(contains(addrs, "10.9.0.1")) << addrs;
  EXPECT_TRUE(contains(addrs, "fd00:9::1")) << addrs;
  EXPECT_EQ(in_node("h1", "ping -c1 -W2 10.9.0.1").status, 0);
  EXPECT_EQ(netns_with_prefix(prefix() + "_"),
            (std::vector<std::string>{netns("_access"), netns("_lan1")}));
  json status = topo_json("status --json " + lab());
  std::vector<std::string> lans;
  for (const json& l : status["lans"]) lans.push_back(l["name"]);
  EXPECT_EQ(lans, (std::vector<std::string>{"_lan1", "_access"}));
  std::string peer;
  for (const json& n : status["nodes"])
    for (const json& i : n["interfaces"])
      if (n["name"] == "h2" && i["name"] == "eth1") peer = i["peer"];
  EXPECT_EQ(peer, "_access:p3");
  CmdResult down = topo("down " + lab());
  EXPECT_EQ(down.status, 0) << down.output;
  expect_nothing_left();
}

TEST_F(Up, ALinkOfOneEndpointWithoutStubIsAMistakeAndCreatesNothing) {
  std::string file = write_lab("name: LAB\nnodes: {r1: {}}\nlinks:\n  - endpoints: [r1:eth9]\n");
  CmdResult up = topo("up " + file);
  EXPECT_EQ(up.status, 2) << up.output;
  EXPECT_TRUE(contains(up.output, file + ":4:5: a link needs two endpoints (three or more make a "
                                         "LAN); for one interface on a segment of its own (a "
                                         "stub network), add `stub: true`"))
      << up.output;
  EXPECT_TRUE(contains(up.output, "  - endpoints: [r1:eth9]\n   |     ^\n")) << up.output;
  EXPECT_TRUE(contains(up.output, "nothing was created")) << up.output;
  expect_nothing_left();
  write_lab(
      "name: LAB\nnodes: {r1: {}, r2: {}}\nx-mine: 1\nlinks:\n"
      "  - {endpoints: [r1:eth9, r2:eth9], stub: true, name: lan2}\n");
  up = topo("up " + file);
  EXPECT_EQ(up.status, 2) << up.output;
  EXPECT_TRUE(contains(up.output, file + ":5:43: `stub: true` is a link of one endpoint"))
      << up.output;
  EXPECT_TRUE(contains(up.output, file + ":5:55: LAN name `lan2` is kept")) << up.output;
  EXPECT_TRUE(contains(up.output, "2 errors; nothing was created")) << up.output;
  expect_nothing_left();
}

TEST_F(Up, AnInvalidFileExitsTwoAndCreatesNothing) {
  std::string file = write_lab("name: LAB\nnodes:\n  a: {kind: ruter}\n");
  CmdResult up = topo("up " + file);
  EXPECT_EQ(up.status, 2) << up.output;
  EXPECT_TRUE(contains(up.output, file + ":3:13: unknown kind `ruter`")) << up.output;
  EXPECT_TRUE(contains(up.output, "  a: {kind: ruter}\n")) << up.output;
  EXPECT_TRUE(contains(up.output, "nothing was created")) << up.output;
  expect_nothing_left();
  CmdResult usage = topo("up");
  EXPECT_EQ(usage.status, 2) << usage.output;
  CmdResult bad_name = topo("down ../etc");
  EXPECT_EQ(bad_name.status, 2) << bad_name.output;
}

// The copy of the file that later `up`s and `topo test` compare with must be written, or the
// lab is not made.
TEST_F(Up, AFileCopyThatCannotBeStoredFailsTheUpAndCreatesNothing) {
  std::string file =
      write_lab("name: LAB\nnodes: {a: {}, b: {}}\nlinks: [{endpoints: [a:e0, b:e0]}]\n");
  std::string state = "/run/topo/" + lab() + "/state";
  ASSERT_EQ(run("mkdir -p -m 0711 /run/topo/" + lab() + " && mkdir -m 0700 " + state +
                " && mkdir " + state + "/topology.yaml")
                .status,
            0);
  CmdResult up = topo("up " + file);
  EXPECT_EQ(up.status, 1) << up.output;
  EXPECT_TRUE(
      contains(up.output, "error: cannot write " + state + "/topology.yaml: Is a directory"))
      << up.output;
  expect_nothing_left();
}

TEST_F(Up, WithoutCapabilitiesOneSentenceAndExitOne) {
  if (access("/usr/bin/setpriv", X_OK) != 0) GTEST_SKIP() << "setpriv (util-linux) not installed";
  std::string file = example("two-hosts.yaml");
  for (const char* verb : {"up ", "down "}) {
    CmdResult r = run("setpriv --inh-caps=-all --bounding-set=-net_admin,-sys_admin " +
                      std::string(TOPO_BINARY) + " " + verb + file);
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_TRUE(contains(r.output, "must run as root")) << r.output;
  }
  expect_nothing_left();
}

TEST_F(Up, KillNineAtAnyPointOfABigUpThenDownLeavesNothing) {
  std::string file = chain(300);
  std::string log = dir() + "/up.log";
  std::string journal = "/run/topo/" + lab() + "/state/journal";
  // Kill while namespaces are being made, while veths are, and once the veths are all made.
  std::vector<std::function<bool()>> moments = {
      [&] { return netns_with_prefix(prefix()).size() >= 100; },
      [&] { return journal_has(journal, "veth", ""); },
      [&] { return journal_has(journal, "veth", "n299:e1"); },
  };
  for (size_t i = 0; i < moments.size(); i++) {
    SCOPED_TRACE(fmt::format("kill point {}", i));
    pid_t pid = spawn_topo({"up", file}, log);
    bool reached = eventually(moments[i], 10s);
    kill(pid, SIGKILL);
    EXPECT_EQ(wait_for(pid), 128 + SIGKILL) << file_text(log);
    EXPECT_TRUE(reached) << "the up finished before the kill point";
    CmdResult down = topo("down " + lab());
    EXPECT_EQ(down.status, 0) << down.output;
    expect_nothing_left();
  }
}

TEST_F(Up, ConcurrentUpsOfOneLabNeverHalfMerge) {
  std::string file = chain(300);
  pid_t first = spawn_topo({"up", file}, dir() + "/first.log");
  pid_t second = spawn_topo({"up", file}, dir() + "/second.log");
  int s1 = wait_for(first), s2 = wait_for(second);
  std::string out1 = file_text(dir() + "/first.log"), out2 = file_text(dir() + "/second.log");
  EXPECT_TRUE(s1 == 0 || s2 == 0) << out1 << out2;
  for (auto [status, out] : {std::pair{s1, out1}, {s2, out2}}) {
    if (status == 0)
      EXPECT_TRUE(contains(out, "is up") || contains(out, "nothing to do")) << out;
    else
      EXPECT_TRUE(status == 1 && contains(out, "is busy")) << status << ": " << out;
  }
  EXPECT_EQ(netns_with_prefix(prefix()).size(), 300u);
  EXPECT_EQ(in_node("n1", "ping -c1 -W2 10.0.4.2").status, 0);
  EXPECT_EQ(topo("down " + lab()).status, 0);
  expect_nothing_left();
}

TEST_F(Up, StateIsRootOnly) {
  ASSERT_EQ(topo("up " + example("two-hosts.yaml")).status, 0);
  struct stat st;
  ASSERT_EQ(stat(("/run/topo/" + lab() + "/state").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(stat(("/run/topo/" + lab() + "/state/journal").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat(("/run/topo/" + lab() + "/state/lock").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

}  // namespace
}  // namespace topo::testing

namespace topo::testing {
namespace {

TEST_F(Up, AGeneratedLabComesUpFromStandardInput) {
  CmdResult up = run(std::string(TOPO_BINARY) + " generate linear 50 --name " + lab() + " | " +
                     std::string(TOPO_BINARY) + " up -");
  ASSERT_EQ(up.status, 0) << up.output;
  EXPECT_EQ(netns_with_prefix(prefix()).size(), 50u);
  EXPECT_EQ(topo("exec " + lab() + " n25 -- ping -c1 -W2 n26").status, 0);
  EXPECT_EQ(topo("down " + lab()).status, 0);
  expect_nothing_left();
}

}  // namespace
}  // namespace topo::testing
