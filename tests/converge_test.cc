// Converging a running lab, without a kernel: specs from files, the live lab simulated.
#include "topo/plan/converge.h"
#include "topo/plan/converger.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "topo/language/loader.h"
#include "topo/language/resolve.h"

namespace topo {
namespace {

Lab lab(const std::string& text) {
  LoadResult r = load_text("lab.yaml", text, "/labs");
  EXPECT_TRUE(r.diagnostics.empty()) << r.diagnostics.render();
  return resolve(r.topology);
}

const char* kBase = R"(name: c
nodes:
  r1:
    kind: router
    sysctls: {net.ipv4.conf.all.rp_filter: 2}
    routes: [10.9.0.0/16 via 10.1.0.2]
    env: {A: "1"}
    files: {conf: "v1\n"}
    daemons: [{name: d1, cmd: "sleep 100"}, {name: d2, cmd: "sleep 200"}]
  h2:
    daemons: [{name: d3, cmd: "sleep 300"}]
  h3: {}
links:
  - endpoints: [r1:eth1, h2:eth0]
    addresses: [10.1.0.1/30, 10.1.0.2/30]
  - endpoints: [r1:eth2, h3:eth0]
    addresses: [10.2.0.1/30, 10.2.0.2/30]
    impair: {rate: 10mbit}
)";

std::string edit(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// A lab running as `before` built it, with its daemons alive (as the live reader sees them),
// their pids 100, 101, ... in the file's order.
Lab running(const Lab& before) {
  Lab live = before;
  int64_t pid = 100;
  for (BuiltNode& n : live.nodes)
    for (BuiltDaemon& d : n.daemons) d = {d.name, "", "", pid++, "", "", 0};
  return live;
}

// What a test does by hand to a running lab.
BuiltNode& node(Lab& lab, const std::string& name) {
  for (BuiltNode& n : lab.nodes)
    if (n.name == name) return n;
  throw std::runtime_error("no node " + name);
}
BuiltIface& iface(Lab& lab, const std::string& end) {
  End e = *End::parse(end);
  for (BuiltIface& i : node(lab, e.node).ifaces)
    if (i.name == e.iface) return i;
  throw std::runtime_error("no interface " + end);
}
template <class T, class Pred>
void erase_if(std::vector<T>& v, Pred pred) {
  v.erase(std::remove_if(v.begin(), v.end(), pred), v.end());
}
void erase_iface(Lab& lab, const std::string& end) {
  End e = *End::parse(end);
  erase_if(node(lab, e.node).ifaces, [&](const BuiltIface& i) { return i.name == e.iface; });
}
void erase_link(Lab& lab, const std::string& a, const std::string& b) {
  erase_if(lab.links, [&](const BuiltLink& l) {
    return (l.a.text() == a && l.b.text() == b) || (l.a.text() == b && l.b.text() == a);
  });
}
void erase_node(Lab& lab, const std::string& name) {
  erase_if(lab.nodes, [&](const BuiltNode& n) { return n.name == name; });
}

struct Result {
  std::vector<std::string> changes, actions;
};

Result converge_to(const std::string& after, const std::string& before_text = kBase,
                   const std::map<std::string, std::string>& fresh = {}) {
  Lab before = lab(before_text);
  Convergence c = converge(lab(after), before, running(before), fresh);
  Result r;
  for (const Change& ch : c.changes) r.changes.push_back(change_text(ch));
  for (const Action& a : c.plan.actions) r.actions.push_back(describe(c.plan, a));
  return r;
}

Result converge_live(const Lab& live) {
  Lab base = lab(kBase);
  Convergence c = converge(base, base, live, {});
  Result r;
  for (const Change& ch : c.changes) r.changes.push_back(change_text(ch));
  for (const Action& a : c.plan.actions) r.actions.push_back(describe(c.plan, a));
  return r;
}

using Lines = std::vector<std::string>;

TEST(Converge, NothingToDoWhenTheLabIsWhatTheFileSays) {
  Result r = converge_to(kBase);
  EXPECT_EQ(r.changes, Lines{});
  EXPECT_EQ(r.actions, Lines{});
}

// Changes and actions come in the wanted lab's order: the file's nodes, then its LANs.
TEST(Converge, EachKindOfEditAloneChangesOnlyItsObject) {
  struct Case {
    std::string name, from, to;
    Lines changes, actions;
  };
  const std::vector<Case> cases = {
      {"address",
       "[10.1.0.1/30, 10.1.0.2/30]",
       "[10.1.0.1/30, 10.1.0.3/30]",
       {"- address 10.1.0.2/30 on h2:eth0", "+ address 10.1.0.3/30 on h2:eth0", "~ hosts file"},
       {"h2: remove address 10.1.0.2/30 from eth0", "h2: address 10.1.0.3/30 on eth0",
        "all: hosts file (9 lines)"}},
      {"mtu",
       "    addresses: [10.1.0.1/30, 10.1.0.2/30]\n",
       "    addresses: [10.1.0.1/30, 10.1.0.2/30]\n    mtu: 9000\n",
       {"~ interface r1:eth1: mtu 1500 -> 9000", "~ interface h2:eth0: mtu 1500 -> 9000"},
       {"r1: set eth1 mtu 9000", "h2: set eth0 mtu 9000"}},
      {"link down",
       "    addresses: [10.1.0.1/30, 10.1.0.2/30]\n",
       "    addresses: [10.1.0.1/30, 10.1.0.2/30]\n    state: down\n",
       {"~ interface r1:eth1: up -> down", "~ interface h2:eth0: up -> down"},
       {"r1: set eth1 down", "h2: set eth0 down"}},
      {"route",
       "routes: [10.9.0.0/16 via 10.1.0.2]",
       "routes: [10.9.0.0/16 via 10.2.0.2]",
       {"~ route r1 10.9.0.0/16: via 10.1.0.2 -> via 10.2.0.2"},
       {"r1: replace route 10.9.0.0/16 via 10.2.0.2"}},
      {"route removed",
       "    routes: [10.9.0.0/16 via 10.1.0.2]\n",
       "",
       {"- route r1 10.9.0.0/16: via 10.1.0.2"},
       {"r1: remove route 10.9.0.0/16"}},
      {"sysctl",
       "rp_filter: 2}",
       "rp_filter: 1}",
       {"~ sysctl r1 net.ipv4.conf.all.rp_filter: 2 -> 1"},
       {"r1: sysctl net.ipv4.conf.all.rp_filter=1"}},
      {"impairment",
       "impair: {rate: 10mbit}",
       "impair: {rate: 20mbit}",
       {"~ impairment r1:eth2: rate 10mbit -> rate 20mbit",
        "~ impairment h3:eth0: rate 10mbit -> rate 20mbit"},
       {"r1: impair eth2: rate 20mbit", "h3: impair eth0: rate 20mbit"}},
      {"impairment removed",
       "    impair: {rate: 10mbit}\n",
       "",
       {"- impairment h3:eth0: rate 10mbit", "- impairment r1:eth2: rate 10mbit"},
       {"h3: clear impairment of eth0", "r1: clear impairment of eth2"}},
      {"daemon cmd: only that daemon restarts",
       "sleep 200",
       "sleep 201",
       {"~ daemon r1/d2: restarted: its cmd, env or files changed"},
       {"r1: stop daemon d2 (pid 101)", "r1: start daemon d2: `sleep 201`",
        "all: check that every daemon still runs 1 s after its start"}},
      {"exec: a note, nothing run",
       "  h3: {}\n",
       "  h3: {exec: [\"true\"]}\n",
       {"note: exec h3: exec: runs when a node is made; not run again now"},
       {}},
  };
  for (const Case& c : cases) {
    Result r = converge_to(edit(kBase, c.from, c.to));
    EXPECT_EQ(r.changes, c.changes) << c.name;
    EXPECT_EQ(r.actions, c.actions) << c.name;
  }
}

TEST(Converge, AFileOrEnvChangeRewritesTheNodeAndRestartsItsDaemonsOnly) {
  Result r = converge_to(edit(kBase, "v1", "v2"));
  EXPECT_EQ(r.changes,
            (Lines{"~ daemon r1/d1: restarted: its cmd, env or files changed",
                   "~ daemon r1/d2: restarted: its cmd, env or files changed", "~ file r1/conf"}));
  for (const std::string& a : r.actions) EXPECT_EQ(a.find("d3"), std::string::npos) << a;
  r = converge_to(edit(kBase, "env: {A: \"1\"}", "env: {A: \"2\"}"));
  EXPECT_EQ(std::count(r.changes.begin(), r.changes.end(), "~ env r1"), 1);
  EXPECT_NE(std::find(r.actions.begin(), r.actions.end(), "r1: node directory, files conf"),
            r.actions.end());
}

// Issue 19: daemons started again in the order of their names (the objects were keyed by
// "node/name"), not in the file's, where one may need another started before it.
TEST(Converge, RestartedDaemonsStartInTheFilesOrder) {
  const std::string base = R"(name: c
nodes:
  a:
    env: {A: "1"}
    daemons: [{name: zz-first, cmd: "sleep 100"}, {name: aa-second, cmd: "sleep 200"}]
)";
  Result r = converge_to(edit(base, "A: \"1\"", "A: \"2\""), base);
  Lines starts;
  for (const std::string& a : r.actions)
    if (a.find("start daemon") != std::string::npos) starts.push_back(a);
  EXPECT_EQ(starts, (Lines{"a: start daemon zz-first: `sleep 100`",
                           "a: start daemon aa-second: `sleep 200`"}));
  // Said in the file's order, stopped in the reverse: the one started first goes last.
  EXPECT_EQ(r.changes,
            (Lines{"~ daemon a/zz-first: restarted: its cmd, env or files changed",
                   "~ daemon a/aa-second: restarted: its cmd, env or files changed", "~ env a"}));
  const std::string sorted = R"(name: c
nodes:
  a:
    env: {A: "1"}
    daemons: [{name: aa-first, cmd: "sleep 100"}, {name: zz-second, cmd: "sleep 200"}]
)";
  r = converge_to(edit(sorted, "A: \"1\"", "A: \"2\""), sorted);
  Lines stops;
  for (const std::string& a : r.actions)
    if (a.find("stop daemon") != std::string::npos) stops.push_back(a);
  EXPECT_EQ(stops,
            (Lines{"a: stop daemon zz-second (pid 101)", "a: stop daemon aa-first (pid 100)"}));
}

