#include "topo/language/hosts.h"

#include <gtest/gtest.h>

#include "topo/language/loader.h"

namespace topo {
namespace {

TEST(Hosts, EveryNodeNameAndNodeIfaceToItsAddresses) {
  LoadResult r = load_text("lab.yaml", R"(name: h
nodes:
  r1: {kind: router, loopback: [10.0.0.1/32, "fd00::1/128"]}
  h2: {}
  sw: {kind: bridge}
links:
  - endpoints: [r1:eth1, h2:eth0]
    addresses: [[10.1.0.1/30, "fd00:1::1/64"], [10.1.0.2/30, "fd00:1::2/64"]]
  - endpoints: [sw:p1, h2:eth1]
    addresses: [[], [192.168.0.2/24]]
)",
                           "/");
  ASSERT_TRUE(r.diagnostics.empty()) << r.diagnostics.render();
  std::string hosts = hosts_file(r.topology);
  EXPECT_NE(hosts.find("127.0.0.1\tlocalhost\n"), std::string::npos) << hosts;
  EXPECT_NE(hosts.find("\n10.0.0.1\tr1 r1-lo\nfd00::1\tr1 r1-lo\n10.1.0.1\tr1-eth1\n"
                       "fd00:1::1\tr1-eth1\n"),
            std::string::npos)
      << hosts;
  EXPECT_NE(hosts.find("\n10.1.0.2\th2 h2-eth0\nfd00:1::2\th2 h2-eth0\n192.168.0.2\th2-eth1\n"),
            std::string::npos)
      << hosts;
  EXPECT_EQ(hosts.find("sw"), std::string::npos) << "a bridge has no address";
  EXPECT_EQ(primary_address(r.topology, "r1")->text(), "10.0.0.1/32");
  EXPECT_EQ(primary_address(r.topology, "h2", nl::IpPrefix::AF_INET6_VALUE)->text(),
            "fd00:1::2/64");
  EXPECT_FALSE(primary_address(r.topology, "sw"));
}

}  // namespace
}  // namespace topo
