// multihost_test.cc - one lab file split over several hosts, VXLAN between them, on simulated
// hosts (tests/simhosts.sh): each host a network namespace with its own /run, /etc/netns and
// cgroup, on an underlay bridge (192.0.2.10, .11, .12). Each test makes its own hosts under a
// unique tag and destroys them, whatever happens; topo runs inside them as a user would.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "tests/simhosts_fixture.h"

namespace topo::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// Where each node of the lab below lives, by the number of hosts.
using Placement = std::map<std::string, std::string>;
const Placement kOneHost = {};
const Placement kTwoHosts = {{"r1", "a"}, {"h1", "a"}, {"r3", "a"},
                             {"r2", "b"}, {"h2", "b"}, {"h3", "b"}};
const Placement kThreeHosts = {{"r1", "a"}, {"h1", "a"}, {"r2", "b"},
                               {"h2", "b"}, {"r3", "c"}, {"h3", "c"}};

// Six nodes: three routers on a LAN (`core`) and in a chain of point-to-point links, a host
// behind each; IPv4 and IPv6 everywhere, static routes, three tests. Split over two hosts, every
// kind of link crosses: r1-r2 and r2-r3 (p2p), r3-h3 (a host link), the LAN (r1 and r3 on a, r2
// on b); over three, the LAN spans all three.
std::string split_lab(const Placement& placement) {
  std::string y = "name: LAB\n";
  std::set<std::string> hosts;
  for (const auto& [node, host] : placement) hosts.insert(host);
  if (!hosts.empty()) {
    y += "hosts:\n";
    for (const std::string& h : hosts)
      y += fmt::format("  {}: {{underlay: 192.0.2.{}}}\n", h, 10 + (h[0] - 'a'));
  }
  auto host = [&](const std::string& node) {
    auto at = placement.find(node);
    return at == placement.end() ? std::string() : ", host: " + at->second;
  };
  y += "defaults: {sysctls: {net.ipv4.conf.all.rp_filter: 0}}\nnodes:\n";
  // Router i: LAN .i, host subnet 10.1.i.0/24 (fd00:i::/64), the chain 10.0.12.0/30, 10.0.23.0/30.
  const char* routes[] = {
      "[10.1.2.0/24 via 10.0.12.2, 10.1.3.0/24 via 10.0.100.3, 'fd00:2::/64 via fd00:12::2', "
      "'fd00:3::/64 via fd00:100::3']",
      "[10.1.1.0/24 via 10.0.12.1, 10.1.3.0/24 via 10.0.23.2, 'fd00:1::/64 via fd00:12::1', "
      "'fd00:3::/64 via fd00:23::2']",
      "[10.1.1.0/24 via 10.0.100.1, 10.1.2.0/24 via 10.0.23.1, 'fd00:1::/64 via fd00:100::1', "
      "'fd00:2::/64 via fd00:23::1']"};
  for (int i = 1; i <= 3; i++) {
    std::string r = fmt::format("r{}", i), h = fmt::format("h{}", i);
    y += fmt::format("  {}: {{kind: router{}, routes: {}}}\n", r, host(r), routes[i - 1]);
    y += fmt::format(
        "  {}: {{kind: host{}, routes: [default via 10.1.{}.1, 'default via fd00:{}::1']}}\n", h,
        host(h), i, i);
  }
  y += R"(links:
  - endpoints: [r1:eth0, r2:eth0, r3:eth0]
    name: core
    addresses: [[10.0.100.1/24, "fd00:100::1/64"], [10.0.100.2/24, "fd00:100::2/64"],
                [10.0.100.3/24, "fd00:100::3/64"]]
  - endpoints: [r1:eth1, r2:eth1]
    addresses: [[10.0.12.1/30, "fd00:12::1/64"], [10.0.12.2/30, "fd00:12::2/64"]]
  - endpoints: [r2:eth2, r3:eth1]
    addresses: [[10.0.23.1/30, "fd00:23::1/64"], [10.0.23.2/30, "fd00:23::2/64"]]
  - endpoints: [r1:eth9, h1:eth0]
    addresses: [[10.1.1.1/24, "fd00:1::1/64"], [10.1.1.2/24, "fd00:1::2/64"]]
  - endpoints: [r2:eth9, h2:eth0]
    addresses: [[10.1.2.1/24, "fd00:2::1/64"], [10.1.2.2/24, "fd00:2::2/64"]]
  - endpoints: [r3:eth9, h3:eth0]
    addresses: [[10.1.3.1/24, "fd00:3::1/64"], [10.1.3.2/24, "fd00:3::2/64"]]
tests:
  - name: h1 reaches h3
    ping: {from: h1, to: h3}
    timeout: 5s
  - name: h3 reaches h2 over IPv6
    exec: {node: h3, cmd: "ping -c1 -W1 fd00:2::2"}
    timeout: 5s
  - name: r2 has no route to 10.9.9.9
    ping: {from: r2, to: 10.9.9.9}
    expect: failure
)";
  return y;
}