// A daemon that waits starts after every daemon that does not, each node's in the file's order.
TEST(Converge, DaemonsThatWaitStartAfterThoseThatDoNot) {
  Lab none;
  Convergence c = converge(lab(R"(name: c
nodes:
  a:
    daemons:
      - {name: zebra, cmd: z}
      - {name: ospfd, cmd: o, wait: {socket: /tmp/zserv.api}}
      - {name: staticd, cmd: s}
  b:
    daemons: [{name: zebra, cmd: z}]
)"),
                           none, none, {});
  Lines starts;
  for (const Action& a : c.plan.actions)
    if (std::string text = describe(c.plan, a); text.find("start daemon") != std::string::npos)
      starts.push_back(text);
  EXPECT_EQ(starts, (Lines{"a: start daemon zebra: `z`", "a: start daemon staticd: `s`",
                           "b: start daemon zebra: `z`",
                           "a: start daemon ospfd once /tmp/zserv.api accepts: `o`"}));
}

TEST(Converge, AFileOrEnvNoLongerInTheFileIsRemoved) {
  Result r = converge_to(edit(kBase, "    files: {conf: \"v1\\n\"}\n", ""));
  EXPECT_EQ(r.changes,
            (Lines{"~ daemon r1/d1: restarted: its cmd, env or files changed",
                   "~ daemon r1/d2: restarted: its cmd, env or files changed", "- file r1/conf"}));
  EXPECT_NE(std::find(r.actions.begin(), r.actions.end(), "r1: remove file conf"), r.actions.end());
  r = converge_to(edit(kBase, "    env: {A: \"1\"}\n", ""));
  EXPECT_NE(std::find(r.changes.begin(), r.changes.end(), "- env r1"), r.changes.end());
  // The node's directory is written again, without the env.
  EXPECT_NE(std::find(r.actions.begin(), r.actions.end(), "r1: node directory, files conf"),
            r.actions.end());
}

