// validator.h - the rules that span a whole topology: names, references, addresses, routes.
#pragma once

#include <string>

#include "topo/diag.h"
#include "topo/model.h"

namespace topo {

// Adds one diagnostic per broken rule; nothing is created, nothing stops at the first error.
void validate(const Topology& topology, Diagnostics& diagnostics);

// The lab-name rule alone, for verbs given a name instead of a file: empty when valid, else why.
std::string lab_name_problem(const std::string& name);

}  // namespace topo