std::vector<std::string> sorted(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  return names;
}

class MultiHost : public SimHostsTest {
 protected:
  // Brings the lab up on every host that has nodes (each its own part), or on host a alone.
  void up_everywhere(const std::string& file, const Placement& placement) {
    for (const std::string& h : used_hosts(placement)) {
      CmdResult r =
          topo_on(h, "-q up " + testing::quoted(file) + (placement.empty() ? "" : " --host " + h));
      ASSERT_EQ(r.status, 0) << "up on " << h << ":\n" << r.output;
    }
  }
  void down_everywhere(const Placement& placement) {
    for (const std::string& h : used_hosts(placement)) {
      CmdResult r = topo_on(h, "-q down " + lab());
      EXPECT_EQ(r.status, 0) << "down on " << h << ":\n" << r.output;
    }
  }
  static std::vector<std::string> used_hosts(const Placement& placement) {
    std::set<std::string> used;
    for (const auto& [node, host] : placement) used.insert(host);
    if (used.empty()) used.insert("a");
    return {used.begin(), used.end()};
  }
};

// A ping matrix and test results, whichever hosts ran them: one entry per address pinged
// (from, to, address, family, ok) and per test (name -> passed).
struct Outcome {
  std::set<std::tuple<std::string, std::string, std::string, int, bool>> pings;
  std::map<std::string, bool> tests;
  int ping_runs_failed = 0, test_runs_failed = 0;
};

// The harness itself: the same lab (no `hosts:`) up on two simulated hosts is two labs, as on
// two machines: each its namespaces, state, /etc/netns links and cgroup, none of them on the
// real machine, and `down` on one leaves the other's daemon running.
TEST_F(MultiHost, SimulatedHostsAreSeparateMachinesForTopo) {
  ASSERT_NO_FATAL_FAILURE(make_hosts(2));
  std::string file = write_lab(R"(name: LAB
nodes:
  n1: {daemons: [{name: idle, cmd: "sleep 600"}]}
  n2: {}
links:
  - endpoints: [n1:eth1, n2:eth1]
    addresses: [10.9.0.1/30, 10.9.0.2/30]
)");
  auto daemon_runs = [&](const std::string& host) {
    auto [status, j] = topo_json_on(host, "status " + lab() + " --json");
    return status == 0 && j["nodes"][0]["daemons"][0].value("running", false);
  };
  for (std::string h : {"a", "b"}) {
    CmdResult r = topo_on(h, "-q up " + testing::quoted(file));
    ASSERT_EQ(r.status, 0) << h << ": " << r.output;
    EXPECT_EQ(lab_netns_on(h), (std::vector<std::string>{netns("n1"), netns("n2")}));
    EXPECT_TRUE(eventually([&] { return daemon_runs(h); }, 5s)) << h;
    EXPECT_EQ(on(h, "ip netns exec " + netns("n1") + " ping -c1 -W2 n2").status, 0) << h;
  }
  EXPECT_EQ(netns_with_prefix(lab()), std::vector<std::string>{});
  EXPECT_FALSE(std::filesystem::exists("/run/topo/" + lab()));
  EXPECT_FALSE(std::filesystem::exists("/etc/netns/" + netns("n1")));
  CmdResult down = topo_on("a", "-q down " + lab());
  EXPECT_EQ(down.status, 0) << down.output;
  EXPECT_EQ(lab_netns_on("a"), std::vector<std::string>{});
  EXPECT_TRUE(daemon_runs("b")) << "down on a stopped b's daemon";
  down = topo_on("b", "-q down " + lab());
  EXPECT_EQ(down.status, 0) << down.output;
  expect_nothing_left();
}

