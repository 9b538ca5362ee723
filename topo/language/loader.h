// loader.h - reads a topology file into the model, reporting every mistake with its place.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "topo/language/diag.h"
#include "topo/language/node_files.h"
#include "topo/model/model.h"

namespace topo {

struct LoadResult {
  Topology topology;
  Diagnostics diagnostics;
  std::string text;  // the file's bytes, as read
};

// The lab a file is read as, over the file's own `name` and `prefix`: `topo up --name NAME`
// gives the name (another instance of the same lab, its namespaces NAME-<node>); a running lab's
// stored copy is read with the name and prefix its journal has. The name is checked by whoever
// gives it (lab_name_problem).
struct Naming {
  std::string name;                   // empty: the file's `name` and `prefix`
  std::optional<std::string> prefix;  // with a name: NAME- unless given
};

// Reads and checks a file: YAML syntax, keys, types, values (loader), then the rules that span
// the file (validator). `path` "-" reads standard input. The topology is usable only when
// diagnostics are empty.
LoadResult load_file(const std::string& path, const Naming& naming = {});

// Whether `s` is UTF-8, as everything a topology file gives must be (it goes into JSON).
bool is_utf8(std::string_view s);

// The same from text already in memory; `label` names it in messages, `dir` resolves paths.
// Disk::skip leaves the files `from:` names unread (node_files.h).
LoadResult load_text(const std::string& label, std::string text, const std::string& dir,
                     Disk disk = Disk::read, const Naming& naming = {});

}  // namespace topo
