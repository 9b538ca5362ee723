// Changing a running lab: topo plan, up that converges, drift repair, rollback - checked in the
// kernel, with the identity (ifindex, namespace inode) of what did not change.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>

#include <fmt/format.h>

#include "netlink/qdisc.h"
#include "tests/lab_fixture.h"
#include "topo/model/version.h"
#include "topo/run/journal.h"

namespace topo::testing {
namespace {

const char* kLab = R"(name: LAB
nodes:
  r1:
    kind: router
    routes: [10.3.0.0/30 via 10.2.0.2]
  r2:
    env: {ROLE: a}
    files: {conf: "v1\n"}
    daemons:
      - {name: keep, cmd: "sleep 1000"}
      - {name: edit, cmd: "sleep 1001"}
  h3: {}
links:
  - endpoints: [r1:eth1, r2:eth1]
    addresses: [10.1.0.1/29, 10.1.0.2/29]
  - endpoints: [r1:eth2, h3:eth1]
    addresses: [10.2.0.1/30, 10.2.0.2/30]
)";

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

class Change : public LabTest {
 protected:
  // Every interface of the lab, "node:iface" -> ifindex; and each namespace's inode.
  std::map<std::string, int> ifindexes(const std::vector<std::string>& nodes) {
    std::map<std::string, int> out;
    for (const std::string& n : nodes)
      for (const auto& l : ip_json("ip -n " + netns(n) + " -j link show"))
        out[n + ":" + l["ifname"].get<std::string>()] = l["ifindex"].get<int>();
    return out;
  }
  uint64_t inode(const std::string& node) {
    struct stat st;
    return stat(("/run/netns/" + netns(node)).c_str(), &st) == 0 ? st.st_ino : 0;
  }
  std::string addresses(const std::string& node, const std::string& iface) {
    std::string out;
    nlohmann::json links = ip_json("ip -n " + netns(node) + " -j -4 addr show dev " + iface);
    for (const auto& a : links[0]["addr_info"])
      out += a["local"].get<std::string>() + "/" + std::to_string(a["prefixlen"].get<int>()) + " ";
    return out;
  }
  int daemon_pid(const std::string& name) {
    CmdResult r = run("pgrep -x -f 'sleep " + name + "'");
    return r.status == 0 ? std::stoi(r.output) : 0;
  }
  std::string sysctl(const std::string& node, const std::string& key) {
    return in_node(node, "sysctl -n " + key).output;
  }
};

TEST_F(Change, PlanOfALabNotRunningListsUpsActionsAndCreatesNothing) {
  std::string file = write_lab(kLab);
  CmdResult r = topo("plan " + file);
  EXPECT_EQ(r.status, 3) << r.output;
  EXPECT_TRUE(contains(r.output, "r1: create netns " + netns("r1") + "\n")) << r.output;
  CmdResult json = topo("plan --json " + file);
  EXPECT_EQ(json.status, 3);
  nlohmann::json j = nlohmann::json::parse(json.output);
  EXPECT_EQ(j["running"], false);
  EXPECT_EQ(j["topo"], version_text());
  EXPECT_GT(j["actions"].size(), 10u);
  expect_nothing_left();
}

TEST_F(Change, AnEditedFileChangesOnlyWhatChangedAndUntouchedInterfacesKeepTheirIdentity) {
  std::string file = write_lab(kLab);
  ASSERT_EQ(topo("up " + file).status, 0);
  auto before = ifindexes({"r1", "r2", "h3"});
  uint64_t r2_inode = inode("r2"), h3_inode = inode("h3");
  int keep = daemon_pid("1000"), edit = daemon_pid("1001");
  ASSERT_GT(keep, 0);
  ASSERT_GT(edit, 0);

  // Every kind of change at once: an address, MTU, a route, a sysctl, an impairment, a daemon's
  // cmd, a new node and link, a node removed (h3, with its link).
  std::string v2 =
      replaced(kLab, "10.1.0.2/29]", "10.1.0.3/29]\n    mtu: 9000\n    impair: {rate: 20mbit}");
  v2 = replaced(
      v2, "    routes: [10.3.0.0/30 via 10.2.0.2]\n",
      "    routes: [10.9.0.0/16 via 10.1.0.3]\n    sysctls: {net.ipv4.conf.all.rp_filter: 2}\n");
  v2 = replaced(v2, "sleep 1001", "sleep 1002");
  v2 = replaced(v2, "  h3: {}\n", "  h4: {}\n");
  v2 = replaced(v2, "[r1:eth2, h3:eth1]", "[r1:eth3, h4:eth1]");
  v2 = replaced(v2, "[10.2.0.1/30, 10.2.0.2/30]", "[10.4.0.1/30, 10.4.0.2/30]");
  write_lab(v2);

  CmdResult plan = topo("plan " + file);
  EXPECT_EQ(plan.status, 3) << plan.output;
  for (const char* line :
       {"- address 10.1.0.2/29 on r2:eth1\n", "+ address 10.1.0.3/29 on r2:eth1\n",
        "~ interface r1:eth1: mtu 1500 -> 9000\n", "~ interface r2:eth1: mtu 1500 -> 9000\n",
        "- route r1 10.3.0.0/30: via 10.2.0.2 dev eth2\n", "+ route r1 10.9.0.0/16: via 10.1.0.3\n",
        "+ sysctl r1 net.ipv4.conf.all.rp_filter: 0 -> 2\n",
        "+ impairment r1:eth1: none -> rate 20mbit\n", "~ daemon r2/edit: restarted", "- node h3\n",
        "- link h3:eth1 <-> r1:eth2\n", "+ node h4: host\n", "+ link h4:eth1 <-> r1:eth3\n",
        "~ hosts file\n"})
    EXPECT_TRUE(contains(plan.output, line)) << line << "\n" << plan.output;
  EXPECT_FALSE(contains(plan.output, "keep")) << plan.output;
  EXPECT_EQ(inode("h3"), h3_inode) << "plan changed nothing";

  CmdResult up = topo("up " + file);
  ASSERT_EQ(up.status, 0) << up.output;
  EXPECT_EQ(addresses("r2", "eth1"), "10.1.0.3/29 ");
  EXPECT_EQ(ip_json("ip -n " + netns("r1") + " -j link show dev eth1")[0]["mtu"], 9000);
  EXPECT_TRUE(contains(in_node("r1", "ip route").output, "10.9.0.0/16 via 10.1.0.3"));
  EXPECT_FALSE(contains(in_node("r1", "ip route").output, "10.3.0.0/30"));
  EXPECT_EQ(sysctl("r1", "net.ipv4.conf.all.rp_filter"), "2\n");
  EXPECT_TRUE(contains(in_node("r1", "tc qdisc show dev eth1").output, "tbf")) << "rate 20mbit";
  EXPECT_EQ(inode("h3"), 0u) << "h3 removed";
  EXPECT_NE(inode("h4"), 0u);
  EXPECT_EQ(in_node("r1", "ip -br link show dev eth2").status, 1) << "r1's end to h3 removed";
  EXPECT_EQ(in_node("h4", "ping -c1 -W2 10.4.0.1").status, 0);
  EXPECT_EQ(in_node("r2", "ping -c1 -W2 10.1.0.1").status, 0);
  EXPECT_EQ(topo("exec " + lab() + " r2 -- getent hosts h4").status, 0) << "hosts file updated";
  // Identity: the same namespace, the same ifindex for every interface that stayed.
  EXPECT_EQ(inode("r2"), r2_inode);
  auto after = ifindexes({"r1", "r2"});
  for (const char* end : {"r1:lo", "r1:eth1", "r2:lo", "r2:eth1"})
    EXPECT_EQ(after[end], before[end]) << end;
  EXPECT_EQ(daemon_pid("1000"), keep) << "the daemon whose cmd did not change runs on";
  EXPECT_EQ(daemon_pid("1001"), 0) << "the changed daemon's old process is gone";
  EXPECT_GT(daemon_pid("1002"), 0);

  CmdResult again = topo("plan " + file);
  EXPECT_EQ(again.status, 0) << again.output;
  EXPECT_EQ(again.output, "lab " + lab() + " matches " + file + ": no changes\n");

  // And back to the first file: the same objects as before, where they stayed.
  write_lab(kLab);
  ASSERT_EQ(topo("up " + file).status, 0);
  EXPECT_EQ(topo("plan " + file).status, 0);
  EXPECT_EQ(ip_json("ip -n " + netns("r1") + " -j link show dev eth1")[0]["mtu"], 1500);
  EXPECT_EQ(ifindexes({"r1"})["r1:eth1"], before["r1:eth1"]);
  EXPECT_EQ(inode("h4"), 0u);
  EXPECT_EQ(in_node("r1", "tc qdisc show dev eth1").output.find("tbf"), std::string::npos);
  ASSERT_EQ(topo("down " + lab()).status, 0);
  expect_nothing_left();
}

TEST_F(Change, UpOfAnUnchangedLabTouchesNothing) {
  std::string file = write_lab(kLab);
  ASSERT_EQ(topo("up " + file).status, 0);
  auto before = ifindexes({"r1", "r2", "h3"});
  std::string journal = file_text("/run/topo/" + lab() + "/state/journal");
  int keep = daemon_pid("1000");
  CmdResult r = topo("up " + file);
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(contains(r.output, "nothing to do")) << r.output;
  EXPECT_EQ(ifindexes({"r1", "r2", "h3"}), before);
  EXPECT_EQ(file_text("/run/topo/" + lab() + "/state/journal"), journal);
  EXPECT_EQ(daemon_pid("1000"), keep);
}

// An edit of the tests alone changes no network, but it changes what `topo test` runs: `plan`
// says so (exit 3), `up` stores the new copy and says so; a comment alone is no change.
TEST_F(Change, AnEditOfTheTestsAloneIsShownByPlanAndStoredByUp) {
  std::string file = write_lab(R"(name: LAB
nodes: {a: {}, b: {}}
links:
  - endpoints: [a:e0, b:e0]
    addresses: [10.1.0.1/30, 10.1.0.2/30]
tests:
  - {name: a reaches b, ping: {from: a, to: b}}
)");
  ASSERT_EQ(topo("up " + file).status, 0);
  auto before = ifindexes({"a", "b"});
  std::ofstream(file, std::ios::app) << "  - {name: b reaches a, ping: {from: b, to: a}}\n"
                                     << "ready: {tests: [a reaches b]}\n";
  const std::string tests_line = "~ tests: changed (stored with the lab; no change to the network)";
  CmdResult plan = topo("plan " + file);
  EXPECT_EQ(plan.status, 3) << plan.output;
  EXPECT_EQ(plan.output, tests_line +
                             "\n~ ready: changed (stored with the lab; no change to the "
                             "network)\n");
  nlohmann::json j = topo_json("plan " + file + " --json", 3);
  ASSERT_EQ(j["changes"].size(), 2u) << j;
  EXPECT_EQ(j["changes"][0], nlohmann::json::parse(R"json({"op": "~", "kind": "tests",
      "object": "", "detail": "changed (stored with the lab; no change to the network)"})json"));
  EXPECT_FALSE(contains(topo("test " + lab()).output, "b reaches a")) << "not stored yet";

  CmdResult up = topo("up " + file);
  EXPECT_EQ(up.status, 0) << up.output;
  EXPECT_TRUE(contains(up.output, tests_line)) << up.output;
  EXPECT_TRUE(contains(up.output, "lab " + lab() + " is up and its network matches " + file +
                                      ": stored the file's new `tests` and `ready` with the lab"))
      << up.output;
  EXPECT_EQ(ifindexes({"a", "b"}), before);
  CmdResult test = topo("test " + lab());
  EXPECT_TRUE(contains(test.output, "✓ b reaches a")) << test.output;
  CmdResult same = topo("plan " + file);
  EXPECT_EQ(same.status, 0) << same.output;
  EXPECT_TRUE(contains(same.output, "no changes")) << same.output;

  std::ofstream(file, std::ios::app) << "# a comment\n";
  CmdResult comment = topo("plan " + file);
  EXPECT_EQ(comment.status, 0) << comment.output;
  EXPECT_TRUE(contains(comment.output, "no changes")) << comment.output;
  CmdResult nothing = topo("up " + file);
  EXPECT_TRUE(contains(nothing.output, "nothing to do")) << nothing.output;
}

TEST_F(Change, DriftIsListedByPlanAndPutBackByUp) {
  // A router's forwarding is the file's when it says so (else topo's default, not put back).
  std::string file = write_lab(
      replaced(kLab, "kind: router\n", "kind: router\n    sysctls: {net.ipv4.ip_forward: 1}\n"));
  ASSERT_EQ(topo("up " + file).status, 0);
  int r2_eth1 = ifindexes({"r2"})["r2:eth1"];
  ASSERT_EQ(in_node("r1", "ip link del eth2").status, 0);
  ASSERT_EQ(in_node("r2", "ip addr del 10.1.0.2/29 dev eth1").status, 0);
  ASSERT_EQ(in_node("r1", "sysctl -qw net.ipv4.ip_forward=0").status, 0);
  ASSERT_EQ(run("kill " + std::to_string(daemon_pid("1000"))).status, 0);
  ASSERT_TRUE(eventually([&] { return daemon_pid("1000") == 0; }, std::chrono::seconds(5)));

  CmdResult plan = topo("plan --json " + file);
  EXPECT_EQ(plan.status, 3) << plan.output;
  std::set<std::string> drift;
  nlohmann::json j = nlohmann::json::parse(plan.output);
  for (const auto& c : j["changes"])
    if (c["op"] == "!")
      drift.insert(c["kind"].get<std::string>() + " " + c["object"].get<std::string>());
  // The link's addresses come with it; its route went with it.
  EXPECT_EQ(drift, (std::set<std::string>{
                       "link h3:eth1 <-> r1:eth2", "address 10.1.0.2/29 on r2:eth1",
                       "sysctl r1 net.ipv4.ip_forward", "daemon r2/keep", "route r1 10.3.0.0/30"}));
  ASSERT_EQ(topo("up " + file).status, 0);
  EXPECT_EQ(topo("plan " + file).status, 0);
  EXPECT_EQ(in_node("h3", "ping -c1 -W2 10.2.0.1").status, 0);
  EXPECT_EQ(addresses("r2", "eth1"), "10.1.0.2/29 ");
  EXPECT_EQ(ifindexes({"r2"})["r2:eth1"], r2_eth1);
  EXPECT_EQ(sysctl("r1", "net.ipv4.ip_forward"), "1\n");
  EXPECT_GT(daemon_pid("1000"), 0);
}

TEST_F(Change, AFailingChangeRollsBackToTheLabAsItWas) {
  std::string file = write_lab(kLab);
  ASSERT_EQ(topo("up " + file).status, 0);
  auto before = ifindexes({"r1", "r2", "h3"});
  std::string stored = file_text("/run/topo/" + lab() + "/state/topology.yaml");
  std::string first = kLab;
  std::string bad =
      replaced(kLab, "  h3: {}\n", "  h3: {}\n  h5: {sysctls: {net.ipv4.no_such_key: 1}}\n");
  bad = replaced(bad, "10.1.0.2/29]", "10.1.0.3/29]");
  bad += "  - endpoints: [r1:eth5, h5:eth1]\n";
  write_lab(bad);
  CmdResult r = topo("up " + file);
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "error: set sysctl net.ipv4.no_such_key=1 in netns " +
                                     netns("h5") + ": No such file or directory"))
      << r.output;
  EXPECT_TRUE(contains(r.output, "is back as it was before this change")) << r.output;
  EXPECT_EQ(inode("h5"), 0u);
  EXPECT_EQ(addresses("r2", "eth1"), "10.1.0.2/29 ");
  EXPECT_EQ(ifindexes({"r1", "r2", "h3"}), before);
  EXPECT_EQ(file_text("/run/topo/" + lab() + "/state/topology.yaml"), stored)
      << "the stored copy is the first file's again";
  write_lab(first);
  EXPECT_EQ(topo("plan " + file).status, 0) << topo("plan " + file).output;
}

