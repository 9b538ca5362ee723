#include "topo/state.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>

#include "netlink/error.h"

namespace topo {

namespace {

void make_dir(const std::string& path, mode_t mode) {
  if (mkdir(path.c_str(), mode) == 0) {
    chmod(path.c_str(), mode);  // whatever the umask said
    return;
  }
  if (errno != EEXIST) nl::throw_errno("", path, "create directory", errno);
}

std::string read_holder(int fd) {
  char buf[128] = {};
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  std::string text(buf, n > 0 ? n : 0);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\0')) text.pop_back();
  return text.empty() ? "another topo process" : text;
}

// Locks an open lock file and writes its holder; false when the file was removed or replaced
// since it was opened (a `down` finished meanwhile).
bool hold(int fd, const LabPaths& paths, const std::string& lab, const std::string& verb) {
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) nl::throw_errno("", paths.lock, "lock", errno);
    throw LabBusy(fmt::format("lab {} is busy: {} is working on it; try again when it is done", lab,
                              read_holder(fd)));
  }
  struct stat held, now;
  if (fstat(fd, &held) != 0) nl::throw_errno("", paths.lock, "stat lock", errno);
  if (stat(paths.lock.c_str(), &now) != 0 || now.st_ino != held.st_ino) return false;
  std::string holder = fmt::format("topo {} (pid {})\n", verb, getpid());
  if (ftruncate(fd, 0) != 0 || pwrite(fd, holder.data(), holder.size(), 0) < 0)
    nl::throw_errno("", paths.lock, "write lock", errno);
  return true;
}

}  // namespace

LabLock LabLock::acquire(const LabPaths& paths, const std::string& lab, const std::string& verb) {
  std::string run_dir = std::filesystem::path(paths.lab_dir).parent_path().string();
  // A concurrent `down` may remove the directories between our steps: start again then.
  for (int attempt = 0; attempt < 100; attempt++) {
    make_dir(run_dir, 0755);
    make_dir(paths.lab_dir, 0711);
    make_dir(paths.state_dir, 0700);
    nl::Fd fd(::open(paths.lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd.valid()) {
      if (errno == ENOENT) continue;
      nl::throw_errno("", paths.lock, "open lock", errno);
    }
    if (!hold(fd.get(), paths, lab, verb)) continue;
    return LabLock(paths, std::move(fd));
  }
  throw LabBusy(fmt::format("lab {} is busy: its state directory keeps changing under us", lab));
}

std::optional<LabLock> LabLock::acquire_existing(const LabPaths& paths, const std::string& lab,
                                                 const std::string& verb) {
  nl::Fd fd(::open(paths.lock.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) {
    if (errno == ENOENT) return std::nullopt;
    nl::throw_errno("", paths.lock, "open lock", errno);
  }
  if (!hold(fd.get(), paths, lab, verb)) return std::nullopt;
  return LabLock(paths, std::move(fd));
}

void LabLock::remove_all() {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(paths_.lab_dir, ec))
    if (entry.path() != paths_.state_dir) std::filesystem::remove_all(entry.path(), ec);
  // The lock goes last: until then, a new `up` of the lab waits for us (or fails fast).
  for (const auto& entry : std::filesystem::directory_iterator(paths_.state_dir, ec))
    if (entry.path() != paths_.lock) std::filesystem::remove_all(entry.path(), ec);
  unlink(paths_.lock.c_str());
  rmdir(paths_.state_dir.c_str());  // ENOTEMPTY: a new `up` made its lock here already
  rmdir(paths_.lab_dir.c_str());
}

}  // namespace topo