TEST(Converge, ANewNodeAndLinkAreMadeAndNothingElseIsTouched) {
  Result r = converge_to(edit(std::string(kBase), "  h3: {}\n", "  h3: {}\n  h4: {}\n") +
                         "  - endpoints: [r1:eth3, h4:eth0]\n    addresses: [10.3.0.1/30, "
                         "10.3.0.2/30]\n");
  EXPECT_EQ(r.changes, (Lines{"+ node h4: host", "+ link h4:eth0 <-> r1:eth3",
                              "+ address 10.3.0.1/30 on r1:eth3", "~ hosts file"}));
  for (const std::string& a : r.actions) {
    EXPECT_EQ(a.find("r1:eth1"), std::string::npos) << a;
    EXPECT_EQ(a.find("h2"), std::string::npos) << a;
    EXPECT_EQ(a.find("delete"), std::string::npos) << a;
  }
  EXPECT_NE(std::find(r.actions.begin(), r.actions.end(), "h4: create netns c-h4"),
            r.actions.end());
  EXPECT_NE(
      std::find(r.actions.begin(), r.actions.end(), "h4: link /etc/netns/c-h4 to the lab's hosts"),
      r.actions.end());
}

TEST(Converge, ANewNodesInterfaceSettingsComeAfterItsInterfaces) {
  Result r = converge_to(edit(std::string(kBase), "  h3: {}\n",
                              "  h3: {}\n  h4: {sysctls: {net.ipv4.conf.eth0.rp_filter: 2, "
                              "net.ipv4.conf.all.rp_filter: 1}}\n") +
                         "  - endpoints: [r1:eth3, h4:eth0]\n");
  auto at = [&](const std::string& action) {
    return std::find(r.actions.begin(), r.actions.end(), action) - r.actions.begin();
  };
  auto veth = std::find_if(
                  r.actions.begin(), r.actions.end(),
                  [](const std::string& a) { return a.find("create veth") != std::string::npos; }) -
              r.actions.begin();
  EXPECT_LT(at("h4: sysctl net.ipv4.conf.all.rp_filter=1"), veth);
  EXPECT_GT(at("h4: sysctl net.ipv4.conf.eth0.rp_filter=2"), veth);
  EXPECT_LT(at("h4: sysctl net.ipv4.conf.eth0.rp_filter=2"), long(r.actions.size()));
}

