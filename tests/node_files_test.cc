// A node's files from disk, templates, mounts and daemons' waits, as the file gives them.
#include "topo/language/node_files.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "topo/language/loader.h"
#include "topo/language/resolve.h"

namespace topo {
namespace {

namespace fs = std::filesystem;

// A lab's folder in /tmp, with files in it; removed at the end.
class NodeFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/topo-node-files.XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& rel, const std::string& text, bool executable = false) {
    fs::path p = fs::path(dir_) / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    if (executable) chmod(p.c_str(), 0755);
  }

  LoadResult load(const std::string& text, Disk disk = Disk::read) {
    return load_text("lab.yaml", text, dir_, disk);
  }

  // Exactly one error, at line:col, containing `what`; and, as every error, rendered with its
  // place.
  void expect_error(const std::string& text, int line, int col, const std::string& what) {
    LoadResult r = load(text);
    ASSERT_EQ(r.diagnostics.size(), 1u) << r.diagnostics.render();
    const Diagnostic& d = r.diagnostics.list()[0];
    EXPECT_EQ(d.pos.line, line) << d.message;
    EXPECT_EQ(d.pos.col, col) << r.diagnostics.render();
    EXPECT_NE(d.message.find(what), std::string::npos) << d.message;
    EXPECT_EQ(r.diagnostics.render().rfind(fmt::format("lab.yaml:{}:{}: ", line, col), 0), 0u);
  }

  std::string dir_;
};

const Node& node(const LoadResult& r, size_t i = 0) {
  return r.topology.nodes.at(i);
}

TEST_F(NodeFiles, AFileFromDiskIsReadWithItsTemplatesFilled) {
  write("r1/frr.conf", "hostname {{node}}\nrouter-id {{ loopback }}\n! {{env.ASN}} {{lab}}\n");
  write("bin/start", "#!/bin/sh\n", true);
  LoadResult r = load(R"(name: t
defaults:
  mounts: {/etc/frr: {owner: root}}
  files:
    /etc/frr/frr.conf: {from: "{{node}}/frr.conf"}
    start: {from: bin/start}
nodes:
  r1: {loopback: 10.0.0.1/32, env: {ASN: "65001"}}
)");
  ASSERT_TRUE(r.diagnostics.empty()) << r.diagnostics.render();
  const Node& n = node(r);
  ASSERT_EQ(n.files.size(), 2u);
  EXPECT_EQ(n.files[0].name, "/etc/frr/frr.conf");
  EXPECT_EQ(n.files[0].content, "hostname r1\nrouter-id 10.0.0.1\n! 65001 t\n");
  EXPECT_EQ(n.files[0].from, "r1/frr.conf");
  EXPECT_FALSE(n.files[0].executable);
  EXPECT_EQ(n.files[1].name, "start");
  EXPECT_TRUE(n.files[1].executable);
  // The lab as built keeps the contents and the mount.
  Lab lab = resolve(r.topology);
  ASSERT_EQ(lab.nodes[0].mounts.size(), 1u);
  EXPECT_TRUE(lab.nodes[0].mounts[0].is_private_dir());
  EXPECT_EQ(lab.nodes[0].mounts[0].owner, "root");
  EXPECT_EQ(lab.nodes[0].files[0].content, n.files[0].content);
}

TEST_F(NodeFiles, ADirectoryFromDiskIsCopiedWholeIntoAPrivateDirectory) {
  write("r1/etc/frr/frr.conf", "a\n");
  write("r1/etc/frr/daemons", "zebra=yes\n");
  write("r1/etc/frr/sub/x", "x\n");
  LoadResult r = load(R"(name: t
nodes:
  r1:
    mounts: {/etc/frr: {}}
    files: {/etc/frr: {from: r1/etc/frr}}
)");
  ASSERT_TRUE(r.diagnostics.empty()) << r.diagnostics.render();
  std::vector<std::string> names;
  for (const NodeFile& f : node(r).files) names.push_back(f.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"/etc/frr/daemons", "/etc/frr/frr.conf", "/etc/frr/sub/x"}));
}

TEST_F(NodeFiles, TheCopyOfARunningLabsFileDoesNotReadTheDisk) {
  LoadResult r = load("name: t\nnodes:\n  r1: {files: {a: {from: gone.conf}}}\n", Disk::skip);
  ASSERT_TRUE(r.diagnostics.empty()) << r.diagnostics.render();
  EXPECT_EQ(node(r).files[0].from, "gone.conf");
}