TEST_F(MultiHost, TheSameLabOnOneTwoAndThreeHostsGivesTheSamePingMatrixAndTests) {
  ASSERT_NO_FATAL_FAILURE(make_hosts(3));
  std::map<int, Outcome> outcomes;
  for (const auto& [count, placement] :
       {std::pair{1, kOneHost}, std::pair{2, kTwoHosts}, std::pair{3, kThreeHosts}}) {
    SCOPED_TRACE(fmt::format("{} host(s)", count));
    std::string file = write_lab(split_lab(placement), fmt::format("lab{}.yaml", count));
    ASSERT_NO_FATAL_FAILURE(up_everywhere(file, placement));
    Outcome& o = outcomes[count];
    // Each host pings from its own nodes and runs the tests whose node is its own: the union
    // of what the hosts report is the whole lab's.
    for (const std::string& h : used_hosts(placement)) {
      auto [ping_status, ping] = topo_json_on(h, "ping " + lab() + " --json");
      o.ping_runs_failed += ping_status != 0;
      for (const json& r : ping["results"]) {
        auto entry = std::tuple{r["from"].get<std::string>(), r["to"].get<std::string>(),
                                r["address"].get<std::string>(), r["family"].get<int>(),
                                r["ok"].get<bool>()};
        EXPECT_TRUE(o.pings.insert(entry).second) << "pinged twice: " << r.dump();
        if (!placement.empty()) {
          EXPECT_EQ(placement.at(r["from"]), h)
              << "host " << h << " pinged from a node it has not: " << r.dump();
        }
      }
      auto [test_status, tests] = topo_json_on(h, "test " + lab() + " --json");
      o.test_runs_failed += test_status != 0;
      for (const json& t : tests["tests"])
        EXPECT_TRUE(o.tests.emplace(t["name"].get<std::string>(), t["passed"].get<bool>()).second)
            << "test run on two hosts: " << t.dump();
    }
    down_everywhere(placement);
    expect_nothing_left();
  }
  // Every pair answers on one host (6 nodes, both families: 60 pings), and every test passes.
  EXPECT_EQ(outcomes[1].pings.size(), 60u);
  for (const auto& p : outcomes[1].pings)
    EXPECT_TRUE(std::get<4>(p)) << std::get<0>(p) << " -> " << std::get<2>(p);
  EXPECT_EQ(outcomes[1].tests,
            (std::map<std::string, bool>{{"h1 reaches h3", true},
                                         {"h3 reaches h2 over IPv6", true},
                                         {"r2 has no route to 10.9.9.9", true}}));
  EXPECT_EQ(outcomes[1].ping_runs_failed + outcomes[1].test_runs_failed, 0);
  for (int count : {2, 3}) {
    SCOPED_TRACE(fmt::format("{} hosts", count));
    EXPECT_EQ(outcomes[count].pings, outcomes[1].pings);
    EXPECT_EQ(outcomes[count].tests, outcomes[1].tests);
    EXPECT_EQ(outcomes[count].ping_runs_failed + outcomes[count].test_runs_failed, 0);
  }
}