TEST(Converge, ARemovedNodeTakesItsLinksAndDaemonsAndOnlyThose) {
  std::string without_h2 =
      edit(edit(kBase, "  h2:\n    daemons: [{name: d3, cmd: \"sleep 300\"}]\n", ""),
           "  - endpoints: [r1:eth1, h2:eth0]\n    addresses: [10.1.0.1/30, "
           "10.1.0.2/30]\n",
           "");
  without_h2 = edit(without_h2, "    routes: [10.9.0.0/16 via 10.1.0.2]\n", "");
  Result r = converge_to(without_h2);
  EXPECT_EQ(r.changes, (Lines{"- daemon h2/d3", "- route r1 10.9.0.0/16: via 10.1.0.2",
                              "- link h2:eth0 <-> r1:eth1", "- node h2", "~ hosts file"}));
  EXPECT_EQ(r.actions,
            (Lines{"h2: stop daemon d3 (pid 102)", "r1: remove route 10.9.0.0/16",
                   "r1: delete veth eth1 <-> h2:eth0", "h2: stop its processes, delete netns c-h2",
                   "all: hosts file (7 lines)"}));
}

TEST(Converge, ASysctlNoLongerWantedGoesBackToANewNamespacesValue) {
  std::string without = edit(kBase, "    sysctls: {net.ipv4.conf.all.rp_filter: 2}\n", "");
  Result r = converge_to(without, kBase, {{"net.ipv4.conf.all.rp_filter", "0"}});
  EXPECT_EQ(r.changes,
            Lines{"- sysctl r1 net.ipv4.conf.all.rp_filter: 2 -> 0 (a new namespace's value)"});
  EXPECT_EQ(r.actions, Lines{"r1: sysctl net.ipv4.conf.all.rp_filter=0"});
}

TEST(Converge, ChangingAKindToBridgeMakesTheNodeAgainAndToRouterSetsForwarding) {
  const char* pair = "name: c\nnodes:\n  a: {}\n  b: {}\nlinks:\n  - endpoints: [a:e0, b:e0]\n";
  Result r = converge_to(edit(pair, "  b: {}", "  b: {kind: bridge}"), pair);
  EXPECT_EQ(r.changes, (Lines{"~ node b: kind host -> bridge: made again"}));
  // a's end goes at once (the kernel would take it only when it got round to b's namespace).
  EXPECT_EQ(r.actions,
            (Lines{"a: delete veth e0 <-> b:e0", "b: stop its processes, delete netns c-b",
                   "b: create netns c-b", "b: create bridge br0",
                   "b: create veth e0 (02:88:c5:a0:a2:f8) <-> a:e0 (02:d3:15:b6:ce:bf) "
                   "master br0",
                   "a: set e0 up", "b: set lo up", "b: link /etc/netns/c-b to the lab's hosts"}));
  r = converge_to(edit(pair, "  b: {}", "  b: {kind: router}"), pair);
  EXPECT_EQ(r.changes,
            (Lines{"~ node b: kind host -> router", "+ sysctl b net.ipv4.ip_forward: unset -> 1",
                   "+ sysctl b net.ipv6.conf.all.forwarding: unset -> 1"}));
}

