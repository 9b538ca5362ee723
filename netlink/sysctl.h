// sysctl.h - per-namespace kernel settings under /proc/sys/net.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "netlink/netns.h"

namespace nl {

// The /proc/sys path of a key: "net.ipv4.ip_forward" -> "/proc/sys/net/ipv4/ip_forward"; a key
// written with slashes ("net/ipv4/conf/eth0.10/rp_filter") is taken as a path as it is.
std::string sysctl_path(const std::string& key);

// Writes a sysctl as seen from inside `ns`: /proc/sys/net resolves against the netns of the
// thread that opens it, so the calling thread enters the namespace for the open.
void write_sysctl(Netns& ns, const std::string& key, const std::string& value);

// Reads a sysctl as seen from inside `ns` (its value without the trailing newline); nullopt
// when the key does not exist there.
std::optional<std::string> read_sysctl(Netns& ns, const std::string& key);

// The values these keys have in a namespace just made (what a setting that is no longer
// wanted goes back to). Keys that do not exist there are left out.
std::map<std::string, std::string> fresh_netns_sysctls(const std::vector<std::string>& keys);

}  // namespace nl
