#include "topo/plan/planner.h"
#include "topo/plan/converge.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <set>
#include <sstream>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "netlink/error.h"
#include "tests/fakes/fake_backend.h"
#include "topo/language/loader.h"
#include "topo/language/resolve.h"
#include "topo/run/applier.h"

namespace topo {
namespace {

Topology parse(const std::string& text) {
  LoadResult r = load_text("lab.yaml", text, "/labs");
  EXPECT_TRUE(r.diagnostics.empty()) << r.diagnostics.render();
  return r.topology;
}

// What a fresh `up` of the topology does.
Plan fresh_plan(const Topology& t) {
  return converge(resolve(t), {}, {}, {}).plan;
}

const char* kLab = R"(name: p
nodes:
  r1:
    kind: router
    loopback: 10.0.0.1/32
    sysctls: {net.ipv4.ip_forward: 0, net.ipv4.conf.all.rp_filter: 2}
    routes:
      - 10.9.0.0/16 via 10.1.0.2
      - {dst: 10.8.0.0/16, via: [10.1.0.2, 10.2.0.2]}
      - {dst: 192.0.2.0/24, dev: eth2}
  h2: {}
  h3: {}
links:
  - endpoints: [r1:eth1, h2:eth0]
    addresses: [10.1.0.1/30, 10.1.0.2/30]
    mtu: 9000
  - endpoints:
      - {node: r1, iface: eth2, mac: "02:00:00:00:00:01", addresses: [10.2.0.1/24]}
      - {node: h3, iface: eth0, addresses: [10.2.0.2/24]}
    state: down
)";

std::vector<std::string> described(const Plan& plan) {
  std::vector<std::string> out;
  for (const Action& a : plan.actions) out.push_back(describe(plan, a));
  return out;
}

TEST(Planner, OrdersNamespacesThenVethsThenNodeByNode) {
  Plan plan = fresh_plan(parse(kLab));
  std::string mac_r1_eth1 = nl::mac_text(default_mac("p", "r1", "eth1"));
  std::string mac_h2_eth0 = nl::mac_text(default_mac("p", "h2", "eth0"));
  std::string mac_h3_eth0 = nl::mac_text(default_mac("p", "h3", "eth0"));
  std::vector<std::string> expected = {
      "r1: create netns p-r1",
      "h2: create netns p-h2",
      "h3: create netns p-h3",
      // The router default for v6 forwarding; the file's own ip_forward wins over the default.
      // A node's own sysctls come before its interfaces exist (conf.default applies to them),
      // as for a node added to a running lab.
      "r1: sysctl net.ipv6.conf.all.forwarding=1",
      "r1: sysctl net.ipv4.ip_forward=0",
      "r1: sysctl net.ipv4.conf.all.rp_filter=2",
      "r1: create veth eth1 (" + mac_r1_eth1 + ") <-> h2:eth0 (" + mac_h2_eth0 + ") mtu 9000",
      "r1: create veth eth2 (02:00:00:00:00:01) <-> h3:eth0 (" + mac_h3_eth0 + ") down",
      "r1: set lo up",
      "r1: address 10.0.0.1/32 on lo",
      "r1: address 10.1.0.1/30 on eth1",
      "r1: address 10.2.0.1/24 on eth2",
      "r1: route 10.9.0.0/16 via 10.1.0.2",
      "r1: route 10.8.0.0/16 via 10.1.0.2 via 10.2.0.2",
      "r1: route 192.0.2.0/24 dev eth2",
      "h2: set lo up",
      "h2: address 10.1.0.2/30 on eth0",
      "h2: set eth0 up",  // the peer end; r1:eth1 came up at creation
      "h3: set lo up",
      "h3: address 10.2.0.2/24 on eth0",  // state: down: no end comes up
      "all: hosts file (10 lines)",
      "r1: link /etc/netns/p-r1 to the lab's hosts",
      "h2: link /etc/netns/p-h2 to the lab's hosts",
      "h3: link /etc/netns/p-h3 to the lab's hosts",
  };
  EXPECT_EQ(described(plan), expected);
  EXPECT_EQ(plan.links, 2u);
}

TEST(Planner, NumbersInterfacesPerNodeWithLoAsSlotZero) {
  Plan plan = fresh_plan(parse(kLab));
  const auto& v1 = std::get<CreateVeth>(plan.actions[6]);
  const auto& v2 = std::get<CreateVeth>(plan.actions[7]);
  EXPECT_EQ(v1.a.slot, 1);
  EXPECT_EQ(v2.a.slot, 2);
  EXPECT_EQ(v1.b.slot, 1);
  EXPECT_EQ(v2.b.slot, 1);
  EXPECT_TRUE(v1.up);
  EXPECT_FALSE(v2.up);
  const auto& dev_route = std::get<AddRoute>(plan.actions[14]);
  ASSERT_TRUE(dev_route.hops[0].dev);
  EXPECT_EQ(dev_route.hops[0].dev->slot, 2);
}

TEST(Planner, DefaultMacsAreDeterministicUnicastAndLocal) {
  nl::Mac m = default_mac("lab", "r1", "eth1");
  EXPECT_EQ(m, default_mac("lab", "r1", "eth1"));
  EXPECT_NE(m, default_mac("lab", "r1", "eth2"));
  EXPECT_NE(m, default_mac("other", "r1", "eth1"));
  EXPECT_EQ(m[0], 0x02);
  EXPECT_NE(default_mac("lab", "r1", "eth1", 1), m) << "another attempt, another MAC";
}

// Every MAC of a plan's veths, in order.
std::vector<nl::Mac> veth_macs(const Plan& plan) {
  std::vector<nl::Mac> out;
  for (const Action& a : plan.actions)
    if (auto* v = std::get_if<CreateVeth>(&a)) out.insert(out.end(), {v->mac_a, v->mac_b});
  return out;
}

TEST(Planner, AChosenMacNeverEqualsOneTheFileGivesLaterInTheFile) {
  // h2:eth0 is given the MAC r1:eth1 would get first; r1:eth1 comes first in the file.
  std::string taken = nl::mac_text(default_mac("p", "r1", "eth1"));
  Plan plan = fresh_plan(parse(R"(name: p
nodes: {r1: {}, h2: {}, h3: {}}
links:
  - endpoints: [r1:eth1, h3:eth0]
  - endpoints: [r1:eth2, {node: h2, iface: eth0, mac: ")" +
                               taken + R"("}]
)"));
  std::vector<nl::Mac> macs = veth_macs(plan);
  ASSERT_EQ(macs.size(), 4u);
  EXPECT_EQ(macs[0], default_mac("p", "r1", "eth1", 1)) << "the next attempt";
  EXPECT_EQ(nl::mac_text(macs[3]), taken) << "the file's MAC as given";
  EXPECT_EQ(std::set<nl::Mac>(macs.begin(), macs.end()).size(), macs.size());
}

class ApplierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/topo-applier-test.XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  JournalWriter journal() {
    return JournalWriter::create(dir_ + "/journal", {"p", "p-", "/labs/lab.yaml", "h", 1, 0});
  }
  std::string dir_;
};

TEST_F(ApplierTest, AppliesEveryActionInOrderAndJournalsBeforeCreating) {
  Plan plan = fresh_plan(parse(kLab));
  FakeBackend backend;
  JournalWriter j = journal();
  apply_plan(plan, backend, j);
  EXPECT_EQ(backend.log, described(plan));
  auto state = read_journal(dir_ + "/journal");
  ASSERT_TRUE(state);
  EXPECT_TRUE(state->complete);
  ASSERT_EQ(state->netns.size(), 3u);
  EXPECT_EQ(state->netns[2].netns, "p-h3");
  EXPECT_EQ(state->netns[2].id, FakeBackend::id_of(2));
  ASSERT_EQ(state->veths.size(), 2u);
  EXPECT_EQ(state->veths[1].a, "r1:eth2");
  EXPECT_EQ(state->veths[1].b, "h3:eth0");
}

TEST_F(ApplierTest, AFailureLeavesAJournalThatTeardownUndoesNewestFirst) {
  Plan plan = fresh_plan(parse(kLab));
  FakeBackend backend;
  backend.fail_on = "create netns p-h3";
  JournalWriter j = journal();
  EXPECT_THROW(apply_plan(plan, backend, j), nl::Error);
  auto state = read_journal(dir_ + "/journal");
  ASSERT_TRUE(state);
  EXPECT_FALSE(state->complete);
  // All three were journaled before the batch ran, so a kill here would be undone too.
  ASSERT_EQ(state->netns.size(), 3u);
  // Each identity is recorded as its namespace is made: none for the one that failed.
  EXPECT_EQ(state->netns[0].id, FakeBackend::id_of(0));
  EXPECT_FALSE(state->netns[2].id.known());
  backend.log.clear();
  EXPECT_TRUE(teardown(*state, backend).empty());
  EXPECT_EQ(backend.log, (std::vector<std::string>{"stop processes", "remove netns p-h3",
                                                   "remove netns p-h2", "remove netns p-r1"}));
  EXPECT_TRUE(backend.live_netns.empty());
}

TEST_F(ApplierTest, TeardownReportsWhatItCouldNotRemoveAndGoesOn) {
  struct Stubborn : FakeBackend {
    Removed remove_netns(const std::string& netns, const nl::NetnsId& id) override {
      if (netns == "p-h2") throw nl::Error(netns, "namespace", "remove", EBUSY, "busy");
      return FakeBackend::remove_netns(netns, id);
    }
  } backend;
  JournalState state;
  state.netns = {{"p-r1", "r1", {1, 1, 1}, "host"},
                 {"p-h2", "h2", {2, 1, 2}, "host"},
                 {"p-h3", "h3", {3, 1, 3}, "host"}};
  backend.live_netns = {"p-r1", "p-h2", "p-h3"};
  std::vector<std::string> failures = teardown(state, backend);
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_NE(failures[0].find("p-h2"), std::string::npos);
  EXPECT_EQ(backend.live_netns, (std::set<std::string>{"p-h2"}));
}

}  // namespace
}  // namespace topo

