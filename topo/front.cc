// front.cc - the `topo` command.
//
// `topo exec LAB NODE [--] [CMD...]` on a running lab is served here, by a small program that
// loads no C++ shared library (libstdc++ is linked in) and none of spdlog, fmt, yaml-cpp, libnl
// or CLI11: their dynamic loading and start-up alone cost more than all of `ip netns exec`.
// Every other command line, and exec given a topology file, is topo-core's: this execs it, with
// the same arguments, from beside this binary or from ../libexec/topo/.
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "topo/entry/node_exec.h"
#include "topo/entry/safe_fs.h"

namespace {

// -v, -q, -vv, --verbose, --quiet: they change nothing for exec.
bool is_output_flag(std::string_view word) {
  if (word == "--verbose" || word == "--quiet") return true;
  return word.size() >= 2 && word[0] == '-' &&
         word.find_first_not_of("vq", 1) == std::string_view::npos;
}

// Whether `word` is for exec to take as a lab name here: not an option, not a file (exec reads a
// file's name: topo-core's part), not a path.
bool plain_lab_name(const char* word) {
  struct stat st;
  return word[0] != '-' && word[0] != '.' && !strchr(word, '/') && stat(word, &st) != 0;
}

int run_core(char** argv) {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  std::string dir = n > 0 ? std::string(self, n) : std::string(argv[0]);
  dir = dir.substr(0, dir.rfind('/') + 1);
  int err = ENOENT;
  for (const std::string& core : {dir + "topo-core", dir + "../libexec/topo/topo-core"}) {
    execv(core.c_str(), argv);
    if (errno != ENOENT) err = errno;
  }
  std::fprintf(stderr, "error: cannot run topo-core (beside %s, or in %s../libexec/topo/): %s\n",
               argv[0], dir.c_str(), strerror(err));
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  topo::ensure_std_fds();  // before anything is opened (topo-core does it again: it may be run
                           // alone)
  int verb = 1;
  while (verb < argc && is_output_flag(argv[verb])) verb++;
  // topo [-v|-q] exec LAB NODE [--] [CMD...]
  if (verb + 2 < argc && std::string_view(argv[verb]) == "exec" && plain_lab_name(argv[verb + 1]) &&
      argv[verb + 2][0] != '-') {
    int first = verb + 3;
    if (first < argc && std::string_view(argv[first]) == "--") first++;
    try {
      return topo::exec_in_node(argv[verb + 1], argv[verb + 2],
                                std::vector<std::string>(argv + first, argv + argc));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "error: %s\n", e.what());
      return 1;
    }
  }
  return run_core(argv);
}
