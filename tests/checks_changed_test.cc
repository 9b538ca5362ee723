// The parts of a file that `up` only stores (tests, scenarios, ready): what differs between the
// stored copy and a file, as YAML values.
#include "topo/language/checks_changed.h"

#include <gtest/gtest.h>

namespace topo {
namespace {

using Keys = std::vector<std::string>;

const char* kStored = R"(name: demo
nodes: {a: {}, b: {}}
links: [{endpoints: [a:e0, b:e0]}]
tests:
  - name: a reaches b
    ping: {from: a, to: b}
)";

TEST(ChecksChanged, ATestEditedAddedOrRemovedIsChanged) {
  std::string edited = kStored;
  edited.replace(edited.find("to: b"), 5, "to: a");
  EXPECT_EQ(changed_checks(kStored, edited), Keys{"tests"});
  EXPECT_EQ(
      changed_checks(kStored, std::string(kStored) + "  - {name: more, ping: {from: b, to: a}}\n"),
      Keys{"tests"});
  std::string none = kStored;
  none.erase(none.find("tests:"));
  EXPECT_EQ(changed_checks(kStored, none), Keys{"tests"});
  EXPECT_EQ(changed_checks(none, std::string(none) + "ready: {timeout: 5s}\nscenarios: {}\n"),
            (Keys{"scenarios", "ready"}));
}

TEST(ChecksChanged, CommentsLayoutQuotesKeyOrderAndTheNetworkAreNot) {
  EXPECT_EQ(changed_checks(kStored, kStored), Keys{});
  EXPECT_EQ(changed_checks(kStored, R"(# a comment
name: demo
nodes: {a: {}, b: {}, c: {}}
links: [{endpoints: [a:e0, b:e0]}, {endpoints: [b:e1, c:e0]}]
x-test: &t {ping: {to: "b", from: a}, name: 'a reaches b'}
tests: [*t]   # the same test, written another way
)"),
            Keys{});
}

// A damaged stored copy: nothing can be said of it (`up` does not compare the network with it
// either).
TEST(ChecksChanged, ATextThatIsNotAMappingTellsNothing) {
  EXPECT_EQ(changed_checks("nodes: [\n", kStored), Keys{});
  EXPECT_EQ(changed_checks("", kStored), Keys{});
  EXPECT_EQ(changed_checks("{}", kStored), Keys{"tests"}) << "no copy: what the file has";
}

}  // namespace
}  // namespace topo
