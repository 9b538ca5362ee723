// expansion.h - how much a topology file grows as topo reads it. An alias (`*name`) repeats
// what its anchor (`&name`) names, and `defaults` is copied into every node: a file of a few
// kilobytes can name gigabytes that way. The loader refuses a file that would grow past a
// limit before it copies anything.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "topo/model/model.h"

namespace topo {

// How a repeated value is counted: its characters, and this much more for the place it takes
// (so that lists of empty values count too). Lists and maps count this much for themselves.
inline constexpr uint64_t kValueWeight = 16;

// What aliases and `defaults` may repeat in all: 16 MiB, or 8 times the file's size when that
// is more (memory then grows with the file, not with what it names).
inline constexpr uint64_t kRepeatLimit = uint64_t{16} << 20;
inline constexpr uint64_t kRepeatPerFileByte = 8;
uint64_t repeat_limit(size_t file_size);

struct ExpansionProblem {
  Pos pos;  // the alias that crossed the limit, or the `defaults` key
  std::string message;
};

// Reads the text's YAML events (no tree is built, nothing is copied); nullopt when its aliases
// and `defaults` repeat no more than the limit allows. Throws YAML::ParserException on a
// syntax error, as YAML::Load would.
std::optional<ExpansionProblem> expansion_problem(const std::string& text);

// "512 B", "1.5 KiB", "16.0 MiB": a size for people.
std::string size_text(uint64_t bytes);

}  // namespace topo
