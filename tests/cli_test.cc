// The command line as a user meets it: exit statuses and messages. Needs no root.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "tests/lab_fixture.h"

namespace topo::testing {
namespace {

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/topo-cli.XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& text) {
    std::string path = dir_ + "/lab.yaml";
    std::ofstream(path) << text;
    return path;
  }
  CmdResult topo(const std::string& args) { return run(std::string(TOPO_BINARY) + " " + args); }
  std::string dir_;
};

TEST_F(Cli, ValidateSaysOkInOneLine) {
  CmdResult r = topo("validate " + std::string(TOPO_SOURCE_DIR) + "/examples/triangle.yaml");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("triangle.yaml: ok: lab triangle, 3 nodes, 3 links\n"), std::string::npos)
      << r.output;
}

TEST_F(Cli, ValidateReadsStandardInput) {
  CmdResult r =
      run("printf 'name: s\\nnodes: {a: {}}\\n' | " + std::string(TOPO_BINARY) + " validate -");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("<stdin>: ok: lab s, 1 node, 0 links"), std::string::npos) << r.output;
}

TEST_F(Cli, TenMistakesGetTenPreciseMessages) {
  std::string file = write(R"(name: Ten
nodes:
  r1:
    kind: ruter
    loopback: 10.0.0.1/33
    sysctls: {kernel.panic: 1}
  host: {}
  r2: {env: {1X: y}}
links:
  - endpoints: [r1:eth1, r9:eth1]
  - endpoints: [r1:eth2, r2:eth2]
    addresses: [10.1.0.1/30, 10.2.0.2/30]
    mtu: 20
  - endpoints: [r1:eth3, r2:eth3]
    impair: {delay: 5 ms}
  - endpoints: [r1:this-is-far-too-long, r2:eth4]
    stat: down
)");
  CmdResult r = topo("validate " + file);
  EXPECT_EQ(r.status, 2) << r.output;
  std::vector<std::string> expected = {
      ":1:7: lab name `Ten` must start with a lower-case letter",
      ":4:11: unknown kind `ruter`",
      ":5:15: `10.0.0.1/33` is not an address",
      ":6:15: sysctl `kernel.panic` is not per-namespace",
      ":7:3: `host` is reserved",
      ":8:14: environment variable `1X`",
      ":10:26: unknown node `r9`",
      ":12:30: 10.2.0.2/30 and the addresses of r1:eth2 are not in one subnet",
      ":13:10: mtu 20 is out of range",
      ":15:21: `delay: 5 ms` is not a duration",
      ":16:17: interface name `this-is-far-too-long` is longer than 15",
      ":17:5: unknown key `stat` in a link (did you mean `state`?)",
  };
  for (const std::string& e : expected)
    EXPECT_NE(r.output.find(file + e), std::string::npos) << e << "\n" << r.output;
  std::regex located(R"(lab\.yaml:\d+:\d+: )");
  auto count = std::distance(std::sregex_iterator(r.output.begin(), r.output.end(), located),
                             std::sregex_iterator());
  EXPECT_EQ(count, static_cast<long>(expected.size())) << r.output;
  EXPECT_NE(r.output.find("12 errors; nothing was created"), std::string::npos) << r.output;
}

TEST_F(Cli, UpOfABadFileExitsTwoBeforeAnythingElse) {
  std::string file = write("name: bad-up\nnodes:\n  a: {kind: ruter}\n");
  CmdResult r = topo("up " + file);
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find(":3:13: unknown kind"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists("/run/topo/bad-up"));
}

