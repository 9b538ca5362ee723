// Looking at a running lab: status, ping, test — for people and for scripts.
#include <unistd.h>

#include <fstream>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include "tests/lab_fixture.h"
#include "topo/model/version.h"

namespace topo::testing {
namespace {

using nlohmann::json;

const char* kChain = R"(name: LAB
nodes:
  a:
    routes: [10.1.0.4/30 via 10.1.0.2]
    daemons:
      - {name: idle, cmd: sleep 1000}
  b: {kind: router}
  c: {}
links:
  - endpoints: [a:e0, b:e0]
    addresses: [10.1.0.1/30, 10.1.0.2/30]
    mtu: 1400
  - endpoints: [b:e1, c:e0]
    addresses: [10.1.0.5/30, 10.1.0.6/30]
)";

using Inspect = LabTest;

TEST_F(Inspect, StatusJsonHasEveryNodeInterfaceAndDaemon) {
  ASSERT_EQ(topo("up " + write_lab(kChain)).status, 0);
  json st = topo_json("status " + lab() + " --json");
  EXPECT_EQ(st["lab"], lab());
  EXPECT_EQ(st["state"], "up");
  EXPECT_EQ(st["topo"], version_text()) << "every --json object names the topo that printed it";
  EXPECT_EQ(st["built_by"], version_text()) << "and status the one that wrote the journal";
  ASSERT_EQ(st["nodes"].size(), 3u);
  const json& a = st["nodes"][0];
  EXPECT_EQ(a["name"], "a");
  EXPECT_EQ(a["netns"], netns("a"));
  EXPECT_EQ(a["kind"], "host");
  EXPECT_EQ(st["nodes"][1]["kind"], "router");
  const json* e0 = nullptr;
  for (const json& i : a["interfaces"])
    if (i["name"] == "e0") e0 = &i;
  ASSERT_NE(e0, nullptr) << a;
  EXPECT_EQ((*e0)["state"], "up");
  EXPECT_EQ((*e0)["mtu"], 1400);
  EXPECT_EQ((*e0)["addresses"], json::array({"10.1.0.1/30"}));
  EXPECT_EQ((*e0)["peer"], "b:e0");
  EXPECT_TRUE((*e0)["impairment"].is_null());
  EXPECT_EQ((*e0)["mac"].get<std::string>().size(), 17u);
  EXPECT_TRUE((*e0).contains("rx_packets"));
  ASSERT_EQ(a["daemons"].size(), 1u);
  EXPECT_EQ(a["daemons"][0]["name"], "idle");
  EXPECT_EQ(a["daemons"][0]["running"], true);
  EXPECT_GT(a["daemons"][0]["pid"].get<int>(), 0);
  EXPECT_EQ(st["drift"], json::array());

  CmdResult table = topo("status " + lab());
  EXPECT_EQ(table.status, 0);
  EXPECT_TRUE(contains(table.output, "  e0     up     ")) << table.output;
  EXPECT_TRUE(contains(table.output, "10.1.0.1/30")) << table.output;
  EXPECT_TRUE(contains(table.output, "daemon idle (pid ")) << table.output;

  json all = topo_json("status --json");
  bool listed = false;
  for (const json& l : all)
    if (l["name"] == lab()) {
      listed = true;
      EXPECT_EQ(l["nodes"], 3);
      EXPECT_EQ(l["built_by"], version_text());
      EXPECT_EQ(l["links"], 2);
      EXPECT_EQ(l["state"], "up");
    }
  EXPECT_TRUE(listed) << all;
}

TEST_F(Inspect, StatusShowsDriftAfterAVethIsDeletedByHand) {
  ASSERT_EQ(topo("up " + write_lab(kChain)).status, 0);
  ASSERT_EQ(run("ip -n " + netns("c") + " link del e0").status, 0);
  ASSERT_EQ(run("kill $(ip netns pids " + netns("a") + ")").status, 0);
  // Once the daemon's processes (its shell and sleep) have ended: a signal takes effect later.
  std::string drift;
  EXPECT_TRUE(eventually(
      [&] {
        drift = topo_json("status " + lab() + " --json")["drift"].dump();
        return contains(drift, "daemon idle on node a");
      },
      std::chrono::seconds(10)));
  EXPECT_TRUE(contains(drift, "interface c:e0 (veth to b:e1) is gone")) << drift;
  EXPECT_TRUE(contains(drift, "interface b:e1 (veth to c:e0) is gone")) << drift;
  EXPECT_TRUE(contains(drift, "daemon idle on node a")) << drift;
  CmdResult table = topo("status " + lab());
  EXPECT_TRUE(contains(table.output, "drift (in the journal, not in the kernel):")) << table.output;
}

TEST_F(Inspect, PingMatrixFailsWhenAnyPairFails) {
  // a has a route towards c's link, but c has none back: only what needs no route back works.
  ASSERT_EQ(topo("up " + write_lab(kChain)).status, 0);
  CmdResult matrix = topo("ping " + lab());
  EXPECT_EQ(matrix.status, 1) << matrix.output;
  EXPECT_TRUE(contains(matrix.output, "✗")) << matrix.output;
  json j = topo_json("ping " + lab() + " --json", 1);
  EXPECT_EQ(j["topo"], version_text());
  std::set<std::string> failed;
  for (const json& r : j["results"])
    if (!r["ok"]) failed.insert(r["from"].get<std::string>() + ">" + r["to"].get<std::string>());
  EXPECT_EQ(failed, (std::set<std::string>{"a>c", "c>a", "c>b"}));
  EXPECT_EQ(j["pairs"], 6);
  EXPECT_EQ(j["reachable"], 3);
}

TEST_F(Inspect, PingMatrixPassesOnAFullyReachableLab) {
  ASSERT_EQ(topo("up " + example("triangle.yaml")).status, 0);
  CmdResult matrix = topo("ping " + lab());
  EXPECT_EQ(matrix.status, 0) << matrix.output;
  EXPECT_TRUE(contains(matrix.output, "6/6 pairs reachable")) << matrix.output;
}

// A routing lab's addressing: r1 and r2 with both families (r2's IPv6 primary a loopback no one
// has a route to), h4 with IPv4 alone, h6 with IPv6 alone, all on one bridge.
const char* kFamilies = R"(name: LAB
nodes:
  r1: {}
  r2: {loopback: ["fd00:99::2/128"]}
  h4: {}
  h6: {}
  sw: {kind: bridge}
links:
  - endpoints: [r1:eth0, sw:p1]
    addresses: [[10.0.0.1/24, "fd00::1/64"], []]
  - endpoints: [r2:eth0, sw:p2]
    addresses: [[10.0.0.2/24, "fd00::2/64"], []]
  - endpoints: [h4:eth0, sw:p3]
    addresses: [[10.0.0.4/24], []]
  - endpoints: [h6:eth0, sw:p4]
    addresses: [["fd00::6/64"], []]
)";

