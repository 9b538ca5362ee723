// Hostile namespaces: somebody else's namespace made under a lab's name at each step of `up`,
// a namespace inode reused by the kernel, the lab's /etc/netns links left behind or removed by
// hand. topo must never remove what it did not make, and must know its own.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <vector>

#include <fmt/format.h>

#include "tests/lab_fixture.h"

namespace topo::testing {
namespace {

using namespace std::chrono_literals;

// A namespace made by the test with `ip netns add`, held open so that while the test runs no
// other namespace can get its inode: the same inode at its name later means the same namespace.
class Foreign {
 public:
  // Makes /run/netns/NAME; invalid() when `ip netns add` failed (the name was taken).
  explicit Foreign(std::string name) : name_(std::move(name)) {
    if (run("ip netns add " + testing::quoted(name_)).status != 0) return;
    fd_ = ::open(("/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC);
  }
  ~Foreign() {
    // Only if it is still the test's own namespace: never one of somebody else.
    if (still_there()) run("ip netns delete " + testing::quoted(name_));
    if (fd_ >= 0) ::close(fd_);
  }
  Foreign(const Foreign&) = delete;
  Foreign& operator=(const Foreign&) = delete;

  bool valid() const { return fd_ >= 0; }
  // Whether /run/netns/NAME is still this namespace.
  bool still_there() const {
    struct stat now, held;
    return fd_ >= 0 && stat(("/run/netns/" + name_).c_str(), &now) == 0 && fstat(fd_, &held) == 0 &&
           now.st_dev == held.st_dev && now.st_ino == held.st_ino;
  }

 private:
  std::string name_;
  int fd_ = -1;
};

uint64_t inode_at(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// A lab file with `more` nodes m1..mN added.
std::string with_more_nodes(const std::string& yaml, int more) {
  std::string y = yaml;
  for (int i = 1; i <= more; i++) y += fmt::format("  m{}: {{}}\n", i);
  return y;
}

// The journal's record of a namespace to be made (written before it is made).
std::string netns_record(const std::string& netns) {
  return "\"netns\":\"" + netns + "\",\"node\"";
}

using HostileNetns = LabTest;

// `ip netns add` of a node's name after `up` journaled the name and before it made the
// namespace: `up` fails on that name, and its rollback leaves the foreign namespace alone.
TEST_F(HostileNetns, AForeignNamespaceMadeBeforeUpMakesItsOwnIsNeverRolledBack) {
  std::string file = chain(300);
  std::string journal = "/run/topo/" + lab() + "/state/journal";
  std::string last = netns("n300");  // the namespace made last
  bool raced = false;
  for (int attempt = 0; attempt < 5 && !raced; attempt++) {
    pid_t up = spawn_topo({"up", file}, dir() + "/up.log");
    ASSERT_TRUE(eventually([&] { return contains(file_text(journal), netns_record(last)); }, 10s));
    Foreign foreign(last);
    int status = wait_for(up);
    std::string out = file_text(dir() + "/up.log");
    if (!foreign.valid()) {  // topo made it first: try again
      topo("down " + lab());
      continue;
    }
    raced = true;
    EXPECT_EQ(status, 1) << out;
    EXPECT_TRUE(contains(out, last)) << out;
    EXPECT_TRUE(contains(out, "left netns " + last + " alone")) << out;
    EXPECT_TRUE(foreign.still_there()) << "the rollback removed a namespace topo did not make";
    EXPECT_EQ(netns_with_prefix(prefix()), std::vector<std::string>{last});
    EXPECT_FALSE(std::filesystem::exists("/run/topo/" + lab()));
  }
  EXPECT_TRUE(raced) << "topo made " << last << " before `ip netns add` could, five times";
}

// `up` killed at a step (names journaled, namespaces half made, veths being made), then a
// foreign namespace made under a node's name: `down` removes the lab and leaves it alone.
TEST_F(HostileNetns, AForeignNamespaceMadeAfterAKilledUpIsNeverRemovedByDown) {
  std::string file = chain(300);
  std::string journal = "/run/topo/" + lab() + "/state/journal";
  std::string last = netns("n300");
  std::vector<std::function<bool()>> moments = {
      [&] { return contains(file_text(journal), netns_record(last)); },
      [&] { return netns_with_prefix(prefix()).size() >= 150; },
      [&] { return journal_has(journal, "veth", ""); },
  };
  for (size_t i = 0; i < moments.size(); i++) {
    SCOPED_TRACE(fmt::format("kill point {}", i));
    pid_t up = spawn_topo({"up", file}, dir() + "/up.log");
    bool reached = eventually(moments[i], 10s);
    kill(up, SIGKILL);
    EXPECT_EQ(wait_for(up), 128 + SIGKILL) << file_text(dir() + "/up.log");
    EXPECT_TRUE(reached) << "the up finished before the kill point";
    run("ip netns delete " + testing::quoted(last));  // the lab's, if it was made: replaced
    Foreign foreign(last);
    ASSERT_TRUE(foreign.valid());
    CmdResult down = topo("down " + lab());
    EXPECT_EQ(down.status, 0) << down.output;
    EXPECT_TRUE(contains(down.output, "left netns " + last + " alone")) << down.output;
    EXPECT_TRUE(foreign.still_there()) << "down removed a namespace topo did not make";
    EXPECT_EQ(netns_with_prefix(prefix()), std::vector<std::string>{last});
    EXPECT_FALSE(std::filesystem::exists("/run/topo/" + lab()));
  }
}

// The kernel gives a dead namespace's inode number to the next one: a node's namespace deleted
// by hand and a new one of that name with the same inode is still not the lab's.
TEST_F(HostileNetns, ANamespaceWithTheInodeOfTheLabsOwnIsNotTheLabs) {
  ASSERT_EQ(topo("up " + example("two-hosts.yaml")).status, 0);
  std::string name = netns("h1");
  uint64_t old = inode_at("/run/netns/" + name);
  ASSERT_NE(old, 0u);
  ASSERT_EQ(run("ip netns delete " + testing::quoted(name)).status, 0);
  // Namespaces of the test's own, kept alive, until `ip netns add` gets the old inode again. The
  // kernel frees a namespace's inode only once it has destroyed it, in the background (later
  // still right after other tests removed hundreds): poll for that, keeping at most 2000.
  std::vector<std::unique_ptr<Foreign>> others;
  std::unique_ptr<Foreign> same;
  eventually(
      [&] {
        auto made = std::make_unique<Foreign>(name);
        if (!made->valid()) return true;  // fails below
        if (inode_at("/run/netns/" + name) == old) {
          same = std::move(made);
          return true;
        }
        run("ip netns delete " + testing::quoted(name));  // held open: not freed
        if (others.size() < 2000) others.push_back(std::move(made));
        return false;
      },
      60s);
  // The identity check itself is tested without the kernel (journal_test: NetnsId); here the
  // kernel must first hand the inode out again, which it did not always do within a minute here.
  if (!same)
    GTEST_SKIP() << "the kernel did not give inode " << old << " to a new namespace within 60 s ("
                 << others.size() << " namespaces made): the case could not be set up";
  CmdResult down = topo("down " + lab());
  EXPECT_EQ(down.status, 0) << down.output;
  EXPECT_TRUE(contains(down.output, "left netns " + name + " alone")) << down.output;
  EXPECT_TRUE(same->still_there()) << "down removed a namespace that only had the lab's inode";
  EXPECT_EQ(netns_with_prefix(prefix()), std::vector<std::string>{name});
}

// An `up` changing a running lab killed after it made new nodes' /etc/netns links (on a thread
// of their own) but not yet their namespaces: the next `up` knows the links as the lab's and
// finishes the change.
TEST_F(HostileNetns, AnUpKilledAfterLinkingEtcNetnsIsFinishedByTheNextUp) {
  const char* v1 = "name: LAB\nnodes:\n  a: {}\n  b: {}\n";
  std::string journal = "/run/topo/" + lab() + "/state/journal";
  // A new node with its link and no namespace: what the kill is to leave.
  auto linked_only = [&] {
    for (int i = 1; i <= 300; i++) {
      std::string name = netns(fmt::format("m{}", i));
      if (std::filesystem::is_symlink(std::filesystem::symlink_status("/etc/netns/" + name)) &&
          !std::filesystem::exists(std::filesystem::symlink_status("/run/netns/" + name)))
        return true;
    }
    return false;
  };
  bool reached = false;
  for (int attempt = 0; attempt < 5 && !reached; attempt++) {
    std::string file = write_lab(v1);
    ASSERT_EQ(topo("up " + file).status, 0);
    write_lab(with_more_nodes(v1, 300));
    pid_t up = spawn_topo({"up", file}, dir() + "/up.log");
    // Killed once the new namespaces are journaled (their links are journaled before them).
    bool journaled =
        eventually([&] { return contains(file_text(journal), netns_record(netns("m300"))); }, 10s);
    kill(up, SIGKILL);
    wait_for(up);
    ASSERT_TRUE(journaled) << file_text(dir() + "/up.log");
    reached = linked_only();
    if (!reached) {  // every namespace made first, or no link yet: try again
      ASSERT_EQ(topo("down " + lab()).status, 0);
      continue;
    }
    CmdResult again = topo("up " + file);
    EXPECT_EQ(again.status, 0) << again.output;
    EXPECT_EQ(netns_with_prefix(prefix()).size(), 302u);
    CmdResult plan = topo("plan " + file);
    EXPECT_EQ(plan.status, 0) << plan.output;
    EXPECT_EQ(topo("down " + lab()).status, 0);
    expect_nothing_left();
    EXPECT_FALSE(linked_only());
  }
  EXPECT_TRUE(reached) << "five kills left no node with a link and no namespace";
}

// A node's namespace deleted by hand: `up` makes it again, its /etc/netns link being the lab's.
TEST_F(HostileNetns, ANodeWhoseNamespaceWasDeletedIsMadeAgainByUp) {
  std::string file = example("two-hosts.yaml");
  ASSERT_EQ(topo("up " + file).status, 0);
  ASSERT_EQ(run("ip netns delete " + quoted(netns("h2"))).status, 0);
  CmdResult plan = topo("plan " + file);
  EXPECT_EQ(plan.status, 3) << plan.output;
  EXPECT_TRUE(contains(plan.output, "! node h2: its namespace is gone: made again")) << plan.output;
  CmdResult up = topo("up " + file);
  EXPECT_EQ(up.status, 0) << up.output;
  EXPECT_EQ(topo("plan " + file).status, 0);
  EXPECT_EQ(in_node("h2", "ip -br link show lo").status, 0);
  EXPECT_EQ(topo("down " + lab()).status, 0);
  expect_nothing_left();
}

// `rm /etc/netns/<netns>`: drift that `plan` shows and `up` puts back.
TEST_F(HostileNetns, ARemovedEtcNetnsLinkIsDriftAndPutBack) {
  std::string file = example("two-hosts.yaml");
  ASSERT_EQ(topo("up " + file).status, 0);
  std::string link = "/etc/netns/" + netns("h1");
  ASSERT_EQ(unlink(link.c_str()), 0);
  CmdResult plan = topo("plan " + file);
  EXPECT_EQ(plan.status, 3) << plan.output;
  EXPECT_TRUE(contains(plan.output, "! etc link " + link + ": missing: put back")) << plan.output;
  CmdResult up = topo("up " + file);
  EXPECT_EQ(up.status, 0) << up.output;
  std::error_code ec;
  EXPECT_EQ(std::filesystem::read_symlink(link, ec).string(), "/run/topo/" + lab() + "/etc");
  EXPECT_EQ(topo("plan " + file).status, 0);
  EXPECT_EQ(in_node("h1", "getent hosts h2").status, 0);
  EXPECT_EQ(topo("down " + lab()).status, 0);
  expect_nothing_left();
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(link)));
}

// An empty file at a journaled name (an `up` killed between a namespace's file and its bind)
// is the lab's leftover: `up` makes the namespace there again, `down` removes it.
TEST_F(HostileNetns, AnEmptyFileLeftAtALabsNameIsCleanedUp) {
  std::string file = example("two-hosts.yaml");
  std::string path = "/run/netns/" + netns("h2");
  for (const char* then : {"up", "down"}) {
    SCOPED_TRACE(then);
    ASSERT_EQ(topo("up " + file).status, 0);
    ASSERT_EQ(run("ip netns delete " + quoted(netns("h2"))).status, 0);
    ASSERT_EQ(run("touch " + testing::quoted(path)).status, 0);
    if (std::string(then) == "up") {
      CmdResult up = topo("up " + file);
      EXPECT_EQ(up.status, 0) << up.output;
      EXPECT_EQ(in_node("h2", "ip -br link show lo").status, 0);
      EXPECT_EQ(topo("plan " + file).status, 0);
    }
    CmdResult down = topo("down " + lab());
    EXPECT_EQ(down.status, 0) << down.output;
    expect_nothing_left();
  }
}

}  // namespace
}  // namespace topo::testing
