#include "topo/language/addressing.h"

#include <gtest/gtest.h>

#include "topo/language/loader.h"

namespace topo {
namespace {

LoadResult load(const std::string& text) {
  return load_text("lab.yaml", text, "/labs");
}

std::vector<std::string> addresses_of(const Endpoint& e) {
  std::vector<std::string> out;
  for (const nl::IpPrefix& a : e.addresses) out.push_back(a.text());
  return out;
}

using V = std::vector<std::string>;

TEST(Addressing, SubnetArithmetic) {
  auto pool = *nl::IpPrefix::parse("10.1.0.0/16");
  EXPECT_EQ(nth_subnet(pool, 30, 0).text(), "10.1.0.0/30");
  EXPECT_EQ(nth_subnet(pool, 30, 65).text(), "10.1.1.4/30");
  EXPECT_EQ(nth_host(nth_subnet(pool, 24, 3), 7).text(), "10.1.3.7/24");
  auto v6 = *nl::IpPrefix::parse("fd00::/48");
  EXPECT_EQ(nth_subnet(v6, 64, 2).text(), "fd00:0:0:2::/64");
  EXPECT_TRUE(overlaps(*nl::IpPrefix::parse("10.1.0.0/16"), *nl::IpPrefix::parse("10.1.2.0/30")));
  EXPECT_FALSE(overlaps(*nl::IpPrefix::parse("10.1.0.0/30"), *nl::IpPrefix::parse("10.1.0.4/30")));
  EXPECT_FALSE(overlaps(*nl::IpPrefix::parse("10.1.0.0/30"), *nl::IpPrefix::parse("fd00::/8")));
}

TEST(Addressing, PoolsAddressWhatTheFileDoesNotAroundWhatItDoes) {
  LoadResult r = load(R"(name: t
addressing: {p2p: 10.1.0.0/16, loopback: 10.0.0.0/24, ipv6: "fd00::/48"}
nodes:
  r1: {kind: router}
  r2: {kind: router, loopback: 10.0.0.1/32}
  r3: {kind: router}
  h: {}
links:
  - endpoints: [r1:e1, r2:e1]
  - endpoints: [r2:e2, r3:e1]
    addresses: [10.1.0.5/30, 10.1.0.6/30]
  - endpoints: [r3:e2, h:e1]
)");
  ASSERT_TRUE(r.diagnostics.empty()) << r.diagnostics.render();
  const Topology& t = r.topology;
  EXPECT_EQ(addresses_of(t.links[0].endpoints[0]), (V{"10.1.0.1/30", "fd00:0:0:1::1/64"}));
  EXPECT_EQ(addresses_of(t.links[0].endpoints[1]), (V{"10.1.0.2/30", "fd00:0:0:1::2/64"}));
  EXPECT_EQ(addresses_of(t.links[1].endpoints[0]), (V{"10.1.0.5/30"}));  // the file's own
  // 10.1.0.4/30 is the file's: the pool skips it.
  EXPECT_EQ(addresses_of(t.links[2].endpoints[0]), (V{"10.1.0.9/30", "fd00:0:0:2::1/64"}));
  // Loopbacks: routers without one, skipping the file's 10.0.0.1; v6 from the first /64.
  ASSERT_EQ(t.nodes[0].loopback.size(), 2u);
  EXPECT_EQ(t.nodes[0].loopback[0].text(), "10.0.0.2/32");
  EXPECT_EQ(t.nodes[0].loopback[1].text(), "fd00::1/128");
  EXPECT_EQ(t.nodes[1].loopback.size(), 1u);
  EXPECT_EQ(t.nodes[2].loopback[0].text(), "10.0.0.3/32");
  EXPECT_TRUE(t.nodes[3].loopback.empty());  // hosts get none
  // Deterministic: the same file, the same addresses.
  LoadResult again = load(r.text);
  EXPECT_EQ(addresses_of(again.topology.links[2].endpoints[1]),
            addresses_of(t.links[2].endpoints[1]));
}

TEST(Addressing, SlashThirtyOneLansAndBridgeSegments) {
  LoadResult r = load(R"(name: t
addressing: {p2p: 10.1.0.0/24, p2p_prefix: 31, lan: 172.16.0.0/16}
nodes: {a: {}, b: {}, c: {}, sw: {kind: bridge}, d: {}, e: {}}
links:
  - endpoints: [a:e1, b:e1]
  - endpoints: [a:e2, b:e2, c:e2]
  - endpoints: [sw:p1, d:e1]
  - endpoints:
      - {node: sw, iface: p2}
      - {node: e, iface: e1, addresses: [172.16.1.1/24]}
  - endpoints: [sw:p3, c:e3]
)");
  ASSERT_TRUE(r.diagnostics.empty()) << r.diagnostics.render();
  const Topology& t = r.topology;
  EXPECT_EQ(addresses_of(t.links[0].endpoints[0]), (V{"10.1.0.0/31"}));
  EXPECT_EQ(addresses_of(t.links[0].endpoints[1]), (V{"10.1.0.1/31"}));
  EXPECT_EQ(addresses_of(t.links[1].endpoints[2]), (V{"172.16.0.3/24"}));
  // The bridge segment takes the subnet of the host the file addressed, and skips its address.
  EXPECT_TRUE(t.links[2].endpoints[0].addresses.empty());
  EXPECT_EQ(addresses_of(t.links[2].endpoints[1]), (V{"172.16.1.2/24"}));
  EXPECT_EQ(addresses_of(t.links[4].endpoints[1]), (V{"172.16.1.3/24"}));
}

TEST(Addressing, AnExhaustedPoolSaysWhichAndHowManyItLacks) {
  LoadResult r = load(R"(name: t
addressing:
  p2p: 10.1.0.0/29
nodes: {a: {}, b: {}, c: {}}
links:
  - endpoints: [a:e1, b:e1]
  - endpoints: [b:e2, c:e2]
  - endpoints: [c:e3, a:e3]
  - endpoints: [a:e4, c:e4]
)");
  ASSERT_EQ(r.diagnostics.size(), 1u) << r.diagnostics.render();
  const Diagnostic& d = r.diagnostics.list()[0];
  EXPECT_EQ(d.pos.line, 3);
  EXPECT_EQ(d.pos.col, 8);
  EXPECT_EQ(d.message,
            "pool `p2p` 10.1.0.0/29 is exhausted: the lab needs 4 /30 subnets from it "
            "and it has room for 2 (2 more)");
}

TEST(Addressing, PoolsAreChecked) {
  for (auto [pool, what] : std::vector<std::pair<std::string, std::string>>{
           {"p2p: fd00::/48", "must be an IPv4 prefix"},
           {"ipv6: 10.0.0.0/8", "must be an IPv6 prefix"},
           {"lan: 10.0.0.0/25", "is too small"},
           {"p2p: 10.0.0.0", "is not a prefix"},
           {"p2p_prefix: 29", "30 or 31"},
           {"wan: 10.0.0.0/8", "unknown key `wan`"}}) {
    LoadResult r = load("name: t\naddressing: {" + pool + "}\nnodes: {a: {}}\n");
    ASSERT_EQ(r.diagnostics.size(), 1u) << pool << "\n" << r.diagnostics.render();
    EXPECT_NE(r.diagnostics.list()[0].message.find(what), std::string::npos)
        << r.diagnostics.list()[0].message;
    EXPECT_EQ(r.diagnostics.list()[0].pos.line, 2);
  }
}

TEST(Addressing, RoutesMayUsePoolAddresses) {
  LoadResult r = load(R"(name: t
addressing: {p2p: 10.1.0.0/16}
nodes:
  a: {routes: [default via 10.1.0.2]}
  b: {}
links:
  - endpoints: [a:e1, b:e1]
)");
  EXPECT_TRUE(r.diagnostics.empty()) << r.diagnostics.render();
}

}  // namespace
}  // namespace topo
