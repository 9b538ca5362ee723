// flow_brackets.h - where a YAML flow collection that is never closed was opened.
//
// yaml-cpp notices a `[` or `{` without its `]` or `}` only where the text stops making sense,
// which is often the end of the file; a person looks for the bracket.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "topo/model/model.h"

namespace topo {

struct OpenBracket {
  Pos pos;       // line and column (1-based, in bytes) of the bracket
  char bracket;  // '[' or '{'
};

// The innermost `[` or `{` still open at byte `stop` of `text` (where the parser gave up),
// reading the text as YAML does: a bracket in a quoted string, a comment, a block scalar
// (`|`, `>`) or in the middle of a plain word (`echo [x` in block context) opens nothing.
// nullopt when none is open there.
std::optional<OpenBracket> unclosed_bracket(std::string_view text, size_t stop);

}  // namespace topo
