// applier.h - runs a plan through a backend, journaling each owned object before it exists,
// and takes a lab apart from its journal.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "topo/plan/planner.h"
#include "topo/run/backend.h"
#include "topo/run/journal.h"

namespace topo {

// How far a run has got: namespaces and links made (or, for teardown, namespaces removed).
struct Progress {
  size_t netns_done = 0, netns_total = 0;
  size_t links_done = 0, links_total = 0;
};
using ProgressFn = std::function<void(const Progress&)>;

// Applies every action in order, as apply_plan does, without the `complete` record that ends a
// whole lab's change: for a change to part of a running lab (a node started again).
void apply_actions(const Plan& plan, Backend& backend, JournalWriter& journal,
                   const ProgressFn& progress = {});

// Applies every action in order. Namespaces and veths are written to the journal in one batch
// before the batch is created, and each namespace's identity before it is bound at its name.
// Throws what the backend throws; the caller rolls back.
void apply_plan(const Plan& plan, Backend& backend, JournalWriter& journal,
                const ProgressFn& progress = {});

// Removes what a journal says was created (a namespace only if it is the one recorded). Returns
// one line per object that could not be removed (empty: everything is gone).
std::vector<std::string> teardown(const JournalState& state, Backend& backend,
                                  const ProgressFn& progress = {});

}  // namespace topo
