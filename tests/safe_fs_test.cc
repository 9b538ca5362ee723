// Files opened where a user may write: what a planted symlink, FIFO or hard link can and cannot
// make these functions do. No root needed: the "root-only" file is one this test owns.
#include "topo/entry/safe_fs.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace topo {
namespace {

namespace fs = std::filesystem;

class SafeFs : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/topo-safe-fs.XXXXXX";
    root_ = mkdtemp(tmpl);
    fs::create_directory(root_ + "/dir");       // where a user could write
    fs::create_directory(root_ + "/precious");  // what must not be touched from there
    target_ = root_ + "/precious/secret";
    std::ofstream(target_) << "root only\n";
    chmod(target_.c_str(), 0600);
    dir_ = open_dir(root_ + "/dir");
    ASSERT_TRUE(dir_.valid());
  }
  void TearDown() override { fs::remove_all(root_); }

  std::string in_dir(const std::string& name) const { return root_ + "/dir/" + name; }
  static std::string text_of(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  static mode_t mode_of(const std::string& path) {
    struct stat st;
    return lstat(path.c_str(), &st) == 0 ? st.st_mode : 0;
  }
  void expect_target_untouched() const {
    EXPECT_EQ(text_of(target_), "root only\n");
    EXPECT_EQ(mode_of(target_) & 07777, 0600u);
  }

  std::string root_, target_;
  nl::Fd dir_;
};

