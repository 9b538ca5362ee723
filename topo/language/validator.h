// validator.h - the rules that span a whole topology: names, references, addresses, routes.
#pragma once

#include <string>

#include "topo/language/diag.h"
#include "topo/model/model.h"

namespace topo {

// Names, references, links and the file's own addresses. Adds one diagnostic per broken rule.
void validate(const Topology& topology, Diagnostics& diagnostics);

// Routes (devices, gateways on connected subnets), once pool addresses are in place.
void validate_routes(const Topology& topology, Diagnostics& diagnostics);

// The lab-name rule alone, for verbs given a name instead of a file: empty when valid, else why.
std::string lab_name_problem(const std::string& name);
// Why a name of `hosts` cannot be one (the rule of node names).
std::string host_name_problem(const std::string& name);
// Why a scenario name cannot be one (empty, too long, other characters than a node name's).
std::string scenario_name_problem(const std::string& name);

}  // namespace topo
