#include "topo/language/loader.h"
#include "tests/load_expect.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>

namespace topo {
namespace {

const char* kTwoNodes = R"(name: t
nodes:
  a: {}
  b: {}
)";

TEST(Loader, LoadsTheTriangleExample) {
  LoadResult r = load_file(std::string(TOPO_SOURCE_DIR) + "/examples/triangle.yaml");
  ASSERT_TRUE(r.diagnostics.empty()) << r.diagnostics.render();
  const Topology& t = r.topology;
  EXPECT_EQ(t.name, "triangle");
  EXPECT_EQ(t.prefix, "triangle-");
  EXPECT_EQ(t.netns_of("r1"), "triangle-r1");
  ASSERT_EQ(t.nodes.size(), 3u);
  EXPECT_EQ(t.nodes[0].name, "r1");
  EXPECT_EQ(t.nodes[0].kind, NodeKind::router);
  ASSERT_EQ(t.nodes[0].loopback.size(), 1u);
  EXPECT_EQ(t.nodes[0].loopback[0].text(), "10.0.0.1/32");
  ASSERT_EQ(t.nodes[0].routes.size(), 2u);
  EXPECT_EQ(t.nodes[0].routes[0].dst.text(), "10.0.0.2/32");
  EXPECT_EQ(t.nodes[0].routes[0].via[0].address_text(), "10.1.0.2");
  ASSERT_EQ(t.links.size(), 3u);
  EXPECT_EQ(t.links[0].endpoints[1].node, "r2");
  EXPECT_EQ(t.links[0].endpoints[1].iface, "eth1");
  EXPECT_EQ(t.links[0].endpoints[1].addresses[0].text(), "10.1.0.2/30");
  EXPECT_NE(t.dir.find("examples"), std::string::npos);
}

TEST(Loader, LoadsTheTwoHostsExampleWithAListPerEndpoint) {
  LoadResult r = load_file(std::string(TOPO_SOURCE_DIR) + "/examples/two-hosts.yaml");
  ASSERT_TRUE(r.diagnostics.empty()) << r.diagnostics.render();
  const Endpoint& h2 = r.topology.links[0].endpoints[1];
  ASSERT_EQ(h2.addresses.size(), 2u);
  EXPECT_EQ(h2.addresses[1].text(), "fd00:50::2/64");
}

TEST(Loader, ReadsEveryKindOfRouteAndTheExtendedEndpoint) {
  LoadResult r = load(R"(name: t
prefix: x-
nodes:
  r1:
    kind: router
    loopback: [10.0.0.1, "fd00::1/128"]
    sysctls: {net.ipv4.conf.all.rp_filter: 0}
    routes:
      - 10.9.0.0/16 via 10.1.0.2
      - default via 10.1.0.2
      - {dst: 10.8.0.0/16, via: [10.1.0.2, 10.2.0.2]}
      - {dst: 192.0.2.0/24, dev: eth3}
      - default via fd00:2::2
  r2: {}
  r3: {}
links:
  - endpoints: [r1:eth1, r2:eth1]
    addresses: [10.1.0.1/30, 10.1.0.2/30]
    mtu: 9000
    state: down
  - endpoints:
      - {node: r1, iface: eth3, mac: "02:00:00:00:00:01", addresses: [10.2.0.1/24, "fd00:2::1/64"]}
      - {node: r3, iface: eth1, addresses: [10.2.0.2/24, "fd00:2::2/64"]}
)");
  ASSERT_TRUE(r.diagnostics.empty()) << r.diagnostics.render();
  const Topology& t = r.topology;
  EXPECT_EQ(t.netns_of("r1"), "x-r1");
  const Node& r1 = t.nodes[0];
  EXPECT_EQ(r1.loopback[0].text(), "10.0.0.1/32");
  EXPECT_EQ(r1.sysctls[0].key, "net.ipv4.conf.all.rp_filter");
  EXPECT_EQ(r1.sysctls[0].value, "0");
  ASSERT_EQ(r1.routes.size(), 5u);
  EXPECT_EQ(r1.routes[1].dst.text(), "0.0.0.0/0");
  EXPECT_EQ(r1.routes[2].via.size(), 2u);
  EXPECT_EQ(r1.routes[3].dev, "eth3");
  EXPECT_TRUE(r1.routes[3].via.empty());
  EXPECT_EQ(r1.routes[4].dst.text(), "::/0");
  EXPECT_EQ(t.links[0].mtu, 9000);
  EXPECT_FALSE(t.links[0].up);
  ASSERT_TRUE(t.links[1].endpoints[0].mac);
  EXPECT_EQ(nl::mac_text(*t.links[1].endpoints[0].mac), "02:00:00:00:00:01");
}

TEST(Loader, YamlSyntaxError) {
  expect_error("name: t\nnodes: {a: {}}}\n", 2, 15, "YAML syntax: illegal flow end");
}

// An unclosed `[` or `{` is pointed at where it was opened, not where the parser gave up (the
// end of the file, or a line further on).
TEST(Loader, AnUnclosedFlowMappingIsPointedAtWhereItOpened) {
  expect_error("name: t\nnodes: {a: {}\n", 2, 8, "YAML syntax: `{` opened here is never closed");
}

TEST(Loader, AnUnclosedFlowSequenceInABlockMappingIsPointedAtWhereItOpened) {
  expect_error(R"(name: t
nodes: {a: {}, b: {}}
links:
  - endpoints: [a:e0, b:e0
    mtu: 1500
  - endpoints: [a:e1, b:e1]
)",
               4, 16, "YAML syntax: `[` opened here is never closed");
}

TEST(Loader, OfNestedUnclosedBracketsTheInnermostIsPointedAt) {
  expect_error("name: t\nnodes: {a: {}, b: {exec: [x, y]\n", 2, 19,
               "`{` opened here is never closed");
}

TEST(Loader, ABracketInAQuotedStringOrACommentIsNotTaken) {
  expect_error(R"(name: t
nodes: [a, "b]", 'c'']',  # ] not this one
  d
links: []
)",
               2, 8, "`[` opened here is never closed");
  expect_error(R"(name: t
nodes:
  a: {exec: ["echo }", 'x}'],  # }
      env: {X: "{"}
)",
               3, 6, "`{` opened here is never closed");
}

TEST(Loader, QuotesInWordsAndBlockScalarsOpenNothing) {
  // `it's` is a word, and the block scalar's lines are text: neither hides the `{` after them.
  expect_error(R"(name: t
nodes:
  a:
    exec:
      - echo it's here
    files:
      motd: |
        "Welcome [
  b: {kind: host
  c: {env: {X: '1'}}
)",
               9, 6, "`{` opened here is never closed");
}

TEST(Loader, EmptyFile) {
  LoadResult r = load("");
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_NE(r.diagnostics.list()[0].message.find("empty"), std::string::npos);
}

TEST(Loader, MissingNameAndNodes) {
  LoadResult r = load("links: []\n");
  EXPECT_EQ(r.diagnostics.size(), 2u) << r.diagnostics.render();
  std::string out = r.diagnostics.render();
  EXPECT_NE(out.find("missing `name`"), std::string::npos);
  EXPECT_NE(out.find("missing `nodes`"), std::string::npos);
}

TEST(Loader, UnknownKeyWithSuggestion) {
  expect_error("name: t\nnodez: {a: {}}\nnodes: {a: {}}\n", 2, 1, "did you mean `nodes`");
  expect_error("name: t\nnodes:\n  a: {kidn: router}\n", 3, 7, "unknown key `kidn` in node `a`");
}

TEST(Loader, WrongTypes) {
  expect_error("name: [t]\nnodes: {a: {}}\n", 1, 7, "`name` must be a single value");
  expect_error("name: t\nnodes: [a]\n", 2, 8, "`nodes` must be a mapping");
  expect_error("name: t\nnodes: {a: 5}\n", 2, 12, "must be a mapping of settings");
  expect_error(std::string(kTwoNodes) + "links:\n  - endpoints: [a:e, b:e]\n    mtu: big\n", 7, 10,
               "whole number");
  expect_error(std::string(kTwoNodes) + "links: {a: b}\n", 5, 8, "`links` must be a list");
}

TEST(Loader, BadNames) {
  expect_error("name: Lab\nnodes: {a: {}}\n", 1, 7, "lab name `Lab`");
  expect_error("name: " + std::string(33, 'a') + "\nnodes: {a: {}}\n", 1, 7, "32 characters");
  expect_error("name: t\nnodes: {host: {}}\n", 2, 9, "`host` is reserved");
  expect_error("name: t\nnodes: {-a: {}}\n", 2, 9, "must start with a letter or a digit");
  expect_error("name: t\nnodes: {a/b: {}}\n", 2, 9, "may contain only");
  expect_error("name: t\nprefix: ../\nnodes: {a: {}}\n", 2, 9, "prefix `../`");
}

// --name: the file read as another lab, its namespaces NAME-<node> whatever the file's prefix;
// a running lab's stored copy is read with the name and prefix its journal has.
TEST(Loader, ANameGivenOverTheFilesIsTheLabsWithItsOwnPrefix) {
  LoadResult plain = load_text("lab.yaml", "name: t\nprefix: p-\nnodes: {a: {}}\n", "/labs");
  ASSERT_TRUE(plain.diagnostics.empty()) << plain.diagnostics.render();
  EXPECT_EQ(plain.topology.netns_of("a"), "p-a");
  LoadResult named = load_text("lab.yaml", "name: t\nprefix: p-\nnodes: {a: {}}\n", "/labs",
                               Disk::read, {"t-gw0-1", std::nullopt});
  ASSERT_TRUE(named.diagnostics.empty()) << named.diagnostics.render();
  EXPECT_EQ(named.topology.name, "t-gw0-1");
  EXPECT_EQ(named.topology.netns_of("a"), "t-gw0-1-a");
  LoadResult stored = load_text("lab.yaml", "name: t\nprefix: p-\nnodes: {a: {}}\n", "/labs",
                                Disk::read, {"t-gw0-1", "p-"});
  EXPECT_EQ(stored.topology.netns_of("a"), "p-a");
  // The file's own name is not needed then, nor checked: it is not the lab's.
  LoadResult nameless =
      load_text("lab.yaml", "nodes: {a: {}}\n", "/labs", Disk::read, {"x", std::nullopt});
  EXPECT_TRUE(nameless.diagnostics.empty()) << nameless.diagnostics.render();
  LoadResult bad_own =
      load_text("lab.yaml", "name: Bad\nnodes: {a: {}}\n", "/labs", Disk::read, {"x", {}});
  EXPECT_TRUE(bad_own.diagnostics.empty()) << bad_own.diagnostics.render();
  // {{lab}} in a node's files is the lab's name.
  LoadResult templated =
      load_text("lab.yaml", "name: t\nnodes: {a: {files: {f: \"{{lab}} {{netns}}\"}}}\n", "/labs",
                Disk::read, {"x", std::nullopt});
  ASSERT_TRUE(templated.diagnostics.empty()) << templated.diagnostics.render();
  ASSERT_EQ(templated.topology.nodes[0].files.size(), 1u);
  EXPECT_EQ(templated.topology.nodes[0].files[0].content, "x x-a");
}

TEST(Loader, BadEndpoints) {
  std::string base = std::string(kTwoNodes) + "links:\n";
  expect_error(base + "  - endpoints: [a:e, c:e]\n", 6, 22, "unknown node `c`");
  expect_error(base + "  - endpoints: [a, b:e]\n", 6, 17, "must be NODE:IFACE");
  expect_error(base + "  - endpoints: [a:e, b:this-name-is-too-long]\n", 6, 22, "longer than 15");
  expect_error(base + "  - endpoints: [a:lo, b:e]\n", 6, 17, "`lo` is the loopback");
  expect_error(base + "  - endpoints: [a:e, b:e]\n  - endpoints: [a:e, b:f]\n", 7, 17,
               "interface a:e is used twice");
  expect_error(base + "  - endpoints: [a:e]\n", 6, 5, "needs two endpoints");
  expect_error(base + "  - endpoints: [host:x, host:y]\n", 6, 5, "both ends are in the root");
  expect_error(base + "  - endpoints: [a:e, b:e, a:e]\n", 6, 27, "interface a:e is used twice");
  expect_error(base + "  - {}\n", 6, 5, "needs `endpoints`");
}

TEST(Loader, InterfaceNamesTheKernelWouldRefuseOrRenameAreRefused) {
  std::string base = std::string(kTwoNodes) + "links:\n";
  // `%d` makes the kernel choose a name itself (x%d becomes x0).
  expect_error(base + "  - endpoints: [a:x%d, b:e]\n", 6, 17, "may not contain `/`, `:`, `%`");
  expect_error(base + "  - endpoints: [a:e, \"b:%\"]\n", 6, 22, "may not contain");
  expect_error(base + "  - endpoints: [a:e, host:all]\n", 6, 22, "`all` cannot name an interface");
  expect_error(base + "  - endpoints: [a:default, b:e]\n", 6, 17, "`default` cannot name");
  expect_error(base + "  - endpoints:\n    - {node: a, iface: all}\n    - b:e\n", 7, 7,
               "`all` cannot name");
  expect_error(base + "  - endpoints: [a:e, \"b:e f\"]\n", 6, 22, "white space");
  expect_error(base + "  - endpoints: [a:e, \"b:e\\tf\"]\n", 6, 22, "white space");
  expect_error(base + "  - endpoints: [a:e, \"b:e\\vf\"]\n", 6, 22, "white space");
  expect_error(base + "  - endpoints: [a:e/f, b:e]\n", 6, 17, "may not contain");
  expect_error(base + "  - endpoints: [a:., b:e]\n", 6, 17, "`.` is not a valid interface name");
  expect_error(base + "  - endpoints: [a:.., b:e]\n", 6, 17, "`..` is not a valid");
  // The kernel's isspace() counts the byte 0xA0, which is in UTF-8 text too ("à" is C3 A0).
  expect_error(base + "  - endpoints: [a:e\xc3\xa0, b:e]\n", 6, 17, "white space");
  // What the kernel takes is accepted.
  EXPECT_TRUE(load(base + "  - endpoints: [a:eth0.10, \"b:x-y_z@1\"]\n").diagnostics.empty());
  EXPECT_TRUE(load(base + "  - endpoints: [a:alle, b:defaults]\n").diagnostics.empty());
}

TEST(Loader, BytesThatAreNotUtf8AreRefusedWhereTheyStand) {
  expect_error("name: t\nnodes:\n  a: {env: {X: \"\xff\"}}\n", 3, 17, "byte 0xFF is not UTF-8");
  expect_error("name: t\nnodes:\n  a: {daemons: [{name: d\xfe, cmd: x}]}\n", 3, 25,
               "byte 0xFE is not UTF-8");
  expect_error("name: t\nnodes:\n  a: {files: {f\x80: x}}\n", 3, 16, "byte 0x80");
  expect_error("name: t\nnodes:\n  a: {exec: [\"echo \xe9t\xe9\"]}\n", 3, 20, "byte 0xE9");
  expect_error("name: t\nnodes: {a: {}}\ntests:\n  - {name: x, exec: {node: a, cmd: \"\xc3\"}}\n",
               4, 37, "byte 0xC3");
  expect_error("# caf\xe9\nname: t\nnodes: {a: {}}\n", 1, 6, "byte 0xE9");
  // Forms that look like UTF-8 and are not: overlong `/`, a UTF-16 surrogate, past U+10FFFF.
  expect_error("name: t\nnodes: {a: {env: {X: \"\xc0\xaf\"}}}\n", 2, 23, "byte 0xC0");
  expect_error("name: t\nnodes: {a: {env: {X: \"\xed\xa0\x80\"}}}\n", 2, 23, "byte 0xED");
  expect_error("name: t\nnodes: {a: {env: {X: \"\xf4\x90\x80\x80\"}}}\n", 2, 23, "byte 0xF4");
  // The first of each line, every line.
  LoadResult r = load("name: t\xff\xff\nnodes: {a: {env: {X: \"\xff\"}}}\n");
  ASSERT_EQ(r.diagnostics.size(), 2u) << r.diagnostics.render();
  EXPECT_EQ(r.diagnostics.list()[0].pos.line, 1);
  EXPECT_EQ(r.diagnostics.list()[1].pos.line, 2);
  // UTF-8 of every length passes.
  EXPECT_TRUE(
      load("name: t\nnodes: {a: {env: {X: \"é€𝄞\"}, exec: [\"echo ü\"]}}\n").diagnostics.empty());
}

TEST(Loader, AFilePathThatIsNotUtf8IsRefused) {
  char tmpl[] = "/tmp/topo-loader.XXXXXX";
  std::string dir = mkdtemp(tmpl);
  std::string path = dir + "/lab\xff.yaml";
  std::ofstream(path) << kTwoNodes;
  LoadResult r = load_file(path);
  std::filesystem::remove_all(dir);
  ASSERT_EQ(r.diagnostics.size(), 1u) << r.diagnostics.render();
  EXPECT_EQ(r.diagnostics.list()[0].pos.line, 0);
  EXPECT_NE(r.diagnostics.render().find("the file's path " + path + " is not UTF-8"),
            std::string::npos)
      << r.diagnostics.render();
}

TEST(Loader, BadAddresses) {
  std::string base = std::string(kTwoNodes) + "links:\n  - endpoints: [a:e, b:e]\n";
  expect_error(base + "    addresses: [10.1.0.1/30]\n", 7, 16, "1 entries for 2 endpoints");
  expect_error(base + "    addresses: [10.1.0.1/30, 10.1.0.300/30]\n", 7, 30,
               "not an address with a prefix length");
  expect_error(base + "    addresses: [10.1.0.1, 10.1.0.2/30]\n", 7, 17,
               "not an address with a prefix length");
  expect_error(base + "    addresses: [10.1.0.1/30, 10.1.1.2/30]\n", 7, 30,
               "10.1.1.2/30 and the addresses of a:e are not in one subnet");
  expect_error(base + "    addresses: [10.1.0.1/30, \"fd00::2/64\"]\n", 7, 30,
               "b:e and a:e share no address family");
  // One end may have IPv6 where the other has only IPv4 (the contract's own example).
  EXPECT_TRUE(load(base + "    addresses: [[10.1.0.1/30, \"fd00::1/64\"], 10.1.0.2/30]\n")
                  .diagnostics.empty());
  expect_error(base + "    addresses: [10.1.0.1/30, 10.1.0.1/30]\n", 7, 30, "used twice");
}

TEST(Loader, BadLinkSettings) {
  std::string base = std::string(kTwoNodes) + "links:\n  - endpoints: [a:e, b:e]\n";
  expect_error(base + "    mtu: 67\n", 7, 10, "out of range 68..65535");
  expect_error(base + "    mtu: 65536\n", 7, 10, "out of range 68..65535");
  expect_error(base + "    state: sideways\n", 7, 12, "up or down");
  std::string ext = std::string(kTwoNodes) + "links:\n  - endpoints:\n";
  expect_error(ext + "    - {node: a, iface: e, mac: \"02:00:00:00:00\"}\n    - b:e\n", 7, 32,
               "not a MAC address");
  expect_error(ext + "    - {node: a, iface: e, mac: \"01:00:00:00:00:01\"}\n    - b:e\n", 7, 32,
               "multicast");
  expect_error(ext + "    - {node: a}\n    - b:e\n", 7, 7, "needs `node` and `iface`");
}

TEST(Loader, BadNodeSettings) {
  expect_error("name: t\nnodes:\n  a: {kind: ruter}\n", 3, 13, "did you mean `router`");
  expect_error("name: t\nnodes:\n  a: {loopback: 10.0.0.1/33}\n", 3, 17, "not an address");
  expect_error("name: t\nnodes:\n  a: {sysctls: {kernel.pid_max: 1}}\n", 3, 17,
               "not per-namespace");
  expect_error("name: t\nnodes:\n  a: {sysctls: {net/../../x: 1}}\n", 3, 17, "empty part");
  expect_error("name: t\nnodes:\n  a: {sysctls: [x]}\n", 3, 16, "mapping of keys");
}

TEST(Loader, BadRoutes) {
  std::string head = "name: t\nnodes:\n  a:\n    routes:\n";
  std::string tail =
      "  b: {}\nlinks:\n  - endpoints: [a:e, b:e]\n    addresses: [10.1.0.1/30, "
      "10.1.0.2/30]\n";
  expect_error(head + "      - 10.9.0.0/16 via 10.2.0.1\n" + tail, 5, 9,
               "gateway 10.2.0.1 is on no subnet of node `a`");
  expect_error(head + "      - 10.9.0.0/16 dev eth7\n" + tail, 5, 9, "no interface `eth7`");
  expect_error(head + "      - 10.9.0.0/16\n" + tail, 5, 9, "needs a gateway");
  expect_error(head + "      - 10.9.0.0/16 through 10.1.0.2\n" + tail, 5, 9, "cannot read route");
  expect_error(head + "      - nowhere via 10.1.0.2\n" + tail, 5, 9, "not a prefix");
  expect_error(head + "      - 10.9.0.0/16 via banana\n" + tail, 5, 9, "not an IP address");
  expect_error(head + "      - 10.9.0.0/16 via fd00::1\n" + tail, 5, 9, "mixes IPv4 and IPv6");
  expect_error(head + "      - {via: 10.1.0.2}\n" + tail, 5, 9, "needs `dst`");
  expect_error(head + "      - 10.9.0.0/16 via 10.1.0.2\n      - 10.9.0.0/16 via 10.1.0.2\n" + tail,
               6, 9, "two routes to 10.9.0.0/16");
}

TEST(Loader, ReportsEveryErrorNotOnlyTheFirst) {
  LoadResult r = load(R"(name: Bad
nodes:
  host: {}
  a: {kind: ruter}
links:
  - endpoints: [a:e, z:e]
    mtu: 1
)");
  EXPECT_EQ(r.diagnostics.size(), 5u) << r.diagnostics.render();
}

TEST(Loader, UnreadableFile) {
  LoadResult r = load_file("/nonexistent/lab.yaml");
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_NE(r.diagnostics.render().find("/nonexistent/lab.yaml: cannot read the file"),
            std::string::npos)
      << r.diagnostics.render();
}

}  // namespace
}  // namespace topo

