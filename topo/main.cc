// main.cc - topo's entry point: every failure becomes a message and an exit status.
#include <cstdio>
#include <exception>

#include "topo/cli.h"

int main(int argc, char** argv) {
  try {
    return topo::run_cli(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "error: unexpected failure\n");
  }
  return 1;
}
