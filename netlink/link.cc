#include "netlink/link.h"

#include <linux/if.h>
#include <linux/if_addr.h>

#include <linux/neighbour.h>
#include <netlink/cache.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/link/vxlan.h>
#include <netlink/route/neighbour.h>

#include <fmt/format.h>

#include <netlink/errno.h>

#include <cstring>

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

AddrPtr make_nl_addr(const IpPrefix& p) {
  return make_addr(p);
}

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
  // Born in b's namespace; the descriptor stays open until the ack.
  Fd peer_ns = b.netns->descriptor();
  rtnl_link_set_ns_fd(peer.get(), peer_ns.get());
  // Only the main end may carry IFF_UP here: libnl 3.7 drops the peer's change mask and the
  // kernel then rejects the request ("Unspecific failure").
  if (a.up) rtnl_link_set_flags(veth.get(), IFF_UP);
  if (a.master) rtnl_link_set_master(veth.get(), a.master);
  int rc = rtnl_link_add(a.netns->socket().get(), veth.get(), NLM_F_CREATE | NLM_F_EXCL);
  a.netns->socket().check(rc, fmt::format("{} (peer {}:{})", a.name, b.netns->name(), b.name),
                          "create veth");
}

namespace {

// `bridge fdb append 00:00:00:00:00:00 dev DEVICE dst REMOTE`: flooded frames go to REMOTE too.
void flood_to(Netns& ns, int ifindex, const std::string& ifname, const IpPrefix& remote) {
  NeighPtr entry(rtnl_neigh_alloc());
  if (!entry) throw Error(ns.name(), ifname, "allocate FDB entry", ENOMEM, "out of memory");
  AddrPtr dst = make_addr(remote);
  // The destination before the family: libnl refuses an address of another family than the
  // entry's once that is set.
  rtnl_neigh_set_dst(entry.get(), dst.get());
  rtnl_neigh_set_family(entry.get(), AF_BRIDGE);
  rtnl_neigh_set_ifindex(entry.get(), ifindex);
  const Mac zeros{};
  AddrPtr lladdr(nl_addr_build(AF_LLC, zeros.data(), zeros.size()));
  rtnl_neigh_set_lladdr(entry.get(), lladdr.get());
  rtnl_neigh_set_state(entry.get(), NUD_PERMANENT);
  rtnl_neigh_set_flags(entry.get(), NTF_SELF);
  int rc = rtnl_neigh_add(ns.socket().get(), entry.get(), NLM_F_CREATE | NLM_F_APPEND);
  ns.socket().check(rc, fmt::format("{} to {}", ifname, remote.address_text()),
                    "add VXLAN flood entry");
}

}  // namespace

void create_vxlan(Netns& underlay, const VxlanDevice& d) {
  LinkPtr link(rtnl_link_vxlan_alloc());
  if (!link) throw Error(d.netns->name(), d.name, "allocate vxlan", ENOMEM, "out of memory");
  VethEnd end{d.netns, d.name, d.ifindex, d.mac, d.up, d.master};
  fill_end(link.get(), end);
  if (d.mtu) rtnl_link_set_mtu(link.get(), d.mtu);
  rtnl_link_vxlan_set_id(link.get(), d.vni);
  AddrPtr local = make_addr(d.local);
  rtnl_link_vxlan_set_local(link.get(), local.get());
  AddrPtr remote;
  if (d.remotes.size() == 1) {  // a link: its one far end has every MAC there is to learn
    remote = make_addr(d.remotes[0]);
    rtnl_link_vxlan_set_group(link.get(), remote.get());
    rtnl_link_vxlan_set_learning(link.get(), 0);
  }
  rtnl_link_vxlan_set_port(link.get(), uint32_t(d.port));
  Fd netns = d.netns->descriptor();
  rtnl_link_set_ns_fd(link.get(), netns.get());
  if (d.up) rtnl_link_set_flags(link.get(), IFF_UP);
  if (d.master) rtnl_link_set_master(link.get(), d.master);
  int rc = rtnl_link_add(underlay.socket().get(), link.get(), NLM_F_CREATE | NLM_F_EXCL);
  underlay.socket().check(
      rc, fmt::format("{} of netns {} (vni {}, port {})", d.name, d.netns->name(), d.vni, d.port),
      "create vxlan");
  if (d.remotes.size() < 2) return;
  int ifindex = d.ifindex ? d.ifindex : ifindex_of(*d.netns, d.name);
  for (const IpPrefix& r : d.remotes) flood_to(*d.netns, ifindex, d.name, r);
}

void set_link_state(Netns& ns, int ifindex, const std::string& ifname, bool up) {
  if (up) return change_link(ns, ifindex, ifname, true, 0);
  LinkPtr orig(rtnl_link_alloc());
  LinkPtr change(rtnl_link_alloc());
  rtnl_link_set_ifindex(orig.get(), ifindex);
  rtnl_link_unset_flags(change.get(), IFF_UP);
  ns.socket().check(rtnl_link_change(ns.socket().get(), orig.get(), change.get(), 0), ifname,
                    "set down");
}

