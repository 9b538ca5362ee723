#include "topo/language/graph.h"

#include <gtest/gtest.h>

#include "topo/language/loader.h"

namespace topo {
namespace {

Topology topology(const std::string& text) {
  LoadResult r = load_text("lab.yaml", text, "/labs");
  EXPECT_TRUE(r.diagnostics.empty()) << r.diagnostics.render();
  return r.topology;
}

const char* kLans = R"(name: g
nodes: {a: {}, b: {}, c: {}}
links:
  - {endpoints: [a:e0, b:e0, c:e0], name: core}
  - {endpoints: [a:e1, b:e1, c:e1]}
  - {endpoints: [a:e9], stub: true, addresses: [10.9.0.1/24]}
)";

TEST(Graph, ALanIsDrawnUnderItsNameOrItsPosition) {
  std::string dot = to_dot(topology(kLans));
  EXPECT_NE(dot.find("\"_core\" [shape=ellipse, style=\"dashed,filled\", fillcolor=white, "
                     "label=\"LAN core\"]"),
            std::string::npos)
      << dot;
  EXPECT_NE(dot.find("\"_lan2\" [shape=ellipse"), std::string::npos) << dot;
  EXPECT_NE(dot.find("label=\"LAN 2\""), std::string::npos) << dot;
  EXPECT_NE(dot.find("\"_core\" -- \"b\""), std::string::npos) << dot;
  std::string mermaid = to_mermaid(topology(kLans));
  EXPECT_NE(mermaid.find("lan1((\"LAN core\"))"), std::string::npos) << mermaid;
  EXPECT_NE(mermaid.find("lan2((\"LAN 2\"))"), std::string::npos) << mermaid;
}

TEST(Graph, AStubIsALanOfOne) {
  std::string dot = to_dot(topology(kLans));
  EXPECT_NE(dot.find("\"_lan3\" [shape=ellipse"), std::string::npos) << dot;
  EXPECT_NE(dot.find("\"_lan3\" -- \"a\" [headlabel=\"e9\\n10.9.0.1/24\""), std::string::npos)
      << dot;
}

}  // namespace
}  // namespace topo
