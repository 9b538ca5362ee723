// main.cc - topo's entry point: every failure becomes a message and an exit status.
#include <cstdio>
#include <exception>

#include "topo/entry/safe_fs.h"
#include "topo/verbs/cli.h"

int main(int argc, char** argv) {
  topo::ensure_std_fds();  // before anything is opened: a log line must never land in a file
  try {
    return topo::run_cli(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "error: unexpected failure\n");
  }
  return 1;
}