TEST_F(Inspect, PingCountsAPairByTheFamiliesBothHaveAndSaysWhatFailed) {
  ASSERT_EQ(topo("up " + write_lab(kFamilies)).status, 0);
  CmdResult all = topo("ping " + lab());
  EXPECT_EQ(all.status, 1) << all.output;
  EXPECT_TRUE(contains(all.output,
                       "from\\to r1  r2  h4  h6\n"
                       "r1      -   ✗   ✓   ✓\n"
                       "r2      ✓   -   ✓   ✓\n"
                       "h4      ✓   ✓   -   n/a\n"
                       "h6      ✓   ✗   n/a -\n"
                       "8/10 pairs reachable (IPv4 and IPv6); 2 pairs n/a\n"))
      << all.output;
  EXPECT_TRUE(contains(all.output, "n/a no address family in common: not pinged")) << all.output;
  EXPECT_TRUE(contains(all.output, "\n✗ r1 → r2: fd00:99::2 (IPv6): ")) << all.output;
  EXPECT_TRUE(contains(all.output, "\n✗ h6 → r2: fd00:99::2 (IPv6): ")) << all.output;
  EXPECT_FALSE(contains(all.output, "(IPv4): ")) << "every IPv4 address answered\n" << all.output;

  CmdResult v4 = topo("ping " + lab() + " --family 4");
  EXPECT_EQ(v4.status, 0) << v4.output;
  EXPECT_TRUE(contains(v4.output, "6/6 pairs reachable (IPv4); 6 pairs n/a\n")) << v4.output;
  EXPECT_TRUE(contains(v4.output, "n/a one of the two has no IPv4 address")) << v4.output;

  json v6 = topo_json("ping " + lab() + " --family 6 --json", 1);
  EXPECT_EQ(v6["family"], 6);
  EXPECT_EQ(v6["pairs"], 6);
  EXPECT_EQ(v6["reachable"], 4);
  for (const json& r : v6["results"]) {
    EXPECT_EQ(r["family"], 6) << r;
    EXPECT_EQ(r["ok"], r["address"] != "fd00:99::2") << r;
    EXPECT_EQ(r.contains("failure"), r["ok"] == false) << r;
  }

  json some = topo_json("ping --nodes r1,h4 " + lab() + " --nodes 'h6' --json", 0);
  EXPECT_EQ(some["nodes"], json::array({"r1", "h4", "h6"}));
  EXPECT_EQ(some["pairs"], 4);
  EXPECT_EQ(some["reachable"], 4);
  EXPECT_EQ(some["not_applicable"], json::parse(R"([{"from": "h4", "to": "h6"},
                                                    {"from": "h6", "to": "h4"}])"));
  CmdResult hosts = topo("ping " + lab() + " --nodes 'h*'");
  EXPECT_EQ(hosts.status, 0) << hosts.output;
  EXPECT_TRUE(contains(hosts.output, "0/0 pairs reachable (IPv4 and IPv6); 2 pairs n/a\n"))
      << hosts.output;
}