TEST_F(Change, MistakesChangeNothing) {
  std::string file = write_lab(kLab);
  ASSERT_EQ(topo("up " + file).status, 0);
  auto before = ifindexes({"r1", "r2", "h3"});
  write_lab(replaced(kLab, "10.1.0.2/29]", "10.1.0.2/40]"));
  CmdResult bad = topo("plan " + file);
  EXPECT_EQ(bad.status, 2);
  EXPECT_TRUE(contains(bad.output, file + ":")) << bad.output;
  EXPECT_EQ(topo("up " + file).status, 2);
  write_lab(std::string(kLab) + "prefix: other-\n");
  CmdResult prefix = topo("up " + file);
  EXPECT_EQ(prefix.status, 1);
  EXPECT_TRUE(contains(prefix.output, "every namespace would be renamed")) << prefix.output;
  EXPECT_EQ(ifindexes({"r1", "r2", "h3"}), before);
  if (access("/usr/bin/setpriv", X_OK) == 0) {
    write_lab(kLab);
    CmdResult r = run("setpriv --inh-caps=-all --bounding-set=-net_admin,-sys_admin " +
                      std::string(TOPO_BINARY) + " plan " + file);
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_TRUE(contains(r.output, "is running, and reading it needs root")) << r.output;
  }
}

