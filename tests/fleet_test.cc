// fleet.h: which hosts `--all-hosts` runs what on (the command lines, without running them),
// its mistakes, and the runner's prefixed output (with plain local commands).
#include "topo/verbs/fleet.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <string>
#include <vector>

#include "topo/language/loader.h"

namespace topo {
namespace {

using Words = std::vector<std::string>;

const char kLab[] = R"(name: fl
hosts:
  a: {underlay: 192.0.2.10, ssh: root@lab-a}
  b: {underlay: 192.0.2.11, ssh: lab-b}
  c: {underlay: 192.0.2.12}
defaults: {host: a}
nodes:
  r1: {}
  r2: {host: b}
  r3: {host: c}
links:
  - endpoints: [r1:eth1, r2:eth1]
  - endpoints: [r2:eth2, r3:eth1]
)";

LoadResult load(const std::string& text, const std::string& dir = "/labs/fl") {
  LoadResult r = load_text("lab.yaml", text, dir, Disk::skip);
  EXPECT_TRUE(r.diagnostics.empty()) << r.diagnostics.render();
  return r;
}

FleetTools tools() {
  FleetTools t;
  t.self = "/usr/libexec/topo/topo-core";
  return t;
}

std::vector<nl::IpPrefix> addresses(const std::vector<std::string>& texts) {
  std::vector<nl::IpPrefix> out;
  for (const std::string& t : texts) out.push_back(*nl::IpPrefix::parse_address(t));
  return out;
}

Words up_words(const Host& h) {
  return {"up", "-", "--host", h.name};
}

TEST(Fleet, EachHostWithSshIsReachedThroughItAndTheOneThatIsThisMachineByThisTopo) {
  LoadResult r = load(kLab);
  Diagnostics d("lab.yaml", r.text);
  std::vector<HostCommand> c = fleet_commands(r.topology, addresses({"127.0.0.1", "192.0.2.12"}),
                                              tools(), up_words, false, d);
  ASSERT_TRUE(d.empty()) << d.render();
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].host, "a");
  EXPECT_EQ(c[0].argv,
            (Words{"ssh", "-o", "BatchMode=yes", "--", "root@lab-a", "topo up - --host a"}));
  EXPECT_EQ(c[1].host, "b");
  EXPECT_EQ(c[1].argv, (Words{"ssh", "-o", "BatchMode=yes", "--", "lab-b", "topo up - --host b"}));
  EXPECT_EQ(c[2].host, "c");
  EXPECT_EQ(c[2].argv, (Words{"/usr/libexec/topo/topo-core", "up", "-", "--host", "c"}));
  for (const HostCommand& h : c) EXPECT_EQ(h.cwd, "");
}

TEST(Fleet, AHostWithoutSshThatIsNotThisMachineIsAnErrorAtItsName) {
  LoadResult r = load(kLab);
  Diagnostics d("lab.yaml", r.text);
  fleet_commands(r.topology, addresses({"127.0.0.1"}), tools(), up_words, false, d);
  EXPECT_EQ(d.render(),
            "lab.yaml:5:3: host c has no `ssh:` and is not this machine (its underlay address "
            "192.0.2.12 is not one of this machine's): --all-hosts reaches it only with `ssh: "
            "DESTINATION` (root@192.0.2.12, or a Host of ~/.ssh/config)\n"
            " 5 |   c: {underlay: 192.0.2.12}\n"
            "   |   ^\n");
}

TEST(Fleet, TwoHostsWithoutSshOnThisMachineAreAnError) {
  LoadResult r = load(R"(name: fl
hosts:
  a: {underlay: 192.0.2.10}
  b: {underlay: 192.0.2.11}
defaults: {host: a}
nodes: {r1: {}}
)");
  Diagnostics d("lab.yaml", r.text);
  fleet_commands(r.topology, addresses({"192.0.2.10", "192.0.2.11"}), tools(), up_words, false, d);
  ASSERT_EQ(d.size(), 1u) << d.render();
  EXPECT_EQ(d.list()[0].pos.line, 4);
  EXPECT_EQ(d.list()[0].message,
            "host b has no `ssh:`, and this machine is host a already (it has both underlay "
            "addresses): give one of them an `ssh:`");
}

TEST(Fleet, TheSshCommandAndTheRemoteTopoComeFromTheEnvironment) {
  setenv("TOPO_SSH", "ssh  -F /tmp/sim hosts/ssh_config", 1);
  setenv("TOPO_REMOTE", "/opt/my topo/bin/topo", 1);
  FleetTools t = FleetTools::from_environment();
  unsetenv("TOPO_SSH");
  unsetenv("TOPO_REMOTE");
  EXPECT_EQ(t.ssh, (Words{"ssh", "-F", "/tmp/sim", "hosts/ssh_config"})) << "split on spaces";
  EXPECT_EQ(t.remote_topo, "/opt/my topo/bin/topo");
  EXPECT_FALSE(t.self.empty());
  t.log_flags = {"-q"};
  LoadResult r = load(kLab);
  Diagnostics d("lab.yaml", r.text);
  std::vector<HostCommand> c =
      fleet_commands(r.topology, addresses({"192.0.2.12"}), t, up_words, false, d);
  ASSERT_EQ(c.size(), 3u) << d.render();
  EXPECT_EQ(c[1].argv, (Words{"ssh", "-F", "/tmp/sim", "hosts/ssh_config", "-o", "BatchMode=yes",
                              "--", "lab-b", "'/opt/my topo/bin/topo' -q up - --host b"}));
  EXPECT_EQ(c[2].argv, (Words{t.self, "-q", "up", "-", "--host", "c"}));

  FleetTools plain = FleetTools::from_environment();
  EXPECT_EQ(plain.ssh, Words{"ssh"});
  EXPECT_EQ(plain.remote_topo, "topo");
}

