#include "topo/language/checks_changed.h"

#include <yaml-cpp/yaml.h>

namespace topo {

namespace {

// Equal as values: scalars by their text (quoted or not), sequences in order, mappings by key
// whatever the order. (Both files passed the loader's expansion check: aliases cannot make this
// blow up.)
bool same_value(const YAML::Node& a, const YAML::Node& b) {
  if (a.Type() != b.Type()) return false;
  switch (a.Type()) {
    case YAML::NodeType::Scalar:
      return a.Scalar() == b.Scalar();
    case YAML::NodeType::Sequence:
      if (a.size() != b.size()) return false;
      for (size_t i = 0; i < a.size(); i++)
        if (!same_value(a[i], b[i])) return false;
      return true;
    case YAML::NodeType::Map:
      if (a.size() != b.size()) return false;
      for (const auto& entry : a) {
        if (!entry.first.IsScalar()) return false;  // the file's keys are all plain words
        YAML::Node other = b[entry.first.Scalar()];
        if (!other.IsDefined() || !same_value(entry.second, other)) return false;
      }
      return true;
    default:  // null or undefined
      return true;
  }
}

}  // namespace

std::vector<std::string> changed_checks(const std::string& before, const std::string& after) {
  YAML::Node a, b;
  try {
    a = YAML::Load(before);
    b = YAML::Load(after);
  } catch (const YAML::Exception&) {
    return {};
  }
  if (!a.IsMap() || !b.IsMap()) return {};
  std::vector<std::string> changed;
  for (const std::string key : {"tests", "scenarios", "ready"}) {
    // Through const nodes: looking a key up must not add it.
    const YAML::Node& ca = a;
    const YAML::Node& cb = b;
    YAML::Node x = ca[key], y = cb[key];
    if (x.IsDefined() != y.IsDefined() || (x.IsDefined() && !same_value(x, y)))
      changed.push_back(key);
  }
  return changed;
}

}  // namespace topo