TEST_F(Change, AChangeThatCannotBeMadeIsRefusedBeforeAnythingChanges) {
  std::string file = write_lab(kLab);
  ASSERT_EQ(topo("up " + file).status, 0);
  auto before = ifindexes({"r1", "r2", "h3"});
  std::string journal = file_text("/run/topo/" + lab() + "/state/journal");
  auto unchanged = [&](const std::string& why) {
    EXPECT_EQ(ifindexes({"r1", "r2", "h3"}), before) << why;
    EXPECT_EQ(file_text("/run/topo/" + lab() + "/state/journal"), journal) << why;
    EXPECT_EQ(inode("h5"), 0u) << why;
  };
  // A namespace the change would make exists already, and is not the lab's.
  std::string foreign = netns("h5");
  ASSERT_EQ(run("ip netns add " + foreign).status, 0);
  uint64_t foreign_inode = inode("h5");
  write_lab(replaced(kLab, "  h3: {}\n", "  h3: {}\n  h5: {}\n"));
  CmdResult taken = topo("up " + file);
  EXPECT_EQ(taken.status, 1) << taken.output;
  EXPECT_TRUE(contains(taken.output, "netns " + foreign + " already exists and is not lab " +
                                         lab() + "'s: nothing was changed"))
      << taken.output;
  EXPECT_EQ(inode("h5"), foreign_inode) << "the foreign namespace is left alone";
  ASSERT_EQ(run("ip netns delete " + foreign).status, 0);
  unchanged("taken name");
  // A delay on a kernel without netem.
  if (nl::netem_unsupported()) {
    write_lab(replaced(kLab, "10.1.0.2/29]", "10.1.0.2/29]\n    impair: {delay: 5ms}"));
    CmdResult netem = topo("up " + file);
    EXPECT_EQ(netem.status, 1) << netem.output;
    EXPECT_TRUE(contains(netem.output, "CONFIG_NET_SCH_NETEM")) << netem.output;
    EXPECT_TRUE(contains(netem.output, "Nothing was changed")) << netem.output;
    unchanged("no netem");
  }
}