TEST_F(NodeFiles, TemplatesHaveALiteralAndRefuseWhatTheNodeLacks) {
  LoadResult r = load("name: t\nnodes:\n  r1: {files: {a: \"x {{ '{{' }} y }}\\n\"}}\n");
  ASSERT_TRUE(r.diagnostics.empty()) << r.diagnostics.render();
  EXPECT_EQ(node(r).files[0].content, "x {{ y }}\n");
  expect_error("name: t\nnodes:\n  r1: {files: {a: \"x\\n{{loopback}}\\n\"}}\n", 3, 16,
               "line 2: there is no `{{loopback}}` for this node (it has: lab, netns, node)");
  expect_error("name: t\nnodes:\n  r1: {files: {a: \"{{node\\n\"}}\n", 3, 16,
               "`{{` is never closed");
  std::string error;
  EXPECT_FALSE(expand_template("{{env.X}}", {{"node", "r1"}}, error));
  EXPECT_NE(error.find("`{{env.X}}`"), std::string::npos) << error;
}

TEST_F(NodeFiles, FromMayNotLeaveTheLabsFolder) {
  write("ok.conf", "x\n");
  fs::create_symlink("/etc/passwd", fs::path(dir_) / "link.conf");
  expect_error("name: t\nnodes:\n  r1: {files: {a: {from: ../x}}}\n", 3, 26, "does not exist");
  expect_error("name: t\nnodes:\n  r1: {files: {a: {from: link.conf}}}\n", 3, 26,
               "leads out of the lab file's directory");
  expect_error("name: t\nnodes:\n  r1: {files: {a: {from: /etc/passwd}}}\n", 3, 26,
               "relative to the lab file's directory");
  expect_error("name: t\nnodes:\n  r1: {files: {a: {from: nothere}}}\n", 3, 26,
               "`nothere` does not exist in " + dir_);
  expect_error("name: t\nnodes:\n  r1: {files: {a: {from: ok.conf, text: x}}}\n", 3, 19,
               "one of them");
  expect_error("name: t\nnodes:\n  r1: {files: {a: {from: ok.conf, form: x}}}\n", 3, 35,
               "unknown key `form`");
}

TEST_F(NodeFiles, OneLineThatNamesAFileIsNotTakenAsItsContent) {
  write("frr01/router1/frr.conf", "x\n");
  expect_error("name: t\nnodes:\n  r1: {files: {frr.conf: frr01/router1/frr.conf}}\n", 3, 16,
               "write {from: frr01/router1/frr.conf} to copy that file");
  // Said with a newline, or as text:, it is the words.
  EXPECT_TRUE(load("name: t\nnodes:\n  r1: {files: {a: \"frr01/router1/frr.conf\\n\"}}\n")
                  .diagnostics.empty());
  EXPECT_TRUE(load("name: t\nnodes:\n  r1: {files: {a: {text: frr01/router1/frr.conf}}}\n")
                  .diagnostics.empty());
  // Words that name nothing are words.
  EXPECT_TRUE(load("name: t\nnodes:\n  r1: {files: {a: no/such.conf}}\n").diagnostics.empty());
}

TEST_F(NodeFiles, ADirectoryGoesOnlyIntoAPrivateDirectory) {
  write("d/x", "x\n");
  expect_error("name: t\nnodes:\n  r1: {files: {a: {from: d}}}\n", 3, 26,
               "`d` is a directory: it can be copied only to a path in a directory of the "
               "node's own");
}

TEST_F(NodeFiles, AnAbsoluteFileMustBeInADirectoryOfTheNodesOwn) {
  expect_error("name: t\nnodes:\n  r1: {files: {/etc/frr/frr.conf: x}}\n", 3, 16,
               "not in a directory of the node's own: add one under `mounts` (e.g. `/etc/frr: "
               "{}`)");
  expect_error("name: t\nnodes:\n  r1: {files: {etc/frr.conf: x}}\n", 3, 16, "may not contain `/`");
  expect_error("name: t\nnodes:\n  r1: {mounts: {/etc/frr: {}}, files: {/etc/frr/../x: x}}\n", 3,
               40, "has an empty, `.` or `..` component");
  // A bind is not the node's own.
  expect_error("name: t\nnodes:\n  r1: {mounts: {/mnt: {bind: /tmp}}, files: {/mnt/x: x}}\n", 3, 46,
               "not in a directory of the node's own");
}

