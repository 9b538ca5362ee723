#include "netlink/sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <sched.h>

#include <algorithm>
#include <thread>

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

namespace {

std::optional<std::string> read_value(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return std::nullopt;
  std::string value;
  char buf[256];
  ssize_t n;
  while ((n = ::read(fd.get(), buf, sizeof buf)) > 0) value.append(buf, static_cast<size_t>(n));
  if (n < 0) return std::nullopt;
  while (!value.empty() && value.back() == '\n') value.pop_back();
  return value;
}

}  // namespace

std::optional<std::string> read_sysctl(Netns& ns, const std::string& key) {
  Fd descriptor = ns.descriptor();
  NetnsGuard in(descriptor.get(), ns.name());
  return read_value(sysctl_path(key));
}

std::map<std::string, std::string> fresh_netns_sysctls(const std::vector<std::string>& keys) {
  std::map<std::string, std::string> values;
  std::thread probe([&] {
    // A namespace of this thread's own: it has no name and goes when the thread does.
    if (unshare(CLONE_NEWNET) != 0) return;
    for (const std::string& key : keys) {
      std::optional<std::string> v = read_value(sysctl_path(key));
      // An interface's setting (net.ipv4.conf.eth1.rp_filter): a new interface takes the
      // namespace's default.
      size_t conf = key.find(".conf.");
      if (!v && conf != std::string::npos) {
        size_t iface_end = key.find('.', conf + 6);
        if (iface_end != std::string::npos)
          v = read_value(sysctl_path(key.substr(0, conf + 6) + "default" + key.substr(iface_end)));
      }
      if (v) values[key] = *v;
    }
  });
  probe.join();
  return values;
}

}  // namespace nl
