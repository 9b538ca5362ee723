#include "topo/netlink_backend.h"

#include "netlink/error.h"
#include "netlink/link.h"
#include "netlink/route.h"
#include "netlink/sysctl.h"

namespace topo {

nl::Netns& NetlinkBackend::ns(int node) {
  std::optional<nl::Netns>& n = netns_.at(node);
  if (!n) throw nl::Error("", "node " + std::to_string(node), "use", EINVAL, "namespace not open");
  return *n;
}

int NetlinkBackend::ifindex(const IfaceRef& iface) const {
  return iface.slot == 0 ? 1 : first_ifindex_ + iface.slot - 1;  // lo is 1 in every namespace
}

void NetlinkBackend::apply(const Plan& plan, const Action& action) {
  if (auto* a = std::get_if<CreateNetns>(&action)) {
    netns_.at(a->node).emplace(nl::Netns::create(plan.nodes[a->node].netns));
    if (!first_ifindex_) first_ifindex_ = nl::first_free_ifindex(ns(a->node));
  } else if (auto* v = std::get_if<CreateVeth>(&action)) {
    nl::VethEnd a{&ns(v->a.node), v->a.name, ifindex(v->a), v->mac_a, v->up};
    nl::VethEnd b{&ns(v->b.node), v->b.name, ifindex(v->b), v->mac_b, false};
    nl::create_veth(a, b, v->mtu);
  } else if (auto* s = std::get_if<SetSysctl>(&action)) {
    nl::write_sysctl(ns(s->node), s->key, s->value);
  } else if (auto* ad = std::get_if<AddAddress>(&action)) {
    nl::add_address(ns(ad->iface.node), ifindex(ad->iface), ad->iface.name, ad->address);
  } else if (auto* u = std::get_if<LinkUp>(&action)) {
    nl::set_link_up(ns(u->iface.node), ifindex(u->iface), u->iface.name);
  } else if (auto* r = std::get_if<AddRoute>(&action)) {
    std::vector<nl::Nexthop> hops;
    for (const RouteHop& h : r->hops)
      hops.push_back({h.gateway, h.dev ? ifindex(*h.dev) : 0, h.dev ? h.dev->name : ""});
    nl::add_route(ns(r->node), r->dst, hops);
  }
}

Backend::Removed NetlinkBackend::remove_netns(const std::string& netns, uint64_t id) {
  if (id != 0) {
    std::optional<uint64_t> now = nl::netns_inode(netns);
    if (now && *now != id) return Removed::not_ours;
  }
  return nl::delete_netns(netns) ? Removed::yes : Removed::absent;
}

}  // namespace topo