TEST_F(NodeFiles, MountsAreCheckedAgainstTheFileAndThisMachine) {
  expect_error("name: t\nnodes:\n  r1: {mounts: {etc/frr: {}}}\n", 3, 17,
               "`etc/frr` is not an absolute path");
  expect_error("name: t\nnodes:\n  r1: {mounts: {/: {}}}\n", 3, 17, "cannot cover `/`");
  expect_error("name: t\nnodes:\n  r1: {mounts: {/proc/x: {}}}\n", 3, 17, "cannot cover /proc");
  expect_error("name: t\nnodes:\n  r1: {mounts: {/run: {}}}\n", 3, 17, "cannot cover /run/netns");
  expect_error("name: t\nnodes:\n  r1: {mounts: {/etc/frr/: {}}}\n", 3, 17,
               "without the trailing `/`");
  expect_error("name: t\nnodes:\n  r1: {mounts: {/x: {owner: no-such-user-here}}}\n", 3, 17,
               "there is no user `no-such-user-here` on this machine");
  expect_error("name: t\nnodes:\n  r1: {mounts: {/x: {owner: \"root:no-such-group\"}}}\n", 3, 17,
               "there is no group `no-such-group`");
  expect_error("name: t\nnodes:\n  r1: {mounts: {/x: {bind: /no/such/path}}}\n", 3, 17,
               "mount /x: `/no/such/path` does not exist");
  expect_error("name: t\nnodes:\n  r1: {mounts: {/x: {bind: missing}}}\n", 3, 17,
               "`missing` does not exist in");
  expect_error("name: t\nnodes:\n  r1: {mounts: {/etc/hostname: {bind: /tmp}}}\n", 3, 17,
               "a directory cannot be bound over a file");
  expect_error("name: t\nnodes:\n  r1: {mounts: {/etc/hostname: {}}}\n", 3, 17,
               "/etc/hostname is a file on this machine, not a directory");
  expect_error("name: t\nnodes:\n  r1: {mounts: {/etc/motd: {file: motd}}}\n", 3, 17,
               "`motd` is not one of node `r1`'s files");
  expect_error("name: t\nnodes:\n  r1: {mounts: {/no/such/file: {file: m}}, files: {m: x}}\n", 3,
               17, "a file can only be bound over a file");
  expect_error("name: t\nnodes:\n  r1: {mounts: {/x: {bind: /tmp, file: m}}}\n", 3, 21,
               "a `bind` or a `file`, not both");
  expect_error("name: t\nnodes:\n  r1: {mounts: {/x: {bind: /tmp, owner: root}}}\n", 3, 41,
               "`owner` is for a directory of the node's own");
  expect_error("name: t\nnodes:\n  r1: {mounts: {/x: {readonly: maybe}}}\n", 3, 32,
               "`readonly` is true or false");
  expect_error("name: t\nnodes:\n  r1: {mounts: {/x: yes}}\n", 3, 21, "a mount is {}");
  expect_error("name: t\nnodes:\n  r1: {mounts: [/x]}\n", 3, 16, "`mounts` must be a mapping");
  // Through a symlink (/var/run is /run on Debian) as directly.
  if (resolved_path("/var/run") == "/run")
    expect_error("name: t\nnodes:\n  r1: {mounts: {/var/run/netns: {}}}\n", 3, 17,
                 "cannot cover /run/netns");
  expect_error("name: t\nnodes:\n  r1: {mounts: {/etc/frr: {}, /etc/frr/d: {}}}\n", 3, 31,
               "mount /etc/frr/d is inside mount /etc/frr: mounts cannot be nested");
}

TEST_F(NodeFiles, MountsMergeByPathAndBindsAreReadOnlyUnlessSaid) {
  LoadResult r = load(R"(name: t
defaults:
  mounts: {/etc/frr: {owner: root}, /srv: {bind: /tmp}}
nodes:
  r1:
    mounts: {/srv: {bind: /tmp, readonly: false}, /etc/motd: {file: motd}}
    files: {motd: "hi\n"}
)");
  ASSERT_TRUE(r.diagnostics.empty()) << r.diagnostics.render();
  const Node& n = node(r);
  ASSERT_EQ(n.mounts.size(), 3u);
  EXPECT_EQ(n.mounts[0].target, "/etc/frr");
  EXPECT_EQ(n.mounts[1].target, "/srv");
  EXPECT_FALSE(n.mounts[1].read_only);
  EXPECT_EQ(n.mounts[2].kind, Mount::Kind::file);
  EXPECT_TRUE(n.mounts[2].read_only);
  // Built in order of their paths, a relative bind made absolute.
  write("state/x", "");
  Lab lab = resolve(
      load("name: t\nnodes:\n  r1: {mounts: {/y: {bind: state}, /b: {}, /b/c: {}}}\n").topology);
  ASSERT_EQ(lab.nodes[0].mounts.size(), 3u);
  EXPECT_EQ(lab.nodes[0].mounts[0].target, "/b");
  EXPECT_EQ(lab.nodes[0].mounts[1].target, "/b/c");
  EXPECT_EQ(lab.nodes[0].mounts[2].bind, fs::canonical(dir_).string() + "/state");
}