namespace topo {
namespace {

TEST(Defaults, MapsMergeListsReplaceAndTheNodeWins) {
  LoadResult r = load(R"(name: t
defaults:
  kind: router
  sysctls: {net.ipv4.conf.all.rp_filter: 0, net.ipv4.tcp_ecn: 1}
  env: {ROLE: edge}
  loopback: [10.0.0.9/32]
nodes:
  a:
    sysctls: {net.ipv4.tcp_ecn: 2}
    loopback: [10.0.0.1/32]
  b: {kind: host, env: {X: y}}
)");
  ASSERT_TRUE(r.diagnostics.empty()) << r.diagnostics.render();
  const Node& a = r.topology.nodes[0];
  const Node& b = r.topology.nodes[1];
  EXPECT_EQ(a.kind, NodeKind::router);
  ASSERT_EQ(a.sysctls.size(), 2u);
  EXPECT_EQ(a.sysctls[1].key, "net.ipv4.tcp_ecn");
  EXPECT_EQ(a.sysctls[1].value, "2");
  ASSERT_EQ(a.loopback.size(), 1u);  // lists replace
  EXPECT_EQ(a.loopback[0].text(), "10.0.0.1/32");
  EXPECT_EQ(b.kind, NodeKind::host);
  ASSERT_EQ(b.env.size(), 2u);  // maps merge
  EXPECT_EQ(b.env[0].key, "ROLE");
  EXPECT_EQ(b.env[1].key, "X");
  EXPECT_EQ(b.sysctls.size(), 2u);
}

TEST(Defaults, MistakesPointIntoDefaults) {
  expect_error("name: t\ndefaults: {kidn: router}\nnodes: {a: {}}\n", 2, 12,
               "unknown key `kidn` in `defaults`");
  expect_error("name: t\ndefaults: [x]\nnodes: {a: {}}\n", 2, 11, "`defaults` must be a mapping");
}

TEST(DuplicateKeys, AreRefusedWhereverTheyAre) {
  expect_error("name: t\nname: u\nnodes: {a: {}}\n", 2, 1,
               "duplicate key `name` (first at line 1)");
  expect_error("name: t\nnodes:\n  a: {}\n  a: {}\n", 4, 3, "duplicate key `a`");
  expect_error("name: t\nnodes:\n  a: {sysctls: {net.x: 1, net.x: 2}}\n", 3, 27,
               "duplicate key `net.x`");
}

TEST(Env, NamesAreChecked) {
  expect_error("name: t\nnodes:\n  a: {env: {1X: y}}\n", 3, 13, "must start with a letter");
  expect_error("name: t\nnodes:\n  a: {env: {TOPO_NODE: y}}\n", 3, 13, "set by topo itself");
}

TEST(Bridges, PortsHaveNoAddressesAndBridgesNoRoutes) {
  std::string base = "name: t\nnodes:\n  sw: {kind: bridge}\n  h: {}\nlinks:\n";
  expect_error(base + "  - endpoints: [sw:p1, h:e]\n    addresses: [10.1.0.1/24, 10.1.0.2/24]\n", 7,
               17, "a bridge port has no address");
  expect_error(base + "  - endpoints: [sw:br0, h:e]\n", 6, 17, "`br0` is the bridge");
  expect_error("name: t\nnodes:\n  sw:\n    kind: bridge\n    routes: [default via 10.0.0.1]\n", 5,
               14, "has no routes");
}

TEST(Impair, ValuesAreChecked) {
  std::string base = std::string(kTwoNodes) + "links:\n  - endpoints: [a:e, b:e]\n";
  expect_error(base + "    impair: {delay: 10 ms}\n", 7, 21, "not a duration");
  expect_error(base + "    impair: {delay: 10ms, loss: 101%}\n", 7, 33, "from 0% to 100%");
  expect_error(base + "    impair: {loss: 5}\n", 7, 20, "from 0% to 100%");
  expect_error(base + "    impair: {rate: 100mbps}\n", 7, 20, "not a rate");
  expect_error(base + "    impair: {jitter: 1ms}\n", 7, 13, "`jitter` needs a `delay`");
  expect_error(base + "    impair: {delai: 1ms}\n", 7, 14, "did you mean `delay`");
  // netem holds a delay in a u32 of 64 ns ticks: past ~274.9 s it would wrap.
  expect_error(base + "    impair: {delay: 275s}\n", 7, 21, "at most 274s");
  expect_error(base + "    impair: {delay: 1s, jitter: 2200s}\n", 7, 33, "at most 274s");
  EXPECT_TRUE(load(base + "    impair: {delay: 274s, jitter: 274s}\n").diagnostics.empty());
}

TEST(Tests, AreParsedAndChecked) {
  LoadResult ok = load(std::string(kTwoNodes) + R"(tests:
  - name: a reaches b
    ping: {from: a, to: b}
  - name: routes
    exec: {node: a, cmd: "ip route"}
    expect: {exit: 0, output: "10\\.0\\.0\\.3/32"}
    timeout: 60s
  - name: isolated
    ping: {from: a, to: 192.0.2.1}
    expect: failure
)");
  ASSERT_TRUE(ok.diagnostics.empty()) << ok.diagnostics.render();
  const std::vector<TestCase>& tests = ok.topology.tests;
  ASSERT_EQ(tests.size(), 3u);
  EXPECT_TRUE(tests[0].is_ping());
  EXPECT_EQ(tests[0].to, "b");
  EXPECT_EQ(tests[1].cmd, "ip route");
  EXPECT_EQ(tests[1].expect_exit, 0);
  EXPECT_EQ(tests[1].expect_output, "10\\.0\\.0\\.3/32");
  EXPECT_EQ(tests[1].timeout_us, 60000000u);
  EXPECT_FALSE(tests[2].expect_success);

  std::string base = std::string(kTwoNodes) + "tests:\n";
  expect_error(base + "  - {name: x, ping: {from: z, to: b}}\n", 6, 5, "unknown node `z`");
  expect_error(base + "  - {name: x, ping: {from: a, to: nowhere}}\n", 6, 5,
               "neither a node nor an IP address");
  expect_error(base + "  - {name: x, exec: {node: a, cmd: x}, expect: {output: \"(\"}}\n", 6, 57,
               "not a valid regular expression");
  expect_error(base + "  - {name: x, exec: {node: a, cmd: x}, timeout: soon}\n", 6, 49,
               "not a duration");
  expect_error(base + "  - {name: x, exec: {node: a, cmd: x}, expect: maybe}\n", 6, 48,
               "success, failure");
  expect_error(base + "  - {name: x}\n", 6, 5, "needs `ping` or `exec`");
  expect_error(base + "  - {name: x, exec: {node: a}}\n", 6, 21, "needs `node` and `cmd`");
}

}  // namespace
}  // namespace topo