TEST_F(Inspect, PingOfNodesThatAreNotThereIsExitTwo) {
  ASSERT_EQ(topo("up " + write_lab(kFamilies)).status, 0);
  CmdResult unknown = topo("ping " + lab() + " --nodes r1,r3");
  EXPECT_EQ(unknown.status, 2);
  EXPECT_EQ(unknown.output, "error: lab " + lab() + " has no node `r3` (did you mean `r1`?)\n");
  CmdResult bridge = topo("ping " + lab() + " --nodes sw");
  EXPECT_EQ(bridge.status, 2);
  EXPECT_EQ(bridge.output, "error: node sw of lab " + lab() +
                               " is a bridge: it has no address to ping from or to\n");
  CmdResult none = topo("ping " + lab() + " --nodes 'x*'");
  EXPECT_EQ(none.status, 2);
  EXPECT_TRUE(contains(none.output, "--nodes `x*` matches no node of lab " + lab())) << none.output;
  CmdResult family = topo("ping " + lab() + " --family 5");
  EXPECT_EQ(family.status, 2);
  EXPECT_TRUE(contains(family.output, "--family: 5 is not understood")) << family.output;
}

TEST_F(Inspect, TestsPassFailRetryAndComeFromTheFileAsUpReadIt) {
  std::string file = write_lab(R"yaml(name: LAB
nodes:
  a:
    routes: [10.1.0.4/30 via 10.1.0.2]
  b: {kind: router}
  c:
    exec: ["(sleep 0.3; touch $TOPO_NODE_DIR/flag) &"]
links:
  - endpoints: [a:e0, b:e0]
    addresses: [10.1.0.1/30, 10.1.0.2/30]
  - endpoints: [b:e1, c:e0]
    addresses: [10.1.0.5/30, 10.1.0.6/30]
tests:
  - name: a reaches b
    ping: {from: a, to: b}
  - name: nothing answers at 192.0.2.1
    ping: {from: a, to: 192.0.2.1}
    expect: failure
  - name: a routes to c's link
    exec: {node: a, cmd: "ip route"}
    expect: {exit: 0, output: "10\\.1\\.0\\.4/30 via 10\\.1\\.0\\.2"}
  - name: the flag appears in time
    exec: {node: c, cmd: "test -f $TOPO_NODE_DIR/flag"}
    timeout: 10s
  - name: a wrong expectation
    exec: {node: b, cmd: "echo forwarding=$(cat /proc/sys/net/ipv4/ip_forward)"}
    expect: {output: "forwarding=0"}
    timeout: 500ms
)yaml");
  ASSERT_EQ(topo("up " + file).status, 0);
  // An edit after up changes nothing: the tests are those up read.
  std::ofstream(file, std::ios::app) << "  - {name: added later, ping: {from: a, to: c}}\n";

  CmdResult r = topo("test " + lab());
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "✓ a reaches b (")) << r.output;
  EXPECT_TRUE(contains(r.output, "✓ nothing answers at 192.0.2.1 (")) << r.output;
  EXPECT_TRUE(contains(r.output, "✓ a routes to c's link (")) << r.output;
  EXPECT_TRUE(contains(r.output, "✓ the flag appears in time (")) << r.output;
  EXPECT_TRUE(contains(r.output, "✗ a wrong expectation (")) << r.output;
  EXPECT_TRUE(contains(r.output,
                       "    expected exit 0 and output matching /forwarding=0/\n"
                       "    got exit 0\n    stdout:\n      forwarding=1\n"))
      << r.output;
  EXPECT_FALSE(contains(r.output, "added later")) << r.output;
  EXPECT_TRUE(contains(r.output, "4 passed, 1 failed")) << r.output;

  json j = topo_json("test " + lab() + " --json", 1);
  EXPECT_EQ(j["topo"], version_text());
  EXPECT_EQ(j["passed"], 4);
  EXPECT_EQ(j["failed"], 1);
  ASSERT_EQ(j["tests"].size(), 5u);
  EXPECT_EQ(j["tests"][4]["passed"], false);
  EXPECT_GT(j["tests"][4]["attempts"].get<int>(), 1) << "retried until its timeout";
  EXPECT_GE(j["tests"][4]["seconds"].get<double>(), 0.5);
  EXPECT_EQ(j["tests"][4]["got"]["stdout"], "forwarding=1\n");
}

