// netns.h - named network namespaces, made and removed exactly as `ip netns` does.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "netlink/fd.h"
#include "netlink/rtnl_socket.h"

namespace nl {

inline constexpr const char* kNetnsRunDir = "/run/netns";

// Makes /run/netns exist and be a shared mount point, as `ip netns add` does, so that the
// namespaces bound there are seen from every mount namespace.
void prepare_netns_run_dir();

std::string netns_path(const std::string& name);

// Whether /run/netns/NAME exists at all (a namespace, or a file left by a killed `add`).
bool netns_exists(const std::string& name);

// The inode of the namespace bound at /run/netns/NAME, or nullopt when none is mounted there.
std::optional<uint64_t> netns_inode(const std::string& name);

// A network namespace with its one netlink socket, opened once. Its descriptor is kept open
// only when asked (a 10,000-node lab would need 20,000 descriptors; opening an nsfs mount
// again costs ~100 us): descriptor() dups the kept one, or opens one.
class Netns {
 public:
  // Creates /run/netns/NAME. Switches the calling thread into the new namespace to bind it and
  // to connect the socket, then back: call it on a thread that does nothing else meanwhile.
  static Netns create(const std::string& name, bool keep_descriptor = false);
  // Opens an existing named namespace (checked to be an nsfs mount) and connects a socket in it.
  static Netns open(const std::string& name);
  // The namespace the calling thread is in now (for the root namespace: name it "").
  static Netns current(const std::string& name);

  const std::string& name() const { return name_; }
  // A descriptor of the namespace for the caller to use and close.
  Fd descriptor() const;
  uint64_t inode() const { return inode_; }
  Socket& socket() { return socket_; }

 private:
  Netns(std::string name, Fd fd, Socket socket, uint64_t inode)
      : name_(std::move(name)), fd_(std::move(fd)), socket_(std::move(socket)), inode_(inode) {}
  std::string name_;
  Fd fd_;  // kept: always for Netns::current (no name under /run/netns), else when asked
  Socket socket_;
  uint64_t inode_;
};

// Puts the calling thread into a namespace for its scope, and back into the one it came from.
class NetnsGuard {
 public:
  NetnsGuard(int netns_fd, const std::string& netns_name);
  ~NetnsGuard();
  NetnsGuard(const NetnsGuard&) = delete;
  NetnsGuard& operator=(const NetnsGuard&) = delete;

 private:
  std::string name_;
};

// Removes /run/netns/NAME as `ip netns delete` does: detach the bind mount, unlink the file.
// The namespace (and every interface in it) goes when its last reference does. Returns false
// when there was nothing to remove.
bool delete_netns(const std::string& name);

}  // namespace nl