TEST(Converge, DriftIsPutBack) {
  Lab live = running(lab(kBase));
  erase_if(iface(live, "h2:eth0").addresses,
           [](const nl::IpPrefix& a) { return a.text() == "10.1.0.2/30"; });
  erase_link(live, "h3:eth0", "r1:eth2");  // with its ends, their addresses and impairments
  erase_iface(live, "h3:eth0");
  erase_iface(live, "r1:eth2");
  node(live, "h2").daemons.clear();  // d3
  for (auto& [key, value] : node(live, "r1").sysctls)
    if (key == "net.ipv4.conf.all.rp_filter") value = "0";
  iface(live, "r1:eth1").up = false;
  Result r = converge_live(live);
  // In the lab's order: links, then node by node (sysctls, interfaces, addresses), daemons.
  EXPECT_EQ(r.changes, (Lines{"! link h3:eth0 <-> r1:eth2: missing: made again",
                              "! sysctl r1 net.ipv4.conf.all.rp_filter: 0 -> 2 (changed by hand: "
                              "put back)",
                              "! interface r1:eth1: down -> up (changed by hand: put back)",
                              "! address 10.1.0.2/30 on h2:eth0: missing: put back",
                              "! daemon h2/d3: not running: started again"}));
}

// One classification for every kind of object: kept when live as wanted; else new to the file,
// drift (the lab was built with it as wanted), or changed by the file.
TEST(Converge, EveryObjectIsClassifiedTheSameWay) {
  const std::string v1 = "1", v2 = "2";
  EXPECT_EQ(classify(v1, &v1, &v1), 0);
  EXPECT_EQ(classify(v1, nullptr, &v1), 0) << "as wanted, whoever made it";
  EXPECT_EQ(classify(v1, nullptr, nullptr), '+');
  EXPECT_EQ(classify(v1, nullptr, &v2), '+');
  EXPECT_EQ(classify(v1, &v1, nullptr), '!');
  EXPECT_EQ(classify(v1, &v1, &v2), '!');
  EXPECT_EQ(classify(v1, &v2, &v2), '~');
  EXPECT_EQ(classify(v1, &v2, nullptr), '~');
  EXPECT_EQ(classify(true, false), '!');
  EXPECT_EQ(classify(false, false), '+');
  EXPECT_EQ(classify(true, true), 0);
}

// A file of a node edited by hand is drift, as any other object (it was reported as changed by
// the file).
TEST(Converge, AFileEditedByHandIsDriftPutBack) {
  Lab live = running(lab(kBase));
  node(live, "r1").files[0].content = "edited\n";  // conf
  Result r = converge_live(live);
  EXPECT_EQ(r.changes, Lines{"! file r1/conf"});
  EXPECT_EQ(r.actions, Lines{"r1: node directory, files conf"});
}

TEST(Converge, AMissingEtcNetnsLinkIsDriftPutBack) {
  Lab live = running(lab(kBase));
  node(live, "h3").etc_link = false;  // rm /etc/netns/c-h3
  Result r = converge_live(live);
  EXPECT_EQ(r.changes, Lines{"! etc link /etc/netns/c-h3: missing: put back"});
  EXPECT_EQ(r.actions, Lines{"h3: link /etc/netns/c-h3 to the lab's hosts"});
  // A node whose namespace is made again gets its link with it, not as a change of its own.
  live = running(lab(kBase));
  erase_node(live, "h3");
  erase_link(live, "h3:eth0", "r1:eth2");
  r = converge_live(live);
  EXPECT_EQ(
      std::count_if(r.changes.begin(), r.changes.end(),
                    [](const std::string& c) { return c.find("etc link") != std::string::npos; }),
      0);
  EXPECT_EQ(
      std::count(r.actions.begin(), r.actions.end(), "h3: link /etc/netns/c-h3 to the lab's hosts"),
      1);
}