// `topo test FILE` runs FILE's tests (the lab's stored copy is `topo test LAB`'s); --only runs
// the tests named, by name or pattern; a name that names no test is exit 2 and runs nothing.
TEST_F(Inspect, TestRunsAGivenFilesTestsAndOnlyTheNamedOnes) {
  std::string file = write_lab(R"yaml(name: LAB
nodes:
  a: {}
  b: {}
links:
  - endpoints: [a:e0, b:e0]
    addresses: [10.1.0.1/30, 10.1.0.2/30]
tests:
  - {name: a reaches b, ping: {from: a, to: b}}
  - {name: b reaches a, ping: {from: b, to: a}}
)yaml");
  ASSERT_EQ(topo("up " + file).status, 0);
  std::ofstream(file, std::ios::app) << "  - {name: added later, exec: {node: a, cmd: 'true'}}\n";

  CmdResult given = topo("test " + file);
  EXPECT_EQ(given.status, 0) << given.output;
  EXPECT_TRUE(contains(given.output, "✓ added later (")) << given.output;
  EXPECT_TRUE(contains(given.output, "3 passed, 0 failed")) << given.output;
  EXPECT_TRUE(contains(given.output, "the tests are " + file + "'s, which is not the copy lab " +
                                         lab() + " stored at its last `up`"))
      << given.output;
  CmdResult stored = topo("test " + lab());
  EXPECT_TRUE(contains(stored.output, "2 passed, 0 failed")) << stored.output;

  CmdResult one = topo("test " + lab() + " --only 'b reaches a'");
  EXPECT_EQ(one.status, 0) << one.output;
  EXPECT_EQ(one.output.find("✓ b reaches a ("), 0u) << one.output;
  EXPECT_TRUE(contains(one.output, "\n1 passed, 0 failed\n")) << one.output;
  json some = topo_json("test " + file + " --only 'a *' --only 'added later' --json");
  ASSERT_EQ(some["tests"].size(), 2u) << some;
  EXPECT_EQ(some["tests"][0]["name"], "a reaches b");
  EXPECT_EQ(some["tests"][1]["name"], "added later");

  CmdResult unknown = topo("test " + lab() + " --only 'b reaches c'");
  EXPECT_EQ(unknown.status, 2);
  EXPECT_EQ(unknown.output,
            "error: lab " + lab() + " has no test `b reaches c` (did you mean `b reaches a`?)\n");
  CmdResult unknown_in_file = topo("test " + file + " --only 'zz*'");
  EXPECT_EQ(unknown_in_file.status, 2);
  EXPECT_TRUE(contains(unknown_in_file.output, file + " has no test `zz*`"))
      << unknown_in_file.output;

  CmdResult bad = topo("test " + write_lab("name: LAB\nnodes: [\n", "bad.yaml"));
  EXPECT_EQ(bad.status, 2) << bad.output;
  EXPECT_TRUE(contains(bad.output, "bad.yaml:")) << bad.output;
  CmdResult other = topo("test " + write_lab("name: LAB-x\nnodes: {a: {}}\n", "other.yaml"));
  EXPECT_EQ(other.status, 1);
  EXPECT_TRUE(contains(other.output, "lab " + lab() + "-x is not running")) << other.output;
}

