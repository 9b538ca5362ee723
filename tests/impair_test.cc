// Impairments and link failures: declared in the file, changed at run time, measured for real.
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "netlink/qdisc.h"
#include "tests/lab_fixture.h"
#include "topo/run/state.h"

namespace topo::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const char* kRateLab = R"(name: LAB
nodes: {a: {}, b: {}}
links:
  - endpoints: [a:e0, b:e0]
    addresses: [10.1.0.1/30, 10.1.0.2/30]
    impair: {rate: 20mbit}
)";

class Impair : public LabTest {
 protected:
  // Bits per second from a to b, measured by iperf3 for 2 s.
  double measure() {
    CmdResult server = topo("exec " + lab() + " b -- iperf3 -s -1 -D");
    EXPECT_EQ(server.status, 0) << server.output;
    EXPECT_TRUE(eventually(
        [&] { return topo("exec " + lab() + " b -- ss -Hltn sport = :5201").output.size() > 0; },
        5s));
    CmdResult client = run(std::string(TOPO_BINARY) + " exec " + lab() +
                           " a -- iperf3 -c 10.1.0.2 -t 2 -J 2>/dev/null");
    json j = json::parse(client.output, nullptr, false);
    if (j.is_discarded() || !j.contains("end")) {
      ADD_FAILURE() << client.output;
      return 0;
    }
    return j["end"]["sum_received"]["bits_per_second"].get<double>();
  }
  json end_status(const std::string& node, const std::string& iface) {
    CmdResult r = run(std::string(TOPO_BINARY) + " status " + lab() + " --json 2>/dev/null");
    json st = json::parse(r.output, nullptr, false);
    for (const json& n : st["nodes"])
      if (n["name"] == node)
        for (const json& i : n["interfaces"])
          if (i["name"] == iface) return i;
    return {};
  }
};

TEST_F(Impair, DeclaredRateIsMeasuredAndChangedAndClearedAtRunTime) {
  if (access("/usr/bin/iperf3", X_OK) != 0) GTEST_SKIP() << "iperf3 is not installed";
  ASSERT_EQ(topo("up " + write_lab(kRateLab)).status, 0);
  double declared = measure();
  EXPECT_NEAR(declared, 20e6, 4e6) << "20mbit declared";
  EXPECT_EQ(end_status("a", "e0")["impairment"], "rate 20mbit");
  EXPECT_EQ(end_status("b", "e0")["impairment"], "rate 20mbit");

  CmdResult change = topo("impair " + lab() + " a:e0 --rate 5mbit");
  EXPECT_EQ(change.status, 0) << change.output;
  double changed = measure();
  EXPECT_NEAR(changed, 5e6, 1e6) << "5mbit set at run time";
  EXPECT_EQ(end_status("a", "e0")["impairment"], "rate 5mbit");
  EXPECT_EQ(run("tc -n " + netns("a") + " qdisc show dev e0 | grep -c 'qdisc tbf'").output, "1\n")
      << "replaced, not stacked";

  ASSERT_EQ(topo("impair " + lab() + " a:e0 --clear").status, 0);
  double cleared = measure();
  EXPECT_GT(cleared, 100e6) << "no limit after --clear";
  EXPECT_TRUE(end_status("a", "e0")["impairment"].is_null());
  EXPECT_EQ(end_status("b", "e0")["impairment"], "rate 20mbit");
}

TEST_F(Impair, NetemIsSetWhereTheKernelHasItAndRefusedByNameWhereItDoesNot) {
  std::string file = write_lab(R"(name: LAB
nodes: {a: {}, b: {}}
links:
  - endpoints: [a:e0, b:e0]
    addresses: [10.1.0.1/30, 10.1.0.2/30]
    impair: {delay: 10ms, jitter: 2ms, loss: 0.5%, rate: 50mbit}
)");
  std::optional<std::string> missing = nl::netem_unsupported();
  CmdResult up = topo("up " + file);
  if (missing) {
    EXPECT_EQ(up.status, 1) << up.output;
    EXPECT_TRUE(contains(up.output, "CONFIG_NET_SCH_NETEM")) << up.output;
    EXPECT_TRUE(contains(up.output, "a:e0 (delay 10ms jitter 2ms loss 0.5% rate 50mbit)"))
        << up.output;
    EXPECT_TRUE(contains(up.output, "Nothing was created")) << up.output;
    expect_nothing_left();
    GTEST_SKIP() << "this kernel has no netem (" << *missing
                 << "): checked the refusal; the qdisc itself cannot be read back here";
  }
  ASSERT_EQ(up.status, 0) << up.output;
  CmdResult tc = run("tc -n " + netns("a") + " qdisc show dev e0");
  EXPECT_TRUE(contains(tc.output, "qdisc netem 1: root")) << tc.output;
  EXPECT_TRUE(contains(tc.output, "delay 10ms  2ms")) << tc.output;
  EXPECT_TRUE(contains(tc.output, "loss 0.5%")) << tc.output;
  EXPECT_TRUE(contains(tc.output, "qdisc tbf 10: parent 1:1 rate 50Mbit")) << tc.output;
}

