#include "topo/run/state.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "netlink/error.h"
#include "topo/entry/safe_fs.h"

namespace topo {

namespace {

void make_dir(const std::string& path, mode_t mode) {
  if (mkdir(path.c_str(), mode) == 0) {
    chmod(path.c_str(), mode);  // whatever the umask said
    return;
  }
  if (errno != EEXIST) nl::throw_errno("", path, "create directory", errno);
}

// Waits, at most 10 s, for the shared holds of commands starting in the lab to end.
bool lock_exclusively(int fd) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if ((errno != EWOULDBLOCK && errno != EINTR) || std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
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

void write_state_file(const std::string& path, std::string_view content) {
  std::filesystem::path p(path);
  nl::Fd dir = open_dir(p.parent_path().string());
  int err = dir.valid() ? replace_file(dir.get(), p.filename().string(), content, 0600) : errno;
  if (err) throw std::runtime_error(fmt::format("cannot write {}: {}", path, nl::errno_text(err)));
}

std::string failed_logs_dir(const std::string& run_dir, const std::string& lab) {
  return run_dir + "/.failed/" + lab;
}

std::vector<std::string> remove_failed_logs(const std::string& run_dir, const std::string& lab) {
  std::string failed = run_dir + "/.failed";
  nl::Fd dir = open_dir(failed);
  if (!dir.valid()) {
    if (errno == ENOENT) return {};
    return {fmt::format("{}: {}", failed, nl::errno_text(errno))};
  }
  struct stat st;
  if (fstatat(dir.get(), lab.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return {};
  std::vector<std::string> left = remove_tree(dir.get(), lab, failed_logs_dir(run_dir, lab));
  rmdir(failed.c_str());  // ENOTEMPTY: another lab's logs are kept there
  return left;
}

std::optional<std::string> LabLock::keep_logs() {
  // /run/topo/<lab>/log: the parent of each node's LabDirs::log_dir.
  const std::string log = "log";
  nl::Fd lab = open_dir(paths_.lab_dir);
  struct stat st;
  if (!lab.valid() || fstatat(lab.get(), log.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
    return std::nullopt;
  std::string run_dir = std::filesystem::path(paths_.lab_dir).parent_path().string();
  std::string lab_name = std::filesystem::path(paths_.lab_dir).filename().string();
  std::string kept = failed_logs_dir(run_dir, lab_name);
  for (const std::string& failure : remove_failed_logs(run_dir, lab_name))
    throw std::runtime_error(failure);
  // Made again if another lab's `down` removed .failed meanwhile.
  for (int attempt = 0; attempt < 10; attempt++) {
    make_dir(run_dir + "/.failed", 0700);
    nl::Fd failed = open_dir(run_dir + "/.failed");
    nl::Fd dir = failed.valid() ? make_dir_beneath(failed.get(), lab_name, 0700) : nl::Fd();
    if (!dir.valid()) {
      if (errno == ENOENT) continue;
      throw std::runtime_error(fmt::format("{}: {}", kept, nl::errno_text(errno)));
    }
    if (renameat(lab.get(), log.c_str(), dir.get(), log.c_str()) != 0)
      throw std::runtime_error(fmt::format("cannot move {}/{} to {}: {}", paths_.lab_dir, log, kept,
                                           nl::errno_text(errno)));
    return kept + "/" + log;
  }
  throw std::runtime_error(fmt::format("{}: removed again and again while it was made", kept));
}

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

void LabLock::shut_out_commands() {
  if (lab_dir_.valid()) return;
  nl::Fd lab = open_dir(paths_.lab_dir);
  if (!lab.valid())
    throw std::runtime_error(fmt::format("{}: {}", paths_.lab_dir, nl::errno_text(errno)));
  if (!lock_exclusively(lab.get()))
    throw std::runtime_error(fmt::format(
        "{}: held by another process (a command starting in the lab) for 10 s", paths_.lab_dir));
  lab_dir_ = std::move(lab);
}

std::vector<std::string> LabLock::remove_all() {
  // Commands starting in the lab make their node's directory under a shared hold on the lab's
  // (LabDirHold): held exclusively, none is made while it goes, and none after (the journal goes
  // with it, and they check for it).
  struct stat st;
  if (!lab_dir_.valid() && lstat(paths_.lab_dir.c_str(), &st) != 0 && errno == ENOENT) return {};
  try {
    shut_out_commands();
  } catch (const std::runtime_error& e) {
    return {e.what()};  // what could not be removed: the whole lab
  }
  int lab = lab_dir_.get();
  std::string state_name = std::filesystem::path(paths_.state_dir).filename();
  std::string lock_name = std::filesystem::path(paths_.lock).filename();
  std::vector<std::string> left;
  // Everything in `dir` but `keep`.
  auto remove = [&](int dir, const std::string& dir_path, const std::string& keep) {
    errno = 0;
    std::vector<std::string> names = dir_entries(dir);
    if (errno) left.push_back(fmt::format("{}: {}", dir_path, nl::errno_text(errno)));
    for (const std::string& name : names)
      if (name != keep)
        for (std::string& failure : remove_tree(dir, name, dir_path + "/" + name))
          left.push_back(std::move(failure));
  };
  remove(lab, paths_.lab_dir, state_name);
  nl::Fd state = open_beneath(lab, state_name, O_RDONLY | O_DIRECTORY);
  if (state.valid())
    remove(state.get(), paths_.state_dir, lock_name);
  else if (errno != ENOENT)
    left.push_back(fmt::format("{}: {}", paths_.state_dir, nl::errno_text(errno)));
  if (!left.empty()) return left;
  // The lock goes last: until then, a new `up` of the lab waits for us (or fails fast).
  unlink(paths_.lock.c_str());
  rmdir(paths_.state_dir.c_str());  // ENOTEMPTY: a new `up` made its lock here already
  rmdir(paths_.lab_dir.c_str());
  return {};
}

}  // namespace topo
