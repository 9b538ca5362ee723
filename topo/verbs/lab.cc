#include "topo/verbs/lab.h"
#include "topo/entry/node_exec.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "netlink/error.h"
#include "netlink/netns.h"
#include "netlink/qdisc.h"
#include "topo/entry/privileges.h"
#include "topo/language/graph.h"
#include "topo/language/loader.h"
#include "topo/language/resolve.h"
#include "topo/language/suggest.h"
#include "topo/language/validator.h"
#include "topo/model/impair.h"
#include "topo/plan/converge.h"
#include "topo/plan/planner.h"
#include "topo/run/applier.h"
#include "topo/run/journal.h"
#include "topo/run/netlink_backend.h"
#include "topo/run/state.h"
#include "topo/verbs/checks.h"
#include "topo/verbs/lab_common.h"

extern "C" char** environ;

namespace topo {

int fail(int status, const std::string& message) {
  spdlog::error("{}", message);
  return status;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Loads and checks a file; prints its diagnostics when there are any.
std::optional<LoadResult> load_checked(const std::string& file, const std::string& name) {
  LoadResult r = load_file(file, {name, std::nullopt});
  if (r.diagnostics.empty()) return r;
  std::fputs(r.diagnostics.render().c_str(), stderr);
  error_outcome("{}: {} error{}; nothing was created",
                r.topology.file.empty() ? file : r.topology.file, r.diagnostics.size(),
                r.diagnostics.size() == 1 ? "" : "s");
  return std::nullopt;
}

std::vector<nl::IpPrefix> local_addresses() {
  std::vector<nl::IpPrefix> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (ifaddrs* a = list; a; a = a->ifa_next) {
    if (!a->ifa_addr || (a->ifa_addr->sa_family != AF_INET && a->ifa_addr->sa_family != AF_INET6))
      continue;
    char text[INET6_ADDRSTRLEN] = "";
    const void* bytes =
        a->ifa_addr->sa_family == AF_INET
            ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr)
            : &reinterpret_cast<sockaddr_in6*>(a->ifa_addr)->sin6_addr;
    inet_ntop(a->ifa_addr->sa_family, bytes, text, sizeof text);
    if (auto p = nl::IpPrefix::parse_address(text)) out.push_back(*p);
  }
  freeifaddrs(list);
  return out;
}

void choose_host(Topology& t, const std::string& flag) {
  std::vector<std::string> names;
  for (const Host& h : t.hosts) names.push_back(h.name);
  if (!flag.empty()) {
    if (t.hosts.empty())
      throw InvalidInput(
          fmt::format("--host {}: {} has no `hosts`; it is built whole on this "
                      "machine",
                      flag, t.file));
    if (!t.find_host(flag))
      throw InvalidInput(fmt::format("--host {}: no such host in {} (its hosts: {}){}", flag,
                                     t.file, fmt::join(names, ", "), did_you_mean(flag, names)));
    t.here = flag;
    return;
  }
  if (t.hosts.size() <= 1) {
    t.here = t.hosts.empty() ? "" : t.hosts[0].name;
    return;
  }
  std::vector<std::string> mine;
  std::vector<nl::IpPrefix> addresses = local_addresses();
  for (const Host& h : t.hosts)
    if (std::find(addresses.begin(), addresses.end(), h.underlay) != addresses.end())
      mine.push_back(h.name);
  if (mine.size() == 1) {
    t.here = mine[0];
    spdlog::debug("this machine is host {} of {} (it has the underlay address)", t.here, t.file);
    return;
  }
  throw InvalidInput(fmt::format(
      "{} spreads lab {} over hosts {}: say which this machine is with --host NAME ({})", t.file,
      t.name, fmt::join(names, ", "),
      mine.empty() ? "none of their underlay addresses is one of this machine's"
                   : fmt::format("this machine has the underlay addresses of {}",
                                 fmt::join(mine, " and "))));
}

// Namespace switches must not touch the main thread: run `fn` on a thread of its own.
std::exception_ptr on_own_thread(const std::function<void()>& fn) {
  std::exception_ptr error;
  std::thread worker([&] {
    try {
      fn();
    } catch (...) {
      error = std::current_exception();
    }
  });
  worker.join();
  return error;
}

// Two descriptors per node (namespace fd and netlink socket): lift the soft limit to the hard.
void raise_fd_limit() {
  rlimit lim;
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

// Each namespace keeps its netlink socket open for the whole of `up`; topo needs some more
// descriptors at a time (the journal, namespaces being made, commands' pipes and logs).
constexpr rlim_t kSpareDescriptors = 64;

// Why the first `up` of a lab would run out of descriptors with the limit as it is (after
// raise_fd_limit), if it would: libnl says only "Unspecific failure", halfway through.
std::optional<std::string> fd_limit_problem(const Plan& plan) {
  rlimit lim;
  rlim_t needed = plan.nodes.size() + kSpareDescriptors;
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY ||
      lim.rlim_cur >= needed)
    return std::nullopt;
  return fmt::format(
      "lab {} needs about {} open file descriptors (a netlink socket for each of its {} "
      "namespaces, and {} more), but the limit of open files is {} (RLIMIT_NOFILE, hard limit "
      "{}): raise it, e.g. `ulimit -n {}`, and try again; nothing was created",
      plan.lab, needed, plan.nodes.size(), kSpareDescriptors, lim.rlim_cur, lim.rlim_max,
      std::max<rlim_t>(needed, 1024));
}

std::string describe_error(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "unknown failure";
  }
}

