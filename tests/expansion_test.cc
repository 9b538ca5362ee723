#include "topo/language/expansion.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include "topo/language/loader.h"

namespace topo {
namespace {

// A lab whose node n0 anchors a value of `bytes` characters that `uses` other nodes alias.
std::string aliased_value(size_t bytes, int uses, const std::string& padding = "") {
  std::string text = padding + "name: t\nnodes:\n";
  text += fmt::format("  n0: {{env: {{X: &v {}}}}}\n", std::string(bytes, 'x'));
  for (int i = 1; i <= uses; i++) text += fmt::format("  n{}: {{env: {{X: *v}}}}\n", i);
  return text;
}

// Line and column of the `*` of the n-th alias (1-based) of aliased_value().
Pos nth_alias(int n) {
  return {3 + n, int(fmt::format("  n{}: {{env: {{X: ", n).size()) + 1};
}

const size_t k64KiB = 64 << 10;

TEST(Expansion, AliasesMayRepeatUpToTheLimit) {
  // Each use repeats 64 KiB + 16: 255 uses stay within 16 MiB, the 256th crosses it.
  size_t per_use = k64KiB + kValueWeight;
  ASSERT_LE(255 * per_use, kRepeatLimit);
  ASSERT_GT(256 * per_use, kRepeatLimit);
  LoadResult ok = load_text("lab.yaml", aliased_value(k64KiB, 255), "/");
  EXPECT_TRUE(ok.diagnostics.empty()) << ok.diagnostics.render();
  EXPECT_EQ(ok.topology.nodes.size(), 256u);
  EXPECT_EQ(ok.topology.nodes[255].env[0].value.size(), k64KiB);
}

TEST(Expansion, TheAliasThatCrossesTheLimitIsNamedWhereItStands) {
  std::string text = aliased_value(k64KiB, 300);
  LoadResult r = load_text("lab.yaml", text, "/");
  ASSERT_EQ(r.diagnostics.size(), 1u) << r.diagnostics.render();
  const Diagnostic& d = r.diagnostics.list()[0];
  Pos at = nth_alias(256);
  EXPECT_EQ(d.pos.line, at.line);
  EXPECT_EQ(d.pos.col, at.col);
  EXPECT_EQ(d.message,
            "the alias `*v` here (64.0 KiB) takes what the file's aliases repeat past 16.0 MiB: a "
            "file's aliases and `defaults` may repeat at most 16.0 MiB, or 8 times the file's "
            "size");
  EXPECT_TRUE(r.topology.nodes.empty()) << "nothing is copied into the model";
  EXPECT_EQ(r.diagnostics.render().rfind(fmt::format("lab.yaml:{}:{}: ", at.line, at.col), 0), 0u);
}

TEST(Expansion, ALargerFileMayRepeatEightTimesItsSize) {
  // 4 MiB of comment: the limit becomes 32 MiB, and 300 uses of 64 KiB (18.8 MiB) fit.
  std::string padding;
  for (int i = 0; i < 4096; i++) padding += "# " + std::string(1021, '-') + "\n";
  ASSERT_EQ(repeat_limit(padding.size()), 32u << 20);
  LoadResult r = load_text("lab.yaml", aliased_value(k64KiB, 300, padding), "/");
  EXPECT_TRUE(r.diagnostics.empty()) << r.diagnostics.render().substr(0, 500);
  EXPECT_EQ(r.topology.nodes.size(), 301u);
}

TEST(Expansion, DefaultsCopiedIntoEveryNodeCount) {
  std::string text =
      fmt::format("name: t\ndefaults: {{env: {{X: {}}}}}\nnodes:\n", std::string(k64KiB, 'x'));
  for (int i = 0; i < 300; i++) text += fmt::format("  n{}: {{}}\n", i);
  LoadResult r = load_text("lab.yaml", text, "/");
  ASSERT_EQ(r.diagnostics.size(), 1u) << r.diagnostics.render().substr(0, 500);
  const Diagnostic& d = r.diagnostics.list()[0];
  EXPECT_EQ(d.pos.line, 2);
  EXPECT_EQ(d.pos.col, 1);
  EXPECT_EQ(d.message.rfind("`defaults` (64.1 KiB) copied into each of 300 nodes repeats 18.8 MiB, "
                            "past 16.0 MiB: ",
                            0),
            0u)
      << d.message;
  // A small `defaults` in many nodes is what it is for.
  std::string small = "name: t\ndefaults: {kind: router, env: {ROLE: core}}\nnodes:\n";
  for (int i = 0; i < 5000; i++) small += fmt::format("  n{}: {{}}\n", i);
  EXPECT_TRUE(load_text("lab.yaml", small, "/").diagnostics.empty());
}

TEST(Expansion, NestedAliasesAreCountedWithoutBeingExpanded) {
  // The "billion laughs": ten levels of ten aliases each name 10^10 values in a few hundred
  // bytes. Measured from the events, each anchor once: this returns at once.
  std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int level = 1; level <= 10; level++) {
    text += fmt::format("a{}: &a{} [", level, level);
    for (int i = 0; i < 10; i++) text += fmt::format("{}*a{}", i ? ", " : "", level - 1);
    text += "]\n";
  }
  std::optional<ExpansionProblem> p = expansion_problem(text);
  ASSERT_TRUE(p);
  EXPECT_NE(p->message.find("the alias `*a"), std::string::npos) << p->message;
  // An alias inside the value its own anchor names (a cycle) ends too.
  EXPECT_FALSE(expansion_problem("a: &a [*a, *a]\n"));
  // A few aliases of small values are nothing.
  EXPECT_FALSE(expansion_problem("x: &x {a: 1}\ny: *x\nz: [*x, *x]\n"));
}

TEST(Expansion, SizesReadForPeople) {
  EXPECT_EQ(size_text(512), "512 B");
  EXPECT_EQ(size_text(1536), "1.5 KiB");
  EXPECT_EQ(size_text(kRepeatLimit), "16.0 MiB");
  EXPECT_EQ(size_text(uint64_t{3} << 30), "3.0 GiB");
}

}  // namespace
}  // namespace topo
