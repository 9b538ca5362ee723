// node_exec.h - `topo exec`: a command, or a shell, inside a node of a running lab. Linked into
// the lean `topo` front end too (see entry.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace topo {

// A node of a running lab as its journal (run/journal.h) records it: what `topo exec` needs.
struct JournalNode {
  enum class Found { no_header, no_node, node };
  Found found = Found::no_header;
  std::string netns;  // the node's namespace (found: node)
  std::string file;   // the lab's topology file, as the header names it
};

// Finds `node` among the records of `journal` (the journal's text), parsing only the records
// that can name it: the `built` record (the whole lab, the biggest line by far) is skipped at
// its first field, so that this costs about the same in a lab of 10 nodes or 10,000. A node is
// one with a `netns` record under the header's prefix that no `netns-gone` followed; a LAN's
// namespace (kind "lan") is not a node.
JournalNode find_node_in_journal(std::string_view journal, std::string_view node);

// Runs `command` (or, when empty, an interactive shell) in a node of the running lab: the
// command replaces this process, or is born in the lab's cgroup as its child and this process
// stands in for it (relay.h). Returns only on failure, with topo's exit status.
int exec_in_node(const std::string& lab, const std::string& node,
                 const std::vector<std::string>& command);

}  // namespace topo