TEST_F(SafeFs, OpenBeneathRefusesSymlinksAndAnythingButOneName) {
  fs::create_symlink(target_, in_dir("link"));
  EXPECT_FALSE(open_beneath(dir_.get(), "link", O_RDONLY).valid());
  EXPECT_EQ(errno, ELOOP);
  EXPECT_FALSE(open_beneath(dir_.get(), "link", O_WRONLY | O_CREAT | O_TRUNC, 0644).valid());
  for (const char* name : {"../precious/secret", "", ".", "..", "a/b"}) {
    EXPECT_FALSE(open_beneath(dir_.get(), name, O_RDONLY).valid()) << name;
    EXPECT_EQ(errno, EINVAL) << name;
  }
  expect_target_untouched();
  std::ofstream(in_dir("plain")) << "x";
  nl::Fd fd = open_beneath(dir_.get(), "plain", O_RDONLY);
  ASSERT_TRUE(fd.valid());
  EXPECT_EQ(fcntl(fd.get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
}

TEST_F(SafeFs, ReplaceFileReplacesASymlinkInsteadOfWritingThroughIt) {
  fs::create_symlink(target_, in_dir("app.conf"));
  mode_t old_umask = umask(077);
  EXPECT_EQ(replace_file(dir_.get(), "app.conf", "the lab's text\n", 0644), 0);
  umask(old_umask);
  expect_target_untouched();
  EXPECT_TRUE(S_ISREG(mode_of(in_dir("app.conf"))));
  EXPECT_EQ(mode_of(in_dir("app.conf")) & 07777, 0644u) << "whatever the umask";
  EXPECT_EQ(text_of(in_dir("app.conf")), "the lab's text\n");
  // Nothing else is left in the directory (no temporary file).
  EXPECT_EQ(dir_entries(dir_.get()), std::vector<std::string>{"app.conf"});
}

TEST_F(SafeFs, ReplaceFileLeavesAHardLinkAndAFifoAlone) {
  ASSERT_EQ(link(target_.c_str(), in_dir("hard").c_str()), 0);
  EXPECT_EQ(replace_file(dir_.get(), "hard", "new\n", 0644), 0);
  expect_target_untouched();
  EXPECT_EQ(text_of(in_dir("hard")), "new\n");
  ASSERT_EQ(mkfifo(in_dir("fifo").c_str(), 0666), 0);
  EXPECT_EQ(replace_file(dir_.get(), "fifo", "new\n", 0644), 0) << "no wait for a reader";
  EXPECT_EQ(text_of(in_dir("fifo")), "new\n");
}

TEST_F(SafeFs, ReplaceFileTakesAnotherTemporaryNameWhenOneIsPlanted) {
  // Whatever names are planted ahead, the file is written, and never through them.
  for (int i = 0; i < 4; i++)
    fs::create_symlink(target_,
                       in_dir(".topo-new-" + std::to_string(getpid()) + "-" + std::to_string(i)));
  for (int i = 0; i < 4; i++) EXPECT_EQ(replace_file(dir_.get(), "f", "v\n", 0644), 0);
  expect_target_untouched();
  EXPECT_EQ(text_of(in_dir("f")), "v\n");
}

TEST_F(SafeFs, ReadFileBeneathRefusesSymlinksFifosAndDevicesWithoutBlocking) {
  fs::create_symlink(target_, in_dir("link"));
  EXPECT_FALSE(read_file_beneath(dir_.get(), "link"));
  ASSERT_EQ(mkfifo(in_dir("fifo").c_str(), 0666), 0);
  EXPECT_FALSE(read_file_beneath(dir_.get(), "fifo"));
  fs::create_symlink("/dev/zero", in_dir("zero"));
  EXPECT_FALSE(read_file_beneath(dir_.get(), "zero"));
  std::ofstream(in_dir("plain")) << "content\n";
  EXPECT_EQ(read_file_beneath(dir_.get(), "plain"), "content\n");
  EXPECT_EQ(read_file(target_), "root only\n");
  EXPECT_FALSE(read_file(root_ + "/none"));
  EXPECT_EQ(errno, ENOENT);
}

TEST_F(SafeFs, MakeDirBeneathSetsTheModeOfANewDirectoryOnly) {
  mode_t old_umask = umask(077);
  nl::Fd made = make_dir_beneath(dir_.get(), "new", 0755);
  umask(old_umask);
  ASSERT_TRUE(made.valid());
  EXPECT_EQ(mode_of(in_dir("new")) & 07777, 0755u);
  fs::create_directory(in_dir("theirs"));
  chmod(in_dir("theirs").c_str(), 0700);
  EXPECT_TRUE(make_dir_beneath(dir_.get(), "theirs", 0755).valid());
  EXPECT_EQ(mode_of(in_dir("theirs")) & 07777, 0700u) << "an existing directory keeps its mode";
  chmod((root_ + "/precious").c_str(), 0700);
  fs::create_directory_symlink(root_ + "/precious", in_dir("elsewhere"));
  EXPECT_FALSE(make_dir_beneath(dir_.get(), "elsewhere", 0755).valid());
  EXPECT_TRUE(errno == ELOOP || errno == ENOTDIR) << errno;
  EXPECT_EQ(mode_of(root_ + "/precious") & 07777, 0700u) << "not chmod'ed through the link";
}

TEST_F(SafeFs, RemoveTreeNeverFollowsASymlink) {
  fs::create_directories(in_dir("tree/a/b/c"));
  std::ofstream(in_dir("tree/a/b/c/file")) << "x";
  fs::create_directory_symlink(root_ + "/precious", in_dir("tree/to-dir"));
  fs::create_directory_symlink(root_ + "/precious", in_dir("tree/a/b/to-dir"));
  fs::create_symlink(target_, in_dir("tree/a/to-file"));
  ASSERT_EQ(mkfifo(in_dir("tree/a/fifo").c_str(), 0666), 0);
  EXPECT_EQ(remove_tree(dir_.get(), "tree", "tree"), std::vector<std::string>{});
  EXPECT_FALSE(fs::exists(fs::symlink_status(in_dir("tree"))));
  expect_target_untouched();
  EXPECT_TRUE(fs::is_directory(root_ + "/precious"));
  // A top-level name that is a symlink to a directory: the link goes, the directory stays.
  fs::create_directory_symlink(root_ + "/precious", in_dir("link"));
  EXPECT_EQ(remove_tree(dir_.get(), "link", "link"), std::vector<std::string>{});
  EXPECT_FALSE(fs::exists(fs::symlink_status(in_dir("link"))));
  expect_target_untouched();
  EXPECT_EQ(remove_tree(dir_.get(), "absent", "absent"), std::vector<std::string>{});
}

TEST_F(SafeFs, RemoveTreeSaysWhatItCouldNotRemove) {
  fs::create_directories(in_dir("tree/deep"));
  std::ofstream(in_dir("tree/deep/f")) << "x";
  // A directory that cannot be read: its entries cannot be listed, so it stays (as root, any
  // directory can be read: then it simply goes).
  chmod(in_dir("tree/deep").c_str(), 0);
  std::vector<std::string> left = remove_tree(dir_.get(), "tree", "/x/tree");
  chmod(in_dir("tree/deep").c_str(), 0755);
  if (geteuid() == 0) {
    EXPECT_EQ(left, std::vector<std::string>{});
  } else {
    ASSERT_FALSE(left.empty());
    EXPECT_EQ(left.front(), "/x/tree/deep: Permission denied");
  }
}

// Runs `body` in a child with descriptors 0 and 2 closed; the child's exit status.
template <class F>
int with_closed_std_fds(F body) {
  pid_t pid = fork();
  if (pid == 0) {
    close(0);
    close(2);
    ensure_std_fds();
    _exit(body());
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

TEST(EnsureStdFds, OpensDevNullOnClosedStandardDescriptors) {
  EXPECT_EQ(with_closed_std_fds([] {
              char target[64] = {};
              for (int fd : {0, 2}) {
                std::string link = "/proc/self/fd/" + std::to_string(fd);
                ssize_t n = readlink(link.c_str(), target, sizeof target - 1);
                if (n <= 0 || std::string(target, n) != "/dev/null") return 1;
                if (fcntl(fd, F_GETFD) & FD_CLOEXEC) return 2;  // inherited by commands
              }
              int next = open("/dev/null", O_RDONLY | O_CLOEXEC);
              return next > 2 ? 0 : 3;  // the next file opened is not a standard stream
            }),
            0);
}

}  // namespace
}  // namespace topo
