// `topo test --only`: the tests a word names, in file order; a word that names none is invalid
// input with the nearest name.
#include "topo/verbs/checks.h"

#include <gtest/gtest.h>

#include "topo/verbs/lab.h"

namespace topo {
namespace {

Topology with_tests(const std::vector<std::string>& names) {
  Topology t;
  t.name = "demo";
  t.file = "lab.yaml";
  for (const std::string& n : names) {
    TestCase test;
    test.name = n;
    t.tests.push_back(test);
  }
  return t;
}

std::vector<std::string> chosen(const Topology& t, const std::vector<std::string>& only) {
  std::vector<std::string> out;
  for (const TestCase* test : select_tests(t, only, "lab demo")) out.push_back(test->name);
  return out;
}

std::string error_of(const Topology& t, const std::vector<std::string>& only) {
  try {
    select_tests(t, only, "lab demo");
  } catch (const InvalidInput& e) {
    return e.what();
  }
  return "";
}

const Topology kTests = with_tests({"r1 reaches h3", "bgp up on r1", "bgp up on r2", "[v6] r1"});

TEST(SelectTests, ByNameOrPatternInFileOrder) {
  EXPECT_EQ(chosen(kTests, {}).size(), 4u);
  EXPECT_EQ(chosen(kTests, {"bgp up on r2", "r1 reaches h3"}),
            (std::vector<std::string>{"r1 reaches h3", "bgp up on r2"}));
  EXPECT_EQ(chosen(kTests, {"bgp *"}), (std::vector<std::string>{"bgp up on r1", "bgp up on r2"}));
  EXPECT_EQ(chosen(kTests, {"[v6] r1"}), (std::vector<std::string>{"[v6] r1"}))
      << "a name is taken as it is before it is taken for a pattern";
  EXPECT_EQ(chosen(kTests, {"*r1", "bgp up on r1"}),
            (std::vector<std::string>{"bgp up on r1", "[v6] r1"}))
      << "each test once";
}

TEST(SelectTests, AWordThatNamesNoTestIsInvalidInput) {
  EXPECT_EQ(error_of(kTests, {"bgp up on r1", "bgp up on r3"}),
            "lab demo has no test `bgp up on r3` (did you mean `bgp up on r1`?)");
  EXPECT_EQ(error_of(kTests, {"ospf*"}), "lab demo has no test `ospf*`");
  EXPECT_EQ(error_of(with_tests({}), {"x"}), "lab demo has no tests: --only `x` names none");
}

}  // namespace
}  // namespace topo
