#include "topo/language/diag.h"

#include <algorithm>
#include <sstream>

#include <fmt/format.h>

namespace topo {

Diagnostics::Diagnostics(std::string file, std::string text) : file_(std::move(file)) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines_.push_back(line);
}

void Diagnostics::error(Pos pos, std::string message) {
  list_.push_back({pos, std::move(message)});
}

std::string Diagnostics::render() const {
  std::vector<Diagnostic> sorted = list_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.pos.line, a.pos.col) < std::tie(b.pos.line, b.pos.col);
  });
  std::string out;
  for (const Diagnostic& d : sorted) {
    if (d.pos.line <= 0) {
      out += fmt::format("{}: {}\n", file_, d.message);
      continue;
    }
    out += fmt::format("{}:{}:{}: {}\n", file_, d.pos.line, d.pos.col, d.message);
    if (static_cast<size_t>(d.pos.line) > lines_.size()) continue;
    std::string line = lines_[d.pos.line - 1];
    std::replace(line.begin(), line.end(), '\t', ' ');
    std::string number = std::to_string(d.pos.line);
    out += fmt::format(" {} | {}\n", number, line);
    out += fmt::format(" {} | {}^\n", std::string(number.size(), ' '),
                       std::string(std::max(d.pos.col - 1, 0), ' '));
  }
  return out;
}

}  // namespace topo
