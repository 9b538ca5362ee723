// qdisc.h - link impairments: netem (delay, jitter, loss, duplicate, corrupt, reorder) and tbf
// (rate) as the root qdisc of an interface.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "netlink/netns.h"
#include "topo/model/impairment.h"

namespace nl {

// The tbf sizing for a rate: a bucket of 4 ms of traffic (at least 16 kB, so a burst of
// full-size segments passes) and a queue of 50 ms more, so TCP finds room to reach the rate.
struct TbfSizes {
  uint32_t rate_bytes = 0, bucket = 0, limit = 0;
};
TbfSizes tbf_sizes(uint64_t rate_bps);

// A probability in percent on the kernel's u32 scale (0..UINT32_MAX is 0..100%).
uint32_t netem_probability(double percent);

// What an interface has now, as far as impairments go: its root qdisc's kind ("netem", "tbf",
// "noqueue", ... or "" for none) and whether tbf hangs under a netem root (handle 10:).
struct QdiscState {
  std::string root_kind;
  bool tbf_under_netem = false;
};

// One request topo sends for an impairment: add (create or replace) a qdisc, or remove the root
// one (and so everything under it).
struct QdiscRequest {
  enum class Op { add, remove_root };
  Op op = Op::add;
  std::string kind;  // "netem" or "tbf" for add
  uint32_t parent = 0, handle = 0;
  bool operator==(const QdiscRequest&) const = default;
};

// The requests that take an interface from `now` to `want`: netem (handle 1:) with tbf as its
// child (handle 10:) when both kinds of settings are given, netem or tbf alone otherwise. A root
// of another kind, or a tbf child that is no longer wanted, is removed first: the kernel refuses
// to replace a qdisc by one of another kind under the same handle.
std::vector<QdiscRequest> impairment_requests(const QdiscState& now, const Impairment& want);

// What the interface has now (one dump of the namespace's qdiscs).
QdiscState qdisc_state(Netns& ns, int ifindex);

// Sets the interface's impairment (`want` with nothing set: none), sending
// impairment_requests(qdisc_state(...), want).
void set_impairment(Netns& ns, int ifindex, const std::string& ifname, const Impairment& imp);

// Back to the kernel's default root qdisc. Nothing to remove is not an error.
void clear_impairment(Netns& ns, int ifindex, const std::string& ifname);

// The kind of the interface's root qdisc ("netem", "tbf", "noqueue", ...), "" when none.
std::string root_qdisc_kind(Netns& ns, int ifindex);

// Whether the interface still has an impairment topo set (a netem or tbf root qdisc).
inline bool has_impairment(Netns& ns, int ifindex) {
  std::string kind = root_qdisc_kind(ns, ifindex);
  return kind == "netem" || kind == "tbf";
}

// Whether this kernel can make a netem qdisc: tried once on a veth in a scratch namespace that
// has no name and vanishes with the thread that made it. The reason when it cannot.
std::optional<std::string> netem_unsupported();

}  // namespace nl
