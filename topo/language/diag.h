// diag.h - errors found in a topology file, shown as FILE:LINE:COL with the line and a caret.
#pragma once

#include <string>
#include <vector>

#include "topo/model/model.h"

namespace topo {

struct Diagnostic {
  Pos pos;
  std::string message;
};

class Diagnostics {
 public:
  Diagnostics(std::string file, std::string text);

  void error(Pos pos, std::string message);
  bool empty() const { return list_.empty(); }
  size_t size() const { return list_.size(); }
  const std::vector<Diagnostic>& list() const { return list_; }

  // Every error in file order, each as
  //   lab.yaml:7:12: unknown node "r9" in endpoint "r9:eth1"
  //       7 |   - endpoints: [r1:eth1, r9:eth1]
  //         |                          ^
  std::string render() const;

 private:
  std::string file_;
  std::vector<std::string> lines_;
  std::vector<Diagnostic> list_;
};

}  // namespace topo
