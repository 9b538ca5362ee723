// node_exec.h - `topo exec`: a command, or a shell, inside a node of a running lab. Linked into
// the lean `topo` front end too (see entry.h).
#pragma once

#include <string>
#include <vector>

namespace topo {

// Runs `command` (or, when empty, an interactive shell) in a node of the running lab: the
// command replaces this process, or is born in the lab's cgroup as its child and this process
// stands in for it (relay.h). Returns only on failure, with topo's exit status.
int exec_in_node(const std::string& lab, const std::string& node,
                 const std::vector<std::string>& command);

}  // namespace topo