// What a running lab was built from is read from its journal, never recomputed from the stored
// copy of its file: a stored copy that changed (or that a newer topo would read otherwise) makes
// no difference to what plan and up compare with.
TEST_F(Change, WhatTheLabWasBuiltFromIsReadFromTheJournal) {
  std::string file = write_lab(kLab);
  ASSERT_EQ(topo("up " + file).status, 0);
  std::string stored = "/run/topo/" + lab() + "/state/topology.yaml";
  std::ofstream(stored) << "nodes: [\n";
  CmdResult plan = topo("plan " + file);
  EXPECT_EQ(plan.status, 0) << plan.output;
  std::ofstream(stored) << replaced(replaced(kLab, "LAB", lab()), "  h3: {}\n",
                                    "  h3: {}\n  h9: {}\n");
  plan = topo("plan " + file);
  EXPECT_EQ(plan.status, 0) << plan.output;
  EXPECT_TRUE(contains(plan.output, "no changes")) << plan.output;
}

// A lab brought up by a topo whose journal did not record what it built (journal version 2)
// cannot be compared with a file: plan and up say so and change nothing; down still works.
TEST_F(Change, ALabOfAnOlderJournalIsNotChangedButGoesDown) {
  std::string file = write_lab(kLab);
  ASSERT_EQ(topo("up " + file).status, 0);
  auto before = ifindexes({"r1", "r2", "h3"});
  std::string journal = "/run/topo/" + lab() + "/state/journal";
  ASSERT_EQ(
      run("sed -i -e '/\"t\":\"built\"/d' -e '1s/\"version\":3/\"version\":2/' " + journal).status,
      0);
  ASSERT_TRUE(contains(file_text(journal), "\"version\":2"));
  write_lab(replaced(kLab, "  h3: {}\n", "  h3: {}\n  h5: {}\n"));
  for (const char* verb : {"plan ", "up "}) {
    CmdResult r = topo(verb + file);
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_TRUE(contains(r.output, "error: lab " + lab() +
                                       " was brought up by an older topo, whose journal "
                                       "(version 2) does not record what it built: `topo down " +
                                       lab() + "`, then `topo up` again, to change it"))
        << r.output;
  }
  EXPECT_EQ(inode("h5"), 0u);
  EXPECT_EQ(ifindexes({"r1", "r2", "h3"}), before);
  ASSERT_EQ(topo("down " + lab()).status, 0);
  expect_nothing_left();
}

