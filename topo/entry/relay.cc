#include "topo/entry/relay.h"

#include <errno.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

namespace topo {

namespace {

// The signals passed on; the stop signals (Ctrl-Z) stop topo and the command together, as
// members of one process group.
constexpr int kRelayed[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM, SIGWINCH};

volatile sig_atomic_t child_pid = 0;

void pass_on(int signal, siginfo_t* info, void*) {
  // SI_KERNEL: sent by a terminal to its foreground process group, which the child is in.
  if (child_pid > 0 && info->si_code != SI_KERNEL) kill(child_pid, signal);
}

}  // namespace

sigset_t block_relayed_signals() {
  sigset_t relayed, old;
  sigemptyset(&relayed);
  for (int s : kRelayed) sigaddset(&relayed, s);
  sigprocmask(SIG_BLOCK, &relayed, &old);
  return old;
}

void relay(pid_t child, const sigset_t& old) {
  child_pid = child;
  struct sigaction action {};
  action.sa_sigaction = pass_on;
  action.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&action.sa_mask);
  for (int s : kRelayed) sigaction(s, &action, nullptr);
  sigprocmask(SIG_SETMASK, &old, nullptr);
  int status = 0;
  while (waitpid(child, &status, 0) < 0)
    if (errno != EINTR) _exit(127);
  if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
  int signal = WTERMSIG(status);
  // Killed by the same signal, so that a shell sees what it would have seen of the command; no
  // core file of topo for the command's.
  rlimit no_core{0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  struct sigaction fatal {};
  fatal.sa_handler = SIG_DFL;
  sigaction(signal, &fatal, nullptr);
  sigset_t just;
  sigemptyset(&just);
  sigaddset(&just, signal);
  sigprocmask(SIG_UNBLOCK, &just, nullptr);
  kill(getpid(), signal);
  _exit(128 + signal);
}

}  // namespace topo
