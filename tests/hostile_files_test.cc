// Hostile input to the files topo keeps: symlinks planted by the user a node's directory was
// handed to (`chown` as the docs show), closed standard descriptors, a journal damaged by hand,
// commands that look for descriptors they should not have, `exec` racing `down`.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "tests/lab_fixture.h"

namespace topo::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// A node whose directory is handed to nobody (65534), as `chown bird:bird $TOPO_NODE_DIR` does.
const char* kUserNode = R"(name: LAB
nodes:
  a:
    files: {app.conf: "one\n"}
    exec: ["chown 65534:65534 $TOPO_NODE_DIR"]
    daemons:
      - {name: d, cmd: "echo first; exec sleep 1000"}
)";

class Hostile : public LabTest {
 protected:
  void SetUp() override {
    LabTest::SetUp();
    if (IsSkipped()) return;
    // A file only root may read or write, in a directory only root may enter.
    char tmpl[] = "/tmp/topo-hostile.XXXXXX";
    secret_dir_ = mkdtemp(tmpl);
    secret_ = secret_dir_ + "/secret";
    std::ofstream(secret_) << "root only\n";
    chmod(secret_.c_str(), 0600);
  }
  void TearDown() override {
    if (!secret_dir_.empty()) fs::remove_all(secret_dir_);
    LabTest::TearDown();
  }