TEST(Fleet, AFileThatReadsItsFolderIsBuiltInThatFolderOnEveryHost) {
  std::string text = std::string(kLab) + "  - endpoints: [r1:eth9, r3:eth9]\n";
  text.replace(text.find("  r1: {}"), 8, "  r1: {files: {motd: {from: motd.txt}}}");
  LoadResult r = load(text, "/labs/my lab");
  std::optional<Pos> at = reads_its_folder(r.topology);
  ASSERT_TRUE(at);
  EXPECT_EQ(at->line, 8);
  Diagnostics d("lab.yaml", r.text);
  std::vector<HostCommand> c =
      fleet_commands(r.topology, addresses({"192.0.2.12"}), tools(), up_words, true, d);
  ASSERT_EQ(c.size(), 3u) << d.render();
  EXPECT_EQ(c[0].argv.back(), "cd '/labs/my lab' && topo up - --host a");
  EXPECT_EQ(c[2].cwd, "/labs/my lab");
}

TEST(Fleet, OnlyFromAndRelativeBindReadTheFolder) {
  EXPECT_FALSE(reads_its_folder(load(kLab).topology));
  std::string text = kLab;
  text.replace(text.find("  r2: {host: b}"), 15,
               "  r2: {host: b, mounts: {/srv: {bind: /srv}, /data: {bind: data}}}");
  std::optional<Pos> at = reads_its_folder(load(text).topology);
  ASSERT_TRUE(at);
  EXPECT_EQ(at->line, 9);
  text.replace(text.find("bind: data"), 10, "bind: /data");
  EXPECT_FALSE(reads_its_folder(load(text).topology));
}

TEST(Fleet, WordsAreQuotedForTheRemoteShellOnlyWhenTheyNeedIt) {
  EXPECT_EQ(shell_quoted("topo"), "topo");
  EXPECT_EQ(shell_quoted("/usr/bin/topo"), "/usr/bin/topo");
  EXPECT_EQ(shell_quoted("-"), "-");
  EXPECT_EQ(shell_quoted(""), "''");
  EXPECT_EQ(shell_quoted("a b"), "'a b'");
  EXPECT_EQ(shell_quoted("it's $HOME"), "'it'\\''s $HOME'");
}

// The lines of `text` written after "[HOST] ", without it.
Words lines_of(const std::string& text, const std::string& host) {
  Words out;
  std::string prefix = "[" + host + "] ";
  for (size_t at = 0, end; (end = text.find('\n', at)) != std::string::npos; at = end + 1)
    if (text.compare(at, prefix.size(), prefix) == 0)
      out.push_back(text.substr(at + prefix.size(), end - at - prefix.size()));
  return out;
}

TEST(Fleet, EveryLineOfEveryCommandIsPrefixedWithItsHostOnItsOwnStream) {
  std::vector<HostCommand> commands = {
      {"a", {"sh", "-c", "cat; echo oops >&2; printf 'no newline'"}, ""},
      {"b", {"sh", "-c", "pwd; wc -c; exit 3"}, "/tmp"},
      {"c", {"no-such-command-of-topo-fleet"}, ""}};
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  std::vector<int> status = run_on_hosts(commands, "line 1\nline 2\n");
  std::string out = testing::internal::GetCapturedStdout();
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(status, (std::vector<int>{0, 3, 127}));
  // Hosts' lines interleave as they come; each host's are in order.
  EXPECT_EQ(lines_of(out, "a"), (Words{"line 1", "line 2", "no newline"})) << out;
  EXPECT_EQ(lines_of(out, "b"), (Words{"/tmp", "14"})) << out;
  EXPECT_EQ(lines_of(out, "c"), Words{}) << out;
  EXPECT_EQ(lines_of(err, "a"), Words{"oops"}) << err;
  EXPECT_EQ(lines_of(err, "b"), Words{}) << err;
  EXPECT_EQ(lines_of(err, "c"),
            Words{"cannot run no-such-command-of-topo-fleet: No such file or directory"})
      << err;
  for (const std::string& text : {out, err})
    EXPECT_EQ(lines_of(text, "a").size() + lines_of(text, "b").size() + lines_of(text, "c").size(),
              size_t(std::count(text.begin(), text.end(), '\n')))
        << "every line has its host's prefix:\n"
        << text;
}

TEST(Fleet, ACommandThatReadsNoInputDoesNotStopTheOthers) {
  std::string big(1 << 20, 'x');  // more than a pipe holds
  std::vector<HostCommand> commands = {{"a", {"true"}, ""}, {"b", {"wc", "-c"}, ""}};
  testing::internal::CaptureStdout();
  std::vector<int> status = run_on_hosts(commands, big);
  std::string out = testing::internal::GetCapturedStdout();
  EXPECT_EQ(status, (std::vector<int>{0, 0}));
  EXPECT_EQ(out, "[b] 1048576\n");
}

}  // namespace
}  // namespace topo