// The JUnit report, read with an XML parser: the counts, each test a case with its time, what
// a failure expected and got; with --json too; a path that cannot be written is exit 1.
TEST_F(Inspect, TestsWriteAJUnitReport) {
  std::string file = write_lab(R"yaml(name: LAB
nodes:
  a: {}
  b:
    exec: ["echo no > $TOPO_NODE_DIR/answer"]
links:
  - endpoints: [a:e0, b:e0]
    addresses: [10.1.0.1/30, 10.1.0.2/30]
tests:
  - name: a reaches b
    ping: {from: a, to: b}
  - name: b says yes
    exec: {node: b, cmd: "cat $TOPO_NODE_DIR/answer; echo oops >&2"}
    expect: {output: "^yes"}
    timeout: 300ms
)yaml");
  ASSERT_EQ(topo("up " + file).status, 0);
  std::string report = dir() + "/report.xml";
  std::ofstream(report) << "an older report";
  CmdResult r = topo("test " + lab() + " --junit " + report);
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "1 passed, 1 failed")) << r.output;

  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_file(report.c_str())) << file_text(report);
  pugi::xml_node suite = doc.child("testsuites").child("testsuite");
  EXPECT_EQ(suite.attribute("name").value(), lab());
  EXPECT_EQ(suite.attribute("tests").as_int(), 2);
  EXPECT_EQ(suite.attribute("failures").as_int(), 1);
  EXPECT_EQ(suite.attribute("errors").as_int(), 0);
  EXPECT_EQ(suite.attribute("skipped").as_int(), 0);
  EXPECT_GE(suite.attribute("time").as_double(), 0.3);
  EXPECT_FALSE(std::string(suite.attribute("timestamp").value()).empty());
  EXPECT_FALSE(std::string(suite.attribute("hostname").value()).empty());
  pugi::xml_node ping = suite.child("testcase");
  pugi::xml_node says = ping.next_sibling("testcase");
  EXPECT_STREQ(ping.attribute("name").value(), "a reaches b");
  EXPECT_STREQ(says.attribute("name").value(), "b says yes");
  for (pugi::xml_node c : {ping, says}) {
    EXPECT_EQ(c.attribute("classname").value(), lab());
    EXPECT_GT(c.attribute("time").as_double(), 0) << c.attribute("name").value();
  }
  EXPECT_FALSE(ping.child("failure"));
  EXPECT_GE(says.attribute("time").as_double(), 0.3) << "its retries included";
  pugi::xml_node failure = says.child("failure");
  ASSERT_TRUE(failure) << file_text(report);
  std::string message = failure.attribute("message").value();
  EXPECT_TRUE(message.starts_with("expected exit 0 and output matching /^yes/, got exit 0 ("))
      << message;
  EXPECT_TRUE(message.ends_with(" tries)")) << message;
  EXPECT_STREQ(failure.text().get(),
               "expected exit 0 and output matching /^yes/\ngot exit 0\n"
               "stdout:\n  no\nstderr:\n  oops\n");

  // With --json: standard output is the JSON alone, and the report is written all the same.
  std::string both = dir() + "/both.xml";
  json j = topo_json("test " + lab() + " --json --junit " + both, 1);
  EXPECT_EQ(j["failed"], 1);
  pugi::xml_document again;
  ASSERT_TRUE(again.load_file(both.c_str())) << file_text(both);
  EXPECT_EQ(again.child("testsuites").child("testsuite").attribute("failures").as_int(), 1);

  // Every test passes now: a report that cannot be written is what makes the exit status 1.
  ASSERT_EQ(topo("exec " + lab() + " b -- sh -c 'echo yes > $TOPO_NODE_DIR/answer'").status, 0);
  std::string nowhere = dir() + "/no/such/dir/report.xml";
  CmdResult unwritable = topo("test " + lab() + " --junit " + nowhere);
  EXPECT_EQ(unwritable.status, 1) << unwritable.output;
  EXPECT_TRUE(contains(unwritable.output, "2 passed, 0 failed")) << unwritable.output;
  EXPECT_TRUE(contains(unwritable.output,
                       "cannot write the JUnit report " + nowhere + ": No such file or directory"))
      << unwritable.output;
  ASSERT_EQ(topo("test " + lab() + " --junit " + report).status, 0);
  ASSERT_TRUE(doc.load_file(report.c_str()));
  EXPECT_EQ(doc.child("testsuites").child("testsuite").attribute("failures").as_int(), 0);

  EXPECT_EQ(topo("test " + lab() + " --junit -").status, 2) << "standard output has the report";
}

