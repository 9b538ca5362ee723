// privileges.h - whether this process may create namespaces and configure their networks.
#pragma once

#include <string>

namespace topo {

// Throws std::runtime_error, one sentence saying what is missing for `verb`, unless the
// effective capabilities include CAP_NET_ADMIN and CAP_SYS_ADMIN.
void require_privileges(const std::string& verb);

}  // namespace topo
