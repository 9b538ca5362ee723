#include "topo/language/generate.h"

#include <gtest/gtest.h>

#include "topo/language/loader.h"

namespace topo {
namespace {

struct Case {
  std::string shape;
  std::vector<long> args;
  size_t nodes, links;
};

TEST(Generate, EveryShapeIsAValidLabOfTheRightSize) {
  for (const Case& c : std::vector<Case>{{"linear", {10}, 10, 9},
                                         {"ring", {5}, 5, 5},
                                         {"star", {4}, 5, 4},
                                         {"tree", {2, 3}, 13, 12},
                                         {"clos", {2, 3, 4}, 17, 9},
                                         {"clos", {1, 2, 1}, 5, 4},
                                         {"grid", {3, 4}, 12, 17},
                                         {"mesh", {5}, 5, 10}}) {
    std::string error;
    std::optional<std::string> yaml = generate_topology(c.shape, c.args, "", error);
    ASSERT_TRUE(yaml) << c.shape << ": " << error;
    LoadResult r = load_text("gen.yaml", *yaml, "/");
    ASSERT_TRUE(r.diagnostics.empty()) << c.shape << "\n" << r.diagnostics.render() << *yaml;
    EXPECT_EQ(r.topology.nodes.size(), c.nodes) << c.shape;
    EXPECT_EQ(r.topology.links.size(), c.links) << c.shape;
    EXPECT_EQ(r.topology.name, c.shape + std::to_string(c.args[0]));
    // Every link end has an address from the pools (bridge ports excepted).
    for (const Link& l : r.topology.links)
      for (const Endpoint& e : l.endpoints) {
        if (r.topology.find_node(e.node)->kind == NodeKind::bridge) continue;
        EXPECT_FALSE(e.addresses.empty()) << c.shape << " " << e.node << ":" << e.iface;
      }
  }
}

TEST(Generate, LinearHasHostsAtTheEndsAndRoutersBetween) {
  std::string error;
  LoadResult r = load_text("g", *generate_topology("linear", {3}, "chain", error), "/");
  ASSERT_TRUE(r.diagnostics.empty());
  EXPECT_EQ(r.topology.name, "chain");
  EXPECT_EQ(r.topology.nodes[0].kind, NodeKind::host);
  EXPECT_EQ(r.topology.nodes[1].kind, NodeKind::router);
  EXPECT_EQ(r.topology.nodes[2].kind, NodeKind::host);
  EXPECT_EQ(r.topology.links[1].endpoints[0].iface, "eth1");
  EXPECT_EQ(r.topology.links[1].endpoints[1].iface, "eth0");
}

TEST(Generate, MistakesSayWhatIsWrong) {
  std::string error;
  EXPECT_FALSE(generate_topology("torus", {3}, "", error));
  EXPECT_NE(error.find("unknown shape `torus`"), std::string::npos);
  EXPECT_FALSE(generate_topology("tree", {3}, "", error));
  EXPECT_EQ(error, "usage: topo generate tree DEPTH FANOUT");
  EXPECT_FALSE(generate_topology("linear", {0}, "", error));
  EXPECT_NE(error.find("at least 1"), std::string::npos);
  EXPECT_FALSE(generate_topology("star", {254}, "", error));
  EXPECT_EQ(error,
            "topo generate star 254: a star has at most 253 hosts (the hub's segment is "
            "one /24)");
  EXPECT_FALSE(generate_topology("ring", {2}, "", error));
  EXPECT_FALSE(generate_topology("tree", {30, 30}, "", error));
  EXPECT_NE(error.find("at most"), std::string::npos);
}

TEST(Generate, AStarOfTheDocumentedMostHostsIsValid) {
  std::string error;
  std::optional<std::string> yaml = generate_topology("star", {253}, "", error);
  ASSERT_TRUE(yaml) << error;
  LoadResult r = load_text("gen.yaml", *yaml, "/");
  ASSERT_TRUE(r.diagnostics.empty()) << r.diagnostics.render();
  EXPECT_EQ(r.topology.nodes.size(), 254u);
  EXPECT_EQ(r.topology.links.size(), 253u);
}

TEST(Generate, ATreeTooBigIsRefusedWithItsTrueNodeCount) {
  std::string error;
  // 1 + 20 + 400 + 8000 + 160000 + 3200000
  EXPECT_FALSE(generate_topology("tree", {5, 20}, "", error));
  EXPECT_EQ(error, "topo generate tree would make 3368421 nodes; 100000 at most");
  // 20^20 alone is past what a long holds.
  EXPECT_FALSE(generate_topology("tree", {20, 20}, "", error));
  EXPECT_EQ(error, "topo generate tree would make more than 10^18 nodes; 100000 at most");
  EXPECT_FALSE(generate_topology("tree", {200000, 1}, "", error));
  EXPECT_EQ(error, "topo generate tree would make 200001 nodes; 100000 at most");
  EXPECT_FALSE(generate_topology("grid", {1L << 40, 1L << 40}, "", error));
  EXPECT_EQ(error, "topo generate grid would make more than 10^18 nodes; 100000 at most");
  EXPECT_FALSE(generate_topology("clos", {1, 1L << 62, 4}, "", error));
  EXPECT_EQ(error, "topo generate clos would make more than 10^18 nodes; 100000 at most");
  std::optional<std::string> yaml = generate_topology("tree", {9, 2}, "", error);
  ASSERT_TRUE(yaml) << error;
  EXPECT_EQ(load_text("gen.yaml", *yaml, "/").topology.nodes.size(), 1023u);
}

}  // namespace
}  // namespace topo
