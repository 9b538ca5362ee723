// privileges.h - whether this process may create namespaces and configure their networks.
#pragma once

#include <string>

namespace topo {

// Throws std::runtime_error, one sentence saying what is missing for `verb`, unless the
// effective capabilities include CAP_NET_ADMIN and CAP_SYS_ADMIN.
void require_privileges(const std::string& verb);
// require_privileges for callers not yet moved to it (lab.cc, change.cc, node_exec.cc): that
// sentence, else empty.
std::string missing_privileges(const std::string& verb);

}  // namespace topo
