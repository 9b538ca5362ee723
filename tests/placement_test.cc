// A lab spread over hosts: the file's `hosts`, `host` and `vni`, what each host's part is made of
// (language/placement.h, resolve.h), and the plan of one host's part.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "tests/load_expect.h"
#include "topo/language/loader.h"
#include "topo/language/placement.h"
#include "topo/language/resolve.h"
#include "topo/plan/converge.h"
#include "topo/plan/planner.h"

namespace topo {
namespace {

// Two routers on host a, one on b, a LAN with members on both; addressed from pools.
const char* kSplit = R"(name: sp
hosts:
  a: {underlay: 192.0.2.10}
  b: {underlay: 192.0.2.11, ssh: root@lab-b, underlay_mtu: 9000}
defaults: {host: a}
addressing: {p2p: 10.1.0.0/16, lan: 10.2.0.0/16}
nodes:
  r1: {}
  r2: {}
  r3: {host: b}
links:
  - endpoints: [r1:eth1, r2:eth1]
  - endpoints: [r2:eth2, r3:eth2]
  - endpoints: [r1:eth3, r2:eth3, r3:eth3]
    name: core
)";

Topology loaded(const std::string& text, const std::string& here) {
  LoadResult r = load(text);
  EXPECT_TRUE(r.diagnostics.empty()) << r.diagnostics.render();
  r.topology.here = here;
  return r.topology;
}

TEST(Placement, ReadsHostsAndPlacesEveryNode) {
  Topology t = loaded(kSplit, "");
  ASSERT_EQ(t.hosts.size(), 2u);
  EXPECT_EQ(t.hosts[1].name, "b");
  EXPECT_EQ(t.hosts[1].underlay.address_text(), "192.0.2.11");
  EXPECT_EQ(t.hosts[1].ssh, "root@lab-b");
  EXPECT_EQ(t.hosts[1].underlay_mtu, 9000);
  EXPECT_EQ(t.hosts[0].vxlan_port, kVxlanPort);
  EXPECT_EQ(t.find_node("r1")->host, "a");
  EXPECT_EQ(t.find_node("r3")->host, "b");
}

TEST(Placement, ANodeWithoutAHostIsOnTheFirst) {
  Topology t = loaded(
      "name: f\nhosts: {b: {underlay: 192.0.2.2}, a: {underlay: 192.0.2.1}}\n"
      "nodes: {x: {}, y: {host: a}}\n",
      "");
  EXPECT_EQ(t.find_node("x")->host, "b");
  EXPECT_EQ(t.find_node("y")->host, "a");
}

TEST(Placement, AOneHostFileIsThatHostsWhole) {
  Topology t = loaded(
      "name: one\nhosts: {solo: {underlay: 192.0.2.1}}\nnodes: {a: {}, b: {}}\n"
      "links: [{endpoints: [a:e0, b:e0]}]\n",
      "solo");
  EXPECT_EQ(t.find_node("a")->host, "solo");
  Lab lab = resolve(t);
  EXPECT_EQ(lab.nodes.size(), 2u);
  EXPECT_EQ(lab.links.size(), 1u);
}

TEST(Placement, DerivedVnisAreStableDistinctAndInRange) {
  Topology t = loaded(kSplit, "");
  std::set<uint32_t> seen;
  for (const Link& l : t.links) {
    ASSERT_TRUE(l.vni);
    EXPECT_GE(*l.vni, 1u);
    EXPECT_LE(*l.vni, uint32_t(kMaxVni));
    seen.insert(*l.vni);
  }
  EXPECT_EQ(seen.size(), t.links.size());
  // The documented derivation: the same lab and link give the same number on every host.
  EXPECT_EQ(*t.links[0].vni, derived_vni("sp", "r1:eth1|r2:eth1"));
  EXPECT_EQ(*t.links[2].vni, derived_vni("sp", "_core"));
  EXPECT_EQ(*loaded(kSplit, "b").links[1].vni, *t.links[1].vni);
}

TEST(Placement, AVniTheFileGivesIsKeptAndADerivedOneAvoidsIt) {
  uint32_t taken = derived_vni("v", "a:e1|b:e1");
  std::string text = fmt::format(
      "name: v\nnodes: {{a: {{}}, b: {{}}}}\nlinks:\n  - {{endpoints: [a:e0, b:e0], vni: {}}}\n"
      "  - {{endpoints: [a:e1, b:e1]}}\n",
      taken);
  Topology t = loaded(text, "");
  EXPECT_EQ(*t.links[0].vni, taken);
  EXPECT_EQ(*t.links[1].vni, taken + 1);
}

TEST(Placement, PartsOfEachHost) {
  Lab a = resolve(loaded(kSplit, "a"));
  EXPECT_EQ(a.host, "a");
  std::vector<std::string> names;
  for (const BuiltNode& n : a.nodes) names.push_back(n.name);
  EXPECT_EQ(names, (std::vector<std::string>{"r1", "r2", "_core"}));
  // r2:eth2 goes to r3 on b: a VXLAN end, with the smaller underlay's MTU less 50.
  const BuiltIface* eth2 = a.find_iface({"r2", "eth2"});
  ASSERT_TRUE(eth2 && eth2->vxlan);
  EXPECT_EQ(eth2->type, IfaceType::vxlan);
  EXPECT_EQ(eth2->mtu, 1450);
  EXPECT_EQ(eth2->vxlan->local.address_text(), "192.0.2.10");
  ASSERT_EQ(eth2->vxlan->remotes.size(), 1u);
  EXPECT_EQ(eth2->vxlan->remotes[0].address_text(), "192.0.2.11");
  EXPECT_EQ(eth2->vxlan->peer, "b: r3:eth2");
  EXPECT_EQ(eth2->addresses.size(), 1u);
  // The LAN: ports for a's members only (p1, p2), and one VXLAN port to b, on the bridge.
  const BuiltNode* core = a.find_node("_core");
  ASSERT_TRUE(core);
  names.clear();
  for (const BuiltIface& i : core->ifaces) names.push_back(i.name);
  EXPECT_EQ(names, (std::vector<std::string>{"lo", "br0", "p1", "p2", "vxlan0"}));
  EXPECT_EQ(core->find_iface("vxlan0")->master, "br0");
  EXPECT_EQ(core->find_iface("p1")->mtu, 1450);  // one MTU on the whole segment
  EXPECT_EQ(a.links.size(), 3u);                 // r1-r2, and the two LAN ports' veths

  Lab b = resolve(loaded(kSplit, "b"));
  names.clear();
  for (const BuiltNode& n : b.nodes) names.push_back(n.name);
  EXPECT_EQ(names, (std::vector<std::string>{"r3", "_core"}));
  EXPECT_TRUE(b.find_node("_core")->find_iface("p3"));
  EXPECT_EQ(b.find_iface({"r3", "eth2"})->vxlan->peer, "a: r2:eth2");
  EXPECT_EQ(b.find_iface({"r3", "eth2"})->vxlan->vni, eth2->vxlan->vni);
  // The two hosts' ends of the LAN's tunnel are two devices on one segment: two MACs.
  EXPECT_NE(b.find_node("_core")->find_iface("vxlan0")->mac, core->find_iface("vxlan0")->mac);
}

TEST(Placement, AHostsPartPlansVxlanDevicesSentFromTheRootNamespace) {
  Lab a = resolve(loaded(kSplit, "a"));
  Plan plan = converge(a, {}, {}, {}).plan;
  std::vector<std::string> vxlans;
  for (const Action& action : plan.actions)
    if (std::holds_alternative<CreateVxlan>(action)) vxlans.push_back(describe(plan, action));
  ASSERT_EQ(vxlans.size(), 2u);
  EXPECT_NE(vxlans[0].find("r2: create vxlan eth2"), std::string::npos) << vxlans[0];
  EXPECT_NE(vxlans[0].find("local 192.0.2.10 remote 192.0.2.11 port 4789 (b: r3:eth2) mtu 1450"),
            std::string::npos)
      << vxlans[0];
  EXPECT_NE(vxlans[1].find("_core: create vxlan vxlan0"), std::string::npos) << vxlans[1];
  EXPECT_NE(vxlans[1].find("master br0"), std::string::npos) << vxlans[1];
}

TEST(Placement, ALanOverThreeHostsFloodsToEachOther) {
  Topology t = loaded(R"(name: three
hosts:
  a: {underlay: 192.0.2.10}
  b: {underlay: 192.0.2.11}
  c: {underlay: 192.0.2.12}
nodes: {x: {host: a}, y: {host: b}, z: {host: c}}
links: [{endpoints: [x:e0, y:e0, z:e0]}]
)",
                      "b");
  Lab b = resolve(t);
  const BuiltIface* port = b.find_node("_lan1")->find_iface("vxlan0");
  ASSERT_TRUE(port && port->vxlan);
  ASSERT_EQ(port->vxlan->remotes.size(), 2u);
  EXPECT_EQ(port->vxlan->remotes[0].address_text(), "192.0.2.10");
  EXPECT_EQ(port->vxlan->remotes[1].address_text(), "192.0.2.12");
  EXPECT_EQ(port->vxlan->peer, "a, c: _lan1");
}

