#include "netlink/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "netlink/error.h"

namespace nl {

namespace {

// The namespace this thread started in, opened once per thread; every switch returns here.
int home_netns_fd() {
  thread_local Fd home(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!home.valid()) throw_errno("", "/proc/thread-self/ns/net", "open", errno);
  return home.get();
}

void return_home(const std::string& from) {
  if (setns(home_netns_fd(), CLONE_NEWNET) != 0)
    throw_errno(from, "thread", "return from netns", errno);
}

}  // namespace

std::string netns_path(const std::string& name) {
  return std::string(kNetnsRunDir) + "/" + name;
}

void prepare_netns_run_dir() {
  if (mkdir(kNetnsRunDir, 0755) != 0 && errno != EEXIST)
    throw_errno("", kNetnsRunDir, "create directory", errno);
  Fd dir(::open(kNetnsRunDir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid()) throw_errno("", kNetnsRunDir, "open", errno);
  // Serialise with concurrent `ip netns add` and other topo runs: two racing make-shared dances
  // stack mounts (iproute2 takes the same lock for the same reason).
  if (flock(dir.get(), LOCK_EX) != 0) throw_errno("", kNetnsRunDir, "lock", errno);
  if (mount("", kNetnsRunDir, "none", MS_SHARED | MS_REC, nullptr) == 0) return;
  // EINVAL: not a mount point yet. Make it one by binding it onto itself, then share it.
  if (errno != EINVAL) throw_errno("", kNetnsRunDir, "make shared", errno);
  if (mount(kNetnsRunDir, kNetnsRunDir, "none", MS_BIND | MS_REC, nullptr) != 0)
    throw_errno("", kNetnsRunDir, "bind onto itself", errno);
  if (mount("", kNetnsRunDir, "none", MS_PRIVATE | MS_REC, nullptr) != 0)
    throw_errno("", kNetnsRunDir, "make private", errno);
  if (mount("", kNetnsRunDir, "none", MS_SHARED | MS_REC, nullptr) != 0)
    throw_errno("", kNetnsRunDir, "make shared", errno);
}

bool netns_exists(const std::string& name) {
  struct stat st;
  return lstat(netns_path(name).c_str(), &st) == 0;
}

std::optional<uint64_t> netns_inode(const std::string& name) {
  std::string path = netns_path(name);
  struct statfs fs;
  struct stat st;
  if (statfs(path.c_str(), &fs) != 0 || fs.f_type != NSFS_MAGIC) return std::nullopt;
  if (stat(path.c_str(), &st) != 0) return std::nullopt;
  return st.st_ino;
}

Netns Netns::create(const std::string& name, bool keep_descriptor) {
  std::string path = netns_path(name);
  int home = home_netns_fd();
  // An empty file to bind onto; O_EXCL makes a namespace that exists already a clean failure.
  Fd file(::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0));
  if (!file.valid()) throw_errno(name, path, "create", errno);
  file.reset();
  auto undo_file = [&](const char* operation, int err) {
    unlink(path.c_str());
    throw_errno(name, "namespace", operation, err);
  };
  if (unshare(CLONE_NEWNET) != 0) undo_file("unshare", errno);
  // In a multithreaded process /proc/self is the main thread: bind this thread's namespace.
  if (mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr) != 0) {
    int err = errno;
    setns(home, CLONE_NEWNET);
    undo_file("bind mount", err);
  }
  Fd fd(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  int open_err = errno;
  std::optional<Socket> socket;
  try {
    if (fd.valid()) socket.emplace(Socket::connect(name));
  } catch (...) {
    return_home(name);
    throw;
  }
  return_home(name);
  if (!fd.valid()) throw_errno(name, "namespace", "open", open_err);
  struct stat st;
  if (fstat(fd.get(), &st) != 0) throw_errno(name, "namespace", "stat", errno);
  return Netns(name, keep_descriptor ? std::move(fd) : Fd(), std::move(*socket), st.st_ino);
}

Fd Netns::descriptor() const {
  if (fd_.valid()) {
    Fd copy(fcntl(fd_.get(), F_DUPFD_CLOEXEC, 0));
    if (!copy.valid()) throw_errno(name_, "namespace", "duplicate descriptor", errno);
    return copy;
  }
  std::string path = netns_path(name_);
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) throw_errno(name_, path, "open", errno);
  return fd;
}

Netns Netns::open(const std::string& name) {
  std::string path = netns_path(name);
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) throw_errno(name, path, "open", errno);
  struct statfs fs;
  if (fstatfs(fd.get(), &fs) != 0) throw_errno(name, path, "statfs", errno);
  // A file in /run/netns that is not an nsfs mount is no namespace (a killed `add` leaves one).
  if (fs.f_type != NSFS_MAGIC) throw Error(name, path, "open", EINVAL, "not a network namespace");
  struct stat st;
  if (fstat(fd.get(), &st) != 0) throw_errno(name, path, "stat", errno);
  std::optional<Socket> socket;
  {
    NetnsGuard in(fd.get(), name);
    socket.emplace(Socket::connect(name));
  }
  return Netns(name, Fd(), std::move(*socket), st.st_ino);
}

Netns Netns::current(const std::string& name) {
  Fd fd(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) throw_errno(name, "/proc/thread-self/ns/net", "open", errno);
  struct stat st;
  if (fstat(fd.get(), &st) != 0) throw_errno(name, "namespace", "stat", errno);
  Socket socket = Socket::connect(name);
  return Netns(name, std::move(fd), std::move(socket), st.st_ino);
}

NetnsGuard::NetnsGuard(int netns_fd, const std::string& netns_name) : name_(netns_name) {
  home_netns_fd();  // opened before leaving home, so that home is what it records
  if (setns(netns_fd, CLONE_NEWNET) != 0) throw_errno(name_, "thread", "enter netns", errno);
}

NetnsGuard::~NetnsGuard() {
  // Returning to a namespace we hold an fd of cannot fail short of a kernel bug; if it did, the
  // thread would be lost in a node's namespace, so stop rather than act in the wrong place.
  if (setns(home_netns_fd(), CLONE_NEWNET) != 0) std::terminate();
}

bool delete_netns(const std::string& name) {
  std::string path = netns_path(name);
  bool mounted = umount2(path.c_str(), MNT_DETACH) == 0;
  int umount_err = errno;
  if (unlink(path.c_str()) == 0) return true;
  if (errno == ENOENT && !mounted) return false;
  if (errno != ENOENT) throw_errno(name, path, "unlink", errno);
  if (!mounted && umount_err != EINVAL) throw_errno(name, path, "unmount", umount_err);
  return true;
}

}  // namespace nl
