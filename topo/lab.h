// lab.h - the verbs that act on a whole lab. Each returns the process exit status:
// 0 success, 1 a run-time failure, 2 invalid input.
#pragma once

#include <string>

namespace topo {

struct UpOptions {
  std::string file;
  bool dry_run = false;
  bool keep_on_failure = false;
};

int cmd_up(const UpOptions& options);
int cmd_down(const std::string& lab_or_file);
int cmd_validate(const std::string& file);

}  // namespace topo