// The file being applied is stored, and what it builds journaled, before anything changes: when
// either cannot be, nothing is changed.
TEST_F(Change, AFileThatCannotBeStoredChangesNothing) {
  std::string file = write_lab(kLab);
  ASSERT_EQ(topo("up " + file).status, 0);
  auto before = ifindexes({"r1", "r2", "h3"});
  std::string state = "/run/topo/" + lab() + "/state";
  std::string journal = file_text(state + "/journal");
  std::string stored = file_text(state + "/topology.yaml");
  // Nothing can be created in an immutable directory, nor appended to an immutable file, not
  // even by root.
  for (std::string frozen : {state, state + "/journal"}) {
    if (run("chattr +i " + frozen + " 2>/dev/null").status != 0)
      GTEST_SKIP() << "this file system has no immutable files";
    struct Thaw {
      std::string path;
      ~Thaw() { run("chattr -i " + path); }
    } thaw{frozen};
    write_lab(replaced(kLab, "  h3: {}\n", "  h3: {}\n  h5: {}\n"));
    CmdResult r = topo("up " + file);
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_TRUE(contains(r.output, "Operation not permitted: nothing was changed")) << r.output;
    EXPECT_FALSE(contains(r.output, "back as it was")) << r.output;
    EXPECT_EQ(inode("h5"), 0u);
    EXPECT_EQ(ifindexes({"r1", "r2", "h3"}), before);
    EXPECT_EQ(file_text(state + "/journal"), journal);
    EXPECT_EQ(file_text(state + "/topology.yaml"), stored) << frozen;
  }
}

TEST_F(Change, ALanKeepsItsNamespaceWhenLinksBeforeItAndItsMembersChange) {
  const char* v1 = R"(name: LAB
nodes: {r: {}, a: {}, b: {}, c: {}, d: {}}
links:
  - endpoints: [r:e9, a:e9]
  - endpoints: [a:e0, b:e0, c:e0]
    addresses: [10.5.0.1/24, 10.5.0.2/24, 10.5.0.3/24]
)";
  std::string file = write_lab(v1);
  ASSERT_EQ(topo("up " + file).status, 0);
  uint64_t lan = inode("_lan2");
  ASSERT_NE(lan, 0u);
  auto before = ifindexes({"a", "c", "_lan2"});
  write_lab(R"(name: LAB
nodes: {r: {}, a: {}, b: {}, c: {}, d: {}}
links:
  - endpoints: [a:e0, c:e0, d:e0]
    addresses: [10.5.0.1/24, 10.5.0.3/24, 10.5.0.4/24]
)");
  CmdResult plan = topo("plan " + file);
  EXPECT_EQ(plan.status, 3);
  EXPECT_EQ(plan.output,
            "- link _lan2:p2 <-> b:e0\n- link a:e9 <-> r:e9\n+ link _lan2:p4 <-> d:e0\n"
            "+ address 10.5.0.4/24 on d:e0\n~ hosts file\n");
  ASSERT_EQ(topo("up " + file).status, 0);
  EXPECT_EQ(inode("_lan2"), lan);
  EXPECT_EQ(inode("_lan1"), 0u);
  auto after = ifindexes({"a", "c", "_lan2"});
  for (const char* end : {"a:e0", "c:e0", "_lan2:p1", "_lan2:p3", "_lan2:br0"})
    EXPECT_EQ(after[end], before[end]) << end;
  EXPECT_EQ(after.count("_lan2:p2"), 0u);
  EXPECT_EQ(in_node("d", "ping -c1 -W2 10.5.0.1").status, 0);
  EXPECT_EQ(topo("plan " + file).status, 0);
  ASSERT_EQ(topo("down " + lab()).status, 0);
  expect_nothing_left();
}

