// merge_keys.h - YAML merge keys (`<<: *anchor`), which yaml-cpp 0.7 reads as a key named "<<"
// (its author leaves them to a layer above the library: jbeder/yaml-cpp#41, #300).
#pragma once

#include <yaml-cpp/yaml.h>

#include "topo/language/diag.h"

namespace topo {

// Every mapping's plain `<<` key replaced by the entries of the mapping it names (or of each
// mapping of a list, the first one first) that the mapping does not have itself: its own
// entries win, as YAML 1.1's merge type says (yaml.org/type/merge.html). Keys merged in keep
// their place in the file (the anchor's), for messages. A `<<` whose value is not a mapping or
// a list of them is reported and dropped.
void apply_merge_keys(YAML::Node root, Diagnostics& diags);

}  // namespace topo
