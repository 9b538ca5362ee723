// json_text.h - JSON for people and scripts, of values that may hold text from outside topo.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "topo/model/version.h"

namespace topo {

// A command's output or a name the kernel reports may hold bytes that are not UTF-8, on which
// nlohmann's dump() throws: those become U+FFFD instead. `indent` as dump()'s (-1: one line).
inline std::string json_text(const nlohmann::json& value, int indent = 2) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

// A verb's --json output: an object names the topo that made it ("topo": "0.1.0 (commit ...)"),
// for bug reports and for scripts that depend on a version.
inline std::string json_report(nlohmann::json value) {
  if (value.is_object()) value["topo"] = version_text();
  return json_text(value);
}

}  // namespace topo
