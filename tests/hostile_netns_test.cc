// Hostile namespaces: somebody else's namespace made under a lab's name at each step of `up`,
// a namespace inode reused by the kernel. topo must never remove what it did not make.
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
      [&] { return contains(file_text(journal), "\"veth\""); },
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
  // Namespaces of the test's own, kept alive, until `ip netns add` gets the old inode again.
  std::vector<std::unique_ptr<Foreign>> others;
  std::unique_ptr<Foreign> same;
  for (int i = 0; i < 200 && !same; i++) {
    auto made = std::make_unique<Foreign>(name);
    ASSERT_TRUE(made->valid());
    if (inode_at("/run/netns/" + name) == old) {
      same = std::move(made);
    } else {
      ASSERT_EQ(run("ip netns delete " + testing::quoted(name)).status, 0);  // held open: not freed
      others.push_back(std::move(made));
    }
  }
  ASSERT_TRUE(same) << "the kernel did not reuse inode " << old << " in 200 namespaces";
  CmdResult down = topo("down " + lab());
  EXPECT_EQ(down.status, 0) << down.output;
  EXPECT_TRUE(contains(down.output, "left netns " + name + " alone")) << down.output;
  EXPECT_TRUE(same->still_there()) << "down removed a namespace that only had the lab's inode";
  EXPECT_EQ(netns_with_prefix(prefix()), std::vector<std::string>{name});
}

}  // namespace
}  // namespace topo::testing