// Over two hosts whose underlay has an MTU of 1500, each cross-host end has an MTU of
// 1500 - 50 = 1450 (IPv4 underlay: 14 Ethernet + 20 IPv4 + 8 UDP + 8 VXLAN bytes), and so do
// the members of the LAN that spans the hosts. A ping with don't-fragment (-M do) whose IP packet
// is 1400 bytes (IPv4: -s 1372) or exactly the MTU (IPv4: -s 1422, 1422 + 8 ICMP + 20 IP = 1450;
// IPv6: -s 1402, 1402 + 8 ICMPv6 + 40 IPv6 = 1450) crosses every cross-host link, the encapsulated
// frame filling the underlay's 1500; one byte more (-s 1423, -s 1402 + 1) does not leave the
// sender ("message too long").
TEST_F(MultiHost, FullSizedPacketsCrossEveryCrossHostLinkAndOneByteMoreDoesNot) {
  ASSERT_NO_FATAL_FAILURE(make_hosts(2));
  std::string file = write_lab(split_lab(kTwoHosts));
  ASSERT_NO_FATAL_FAILURE(up_everywhere(file, kTwoHosts));
  struct Crossing {
    std::string host, node, iface, peer_host, peer_node, peer_iface, v4, v6;
    bool lan = false;
  };
  const std::vector<Crossing> crossings = {
      {"a", "r1", "eth1", "b", "r2", "eth1", "10.0.12.2", "fd00:12::2"},
      {"b", "r2", "eth2", "a", "r3", "eth1", "10.0.23.2", "fd00:23::2"},
      {"a", "r3", "eth9", "b", "h3", "eth0", "10.1.3.2", "fd00:3::2"},
      {"b", "r2", "eth0", "a", "r1", "eth0", "10.0.100.1", "fd00:100::1", true},
      {"a", "r3", "eth0", "b", "r2", "eth0", "10.0.100.2", "fd00:100::2", true},
  };
  auto link_of = [&](const std::string& host, const std::string& node, const std::string& iface) {
    json j = json::parse(on(host, "ip -d -j -n " + netns(node) + " link show " + iface).output,
                         nullptr, false);
    return j.is_array() && !j.empty() ? j[0] : json();
  };
  // status on each host: its own nodes, a tunnel's peer as `host: node:iface`, no drift.
  for (std::string h : {"a", "b"}) {
    auto [status, j] = topo_json_on(h, "status " + lab() + " --json");
    EXPECT_EQ(status, 0) << j.dump();
    EXPECT_EQ(j.value("host", ""), h);
    EXPECT_EQ(j["drift"], json::array()) << h << ": " << j["drift"].dump();
    for (const json& n : j["nodes"]) {
      EXPECT_EQ(kTwoHosts.count(n["name"]) ? kTwoHosts.at(n["name"]) : h, h) << n["name"];
      for (const json& i : n["interfaces"]) {
        if (n["name"] == "r1" && i["name"] == "eth1") {
          EXPECT_EQ(i["peer"], "b: r2:eth1");
        }
      }
    }
  }
  struct Ping {
    std::string what;
    bool fits;
    std::future<CmdResult> result;
  };
  std::vector<Ping> pings;
  std::set<int64_t> vnis;
  for (const Crossing& c : crossings) {
    SCOPED_TRACE(c.node + ":" + c.iface + " -> " + c.peer_node + ":" + c.peer_iface);
    for (auto [host, node, iface] : {std::tuple{c.host, c.node, c.iface},
                                     std::tuple{c.peer_host, c.peer_node, c.peer_iface}}) {
      json link = link_of(host, node, iface);
      EXPECT_EQ(link.value("mtu", 0), 1450) << link.dump();
    }
    if (!c.lan) {  // a point-to-point link: a VXLAN device at each end
      json mine = link_of(c.host, c.node, c.iface),
           theirs = link_of(c.peer_host, c.peer_node, c.peer_iface);
      json a = mine["linkinfo"]["info_data"], b = theirs["linkinfo"]["info_data"];
      EXPECT_EQ(mine["linkinfo"].value("info_kind", ""), "vxlan") << mine.dump();
      EXPECT_EQ(a.value("id", -1), b.value("id", -2));
      EXPECT_TRUE(vnis.insert(a.value("id", -1)).second) << "a VNI used twice: " << a.dump();
      EXPECT_EQ(a.value("local", ""), fmt::format("192.0.2.{}", 10 + (c.host[0] - 'a')));
      EXPECT_EQ(a.value("remote", ""), b.value("local", "")) << a.dump() << b.dump();
      EXPECT_EQ(a.value("port", 0), 4789);
    }
    // Every ping of every crossing at once (each takes a process and up to its -W); a ping
    // refused at the sender still waits for its -W: a short one for those.
    for (auto [size, address, fits] : {std::tuple{1372, c.v4, true},
                                       {1422, c.v4, true},
                                       {1402, c.v6, true},
                                       {1423, c.v4, false},
                                       {1403, c.v6, false}}) {
      std::string command = fmt::format("ip netns exec {} ping -c1 -M do -W{} -s {} {}",
                                        netns(c.node), fits ? "2" : "0.2", size, address);
      pings.push_back({fmt::format("{} bytes of ICMP from {} to {}", size, c.node, address), fits,
                       std::async(std::launch::async,
                                  [this, host = c.host, command] { return on(host, command); })});
    }
  }
  for (Ping& p : pings) {
    CmdResult r = p.result.get();
    if (p.fits) {
      EXPECT_EQ(r.status, 0) << p.what << ":\n" << r.output;
    } else {
      EXPECT_NE(r.status, 0) << p.what << ":\n" << r.output;
      EXPECT_TRUE(contains(r.output, "message too long") || contains(r.output, "Message too long"))
          << p.what << ":\n"
          << r.output;
    }
  }
  down_everywhere(kTwoHosts);
  expect_nothing_left();
}

