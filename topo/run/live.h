// live.h - what a running lab has now: its objects read back from the kernel, the journal and
// the lab's files, as a Lab to compare with what its file asks for (converge.h).
#pragma once

#include "topo/plan/converge.h"
#include "topo/run/journal.h"
#include "topo/run/node_setup.h"

namespace topo {

// Reads the objects `known` names (what the file wants and what the lab was built from): a
// namespace counts only if it is the one the journal recorded (same inode); a veth pair only if
// both ends are there and are each other's peer; a daemon only if its journaled pid still runs
// in its node; an impairment only if the end still has its qdisc. Throws nl::Error when the
// kernel cannot be read.
// Interfaces have the kernel's slots; a daemon has its pid and no cmd or config; a node its
// namespace's identity.
Lab read_live(const Lab& known, const JournalState& journal, const LabDirs& dirs);

}  // namespace topo
