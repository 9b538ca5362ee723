// privileges.h - whether this process may create namespaces and configure their networks.
#pragma once

#include <string>

namespace topo {

// Empty when the effective capabilities include CAP_NET_ADMIN and CAP_SYS_ADMIN; otherwise one
// sentence saying what is missing, for `verb`.
std::string missing_privileges(const std::string& verb);

}  // namespace topo