std::string unfinished_up(const JournalState& journal) {
  return fmt::format(
      "lab {} holds the state of an `up` that did not finish (pid {}): run `topo "
      "down {}` first",
      journal.header.lab, journal.header.pid, journal.header.lab);
}

std::optional<std::string> netem_missing_for(const Plan& plan) {
  std::vector<std::string> wants_netem;
  for (const Action& a : plan.actions)
    if (auto* i = std::get_if<SetImpair>(&a); i && i->impairment.needs_netem())
      wants_netem.push_back(fmt::format("{}:{} ({})", plan.nodes[i->iface.node].name, i->iface.name,
                                        impairment_text(i->impairment)));
  if (wants_netem.empty()) return std::nullopt;
  std::optional<std::string> why = nl::netem_unsupported();
  if (!why) return std::nullopt;
  return fmt::format(
      "this kernel has no netem qdisc (CONFIG_NET_SCH_NETEM; {}), which the "
      "impairments of {} need; only `rate` works without it",
      *why, fmt::join(wants_netem, ", "));
}

bool take_down(const JournalState& state, const std::string& lab) {
  NetlinkBackend backend(0, LabDirs::of(lab, state.header.file));
  std::vector<std::string> failures;
  {
    ProgressLine line("down");
    failures = teardown(state, backend, line.fn());
  }
  for (const std::string& f : failures) spdlog::error("{}", f);
  if (!failures.empty())
    spdlog::error(
        "lab {} is not fully removed; its journal is kept: run `topo down {}` "
        "again",
        lab, lab);
  return failures.empty();
}

std::vector<std::string> taken_names(const Plan& plan, const LabDirs& dirs) {
  std::vector<std::string> taken;
  for (const Action& a : plan.actions) {
    if (auto* c = std::get_if<CreateNetns>(&a); c && nl::netns_exists(plan.nodes[c->node].netns))
      taken.push_back("netns " + plan.nodes[c->node].netns);
    if (auto* v = std::get_if<CreateVeth>(&a); v && v->b.node == plan.root)
      if (if_nametoindex(v->b.name.c_str()) != 0)
        taken.push_back("interface " + v->b.name + " (in the root namespace)");
    struct stat st;
    // A link to the lab's own etc directory is the one the lab would make (left by a killed
    // `up`, or by a node whose namespace was lost): not taken.
    if (auto* e = std::get_if<LinkEtc>(&a))
      if (std::string path = "/etc/netns/" + plan.nodes[e->node].netns;
          lstat(path.c_str(), &st) == 0 && !etc_link_is_labs(dirs, plan.nodes[e->node].netns))
        taken.push_back(path);
  }
  return taken;
}

bool names_a_file(const std::string& lab_or_file) {
  std::error_code ec;
  return std::filesystem::is_regular_file(lab_or_file, ec) || lab_or_file == "-";
}