void change_link(Netns& ns, int ifindex, const std::string& ifname, bool up, int master) {
  // `orig` built by hand with AF_UNSPEC: libnl 3.7 crashes on a cached AF_INET6 link here.
  LinkPtr orig(rtnl_link_alloc());
  LinkPtr change(rtnl_link_alloc());
  rtnl_link_set_ifindex(orig.get(), ifindex);
  if (up) rtnl_link_set_flags(change.get(), IFF_UP);
  if (master) rtnl_link_set_master(change.get(), master);
  int rc = rtnl_link_change(ns.socket().get(), orig.get(), change.get(), 0);
  ns.socket().check(rc, ifname,
                    master ? (up ? "attach to bridge and set up" : "attach to bridge") : "set up");
}

void create_bridge(Netns& ns, const std::string& name, int ifindex) {
  LinkPtr br(rtnl_link_alloc());
  int rc = rtnl_link_set_type(br.get(), "bridge");
  ns.socket().check(rc, name, "create bridge");
  rtnl_link_set_name(br.get(), name.c_str());
  if (ifindex) rtnl_link_set_ifindex(br.get(), ifindex);
  rtnl_link_set_flags(br.get(), IFF_UP);
  rc = rtnl_link_add(ns.socket().get(), br.get(), NLM_F_CREATE | NLM_F_EXCL);
  ns.socket().check(rc, name, "create bridge");
}

int ifindex_of(Netns& ns, const std::string& ifname) {
  rtnl_link* raw = nullptr;
  int rc = rtnl_link_get_kernel(ns.socket().get(), 0, ifname.c_str(), &raw);
  ns.socket().check(rc, ifname, "look up");
  LinkPtr link(raw);
  return rtnl_link_get_ifindex(link.get());
}

Deleted delete_link_with_mac(Netns& ns, const std::string& ifname, const Mac& mac) {
  rtnl_link* raw = nullptr;
  int rc = rtnl_link_get_kernel(ns.socket().get(), 0, ifname.c_str(), &raw);
  if (rc == -NLE_NODEV || rc == -NLE_OBJ_NOTFOUND) return Deleted::absent;
  ns.socket().check(rc, ifname, "look up");
  LinkPtr link(raw);
  nl_addr* addr = rtnl_link_get_addr(link.get());
  if (!addr || nl_addr_get_len(addr) != mac.size() ||
      memcmp(nl_addr_get_binary_addr(addr), mac.data(), mac.size()) != 0)
    return Deleted::not_ours;
  LinkPtr del(rtnl_link_alloc());
  rtnl_link_set_ifindex(del.get(), rtnl_link_get_ifindex(link.get()));
  rc = rtnl_link_delete(ns.socket().get(), del.get());
  if (rc == -NLE_NODEV || rc == -NLE_OBJ_NOTFOUND) return Deleted::absent;
  ns.socket().check(rc, ifname, "delete");
  return Deleted::yes;
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

void modify_link(Netns& ns, int ifindex, const std::string& ifname, const LinkChange& c) {
  LinkPtr orig(rtnl_link_alloc());
  LinkPtr change(rtnl_link_alloc());
  rtnl_link_set_ifindex(orig.get(), ifindex);
  std::string what;
  if (c.mtu) {
    rtnl_link_set_mtu(change.get(), static_cast<unsigned>(*c.mtu));
    what += fmt::format("set mtu {}", *c.mtu);
  }
  if (c.mac) {
    AddrPtr mac(nl_addr_build(AF_LLC, c.mac->data(), c.mac->size()));
    rtnl_link_set_addr(change.get(), mac.get());
    what += (what.empty() ? "" : ", ") + fmt::format("set address {}", mac_text(*c.mac));
  }
  if (c.up) {
    if (*c.up)
      rtnl_link_set_flags(change.get(), IFF_UP);
    else
      rtnl_link_unset_flags(change.get(), IFF_UP);
    what += (what.empty() ? "" : ", ") + std::string(*c.up ? "set up" : "set down");
  }
  int rc = rtnl_link_change(ns.socket().get(), orig.get(), change.get(), 0);
  ns.socket().check(rc, ifname, what);
}

void delete_address(Netns& ns, int ifindex, const std::string& ifname, const IpPrefix& address) {
  AddrObjPtr addr(rtnl_addr_alloc());
  AddrPtr local = make_addr(address);
  rtnl_addr_set_ifindex(addr.get(), ifindex);
  rtnl_addr_set_local(addr.get(), local.get());
  int rc = rtnl_addr_delete(ns.socket().get(), addr.get(), 0);
  ns.socket().check(rc, fmt::format("{} on {}", address.text(), ifname), "remove address");
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