// A lab spread over hosts (192.0.2.x: TEST-NET-1, no address of a test machine): which host's
// part is not said, a host that is not the file's, a part for a host this machine is not.
TEST_F(Cli, UpOfAHostsPartThatIsNotThisMachinesExitsTwoAndMakesNothing) {
  std::string file = write(
      "name: not-here\nhosts:\n  a: {underlay: 192.0.2.10}\n  b: {underlay: 192.0.2.11}\n"
      "nodes: {r1: {}, r2: {host: b}}\nlinks:\n  - endpoints: [r1:e0, r2:e0]\n");
  CmdResult unsaid = topo("up " + file);
  EXPECT_EQ(unsaid.status, 2) << unsaid.output;
  EXPECT_NE(unsaid.output.find("spreads lab not-here over hosts a, b: say which this machine is "
                               "with --host NAME (none of their underlay addresses is one of this "
                               "machine's)"),
            std::string::npos)
      << unsaid.output;
  CmdResult unknown = topo("up --host c " + file);
  EXPECT_EQ(unknown.status, 2) << unknown.output;
  EXPECT_NE(unknown.output.find("--host c: no such host in " + file + " (its hosts: a, b)"),
            std::string::npos)
      << unknown.output;
  CmdResult elsewhere = topo("up --host b " + file);
  EXPECT_EQ(elsewhere.status, 2) << elsewhere.output;
  EXPECT_NE(elsewhere.output.find("--host b: b's underlay address 192.0.2.11 is not an address of "
                                  "this machine"),
            std::string::npos)
      << elsewhere.output;
  EXPECT_FALSE(std::filesystem::exists("/run/topo/not-here"));
  // plan shows any host's part, here or not, making nothing.
  CmdResult plan = topo("plan --host b " + file);
  EXPECT_EQ(plan.status, 3) << plan.output;
  EXPECT_NE(plan.output.find("r2: create vxlan e0"), std::string::npos) << plan.output;
  EXPECT_EQ(plan.output.find("create netns not-here-r1"), std::string::npos) << plan.output;
  CmdResult no_hosts = topo("up --host a " + write("name: one\nnodes: {a: {}}\n"));
  EXPECT_EQ(no_hosts.status, 2) << no_hosts.output;
  EXPECT_NE(no_hosts.output.find("has no `hosts`; it is built whole on this machine"),
            std::string::npos)
      << no_hosts.output;
}

TEST_F(Cli, DryRunIsPlanAndNeedsNoRoot) {
  std::string file = write("name: dry\nnodes: {a: {}, b: {}}\nlinks:\n  - endpoints: [a:e, b:e]\n");
  CmdResult r = topo("up --dry-run " + file);
  EXPECT_EQ(r.status, 3) << r.output;  // as `topo plan`: something would change
  EXPECT_EQ(topo("plan " + file).output, r.output);
  EXPECT_EQ(r.output.rfind("a: create netns dry-a\nb: create netns dry-b\na: create veth e", 0), 0u)
      << r.output;
  EXPECT_FALSE(std::filesystem::exists("/run/topo/dry"));
  // From standard input, read once: the same plan as from the file.
  CmdResult piped = topo("up --dry-run - < " + file);
  EXPECT_EQ(piped.status, 3) << piped.output;
  EXPECT_EQ(piped.output, r.output);
}

TEST_F(Cli, UsageMistakesExitTwo) {
  EXPECT_EQ(topo("").status, 2);
  EXPECT_EQ(topo("frobnicate").status, 2);
  EXPECT_EQ(topo("up").status, 2);
  EXPECT_EQ(topo("validate a b").status, 2);
  CmdResult help = topo("up --help");
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.output.find("--keep-on-failure"), std::string::npos);
  CmdResult missing = topo("validate " + dir_ + "/missing.yaml");
  EXPECT_EQ(missing.status, 2) << missing.output;
  EXPECT_NE(missing.output.find("cannot read the file: No such file or directory"),
            std::string::npos)
      << missing.output;
  EXPECT_NE(missing.output.find("\n" + dir_ + "/missing.yaml: 1 error; nothing was created"),
            std::string::npos)
      << missing.output;
}

}  // namespace
}  // namespace topo::testing

