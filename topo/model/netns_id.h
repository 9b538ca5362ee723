// netns_id.h - a network namespace's identity, as a value (netlink/netns.h reads it).
#pragma once

#include <cstdint>

namespace nl {

// What tells one network namespace from every other while the machine runs: the kernel's
// cookie (SO_NETNS_COOKIE, never reused before a reboot) and the nsfs device and inode (the
// inode number alone is given to the next namespace as soon as this one dies).
struct NetnsId {
  uint64_t cookie = 0;  // 0: not known (recorded by a topo that kept the inode alone)
  uint64_t dev = 0;
  uint64_t inode = 0;  // 0: no identity at all
  bool known() const { return inode != 0; }
  // Whether `live` is the namespace this identity was taken of; without a cookie, only the
  // inode can be compared.
  bool matches(const NetnsId& live) const {
    if (!known()) return false;
    if (cookie == 0) return inode == live.inode;
    return cookie == live.cookie && dev == live.dev && inode == live.inode;
  }
  bool operator==(const NetnsId&) const = default;
};

}  // namespace nl