TEST_F(Inspect, VerbsOnALabThatIsNotRunning) {
  EXPECT_EQ(topo("status " + lab()).status, 1);
  EXPECT_EQ(topo("ping " + lab()).status, 1);
  CmdResult t = topo("test " + lab());
  EXPECT_EQ(t.status, 1);
  EXPECT_TRUE(contains(t.output, "lab " + lab() + " is not running")) << t.output;
  EXPECT_EQ(topo("status Not/A/Lab").status, 2);
}

}  // namespace
}  // namespace topo::testing

namespace topo::testing {
namespace {

TEST_F(Inspect, ProgressOnATerminalOnlyAndASummaryLine) {
  if (access("/usr/bin/script", X_OK) != 0) GTEST_SKIP() << "script (util-linux) not installed";
  std::string file = chain(60);
  // `script` gives topo a terminal.
  CmdResult tty = run("script -qec '" + std::string(TOPO_BINARY) + " up " + file + "' /dev/null");
  EXPECT_EQ(tty.status, 0) << tty.output;
  EXPECT_TRUE(contains(tty.output, "up: namespaces 1/60")) << tty.output;
  EXPECT_TRUE(contains(tty.output, "is up: 60 nodes, 59 links in ")) << tty.output;
  CmdResult piped = topo("down " + lab());
  EXPECT_EQ(piped.status, 0);
  EXPECT_FALSE(contains(piped.output, "down: namespaces")) << piped.output;
  EXPECT_TRUE(contains(piped.output, "is down: 60 namespaces removed in ")) << piped.output;
  CmdResult quiet =
      run("script -qec '" + std::string(TOPO_BINARY) + " -q up " + file + "' /dev/null");
  EXPECT_EQ(quiet.status, 0);
  EXPECT_EQ(quiet.output, "") << "-q: nothing at all";
}

TEST_F(Inspect, BashCompletionOffersVerbsLabsAndNodes) {
  if (access("/bin/bash", X_OK) != 0) GTEST_SKIP() << "bash not installed";
  ASSERT_EQ(topo("up " + example("two-hosts.yaml")).status, 0);
  auto complete = [](const std::string& words, int cword) {
    return run("bash -c 'source " + std::string(TOPO_SOURCE_DIR) +
               "/completion/topo.bash; COMP_WORDS=(" + words +
               "); COMP_CWORD=" + std::to_string(cword) + "; _topo; echo \"${COMPREPLY[@]}\"'")
        .output;
  };
  EXPECT_EQ(complete("topo st", 1), "status\n");
  EXPECT_TRUE(contains(complete("topo down \"\"", 2), lab())) << complete("topo down \"\"", 2);
  EXPECT_EQ(complete("topo exec " + lab() + " \"\"", 3), "h1 h2\n");
  EXPECT_EQ(complete("topo graph x --format \"\"", 4), "dot mermaid svg\n");
  EXPECT_EQ(complete("topo ping " + lab() + " --nodes \"\"", 4), "h1 h2\n");
  EXPECT_EQ(complete("topo ping --family \"\"", 3), "4 6\n");
  EXPECT_EQ(complete("topo ping " + lab() + " --f", 3), "--family\n");
  EXPECT_EQ(complete("topo test " + lab() + " --o", 3), "--only\n");
  EXPECT_EQ(complete("topo validate x --n", 3), "--name\n");
  EXPECT_EQ(complete("topo up --name \"\"", 3), "\n") << "a lab's name: no file offered";
}

}  // namespace
}  // namespace topo::testing