namespace topo {
namespace {

TEST(NodeCommands, FilesExecAndDaemonsAreRead) {
  LoadResult r = load(R"(name: t
defaults:
  files: {a.conf: "x", b.conf: "y"}
  exec: [echo default]
nodes:
  n:
    files: {b.conf: "mine"}
    exec: [echo one, "echo two"]
    daemons:
      - {name: bird, cmd: "bird -f"}
)");
  ASSERT_TRUE(r.diagnostics.empty()) << r.diagnostics.render();
  const Node& n = r.topology.nodes[0];
  ASSERT_EQ(n.files.size(), 2u);  // maps merge...
  EXPECT_EQ(n.files[1].name, "b.conf");
  EXPECT_EQ(n.files[1].content, "mine");  // ...the node's own wins
  ASSERT_EQ(n.exec.size(), 2u);           // lists replace
  EXPECT_EQ(n.exec[1].cmd, "echo two");
  ASSERT_EQ(n.daemons.size(), 1u);
  EXPECT_EQ(n.daemons[0].name, "bird");
  EXPECT_EQ(n.daemons[0].cmd, "bird -f");
}

TEST(NodeCommands, NamesThatWouldEscapeOrClashAreRefused) {
  expect_error("name: t\nnodes:\n  n: {files: {../x: y}}\n", 3, 15, "may not contain `/`");
  expect_error("name: t\nnodes:\n  n: {files: {..: y}}\n", 3, 15, "not a valid file name");
  // Logs are kept out of the node's directory: a file may have a log's name.
  EXPECT_TRUE(load("name: t\nnodes:\n  n: {files: {exec.log: y}}\n").diagnostics.empty());
  expect_error("name: t\nnodes:\n  n: {daemons: [{name: a/b, cmd: x}]}\n", 3, 17,
               "may not contain `/`");
  expect_error("name: t\nnodes:\n  n: {daemons: [{name: d, cmd: x}, {name: d, cmd: y}]}\n", 3, 36,
               "two daemons named `d`");
  expect_error("name: t\nnodes:\n  n: {daemons: [{name: d}]}\n", 3, 17,
               "needs a `name` and a `cmd`");
  expect_error("name: t\nnodes:\n  n: {daemons: [{name: d, cmd: x, user: y}]}\n", 3, 35,
               "unknown key `user` in a daemon");
}

}  // namespace
}  // namespace topo