TEST(Converge, ANamespaceDeletedByHandIsMadeAgainAfterTheEndItLeftIsRemoved) {
  // `ip netns delete c-h3`: until the kernel destroys it, r1:eth2 is still there, its peer gone.
  Lab live = running(lab(kBase));
  erase_node(live, "h3");  // with its interfaces and its /etc/netns link
  erase_link(live, "h3:eth0", "r1:eth2");
  Result r = converge_live(live);
  EXPECT_EQ(r.changes, Lines{"! node h3: its namespace is gone: made again"});
  auto at = [&](const std::string& action) {
    return std::find(r.actions.begin(), r.actions.end(), action) - r.actions.begin();
  };
  ptrdiff_t removed = at("r1: delete veth eth2 <-> h3:eth0");
  ASSERT_LT(removed, ptrdiff_t(r.actions.size()));
  EXPECT_LT(removed, at("h3: create netns c-h3"));
  // An end someone else made under that name (another MAC) is not the lab's: left alone.
  iface(live, "r1:eth2").mac = nl::parse_mac("02:00:00:00:00:99");
  r = converge_live(live);
  EXPECT_EQ(at("r1: delete veth eth2 <-> h3:eth0"), ptrdiff_t(r.actions.size()));
}

TEST(Converge, ALinkWhoseEndIsRenamedIsMadeAgainWithWhatWasOnIt) {
  Result r = converge_to(edit(kBase, "[r1:eth1, h2:eth0]", "[r1:eth7, h2:eth0]"));
  EXPECT_EQ(r.changes, (Lines{"- link h2:eth0 <-> r1:eth1", "+ link h2:eth0 <-> r1:eth7",
                              "+ address 10.1.0.1/30 on r1:eth7", "~ hosts file"}));
  for (const char* action : {"r1: delete veth eth1 <-> h2:eth0", "h2: address 10.1.0.2/30 on eth0",
                             "r1: address 10.1.0.1/30 on eth7"})
    EXPECT_NE(std::find(r.actions.begin(), r.actions.end(), action), r.actions.end()) << action;
}

TEST(Converge, WhatTheLabDidNotMakeIsLeftAlone) {
  Lab live = running(lab(kBase));
  iface(live, "h2:eth0").addresses.push_back(*nl::IpPrefix::parse("192.0.2.1/24"));
  node(live, "h2").routes.push_back({*nl::IpPrefix::parse("192.0.2.0/24"), {}});
  Result r = converge_live(live);
  EXPECT_EQ(r.changes, Lines{});
  EXPECT_EQ(r.actions, Lines{});
}

// Removals are listed (and made) in the order of the text that names them, whose separators
// sort between a name's characters: r1-a before r1 before r10 ('-' < '/' < '0'), but r10:
// before r1: (':' > '0').
TEST(Converge, RemovalsComeInTheOrderOfTheirText) {
  const char* with = R"(name: c
nodes:
  r10: {files: {f: "x"}, daemons: [{name: d, cmd: "sleep 1"}]}
  r1: {files: {f: "x"}, daemons: [{name: d, cmd: "sleep 1"}]}
  r1-a: {files: {f: "x"}, daemons: [{name: d, cmd: "sleep 1"}]}
links:
  - endpoints: [r1:e1, r1-a:e1]
    addresses: [10.0.0.1/24, 10.0.0.2/24]
  - endpoints: [r1:e2, r10:e1]
    addresses: [10.0.1.1/24, 10.0.1.2/24]
)";
  const char* without = R"(name: c
nodes: {r10: {}, r1: {}, r1-a: {}}
links:
  - endpoints: [r1:e1, r1-a:e1]
  - endpoints: [r1:e2, r10:e1]
)";
  Lines removals;
  for (const std::string& line : converge_to(without, with).changes)
    if (line[0] == '-') removals.push_back(line);
  EXPECT_EQ(removals, (Lines{"- daemon r1-a/d", "- daemon r1/d", "- daemon r10/d",
                             "- address 10.0.0.2/24 on r1-a:e1", "- address 10.0.1.2/24 on r10:e1",
                             "- address 10.0.0.1/24 on r1:e1", "- address 10.0.1.1/24 on r1:e2",
                             "- file r1-a/f", "- file r1/f", "- file r10/f"}));
}

TEST(Converge, ALanKeepsItsNamespaceAndMembersTheirPortsWhenOtherLinksComeAndGo) {
  const char* v1 = R"(name: c
nodes: {r: {}, a: {}, b: {}, c: {}, d: {}}
links:
  - endpoints: [r:e9, a:e9]
  - endpoints: [a:e0, b:e0, c:e0]
)";
  // The first link goes (the LAN would be _lan1 now), b leaves the LAN and d joins it.
  const char* v2 = R"(name: c