TEST_F(NodeFiles, DaemonsWaitForASocketOrACommand) {
  LoadResult r = load(R"(name: t
nodes:
  r1:
    mounts: {/var/run/frr: {}}
    daemons:
      - {name: zebra, cmd: zebra}
      - {name: ospfd, cmd: ospfd, wait: {socket: /var/run/frr/zserv.api}}
      - {name: x, cmd: x, wait: {exec: "true", timeout: 2s}}
)");
  ASSERT_TRUE(r.diagnostics.empty()) << r.diagnostics.render();
  const Node& n = node(r);
  ASSERT_TRUE(n.daemons[1].wait);
  EXPECT_EQ(n.daemons[1].wait->socket, "/var/run/frr/zserv.api");
  EXPECT_EQ(n.daemons[1].wait->timeout_us, 10'000'000u);
  EXPECT_EQ(n.daemons[2].wait->exec, "true");
  EXPECT_EQ(n.daemons[2].wait->timeout_us, 2'000'000u);
  Lab lab = resolve(r.topology);
  EXPECT_FALSE(lab.nodes[0].daemons[0].waits());
  // As the kernel resolves it (/var/run is /run here): where a mount at /run/frr puts it.
  EXPECT_EQ(lab.nodes[0].daemons[1].wait_socket, resolved_path("/var/run/frr/zserv.api"));
}

TEST_F(NodeFiles, AWaitThatCanNeverEndIsRefused) {
  const char* head = "name: t\nnodes:\n  r1:\n";
  expect_error(
      std::string(head) + "    daemons: [{name: a, cmd: a, wait: {socket: /no/such/dir/s}}]\n", 4,
      39, "waits for /no/such/dir/s, which can never exist: there is no directory");
  expect_error(std::string(head) +
                   "    mounts: {/srv: {bind: /tmp}}\n"
                   "    daemons: [{name: a, cmd: a, wait: {socket: /srv/s}}]\n",
               5, 39, "/srv is mounted read-only");
  expect_error(std::string(head) + "    daemons: [{name: a, cmd: a, wait: {socket: s}}]\n", 4, 39,
               "`s` is not an absolute path");
  expect_error(std::string(head) + "    daemons: [{name: a, cmd: a, wait: {}}]\n", 4, 39,
               "`wait` is {socket: PATH} or {exec: CMD}");
  expect_error(
      std::string(head) + "    daemons: [{name: a, cmd: a, wait: {socket: /tmp/s, exec: x}}]\n", 4,
      39, "`wait` is {socket: PATH} or {exec: CMD}");
  expect_error(
      std::string(head) + "    daemons: [{name: a, cmd: a, wait: {exec: x, timeout: -1s}}]\n", 4,
      58, "is not a duration");
}

TEST_F(NodeFiles, ABridgeTakesNoCommandsFromDefaults) {
  LoadResult r = load(R"(name: t
defaults:
  env: {X: "1"}
  exec: [echo hi]
  daemons: [{name: d, cmd: sleep 100}]
  files: {f: "x\n"}
  mounts: {/etc/frr: {}}
nodes:
  r1: {}
  sw: {kind: bridge}
  sw2: {kind: bridge, exec: [echo mine]}
)");
  ASSERT_TRUE(r.diagnostics.empty()) << r.diagnostics.render();
  EXPECT_EQ(node(r, 0).daemons.size(), 1u);
  EXPECT_EQ(node(r, 0).mounts.size(), 1u);
  const Node& sw = node(r, 1);
  EXPECT_TRUE(sw.daemons.empty());
  EXPECT_TRUE(sw.exec.empty());
  EXPECT_TRUE(sw.files.empty());
  EXPECT_TRUE(sw.mounts.empty());
  ASSERT_EQ(sw.env.size(), 1u);  // settings other than commands still apply
  ASSERT_EQ(node(r, 2).exec.size(), 1u);
  EXPECT_EQ(node(r, 2).exec[0].cmd, "echo mine");
}

}  // namespace
}  // namespace topo