namespace topo::testing {
namespace {

TEST_F(Cli, GraphDotIsValidDotWithKindsAddressesAndLinks) {
  std::string file = write(R"(name: g
nodes:
  r1: {kind: router, loopback: 10.0.0.1/32}
  sw: {kind: bridge}
  h1: {}
  h2: {}
links:
  - endpoints: [r1:eth1, sw:p1]
    addresses: [10.1.0.1/24, []]
    state: down
  - endpoints: [h1:e0, h2:e0, r1:eth2]
    mtu: 9000
  - endpoints: [r1:up0, host:g-up]
)");
  CmdResult dot = topo("graph " + file);
  EXPECT_EQ(dot.status, 0) << dot.output;
  for (const char* part : {"\"r1\" [shape=box, label=\"r1\\nrouter\\n10.0.0.1/32\"]",
                           "\"sw\" [shape=box3d", "\"h1\" [shape=ellipse",
                           "\"r1\" -- \"sw\" [taillabel=\"eth1\\n10.1.0.1/24\", headlabel=\"p1\", "
                           "label=\"down\", style=dashed]",
                           "\"_lan2\" [shape=ellipse, style=\"dashed,filled\"",
                           "label=\"LAN 2\\nmtu 9000\"", "\"host\" [shape=house"})
    EXPECT_NE(dot.output.find(part), std::string::npos) << part << "\n" << dot.output;
  if (access("/usr/bin/dot", X_OK) == 0) {
    CmdResult parsed = run(std::string(TOPO_BINARY) + " graph " + file + " | dot -Tplain");
    EXPECT_EQ(parsed.status, 0) << parsed.output;
    EXPECT_NE(parsed.output.find("node r1 "), std::string::npos) << parsed.output;
  }
  CmdResult mermaid = topo("graph --format mermaid " + file);
  EXPECT_EQ(mermaid.status, 0);
  EXPECT_EQ(mermaid.output.rfind("graph LR\n  n0[\"r1<br/>router<br/>10.0.0.1/32\"]\n", 0), 0u)
      << mermaid.output;
  EXPECT_NE(mermaid.output.find("  n0 -.-|\"eth1 10.1.0.1/24 — p1<br/>down\"| n1\n"),
            std::string::npos)
      << mermaid.output;
  EXPECT_NE(mermaid.output.find("lan2((\"LAN 2<br/>mtu 9000\"))"), std::string::npos)
      << mermaid.output;
}

TEST_F(Cli, GraphSvgNeedsGraphvizAndSaysSo) {
  std::string file = std::string(TOPO_SOURCE_DIR) + "/examples/triangle.yaml";
  CmdResult missing =
      run("PATH=/nonexistent " + std::string(TOPO_BINARY) + " graph --format svg " + file);
  EXPECT_EQ(missing.status, 1) << missing.output;
  EXPECT_NE(missing.output.find("install the Debian package graphviz"), std::string::npos)
      << missing.output;
  if (access("/usr/bin/dot", X_OK) != 0) GTEST_SKIP() << "graphviz is not installed";
  CmdResult svg = topo("graph --format svg " + file + " -o " + dir_ + "/t.svg");
  EXPECT_EQ(svg.status, 0) << svg.output;
  std::ifstream in(dir_ + "/t.svg");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(text.find("<svg"), std::string::npos);
  EXPECT_NE(text.find("10.0.0.3/32"), std::string::npos);
  EXPECT_EQ(topo("graph --format png " + file).status, 2);
}

}  // namespace
}  // namespace topo::testing

namespace topo::testing {
namespace {

TEST_F(Cli, MakeInstallPutsTheBinaryDocsAndCompletionInPlace) {
  CmdResult r = run("cmake --install " + std::string(TOPO_BUILD_DIR) + " --prefix " + dir_);
  EXPECT_EQ(r.status, 0) << r.output;
  for (const char* path :
       {"/bin/topo", "/libexec/topo/topo-core", "/share/bash-completion/completions/topo",
        "/share/doc/topo/topology.md", "/share/doc/topo/README.md",
        "/share/doc/topo/examples/triangle.yaml", "/share/topo/topo.schema.json"})
    EXPECT_TRUE(std::filesystem::exists(dir_ + path)) << path;
  EXPECT_EQ(run(dir_ + "/bin/topo --help").status, 0);
}

TEST_F(Cli, TheFrontEndWithoutTopoCoreSaysWhereItLooked) {
  std::filesystem::create_directories(dir_ + "/alone");
  std::filesystem::copy_file(TOPO_BINARY, dir_ + "/alone/topo");
  CmdResult r = run(dir_ + "/alone/topo validate x.yaml");
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(contains(r.output, "error: cannot run topo-core (beside " + dir_ + "/alone/topo"))
      << r.output;
}

}  // namespace
}  // namespace topo::testing

namespace topo::testing {
namespace {

TEST_F(Cli, GenerateWritesALabThatValidates) {
  CmdResult r = run(std::string(TOPO_BINARY) + " generate grid 3 3 --name g | " +
                    std::string(TOPO_BINARY) + " validate -");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("<stdin>: ok: lab g, 9 nodes, 12 links"), std::string::npos) << r.output;
  CmdResult bad = topo("generate torus 3");
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.output.find("unknown shape `torus`"), std::string::npos) << bad.output;
  EXPECT_EQ(topo("generate linear 3 --name Bad_Name").status, 2);
}

}  // namespace
}  // namespace topo::testing
