// A lab's state directory: the stored copy of its file is written whole, or the write fails
// with the path and the reason.
#include "topo/run/state.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace topo {
namespace {

namespace fs = std::filesystem;

class StateFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/topo-state-test.XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }
  static std::string text_of(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  // The message write_state_file throws, "" when it does not.
  static std::string failure_of(const std::string& path, const std::string& content) {
    try {
      write_state_file(path, content);
    } catch (const std::exception& e) {
      return e.what();
    }
    return "";
  }
  std::string dir_;
};

TEST_F(StateFile, ReplacesTheFileWholeAndRootOnly) {
  std::string path = dir_ + "/topology.yaml";
  std::ofstream(path) << "an older and much longer file than the new one\n";
  write_state_file(path, "name: s\n");
  EXPECT_EQ(text_of(path), "name: s\n");
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1)
      << "no temporary file is left beside it";
}

TEST_F(StateFile, AFailureNamesThePathAndTheReason) {
  std::string taken = dir_ + "/topology.yaml";
  fs::create_directory(taken);  // what an unchecked stream would fail to open, and say nothing
  EXPECT_EQ(failure_of(taken, "name: s\n"), "cannot write " + taken + ": Is a directory");
  EXPECT_TRUE(fs::is_directory(taken));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1)
      << "no temporary file is left beside it";
  std::string nowhere = dir_ + "/gone/topology.yaml";
  EXPECT_EQ(failure_of(nowhere, "name: s\n"),
            "cannot write " + nowhere + ": No such file or directory");
}

// A failed first `up`: the lab's logs leave its directory for /run/topo/.failed/<lab>/log
// (root's, 0700), replacing an earlier failure's; `down` removes them, and .failed when empty.
TEST_F(StateFile, TheLogsOfAFailedUpAreKeptOutsideTheLabAndRemovedWithIt) {
  LabPaths paths = LabPaths::of(dir_, "lab1");
  LabLock lock = LabLock::acquire(paths, "lab1", "up");
  EXPECT_EQ(lock.keep_logs(), std::nullopt) << "no log directory: nothing kept";
  EXPECT_FALSE(fs::exists(dir_ + "/.failed"));

  fs::create_directories(paths.lab_dir + "/log/r1");
  std::ofstream(paths.lab_dir + "/log/r1/zebra.log") << "zebra: cannot bind\n";
  fs::create_directories(dir_ + "/.failed/lab1/log/old");  // an earlier failure's
  std::optional<std::string> kept = lock.keep_logs();
  ASSERT_EQ(kept, dir_ + "/.failed/lab1/log");
  EXPECT_EQ(text_of(*kept + "/r1/zebra.log"), "zebra: cannot bind\n");
  EXPECT_FALSE(fs::exists(*kept + "/old")) << "the earlier failure's logs are replaced";
  EXPECT_FALSE(fs::exists(paths.lab_dir + "/log"));
  EXPECT_EQ(lock.remove_all(), std::vector<std::string>{});
  EXPECT_TRUE(fs::exists(*kept)) << "the lab's removal does not reach them";
  struct stat st;
  ASSERT_EQ(stat((dir_ + "/.failed/lab1").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  ASSERT_EQ(stat((dir_ + "/.failed").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);

  fs::create_directories(dir_ + "/.failed/lab2/log");
  EXPECT_EQ(remove_failed_logs(dir_, "lab1"), std::vector<std::string>{});
  EXPECT_FALSE(fs::exists(dir_ + "/.failed/lab1"));
  EXPECT_TRUE(fs::exists(dir_ + "/.failed/lab2")) << "another lab's are left alone";
  EXPECT_EQ(remove_failed_logs(dir_, "lab2"), std::vector<std::string>{});
  EXPECT_FALSE(fs::exists(dir_ + "/.failed")) << "removed once empty";
  EXPECT_EQ(remove_failed_logs(dir_, "lab2"), std::vector<std::string>{}) << "nothing to do";
}

}  // namespace
}  // namespace topo