  std::string node_dir(const std::string& node) const {
    return "/run/topo/" + lab() + "/nodes/" + node;
  }
  // Runs a shell command as nobody, as the user who owns a node's directory would.
  CmdResult as_user(const std::string& command) {
    return run("setpriv --reuid=65534 --regid=65534 --clear-groups sh -c " + quoted(command));
  }
  // The user points `name` in node a's directory at the root-only file.
  void plant_symlink(const std::string& name) {
    CmdResult r = as_user("ln -sfn " + secret_ + " " + node_dir("a") + "/" + name);
    ASSERT_EQ(r.status, 0) << r.output;
  }
  void expect_secret_untouched() {
    EXPECT_EQ(file_text(secret_), "root only\n");
    struct stat st;
    ASSERT_EQ(stat(secret_.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
    EXPECT_EQ(st.st_uid, 0u);
  }
  std::string up_user_node() {
    std::string file = write_lab(kUserNode);
    CmdResult up = topo("up " + file);
    EXPECT_EQ(up.status, 0) << up.output;
    struct stat st;
    EXPECT_EQ(stat(node_dir("a").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 65534u) << "the node's directory is the user's";
    return file;
  }
  // The lab file with `from` replaced by `to`, written over the lab's file.
  void edit(const std::string& file, const std::string& from, const std::string& to) {
    std::string text = file_text(file);
    size_t at = text.find(from);
    ASSERT_NE(at, std::string::npos);
    text.replace(at, from.size(), to);
    std::ofstream(file) << text;
  }

  std::string secret_dir_, secret_;
};

TEST_F(Hostile, AFileNamePlantedAsASymlinkIsReplacedNotWrittenThrough) {
  std::string file = up_user_node();
  plant_symlink("app.conf");
  edit(file, "one", "two");
  CmdResult up = topo("up " + file);
  EXPECT_EQ(up.status, 0) << up.output;
  expect_secret_untouched();
  EXPECT_FALSE(fs::is_symlink(node_dir("a") + "/app.conf"));
  EXPECT_EQ(file_text(node_dir("a") + "/app.conf"), "two\n");
  // Planted again with the file unchanged: drift, put back the same way.
  plant_symlink("app.conf");
  CmdResult again = topo("up " + file);
  EXPECT_EQ(again.status, 0) << again.output;
  expect_secret_untouched();
  EXPECT_EQ(file_text(node_dir("a") + "/app.conf"), "two\n");
}

TEST_F(Hostile, ADaemonLogPlantedAsASymlinkGetsNothing) {
  std::string file = up_user_node();
  std::string log = "/run/topo/" + lab() + "/log/a/d.log";
  EXPECT_TRUE(eventually([&] { return file_text(log) == "first\n"; }, 5s)) << file_text(log);
  plant_symlink("d.log");
  edit(file, "echo first", "echo restarted");
  CmdResult up = topo("up " + file);
  EXPECT_EQ(up.status, 0) << up.output;
  EXPECT_TRUE(eventually([&] { return contains(file_text(log), "restarted\n"); }, 5s))
      << file_text(log);
  expect_secret_untouched();
  // The log is root's, where the node's user cannot reach to replace it.
  CmdResult replace = as_user("ln -sfn " + secret_ + " " + log);
  EXPECT_NE(replace.status, 0) << replace.output;
}

TEST_F(Hostile, TheShellRcFileIsRootsAndNeverInTheNodesDirectory) {
  if (access("/bin/bash", X_OK) != 0) GTEST_SKIP() << "bash not installed";
  up_user_node();
  plant_symlink(".topo-bashrc");
  CmdResult shell = run("printf 'echo in $TOPO_NODE\\nexit 0\\n' | SHELL=/bin/bash " +
                        std::string(TOPO_BINARY) + " exec " + lab() + " a");
  EXPECT_EQ(shell.status, 0) << shell.output;
  EXPECT_TRUE(contains(shell.output, "[" + lab() + ":a] ")) << shell.output;
  expect_secret_untouched();
  EXPECT_TRUE(fs::is_symlink(node_dir("a") + "/.topo-bashrc")) << "left as the user made it";
}

TEST_F(Hostile, DownRemovesAUsersTreeWithoutFollowingItsSymlinks) {
  up_user_node();
  CmdResult r = as_user("cd " + node_dir("a") + " && mkdir -p deep/er && ln -s " + secret_dir_ +
                        " dir-link && ln -s " + secret_dir_ + " deep/er/dir-link && ln -s " +
                        secret_ + " deep/file-link && mkfifo deep/fifo");
  ASSERT_EQ(r.status, 0) << r.output;
  CmdResult down = topo("down " + lab());
  EXPECT_EQ(down.status, 0) << down.output;
  expect_secret_untouched();
  expect_nothing_left();
}

TEST_F(Hostile, DownThatCannotRemoveEverythingSaysWhatAndFails) {
  std::string file = write_lab("name: LAB\nnodes:\n  a: {files: {app.conf: x}}\n");
  ASSERT_EQ(topo("up " + file).status, 0);
  // An immutable file: not even root can remove it.
  std::string pinned = node_dir("a") + "/app.conf";
  if (run("chattr +i " + pinned).status != 0) GTEST_SKIP() << "no chattr +i on this filesystem";
  struct Unpin {
    std::string path;
    ~Unpin() { run("chattr -i " + path); }
  } unpin{pinned};
  CmdResult down = topo("down " + lab());
  EXPECT_EQ(down.status, 1) << down.output;
  EXPECT_TRUE(contains(down.output, "cannot remove " + pinned + ": Operation not permitted"))
      << down.output;
  EXPECT_TRUE(contains(down.output, "lab " + lab() + " is not fully removed")) << down.output;
  EXPECT_EQ(netns_with_prefix(prefix()), std::vector<std::string>{});
  run("chattr -i " + pinned);
  CmdResult again = topo("down " + lab());
  EXPECT_EQ(again.status, 0) << again.output;
  expect_nothing_left();
}

TEST_F(Hostile, ClosedStandardStreamsNeverLandInTheJournal) {
  std::string file = chain(3);
  // Closed as the issue found them, and every one of them.
  for (std::string closed : {">&- 2>&-", "<&- >&- 2>&-"}) {
    SCOPED_TRACE(closed);
    // -v: a log line for every action, each of which would land in whatever holds fd 1 or 2.
    CmdResult up =
        run("sh -c " + quoted(std::string(TOPO_BINARY) + " -v up " + file + " " + closed));
    EXPECT_EQ(up.status, 0) << up.output;
    std::istringstream journal(file_text("/run/topo/" + lab() + "/state/journal"));
    size_t lines = 0;
    for (std::string line; std::getline(journal, line); lines++) {
      nlohmann::json record = nlohmann::json::parse(line, nullptr, false);
      EXPECT_TRUE(record.is_object() && record.contains("t")) << "journal line: " << line;
    }
    EXPECT_GT(lines, 3u);
    CmdResult status = topo("status " + lab());
    EXPECT_EQ(status.status, 0) << status.output;
    CmdResult down =
        run("sh -c " + quoted(std::string(TOPO_BINARY) + " down " + lab() + " " + closed));
    EXPECT_EQ(down.status, 0) << down.output;
    expect_nothing_left();
  }
}

TEST_F(Hostile, ADamagedJournalIsRefusedAndDownForceRemovesTheLabAndNothingElse) {
  std::string file = chain(3);
  ASSERT_EQ(topo("up " + file).status, 0);
  // A namespace of the lab's prefix that the lab did not make.
  std::string foreign = netns("foreign");
  ASSERT_EQ(run("ip netns add " + foreign).status, 0);
  std::string journal = "/run/topo/" + lab() + "/state/journal";
  std::string text = file_text(journal);
  text.insert(text.find('\n', text.find('\n') + 1) + 1, "garbage that is no record\n");
  std::ofstream(journal) << text;

  for (std::string verb : {"down ", "up "}) {
    CmdResult refused = topo(verb + (verb == "up " ? file : lab()));
    EXPECT_EQ(refused.status, 1) << refused.output;
    EXPECT_TRUE(contains(refused.output, "is damaged at line 3: `topo down --force " + lab() +
                                             "` removes what it still names"))
        << refused.output;
  }
  EXPECT_EQ(netns_with_prefix(prefix()).size(), 4u) << "nothing removed by a refusal";

  CmdResult forced = topo("down --force " + lab());
  EXPECT_EQ(forced.status, 0) << forced.output;
  EXPECT_TRUE(contains(forced.output, "skipped damaged line 3")) << forced.output;
  EXPECT_EQ(netns_with_prefix(prefix()), std::vector<std::string>{foreign});
  EXPECT_FALSE(fs::exists("/run/topo/" + lab()));
  EXPECT_EQ(run("ip netns delete " + foreign).status, 0);
  expect_nothing_left();
}

// What a command finds open: `ls /proc/self/fd` lists 0, 1, 2 and the descriptor ls opened to
// read the directory (3), nothing of topo's.
const char* kFds = "0\n1\n2\n3\n";

// Runs a shell command line given only descriptors 0-2 (stdout and stderr a pipe, as run()
// has them; whatever this test process holds is not passed on: `topo exec` passes on what it
// is given, as `ip netns exec` does).
CmdResult run_with_std_fds_only(const std::string& command) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    dup2(out[1], 2);
    close_range(3, ~0U, 0);
    execl("/bin/sh", "sh", "-c", command.c_str(), nullptr);
    _exit(127);
  }
  close(out[1]);
  CmdResult r;
  char buf[4096];
  for (ssize_t n; (n = read(out[0], buf, sizeof buf)) > 0;) r.output.append(buf, n);
  close(out[0]);
  r.status = wait_for(pid);
  return r;
}

TEST_F(Hostile, CommandsGetOnlyTheStandardDescriptors) {
  std::string file = write_lab(R"(name: LAB
nodes:
  a:
    exec: ["ls /proc/self/fd > $TOPO_NODE_DIR/exec-fds"]
    daemons:
      - {name: d, cmd: "ls /proc/self/fd > $TOPO_NODE_DIR/daemon-fds; exec sleep 1000"}
tests:
  - name: descriptors
    exec: {node: a, cmd: "ls /proc/self/fd"}
    expect: {exit: 0, output: "^0\n1\n2\n3\n$"}
)");
  ASSERT_EQ(topo("up " + file).status, 0);
  EXPECT_EQ(file_text(node_dir("a") + "/exec-fds"), kFds);
  EXPECT_TRUE(eventually([&] { return file_text(node_dir("a") + "/daemon-fds") == kFds; }, 5s))
      << file_text(node_dir("a") + "/daemon-fds");
  std::string exec = std::string(TOPO_BINARY) + " exec " + lab() + " a -- ";
  EXPECT_EQ(run_with_std_fds_only(exec + "ls /proc/self/fd").output, kFds);
  // With standard input closed, the command's is /dev/null: never one of topo's files.
  EXPECT_EQ(run_with_std_fds_only(exec + "ls /proc/self/fd <&-").output, kFds);
  EXPECT_EQ(run_with_std_fds_only(exec + "readlink /proc/self/fd/0 <&-").output, "/dev/null\n");
  CmdResult test = topo("test " + lab());
  EXPECT_EQ(test.status, 0) << test.output;
  CmdResult test_closed = topo("test " + lab() + " <&-");
  EXPECT_EQ(test_closed.status, 0) << test_closed.output;
}

TEST_F(Hostile, ExecDuringDownNeverBringsTheLabBack) {
  std::string file = write_lab(R"(name: LAB
nodes:
  a: {env: {X: "1"}}
  b: {}
)");
  std::string exec_loop =
      fmt::format("while {} exec {} a -- true 2>/dev/null; do echo x >> {}/ticks; done",
                  TOPO_BINARY, lab(), dir());
  // The race is narrow: several rounds, each with two commands starting over and over.
  for (int round = 0; round < 10; round++) {
    ASSERT_EQ(topo("up " + file).status, 0);
    fs::remove(dir() + "/ticks");
    std::vector<pid_t> loops;
    for (int i = 0; i < 2; i++) {
      pid_t pid = fork();
      if (pid == 0) {
        execl("/bin/sh", "sh", "-c", exec_loop.c_str(), nullptr);
        _exit(127);
      }
      loops.push_back(pid);
    }
    EXPECT_TRUE(eventually([&] { return file_text(dir() + "/ticks").size() >= 4; }, 10s));
    CmdResult down = topo("down " + lab());
    for (pid_t pid : loops) wait_for(pid);  // each stops at its first exec that fails
    EXPECT_EQ(down.status, 0) << down.output;
    ASSERT_FALSE(fs::exists("/run/topo/" + lab()))
        << "round " << round << ": down exited " << down.status << " and left the lab's directory";
  }
  expect_nothing_left();
}

}  // namespace
}  // namespace topo::testing
