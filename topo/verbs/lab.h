// lab.h - the verbs that act on a whole lab. Each returns the process exit status:
// 0 success, 1 a run-time failure, 2 invalid input.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "netlink/qdisc.h"

namespace topo {

// A verb may also throw: a failure that is the user's input (exit status 2, its message said as
// an error), any other exception (1), or Reported, when it has said why already.
struct InvalidInput : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct Reported {
  int status;
};

struct UpOptions {
  std::string file;
  std::string name;  // --name: the lab's name instead of the file's (empty: the file's)
  bool dry_run = false;
  bool keep_on_failure = false;
  bool wait = false;       // wait for the `ready` tests (every test when the file has no `ready`)
  std::string host;        // of a lab spread over `hosts`, the part to build ("": this machine's)
  bool all_hosts = false;  // every host's part, each by a topo on its host (fleet.h)
};

struct RunOptions {
  std::string lab, scenario;
  int repeat = 1;
  bool keep = false;  // after the last run, leave the lab as the scenario left it
  bool json = false;
  std::string junit;  // also a JUnit XML report there
};

// The lab a verb's LAB argument names: a lab's name, or a topology file (whose `name` is read).
// nullopt, with the reason (or the file's errors) printed, when it is neither: exit status 2.
std::optional<std::string> lab_name_of(const std::string& lab_or_file);
// Whether a verb's LAB argument is a topology file (an existing file, or - for standard input)
// rather than a lab's name.
bool names_a_file(const std::string& lab_or_file);

// Builds the lab; on a running lab, changes only what differs from the file (see plan).
int cmd_up(const UpOptions& options);
// What `up` would do, creating nothing: on a lab that is not running, its actions; on a running
// one, the changes (+ added, - removed, ~ changed, ! drift put back). Exit status 0 when
// nothing would change, 3 when something would.
// `name` (--name): the lab's name instead of the file's `name`, as for cmd_validate and up.
// `host` (--host): of a lab spread over hosts, this host's part (see choose_host).
int cmd_plan(const std::string& file, bool as_json, const std::string& name = "",
             const std::string& host = "");
// Removes what the lab's journal lists. `force`: a damaged journal too (its readable records).
int cmd_down(const std::string& lab_or_file, bool force = false);
// `name` (--name): the file read as lab `name`, its namespaces NAME-<node> (empty: the file's).
int cmd_validate(const std::string& file, const std::string& name = "");

// Draws a lab from its file: format dot, mermaid or svg (through Graphviz's dot); to `out`, or
// standard output when it is empty.
int cmd_graph(const std::string& file, const std::string& format, const std::string& out);

// Looking at a running lab (LAB: its name or file). With `as_json`, JSON on stdout.
int cmd_status(const std::optional<std::string>& lab_or_file, bool as_json);
struct PingOptions {
  std::string lab;
  int family = 0;                  // 4 or 6: only that family; 0: both
  std::vector<std::string> nodes;  // names or glob patterns; none: every node
  bool json = false;
};
// 1 when any pair that has a family in common fails (see ping.h).
int cmd_ping(const PingOptions& options);

struct TestOptions {
  std::string lab;   // a lab's name (its tests as `up` stored them) or a file (the file's tests)
  std::string name;  // with a file: the running lab's name, when not the file's (--name)
  std::vector<std::string> only;  // test names or glob patterns; none: every test
  bool json = false;
  std::string junit;  // also a JUnit XML report there
};
// 1 when any test fails; with `junit`, a JUnit XML report written there too (1 when it cannot
// be, after the run's report).
int cmd_test(const TestOptions& options);

// At run time, one end (NODE:IFACE) of a running lab: its impairment (none: clear it), and its
// administrative state. Recorded in the journal; the peer sees the carrier go and come.
int cmd_impair(const std::string& lab_or_file, const std::string& end,
               const std::optional<nl::Impairment>& impairment);
int cmd_link(const std::string& lab_or_file, const std::string& end, bool up);

// Runs a scenario of the lab's file `repeat` times, putting the lab back after each run (after
// the last, unless `keep`). 0 when every check held in every run, 1 when any failed, 130 when
// interrupted (SIGINT or SIGTERM: the lab is put back first).
int cmd_run(const RunOptions& options);

int cmd_exec(const std::string& lab_or_file, const std::string& node,
             const std::vector<std::string>& command);

// `topo capture LAB [END...]`: packets on ends of a running lab (see capture_ends.h for END).
struct CaptureRequest {
  std::string lab;
  std::vector<std::string> ends;  // none: every end of the lab
  std::string write;              // pcapng to this file, or "-" (standard output); "": a line
                                  // per packet on standard output
  bool force = false;             // replace an existing file
  std::string filter;             // BPF, libpcap's syntax
  uint64_t count = 0;             // 0: no limit
  uint64_t duration_us = 0;       // 0: until SIGINT or SIGTERM
  int snaplen = 262144;
};
int cmd_capture(const CaptureRequest& request);

}  // namespace topo
