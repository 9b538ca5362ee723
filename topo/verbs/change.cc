// `topo plan`, and `topo up` on a running lab: the difference between a file and the lab, shown
// and then applied, with a failure rolled back to the lab as it was.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "netlink/netns.h"
#include "netlink/sysctl.h"
#include "topo/entry/privileges.h"
#include "topo/entry/safe_fs.h"
#include "topo/language/checks_changed.h"
#include "topo/language/resolve.h"
#include "topo/plan/converge.h"
#include "topo/run/live.h"
#include "topo/run/netlink_backend.h"
#include "topo/run/state.h"
#include "topo/verbs/json_text.h"
#include "topo/verbs/lab.h"
#include "topo/verbs/lab_common.h"

namespace topo {

// What a running lab was built from, as its journal recorded it: the last complete build, with
// the lab an `up` that changed it was building when it stopped (its objects may exist too).
Lab built_lab(const JournalState& running) {
  const std::string& lab = running.header.lab;
  if (!running.built)
    throw std::runtime_error(fmt::format(
        "lab {} was brought up by an older topo, whose journal (version {}) does not record "
        "what it built: `topo down {}`, then `topo up` again, to change it",
        lab, running.version, lab));
  return running.building ? merged(*running.built, *running.building) : *running.built;
}

namespace {

// The sysctls no longer wanted, and the values a new namespace has for them.
std::map<std::string, std::string> fresh_values(const Lab& want, const Lab& before) {
  std::set<std::string> wanted;
  for (const BuiltNode& n : want.nodes)
    for (const auto& [key, value] : n.sysctls) wanted.insert(n.name + " " + key);
  std::vector<std::string> keys;
  for (const BuiltNode& n : before.nodes)
    for (const auto& [key, value] : n.sysctls)
      if (!wanted.count(n.name + " " + key)) keys.push_back(key);
  if (keys.empty()) return {};
  return nl::fresh_netns_sysctls(keys);
}

}  // namespace

Convergence compare_with_live(Lab want, Lab before, const JournalState& journal,
                              const LabDirs& dirs) {
  std::vector<std::pair<End, End>> veths;
  for (const JournalVeth& v : journal.veths)
    if (auto a = End::parse(v.a), b = End::parse(v.b); a && b) veths.emplace_back(*a, *b);
  align_lans(want, veths);
  align_lans(before, veths);
  Lab live;
  std::map<std::string, std::string> fresh;
  std::exception_ptr error = on_own_thread([&] {
    live = read_live(merged(want, before), journal, dirs);
    fresh = fresh_values(want, before);
  });
  if (error) std::rethrow_exception(error);
  return converge(want, before, live, fresh);
}

namespace {

// The journal of a lab changed to `want` (or rolled back to it): only what it holds now, under
// the header of the file it now matches, built as `want`.
void settle_journal(const LabPaths& paths, const JournalHeader& header, const Lab& want) {
  std::optional<JournalState> state = read_journal(paths.journal);
  if (!state) throw std::runtime_error("the journal of lab " + header.lab + " is gone");
  state->header = header;
  for (JournalNetns& n : state->netns)
    if (const BuiltNode* node = want.find_node(n.node)) n.kind = kind_name(node->kind);
  state->link_states.clear();  // the file says each end's state again
  state->node_states.clear();  // every node runs again (converge started or resumed it)
  state->built = want;
  state->building.reset();
  state->complete = true;
  state->nodes = 0;
  for (const BuiltNode& n : want.nodes) state->nodes += n.kind != NodeKind::lan;
  state->links = want.file_links;
  JournalWriter::rewrite(paths.journal, *state);
}

// An `up` killed between making a namespace's empty file and binding the namespace onto it
// leaves the file. Where the lab will make a namespace under a name it journaled, such a file
// is the lab's: removed, so that the name is free again.
void remove_placeholders(const Plan& plan, const JournalState& running) {
  std::set<std::string> journaled;
  for (const JournalNetns& n : running.netns) journaled.insert(n.netns);
  for (const Action& a : plan.actions)
    if (auto* c = std::get_if<CreateNetns>(&a); c && journaled.count(plan.nodes[c->node].netns))
      nl::remove_netns_placeholder(plan.nodes[c->node].netns);
}

// Applies a convergence through a new backend; the failure, if any.
std::exception_ptr apply(const Convergence& c, const LabPaths& paths, const LabDirs& dirs) {
  JournalWriter journal = JournalWriter::append_to(paths.journal);
  NetlinkBackend backend(c.plan.nodes.size(), dirs);
  ProgressLine line("up");
  ProgressFn progress = line.fn();
  std::exception_ptr error = on_own_thread([&] { apply_plan(c.plan, backend, journal, progress); });
  backend.release();
  return error;
}

// The tests, scenarios and `ready` of `text` that differ from the copy stored with the lab (what
// `topo test` and `topo run` read): `up` stores the new copy, and changes nothing else for them.
std::vector<Change> stored_copy_changes(const LabPaths& paths, const std::string& text) {
  std::vector<Change> out;
  for (const std::string& key : changed_checks(read_file(paths.topology).value_or("{}"), text))
    out.push_back({'~', key, "", "changed (stored with the lab; no change to the network)"});
  return out;
}

// A lab that is not running: every action `up` would take. Exit status 3 if there is any.
int print_actions(const Plan& plan, const std::string& lab, bool as_json) {
  if (as_json) {
    nlohmann::json actions = nlohmann::json::array();
    for (const Action& a : plan.actions) actions.push_back(describe(plan, a));
    std::printf("%s\n",
                json_report({{"lab", lab}, {"running", false}, {"actions", actions}}).c_str());
  } else {
    for (const Action& a : plan.actions) std::printf("%s\n", describe(plan, a).c_str());
  }
  return plan.actions.empty() ? kOk : kChanges;
}

}  // namespace

namespace {

std::string host_part(const std::string& host) {
  return host.empty() ? "the whole lab" : fmt::format("host {}'s part", host);
}

// Why a running lab built as one host's part is not changed into another's ("" when it is the
// same part): every node would be removed and others made.
std::string other_part(const std::string& lab, const Lab& built, const Lab& want) {
  if (built.host == want.host) return "";
  return fmt::format("lab {} runs here as {}; the file now asks for {}. Run `topo down {}` first",
                     lab, host_part(built.host), host_part(want.host), lab);
}

}  // namespace

int cmd_plan(const std::string& file, bool as_json, const std::string& name,
             const std::string& host) {
  auto loaded = load_checked(file, name);
  if (!loaded) return kInvalid;
  choose_host(loaded->topology, host);
  return plan_loaded(*loaded, as_json);
}

int plan_loaded(const LoadResult& loaded, bool as_json) {
  const Topology& t = loaded.topology;
  Lab want = resolve(t);
  Plan plan = converge(want, {}, {}, {}).plan;
  LabPaths paths = LabPaths::of(kRunDir, t.name);
  struct stat st;
  if (stat(paths.lab_dir.c_str(), &st) != 0) return print_actions(plan, t.name, as_json);
  try {
    require_privileges("plan");
  } catch (const std::exception& e) {
    return fail(kFailed, "lab " + t.name + " is running, and reading it needs root: " + e.what());
  }
  Convergence c;
  try {
    // Takes the lock only if the lab has one: a lab that a `down` just removed is not made again.
    std::optional<LabLock> lock = LabLock::acquire_existing(paths, t.name, "plan");
    if (!lock) return print_actions(plan, t.name, as_json);
    std::optional<JournalState> journal = read_journal(paths.journal);
    if (!journal || journal->header.lab.empty())
      return fail(kFailed, "lab " + t.name + " has no state yet (an `up` is starting?)");
    if (!journal->complete) return fail(kFailed, unfinished_up(*journal));
    if (std::string why = other_part(t.name, built_lab(*journal), want); !why.empty())
      return fail(kFailed, why);
    c = compare_with_live(want, built_lab(*journal), *journal,
                          LabDirs::of(t.name, absolute_file(t)));
    for (Change& stored : stored_copy_changes(paths, loaded.text))
      c.changes.push_back(std::move(stored));
  } catch (const std::exception& e) {
    return fail(kFailed, e.what());
  }
  if (as_json) {
    nlohmann::json changes = nlohmann::json::array();
    for (const Change& ch : c.changes)
      changes.push_back({{"op", ch.op == '#' ? std::string("note") : std::string(1, ch.op)},
                         {"kind", ch.what},
                         {"object", ch.object},
                         {"detail", ch.detail}});
    std::printf("%s\n",
                json_report({{"lab", t.name}, {"running", true}, {"changes", changes}}).c_str());
  } else if (c.changes.empty()) {
    std::printf("lab %s matches %s: no changes\n", t.name.c_str(), t.file.c_str());
  } else {
    for (const Change& change : c.changes) std::printf("%s\n", change_text(change).c_str());
  }
  return c.changes_anything() ? kChanges : kOk;
}

namespace {

// A file that makes no difference to a running lab's network (comments, order, tests): the lab
// now says it was built from it, and keeps its copy (`stored`: the tests, scenarios or `ready`
// that the copy changes).
int nothing_to_do(const LoadResult& loaded, const JournalState& running,
                  const JournalHeader& header, const Lab& want, const std::vector<Change>& stored) {
  const Topology& t = loaded.topology;
  if (running.header.file_hash != header.file_hash || running.header.file != header.file ||
      running.building) {
    LabPaths paths = LabPaths::of(kRunDir, t.name);
    write_state_file(paths.topology, loaded.text);
    settle_journal(paths, header, want);
  }
  if (stored.empty()) {
    spdlog::info("lab {} is up and matches {}: nothing to do", t.name, t.file);
    return kOk;
  }
  std::vector<std::string> parts;
  for (const Change& ch : stored) {
    spdlog::info("{}", change_text(ch));
    parts.push_back("`" + ch.what + "`");
  }
  spdlog::info("lab {} is up and its network matches {}: stored the file's new {} with the lab",
               t.name, t.file, fmt::join(parts, " and "));
  return kOk;
}

// What would stop a change before it starts: names it would make that someone else has, or
// impairments this kernel cannot make. Throws, saying so.
void check_change(const Convergence& c, const JournalState& running, const LabDirs& dirs) {
  remove_placeholders(c.plan, running);
  std::vector<std::string> taken = taken_names(c.plan, dirs);
  if (!taken.empty())
    throw std::runtime_error(fmt::format(
        "{} already exist{} and {} not lab {}'s: nothing was changed", fmt::join(taken, ", "),
        taken.size() == 1 ? "s" : "", taken.size() == 1 ? "is" : "are", running.header.lab));
  if (std::optional<std::string> why = netem_missing_for(c.plan))
    throw std::runtime_error(*why + ". Nothing was changed");
}

// Back to the lab `before` was: what the failed change made is the lab's now too (so it may be
// removed), and the live lab is read again.
int roll_back(const std::string& lab, const JournalState& running, const Lab& want,
              const Lab& before) {
  LabPaths paths = LabPaths::of(kRunDir, lab);
  LabDirs dirs = LabDirs::of(lab, running.header.file);
  try {
    std::optional<JournalState> now = read_journal(paths.journal);
    if (!now) throw std::runtime_error("the journal is gone");
    if (std::exception_ptr e =
            apply(compare_with_live(before, merged(want, before), *now, dirs), paths, dirs))
      std::rethrow_exception(e);
    settle_journal(paths, running.header, before);
  } catch (const std::exception& e) {
    // The journal still says what was built and what was being built: the next `up`, with
    // either file, starts from both.
    spdlog::error(
        "rolling lab {} back failed too: {}; `topo up` with either file tries again, `topo "
        "down {}` removes the lab",
        lab, e.what(), lab);
    return kFailed;
  }
  error_outcome("lab {} is back as it was before this change (as {} had it)", lab,
                running.header.file);
  return kFailed;
}

}  // namespace

int converge_running(const LoadResult& loaded, const JournalState& running,
                     std::chrono::steady_clock::time_point start) {
  const Topology& t = loaded.topology;
  if (running.header.prefix != t.prefix)
    return fail(kFailed, fmt::format("lab {} runs with prefix `{}`; the file says `{}`: every "
                                     "namespace would be renamed. Run `topo down {}` first",
                                     t.name, running.header.prefix, t.prefix, t.name));
  LabPaths paths = LabPaths::of(kRunDir, t.name);
  LabDirs dirs = LabDirs::of(t.name, absolute_file(t));
  JournalHeader header{t.name,   t.prefix,          absolute_file(t), content_hash(loaded.text),
                       getpid(), std::time(nullptr)};
  Lab want = resolve(t);
  Lab before = built_lab(running);
  if (std::string why = other_part(t.name, before, want); !why.empty()) return fail(kFailed, why);
  Convergence c = compare_with_live(want, before, running, dirs);
  std::vector<Change> checks = stored_copy_changes(paths, loaded.text);
  for (const Change& n : c.changes)
    if (n.op == '#') spdlog::info("{}", change_text(n));
  if (!c.changes_anything()) return nothing_to_do(loaded, running, header, want, checks);
  check_change(c, running, dirs);
  for (const Change& ch : c.changes)
    if (ch.op != '#') spdlog::info("{}", change_text(ch));
  for (const Change& ch : checks) spdlog::info("{}", change_text(ch));

  // The file being applied is stored (for `topo test`), and what it builds journaled (for the
  // next `up` to start from, should this one be killed), before anything changes.
  std::optional<std::string> stored = read_file(paths.topology);
  auto restore_stored = [&] {
    try {
      if (stored) write_state_file(paths.topology, *stored);
    } catch (const std::exception& e) {
      spdlog::warn("{}", e.what());
    }
  };
  bool written = false;
  try {
    write_state_file(paths.topology, loaded.text);
    written = true;
    JournalWriter::append_to(paths.journal).built(want);
  } catch (const std::exception& e) {
    if (written) restore_stored();
    return fail(kFailed, std::string(e.what()) + ": nothing was changed");
  }
  std::exception_ptr error;
  try {
    error = apply(c, paths, dirs);
    if (!error) settle_journal(paths, header, want);
  } catch (const std::exception&) {
    error = std::current_exception();
  }
  if (error) {
    spdlog::error("{}", describe_error(error));
    restore_stored();
    return roll_back(t.name, running, want, before);
  }
  size_t n = 0;
  for (const Change& ch : c.changes) n += ch.op != '#';
  spdlog::info("lab {} is up: {} change{} in {:.3f} s", t.name, n, n == 1 ? "" : "s",
               seconds_since(start));
  return kOk;
}

}  // namespace topo
