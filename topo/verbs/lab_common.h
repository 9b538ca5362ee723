// lab_common.h - what the verbs that act on a whole lab share (lab.cc, change.cc).
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "topo/language/loader.h"
#include "topo/plan/converge.h"
#include "topo/plan/planner.h"
#include "topo/run/applier.h"
#include "topo/run/journal.h"
#include "topo/run/node_setup.h"
#include "topo/verbs/log.h"

namespace topo {

// Exit statuses: success, a run-time failure, invalid input; `plan`: there are changes.
inline constexpr int kOk = 0, kFailed = 1, kInvalid = 2, kChanges = 3;

// Logs MESSAGE as an error ("error: MESSAGE"); returns `status`.
int fail(int status, const std::string& message);
double seconds_since(std::chrono::steady_clock::time_point start);
// Loads and checks a file, as lab `name` when one is given (--name); prints its diagnostics
// when there are any.
std::optional<LoadResult> load_checked(const std::string& file, const std::string& name = "");
// The addresses of this machine's interfaces (of the network namespace topo runs in).
std::vector<nl::IpPrefix> local_addresses();
// Of a lab spread over `hosts`, the part this run builds (Topology::here): `flag` (--host), else
// the host whose underlay address this machine has; throws InvalidInput when neither says.
void choose_host(Topology& t, const std::string& flag);
// Namespace switches must not touch the main thread: runs `fn` on a thread of its own.
std::exception_ptr on_own_thread(const std::function<void()>& fn);
// Two descriptors per node (namespace fd and netlink socket): lifts the soft limit to the hard.
void raise_fd_limit();
std::string describe_error(const std::exception_ptr& e);
// Removes what the journal lists; true when everything is gone.
bool take_down(const JournalState& state, const std::string& lab);
// What the plan would create that exists already (and so is not this lab's): namespaces,
// interfaces of the root namespace, /etc/netns links that are not the lab's.
std::vector<std::string> taken_names(const Plan& plan, const LabDirs& dirs);
// Why a lab whose first `up` did not finish cannot be planned or changed.
std::string unfinished_up(const JournalState& journal);
// The file as the journal records it: absolute, or "<stdin>".
std::string absolute_file(const Topology& t);
// The impairments of a plan that need netem, when this kernel has none: the message saying so.
std::optional<std::string> netem_missing_for(const Plan& plan);

// What a running lab was built from, as its journal recorded it: the last complete build, with
// the lab an `up` that changed it was building when it stopped. Throws for a journal that
// records none (an older topo's).
Lab built_lab(const JournalState& running);
// `want` compared with the running lab: what is live read from the kernel (the objects of
// `want` and `before`), `before` what the lab was built from (converge.h).
Convergence compare_with_live(Lab want, Lab before, const JournalState& journal,
                              const LabDirs& dirs);

// `topo plan` of a file already loaded (`up --dry-run` reads standard input once).
int plan_loaded(const LoadResult& loaded, bool as_json);

// Changes a running lab to what `loaded` says (topo up on a running lab); returns the exit
// status. The caller holds the lab's lock.
int converge_running(const LoadResult& loaded, const JournalState& running,
                     std::chrono::steady_clock::time_point start);

// A live one-line count on a terminal (stderr), at most ten times a second; nothing in a pipe
// or with -q. The line is cleared when the object goes.
class ProgressLine {
 public:
  explicit ProgressLine(const char* verb)
      : verb_(verb), shown_(isatty(STDERR_FILENO) && spdlog::should_log(spdlog::level::info)) {}
  ~ProgressLine() {
    if (drawn_) std::fputs("\r\033[K", stderr);
  }
  ProgressFn fn() {
    if (!shown_) return {};
    return [this](const Progress& p) {
      auto now = std::chrono::steady_clock::now();
      if (now - last_ < std::chrono::milliseconds(100)) return;
      last_ = now;
      drawn_ = true;
      std::string text = fmt::format("{}: namespaces {}/{}", verb_, p.netns_done, p.netns_total);
      if (p.links_total) text += fmt::format(", links {}/{}", p.links_done, p.links_total);
      std::fprintf(stderr, "\r\033[K%s", text.c_str());
    };
  }

 private:
  const char* verb_;
  bool shown_, drawn_ = false;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace topo
