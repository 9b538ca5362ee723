// A node's life at run time (`topo node`) without a kernel: its states' names, the journal's
// node-state record, and what converging a lab with a stopped or paused node does.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/journal_fixture.h"
#include "topo/language/loader.h"
#include "topo/language/resolve.h"
#include "topo/plan/converge.h"
#include "topo/run/journal.h"
#include "topo/verbs/node.h"

namespace topo {
namespace {

using Lines = std::vector<std::string>;

TEST(NodeState, NamesAndActionsReadBackAndNothingElseIsOne) {
  for (NodeState s : {NodeState::running, NodeState::stopped, NodeState::paused})
    EXPECT_EQ(parse_node_state(node_state_name(s)), s);
  EXPECT_EQ(node_state_name(NodeState::stopped), std::string("stopped"));
  EXPECT_EQ(parse_node_state("Stopped"), std::nullopt);
  EXPECT_EQ(parse_node_state(""), std::nullopt);
  for (NodeAction a : {NodeAction::stop, NodeAction::start, NodeAction::restart, NodeAction::pause,
                       NodeAction::resume})
    EXPECT_EQ(parse_node_action(node_action_name(a)), a);
  EXPECT_EQ(parse_node_action("kill"), std::nullopt);
}

using NodeStateJournal = testing::JournalFixture;

TEST_F(NodeStateJournal, TheNewestRecordCountsAndRunningIsNoRecord) {
  {
    JournalWriter w = JournalWriter::create(path_, header_);
    w.netns({{"lab1-a", "a", {}, "router"}, {"lab1-b", "b", {}, "host"}});
    w.complete(2, 0);
    w.node_state("a", NodeState::stopped);
    w.node_state("b", NodeState::paused);
    w.node_state("b", NodeState::running);
  }
  EXPECT_NE(file_text().find(R"({"node":"a","state":"stopped","t":"node-state"})"
                             "\n"),
            std::string::npos)
      << file_text();
  std::optional<JournalState> s = read_journal(path_);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->node_states, (std::map<std::string, NodeState>{{"a", NodeState::stopped}}));
  EXPECT_EQ(node_state(*s, "a"), NodeState::stopped);
  EXPECT_EQ(node_state(*s, "b"), NodeState::running);
  EXPECT_EQ(node_state(*s, "nope"), NodeState::running);
}

TEST_F(NodeStateJournal, ARewriteKeepsEachNodesState) {
  JournalState s;
  s.header = header_;
  s.netns = {{"lab1-a", "a", {}, "router"}, {"lab1-b", "b", {}, "host"}};
  s.node_states = {{"a", NodeState::paused}, {"b", NodeState::stopped}};
  s.complete = true;
  JournalWriter::rewrite(path_, s);
  std::optional<JournalState> back = read_journal(path_);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->node_states, s.node_states);
}

// A journal of version 3 written before node-state existed reads as every node running; a
// record with a state this topo does not know is damaged, not guessed at.
TEST_F(NodeStateJournal, AnOlderJournalHasEveryNodeRunningAndAnUnknownStateIsDamage) {
  { JournalWriter::create(path_, header_).complete(0, 0); }
  EXPECT_TRUE(read_journal(path_)->node_states.empty());
  append_raw(R"({"node":"a","state":"sleeping","t":"node-state"})"
             "\n"
             R"({"links":0,"nodes":0,"t":"complete"})"
             "\n");
  try {
    read_journal(path_);
    ADD_FAILURE() << "read a state it does not know";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("is damaged at line 3"), std::string::npos) << e.what();
  }
  std::vector<size_t> damaged;
  std::optional<JournalState> forced = read_journal(path_, &damaged);
  EXPECT_EQ(damaged, std::vector<size_t>{3});
  EXPECT_TRUE(forced->node_states.empty());
}

Lab lab(const std::string& text) {
  LoadResult r = load_text("lab.yaml", text, "/labs");
  EXPECT_TRUE(r.diagnostics.empty()) << r.diagnostics.render();
  return resolve(r.topology);
}

const char* kLab = R"(name: c
nodes:
  r1:
    kind: router
    routes: [10.9.0.0/16 via 10.1.0.2]
    exec: ["echo one", "echo two"]
    daemons: [{name: d1, cmd: "sleep 100"}, {name: d2, cmd: "sleep 200"}]
  h2:
    daemons: [{name: d3, cmd: "sleep 300"}]