// An IPv6 underlay (70 bytes of headers: 14 + 40 + 8 + 8) and a host whose underlay MTU is 1400:
// the cross-host link gets min(1400, 1500) - 70 = 1330 at both ends, a VXLAN over IPv6; a
// 1330-byte IPv4 packet (-s 1302) with DF crosses, one of 1331 does not leave.
TEST_F(MultiHost, AnIPv6UnderlayAndASmallUnderlayMtuGiveASmallerLinkMtu) {
  ASSERT_NO_FATAL_FAILURE(make_hosts(2));
  std::string file = write_lab(R"(name: LAB
hosts:
  a: {underlay: "2001:db8::10", underlay_mtu: 1400}
  b: {underlay: "2001:db8::11"}
nodes:
  r1: {host: a}
  r2: {host: b}
links:
  - endpoints: [r1:eth1, r2:eth1]
    addresses: [10.0.12.1/30, 10.0.12.2/30]
)");
  for (std::string h : {"a", "b"}) {
    CmdResult r = topo_on(h, "-q up " + testing::quoted(file) + " --host " + h);
    ASSERT_EQ(r.status, 0) << h << ": " << r.output;
  }
  for (auto [host, node, local, remote] : {std::tuple{"a", "r1", "2001:db8::10", "2001:db8::11"},
                                           std::tuple{"b", "r2", "2001:db8::11", "2001:db8::10"}}) {
    json j = json::parse(on(host, fmt::format("ip -d -j -n {} link show eth1", netns(node))).output,
                         nullptr, false);
    ASSERT_TRUE(j.is_array() && !j.empty()) << host;
    EXPECT_EQ(j[0].value("mtu", 0), 1330) << j.dump();
    json info = j[0]["linkinfo"]["info_data"];
    EXPECT_EQ(info.value("local6", ""), local) << info.dump();
    EXPECT_EQ(info.value("remote6", ""), remote) << info.dump();
  }
  std::string ping = "ip netns exec " + netns("r1") + " ping -c1 -W2 -M do ";
  CmdResult fits = on("a", ping + "-s 1302 10.0.12.2");
  EXPECT_EQ(fits.status, 0) << fits.output;
  CmdResult over = on("a", ping + "-W0.2 -s 1303 10.0.12.2");
  EXPECT_NE(over.status, 0) << over.output;
  EXPECT_TRUE(contains(over.output, "message too long") ||
              contains(over.output, "Message too long"))
      << over.output;
  down_everywhere(kTwoHosts);
  expect_nothing_left();
}

