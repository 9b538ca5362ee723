// loader.h - reads a topology file into the model, reporting every mistake with its place.
#pragma once

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

// Reads and checks a file: YAML syntax, keys, types, values (loader), then the rules that span
// the file (validator). `path` "-" reads standard input. The topology is usable only when
// diagnostics are empty.
LoadResult load_file(const std::string& path);

// Whether `s` is UTF-8, as everything a topology file gives must be (it goes into JSON).
bool is_utf8(std::string_view s);

// The same from text already in memory; `label` names it in messages, `dir` resolves paths.
// Disk::skip leaves the files `from:` names unread (node_files.h).
LoadResult load_text(const std::string& label, std::string text, const std::string& dir,
                     Disk disk = Disk::read);

}  // namespace topo
