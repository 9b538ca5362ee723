#include "topo/entry/safe_fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>

namespace topo {

namespace {

// Deeper than this, a tree a user made is not followed down (each level holds a descriptor).
constexpr int kMaxDepth = 128;

bool plain_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos;
}

std::optional<std::string> read_all(const nl::Fd& fd) {
  if (!fd.valid()) return std::nullopt;
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return std::nullopt;
  if (!S_ISREG(st.st_mode)) {
    errno = EINVAL;
    return std::nullopt;
  }
  std::string text;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) return text;
    text.append(buf, static_cast<size_t>(n));
  }
}

std::string reason(const std::string& path, int err) {
  return path + ": " + strerror(err);
}

void remove_entries(int dir, const std::string& shown, int depth,
                    std::vector<std::string>& failures);

// Removes one entry of `dir`: unlinked as it is (a symlink is a name like any other), or, being
// a directory, emptied through a descriptor opened without following anything, then removed.
void remove_entry(int dir, const std::string& name, const std::string& shown, int depth,
                  std::vector<std::string>& failures) {
  if (unlinkat(dir, name.c_str(), 0) == 0 || errno == ENOENT) return;
  if (errno != EISDIR) return failures.push_back(reason(shown, errno));  // Linux: EISDIR for dirs
  if (depth >= kMaxDepth) return failures.push_back(shown + ": nested too deeply");
  nl::Fd sub = open_beneath(dir, name, O_RDONLY | O_DIRECTORY);
  if (!sub.valid()) {
    // Replaced by something else since the unlink: try once more, as that.
    if (errno == ELOOP || errno == ENOTDIR)
      if (unlinkat(dir, name.c_str(), 0) == 0 || errno == ENOENT) return;
    return failures.push_back(reason(shown, errno));
  }
  remove_entries(sub.get(), shown, depth + 1, failures);
  if (unlinkat(dir, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
    failures.push_back(reason(shown, errno));
}

void remove_entries(int dir, const std::string& shown, int depth,
                    std::vector<std::string>& failures) {
  // The names first, then the removals: readdir need not see a directory changing under it.
  errno = 0;
  std::vector<std::string> names = dir_entries(dir);
  if (errno) return failures.push_back(reason(shown, errno));
  for (const std::string& name : names)
    remove_entry(dir, name, shown + "/" + name, depth, failures);
}

}  // namespace

std::vector<std::string> dir_entries(int dir) {
  std::vector<std::string> names;
  // A descriptor of its own: closedir closes it, and the directory's offset is not shared.
  int copy = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* d = copy >= 0 ? fdopendir(copy) : nullptr;
  if (!d) {
    int err = errno;
    if (copy >= 0) close(copy);
    errno = err;
    return names;
  }
  errno = 0;
  while (dirent* e = readdir(d))
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) names.push_back(e->d_name);
  int err = errno;
  closedir(d);
  errno = err;
  return names;
}

void ensure_std_fds() {
  for (int fd = 0; fd <= 2; fd++) {
    if (fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    // Not close-on-exec: it stands for the stream a command run from here inherits.
    int null = ::open("/dev/null", O_RDWR);
    if (null < 0) _exit(1);  // nothing may be opened while a standard descriptor is free
    if (null != fd) {
      dup2(null, fd);
      close(null);
    }
  }
}

nl::Fd open_dir(const std::string& path) {
  return nl::Fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

nl::Fd open_beneath(int dir, const std::string& name, int flags, mode_t mode) {
  if (!plain_name(name)) {
    errno = EINVAL;
    return nl::Fd();
  }
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_NOFOLLOW | O_CLOEXEC);
  how.mode = (flags & O_CREAT) ? mode : 0;  // openat2 refuses a mode without O_CREAT
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
  long fd = syscall(SYS_openat2, dir, name.c_str(), &how, sizeof how);
  // Kernels before 5.6 have no openat2: for one plain component, O_NOFOLLOW says the same.
  if (fd < 0 && errno == ENOSYS)
    fd = openat(dir, name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, mode);
  return nl::Fd(static_cast<int>(fd));
}

nl::Fd make_dir_beneath(int dir, const std::string& name, mode_t mode) {
  if (!plain_name(name)) {
    errno = EINVAL;
    return nl::Fd();
  }
  bool made = mkdirat(dir, name.c_str(), mode) == 0;
  if (!made && errno != EEXIST) return nl::Fd();
  nl::Fd fd = open_beneath(dir, name, O_RDONLY | O_DIRECTORY);
  // Only a directory made now gets the mode: one that was there keeps what its owner gave it.
  if (fd.valid() && made && fchmod(fd.get(), mode) != 0) return nl::Fd();
  return fd;
}

int replace_file(int dir, const std::string& name, std::string_view content, mode_t mode, uid_t uid,
                 gid_t gid) {
  if (!plain_name(name)) return EINVAL;
  static std::atomic<unsigned> counter{0};
  std::string temp;
  nl::Fd fd;
  // O_EXCL: a name someone planted is never opened; take the next one.
  for (int attempt = 0; attempt < 100 && !fd.valid(); attempt++) {
    temp = ".topo-new-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
    fd = open_beneath(dir, temp, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (!fd.valid() && errno != EEXIST) return errno;
  }
  if (!fd.valid()) return EEXIST;
  int err = fchmod(fd.get(), mode) == 0 ? 0 : errno;
  // Its owner before it has its name: nothing of the directory's owner can be chowned instead.
  if (!err && (uid != 0 || gid != 0) && fchown(fd.get(), uid, gid) != 0) err = errno;
  for (size_t done = 0; !err && done < content.size();) {
    ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) err = errno;
    if (n > 0) done += static_cast<size_t>(n);
  }
  fd.reset();
  if (!err && renameat(dir, temp.c_str(), dir, name.c_str()) != 0) err = errno;
  if (err) unlinkat(dir, temp.c_str(), 0);
  return err;
}

std::optional<std::string> read_file(const std::string& path) {
  return read_all(nl::Fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC)));
}

std::optional<std::string> read_file_beneath(int dir, const std::string& name) {
  // O_NONBLOCK: opening a FIFO planted under that name must not wait for a writer.
  return read_all(open_beneath(dir, name, O_RDONLY | O_NONBLOCK));
}

std::vector<std::string> remove_tree(int dir, const std::string& name, const std::string& shown) {
  std::vector<std::string> failures;
  if (!plain_name(name)) return {reason(shown, EINVAL)};
  remove_entry(dir, name, shown, 0, failures);
  return failures;
}

}  // namespace topo
