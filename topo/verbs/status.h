// status.h - `topo status`: a running lab as the kernel has it now, compared with its journal.
#pragma once

#include <nlohmann/json.hpp>

#include "topo/run/journal.h"

namespace topo {

// Every running lab, one object each: name, nodes, links, file, since, state.
nlohmann::json labs_summary();

// One lab, read live from its namespaces: per node its netns, kind, state (running, stopped or
// paused: `topo node`), interfaces (name, state,
// mac, mtu, addresses, peer, impairment, rx/tx packets) and daemons (name, pid, running), and
// the drift: what the journal has that the kernel no longer does.
nlohmann::json lab_status(const JournalState& state);

// Tables for people, from the same JSON; colour when `colour`.
std::string summary_table(const nlohmann::json& labs, bool colour);
std::string status_table(const nlohmann::json& status, bool colour);

}  // namespace topo