// zebra turns IPv6 forwarding off when its configuration says `no ipv6 forwarding`: a
// router's forwarding is topo's default, set when the node is made, and left to its daemons.
TEST_F(Change, ADefaultSysctlADaemonChangedIsLeftAloneAndTheFilesIsPutBack) {
  std::string file = write_lab(
      replaced(kLab, "kind: router\n", "kind: router\n    sysctls: {net.ipv4.ip_forward: 1}\n"));
  ASSERT_EQ(topo("up " + file).status, 0);
  ASSERT_EQ(in_node("r1", "sysctl -qw net.ipv6.conf.all.forwarding=0").status, 0);
  CmdResult plan = topo("plan " + file);
  EXPECT_EQ(plan.status, 0) << plan.output;
  EXPECT_EQ(plan.output,
            "note: sysctl r1 net.ipv6.conf.all.forwarding: 0, where topo's default is 1: left as "
            "it is (not in the file)\n");
  CmdResult up = topo("up " + file);
  EXPECT_EQ(up.status, 0) << up.output;
  EXPECT_TRUE(contains(up.output, "nothing to do")) << up.output;
  EXPECT_EQ(sysctl("r1", "net.ipv6.conf.all.forwarding"), "0\n");
  // Written in the file, the same sysctl is the file's: put back.
  ASSERT_EQ(in_node("r1", "sysctl -qw net.ipv4.ip_forward=0").status, 0);
  plan = topo("plan " + file);
  EXPECT_EQ(plan.status, 3) << plan.output;
  EXPECT_TRUE(contains(plan.output,
                       "! sysctl r1 net.ipv4.ip_forward: 0 -> 1 (changed by hand: "
                       "put back)"))
      << plan.output;
  ASSERT_EQ(topo("up " + file).status, 0);
  EXPECT_EQ(sysctl("r1", "net.ipv4.ip_forward"), "1\n");
  EXPECT_EQ(sysctl("r1", "net.ipv6.conf.all.forwarding"), "0\n");
  ASSERT_EQ(topo("down " + lab()).status, 0);
  expect_nothing_left();
}

// An address a daemon added, that the file then declares, is the lab's from then on: plan says
// so, and it goes when the file no longer has it.
TEST_F(Change, AnAddressThereAlreadyIsTakenOverAndSaidSo) {
  std::string file = write_lab(kLab);
  ASSERT_EQ(topo("up " + file).status, 0);
  ASSERT_EQ(in_node("r1", "ip addr add 10.255.0.1/32 dev lo").status, 0);
  write_lab(replaced(kLab, "kind: router\n", "kind: router\n    loopback: 10.255.0.1/32\n"));
  CmdResult plan = topo("plan " + file);
  EXPECT_TRUE(contains(plan.output,
                       "note: address 10.255.0.1/32 on r1:lo: there already, not "
                       "added by topo: the lab's from now on (removed when the file "
                       "no longer has it)\n"))
      << plan.output;
  CmdResult up = topo("up " + file);
  ASSERT_EQ(up.status, 0) << up.output;
  EXPECT_TRUE(contains(up.output, "note: address 10.255.0.1/32 on r1:lo")) << up.output;
  write_lab(kLab);
  plan = topo("plan " + file);
  EXPECT_TRUE(contains(plan.output, "- address 10.255.0.1/32 on r1:lo")) << plan.output;
  ASSERT_EQ(topo("up " + file).status, 0);
  EXPECT_FALSE(contains(in_node("r1", "ip -4 addr show dev lo").output, "10.255.0.1"));
  ASSERT_EQ(topo("down " + lab()).status, 0);
  expect_nothing_left();
}

