// capture_ends.h - which ends of a running lab `topo capture` listens on.
#pragma once

#include <string>
#include <vector>

#include "topo/model/lab.h"
#include "topo/run/journal.h"

namespace topo {

// The ends the words name, each once, in the order named: a word is an end (`node:iface`,
// `_lanN:pK` or `_<name>:pK` for a LAN's port, `host:IFACE`), a node (all its ends), or a link: all
// its ends, separated by commas (`r1:eth1,r2:eth1`; a LAN's `h1:eth1,h2:eth1,r1:eth2` brings its
// ports too), in brackets or not, in one word or several (`[h1:eth1,` `h2:eth1]`: the shell's words
// of the file's own way of writing it). No word: every end of the lab, in the order its links
// were made. `veths` are the lab's (from its journal). Throws InvalidInput for a word that
// names none, with a suggestion when one is close.
std::vector<End> select_ends(const std::string& lab, const std::vector<JournalVeth>& veths,
                             const std::vector<std::string>& words);

}  // namespace topo