namespace topo {
namespace {

TEST(Planner, BridgeNodesLansAndHostEnds) {
  Plan plan = fresh_plan(parse(R"(name: p
nodes:
  sw: {kind: bridge}
  h1: {}
  h2: {}
links:
  - endpoints: [h1:e0, sw:p1]
    addresses: [[10.1.0.1/24], []]
  - endpoints: [h1:e1, h2:e1, sw:p2]
  - endpoints: [host:p-up, h2:e2]
    addresses: ["fd00:9::1/64", "fd00:9::2/64"]
)"));
  std::vector<std::string> lines = described(plan);
  auto mac = [](const char* node, const char* iface) {
    return nl::mac_text(default_mac("p", node, iface));
  };
  std::vector<std::string> expected = {
      "sw: create netns p-sw",
      "h1: create netns p-h1",
      "h2: create netns p-h2",
      "_lan2: create netns p-_lan2",
      "h2: sysctl net.ipv6.conf.default.accept_dad=0",
      "sw: create bridge br0",
      "_lan2: create bridge br0",
      // the bridge side is sent, so the port is born a port
      "sw: create veth p1 (" + mac("sw", "p1") + ") <-> h1:e0 (" + mac("h1", "e0") + ") master br0",
      "_lan2: create veth p1 (" + mac("_lan2", "p1") + ") <-> h1:e1 (" + mac("h1", "e1") +
          ") master br0",
      "_lan2: create veth p2 (" + mac("_lan2", "p2") + ") <-> h2:e1 (" + mac("h2", "e1") +
          ") master br0",
      "_lan2: create veth p3 (" + mac("_lan2", "p3") + ") <-> sw:p2 (" + mac("sw", "p2") +
          ") master br0",
      // the root end is always the far end, born there by fd
      "h2: create veth e2 (" + mac("h2", "e2") + ") <-> host:p-up (" + mac("host", "p-up") + ")",
      "sw: set p2 master br0 up",
      "sw: set lo up",
      "h1: set lo up",
      "h1: address 10.1.0.1/24 on e0",
      "h1: set e0 up",
      "h1: set e1 up",
      "h2: set lo up",
      "h2: address fd00:9::2/64 on e2",
      "h2: set e1 up",
      "host: address fd00:9::1/64 on p-up",
      "host: set p-up up",
      "all: hosts file (7 lines)",
      "sw: link /etc/netns/p-sw to the lab's hosts",
      "h1: link /etc/netns/p-h1 to the lab's hosts",
      "h2: link /etc/netns/p-h2 to the lab's hosts",
  };
  EXPECT_EQ(lines, expected);
  EXPECT_EQ(plan.links, 3u);
  ASSERT_EQ(plan.root, 4);
  EXPECT_EQ(plan.nodes[4].role, PlanNode::Role::root);
  EXPECT_EQ(plan.nodes[4].netns, "");
  EXPECT_EQ(plan.nodes[3].role, PlanNode::Role::lan);
  const auto& host_veth = std::get<CreateVeth>(plan.actions[11]);
  EXPECT_EQ(host_veth.b.slot, kKernelSlot);
  // Slots: sw has br0 first, then its ports.
  const auto& sw_bridge = std::get<CreateBridge>(plan.actions[5]);
  EXPECT_EQ(sw_bridge.bridge.slot, 1);
  EXPECT_EQ(std::get<CreateVeth>(plan.actions[7]).a.slot, 2);
}

// Warnings logged while it lives.
class CapturedWarnings {
 public:
  CapturedWarnings()
      : previous_(spdlog::default_logger()),
        logger_(std::make_shared<spdlog::logger>(
            "captured", std::make_shared<spdlog::sinks::ostream_sink_mt>(text_))) {
    logger_->set_pattern("%l: %v");
    spdlog::set_default_logger(logger_);
  }
  ~CapturedWarnings() { spdlog::set_default_logger(previous_); }
  std::string text() const { return text_.str(); }

 private:
  std::ostringstream text_;
  std::shared_ptr<spdlog::logger> previous_, logger_;
};

// A change removes the link a:e0 <-> b:e0 of a running lab.
Plan removal_of_a_link() {
  Plan plan;
  plan.lab = "p";
  plan.nodes = {{"a", "p-a", PlanNode::Role::node, NodeKind::host, {}},
                {"b", "p-b", PlanNode::Role::node, NodeKind::host, {}}};
  plan.actions = {DeleteVeth{{0, "e0", kKernelSlot}, {0x02, 0, 0, 0, 0, 0xa0}, "b:e0"}};
  return plan;
}

TEST_F(ApplierTest, AVethEndNoLongerTheLabsIsLeftAloneAndSaidSo) {
  Plan plan = removal_of_a_link();
  FakeBackend backend;
  backend.not_ours = {"a:e0"};  // something else has its name now: another MAC
  JournalWriter j = journal();
  j.veths({{"a:e0", "b:e0"}}, {});
  CapturedWarnings warnings;
  apply_plan(plan, backend, j);
  EXPECT_EQ(backend.log, (std::vector<std::string>{"a: delete veth e0 <-> b:e0"}));
  EXPECT_EQ(warnings.text(),
            "warning: left interface e0 of netns p-a alone: it is no longer the veth this lab "
            "made (its MAC is not 02:00:00:00:00:a0); lab p forgets it\n");
  auto state = read_journal(dir_ + "/journal");
  ASSERT_TRUE(state);
  EXPECT_TRUE(state->veths.empty()) << "a down must not count it as the lab's";
}

TEST_F(ApplierTest, AVethEndStillTheLabsIsRemovedWithoutAWord) {
  Plan plan = removal_of_a_link();
  FakeBackend backend;
  JournalWriter j = journal();
  j.veths({{"a:e0", "b:e0"}}, {});
  CapturedWarnings warnings;
  apply_plan(plan, backend, j);
  EXPECT_EQ(backend.log, (std::vector<std::string>{"a: delete veth e0 <-> b:e0"}));
  EXPECT_EQ(warnings.text(), "");
  auto state = read_journal(dir_ + "/journal");
  ASSERT_TRUE(state);
  EXPECT_TRUE(state->veths.empty());
}

TEST_F(ApplierTest, HostEndsAreJournaledAndRemovedFirst) {
  Plan plan = fresh_plan(parse(R"(name: p
nodes: {r: {}}
links:
  - endpoints: [r:e0, host:p-up]
)"));
  FakeBackend backend;
  JournalWriter j = journal();
  apply_plan(plan, backend, j);
  auto state = read_journal(dir_ + "/journal");
  ASSERT_TRUE(state);
  ASSERT_EQ(state->host_links.size(), 1u);
  EXPECT_EQ(state->host_links[0].iface, "p-up");
  EXPECT_EQ(state->host_links[0].mac, nl::mac_text(default_mac("p", "host", "p-up")));
  backend.log.clear();
  EXPECT_TRUE(teardown(*state, backend).empty());
  // Processes, then the root namespace's ends, /etc/netns links, namespaces.
  EXPECT_EQ(backend.log, (std::vector<std::string>{"stop processes", "remove host link p-up",
                                                   "remove /etc/netns/p-r", "remove netns p-r"}));
}

}  // namespace
}  // namespace topo

namespace topo {
namespace {

const char* kRunning = R"(name: p
defaults:
  files: {common.conf: "x"}
nodes:
  a:
    env: {ROLE: edge}
    exec: [echo one, echo two]
    daemons:
      - {name: web, cmd: "python3 -m http.server"}
  b: {}
  c:
    exec: [echo three]
)";

TEST(Planner, FilesExecThenDaemonsAfterTheNetwork) {
  Plan plan = fresh_plan(parse(kRunning));
  std::vector<std::string> lines = described(plan);
  std::vector<std::string> tail(lines.end() - 12, lines.end() - 1);
  EXPECT_EQ(tail, (std::vector<std::string>{
                      "all: hosts file (5 lines)",
                      "a: link /etc/netns/p-a to the lab's hosts",
                      "b: link /etc/netns/p-b to the lab's hosts",
                      "c: link /etc/netns/p-c to the lab's hosts",
                      "a: node directory, files common.conf",
                      "b: node directory, files common.conf",
                      "c: node directory, files common.conf",
                      "a: exec `echo one`",
                      "a: exec `echo two`",
                      "c: exec `echo three`",
                      "a: start daemon web: `python3 -m http.server`",
                  }));
  EXPECT_TRUE(std::holds_alternative<WatchDaemons>(plan.actions.back()));
  EXPECT_EQ(plan.nodes[0].env,
            (std::vector<std::pair<std::string, std::string>>{{"ROLE", "edge"}}));
}

TEST_F(ApplierTest, DaemonsAndEtcLinksAreJournaled) {
  Plan plan = fresh_plan(parse(kRunning));
  FakeBackend backend;
  backend.etc_dir_exists = false;
  JournalWriter j = journal();
  apply_plan(plan, backend, j);
  auto state = read_journal(dir_ + "/journal");
  ASSERT_TRUE(state);
  EXPECT_EQ(state->etc_links, (std::vector<std::string>{"p-a", "p-b", "p-c"}));
  EXPECT_TRUE(state->etc_dir_made);
  ASSERT_EQ(state->daemons.size(), 1u);
  EXPECT_EQ(state->daemons[0].node, "a");
  EXPECT_EQ(state->daemons[0].name, "web");
  EXPECT_GT(state->daemons[0].pid, 0);
  backend.log.clear();
  EXPECT_TRUE(teardown(*state, backend).empty());
  EXPECT_EQ(backend.log.front(), "stop processes a/web");
  EXPECT_NE(std::find(backend.log.begin(), backend.log.end(), "remove /etc/netns"),
            backend.log.end());
}

TEST_F(ApplierTest, AFailingExecStopsTheRunAndLeavesWhatToUndo) {
  Plan plan = fresh_plan(parse(kRunning));
  FakeBackend backend;
  backend.fail_on = "exec `echo two`";
  JournalWriter j = journal();
  EXPECT_THROW(apply_plan(plan, backend, j), nl::Error);
  EXPECT_EQ(backend.log.back(), "a: exec `echo one`");
  auto state = read_journal(dir_ + "/journal");
  EXPECT_FALSE(state->complete);
  EXPECT_EQ(state->etc_links.size(), 3u);
  EXPECT_TRUE(state->daemons.empty());
}

}  // namespace
}  // namespace topo

namespace topo {
namespace {

TEST_F(ApplierTest, ProgressCountsNamespacesAndLinks) {
  Plan plan = fresh_plan(parse(kLab));
  FakeBackend backend;
  JournalWriter j = journal();
  std::vector<Progress> seen;
  apply_plan(plan, backend, j, [&](const Progress& p) { seen.push_back(p); });
  ASSERT_EQ(seen.size(), 5u);  // 3 namespaces, then 2 links
  EXPECT_EQ(seen[2].netns_done, 3u);
  EXPECT_EQ(seen[2].links_done, 0u);
  EXPECT_EQ(seen.back().links_done, 2u);
  EXPECT_EQ(seen.back().links_total, 2u);
  EXPECT_EQ(seen.back().netns_total, 3u);
  auto state = read_journal(dir_ + "/journal");
  std::vector<Progress> removed;
  teardown(*state, backend, [&](const Progress& p) { removed.push_back(p); });
  ASSERT_EQ(removed.size(), 3u);
  EXPECT_EQ(removed.back().netns_done, 3u);
}

}  // namespace
}  // namespace topo

namespace topo {
namespace {

TEST(Planner, ImpairmentsComeAfterTheEndsAreUpAndEndsOverrideTheLink) {
  Plan plan = fresh_plan(parse(R"(name: p
nodes: {a: {}, b: {}}
links:
  - endpoints:
      - {node: a, iface: e0, impair: {delay: 5ms}}
      - b:e0
    impair: {delay: 10ms, rate: 20mbit}
)"));
  std::vector<std::string> lines = described(plan);
  auto at = [&](const std::string& line) {
    return std::find(lines.begin(), lines.end(), line) - lines.begin();
  };
  ASSERT_LT(at("a: impair e0: delay 5ms rate 20mbit"), long(lines.size()))
      << ::testing::PrintToString(lines);
  ASSERT_LT(at("b: impair e0: delay 10ms rate 20mbit"), long(lines.size()));
  EXPECT_LT(at("b: set e0 up"), at("b: impair e0: delay 10ms rate 20mbit"));
}

}  // namespace
}  // namespace topo
