// libnl_ptr.h - unique_ptr owners for libnl objects (each released with its own put/free).
#pragma once

#include <memory>

#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>

#include "topo/model/ip.h"

namespace nl {

template <class T, void (*Release)(T*)>
struct Releaser {
  void operator()(T* p) const {
    if (p) Release(p);
  }
};

using AddrPtr = std::unique_ptr<nl_addr, Releaser<nl_addr, nl_addr_put>>;
using LinkPtr = std::unique_ptr<rtnl_link, Releaser<rtnl_link, rtnl_link_put>>;
using AddrObjPtr = std::unique_ptr<rtnl_addr, Releaser<rtnl_addr, rtnl_addr_put>>;
using RoutePtr = std::unique_ptr<rtnl_route, Releaser<rtnl_route, rtnl_route_put>>;
using NeighPtr = std::unique_ptr<rtnl_neigh, Releaser<rtnl_neigh, rtnl_neigh_put>>;
using CachePtr = std::unique_ptr<nl_cache, Releaser<nl_cache, nl_cache_free>>;

// An nl_addr for an IP prefix (address bytes and prefix length).
AddrPtr make_nl_addr(const IpPrefix& prefix);

}  // namespace nl
