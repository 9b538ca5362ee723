#include "topo/language/hosts.h"

#include <gtest/gtest.h>

#include <map>
#include <sstream>

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

// FRR's topotests name interfaces after their node (r1-eth0): the name is not repeated.
TEST(Hosts, AnInterfaceNamedAfterItsNodeKeepsItsName) {
  LoadResult r = load_text("lab.yaml", R"(name: h
nodes:
  r1: {}
  r2: {}
links:
  - endpoints: [r1:r1-eth0, r2:r2-eth0]
    addresses: [10.1.0.1/30, 10.1.0.2/30]
  - endpoints: [r1:r2-eth9, r2:eth1]
    addresses: [10.1.0.5/30, 10.1.0.6/30]
)",
                           "/");
  ASSERT_TRUE(r.diagnostics.empty()) << r.diagnostics.render();
  std::string hosts = hosts_file(r.topology);
  EXPECT_NE(hosts.find("\n10.1.0.1\tr1 r1-eth0\n10.1.0.5\tr1-r2-eth9\n"), std::string::npos)
      << "only a name that starts with its own node's is kept as it is\n"
      << hosts;
  EXPECT_NE(hosts.find("\n10.1.0.2\tr2 r2-eth0\n10.1.0.6\tr2-eth1\n"), std::string::npos) << hosts;
  EXPECT_EQ(hosts.find("r1-r1-"), std::string::npos) << hosts;
}

// Where the short names would give one name twice, the later interface gets node-iface, and a
// name that is taken whatever happens is left out: no name stands for two addresses.
TEST(Hosts, NoNameIsGivenTwice) {
  LoadResult r = load_text("lab.yaml", R"(name: h
nodes:
  r1: {}
  r1-x: {}
  h: {}
links:
  - endpoints: [r1:eth1, h:e1]
    addresses: [10.1.0.1/30, 10.1.0.2/30]
  - endpoints: [r1:r1-eth1, h:e2]
    addresses: [[10.1.0.5/30, "fd00::5/64"], [10.1.0.6/30, "fd00::6/64"]]
  - endpoints: [r1:x, h:e3]
    addresses: [10.1.0.9/30, 10.1.0.10/30]
  - endpoints: [r1:r1-lo0, h:e4]
    addresses: [10.1.0.13/30, 10.1.0.14/30]
)",
                           "/");
  ASSERT_TRUE(r.diagnostics.empty()) << r.diagnostics.render();
  std::string hosts = hosts_file(r.topology);
  EXPECT_NE(hosts.find("\n10.1.0.1\tr1 r1-eth1\n10.1.0.5\tr1-r1-eth1\nfd00::5\tr1 r1-r1-eth1\n"),
            std::string::npos)
      << hosts;
  EXPECT_EQ(hosts.find("10.1.0.9\t"), std::string::npos)
      << "r1-x is a node: r1's interface x has no name\n"
      << hosts;
  EXPECT_NE(hosts.find("\n10.1.0.13\tr1-lo0\n"), std::string::npos) << hosts;
  std::istringstream lines(hosts);
  std::map<std::string, std::string> address_of;
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("#")) continue;
    std::istringstream words(line);
    std::string address, name;
    words >> address;
    while (words >> name) {
      auto [it, fresh] = address_of.emplace(
          name + (address.find(':') != std::string::npos ? "/6" : "/4"), address);
      EXPECT_TRUE(fresh) << name << " is " << it->second << " and " << address << "\n" << hosts;
    }
  }
}

}  // namespace
}  // namespace topo
