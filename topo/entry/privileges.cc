#include "topo/entry/privileges.h"

#include <linux/capability.h>

#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>

namespace topo {

void require_privileges(const std::string& verb) {
  std::ifstream status("/proc/self/status");
  uint64_t effective = 0;
  for (std::string line; std::getline(status, line);)
    if (line.rfind("CapEff:", 0) == 0) effective = std::stoull(line.substr(7), nullptr, 16);
  bool net_admin = effective & (uint64_t{1} << CAP_NET_ADMIN);
  bool sys_admin = effective & (uint64_t{1} << CAP_SYS_ADMIN);
  if (net_admin && sys_admin) return;
  throw std::runtime_error(
      "topo " + verb +
      " must run as root (it needs CAP_NET_ADMIN and CAP_SYS_ADMIN to create namespaces and "
      "configure their networks): try sudo topo " +
      verb + " ...");
}

}  // namespace topo