nodes: {r: {}, a: {}, b: {}, c: {}, d: {}}
links:
  - endpoints: [a:e0, c:e0, d:e0]
)";
  Lab before = lab(v1);
  std::vector<std::pair<End, End>> veths;
  for (const BuiltLink& l : before.links) veths.emplace_back(l.a, l.b);
  Lab want = lab(v2);
  align_lans(want, veths);
  ASSERT_TRUE(want.find_node("_lan2"));
  EXPECT_FALSE(want.find_node("_lan1"));
  EXPECT_EQ(want.find_node("_lan2")->netns, "c-_lan2");
  std::set<std::string> links;
  for (const BuiltLink& l : want.links) links.insert(l.a.text() + " <-> " + l.b.text());
  EXPECT_TRUE(links.count("_lan2:p1 <-> a:e0"));
  EXPECT_TRUE(links.count("_lan2:p3 <-> c:e0"));
  EXPECT_TRUE(links.count("_lan2:p4 <-> d:e0")) << "a new member gets a port no member had";
  ASSERT_TRUE(want.find_iface(End{"_lan2", "p4"}));
  EXPECT_EQ(want.find_iface(End{"_lan2", "p4"})->mac, default_mac("c", "_lan2", "p4"));
  Convergence c = converge(want, before, running(before), {});
  std::vector<std::string> changes;
  for (const Change& ch : c.changes) changes.push_back(change_text(ch));
  EXPECT_EQ(changes, (std::vector<std::string>{"- link _lan2:p2 <-> b:e0", "- link a:e9 <-> r:e9",
                                               "+ link _lan2:p4 <-> d:e0"}));
}

// A router's forwarding is topo's default, not the file's: a routing daemon may turn it off
// (zebra does, for IPv6, as its configuration says), and the lab does not fight it. What the
// file writes is put back.
TEST(Converge, ADefaultSysctlChangedLaterIsLeftAloneAndNoted) {
  Lab live = running(lab(kBase));
  for (auto& [key, value] : node(live, "r1").sysctls)
    if (key == "net.ipv6.conf.all.forwarding" || key == "net.ipv4.conf.all.rp_filter") value = "0";
  Result r = converge_live(live);
  EXPECT_EQ(r.changes,
            (Lines{"note: sysctl r1 net.ipv6.conf.all.forwarding: 0, where topo's default is 1: "
                   "left as it is (not in the file)",
                   "! sysctl r1 net.ipv4.conf.all.rp_filter: 0 -> 2 (changed by hand: put back)"}));
  EXPECT_EQ(r.actions, Lines{"r1: sysctl net.ipv4.conf.all.rp_filter=2"});
}

TEST(Converge, ADefaultTheFileNowWritesIsTheFilesAndSet) {
  Lab before = lab(kBase);
  Lab live = running(before);
  for (auto& [key, value] : node(live, "r1").sysctls)
    if (key == "net.ipv6.conf.all.forwarding") value = "0";
  std::string after = edit(kBase, "{net.ipv4.conf.all.rp_filter: 2}",
                           "{net.ipv4.conf.all.rp_filter: 2, net.ipv6.conf.all.forwarding: 1}");
  Convergence c = converge(lab(after), before, live, {});
  ASSERT_EQ(c.changes.size(), 1u);
  EXPECT_EQ(change_text(c.changes[0]), "+ sysctl r1 net.ipv6.conf.all.forwarding: 0 -> 1");
  ASSERT_EQ(c.plan.actions.size(), 1u);
  EXPECT_EQ(describe(c.plan, c.plan.actions[0]), "r1: sysctl net.ipv6.conf.all.forwarding=1");
}

TEST(Converge, TopoSaysWhichSysctlsAreItsDefaults) {
  Lab l = lab(R"(name: c
nodes:
  r1: {kind: router, sysctls: {net.ipv4.ip_forward: 1}}
  h1: {}
links:
  - endpoints: [r1:e1, h1:e1]
    addresses: ["fd00::1/64", "fd00::2/64"]
)");
  EXPECT_EQ(l.nodes[0].default_sysctls,
            (std::vector<std::string>{"net.ipv6.conf.default.accept_dad",
                                      "net.ipv6.conf.all.forwarding"}));
  EXPECT_FALSE(l.nodes[0].is_default_sysctl("net.ipv4.ip_forward"));
  EXPECT_EQ(l.nodes[1].default_sysctls,
            std::vector<std::string>{"net.ipv6.conf.default.accept_dad"});
}

