// checks_changed.h - the parts of a lab's file that change nothing in its network (its tests,
// scenarios and `ready`), compared between the copy stored with a running lab and a file.
#pragma once

#include <string>
#include <vector>

namespace topo {

// The top-level keys among `tests`, `scenarios` and `ready` (in that order) whose values differ
// between two texts of a topology file, compared as YAML values: comments, layout, quotes, the
// order of a mapping's keys and anchors make no difference; a key added or removed does. None
// when either text is not a YAML mapping (a damaged copy: nothing can be said).
std::vector<std::string> changed_checks(const std::string& before, const std::string& after);

}  // namespace topo