// A 200-node chain, n1..n100 on host a and n101..n200 on b (one cross-host link, n100-n101),
// addressed from pools: b's part up, a's `up` killed with -9 halfway through its namespaces, and
// again once it has made its end of the tunnel (tunnels are made after veths, before addresses);
// `down` on both hosts then leaves nothing on either.
TEST_F(MultiHost, KillNineOfUpOnOneHostThenDownLeavesNothingOnAnyHost) {
  ASSERT_NO_FATAL_FAILURE(make_hosts(2));
  std::string y =
      "name: LAB\nhosts:\n  a: {underlay: 192.0.2.10}\n  b: {underlay: 192.0.2.11}\n"
      "addressing: {p2p: 10.0.0.0/16, ipv6: 'fd00::/48'}\nnodes:\n";
  for (int i = 1; i <= 200; i++) y += fmt::format("  n{}: {{host: {}}}\n", i, i <= 100 ? "a" : "b");
  y += "links:\n";
  for (int i = 1; i < 200; i++) y += fmt::format("  - endpoints: [n{}:e1, n{}:e0]\n", i, i + 1);
  std::string file = write_lab(y);
  std::string log = dir() + "/up.log";
  std::vector<std::function<bool()>> moments = {
      [&] { return lab_netns_on("a").size() >= 50; },
      [&] { return has_link("a", netns("n100"), "e1"); },
  };
  for (size_t i = 0; i < moments.size(); i++) {
    SCOPED_TRACE(fmt::format("kill point {}", i));
    CmdResult b = topo_on("b", "-q up " + testing::quoted(file) + " --host b");
    ASSERT_EQ(b.status, 0) << b.output;
    pid_t up = spawn_on("a", {"-q", "up", file, "--host", "a"}, log);
    bool reached = eventually(moments[i], 20s);
    kill(up, SIGKILL);
    int status = 0;
    waitpid(up, &status, 0);
    EXPECT_TRUE(WIFSIGNALED(status)) << "up ended before the kill: " << file_text(log);
    EXPECT_TRUE(reached) << "the up never reached the kill point: " << file_text(log);
    for (const std::string& h : hosts()) {
      CmdResult down = topo_on(h, "down " + lab());
      EXPECT_EQ(down.status, 0) << h << ": " << down.output;
    }
    expect_nothing_left();
  }
  // The tunnel's VNI is free again (a VXLAN device left in a dying namespace would keep it): the
  // whole lab comes up, and n100 reaches n101 across the hosts.
  for (const std::string& h : hosts()) {
    CmdResult up = topo_on(h, "-q up " + testing::quoted(file) + " --host " + h);
    ASSERT_EQ(up.status, 0) << h << ": " << up.output;
  }
  CmdResult ping = topo_on("a", "ping " + lab() + " --nodes n100,n101");
  EXPECT_EQ(ping.status, 0) << ping.output;
  for (const std::string& h : hosts()) EXPECT_EQ(topo_on(h, "-q down " + lab()).status, 0) << h;
  expect_nothing_left();
}

