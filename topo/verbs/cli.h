// cli.h - the command line: parses arguments with CLI11 and calls a verb.
#pragma once

namespace topo {

// Returns the process exit status (0 ok, 1 run-time failure, 2 invalid input or usage).
int run_cli(int argc, char** argv);

}  // namespace topo
