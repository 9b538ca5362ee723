// relay.h - topo standing in for a command it started as its child: what is sent to topo goes on
// to the command, and topo ends as the command ended. `topo exec` starts its command as a child
// so that the kernel puts it in the lab's cgroup as it is born (see cgroup.h).
//
// No logging or formatting library here: the `topo` front end links this (see entry.h).
#pragma once

#include <signal.h>
#include <sys/types.h>

namespace topo {

// Blocks the signals relay() passes on, so that none is lost before it runs; the child puts
// `old` back before it execs. Returns the mask as it was.
sigset_t block_relayed_signals();

// Waits for `child`, passing on the signals sent to this process by kill(2) (a terminal's
// Ctrl-C, Ctrl-\ and window changes reach the whole foreground process group, the child
// included, and are not sent twice); then exits as the child did: with its exit status, or
// killed by the same signal.
[[noreturn]] void relay(pid_t child, const sigset_t& old);

}  // namespace topo