TEST(PlacementErrors, EachMistakeAtItsPlace) {
  const char* two = "hosts:\n  a: {underlay: 192.0.2.10}\n  b: {underlay: 192.0.2.11}\n";
  auto with = [&](const std::string& rest) { return "name: e\n" + std::string(two) + rest; };
  expect_error(with("nodes: {r1: {host: a}, r2: {host: c}}\n"), 5, 35,
               "unknown host `c` (the file's hosts: a, b)");
  expect_error("name: e\nnodes: {r1: {host: a}}\n", 2, 20,
               "node `r1` is on host `a`, but the file has no `hosts`");
  expect_error(
      "name: e\nhosts:\n  a: {underlay: 192.0.2.10}\n  b: {underlay: 192.0.2.10}\n"
      "nodes: {r1: {host: a}}\n",
      4, 17, "underlay 192.0.2.10 is host `a`'s too (line 3)");
  expect_error("name: e\nhosts:\n  a: {underlay: lab-a}\nnodes: {r1: {}}\n", 3, 17,
               "underlay `lab-a` is not an address");
  expect_error("name: e\nhosts:\n  a: {ssh: x}\nnodes: {r1: {}}\n", 3, 3, "needs `underlay`");
  expect_error("name: e\nhosts:\n  a: {underlay: 192.0.2.1, vxlan_prot: 1}\nnodes: {r1: {}}\n", 3,
               28, "unknown key `vxlan_prot` in host `a` (did you mean `vxlan_port`?)");
  expect_error("name: e\nhosts:\n  a: {underlay: 192.0.2.1, vxlan_port: 70000}\nnodes: {r1: {}}\n",
               3, 40, "vxlan_port 70000 is out of range 1..65535");
  expect_error("name: e\nhosts:\n  -a: {underlay: 192.0.2.1}\nnodes: {r1: {}}\n", 3, 3,
               "host name `-a` must start with a letter or a digit");
  expect_error(with("nodes: {r1: {host: a}, r2: {host: b}}\nlinks:\n"
                    "  - {endpoints: [r1:e0, r2:e0], vni: 7}\n  - {endpoints: [r1:e1, r2:e1], "
                    "vni: 7}\n"),
               8, 38, "vni 7 is used twice in the lab (first at line 7)");
  expect_error(with("nodes: {r1: {host: a}, r2: {host: b}}\nlinks:\n"
                    "  - {endpoints: [r1:e0, r2:e0], vni: 16777216}\n"),
               7, 38, "vni 16777216 is out of range 1..16777215");
  expect_error(with("nodes: {r1: {host: a}, r2: {host: b}}\nlinks:\n"
                    "  - {endpoints: [r1:e0, r2:e0], mtu: 1451}\n"),
               7, 38,
               "mtu 1451 does not fit in VXLAN between hosts a, b: at most 1450 (the underlay's "
               "1500 less 50 bytes of VXLAN over IPv4)");
  expect_error(with("nodes: {r1: {host: a}, r2: {host: b}}\nlinks:\n"
                    "  - {endpoints: [r1:e0, r2:e0, host:tap0]}\n"),
               7, 32,
               "`host:tap0` is in a root namespace, but this link's nodes are on hosts a, b");
  expect_error(
      "name: e\nhosts:\n  a: {underlay: 192.0.2.10}\n  b: {underlay: 'fd00::1'}\n"
      "nodes: {r1: {host: a}, r2: {host: b}}\nlinks:\n  - {endpoints: [r1:e0, r2:e0]}\n",
      7, 5, "whose underlays are IPv4 and IPv6");
  expect_error(
      "name: e\nhosts:\n  a: {underlay: 192.0.2.10}\n  b: {underlay: 192.0.2.11, "
      "vxlan_port: 8472}\nnodes: {r1: {host: a}, r2: {host: b}}\nlinks:\n"
      "  - {endpoints: [r1:e0, r2:e0]}\n",
      7, 5, "whose vxlan_port differ (4789 and 8472)");
}

TEST(PlacementErrors, AnMtuThatFitsAnIpv6UnderlayIsSeventyLess) {
  LoadResult r = load(
      "name: e\nhosts:\n  a: {underlay: 'fd00::1'}\n  b: {underlay: 'fd00::2'}\n"
      "nodes: {r1: {host: a}, r2: {host: b}}\nlinks:\n  - {endpoints: [r1:e0, r2:e0], mtu: "
      "1430}\n");
  EXPECT_TRUE(r.diagnostics.empty()) << r.diagnostics.render();
  expect_error(
      "name: e\nhosts:\n  a: {underlay: 'fd00::1'}\n  b: {underlay: 'fd00::2'}\n"
      "nodes: {r1: {host: a}, r2: {host: b}}\nlinks:\n  - {endpoints: [r1:e0, r2:e0], mtu: 1431}\n",
      7, 38, "at most 1430 (the underlay's 1500 less 70 bytes of VXLAN over IPv6)");
}

}  // namespace
}  // namespace topo
