#include "netlink/qdisc.h"

#include <linux/pkt_sched.h>
#include <sched.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>

#include <netlink/errno.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/netem.h>
#include <netlink/route/qdisc/tbf.h>
#include <netlink/route/tc.h>

#include <fmt/format.h>

#include "netlink/error.h"
#include "netlink/libnl_ptr.h"
#include "netlink/link.h"

namespace nl {

namespace {

using QdiscPtr = std::unique_ptr<rtnl_qdisc, Releaser<rtnl_qdisc, rtnl_qdisc_put>>;

QdiscPtr new_qdisc(int ifindex, uint32_t parent, uint32_t handle, const char* kind) {
  QdiscPtr q(rtnl_qdisc_alloc());
  rtnl_tc_set_ifindex(TC_CAST(q.get()), ifindex);
  rtnl_tc_set_parent(TC_CAST(q.get()), parent);
  rtnl_tc_set_handle(TC_CAST(q.get()), handle);
  // The kind first: libnl asserts in kind-specific setters on an object of another kind.
  rtnl_tc_set_kind(TC_CAST(q.get()), kind);
  return q;
}

void add(Netns& ns, rtnl_qdisc* q, const std::string& ifname, const char* what) {
  int rc = rtnl_qdisc_add(ns.socket().get(), q, NLM_F_CREATE | NLM_F_REPLACE);
  ns.socket().check(rc, ifname, fmt::format("set {} qdisc on", what));
}

void fill_tbf(rtnl_qdisc* q, uint64_t rate_bps) {
  TbfSizes s = tbf_sizes(rate_bps);
  // tbf's rate and limit are in bytes, not bits.
  rtnl_qdisc_tbf_set_rate(q, static_cast<int>(s.rate_bytes), static_cast<int>(s.bucket), 0);
  rtnl_qdisc_tbf_set_limit(q, static_cast<int>(s.limit));
}

}  // namespace

TbfSizes tbf_sizes(uint64_t rate_bps) {
  TbfSizes s;
  uint64_t bytes = std::min<uint64_t>(rate_bps / 8, std::numeric_limits<int32_t>::max());
  s.rate_bytes = static_cast<uint32_t>(bytes);
  s.bucket = static_cast<uint32_t>(std::max<uint64_t>(bytes * 4 / 1000, 16384));
  s.limit = static_cast<uint32_t>(s.bucket + bytes * 50 / 1000);
  return s;
}

uint32_t netem_probability(double percent) {
  double p = std::clamp(percent, 0.0, 100.0) / 100.0;
  return static_cast<uint32_t>(std::llround(p * std::numeric_limits<uint32_t>::max()));
}

void set_impairment(Netns& ns, int ifindex, const std::string& ifname, const Impairment& imp) {
  if (!imp.needs_netem()) {
    if (!imp.rate_bps) return clear_impairment(ns, ifindex, ifname);
    QdiscPtr tbf = new_qdisc(ifindex, TC_H_ROOT, TC_HANDLE(1, 0), "tbf");
    fill_tbf(tbf.get(), imp.rate_bps);
    return add(ns, tbf.get(), ifname, "tbf");
  }
  QdiscPtr netem = new_qdisc(ifindex, TC_H_ROOT, TC_HANDLE(1, 0), "netem");
  rtnl_netem_set_delay(netem.get(), static_cast<int>(imp.delay_us));  // microseconds
  rtnl_netem_set_jitter(netem.get(), static_cast<int>(imp.jitter_us));
  // libnl takes the kernel's u32 probabilities as int: the same 32 bits.
  rtnl_netem_set_loss(netem.get(), static_cast<int>(netem_probability(imp.loss)));
  rtnl_netem_set_duplicate(netem.get(), static_cast<int>(netem_probability(imp.duplicate)));
  rtnl_netem_set_corruption_probability(netem.get(),
                                        static_cast<int>(netem_probability(imp.corrupt)));
  if (imp.reorder > 0) {
    rtnl_netem_set_reorder_probability(netem.get(),
                                       static_cast<int>(netem_probability(imp.reorder)));
    rtnl_netem_set_gap(netem.get(), 1);  // as tc does: reordering needs a gap
  }
  // Queue as much as tbf would, so that a rate below still reaches what it promises.
  rtnl_netem_set_limit(netem.get(), imp.rate_bps ? 10000 : 1000);
  add(ns, netem.get(), ifname, "netem");
  if (imp.rate_bps) {
    QdiscPtr tbf = new_qdisc(ifindex, TC_HANDLE(1, 1), TC_HANDLE(10, 0), "tbf");
    fill_tbf(tbf.get(), imp.rate_bps);
    add(ns, tbf.get(), ifname, "tbf (under netem)");
  }
}

void clear_impairment(Netns& ns, int ifindex, const std::string& ifname) {
  QdiscPtr root(rtnl_qdisc_alloc());
  rtnl_tc_set_ifindex(TC_CAST(root.get()), ifindex);
  rtnl_tc_set_parent(TC_CAST(root.get()), TC_H_ROOT);
  int rc = rtnl_qdisc_delete(ns.socket().get(), root.get());
  // ENOENT / EINVAL: only the default qdisc is there, nothing to clear.
  if (rc == -NLE_OBJ_NOTFOUND || rc == -NLE_INVAL || rc == -NLE_NOATTR) return;
  ns.socket().check(rc, ifname, "clear the qdisc of");
}

std::string root_qdisc_kind(Netns& ns, int ifindex) {
  nl_cache* raw = nullptr;
  ns.socket().check(rtnl_qdisc_alloc_cache(ns.socket().get(), &raw), "qdiscs", "list");
  CachePtr cache(raw);
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* q = reinterpret_cast<rtnl_qdisc*>(o);
    if (rtnl_tc_get_ifindex(TC_CAST(q)) == ifindex && rtnl_tc_get_parent(TC_CAST(q)) == TC_H_ROOT)
      return rtnl_tc_get_kind(TC_CAST(q)) ? rtnl_tc_get_kind(TC_CAST(q)) : "";
  }
  return "";
}

std::optional<std::string> netem_unsupported() {
  std::optional<std::string> reason;
  std::thread probe([&] {
    // A namespace of this thread's own: it has no name and goes when the thread does.
    if (unshare(CLONE_NEWNET) != 0) {
      reason = fmt::format("cannot make a scratch namespace: {}", errno_text(errno));
      return;
    }
    try {
      Netns scratch = Netns::current("scratch");
      VethEnd a{&scratch, "probe0", 0, std::nullopt, false, 0};
      VethEnd b{&scratch, "probe1", 0, std::nullopt, false, 0};
      create_veth(a, b, std::nullopt);
      int index = ifindex_of(scratch, "probe0");
      set_impairment(scratch, index, "probe0", Impairment{1000, 0, 0, 0, 0, 0, 0});
    } catch (const Error& e) {
      reason = e.kernel_text();
    } catch (const std::exception& e) {
      reason = e.what();
    }
  });
  probe.join();
  return reason;
}

}  // namespace nl
