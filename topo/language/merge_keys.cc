#include "topo/language/merge_keys.h"

#include <vector>

namespace topo {

namespace {

Pos pos_of(const YAML::Node& n) {
  YAML::Mark m = n.Mark();
  return m.line < 0 ? Pos{} : Pos{m.line + 1, m.column + 1};
}

// Plain `<<` only: a quoted "<<" is a key like any other.
bool is_merge_key(const YAML::Node& key) {
  return key.IsScalar() && key.Tag() == "?" && key.Scalar() == "<<";
}

class Merger {
 public:
  explicit Merger(Diagnostics& diags) : diags_(diags) {}

  void visit(YAML::Node node) {
    if (!node.IsMap() && !node.IsSequence()) return;
    // An alias inside the value its own anchor names makes a cycle: it always leads back to
    // a value being visited.
    for (const YAML::Node& open : open_)
      if (open.is(node)) return;
    open_.push_back(node);
    if (node.IsSequence()) {
      for (YAML::Node item : node) visit(item);
    } else {
      merge(node);
    }
    open_.pop_back();
  }

 private:
  Diagnostics& diags_;
  std::vector<YAML::Node> open_;  // the values being visited, outermost first

  // The mappings a `<<` names, each merged itself first.
  void sources(const YAML::Node& value, std::vector<YAML::Node>& out) {
    const char* expected =
        "the merge key `<<` takes a mapping or a list of mappings, like `<<: *name` or "
        "`<<: [*a, *b]`";
    if (value.IsMap()) {
      out.push_back(value);
      return;
    }
    if (!value.IsSequence()) {
      diags_.error(pos_of(value), expected);
      return;
    }
    for (const YAML::Node& item : value) {
      if (item.IsMap())
        out.push_back(item);
      else
        diags_.error(pos_of(item), expected);
    }
  }

  void merge(YAML::Node map) {
    std::vector<YAML::Node> merge_keys, from;
    for (auto kv = map.begin(); kv != map.end(); ++kv) {
      visit(kv->second);
      if (!is_merge_key(kv->first)) continue;
      if (!merge_keys.empty())
        diags_.error(pos_of(kv->first),
                     "a second merge key `<<` in one mapping: give the first a list, like "
                     "`<<: [*a, *b]`");
      else
        sources(kv->second, from);
      merge_keys.push_back(kv->first);
    }
    for (const YAML::Node& key : merge_keys) map.remove(key);
    const YAML::Node& view = map;  // looked up without adding an entry
    for (const YAML::Node& source : from)
      for (auto kv = source.begin(); kv != source.end(); ++kv)
        if (!kv->first.IsScalar() || !view[kv->first.Scalar()])
          map.force_insert(kv->first, kv->second);
  }
};

}  // namespace

void apply_merge_keys(YAML::Node root, Diagnostics& diags) {
  Merger(diags).visit(root);
}

}  // namespace topo
