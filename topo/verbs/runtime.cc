// Changing one end of a running lab: `topo impair` and `topo link`.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "netlink/link.h"
#include "netlink/qdisc.h"
#include "netlink/query.h"
#include "topo/entry/privileges.h"
#include "topo/model/impair.h"
#include "topo/model/lab.h"
#include "topo/model/model.h"
#include "topo/run/journal.h"
#include "topo/run/state.h"
#include "topo/verbs/lab.h"

namespace topo {

namespace {

constexpr int kOk = 0, kInvalid = 2;

// NODE:IFACE of a running lab, under the lab's lock.
struct OpenEnd {
  std::string lab, node, iface, netns;
  std::string host_mac;  // of a host:IFACE end, as the lab made it
  std::optional<LabLock> lock;
};

// Throws InvalidInput when `end` is not NODE:IFACE, or names no link end of the lab; another
// exception when the lab is not running.
OpenEnd open_end(const std::string& lab_or_file, const std::string& end, const std::string& verb) {
  std::optional<std::string> lab = lab_name_of(lab_or_file);
  if (!lab) throw Reported{kInvalid};
  std::optional<End> parsed = End::parse(end);
  if (!parsed) throw InvalidInput(fmt::format("`{}` is not NODE:IFACE", end));
  require_privileges(verb);
  OpenEnd e{*lab, parsed->node, parsed->iface, "", "", std::nullopt};
  LabPaths paths = LabPaths::of(kRunDir, e.lab);
  // The lock first: another topo changing the lab (an `up`) may be writing its journal, and a
  // `down` may be removing the lab; then nothing is read or made again.
  e.lock = LabLock::acquire_existing(paths, e.lab, verb);
  std::optional<JournalState> s;
  if (e.lock) s = read_journal(paths.journal);
  if (!s || s->header.lab.empty())
    throw std::runtime_error(fmt::format("lab {} is not running", e.lab));
  bool known = false;
  for (const JournalVeth& v : s->veths) known = known || v.a == end || v.b == end;
  if (!known) throw InvalidInput(fmt::format("lab {} has no link end {}", e.lab, end));
  for (const JournalNetns& n : s->netns)
    if (n.node == e.node) e.netns = n.netns;
  for (const JournalHostLink& h : s->host_links)
    if (e.node == kHostNode && h.iface == e.iface) e.host_mac = h.mac;
  return e;
}

// An end's interface and its namespace: its node's, or for host:IFACE the root namespace (this
// process's), where the interface must still be the one the lab made: another may have its name.
struct Iface {
  nl::Netns ns;
  int index;
};
Iface open_iface(const OpenEnd& e) {
  if (e.node != kHostNode) {
    nl::Netns ns = nl::Netns::open(e.netns);
    int index = nl::ifindex_of(ns, e.iface);
    return {std::move(ns), index};
  }
  nl::Netns root = nl::Netns::current("");
  for (const nl::LinkState& l : nl::list_links(root))
    if (l.name == e.iface && l.mac == e.host_mac) return {std::move(root), l.ifindex};
  throw std::runtime_error(
      fmt::format("interface {} of the root namespace is gone, or is not "
                  "lab {}'s any more (its MAC is not {})",
                  e.iface, e.lab, e.host_mac));
}

}  // namespace

int cmd_impair(const std::string& lab_or_file, const std::string& end,
               const std::optional<nl::Impairment>& impairment) {
  OpenEnd e = open_end(lab_or_file, end, "impair");
  auto [ns, index] = open_iface(e);
  if (impairment && impairment->needs_netem())
    if (std::optional<std::string> why = nl::netem_unsupported())
      throw std::runtime_error(fmt::format(
          "this kernel has no netem qdisc (CONFIG_NET_SCH_NETEM; {}): only --rate works", *why));
  if (impairment)
    nl::set_impairment(ns, index, e.iface, *impairment);
  else
    nl::clear_impairment(ns, index, e.iface);
  std::string text = impairment ? impairment_text(*impairment) : "";
  JournalWriter::append_to(LabPaths::of(kRunDir, e.lab).journal).impairment(end, text);
  spdlog::info("{}: {}", end, text.empty() ? "no impairment" : text);
  return kOk;
}

int cmd_link(const std::string& lab_or_file, const std::string& end, bool up) {
  OpenEnd e = open_end(lab_or_file, end, "link");
  auto [ns, index] = open_iface(e);
  nl::set_link_state(ns, index, e.iface, up);
  JournalWriter::append_to(LabPaths::of(kRunDir, e.lab).journal).link_state(end, up);
  spdlog::info("{} is {}", end, up ? "up" : "down");
  return kOk;
}

}  // namespace topo