std::optional<std::string> lab_name_of(const std::string& lab_or_file) {
  if (names_a_file(lab_or_file)) {
    auto loaded = load_checked(lab_or_file);
    if (!loaded) return std::nullopt;
    return loaded->topology.name;
  }
  if (std::string why = lab_name_problem(lab_or_file); !why.empty()) {
    fail(kInvalid,
         fmt::format("`{}` is neither a topology file nor a lab name: {}", lab_or_file, why));
    return std::nullopt;
  }
  return lab_or_file;
}

int cmd_exec(const std::string& lab_or_file, const std::string& node,
             const std::vector<std::string>& command) {
  std::optional<std::string> name = lab_name_of(lab_or_file);
  if (!name) return kInvalid;
  return exec_in_node(*name, node, command);
}

int cmd_validate(const std::string& file, const std::string& name) {
  auto loaded = load_checked(file, name);
  if (!loaded) return kInvalid;
  const Topology& t = loaded->topology;
  fmt::print("{}: ok: lab {}, {} node{}, {} link{}\n", t.file, t.name, t.nodes.size(),
             t.nodes.size() == 1 ? "" : "s", t.links.size(), t.links.size() == 1 ? "" : "s");
  return kOk;
}

int cmd_graph(const std::string& file, const std::string& format, const std::string& out) {
  auto loaded = load_checked(file);
  if (!loaded) return kInvalid;
  const Topology& t = loaded->topology;
  std::string text = format == "mermaid" ? to_mermaid(t) : to_dot(t);
  if (format != "svg") {
    if (out.empty()) {
      std::fputs(text.c_str(), stdout);
      return kOk;
    }
    std::ofstream o(out, std::ios::binary);
    if (!(o << text))
      return fail(kFailed, fmt::format("cannot write {}: {}", out, nl::errno_text(errno)));
    return kOk;
  }
  // SVG: Graphviz's dot reads the DOT on its standard input.
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return fail(kFailed, "pipe: " + nl::errno_text(errno));
  nl::Fd read_end(p[0]), write_end(p[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, read_end.get(), 0);
  std::vector<std::string> args = {"dot", "-Tsvg"};
  if (!out.empty()) args.insert(args.end(), {"-o", out});
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  int err = posix_spawnp(&pid, "dot", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err == ENOENT)
    return fail(kFailed,
                "--format svg needs Graphviz's `dot`, which is not installed: install "
                "the Debian package graphviz (apt-get install graphviz), or use "
                "--format dot");
  if (err) return fail(kFailed, "cannot run dot: " + nl::errno_text(err));
  read_end.reset();
  bool written = ::write(write_end.get(), text.data(), text.size()) == ssize_t(text.size());
  write_end.reset();
  int status = 0;
  waitpid(pid, &status, 0);
  if (!written || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return fail(kFailed, "dot failed to draw the lab");
  return kOk;
}

// Removes the logs a failed `up` of the lab kept; false, with what is left said, when some
// remain.
bool remove_kept_logs(const std::string& lab) {
  std::string kept = failed_logs_dir(kRunDir, lab);
  struct stat st;
  if (lstat(kept.c_str(), &st) != 0) return true;
  std::vector<std::string> left = remove_failed_logs(kRunDir, lab);
  if (left.empty()) spdlog::info("removed the logs kept of lab {}'s failed `up` ({})", lab, kept);
  for (const std::string& what : left) spdlog::error("cannot remove {}", what);
  if (!left.empty())
    spdlog::error(
        "the logs kept of lab {}'s failed `up` are not removed: remove what is named "
        "above and run `topo down {}` again",
        lab, lab);
  return left.empty();
}

// Removes the lab's directories (lock held); false, with what is left said, when some remain.
bool remove_lab_dirs(LabLock& lock, const std::string& lab) {
  std::vector<std::string> left = lock.remove_all();
  for (const std::string& what : left) spdlog::error("cannot remove {}", what);
  if (!left.empty())
    spdlog::error(
        "lab {} is not fully removed: remove what is named above and run `topo "
        "down {}` again",
        lab, lab);
  return left.empty();
}

bool has_records(const JournalState& state) {
  return !state.netns.empty() || !state.host_links.empty() || !state.etc_links.empty() ||
         !state.daemons.empty();
}

std::string absolute_file(const Topology& t) {
  std::error_code ec;
  return t.file == "<stdin>" ? t.file : std::filesystem::absolute(t.file, ec).string();
}

namespace {

// Why a first `up` cannot start, found before anything is made: names the lab would make that
// exist already, impairments this kernel cannot make, too few descriptors.
std::optional<std::string> fresh_problem(const Plan& plan, const std::string& lab,
                                         const LabDirs& dirs) {
  std::vector<std::string> taken = taken_names(plan, dirs);
  if (!taken.empty())
    return fmt::format(
        "{} already exist{} and {} not lab {}'s: remove {} or rename what the lab would create "
        "(`prefix`, interface names); nothing was created",
        fmt::join(taken, ", "), taken.size() == 1 ? "s" : "", taken.size() == 1 ? "is" : "are", lab,
        taken.size() == 1 ? "it" : "them");
  if (std::optional<std::string> why = netem_missing_for(plan))
    return *why + ". Nothing was created";
  return fd_limit_problem(plan);
}

// After a first `up` failed: everything it made removed (or, asked, kept).
int roll_back_fresh(LabLock& lock, const LabPaths& paths, const std::string& lab,
                    bool keep_on_failure) {
  if (keep_on_failure) {
    error_outcome("kept what was created (--keep-on-failure): `topo down {}` removes it", lab);
    return kFailed;
  }
  try {
    std::optional<JournalState> made = read_journal(paths.journal);
    lock.shut_out_commands();
    if (made && !take_down(*made, lab)) return kFailed;
    // Its processes stopped, the logs are whole: kept where the lab's removal does not reach.
    std::optional<std::string> kept;
    try {
      kept = lock.keep_logs();
    } catch (const std::exception& e) {
      spdlog::warn("the lab's logs are not kept: {}", e.what());
    }
    if (!remove_lab_dirs(lock, lab)) return kFailed;
    if (!kept) {
      error_outcome("rolled back: lab {} created nothing that is left", lab);
    } else {
      error_outcome(
          "rolled back: lab {} created nothing that is left; its logs (named above under {}/log/) "
          "are kept in {}/ until its next failed `up` or `topo down {}`",
          lab, paths.lab_dir, *kept, lab);
    }
  } catch (const std::exception& e) {
    spdlog::error("rollback failed: {}", e.what());
  }
  return kFailed;
}

// A lab's first `up`: the change from nothing to what the file asks for. The journal records
// what is being built before anything is made.
int build_fresh(const LoadResult& loaded, LabLock& lock, bool keep_on_failure,
                std::chrono::steady_clock::time_point start) {
  const Topology& t = loaded.topology;
  Lab want = resolve(t);
  Plan plan = converge(want, {}, {}, {}).plan;
  LabPaths paths = LabPaths::of(kRunDir, t.name);
  std::string file = absolute_file(t);
  LabDirs dirs = LabDirs::of(t.name, file);
  std::optional<JournalWriter> journal;
  try {
    if (std::optional<std::string> why = fresh_problem(plan, t.name, dirs))
      throw std::runtime_error(*why);
    nl::prepare_netns_run_dir();
    journal.emplace(JournalWriter::create(
        paths.journal,
        {t.name, t.prefix, file, content_hash(loaded.text), getpid(), std::time(nullptr)}));
    journal->built(want);
    write_state_file(paths.topology, loaded.text);
  } catch (const std::exception& e) {
    lock.remove_all();
    return fail(kFailed, e.what());
  }
  NetlinkBackend backend(plan.nodes.size(), dirs);
  std::exception_ptr error;
  {
    ProgressLine line("up");
    ProgressFn progress = line.fn();
    error = on_own_thread([&] { apply_plan(plan, backend, *journal, progress); });
  }
  if (!error) {
    if (t.here.empty()) {
      spdlog::info("lab {} is up: {} node{}, {} link{} in {:.3f} s", t.name, t.nodes.size(),
                   t.nodes.size() == 1 ? "" : "s", plan.links, plan.links == 1 ? "" : "s",
                   seconds_since(start));
    } else {
      size_t here = std::count_if(t.nodes.begin(), t.nodes.end(),
                                  [&](const Node& n) { return n.host == t.here; });
      spdlog::info("lab {} is up on host {}: {} of its {} nodes in {:.3f} s", t.name, t.here, here,
                   t.nodes.size(), seconds_since(start));
    }
    return kOk;
  }
  spdlog::error("{}", describe_error(error));
  backend.release();
  return roll_back_fresh(lock, paths, t.name, keep_on_failure);
}

}  // namespace

int cmd_up(const UpOptions& options) {
  auto start = std::chrono::steady_clock::now();
  auto loaded = load_checked(options.file, options.name);
  if (!loaded) return kInvalid;
  choose_host(loaded->topology, options.host);
  const Topology& t = loaded->topology;
  if (options.dry_run) return plan_loaded(*loaded, false);
  // A part built on the wrong machine would tunnel from an address it does not have: its links
  // would carry nothing, and say nothing.
  if (const Host* here = t.find_host(t.here); here && t.hosts.size() > 1) {
    std::vector<nl::IpPrefix> mine = local_addresses();
    if (std::find(mine.begin(), mine.end(), here->underlay) == mine.end())
      throw InvalidInput(fmt::format("--host {}: {}'s underlay address {} is not an address of "
                                     "this machine: its tunnels would carry nothing. Run it on "
                                     "host {}",
                                     t.here, t.here, here->underlay.address_text(), t.here));
  }
  require_privileges("up");
  raise_fd_limit();
  int status = kOk;
  {
    LabPaths paths = LabPaths::of(kRunDir, t.name);
    LabLock lock = LabLock::acquire(paths, t.name, "up");
    std::optional<JournalState> running = read_journal(paths.journal);
    if (running && !running->header.lab.empty()) {
      if (!running->complete) throw std::runtime_error(unfinished_up(*running));
      status = converge_running(*loaded, *running, start);
    } else {
      if (running) std::remove(paths.journal.c_str());  // header never written: nothing was made
      status = build_fresh(*loaded, lock, options.keep_on_failure, start);
    }
  }
  // Waited for without the lab's lock: `topo down` may give up on it meanwhile.
  if (status != kOk || (!options.wait && !t.ready)) return status;
  return wait_ready(t);
}

int cmd_down(const std::string& lab_or_file, bool force) {
  auto start = std::chrono::steady_clock::now();
  std::optional<std::string> name = lab_name_of(lab_or_file);
  if (!name) return kInvalid;
  const std::string& lab = *name;
  require_privileges("down");

  LabPaths paths = LabPaths::of(kRunDir, lab);
  struct stat st;
  if (stat(paths.lab_dir.c_str(), &st) != 0) {
    if (!remove_kept_logs(lab)) return kFailed;
    spdlog::info("lab {} is not running: nothing to do", lab);
    return kOk;
  }
  try {
    LabLock lock = LabLock::acquire(paths, lab, "down");
    if (!remove_kept_logs(lab)) return kFailed;
    // --force: a damaged journal's every readable record counts (it is the lab's, by its path).
    std::vector<size_t> damaged;
    std::optional<JournalState> state = read_journal(paths.journal, force ? &damaged : nullptr);
    if (!damaged.empty())
      spdlog::warn("journal {}: skipped damaged line{} {}", paths.journal,
                   damaged.size() == 1 ? "" : "s", fmt::join(damaged, ", "));
    if (force && state && state->header.lab.empty() && has_records(*state)) state->header.lab = lab;
    if (!state || state->header.lab.empty()) {
      if (!remove_lab_dirs(lock, lab)) return kFailed;
      spdlog::info("lab {} is not running: nothing to do", lab);
      return kOk;
    }
    // No command may start in the lab once its processes are being stopped.
    lock.shut_out_commands();
    if (!take_down(*state, lab)) return kFailed;
    if (!remove_lab_dirs(lock, lab)) return kFailed;
    spdlog::info("lab {} is down: {} namespace{} removed in {:.3f} s", lab, state->netns.size(),
                 state->netns.size() == 1 ? "" : "s", seconds_since(start));
    return kOk;
  } catch (const std::exception& e) {
    return fail(kFailed, e.what());
  }
}

}  // namespace topo
