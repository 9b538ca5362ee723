#include "netlink/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <netlink/socket.h>

#include "netlink/error.h"

namespace nl {

namespace {

// The namespace this thread started in, opened once per thread; every switch returns here.
int home_netns_fd() {
  thread_local Fd home(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!home.valid()) throw_errno("", "/proc/thread-self/ns/net", "open", errno);
  return home.get();
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

namespace {

// The identity of the namespace `nsfs_fd` is, read through a socket already made in it.
NetnsId id_of(const std::string& name, int nsfs_fd, int socket_fd) {
  struct stat st;
  if (fstat(nsfs_fd, &st) != 0) throw_errno(name, "namespace", "stat", errno);
  uint64_t cookie = 0;
  socklen_t size = sizeof cookie;
  if (getsockopt(socket_fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &size) != 0)
    throw_errno(name, "namespace", "read cookie (SO_NETNS_COOKIE, Linux 5.14)", errno);
  return {cookie, static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
}

// The identity of the namespace `nsfs_fd` is: the thread enters it to make a socket there.
NetnsId id_of(const std::string& name, int nsfs_fd) {
  NetnsGuard in(nsfs_fd, name);
  Fd probe(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!probe.valid()) throw_errno(name, "namespace", "open a socket", errno);
  return id_of(name, nsfs_fd, probe.get());
}

// The empty file a namespace is bound onto; unlinked again unless the bind was made.
class Placeholder {
 public:
  Placeholder(const std::string& name, std::string path) : path_(std::move(path)) {
    // O_EXCL makes a name that exists already a clean failure.
    Fd file(::open(path_.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0));
    if (!file.valid()) throw_errno(name, path_, "create", errno);
  }
  ~Placeholder() {
    if (!bound_) unlink(path_.c_str());
  }
  Placeholder(const Placeholder&) = delete;
  Placeholder& operator=(const Placeholder&) = delete;
  void bound() { bound_ = true; }

 private:
  std::string path_;
  bool bound_ = false;
};

// Brings the thread back into its own namespace at the end of a scope, whatever happened.
struct BackHome {
  ~BackHome() {
    // As in ~NetnsGuard: a thread lost in a node's namespace must not go on.
    if (setns(home_netns_fd(), CLONE_NEWNET) != 0) std::terminate();
  }
};

}  // namespace

Netns Netns::create(const std::string& name, const BeforeBind& before_bind, bool keep_descriptor) {
  std::string path = netns_path(name);
  home_netns_fd();  // opened before leaving home, so that home is what it records
  Placeholder placeholder(name, path);
  if (unshare(CLONE_NEWNET) != 0) throw_errno(name, "namespace", "unshare", errno);
  BackHome back_home;
  Fd fd(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) throw_errno(name, "namespace", "open", errno);
  Socket socket = Socket::connect(name);
  NetnsId id = id_of(name, fd.get(), nl_socket_get_fd(socket.get()));
  before_bind(id);
  // Bound last ("so I can watch for it", iproute2): only a recorded namespace gets the name.
  // In a multithreaded process /proc/self is the main thread: bind this thread's namespace.
  if (mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr) != 0)
    throw_errno(name, "namespace", "bind mount", errno);
  placeholder.bound();
  return Netns(name, keep_descriptor ? std::move(fd) : Fd(), std::move(socket), id);
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
  std::optional<Socket> socket;
  {
    NetnsGuard in(fd.get(), name);
    socket.emplace(Socket::connect(name));
  }
  NetnsId id = id_of(name, fd.get(), nl_socket_get_fd(socket->get()));
  return Netns(name, Fd(), std::move(*socket), id);
}

Netns Netns::current(const std::string& name) {
  Fd fd(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) throw_errno(name, "/proc/thread-self/ns/net", "open", errno);
  Socket socket = Socket::connect(name);
  NetnsId id = id_of(name, fd.get(), nl_socket_get_fd(socket.get()));
  return Netns(name, std::move(fd), std::move(socket), id);
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

namespace {

// An empty regular file: what a create killed before its bind leaves (never a namespace).
bool is_placeholder(int fd) {
  struct statfs fs;
  struct stat st;
  return fstatfs(fd, &fs) == 0 && fs.f_type != NSFS_MAGIC && fstat(fd, &st) == 0 &&
         S_ISREG(st.st_mode) && st.st_size == 0;
}

}  // namespace

bool remove_netns_placeholder(const std::string& name) {
  std::string path = netns_path(name);
  // O_NOFOLLOW: a symlink planted there is nobody's placeholder; O_NONBLOCK: nor is a FIFO.
  Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid() || !is_placeholder(fd.get())) return false;
  // A namespace bound there meanwhile makes it a mount point, which unlink refuses (EBUSY).
  return unlink(path.c_str()) == 0;
}

Deleted delete_netns(const std::string& name, const NetnsId& id) {
  std::string path = netns_path(name);
  Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return Deleted::absent;
    if (errno == ELOOP) return Deleted::not_ours;
    throw_errno(name, path, "open", errno);
  }
  struct statfs fs;
  if (fstatfs(fd.get(), &fs) != 0) throw_errno(name, path, "statfs", errno);
  if (fs.f_type != NSFS_MAGIC)
    return remove_netns_placeholder(name) ? Deleted::yes : Deleted::not_ours;
  if (!id.known()) return Deleted::not_ours;  // never bound by the lab: somebody else's
  struct stat st;
  if (fstat(fd.get(), &st) != 0) throw_errno(name, path, "stat", errno);
  NetnsId there{0, static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
  // The cookie only when the rest says it may be ours, and one was recorded to compare it with:
  // reading it means entering the namespace.
  if (id.cookie != 0 && there.inode == id.inode) there = id_of(name, fd.get());
  if (!id.matches(there)) return Deleted::not_ours;
  fd.reset();
  if (umount2(path.c_str(), MNT_DETACH) != 0) throw_errno(name, path, "unmount", errno);
  if (unlink(path.c_str()) != 0 && errno != ENOENT) throw_errno(name, path, "unlink", errno);
  return Deleted::yes;
}

}  // namespace nl