// The issue's "done when": examples/frr-ospf.yaml split over two hosts by four lines (`hosts:`,
// its two hosts, `host: b` on r3), up with one command per host, and OSPF converges across the
// tunnels: a's `up` waits for its `ready:` tests (r1's: two full neighbours, r3's loopback
// learned and reached), which need b's part.
TEST_F(MultiHost, FrrOspfSplitOverTwoHostsByFourLinesConverges) {
  if (access("/usr/lib/frr/frrinit.sh", X_OK) != 0) GTEST_SKIP() << "FRR is not installed";
  ASSERT_NO_FATAL_FAILURE(make_hosts(2));
  std::string text = file_text(std::string(TOPO_SOURCE_DIR) + "/examples/frr-ospf.yaml");
  for (auto [from, to] :
       {std::pair<std::string, std::string>{"\nname: frr-ospf\n", "\nname: LAB\n"},
        {"\nnodes:\n",
         "\nhosts:\n  a: {underlay: 192.0.2.10}\n  b: {underlay: 192.0.2.11}\nnodes:\n"},
        {"r3: {loopback: 10.0.0.3/32}", "r3: {loopback: 10.0.0.3/32, host: b}"}}) {
    size_t at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
  }
  std::string file = write_lab(text);
  std::string log = dir() + "/up-a.log";
  pid_t up_a = spawn_on("a", {"-q", "up", file, "--host", "a"}, log);
  CmdResult up_b = topo_on("b", "-q up " + testing::quoted(file) + " --host b");
  EXPECT_EQ(up_b.status, 0) << up_b.output;
  int status = 0;
  waitpid(up_a, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << file_text(log);
  auto [a_status, a_tests] = topo_json_on("a", "test " + lab() + " --json");
  EXPECT_EQ(a_status, 0) << a_tests.dump();
  EXPECT_EQ(a_tests.value("passed", 0), 3) << a_tests.dump();
  auto [b_status, b_tests] = topo_json_on("b", "test " + lab() + " --json");
  EXPECT_EQ(b_status, 0) << b_tests.dump();
  EXPECT_EQ(b_tests["elsewhere"].size(), 3u) << b_tests.dump();
  for (std::string h : {"a", "b"}) {
    CmdResult down = topo_on(h, "-q down " + lab());
    EXPECT_EQ(down.status, 0) << h << ": " << down.output;
  }
  expect_nothing_left();
}

// Bad input through the real command line: exit status 2, a message, nothing made.
TEST_F(MultiHost, SeveralHostsNeedHostOrALocalUnderlayAndAKnownHost) {
  ASSERT_NO_FATAL_FAILURE(make_hosts(2));
  // Hosts x and y: neither underlay is an address of host a.
  std::string elsewhere = write_lab(
      "name: LAB\nhosts:\n  x: {underlay: 192.0.2.20}\n  y: {underlay: 192.0.2.21}\n"
      "nodes:\n  r1: {host: x}\n  r2: {host: y}\nlinks:\n  - endpoints: [r1:eth1, r2:eth1]\n",
      "elsewhere.yaml");
  CmdResult r = topo_on("a", "up " + testing::quoted(elsewhere));
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "with --host NAME (none of their underlay addresses is one of"))
      << r.output;
  r = topo_on("a", "up " + testing::quoted(elsewhere) + " --host z");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "--host z: no such host")) << r.output;
  // x named, but this is not x: x's tunnels would start from an address host a does not have.
  r = topo_on("a", "up " + testing::quoted(elsewhere) + " --host x");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "192.0.2.20 is not an address of this machine")) << r.output;
  expect_nothing_left();
  // Hosts a and b: without --host, host b (192.0.2.11 is its address) builds b's part.
  std::string here = write_lab(split_lab(kTwoHosts), "here.yaml");
  r = topo_on("b", "-q up " + testing::quoted(here));
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(lab_netns_on("b"), sorted({netns("h2"), netns("h3"), netns("r2"), netns("_core")}));
  EXPECT_EQ(lab_netns_on("a"), std::vector<std::string>{});
  r = topo_on("b", "-q down " + lab());
  EXPECT_EQ(r.status, 0) << r.output;
  expect_nothing_left();
}

