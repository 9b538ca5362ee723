// Each example in examples/ brought up, checked in the kernel as a user would, and taken down.
#include <net/if.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tests/lab_fixture.h"

namespace topo::testing {
namespace {

using nlohmann::json;

std::vector<std::string> addresses(const json& link) {
  std::vector<std::string> out;
  for (const json& a : link["addr_info"])
    if (a["scope"] == "global")
      out.push_back(a["local"].get<std::string>() + "/" +
                    std::to_string(a["prefixlen"].get<int>()));
  return out;
}

using Example = LabTest;

TEST_F(Example, LanBridgesFourNodesInANamespaceOfItsOwn) {
  CmdResult up = topo("up " + example("lan.yaml"));
  ASSERT_EQ(up.status, 0) << up.output;
  EXPECT_NE(up.output.find("4 nodes, 1 link"), std::string::npos) << up.output;
  // The LAN's own namespace holds a bridge with one port per member.
  json ports = ip_json("ip -j -n " + netns("_lan1") + " link show master br0");
  EXPECT_EQ(ports.size(), 4u) << ports;
  json h3 = ip_json("ip -j -n " + netns("h3") + " addr show eth0");
  EXPECT_EQ(addresses(h3[0]), std::vector<std::string>{"172.16.0.3/24"});
  for (const char* to : {"172.16.0.2", "172.16.0.3", "172.16.0.4"})
    EXPECT_EQ(in_node("h1", fmt::format("ping -c1 -W2 {}", to)).status, 0) << to;
  EXPECT_EQ(topo("down " + lab()).status, 0);
  expect_nothing_left();
}

TEST_F(Example, BridgeNodeSwitchesBetweenItsPorts) {
  ASSERT_EQ(topo("up " + example("bridge.yaml")).status, 0);
  json ports = ip_json("ip -j -n " + netns("sw1") + " link show master br0");
  ASSERT_EQ(ports.size(), 3u) << ports;
  for (const json& p : ports) EXPECT_EQ(p["operstate"], "UP") << p;
  json h2 = ip_json("ip -j -n " + netns("h2") + " addr show eth0");
  EXPECT_EQ(addresses(h2[0]), std::vector<std::string>{"192.168.10.2/24"});
  EXPECT_EQ(in_node("h1", "ping -c1 -W2 192.168.10.2").status, 0);
  EXPECT_EQ(in_node("h1", "ping -c1 -W2 192.168.10.100").status, 0);
  EXPECT_EQ(topo("down " + lab()).status, 0);
  expect_nothing_left();
}

TEST_F(Example, Ipv6FromPoolsWorksAtOnceWithoutDad) {
  CmdResult up = topo("up " + example("ipv6-pools.yaml"));
  ASSERT_EQ(up.status, 0) << up.output;
  json r1 = ip_json("ip -j -n " + netns("r1") + " addr show eth1");
  EXPECT_EQ(addresses(r1[0]), (std::vector<std::string>{"10.1.0.1/30", "fd00:0:0:1::1/64"}));
  // No address is tentative: IPv6 works the moment up returns, link-local included.
  EXPECT_EQ(run("ip -n " + netns("r1") + " -6 addr show tentative").output, "");
  json lo = ip_json("ip -j -n " + netns("r3") + " addr show lo");
  std::vector<std::string> lo_addrs = addresses(lo[0]);
  EXPECT_EQ(lo_addrs, (std::vector<std::string>{"10.0.0.3/32", "fd00::3/128"}));
  CmdResult v6 = in_node("r1", "ping -6 -c1 -W2 fd00:0:0:1::2");
  EXPECT_EQ(v6.status, 0) << v6.output;
  CmdResult ll = in_node("r1", "ping -6 -c1 -W2 ff02::1%eth1");
  EXPECT_EQ(ll.status, 0) << ll.output;
  EXPECT_EQ(topo("down " + lab()).status, 0);
  expect_nothing_left();
}

TEST_F(Example, HostLinkPutsOneEndInTheRootNamespaceAndDownRemovesIt) {
  std::string iface = fmt::format("tp{}", getpid() % 1000000);
  ASSERT_EQ(if_nametoindex(iface.c_str()), 0u) << iface << " exists already";
  std::string file = example("host-link.yaml", {{"topo-hl0", iface}});
  CmdResult up = topo("up " + file);
  ASSERT_EQ(up.status, 0) << up.output;
  json host = ip_json("ip -j addr show " + iface);
  ASSERT_EQ(host.size(), 1u);
  EXPECT_EQ(addresses(host[0]), std::vector<std::string>{"198.51.100.2/30"});
  // Traffic stays between the lab's own ends: the node pings the host end's address.
  EXPECT_EQ(in_node("r1", "ping -c1 -W2 198.51.100.2").status, 0);
  // A second lab wanting the same host interface is refused before it creates anything.
  std::string clash =
      write_lab("name: LAB-b\nnodes: {x: {}}\nlinks:\n  - endpoints: [x:e0, host:" + iface + "]\n",
                "clash.yaml");
  CmdResult refused = topo("up " + clash);
  EXPECT_EQ(refused.status, 1) << refused.output;
  EXPECT_NE(refused.output.find("interface " + iface + " (in the root namespace) already exists"),
            std::string::npos)
      << refused.output;
  EXPECT_TRUE(netns_with_prefix(lab() + "-b-").empty());
  EXPECT_EQ(topo("down " + lab()).status, 0);
  EXPECT_EQ(if_nametoindex(iface.c_str()), 0u) << "down left " << iface;
  expect_nothing_left();
}

TEST_F(Example, EcmpRouteHasTwoNexthopsAndReachesTheFarLoopback) {
  ASSERT_EQ(topo("up " + example("ecmp.yaml")).status, 0);
  json route = ip_json("ip -j -n " + netns("r1") + " route show 10.9.9.9");
  ASSERT_EQ(route.size(), 1u) << route;
  ASSERT_EQ(route[0]["nexthops"].size(), 2u) << route;
  EXPECT_EQ(route[0]["nexthops"][0]["gateway"], "10.1.0.2");
  EXPECT_EQ(route[0]["nexthops"][1]["gateway"], "10.1.0.6");
  EXPECT_EQ(in_node("r1", "ping -c1 -W2 10.9.9.9").status, 0);
  EXPECT_EQ(in_node("r1", "cat /proc/sys/net/ipv4/fib_multipath_hash_policy").output, "1\n");
  EXPECT_EQ(topo("down " + lab()).status, 0);
  expect_nothing_left();
}

TEST_F(Example, DownLeavesAHostInterfaceThatIsNoLongerTheLabs) {
  std::string iface = fmt::format("tq{}", getpid() % 1000000);
  std::string file =
      write_lab("name: LAB\nnodes: {r: {}}\nlinks:\n  - endpoints: [r:e0, host:" + iface + "]\n");
  ASSERT_EQ(topo("up " + file).status, 0);
  // Somebody replaces the lab's host end with an interface of their own of the same name.
  ASSERT_EQ(run("ip link del " + iface + " && ip link add " + iface + " type veth peer name " +
                iface + "p")
                .status,
            0);
  CmdResult down = topo("down " + lab());
  EXPECT_EQ(down.status, 0) << down.output;
  EXPECT_NE(down.output.find("left interface " + iface + " in the root namespace alone"),
            std::string::npos)
      << down.output;
  EXPECT_NE(if_nametoindex(iface.c_str()), 0u);
  run("ip link del " + iface);
  expect_nothing_left();
}

}  // namespace
}  // namespace topo::testing
