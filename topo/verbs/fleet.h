// fleet.h - `topo up FILE --all-hosts` and `topo down LAB --all-hosts`: every host of a lab
// spread over `hosts` runs its own part with a topo of its own, all at once, reached through the
// user's OpenSSH as it is (keys, ~/.ssh/config, agent). No controller: each host reads the same
// file and builds its part (`topo up - --host NAME`, the file on standard input).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "topo/language/diag.h"
#include "topo/model/ip.h"
#include "topo/model/model.h"
#include "topo/verbs/lab.h"

namespace topo {

// How the fleet reaches a host: the ssh command line, to which `-o BatchMode=yes -- DEST
// COMMAND` is added, and the topo that runs on the other end (in the remote user's PATH, or a
// path); this topo (for the host that is this machine); -q or -v, given to every topo.
struct FleetTools {
  std::vector<std::string> ssh = {"ssh"};
  std::string remote_topo = "topo";
  std::string self;
  std::vector<std::string> log_flags;
  // TOPO_SSH (a command line, split on spaces: `ssh -F ~/lab/ssh_config`) and TOPO_REMOTE (the
  // remote topo), when set; /proc/self/exe; the level of topo's own log.
  static FleetTools from_environment();
};

// One host's command: `argv` run here, with the file on standard input or with none (EOF), in
// `cwd` ("": this process's).
struct HostCommand {
  std::string host;
  std::vector<std::string> argv;
  std::string cwd;
};

// Where the file reads its own folder (the first `from:` or relative `bind:`), if it does: its
// hosts need the folder at the same path, a ConfigMap cannot carry it.
std::optional<Pos> reads_its_folder(const Topology& t);

// The command of each host of `t`, in the file's order, to run the topo words `words(host)`
// there: through ssh to the host's `ssh:` destination, or, for the one host without `ssh:`
// whose underlay address is among `local` (this machine's addresses), this topo itself. A
// host without `ssh:` that is not this machine is an error at its name, in `diagnostics`, as is
// a second one that is. When `in_folder`, the topo runs in the file's directory (t.dir) on
// every host.
std::vector<HostCommand> fleet_commands(
    const Topology& t, const std::vector<nl::IpPrefix>& local, const FleetTools& tools,
    const std::function<std::vector<std::string>(const Host&)>& words, bool in_folder,
    Diagnostics& diagnostics);

// `ssh` joins its command's words with spaces for the remote shell: each word quoted for it
// (as it is, when it needs no quotes).
std::string shell_quoted(const std::string& word);

// Runs every command at once: `input` on the standard input of each; each line of each one's
// standard output and error written, as it comes, to topo's own, after "[HOST] ". Returns each
// command's exit status (128+N after signal N, 127 when it could not start), in order.
std::vector<int> run_on_hosts(const std::vector<HostCommand>& commands, const std::string& input);

// The verbs. Exit status 0 when every host succeeded, 1 when any failed (named; an `up` that
// failed anywhere is taken down everywhere, unless `keep_on_failure`), 2 for a file or an
// option that is wrong before anything runs.
int cmd_up_all_hosts(const UpOptions& options);  // keep_on_failure and wait: as every host's
// LAB: its file, or the name of a lab this machine runs a part of (its hosts are those of the
// copy of the file its `up` stored).
int cmd_down_all_hosts(const std::string& lab_or_file, bool force);

}  // namespace topo