// Mistakes of the hosts in a file: FILE:LINE:COL, exit status 2 (topo validate, no root needed).
TEST_F(MultiHost, MistakesOfHostsAreShownWhereTheFileHasThem) {
  struct Case {
    std::string what, yaml, where, says;
  };
  const std::string two =
      "name: LAB\nhosts:\n  a: {underlay: 192.0.2.10}\n  b: {underlay: 192.0.2.11}\n";
  const std::vector<Case> cases = {
      {"a node on an unknown host", two + "nodes:\n  r1: {host: a}\n  r2: {host: q}\n", ":7:", "q"},
      {"two hosts with one underlay",
       "name: LAB\nhosts:\n  a: {underlay: 192.0.2.10}\n  b: {underlay: 192.0.2.10}\n"
       "nodes:\n  r1: {host: a}\n  r2: {host: b}\n",
       ":4:", "192.0.2.10"},
      {"an MTU that does not fit the VXLAN",
       two + "nodes:\n  r1: {host: a}\n  r2: {host: b}\nlinks:\n  - endpoints: [r1:eth1, r2:eth1]\n"
             "    mtu: 1451\n",
       ":10:", "1450"},
      {"a VNI used twice",
       two + "nodes:\n  r1: {host: a}\n  r2: {host: b}\nlinks:\n  - endpoints: [r1:eth1, r2:eth1]\n"
             "    vni: 7\n  - endpoints: [r1:eth2, r2:eth2]\n    vni: 7\n",
       ":12:", "7"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    std::string file = write_lab(c.yaml);
    CmdResult r = run(std::string(TOPO_BINARY) + " validate " + testing::quoted(file));
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_TRUE(contains(r.output, file + c.where)) << r.output;
    EXPECT_TRUE(contains(r.output, c.says)) << r.output;
  }
}

// The lab of split_lab(kTwoHosts) with an `ssh:` entry for each host (a's too).
std::string with_ssh(std::string text) {
  for (const char* address : {"192.0.2.10", "192.0.2.11"}) {
    std::string plain = fmt::format("{{underlay: {}}}", address);
    text.replace(text.find(plain), plain.size(),
                 fmt::format("{{underlay: {0}, ssh: root@{0}}}", address));
  }
  return text;
}

// Whether some line of `output` starts with `prefix`.
bool has_line_starting(const std::string& output, const std::string& prefix) {
  return output.rfind(prefix, 0) == 0 || contains(output, "\n" + prefix);
}

// `topo up FILE --all-hosts` run on host a: ssh to every host with an `ssh:` entry (a itself
// too), each running `topo up - --host NAME` with the file on stdin, each line of its output
// prefixed `[NAME] `; `topo down LAB --all-hosts` likewise. sshd runs in each simulated host.
// First b's `up` fails (a namespace under one of its nodes' names is there already): the whole
// `up` fails and takes a's part down. ssh is TOPO_SSH, a script that notes its arguments and
// runs ssh with the harness's config. (tests/fleet_kernel_test.cc has more of --all-hosts.)
TEST_F(MultiHost, AllHostsOverSshFailsWholeWhenOneHostFailsThenBuildsEveryPart) {
  ASSERT_NO_FATAL_FAILURE(make_hosts(2));
  CmdResult sshd = run(simhosts("sshd " + tag()));
  ASSERT_EQ(sshd.status, 0) << sshd.output;
  std::string config = sshd.output.substr(0, sshd.output.find('\n'));
  std::string ssh = dir() + "/ssh", calls = dir() + "/ssh.calls";
  std::ofstream(ssh) << "#!/bin/sh\necho \"$*\" >>" << calls << "\nexec ssh -F " << config
                     << " \"$@\"\n";
  chmod(ssh.c_str(), 0755);
  std::string env = "TOPO_SSH=" + ssh;
  std::string file = write_lab(with_ssh(split_lab(kTwoHosts)));

  ASSERT_EQ(on("b", "ip netns add " + netns("h2")).status, 0);
  CmdResult up = topo_on("a", "up " + testing::quoted(file) + " --all-hosts", env);
  EXPECT_EQ(up.status, 1) << up.output;
  EXPECT_TRUE(has_line_starting(up.output, "[b] ")) << up.output;
  EXPECT_TRUE(contains(up.output, netns("h2"))) << up.output;
  EXPECT_TRUE(contains(file_text(calls), "root@192.0.2.11")) << file_text(calls);
  EXPECT_TRUE(contains(file_text(calls), "--host b")) << file_text(calls);
  EXPECT_EQ(lab_netns_on("a"), std::vector<std::string>{});
  EXPECT_EQ(lab_netns_on("b"), std::vector<std::string>{netns("h2")});
  ASSERT_EQ(on("b", "ip netns delete " + netns("h2")).status, 0);

  up = topo_on("a", "up " + testing::quoted(file) + " --all-hosts", env);
  ASSERT_EQ(up.status, 0) << up.output;
  EXPECT_TRUE(has_line_starting(up.output, "[a] ")) << up.output;
  EXPECT_TRUE(has_line_starting(up.output, "[b] ")) << up.output;
  EXPECT_EQ(lab_netns_on("a"), sorted({netns("h1"), netns("r1"), netns("r3"), netns("_core")}));
  EXPECT_EQ(lab_netns_on("b"), sorted({netns("h2"), netns("h3"), netns("r2"), netns("_core")}));
  // Across the hosts: h1 (a) to h3 (b) through r1, the LAN, r3 (a) and r3's link to h3 (b); and
  // each host's tests pass on its own part.
  CmdResult ping = on("a", "ip netns exec " + netns("h1") + " ping -c1 -W2 10.1.3.2");
  EXPECT_EQ(ping.status, 0) << ping.output;
  for (std::string h : {"a", "b"}) {
    CmdResult test = topo_on(h, "test " + lab());
    EXPECT_EQ(test.status, 0) << h << ": " << test.output;
  }
  CmdResult down = topo_on("a", "down " + lab() + " --all-hosts", env);
  EXPECT_EQ(down.status, 0) << down.output;
  EXPECT_TRUE(has_line_starting(down.output, "[b] ")) << down.output;
  expect_nothing_left();
}

}  // namespace
}  // namespace topo::testing
