// state.h - where a lab's run-time state lives, and the lock that makes one writer per lab.
//
//   /run/topo/                 0755
//   /run/topo/<lab>/           0711  (node directories go here: daemons may need to reach them)
//   /run/topo/<lab>/state/     0700  journal (0600) and lock (0600): root only
//   /run/topo/.failed/<lab>/   0700  (.failed 0700) log/: the logs of the lab's last first `up`
//                                    that failed and was rolled back (no lab name starts with .)
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "topo/entry/places.h"
#include "topo/model/fd.h"

namespace topo {

// Replaces a file of the lab's state directory (the stored copy of its topology file) with
// `content`: written beside it and renamed over it, so that it is whole or not changed. Throws
// "cannot write PATH: REASON" when it cannot.
void write_state_file(const std::string& path, std::string_view content);

// Where the logs of a lab whose first `up` failed are kept once it is rolled back:
// /run/topo/.failed/<lab> (`run_dir`: /run/topo).
std::string failed_logs_dir(const std::string& run_dir, const std::string& lab);

// Removes the logs kept of a lab's failed `up` (and /run/topo/.failed once it is empty); what
// could not be removed ("PATH: reason"), empty when nothing is left. Nothing kept: nothing to do.
std::vector<std::string> remove_failed_logs(const std::string& run_dir, const std::string& lab);

// Another topo process holds the lab.
struct LabBusy : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class LabLock {
 public:
  // Creates the lab's directories as needed and takes its lock without waiting. Throws LabBusy
  // (naming the holder's pid and verb) when another process has it.
  static LabLock acquire(const LabPaths& paths, const std::string& lab, const std::string& verb);
  // The same for a verb that only looks at or changes a running lab: creates nothing, and
  // nullopt when the lab has no lock file (it is not running, or a `down` just removed it).
  static std::optional<LabLock> acquire_existing(const LabPaths& paths, const std::string& lab,
                                                 const std::string& verb);

  // After `down`: removes the lab's directories and all in them, the journal and the lock file
  // last, while still holding the lock (a process that opened the old lock file notices it is
  // gone and retries); never through a symlink (a node's directory may be a user's). Returns
  // what could not be removed ("PATH: reason"): empty when nothing of the lab is left.
  std::vector<std::string> remove_all();

  // Before a failed first `up` removes the lab: moves its log directory (/run/topo/<lab>/log)
  // to failed_logs_dir()/log, replacing what an earlier failure of the lab left there. The
  // directory it is now, or nullopt when the lab wrote no log. Throws std::runtime_error
  // ("PATH: REASON") when it cannot be kept.
  std::optional<std::string> keep_logs();

  // Before `down` stops the lab's processes: from now until the lock goes, no command starts in
  // the lab (each holds the lab's directory shared while it starts, until it is in the lab's
  // cgroup: see LabDirHold), so none can start after the processes were stopped. Waits at most
  // 10 s for those starting now. Throws std::runtime_error ("PATH: REASON") on failure.
  void shut_out_commands();

 private:
  LabLock(LabPaths paths, nl::Fd fd) : paths_(std::move(paths)), fd_(std::move(fd)) {}
  LabPaths paths_;
  nl::Fd fd_;
  nl::Fd lab_dir_;  // held exclusively (shut_out_commands)
};

}  // namespace topo
