// Hostile input, as root: names the kernel would change, bytes that are not UTF-8, alias bombs,
// too few descriptors, and verbs racing `down`. Each refusal is checked for its message, its
// exit status, and that nothing was created.
#include <fcntl.h>
#include <net/if.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>

#include "tests/lab_fixture.h"

namespace topo::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class HostileInput : public LabTest {};

TEST_F(HostileInput, InterfaceNamesTheKernelWouldRenameOrRefuseNeverReachUp) {
  struct Case {
    std::string link;  // the second link of a two-node lab
    int col;
    std::string message;
  };
  std::string host_all = "  - endpoints: [a:e1, host:all]\n";
  for (const Case& c : std::vector<Case>{
           {"  - endpoints: [a:x%d, b:e1]\n", 17, "interface name `x%d` may not contain"},
           {host_all, 23, "`all` cannot name an interface"},
           {"  - endpoints: [a:e1, b:default]\n", 23, "`default` cannot name an interface"},
           // "à" is C3 A0, and the kernel's isspace() counts 0xA0
           {"  - endpoints: [a:e1, \"b:e\\u00e0\"]\n", 23,
            "interface name `e\xc3\xa0` may not contain `/`, `:`, `%`, white space"}}) {
    SCOPED_TRACE(c.link);
    std::string file = write_lab(
        "name: LAB\nnodes: {a: {}, b: {}}\nlinks:\n  - endpoints: [a:e0, b:e0]\n" + c.link);
    CmdResult up = topo("up " + file);
    EXPECT_EQ(up.status, 2) << up.output;
    EXPECT_TRUE(contains(up.output, fmt::format("{}:5:{}: {}", file, c.col, c.message)))
        << up.output;
    EXPECT_TRUE(contains(up.output, "1 error; nothing was created")) << up.output;
    expect_nothing_left();
  }
}

}  // namespace
}  // namespace topo::testing