// An address someone else added (a daemon, by hand) that the file now declares is the lab's
// from now on, and plan says so.
TEST(Converge, AnAddressThereAlreadyIsTakenOverWithANote) {
  Lab before = lab(kBase);
  Lab live = running(before);
  iface(live, "h3:lo").addresses.push_back(*nl::IpPrefix::parse("10.255.0.3/32"));
  Convergence c =
      converge(lab(edit(kBase, "  h3: {}", "  h3: {loopback: 10.255.0.3/32}")), before, live, {});
  std::vector<std::string> notes;
  for (const Change& ch : c.changes)
    if (ch.op == '#') notes.push_back(change_text(ch));
  EXPECT_EQ(notes, Lines{"note: address 10.255.0.3/32 on h3:lo: there already, not added by "
                         "topo: the lab's from now on (removed when the file no longer has it)"});
  for (const Action& a : c.plan.actions)
    EXPECT_EQ(std::get_if<AddAddress>(&a), nullptr) << describe(c.plan, a);
}

const char* kLans = R"(name: c
nodes: {r: {}, a: {}, b: {}, c: {}}
links:
  - endpoints: [r:e9, a:e9]
  - {endpoints: [a:e0, b:e0, c:e0], name: core}
  - {endpoints: [r:e0, a:e1, b:e1]}
  - {endpoints: [r:e5], stub: true, addresses: [10.9.0.1/24]}
)";

TEST(Converge, AStubIsALanOfOneAndANamedLanIsCalledByItsName) {
  Lab l = lab(kLans);
  std::vector<std::string> lans;
  for (const BuiltNode& n : l.nodes)
    if (n.kind == NodeKind::lan) lans.push_back(n.name + " " + n.netns);
  EXPECT_EQ(lans, (Lines{"_core c-_core", "_lan3 c-_lan3", "_lan4 c-_lan4"}));
  std::set<std::string> links;
  for (const BuiltLink& b : l.links) links.insert(b.a.text() + " <-> " + b.b.text());
  EXPECT_TRUE(links.count("_core:p2 <-> b:e0"));
  EXPECT_TRUE(links.count("_lan4:p1 <-> r:e5"));
  const BuiltIface* stub = l.find_iface(End{"r", "e5"});
  ASSERT_TRUE(stub);
  EXPECT_TRUE(stub->up);
  ASSERT_EQ(stub->addresses.size(), 1u);
  EXPECT_EQ(stub->addresses[0].text(), "10.9.0.1/24");
  const BuiltIface* port = l.find_iface(End{"_lan4", "p1"});
  ASSERT_TRUE(port);
  EXPECT_TRUE(port->up) << "the stub's end has carrier";
  EXPECT_EQ(port->master, "br0");
  // A first up makes the stub's LAN as any other.
  Convergence c = converge(l, {}, {}, {});
  Lines made;
  for (const Action& a : c.plan.actions)
    if (describe(c.plan, a).rfind("_lan4:", 0) == 0) made.push_back(describe(c.plan, a));
  EXPECT_EQ(made, (Lines{"_lan4: create netns c-_lan4", "_lan4: create bridge br0",
                         "_lan4: create veth p1 (" + nl::mac_text(*port->mac) + ") <-> r:e5 (" +
                             nl::mac_text(*stub->mac) + ") master br0"}));
}

TEST(Converge, ANamedLanKeepsItsNameWhenLinksBeforeItGoAndANewNameIsANewLan) {
  Lab before = lab(kLans);
  std::vector<std::pair<End, End>> veths;
  for (const BuiltLink& l : before.links) veths.emplace_back(l.a, l.b);
  // The first link goes: the unnamed LANs keep their namespaces (by members), the named one its
  // name.
  std::string v2 = edit(kLans, "  - endpoints: [r:e9, a:e9]\n", "");
  Lab want = lab(v2);
  align_lans(want, veths);
  Lines lans;
  for (const BuiltNode& n : want.nodes)
    if (n.kind == NodeKind::lan) lans.push_back(n.name);
  EXPECT_EQ(lans, (Lines{"_core", "_lan3", "_lan4"}));
  Convergence c = converge(want, before, running(before), {});
  Lines changes;
  for (const Change& ch : c.changes) changes.push_back(change_text(ch));
  EXPECT_EQ(changes, Lines{"- link a:e9 <-> r:e9"});
  // Named otherwise, it is another LAN: the old one goes, the new one is made.
  want = lab(edit(kLans, "name: core", "name: spine"));
  align_lans(want, veths);
  c = converge(want, before, running(before), {});
  changes.clear();
  for (const Change& ch : c.changes)
    if (ch.what == "node") changes.push_back(change_text(ch));
  EXPECT_EQ(changes, (Lines{"- node _core", "+ node _spine: lan"}));
}

}  // namespace
}  // namespace topo
