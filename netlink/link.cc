#include "netlink/link.h"

#include <linux/if.h>
#include <linux/if_addr.h>

#include <netlink/cache.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>

#include <fmt/format.h>

#include "netlink/error.h"
#include "netlink/libnl_ptr.h"

namespace nl {

namespace {

AddrPtr make_addr(const IpPrefix& p) {
  AddrPtr a(nl_addr_build(p.family, p.bytes.data(), p.byte_count()));
  if (!a) throw Error("", p.text(), "build address", ENOMEM, "out of memory");
  nl_addr_set_prefixlen(a.get(), p.len);
  return a;
}

void fill_end(rtnl_link* link, const VethEnd& end) {
  rtnl_link_set_name(link, end.name.c_str());
  if (end.ifindex) rtnl_link_set_ifindex(link, end.ifindex);
  if (end.mac) {
    AddrPtr mac(nl_addr_build(AF_LLC, end.mac->data(), end.mac->size()));
    rtnl_link_set_addr(link, mac.get());
  }
}

}  // namespace

AddrPtr make_nl_addr(const IpPrefix& p) { return make_addr(p); }

void create_veth(const VethEnd& a, const VethEnd& b, std::optional<int> mtu) {
  LinkPtr veth(rtnl_link_veth_alloc());
  if (!veth) throw Error(a.netns->name(), a.name, "allocate veth", ENOMEM, "out of memory");
  // A new reference to the peer object inside `veth`.
  LinkPtr peer(rtnl_link_veth_get_peer(veth.get()));
  fill_end(veth.get(), a);
  fill_end(peer.get(), b);
  if (mtu) {
    rtnl_link_set_mtu(veth.get(), *mtu);
    rtnl_link_set_mtu(peer.get(), *mtu);
  }
  // Born in b's namespace; the fd stays open (in b.netns) until the ack.
  rtnl_link_set_ns_fd(peer.get(), b.netns->fd());
  // Only the main end may carry IFF_UP here: libnl 3.7 drops the peer's change mask and the
  // kernel then rejects the request ("Unspecific failure").
  if (a.up) rtnl_link_set_flags(veth.get(), IFF_UP);
  int rc = rtnl_link_add(a.netns->socket().get(), veth.get(), NLM_F_CREATE | NLM_F_EXCL);
  a.netns->socket().check(rc, fmt::format("{} (peer {}:{})", a.name, b.netns->name(), b.name),
                          "create veth");
}

void set_link_up(Netns& ns, int ifindex, const std::string& ifname) {
  // `orig` built by hand with AF_UNSPEC: libnl 3.7 crashes on a cached AF_INET6 link here.
  LinkPtr orig(rtnl_link_alloc());
  LinkPtr change(rtnl_link_alloc());
  rtnl_link_set_ifindex(orig.get(), ifindex);
  rtnl_link_set_flags(change.get(), IFF_UP);
  int rc = rtnl_link_change(ns.socket().get(), orig.get(), change.get(), 0);
  ns.socket().check(rc, ifname, "set up");
}

int first_free_ifindex(Netns& ns) {
  nl_cache* raw = nullptr;
  int rc = rtnl_link_alloc_cache(ns.socket().get(), AF_UNSPEC, &raw);
  ns.socket().check(rc, "links", "list");
  CachePtr cache(raw);
  int highest = 1;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o))
    highest = std::max(highest, rtnl_link_get_ifindex(reinterpret_cast<rtnl_link*>(o)));
  return highest + 1;
}

void add_address(Netns& ns, int ifindex, const std::string& ifname, const IpPrefix& address) {
  AddrObjPtr addr(rtnl_addr_alloc());
  AddrPtr local = make_addr(address);
  rtnl_addr_set_ifindex(addr.get(), ifindex);
  rtnl_addr_set_local(addr.get(), local.get());
  // Lab links are fresh and private: skip duplicate address detection so v6 works at once.
  if (address.is_v6()) rtnl_addr_set_flags(addr.get(), IFA_F_NODAD);
  int rc = rtnl_addr_add(ns.socket().get(), addr.get(), 0);
  ns.socket().check(rc, fmt::format("{} on {}", address.text(), ifname), "add address");
}

}  // namespace nl
