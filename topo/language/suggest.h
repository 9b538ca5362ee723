// suggest.h - "did you mean" for misspelt names.
#pragma once

#include <string>
#include <vector>

namespace topo {

// " (did you mean `nodes`?)" when one candidate is close to `word`, else "".
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace topo
