// version.h - which topo this is: the version CMake's project() gives, and the commit it was
// built from (for bug reports; `topo --version`, the --json outputs, the journal's header).
#pragma once

#include <string>

namespace topo {

const char* topo_version();  // "0.1.0"
const char* topo_commit();   // "c9f5b44a1b2c" ("-dirty" when built with changes); "" outside git

// "0.1.0 (commit c9f5b44a1b2c)", or "0.1.0" when the commit is not known.
inline std::string version_text() {
  std::string commit = topo_commit();
  return commit.empty() ? topo_version() : std::string(topo_version()) + " (commit " + commit + ")";
}

}  // namespace topo
