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

constexpr int kOk = 0, kFailed = 1, kInvalid = 2;

// NODE:IFACE of a running lab, under the lab's lock.
struct LabEnd {
  std::string lab, node, iface, netns;
  std::string host_mac;  // of a host:IFACE end, as the lab made it
  std::optional<LabLock> lock;
};

std::optional<LabEnd> open_end(const std::string& lab_or_file, const std::string& end,
                               const std::string& verb, int& status) {
  status = kInvalid;
  std::optional<std::string> lab = lab_name_of(lab_or_file);
  if (!lab) return std::nullopt;
  std::optional<End> parsed = End::parse(end);
  if (!parsed) {
    spdlog::error("error: `{}` is not NODE:IFACE", end);
    return std::nullopt;
  }
  status = kFailed;
  if (std::string why = missing_privileges(verb); !why.empty()) {
    spdlog::error("error: {}", why);
    return std::nullopt;
  }
  LabEnd e{*lab, parsed->node, parsed->iface, "", "", std::nullopt};
  try {
    LabPaths paths = LabPaths::of(kRunDir, e.lab);
    // The lock first: another topo changing the lab (an `up`) may be writing its journal, and a
    // `down` may be removing the lab; then nothing is read or made again.
    e.lock = LabLock::acquire_existing(paths, e.lab, verb);
    if (!e.lock) {
      spdlog::error("error: lab {} is not running", e.lab);
      return std::nullopt;
    }
    std::optional<JournalState> s = read_journal(paths.journal);
    if (!s || s->header.lab.empty()) {
      spdlog::error("error: lab {} is not running", e.lab);
      return std::nullopt;
    }
    bool known = false;
    for (const JournalVeth& v : s->veths) known = known || v.a == end || v.b == end;
    if (!known) {
      status = kInvalid;
      spdlog::error("error: lab {} has no link end {}", e.lab, end);
      return std::nullopt;
    }
    for (const JournalNetns& n : s->netns)
      if (n.node == e.node) e.netns = n.netns;
    for (const JournalHostLink& h : s->host_links)
      if (e.node == kHostNode && h.iface == e.iface) e.host_mac = h.mac;
  } catch (const std::exception& ex) {
    spdlog::error("error: {}", ex.what());
    return std::nullopt;
  }
  return e;
}

// An end's interface and its namespace: its node's, or for host:IFACE the root namespace (this
// process's), where the interface must still be the one the lab made: another may have its name.
struct Iface {
  nl::Netns ns;
  int index;
};
Iface open_iface(const LabEnd& e) {
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
  int status;
  std::optional<LabEnd> e = open_end(lab_or_file, end, "impair", status);
  if (!e) return status;
  try {
    auto [ns, index] = open_iface(*e);
    if (impairment && impairment->needs_netem())
      if (std::optional<std::string> why = nl::netem_unsupported())
        throw std::runtime_error(
            fmt::format("this kernel has no netem qdisc "
                        "(CONFIG_NET_SCH_NETEM; {}): only --rate works",
                        *why));
    if (impairment)
      nl::set_impairment(ns, index, e->iface, *impairment);
    else
      nl::clear_impairment(ns, index, e->iface);
    std::string text = impairment ? impairment_text(*impairment) : "";
    JournalWriter::append_to(LabPaths::of(kRunDir, e->lab).journal).impairment(end, text);
    spdlog::info("{}: {}", end, text.empty() ? "no impairment" : text);
  } catch (const std::exception& ex) {
    spdlog::error("error: {}", ex.what());
    return kFailed;
  }
  return kOk;
}

int cmd_link(const std::string& lab_or_file, const std::string& end, bool up) {
  int status;
  std::optional<LabEnd> e = open_end(lab_or_file, end, "link", status);
  if (!e) return status;
  try {
    auto [ns, index] = open_iface(*e);
    nl::set_link_state(ns, index, e->iface, up);
    JournalWriter::append_to(LabPaths::of(kRunDir, e->lab).journal).link_state(end, up);
    spdlog::info("{} is {}", end, up ? "up" : "down");
  } catch (const std::exception& ex) {
    spdlog::error("error: {}", ex.what());
    return kFailed;
  }
  return kOk;
}

}  // namespace topo