// A stub and a named LAN are LANs: made, changed and removed as any other.
TEST_F(Change, StubsAndNamedLansComeAndGo) {
  const char* v1 = R"(name: LAB
nodes: {r: {kind: router}, a: {}, b: {}}
links:
  - endpoints: [r:e0, a:e0, b:e0]
    name: core
    addresses: [10.5.0.1/24, 10.5.0.2/24, 10.5.0.3/24]
  - {endpoints: [r:e9], stub: true, addresses: [10.9.0.1/24]}
)";
  std::string file = write_lab(v1);
  CmdResult up = topo("up " + file);
  ASSERT_EQ(up.status, 0) << up.output;
  uint64_t core = inode("_core");
  ASSERT_NE(core, 0u);
  ASSERT_NE(inode("_lan2"), 0u);
  // A second stub, named, before the first: the first keeps its namespace (by its member).
  write_lab(replaced(v1, "  - {endpoints: [r:e9]",
                     "  - {endpoints: [a:e7], stub: true, name: a-stub}\n  - {endpoints: [r:e9]"));
  CmdResult plan = topo("plan " + file);
  EXPECT_EQ(plan.status, 3);
  EXPECT_EQ(plan.output, "+ node _a-stub: lan\n+ link _a-stub:p1 <-> a:e7\n") << plan.output;
  ASSERT_EQ(topo("up " + file).status, 0);
  EXPECT_EQ(inode("_core"), core);
  EXPECT_NE(inode("_lan2"), 0u);
  EXPECT_EQ(inode("_lan3"), 0u);
  EXPECT_TRUE(contains(in_node("a", "ip link show e7").output, "LOWER_UP"));
  // The stub goes: its namespace with it.
  write_lab(v1);
  ASSERT_EQ(topo("up " + file).status, 0);
  EXPECT_EQ(inode("_a-stub"), 0u);
  EXPECT_EQ(topo("plan " + file).status, 0);
  ASSERT_EQ(topo("down " + lab()).status, 0);
  expect_nothing_left();
}

TEST_F(Change, ALinkToTheHostComesAndGoes) {
  std::string host_if = "tc" + lab().substr(2);  // unique to this test, at most 15 characters
  const char* v1 = "name: LAB\nnodes: {a: {}, b: {}}\nlinks:\n  - endpoints: [a:e0, b:e0]\n";
  std::string file = write_lab(v1);
  ASSERT_EQ(topo("up " + file).status, 0);
  write_lab(std::string(v1) + "  - endpoints: [a:e1, host:" + host_if + "]\n");
  ASSERT_EQ(topo("up " + file).status, 0);
  EXPECT_EQ(run("ip link show dev " + host_if).status, 0);
  EXPECT_EQ(topo("plan " + file).status, 0);
  write_lab(v1);
  CmdResult plan = topo("plan " + file);
  EXPECT_TRUE(contains(plan.output, "- link a:e1 <-> host:" + host_if + "\n")) << plan.output;
  ASSERT_EQ(topo("up " + file).status, 0);
  EXPECT_NE(run("ip link show dev " + host_if).status, 0) << "the root namespace's end is gone";
  ASSERT_EQ(topo("down " + lab()).status, 0);
  expect_nothing_left();
}

TEST_F(Change, AnUpKilledWhileChangingALabIsFinishedOrUndoneByTheNextUp) {
  const char* v1 = "name: LAB\nnodes: {a: {}, b: {}}\nlinks:\n  - endpoints: [a:e0, b:e0]\n";
  std::string v2 = std::string(v1) + "  - endpoints: [a:e1, c:e0]\n";
  v2 = replaced(v2, "b: {}}", "b: {}, c: {daemons: [{name: d, cmd: 'sleep 1003'}]}}");
  std::string file = dir() + "/lab.yaml";
  for (bool finish : {true, false}) {
    write_lab(v1);
    ASSERT_EQ(topo("up " + file).status, 0);
    write_lab(v2);
    // Killed while it watches the new daemon: everything is made, nothing is settled.
    pid_t up = spawn_topo({"up", file}, dir() + "/up.log");
    ASSERT_TRUE(eventually([&] { return daemon_pid("1003") > 0; }, std::chrono::seconds(10)));
    kill(up, SIGKILL);
    wait_for(up);
    std::optional<JournalState> killed = read_journal("/run/topo/" + lab() + "/state/journal");
    ASSERT_TRUE(killed && killed->building) << "the journal holds what was being built";
    if (!finish) write_lab(v1);  // undo it: back to the first file
    CmdResult again = topo("up " + file);
    EXPECT_EQ(again.status, 0) << again.output;
    CmdResult plan = topo("plan " + file);
    EXPECT_EQ(plan.status, 0) << plan.output;
    EXPECT_EQ(inode("c") != 0, finish);
    EXPECT_EQ(daemon_pid("1003") > 0, finish);
    std::optional<JournalState> settled = read_journal("/run/topo/" + lab() + "/state/journal");
    ASSERT_TRUE(settled && settled->built);
    EXPECT_FALSE(settled->building);
    EXPECT_EQ(settled->built->find_node("c") != nullptr, finish);
  }
  ASSERT_EQ(topo("down " + lab()).status, 0);
  expect_nothing_left();
}

