// runtime.h - changing a running lab's ends in place: `topo impair`, `topo link`, and the steps
// of a scenario, which holds the lab's lock for the whole run; and the lab under its lock, for
// those and for `topo node`.
#pragma once

#include <optional>
#include <string>

#include "netlink/qdisc.h"
#include "topo/run/journal.h"
#include "topo/run/state.h"

namespace topo {

// A running lab held under its lock, its journal read under it.
struct OpenLab {
  std::string name;
  LabPaths paths;
  JournalState journal;
  std::optional<LabLock> lock;  // held by this object; none when the caller holds the lock
};

// Takes the lab's lock without waiting (saying `verb` holds it) and reads its journal. Throws
// Reported{2} when LAB is neither a lab's name nor a file (said already); std::runtime_error when
// the lab is not running, is busy (LabBusy), or its first `up` did not finish.
OpenLab open_lab(const std::string& lab_or_file, const std::string& verb);

// Sets a link end (NODE:IFACE, as the file writes it) administratively up or down, or its
// impairment (nullopt: none), and journals it. Throws InvalidInput when the lab has no such end.
void set_end_state(const OpenLab& lab, const std::string& end, bool up);
void set_end_impairment(const OpenLab& lab, const std::string& end,
                        const std::optional<nl::Impairment>& impairment);

}  // namespace topo