links:
  - endpoints: [r1:eth1, h2:eth0]
    addresses: [10.1.0.1/30, 10.1.0.2/30]
  - endpoints: [r1:eth2, h2:eth1]
    addresses: [10.2.0.1/30, 10.2.0.2/30]
    impair: {rate: 10mbit}
    state: down
)";

BuiltNode& node(Lab& l, const std::string& name) {
  for (BuiltNode& n : l.nodes)
    if (n.name == name) return n;
  throw std::runtime_error("no node " + name);
}

// The lab running as built, its daemons alive.
Lab running(const Lab& built) {
  Lab live = built;
  int64_t pid = 100;
  for (BuiltNode& n : live.nodes)
    for (BuiltDaemon& d : n.daemons) d = {d.name, "", "", pid++, "", "", 0};
  return live;
}

// r1 as `topo node c r1 stop` leaves it: its interfaces but lo down, its routes gone with them,
// no daemon.
Lab with_r1_stopped(const Lab& built) {
  Lab live = running(built);
  BuiltNode& r1 = node(live, "r1");
  r1.state = NodeState::stopped;
  for (BuiltIface& i : r1.ifaces)
    if (i.type != IfaceType::lo) i.up = false;
  r1.routes.clear();
  r1.daemons.clear();
  return live;
}

struct Result {
  Lines changes, actions;
};
Result converged(const Lab& want, const Lab& live) {
  Convergence c = converge(want, want, live, {});
  Result r;
  for (const Change& ch : c.changes) r.changes.push_back(change_text(ch));
  for (const Action& a : c.plan.actions) r.actions.push_back(describe(c.plan, a));
  return r;
}

// `topo plan` and `topo up`: a stopped node is one line of drift; it is configured as built
// (the end the file has down stays down), its exec: lines run again and its daemons start, in
// the file's order.
TEST(NodeLifecycleConverge, AStoppedNodeIsOneLineAndStartsAsBuilt) {
  Lab built = lab(kLab);
  Result r = converged(built, with_r1_stopped(built));
  EXPECT_EQ(r.changes, Lines{"! node r1: stopped (`topo node`): started again"});
  EXPECT_EQ(r.actions,
            (Lines{"r1: set eth1 up", "r1: route 10.9.0.0/16 via 10.1.0.2", "r1: exec `echo one`",
                   "r1: exec `echo two`", "r1: start daemon d1: `sleep 100`",
                   "r1: start daemon d2: `sleep 200`",
                   "all: check that every daemon still runs 1 s after its start"}));
}

TEST(NodeLifecycleConverge, APausedNodeIsResumedFirstAndNothingElseIsDone) {
  Lab built = lab(kLab);
  Lab live = running(built);
  node(live, "h2").state = NodeState::paused;
  Result r = converged(built, live);
  EXPECT_EQ(r.changes, Lines{"! node h2: paused (`topo node`): resumed"});
  EXPECT_EQ(r.actions, Lines{"h2: resume its processes"});
}

// `topo node c r1 start`: the node's part of the lab alone. The drift of another node is left
// as it is (a scenario may have taken its link down on purpose), and so are impairments.
TEST(NodeLifecycleConverge, StartingANodeTouchesThatNodeAlone) {
  Lab built = lab(kLab);
  Lab live = with_r1_stopped(built);
  for (BuiltIface& i : node(live, "h2").ifaces) i.up = false;
  node(live, "h2").daemons.clear();
  Lab part = node_part(built, "r1");
  ASSERT_EQ(part.nodes.size(), 1u);
  EXPECT_TRUE(part.links.empty());
  EXPECT_FALSE(part.hosts);
  Result r = converged(part, node_part(live, "r1"));
  EXPECT_EQ(r.changes, Lines{"! node r1: stopped (`topo node`): started again"});
  for (const std::string& a : r.actions)
    EXPECT_TRUE(a.rfind("r1: ", 0) == 0 || a.rfind("all: check that every daemon", 0) == 0) << a;
  EXPECT_EQ(node_part(built, "nope").nodes.size(), 0u);
}

}  // namespace
}  // namespace topo
