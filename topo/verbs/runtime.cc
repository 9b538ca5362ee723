// Changing one end of a running lab: `topo impair` and `topo link`.
#include "topo/verbs/runtime.h"

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
#include "topo/verbs/lab_common.h"

namespace topo {

OpenLab open_lab(const std::string& lab_or_file, const std::string& verb) {
  std::optional<std::string> name = lab_name_of(lab_or_file);
  if (!name) throw Reported{kInvalid};
  require_privileges(verb);
  OpenLab lab{*name, LabPaths::of(kRunDir, *name), {}, std::nullopt};
  // The lock first: an `up` may be writing the journal, a `down` removing the lab.
  lab.lock = LabLock::acquire_existing(lab.paths, lab.name, verb);
  std::optional<JournalState> s;
  if (lab.lock) s = read_journal(lab.paths.journal);
  if (!s || s->header.lab.empty())
    throw std::runtime_error(fmt::format("lab {} is not running", lab.name));
  if (!s->complete) throw std::runtime_error(unfinished_up(*s));
  lab.journal = std::move(*s);
  return lab;
}

namespace {

// An end's interface and its namespace: its node's, or for host:IFACE the root namespace (this
// process's), where the interface must still be the one the lab made: another may have its name.
// Throws InvalidInput when `end` is not NODE:IFACE, or names no link end of the lab.
struct Iface {
  nl::Netns ns;
  int index;
  std::string name;
};
End require_end(const std::string& end) {
  std::optional<End> e = End::parse(end);
  if (!e) throw InvalidInput(fmt::format("`{}` is not NODE:IFACE", end));
  return *e;
}

Iface open_iface(const OpenLab& l, const std::string& text) {
  End end = require_end(text);
  bool known = false;
  for (const JournalVeth& v : l.journal.veths) known = known || v.a == text || v.b == text;
  if (!known) throw InvalidInput(fmt::format("lab {} has no link end {}", l.name, text));
  if (end.node != kHostNode) {
    for (const JournalNetns& n : l.journal.netns)
      if (n.node == end.node) {
        nl::Netns ns = nl::Netns::open(n.netns);
        int index = nl::ifindex_of(ns, end.iface);
        return {std::move(ns), index, end.iface};
      }
    throw std::runtime_error(fmt::format("lab {} has no namespace for node {}", l.name, end.node));
  }
  std::string mac;
  for (const JournalHostLink& h : l.journal.host_links)
    if (h.iface == end.iface) mac = h.mac;
  nl::Netns root = nl::Netns::current("");
  for (const nl::LinkState& link : nl::list_links(root))
    if (link.name == end.iface && link.mac == mac)
      return {std::move(root), link.ifindex, end.iface};
  throw std::runtime_error(
      fmt::format("interface {} of the root namespace is gone, or is not "
                  "lab {}'s any more (its MAC is not {})",
                  end.iface, l.name, mac));
}

}  // namespace

void set_end_state(const OpenLab& l, const std::string& end, bool up) {
  auto [ns, index, name] = open_iface(l, end);
  nl::set_link_state(ns, index, name, up);
  JournalWriter::append_to(l.paths.journal).link_state(end, up);
}

void set_end_impairment(const OpenLab& l, const std::string& end,
                        const std::optional<nl::Impairment>& impairment) {
  auto [ns, index, name] = open_iface(l, end);
  if (impairment && impairment->needs_netem())
    if (std::optional<std::string> why = nl::netem_unsupported())
      throw std::runtime_error(fmt::format(
          "this kernel has no netem qdisc (CONFIG_NET_SCH_NETEM; {}): only --rate works", *why));
  if (impairment)
    nl::set_impairment(ns, index, name, *impairment);
  else
    nl::clear_impairment(ns, index, name);
  JournalWriter::append_to(l.paths.journal)
      .impairment(end, impairment ? impairment_text(*impairment) : "");
}

int cmd_impair(const std::string& lab_or_file, const std::string& end,
               const std::optional<nl::Impairment>& impairment) {
  require_end(end);
  OpenLab l = open_lab(lab_or_file, "impair");
  set_end_impairment(l, end, impairment);
  std::string text = impairment ? impairment_text(*impairment) : "";
  spdlog::info("{}: {}", end, text.empty() ? "no impairment" : text);
  return kOk;
}

int cmd_link(const std::string& lab_or_file, const std::string& end, bool up) {
  require_end(end);
  OpenLab l = open_lab(lab_or_file, "link");
  set_end_state(l, end, up);
  spdlog::info("{} is {}", end, up ? "up" : "down");
  return kOk;
}

}  // namespace topo
