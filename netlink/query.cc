#include "netlink/query.h"

#include <linux/if.h>
#include <linux/rtnetlink.h>

#include <map>

#include <netlink/cache.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>

#include "netlink/libnl_ptr.h"

namespace nl {

std::vector<LinkState> list_links(Netns& ns) {
  nl_cache* raw = nullptr;
  ns.socket().check(rtnl_link_alloc_cache(ns.socket().get(), AF_UNSPEC, &raw), "links", "list");
  CachePtr links(raw);
  ns.socket().check(rtnl_addr_alloc_cache(ns.socket().get(), &raw), "addresses", "list");
  CachePtr addrs(raw);

  std::vector<LinkState> out;
  std::map<int, size_t> by_index;
  for (nl_object* o = nl_cache_get_first(links.get()); o; o = nl_cache_get_next(o)) {
    auto* l = reinterpret_cast<rtnl_link*>(o);
    LinkState s;
    s.name = rtnl_link_get_name(l) ? rtnl_link_get_name(l) : "";
    s.ifindex = rtnl_link_get_ifindex(l);
    s.kind = rtnl_link_get_type(l) ? rtnl_link_get_type(l) : "";
    s.admin_up = rtnl_link_get_flags(l) & IFF_UP;
    char buf[64];
    s.operstate = rtnl_link_operstate2str(rtnl_link_get_operstate(l), buf, sizeof buf);
    for (char& c : s.operstate) c = static_cast<char>(tolower(c));
    if (nl_addr* mac = rtnl_link_get_addr(l); mac && nl_addr_get_len(mac) == 6) {
      Mac m;
      memcpy(m.data(), nl_addr_get_binary_addr(mac), 6);
      s.mac = mac_text(m);
    }
    s.mtu = static_cast<int>(rtnl_link_get_mtu(l));
    s.peer_ifindex = s.kind == "veth" ? rtnl_link_get_link(l) : 0;
    s.master = rtnl_link_get_master(l);
    s.rx_packets = rtnl_link_get_stat(l, RTNL_LINK_RX_PACKETS);
    s.tx_packets = rtnl_link_get_stat(l, RTNL_LINK_TX_PACKETS);
    by_index[s.ifindex] = out.size();
    out.push_back(std::move(s));
  }
  for (nl_object* o = nl_cache_get_first(addrs.get()); o; o = nl_cache_get_next(o)) {
    auto* a = reinterpret_cast<rtnl_addr*>(o);
    auto it = by_index.find(rtnl_addr_get_ifindex(a));
    nl_addr* local = rtnl_addr_get_local(a);
    if (it == by_index.end() || !local || rtnl_addr_get_scope(a) == RT_SCOPE_LINK) continue;
    IpPrefix p;
    p.family = nl_addr_get_family(local);
    if (p.family != AF_INET && p.family != AF_INET6) continue;
    memcpy(p.bytes.data(), nl_addr_get_binary_addr(local), p.byte_count());
    p.len = rtnl_addr_get_prefixlen(a);
    out[it->second].addresses.push_back(p);
  }
  return out;
}

}  // namespace nl