namespace topo {
namespace {

TEST(Extensions, XKeysAreTheUsersAnywhereTopoNamesTheKeys) {
  LoadResult r = load(R"(name: t
x-frr: &frr
  kind: router
  daemons: [{name: zebra, cmd: zebra, x-note: first}]
x-anything: [1, {2: 3}]
defaults: {x-why: shared}
nodes:
  r1: {kind: router, x-rack: 7}
  r2: *frr
links:
  - {endpoints: [r1:e1, {node: r2, iface: e1, x-cable: blue}], x-id: 1, impair: {delay: 1ms, x-y: 2}}
tests:
  - {name: p, ping: {from: r1, to: r2, x-v: 1}, expect: success, x-owner: me}
  - {name: q, exec: {node: r1, cmd: "true", x-v: 1}, expect: {exit: 0, x-v: 2}}
scenarios:
  s: [{down: r1:e1, x-why: test}, {test: p, within: 1s, x-n: 1}]
ready: {tests: all, x-after: boot}
addressing: {p2p: 10.0.0.0/16, x-note: pools}
)");
  ASSERT_TRUE(r.diagnostics.empty()) << r.diagnostics.render();
  ASSERT_EQ(r.topology.nodes.size(), 2u);
  EXPECT_EQ(r.topology.nodes[1].kind, NodeKind::router);
  ASSERT_EQ(r.topology.nodes[1].daemons.size(), 1u);
  EXPECT_EQ(r.topology.nodes[1].daemons[0].name, "zebra");
  ASSERT_EQ(r.topology.scenarios.size(), 1u);
  EXPECT_EQ(r.topology.scenarios[0].steps.size(), 2u);
}

TEST(Extensions, OnlyXDashIsTheUsersAndNamesChosenByTheUserStayNames) {
  expect_error("name: t\nx_frr: 1\nnodes: {a: {}}\n", 2, 1,
               "unknown key `x_frr` in the top level (a key of your own starts with `x-`)");
  expect_error("name: t\nnodes: {a: {X-rack: 1}}\n", 2, 13, "unknown key `X-rack` in node `a`");
  // A step with nothing but a key of the user's does nothing: it is a mistake.
  expect_error("name: t\nnodes: {a: {}}\nscenarios: {s: [{x-a: 1}, {wait: 1s}]}\n", 3, 17,
               "a step needs one of");
  // In a mapping of names, `x-` is a name: a node, an environment variable.
  LoadResult r = load("name: t\nnodes: {x-ray: {env: {x-y: 1}}}\n");
  ASSERT_EQ(r.diagnostics.size(), 1u) << r.diagnostics.render();
  EXPECT_EQ(r.topology.nodes[0].name, "x-ray");
  EXPECT_NE(r.diagnostics.list()[0].message.find("environment variable `x-y`"), std::string::npos);
}

TEST(Extensions, MergeKeysBringAnAnchorsEntriesUnderTheMappingsOwn) {
  LoadResult r = load(R"(name: t
x-frr: &frr
  kind: router
  sysctls: {net.ipv4.conf.all.rp_filter: 0}
  daemons: [{name: zebra, cmd: zebra}]
x-env: &env
  env: {ROLE: edge}
  kind: host
nodes:
  r1:
    <<: *frr
    env: {ROLE: core}
  r2: {<<: [*env, *frr]}
  h1: {<<: *env, kind: bridge}
)");
  ASSERT_TRUE(r.diagnostics.empty()) << r.diagnostics.render();
  const Topology& t = r.topology;
  ASSERT_EQ(t.nodes.size(), 3u);
  EXPECT_EQ(t.nodes[0].kind, NodeKind::router);
  ASSERT_EQ(t.nodes[0].daemons.size(), 1u);
  ASSERT_EQ(t.nodes[0].env.size(), 1u);
  EXPECT_EQ(t.nodes[0].env[0].value, "core");  // the mapping's own entry wins
  EXPECT_EQ(t.nodes[1].kind, NodeKind::host);  // of a list, the first mapping wins
  EXPECT_EQ(t.nodes[1].daemons.size(), 1u);
  EXPECT_EQ(t.nodes[2].kind, NodeKind::bridge);
}

TEST(Extensions, AMistakeInAMergedEntryIsShownWhereTheAnchorWroteIt) {
  expect_error("name: t\nx-base: &b {kind: ruter}\nnodes:\n  a: {<<: *b}\n", 2, 19,
               "unknown kind `ruter`");
  expect_error("name: t\nx-base: &b {kidn: router}\nnodes:\n  a: {<<: *b}\n", 2, 13,
               "unknown key `kidn` in node `a`");
}

TEST(Extensions, AMergeKeyNeedsMappings) {
  expect_error("name: t\nnodes:\n  a: {<<: 5}\n", 3, 11,
               "the merge key `<<` takes a mapping or a list of mappings");
  expect_error("name: t\nx-a: &a {kind: host}\nnodes:\n  a: {<<: [*a, 5]}\n", 4, 16,
               "the merge key `<<` takes a mapping");
  expect_error("name: t\nx-a: &a {kind: host}\nnodes:\n  a:\n    <<: *a\n    <<: *a\n", 6, 5,
               "a second merge key `<<`");
  // Quoted, "<<" is a key like any other.
  expect_error("name: t\nnodes:\n  a: {\"<<\": {kind: host}}\n", 3, 7, "unknown key `<<`");
}

TEST(Extensions, AnAnchorThatNamesItselfEnds) {
  LoadResult r = load("name: t\nx-loop: &l {a: *l, <<: *l}\nnodes: {a: {}}\n");
  EXPECT_TRUE(r.diagnostics.empty()) << r.diagnostics.render();
}

}  // namespace
}  // namespace topo