// Each kind of edit alone, checked in the kernel, then undone by the first file again; what
// the edit does not touch keeps its identity throughout.
TEST_F(Change, EachKindOfEditAloneIsMadeInTheKernelAndUndone) {
  const char* base = R"(name: LAB
nodes:
  r1: {env: {ROLE: a}, files: {conf: "v1\n"}, daemons: [{name: d, cmd: "sleep 1004"}]}
  r2: {}
links:
  - endpoints: [r1:eth1, r2:eth1]
    addresses: [10.1.0.1/29, 10.1.0.2/29]
)";
  struct Edit {
    const char* name;
    const char* from;
    const char* to;
    std::function<bool()> done;  // the edit is live in the kernel or the node's files
  };
  auto out = [&](const std::string& node, const std::string& cmd) {
    return in_node(node, cmd).output;
  };
  std::vector<Edit> edits = {
      {"address", "10.1.0.2/29]", "10.1.0.3/29]",
       [&] { return addresses("r2", "eth1") == "10.1.0.3/29 "; }},
      {"mtu", "10.1.0.2/29]\n", "10.1.0.2/29]\n    mtu: 4000\n",
       [&] { return contains(out("r2", "ip link show dev eth1"), "mtu 4000"); }},
      {"mac", "[r1:eth1, r2:eth1]",
       "[r1:eth1, {node: r2, iface: eth1, mac: \"02:00:00:00:0a:01\"}]",
       [&] { return contains(out("r2", "ip link show dev eth1"), "02:00:00:00:0a:01"); }},
      {"state", "10.1.0.2/29]\n", "10.1.0.2/29]\n    state: down\n",
       [&] { return !contains(out("r2", "ip link show dev eth1"), ",UP"); }},
      {"route", "  r2: {}", "  r2: {routes: [10.9.0.0/16 via 10.1.0.1]}",
       [&] { return contains(out("r2", "ip route"), "10.9.0.0/16 via 10.1.0.1"); }},
      {"sysctl", "  r2: {}", "  r2: {sysctls: {net.ipv4.conf.eth1.rp_filter: 2}}",
       [&] { return sysctl("r2", "net.ipv4.conf.eth1.rp_filter") == "2\n"; }},
      {"impairment", "10.1.0.2/29]\n", "10.1.0.2/29]\n    impair: {rate: 8mbit}\n",
       [&] { return contains(out("r2", "tc qdisc show dev eth1"), "tbf"); }},
      {"kind", "  r2: {}", "  r2: {kind: router}",
       [&] { return sysctl("r2", "net.ipv4.ip_forward") == "1\n"; }},
      {"file", "v1", "v2",
       [&] { return file_text("/run/topo/" + lab() + "/nodes/r1/conf") == "v2\n"; }},
      {"env", "ROLE: a", "ROLE: b",
       [&] { return contains(topo("exec " + lab() + " r1 -- sh -c 'echo $ROLE'").output, "b"); }},
      {"env removed", "env: {ROLE: a}, ", "",
       [&] { return topo("exec " + lab() + " r1 -- sh -c 'echo \"[$ROLE]\"'").output == "[]\n"; }},
      {"daemon", "sleep 1004", "sleep 1005", [&] { return daemon_pid("1005") > 0; }},
      {"a daemon where nothing ran", "  r2: {}",
       "  r2: {daemons: [{name: n, cmd: \"sleep 1006\"}]}", [&] { return daemon_pid("1006") > 0; }},
      {"node and link", "  r2: {}\n", "  r2: {}\n  r3: {}\n",
       [&] { return inode("r3") != 0 && in_node("r3", "ping -c1 -W2 10.2.0.1").status == 0; }},
  };
  std::string file = write_lab(base);
  ASSERT_EQ(topo("up " + file).status, 0);
  auto identity = ifindexes({"r1", "r2"});
  uint64_t r1 = inode("r1"), r2 = inode("r2");
  for (const Edit& e : edits) {
    std::string text = replaced(base, e.from, e.to);
    if (std::string(e.name) == "node and link")
      text += "  - endpoints: [r1:eth2, r3:eth1]\n    addresses: [10.2.0.1/30, 10.2.0.2/30]\n";
    write_lab(text);
    CmdResult up = topo("up " + file);
    ASSERT_EQ(up.status, 0) << e.name << ": " << up.output;
    EXPECT_TRUE(e.done()) << e.name;
    EXPECT_EQ(topo("plan " + file).status, 0) << e.name;
    write_lab(base);
    ASSERT_EQ(topo("up " + file).status, 0) << e.name;
    EXPECT_FALSE(e.done()) << e.name << ": undone";
    EXPECT_EQ(topo("plan " + file).status, 0) << e.name;
    EXPECT_EQ(ifindexes({"r1", "r2"}), identity) << e.name;
    EXPECT_EQ(inode("r1"), r1) << e.name;
    EXPECT_EQ(inode("r2"), r2) << e.name;
  }
}

}  // namespace
}  // namespace topo::testing
