#include "topo/run/runner.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>

#include <fmt/format.h>

#include "netlink/error.h"
#include "topo/entry/entry.h"
#include "topo/model/fd.h"

namespace topo {

namespace {

// What the child tells the parent through a close-on-exec pipe when it fails before exec.
struct ChildFailure {
  int errnum;
  char step[120];
};

[[noreturn]] void child_fail(int pipe_fd, const char* step) {
  ChildFailure f{errno, {}};
  strncpy(f.step, step, sizeof f.step - 1);
  ssize_t ignored = write(pipe_fd, &f, sizeof f);
  (void)ignored;
  _exit(127);
}

}  // namespace

pid_t spawn_in_node(const NodeContext& node, const SpawnOptions& options) {
  // Everything the child needs is made before fork: after it, only system calls.
  NodeEntry entry;
  entry.prepare(node, options.argv, options.daemon);
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0)
    throw std::runtime_error(fmt::format("pipe: {}", nl::errno_text(errno)));

  bool joined;
  pid_t pid = cgroup::fork_into(entry.cgroup, joined);
  if (pid < 0) {
    int err = errno;
    close(report[0]);
    close(report[1]);
    throw std::runtime_error(fmt::format("fork: {}", nl::errno_text(err)));
  }
  if (pid == 0) {
    close(report[0]);
    int w = report[1];
    if (!joined) child_fail(w, "join the lab's cgroup");
    if (options.new_session && setsid() < 0) child_fail(w, "setsid");
    for (auto [from, to] :
         {std::pair{options.stdin_fd, 0}, {options.stdout_fd, 1}, {options.stderr_fd, 2}})
      if (from >= 0 && dup2(from, to) < 0) child_fail(w, "redirect standard streams");
    // The command gets 0-2 and nothing else, whatever topo itself was given (the report pipe
    // still reports a failure up to the exec). Best effort: kernels before 5.11 lack it.
    close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    child_fail(w, enter_and_exec(entry));
  }
  close(report[1]);
  ChildFailure failure;
  ssize_t n;
  while ((n = read(report[0], &failure, sizeof failure)) < 0 && errno == EINTR) {
  }
  close(report[0]);
  if (n == static_cast<ssize_t>(sizeof failure)) {
    wait_exit_status(pid);
    std::string what = failure.step == std::string_view(kExecStep)
                           ? fmt::format("run `{}`", options.argv.at(0))
                           : std::string(failure.step);
    throw std::runtime_error(
        fmt::format("node {}: cannot {}: {}", node.node, what, nl::errno_text(failure.errnum)));
  }
  return pid;
}

Captured run_captured(const NodeContext& node, const std::vector<std::string>& argv,
                      std::chrono::steady_clock::time_point deadline,
                      const std::atomic<bool>* stop) {
  nl::Fd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC | O_NONBLOCK) != 0) throw std::runtime_error("pipe failed");
  nl::Fd out_r(out_pipe[0]), out_w(out_pipe[1]);
  if (pipe2(err_pipe, O_CLOEXEC | O_NONBLOCK) != 0) throw std::runtime_error("pipe failed");
  nl::Fd err_r(err_pipe[0]), err_w(err_pipe[1]);
  SpawnOptions options{argv, null.get(), out_w.get(), err_w.get(), /*new_session=*/true};
  // The child's ends must block: pipes made non-blocking here are so on both sides.
  fcntl(out_w.get(), F_SETFL, 0);
  fcntl(err_w.get(), F_SETFL, 0);
  pid_t pid = spawn_in_node(node, options);
  out_w.reset();
  err_w.reset();
  Captured c;
  auto drain = [](int fd, std::string& into) {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) into.append(buf, n);
  };
  // Until the command exits (what it leaves in the background may keep the pipes open).
  for (;;) {
    pollfd fds[2] = {{out_r.get(), POLLIN, 0}, {err_r.get(), POLLIN, 0}};
    poll(fds, 2, 20);
    drain(out_r.get(), c.out);
    drain(err_r.get(), c.err);
    int raw;
    pid_t r = waitpid(pid, &raw, WNOHANG);
    if (r == pid) {
      c.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
      break;
    }
    c.interrupted = stop && stop->load();
    c.timed_out = !c.interrupted && std::chrono::steady_clock::now() >= deadline;
    if (c.interrupted || c.timed_out) {
      kill(-pid, SIGKILL);  // the command's whole session
      c.status = wait_exit_status(pid);
      break;
    }
  }
  drain(out_r.get(), c.out);
  drain(err_r.get(), c.err);
  return c;
}

int wait_exit_status(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return 127;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 127;
}

}  // namespace topo
