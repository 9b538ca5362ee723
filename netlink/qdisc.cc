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

void add(Netns& ns, rtnl_qdisc* q, const std::string& ifname, const std::string& what) {
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

std::vector<QdiscRequest> impairment_requests(const QdiscState& now, const Impairment& want) {
  using Op = QdiscRequest::Op;
  const uint32_t root = TC_HANDLE(1, 0), under_netem = TC_HANDLE(10, 0);
  bool impaired = now.root_kind == "netem" || now.root_kind == "tbf";
  std::string root_kind = want.needs_netem() ? "netem" : want.rate_bps ? "tbf" : "";
  bool tbf_under = want.needs_netem() && want.rate_bps;
  std::vector<QdiscRequest> out;
  // Another kind at the root, or a tbf child that must go: start from the default qdisc.
  if (impaired && (now.root_kind != root_kind || (now.tbf_under_netem && !tbf_under)))
    out.push_back({Op::remove_root, "", TC_H_ROOT, 0});
  if (root_kind.empty()) return out;
  out.push_back({Op::add, root_kind, TC_H_ROOT, root});
  if (tbf_under) out.push_back({Op::add, "tbf", TC_HANDLE(1, 1), under_netem});
  return out;
}

namespace {

void fill_netem(rtnl_qdisc* netem, const Impairment& imp) {
  rtnl_netem_set_delay(netem, static_cast<int>(imp.delay_us));  // microseconds
  rtnl_netem_set_jitter(netem, static_cast<int>(imp.jitter_us));
  // libnl takes the kernel's u32 probabilities as int: the same 32 bits.
  rtnl_netem_set_loss(netem, static_cast<int>(netem_probability(imp.loss)));
  rtnl_netem_set_duplicate(netem, static_cast<int>(netem_probability(imp.duplicate)));
  rtnl_netem_set_corruption_probability(netem, static_cast<int>(netem_probability(imp.corrupt)));
  if (imp.reorder > 0) {
    rtnl_netem_set_reorder_probability(netem, static_cast<int>(netem_probability(imp.reorder)));
    rtnl_netem_set_gap(netem, 1);  // as tc does: reordering needs a gap
  }
  // Queue as much as tbf would, so that a rate below still reaches what it promises.
  rtnl_netem_set_limit(netem, imp.rate_bps ? 10000 : 1000);
}

void send(Netns& ns, int ifindex, const std::string& ifname, const QdiscRequest& r,
          const Impairment& imp) {
  if (r.op == QdiscRequest::Op::remove_root) return clear_impairment(ns, ifindex, ifname);
  QdiscPtr q = new_qdisc(ifindex, r.parent, r.handle, r.kind.c_str());
  if (r.kind == "netem")
    fill_netem(q.get(), imp);
  else
    fill_tbf(q.get(), imp.rate_bps);
  add(ns, q.get(), ifname, r.parent == TC_H_ROOT ? r.kind : r.kind + " (under netem)");
}

}  // namespace

void set_impairment(Netns& ns, int ifindex, const std::string& ifname, const Impairment& imp) {
  for (const QdiscRequest& r : impairment_requests(qdisc_state(ns, ifindex), imp))
    send(ns, ifindex, ifname, r, imp);
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

QdiscState qdisc_state(Netns& ns, int ifindex) {
  nl_cache* raw = nullptr;
  ns.socket().check(rtnl_qdisc_alloc_cache(ns.socket().get(), &raw), "qdiscs", "list");
  CachePtr cache(raw);
  QdiscState state;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* q = reinterpret_cast<rtnl_qdisc*>(o);
    if (rtnl_tc_get_ifindex(TC_CAST(q)) != ifindex) continue;
    const char* kind = rtnl_tc_get_kind(TC_CAST(q));
    std::string k = kind ? kind : "";
    if (rtnl_tc_get_parent(TC_CAST(q)) == TC_H_ROOT) state.root_kind = k;
    if (rtnl_tc_get_parent(TC_CAST(q)) == TC_HANDLE(1, 1) && k == "tbf")
      state.tbf_under_netem = true;
  }
  return state;
}

std::string root_qdisc_kind(Netns& ns, int ifindex) {
  return qdisc_state(ns, ifindex).root_kind;
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
