#include "topo/language/diag.h"

#include <gtest/gtest.h>

namespace topo {
namespace {

TEST(Diagnostics, RendersFileLineColumnTheLineAndACaret) {
  Diagnostics d("lab.yaml", "name: x\nnodes:\n  r1: {kind: ruter}\n");
  d.error({3, 14}, "unknown kind `ruter`");
  EXPECT_EQ(d.render(),
            "lab.yaml:3:14: unknown kind `ruter`\n"
            " 3 |   r1: {kind: ruter}\n"
            "   |              ^\n");
}

TEST(Diagnostics, SortsByPlaceAndHandlesNoPlace) {
  Diagnostics d("f.yaml", "a\nb\n");
  d.error({2, 1}, "second");
  d.error({1, 1}, "first");
  d.error({}, "whole file");
  std::string out = d.render();
  EXPECT_LT(out.find("whole file"), out.find("first"));
  EXPECT_LT(out.find("f.yaml:1:1: first"), out.find("f.yaml:2:1: second"));
  EXPECT_EQ(d.size(), 3u);
}

}  // namespace
}  // namespace topo
