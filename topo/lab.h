// lab.h - the verbs that act on a whole lab. Each returns the process exit status:
// 0 success, 1 a run-time failure, 2 invalid input.
#pragma once

#include <string>
#include <vector>

namespace topo {

struct UpOptions {
  std::string file;
  bool dry_run = false;
  bool keep_on_failure = false;
};

int cmd_up(const UpOptions& options);
int cmd_down(const std::string& lab_or_file);
int cmd_validate(const std::string& file);

// Runs `command` (or, when empty, an interactive shell) in a node; returns its exit status
// (128+N after signal N).
int cmd_exec(const std::string& lab_or_file, const std::string& node,
             const std::vector<std::string>& command);

}  // namespace topo
