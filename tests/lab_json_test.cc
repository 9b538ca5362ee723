#include "topo/run/lab_json.h"

#include <gtest/gtest.h>

#include "tests/lab_sample.h"

namespace topo {
namespace {

using nlohmann::json;
using testing::chain_lab;
using testing::prefix;

// A lab with one of everything a lab as built can hold.
Lab rich_lab() {
  Lab lab = chain_lab(3);
  BuiltNode& n2 = lab.nodes[1];
  n2.env = {{"ROLE", "core"}};
  n2.routes.push_back({prefix("0.0.0.0/0"), {{prefix("10.0.0.1/32"), "eth0"}}});
  n2.routes.push_back(
      {prefix("fd00:1::/64"), {{prefix("fd00::1/128"), ""}, {prefix("fd00::2/128"), "eth1"}}});
  n2.files.push_back({"frr.conf", "router ospf\n", false});
  n2.exec = {"echo hi"};
  n2.daemons.push_back({"zebra", "/usr/lib/frr/zebra", "c0ffee", 0, "", "", 0});
  BuiltIface& eth0 = n2.ifaces[1];
  eth0.impairment = nl::Impairment{20'000, 5'000, 1.5, 0, 0, 0.25, 5'000'000};
  eth0.addresses.push_back(prefix("fd00::1:1/64"));
  eth0.mtu = 9000;
  BuiltNode lan;
  lan.name = lan_name(2);
  lan.netns = lab.netns_of(lan.name);
  lan.kind = NodeKind::lan;
  lan.ifaces.push_back({"lo", IfaceType::lo, {}, 0, true, "", 0, {}, {}, {}});
  lan.ifaces.push_back({"br0", IfaceType::bridge, {}, 0, true, "", 1, {}, {}, {}});
  lan.ifaces.push_back(
      {lan_port_name(1), IfaceType::veth, nl::Mac{2, 0, 0, 0, 9, 1}, 0, true, "br0", 2, {}, {}, {}});
  lab.nodes.push_back(lan);
  lab.host_ifaces.push_back({"lab1-up",
                             IfaceType::veth,
                             nl::Mac{2, 0, 0, 0, 9, 2},
                             0,
                             true,
                             "",
                             kKernelSlot,
                             {prefix("192.168.7.1/24")},
                             {},
                             {}});
  lab.links.push_back({{"host", "lab1-up"}, {lan.name, lan_port_name(1)}});
  lab.hosts = "10.0.0.1 n1\n";
  return lab;
}

TEST(LabJson, ALabReadsBackAsItWasWritten) {
  Lab lab = rich_lab();
  json written = lab;
  Lab read = json::parse(written.dump()).get<Lab>();
  EXPECT_EQ(json(read), written);  // every field, as each value writes itself
  ASSERT_EQ(read.nodes.size(), 4u);
  const BuiltNode& n2 = read.nodes[1];
  EXPECT_EQ(n2.kind, NodeKind::router);
  EXPECT_EQ(read.nodes[3].kind, NodeKind::lan);
  EXPECT_EQ(n2.env, (std::vector<KeyValue>{{"ROLE", "core"}}));
  ASSERT_EQ(n2.routes.size(), 2u);
  EXPECT_EQ(n2.routes[1].hops[1].gateway, prefix("fd00::2/128"));
  EXPECT_EQ(n2.routes[1].hops[1].dev, "eth1");
  EXPECT_EQ(n2.routes[0].dst.len, 0);
  const BuiltIface* eth0 = n2.find_iface("eth0");
  ASSERT_TRUE(eth0);
  EXPECT_EQ(eth0->impairment, (nl::Impairment{20'000, 5'000, 1.5, 0, 0, 0.25, 5'000'000}));
  EXPECT_EQ(eth0->addresses, lab.nodes[1].ifaces[1].addresses);
  EXPECT_EQ(eth0->mac, lab.nodes[1].ifaces[1].mac);
  EXPECT_EQ(eth0->mtu, 9000);
  EXPECT_EQ(eth0->slot, 1);
  EXPECT_FALSE(read.nodes[0].ifaces[0].mac);
  EXPECT_EQ(read.nodes[3].ifaces[2].master, "br0");
  EXPECT_EQ(read.nodes[3].ifaces[1].type, IfaceType::bridge);
  EXPECT_EQ(read.host_ifaces[0].slot, kKernelSlot);
  EXPECT_EQ(read.links.back().a, (End{"host", "lab1-up"}));
  EXPECT_EQ(read.hosts, lab.hosts);
  EXPECT_EQ(read.file_links, 2u);
  EXPECT_EQ(read.nodes[1].daemons[0].config, "c0ffee");
}

TEST(LabJson, ItsTextIsItsJson) {
  Lab lab = rich_lab();
  EXPECT_EQ(json::parse(lab_json_text(lab)), json(lab));
  EXPECT_EQ(json::parse(lab_json_text(Lab{})), json(Lab{}));
  EXPECT_EQ(json::parse(lab_json_text(Lab{})).get<Lab>().nodes.size(), 0u);
  lab.nodes.resize(1);
  EXPECT_EQ(json::parse(lab_json_text(lab)), json(lab));
}

TEST(LabJson, ValuesAreWrittenAsTheirText) {
  Lab lab = rich_lab();
  json j = lab;
  const json& eth0 = j["nodes"][1]["ifaces"][1];
  EXPECT_EQ(eth0["mac"], "02:00:00:01:00:01");
  EXPECT_EQ(eth0["addresses"][1], "fd00::1:1/64");
  EXPECT_EQ(j["nodes"][1]["ifaces"][0]["type"], "lo");
  EXPECT_EQ(j["nodes"][1]["kind"], "router");
  EXPECT_EQ(j["links"][0]["a"], "n1:eth0");
  EXPECT_EQ(j["nodes"][1]["routes"][0]["dst"], "0.0.0.0/0");
  // What is at its default is left out: a veth, no MAC (lo), no impairment, no daemons.
  EXPECT_FALSE(eth0.contains("type"));
  EXPECT_FALSE(j["nodes"][1]["ifaces"][0].contains("mac"));
  EXPECT_FALSE(j["nodes"][0]["ifaces"][1].contains("impairment"));
  EXPECT_FALSE(j["nodes"][0].contains("daemons"));
  EXPECT_FALSE(j["nodes"][0].contains("kind")) << "a host";
  // What only a live lab has is not written.
  EXPECT_FALSE(j["nodes"][0].contains("id"));
  EXPECT_FALSE(j["nodes"][1]["daemons"][0].contains("pid"));
}

TEST(LabJson, AFieldALabLacksReadsAsItsDefault) {
  Lab read =
      json::parse(R"({"name":"x","nodes":[{"name":"a","ifaces":[{"name":"eth0"}]}]})").get<Lab>();
  ASSERT_EQ(read.nodes.size(), 1u);
  EXPECT_EQ(read.nodes[0].kind, NodeKind::host);
  EXPECT_EQ(read.nodes[0].ifaces[0].type, IfaceType::veth);
  EXPECT_EQ(read.nodes[0].ifaces[0].slot, kKernelSlot);
  EXPECT_FALSE(read.hosts);
}

// Which sysctls are topo's defaults came after the first topo of journal version 3: a record
// without them reads as none (every sysctl put back when changed, as that topo did).
TEST(LabJson, DefaultSysctlsAreWrittenAndAJournalWithoutThemStillReads) {
  Lab lab = rich_lab();
  lab.nodes[1].sysctls = {{"net.ipv4.ip_forward", "1"}, {"net.ipv4.conf.all.rp_filter", "0"}};
  lab.nodes[1].default_sysctls = {"net.ipv4.ip_forward"};
  json j = lab;
  EXPECT_EQ(j["nodes"][1]["default_sysctls"], json::array({"net.ipv4.ip_forward"}));
  EXPECT_FALSE(j["nodes"][0].contains("default_sysctls"));
  Lab read = json::parse(j.dump()).get<Lab>();
  EXPECT_TRUE(read.nodes[1].is_default_sysctl("net.ipv4.ip_forward"));
  EXPECT_FALSE(read.nodes[1].is_default_sysctl("net.ipv4.conf.all.rp_filter"));
  Lab old = json::parse(R"({"name":"x","nodes":[{"name":"a","kind":"router",)"
                        R"("sysctls":[["net.ipv4.ip_forward","1"]]}]})")
                .get<Lab>();
  ASSERT_EQ(old.nodes[0].sysctls.size(), 1u);
  EXPECT_TRUE(old.nodes[0].default_sysctls.empty());
}

TEST(LabJson, WhatIsNotAValueIsAnErrorNotAZero) {
  auto read_with = [](const std::string& field, const std::string& value) {
    json j = rich_lab();
    if (field == "kind") j["nodes"][0]["kind"] = json::parse(value);
    if (field == "mac") j["nodes"][1]["ifaces"][1]["mac"] = json::parse(value);
    if (field == "address") j["nodes"][1]["ifaces"][1]["addresses"][0] = json::parse(value);
    if (field == "type") j["nodes"][1]["ifaces"][1]["type"] = json::parse(value);
    if (field == "end") j["links"][0]["b"] = json::parse(value);
    return j.get<Lab>();
  };
  EXPECT_NO_THROW(read_with("kind", R"("bridge")"));
  EXPECT_THROW(read_with("kind", R"("switch")"), std::exception);
  EXPECT_THROW(read_with("kind", "3"), std::exception);
  EXPECT_THROW(read_with("mac", R"("02:00:00:00:00")"), std::exception);
  EXPECT_THROW(read_with("mac", "[2,0,0,0,0,1]"), std::exception);
  EXPECT_THROW(read_with("address", R"("10.0.0.300/30")"), std::exception);
  EXPECT_THROW(read_with("address", R"("10.0.0.1")"), std::exception);
  EXPECT_THROW(read_with("type", R"("tun")"), std::exception);
  EXPECT_THROW(read_with("end", R"("n2")"), std::exception);
}

}  // namespace
}  // namespace topo