TEST_F(Impair, RuntimeNetemOnAKernelWithoutItIsRefused) {
  if (!nl::netem_unsupported()) GTEST_SKIP() << "this kernel has netem";
  ASSERT_EQ(topo("up " + write_lab(kRateLab)).status, 0);
  CmdResult r = topo("impair " + lab() + " a:e0 --delay 5ms");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "CONFIG_NET_SCH_NETEM")) << r.output;
  EXPECT_EQ(end_status("a", "e0")["impairment"], "rate 20mbit") << "unchanged";
}

TEST_F(Impair, LinkDownIsCarrierLossOnThePeerAndUpRestoresReachability) {
  ASSERT_EQ(topo("up " + write_lab(kRateLab)).status, 0);
  ASSERT_EQ(topo("exec " + lab() + " a -- ping -c1 -W2 10.1.0.2").status, 0);
  CmdResult down = topo("link " + lab() + " a:e0 down");
  EXPECT_EQ(down.status, 0) << down.output;
  json peer = ip_json("ip -j -n " + netns("b") + " link show e0");
  std::string flags = peer[0]["flags"].dump();
  EXPECT_TRUE(contains(flags, "NO-CARRIER")) << flags;
  EXPECT_EQ(end_status("a", "e0")["state"], "down");
  EXPECT_NE(topo("exec " + lab() + " a -- ping -c1 -W1 10.1.0.2").status, 0);
  ASSERT_EQ(topo("link " + lab() + " a:e0 up").status, 0);
  EXPECT_TRUE(eventually(
      [&] { return topo("exec " + lab() + " a -- ping -c1 -W1 10.1.0.2").status == 0; }, 10s));
  EXPECT_EQ(end_status("b", "e0")["state"], "up");
}

TEST_F(Impair, GraphShowsImpairmentsAndDownLinks) {
  std::string file = write_lab(R"(name: LAB
nodes: {a: {}, b: {}}
links:
  - endpoints: [a:e0, b:e0]
    impair: {delay: 10ms, loss: 1%, rate: 20mbit}
    state: down
)");
  CmdResult dot = topo("graph " + file);
  EXPECT_TRUE(contains(dot.output, "label=\"down, delay 10ms loss 1% rate 20mbit\", style=dashed"))
      << dot.output;
}

TEST_F(Impair, Mistakes) {
  ASSERT_EQ(topo("up " + write_lab(kRateLab)).status, 0);
  EXPECT_EQ(topo("impair " + lab() + " a:nope --rate 1mbit").status, 2);
  // Each mistake is one error, and nothing is changed.
  CmdResult rate = topo("impair " + lab() + " a:e0 --rate 5mbps");
  EXPECT_EQ(rate.status, 2);
  EXPECT_EQ(rate.output,
            "--rate: 5mbps is not understood: a rate like 64kbit, 20mbit or 1gbit (8kbit to "
            "16gbit)\nRun with --help for more information.\n");
  CmdResult neither = topo("impair " + lab() + " a:e0");
  EXPECT_EQ(neither.status, 2) << "neither impairments nor --clear";
  EXPECT_TRUE(contains(neither.output, "At least 1 option from [--delay,")) << neither.output;
  CmdResult both = topo("impair " + lab() + " a:e0 --rate 1mbit --clear");
  EXPECT_EQ(both.status, 2);
  EXPECT_TRUE(contains(both.output, "--rate excludes --clear")) << both.output;
  CmdResult jitter = topo("impair " + lab() + " a:e0 --jitter 1ms");
  EXPECT_EQ(jitter.status, 2);
  EXPECT_TRUE(contains(jitter.output, "--jitter requires --delay")) << jitter.output;
  CmdResult too_long = topo("impair " + lab() + " a:e0 --delay 300s");
  EXPECT_EQ(too_long.status, 2);
  EXPECT_TRUE(contains(too_long.output, "--delay: 300s is not understood")) << too_long.output;
  EXPECT_TRUE(contains(too_long.output, "at most 274s")) << too_long.output;
  EXPECT_EQ(end_status("a", "e0")["impairment"], "rate 20mbit") << "nothing was changed";
  EXPECT_EQ(topo("link " + lab() + " a:e0 sideways").status, 2);
  EXPECT_EQ(topo("link " + lab() + "-not-running a:e0 down").status, 1);
}

// While another topo holds the lab (an `up` changing it, its journal half written), impair and
// link read nothing of it: they say the lab is busy, whatever the end they were given.
TEST_F(Impair, ABusyLabIsNotReadBeforeItsLockIsTaken) {
  ASSERT_EQ(topo("up " + write_lab(kRateLab)).status, 0);
  {
    std::optional<LabLock> held =
        LabLock::acquire_existing(LabPaths::of(kRunDir, lab()), lab(), "up");
    ASSERT_TRUE(held);
    for (const std::string& verb :
         {"impair " + lab() + " a:e9 --rate 1mbit", "link " + lab() + " a:e9 down"}) {
      CmdResult r = topo(verb);
      EXPECT_EQ(r.status, 1) << verb << "\n" << r.output;
      EXPECT_TRUE(contains(r.output, "lab " + lab() + " is busy: topo up (pid ")) << r.output;
      EXPECT_FALSE(contains(r.output, "has no link end")) << r.output;
    }
  }
  EXPECT_EQ(topo("impair " + lab() + " a:e0 --rate 1mbit").status, 0) << "the lock is free again";
}

}  // namespace
}  // namespace topo::testing
