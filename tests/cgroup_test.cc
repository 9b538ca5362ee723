#include "topo/entry/cgroup.h"

#include <gtest/gtest.h>

namespace topo::cgroup {
namespace {

// Lines of /proc/self/mountinfo as machines have them.
const char* kV1Freezer =
    "37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime shared:12 - cgroup cgroup rw,freezer\n";
const char* kV1Pids = "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n";
const char* kHybridV2 = "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
const char* kOther = "22 1 0:21 / /proc rw,nosuid - proc proc rw\n";

TEST(Cgroup, AHybridMachineUsesItsCgroup2Mount) {
  std::optional<Hierarchy> h =
      hierarchy_in_mountinfo(std::string(kOther) + kV1Freezer + kV1Pids + kHybridV2);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->mount, "/sys/fs/cgroup/unified");
  EXPECT_TRUE(h->v2);
}

TEST(Cgroup, APureV2MachineUsesSysFsCgroup) {
  std::optional<Hierarchy> h = hierarchy_in_mountinfo(
      std::string(kOther) +
      "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
      "rw,nsdelegate,memory_recursiveprot\n");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->mount, "/sys/fs/cgroup");
  EXPECT_TRUE(h->v2);
}

TEST(Cgroup, AV1OnlyMachineUsesItsFreezer) {
  std::optional<Hierarchy> h = hierarchy_in_mountinfo(std::string(kV1Pids) + kV1Freezer);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->mount, "/sys/fs/cgroup/freezer");
  EXPECT_FALSE(h->v2);
}

TEST(Cgroup, NoHierarchyWithoutCgroup2OrAFreezer) {
  EXPECT_FALSE(hierarchy_in_mountinfo(std::string(kOther) + kV1Pids));
  EXPECT_FALSE(hierarchy_in_mountinfo(""));
  // "freezer" must be an option of its own, not part of another.
  EXPECT_FALSE(hierarchy_in_mountinfo("1 2 0:3 / /x rw - cgroup cgroup rw,name=nofreezer\n"));
}

TEST(Cgroup, AMountPointWithASpaceIsUnescaped) {
  std::optional<Hierarchy> h =
      hierarchy_in_mountinfo("41 31 0:38 / /mnt/my\\040cgroups rw - cgroup2 none rw\n");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->mount, "/mnt/my cgroups");
}

}  // namespace
}  // namespace topo::cgroup
