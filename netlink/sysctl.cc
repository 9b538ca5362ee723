#include "netlink/sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "netlink/error.h"

namespace nl {

std::string sysctl_path(const std::string& key) {
  std::string path = key;
  if (path.find('/') == std::string::npos) std::replace(path.begin(), path.end(), '.', '/');
  return "/proc/sys/" + path;
}

void write_sysctl(Netns& ns, const std::string& key, const std::string& value) {
  std::string path = sysctl_path(key);
  std::string object = key + "=" + value;
  Fd fd;
  {
    Fd descriptor = ns.descriptor();
    NetnsGuard in(descriptor.get(), ns.name());
    fd.reset(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  }
  if (!fd.valid()) throw_errno(ns.name(), object, "set sysctl", errno);
  std::string line = value + "\n";
  ssize_t n = ::write(fd.get(), line.data(), line.size());
  if (n < 0) throw_errno(ns.name(), object, "set sysctl", errno);
  if (static_cast<size_t>(n) != line.size())
    throw Error(ns.name(), object, "set sysctl", EIO, "short write");
}

}  // namespace nl