namespace topo {
namespace {

TEST(Stubs, AStubIsOneEndOnASegmentOfItsOwn) {
  LoadResult r = load(R"(name: t
addressing: {lan: 10.128.0.0/16}
nodes: {r1: {kind: router}}
links:
  - {endpoints: [r1:eth9], stub: true, addresses: [10.9.0.1/24]}
  - {endpoints: [r1:eth8], stub: true}
)");
  ASSERT_TRUE(r.diagnostics.empty()) << r.diagnostics.render();
  ASSERT_EQ(r.topology.links.size(), 2u);
  EXPECT_TRUE(r.topology.links[0].stub);
  EXPECT_TRUE(r.topology.links[0].is_lan());
  ASSERT_EQ(r.topology.links[1].endpoints[0].addresses.size(), 1u);
  EXPECT_EQ(r.topology.links[1].endpoints[0].addresses[0].text(), "10.128.0.1/24")
      << "a stub's subnet comes from the `lan` pool";
}

TEST(Stubs, OneEndpointWithoutStubOrStubWithMoreIsAMistake) {
  expect_error("name: t\nnodes: {a: {}}\nlinks:\n  - endpoints: [a:e0]\n", 4, 5,
               "a link needs two endpoints (three or more make a LAN); for one interface on a "
               "segment of its own (a stub network), add `stub: true`");
  expect_error(
      "name: t\nnodes: {a: {}, b: {}}\nlinks:\n  - {endpoints: [a:e0, b:e0], stub: true}\n", 4, 37,
      "`stub: true` is a link of one endpoint (an interface on a segment of its "
      "own); this one has 2");
  expect_error("name: t\nnodes: {a: {}}\nlinks:\n  - {endpoints: [a:e0], stub: yes}\n", 4, 31,
               "`stub` is true or false, not `yes`");
  expect_error("name: t\nnodes: {a: {}}\nlinks:\n  - {endpoints: [a:e0], stub: false}\n", 4, 5,
               "add `stub: true`");
}

TEST(LanNames, ALanMayHaveAName) {
  LoadResult r = load(R"(name: t
nodes: {a: {}, b: {}, c: {}}
links:
  - {endpoints: [a:e0, b:e0, c:e0], name: core-1.x_y}
  - {endpoints: [a:e1], stub: true, name: stub-a}
)");
  ASSERT_TRUE(r.diagnostics.empty()) << r.diagnostics.render();
  EXPECT_EQ(r.topology.links[0].name, "core-1.x_y");
  EXPECT_EQ(r.topology.links[1].name, "stub-a");
}

TEST(LanNames, NamesAreChecked) {
  const std::string head = "name: t\nnodes: {a: {}, b: {}, c: {}}\nlinks:\n";
  expect_error(head + "  - {endpoints: [a:e0, b:e0], name: ab}\n", 4, 37,
               "only a LAN (three endpoints or more, or `stub: true`) has a `name`");
  expect_error(head + "  - {endpoints: [a:e0, b:e0, c:e0], name: -x}\n", 4, 43,
               "LAN name `-x` must start with a letter or a digit");
  expect_error(head + "  - {endpoints: [a:e0, b:e0, c:e0], name: a/b}\n", 4, 43,
               "LAN name `a/b` may contain only letters, digits, `_`, `.` and `-`");
  expect_error(head + "  - {endpoints: [a:e0, b:e0, c:e0], name: lan7}\n", 4, 43,
               "LAN name `lan7` is kept for the LANs the file does not name");
  expect_error(head + "  - {endpoints: [a:e0, b:e0, c:e0], name: b}\n", 4, 43,
               "LAN name `b` is a node's name");
  expect_error(head + "  - {endpoints: [a:e0, b:e0, c:e0], name: x}\n" +
                   "  - {endpoints: [a:e1], stub: true, name: x}\n",
               5, 43, "two LANs are named `x` (first at line 4)");
  expect_error(head + "  - {endpoints: [a:e0, b:e0, c:e0], name: " + std::string(65, 'n') + "}\n",
               4, 43, "is longer than 64 characters");
  // `lanX` is a name like any other.
  EXPECT_TRUE(
      load(head + "  - {endpoints: [a:e0, b:e0, c:e0], name: lanes}\n").diagnostics.empty());
}

}  // namespace
}  // namespace topo
