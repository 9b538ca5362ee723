// A fresh `up` of each example does what its golden file says (tests/golden/<example>.plan, one
// describe() line per action), and gives interfaces the slots the backend relies on.
//
// The golden files were made by `topo plan` before a lab was resolved into a Lab (issue 12),
// with one deliberate difference: a new node's sysctls that are not an interface's own
// (net.*.conf.<iface>.*) are set right after the namespaces are made, before its interfaces
// exist (so that conf.default applies to them), as for a node added to a running lab; they were
// set after the veths.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/fakes/fake_backend.h"
#include "topo/language/loader.h"
#include "topo/language/resolve.h"
#include "topo/plan/converge.h"
#include "topo/run/applier.h"

namespace topo {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Plan fresh_plan_of(const std::string& path) {
  LoadResult r = load_file(path);
  EXPECT_TRUE(r.diagnostics.empty()) << r.diagnostics.render();
  return converge(resolve(r.topology), {}, {}, {}).plan;
}

TEST(PlanGolden, AFreshPlanOfEachExampleIsItsGoldenFile) {
  for (const char* example : {"bird-ospf", "bridge", "clab-frr01", "ecmp", "frr-bgp", "frr-ospf",
                              "host-link", "ipv6-pools", "lan", "triangle", "two-hosts"}) {
    std::string dir = TOPO_SOURCE_DIR;
    Plan plan = fresh_plan_of(dir + "/examples/" + example + ".yaml");
    std::string lines;
    for (const Action& a : plan.actions) lines += describe(plan, a) + "\n";
    std::string golden = read_text(dir + "/tests/golden/" + example + ".plan");
    ASSERT_FALSE(golden.empty()) << example;
    EXPECT_EQ(lines, golden) << example;
  }
}

const char* kSlots = R"(name: s
nodes:
  sw: {kind: bridge}
  r1: {kind: router}
  h1: {}
  h2: {}
links:
  - endpoints: [h1:eth0, sw:p1]
  - endpoints: [r1:eth1, h1:eth1]
  - endpoints: [r1:eth0, sw:p2]
  - endpoints: [h1:eth2, h2:eth0, r1:eth2]
)";

// The slots the planner gave before a lab was resolved (issue 12): lo 0, a bridge 1, then each
// veth end in the order of the links; a bridge's end sends the request, born a port.
TEST(PlanGolden, TheBackendIsGivenEachInterfacesSlotInTheOrderTheyAreMade) {
  LoadResult r = load_text("lab.yaml", kSlots, "/labs");
  ASSERT_TRUE(r.diagnostics.empty()) << r.diagnostics.render();
  Plan plan = converge(resolve(r.topology), {}, {}, {}).plan;
  FakeBackend backend;
  char tmpl[] = "/tmp/topo-slots-test.XXXXXX";
  std::string dir = mkdtemp(tmpl);
  JournalWriter journal =
      JournalWriter::create(dir + "/journal", {"s", "s-", "/labs/lab.yaml", "h", 1, 0});
  apply_plan(plan, backend, journal);
  std::filesystem::remove_all(dir);
  std::vector<std::string> expected = {
      "sw:br0@1",   "_lan4:br0@1",                 // bridges first
      "sw:p1@2",    "h1:eth0@1",   "sw:br0@1",     // the bridge's end sends, born a port
      "r1:eth1@1",  "h1:eth1@2",                   // then ends in link order
      "sw:p2@3",    "r1:eth0@2",   "sw:br0@1",     //
      "_lan4:p1@2", "h1:eth2@3",   "_lan4:br0@1",  // a LAN's ports, one per member
      "_lan4:p2@3", "h2:eth0@1",   "_lan4:br0@1",  //
      "_lan4:p3@4", "r1:eth2@3",   "_lan4:br0@1",  //
      "sw:lo@0",                                   // then node by node: lo, ends up
      "r1:lo@0",    "r1:eth0@2",   "r1:eth2@3",    //
      "h1:lo@0",    "h1:eth0@1",   "h1:eth1@2",   "h1:eth2@3",  //
      "h2:lo@0",    "h2:eth0@1"};
  EXPECT_EQ(backend.slots, expected);
}

}  // namespace
}  // namespace topo
