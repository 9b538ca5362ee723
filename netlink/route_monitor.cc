#include "netlink/route_monitor.h"

#include <errno.h>
#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <utility>

#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>

#include "netlink/error.h"
#include "netlink/libnl_ptr.h"

namespace nl {

namespace {

using MsgPtr = std::unique_ptr<nl_msg, Releaser<nl_msg, nlmsg_free>>;

// One read holds a whole dump part: the kernel sizes them by our largest read (up to 64 KiB).
constexpr size_t kReadSize = 64 << 10;

}  // namespace

RouteMonitor::RouteMonitor(const std::string& netns_name, int receive_buffer)
    : ns_(Netns::open(netns_name)), buffer_(kReadSize) {
  nl_sock* sk = ns_.socket().get();
  int size = receive_buffer;
  if (setsockopt(fd(), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0 &&
      setsockopt(fd(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size) != 0)
    throw_errno(netns(), "route monitor", "set the receive buffer size", errno);
  nl_socket_disable_auto_ack(sk);
  // Joined before the first dump: a change made meanwhile is in the dump or notified after it.
  ns_.socket().check(nl_socket_add_memberships(sk, RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR,
                                               RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE, 0),
                     "route monitor", "join the route notification groups");
  // Nexthop objects (Linux 5.3; FRR uses them): a route goes silently with its nexthop. Without
  // them in the kernel, no route can use one, so failing to join is no loss.
  nl_socket_add_memberships(sk, RTNLGRP_NEXTHOP, 0);
  ns_.socket().check(nl_socket_set_nonblocking(sk), "route monitor", "make non-blocking");
  request_dump(Dump::links);
}

int RouteMonitor::fd() const {
  return nl_socket_get_fd(ns_.socket().get());
}

void RouteMonitor::read_available(const Handlers& on) {
  for (;;) {
    sockaddr_nl from{};
    iovec iov{buffer_.data(), buffer_.size()};
    msghdr header{};
    header.msg_name = &from;
    header.msg_namelen = sizeof from;
    header.msg_iov = &iov;
    header.msg_iovlen = 1;
    ssize_t n = recvmsg(fd(), &header, MSG_DONTWAIT);
    Clock::time_point at = Clock::now();
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == ENOBUFS) {  // the kernel dropped notifications: read the table again
        losses_++;
        resync({at, false});
        continue;
      }
      throw_errno(netns(), "route monitor", "read notifications", errno);
    }
    if (header.msg_flags & MSG_TRUNC) {
      losses_++;
      resync({at, false});
      continue;
    }
    if (from.nl_pid != 0) continue;  // only the kernel speaks here
    int len = static_cast<int>(n);
    for (auto* msg = reinterpret_cast<nlmsghdr*>(buffer_.data()); NLMSG_OK(msg, len);
         msg = NLMSG_NEXT(msg, len))
      handle(msg, at, on);
  }
}

void RouteMonitor::handle(const nlmsghdr* msg, Clock::time_point at, const Handlers& on) {
  bool from_dump = dumping_ != Dump::none && msg->nlmsg_seq == dump_seq_ &&
                   msg->nlmsg_pid == nl_socket_get_local_port(ns_.socket().get());
  if (from_dump && (msg->nlmsg_flags & NLM_F_DUMP_INTR)) dump_interrupted_ = true;
  switch (msg->nlmsg_type) {
    case NLMSG_DONE:
      if (from_dump) dump_done(at, on);
      return;
    case NLMSG_ERROR: {
      if (!from_dump || msg->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) return;
      int errnum = -static_cast<const nlmsgerr*>(NLMSG_DATA(msg))->error;
      if (errnum == 0) return;
      throw_errno(netns(), dumping_ == Dump::links ? "links" : "routes", "dump", errnum);
    }
    case NLMSG_OVERRUN:
      losses_++;
      resync({at, false});
      return;
    case RTM_NEWROUTE:
    case RTM_DELROUTE:
      if (!from_dump)
        handle_route(msg, at, on);
      else if (std::optional<Route> route = route_value_of(msg))
        fresh_->add(*route, false);
      return;
    case RTM_NEWLINK:
    case RTM_DELLINK:
      handle_link(msg, at, from_dump, on);
      return;
    case RTM_NEWNEXTHOP:
    case RTM_DELNEXTHOP:
      // Removing a nexthop object removes the routes through it without a notification;
      // replacing one changes them.
      if (!from_dump) resync({at, true});
      return;
    case RTM_DELADDR:
      // Removing an IPv4 address flushes the routes that use it as source, silently.
      if (!from_dump && msg->nlmsg_len >= NLMSG_LENGTH(sizeof(ifaddrmsg)) &&
          static_cast<const ifaddrmsg*>(NLMSG_DATA(msg))->ifa_family == AF_INET)
        resync({at, true});
      return;
    default:
      return;
  }
}

std::optional<Route> RouteMonitor::route_value_of(const nlmsghdr* msg) const {
  rtnl_route* raw = nullptr;
  int rc = rtnl_route_parse(const_cast<nlmsghdr*>(msg), &raw);
  if (rc < 0) throw Error(netns(), "route notification", "parse", 0, nl_geterror(rc));
  RoutePtr parsed(raw);
  int family = rtnl_route_get_family(parsed.get());
  if ((family != AF_INET && family != AF_INET6) ||
      rtnl_route_get_table(parsed.get()) != RT_TABLE_MAIN)
    return std::nullopt;
  Route route = route_value(parsed.get(), [this](int ifindex) { return ifname(ifindex); });
  if (route.cloned) return std::nullopt;  // a cache entry (an IPv6 exception), not the table's
  return route;
}

void RouteMonitor::handle_route(const nlmsghdr* msg, Clock::time_point at, const Handlers& on) {
  std::optional<Route> route = route_value_of(msg);
  if (!route) return;
  bool removed = msg->nlmsg_type == RTM_DELROUTE;
  bool replace = msg->nlmsg_flags & NLM_F_REPLACE;
  // A dump under way builds the table anew: the notification goes there too.
  if (fresh_) removed ? fresh_->remove(*route) : fresh_->add(*route, replace);
  bool changed = removed ? table_.remove(*route) : table_.add(*route, replace);
  if (changed && ready_) on.change(route->dst, table_.to(route->dst), at, true);
}

void RouteMonitor::handle_link(const nlmsghdr* msg, Clock::time_point at, bool from_dump,
                               const Handlers& on) {
  if (msg->nlmsg_len < NLMSG_LENGTH(sizeof(ifinfomsg))) return;
  const auto* info = static_cast<const ifinfomsg*>(NLMSG_DATA(msg));
  // A bridge's port messages (AF_BRIDGE) speak of the port, not of the device coming or going.
  if (info->ifi_family == AF_BRIDGE) return;
  int ifindex = info->ifi_index;
  if (msg->nlmsg_type == RTM_DELLINK) {
    ifnames_.erase(ifindex);
    ifflags_.erase(ifindex);
    if (!from_dump) {
      device_down(ifindex, at, on);
      resync({at, true});
    }
    return;
  }
  nlattr* attrs[IFLA_MAX + 1] = {};
  if (nlmsg_parse(const_cast<nlmsghdr*>(msg), sizeof(ifinfomsg), attrs, IFLA_MAX, nullptr) == 0 &&
      attrs[IFLA_IFNAME])
    ifnames_[ifindex] = nla_get_string(attrs[IFLA_IFNAME]);
  unsigned flags = info->ifi_flags;
  auto known = ifflags_.find(ifindex);
  std::optional<unsigned> before;
  if (known != ifflags_.end()) before = known->second;
  ifflags_[ifindex] = flags;
  if (from_dump || !before) return;
  if ((*before & IFF_UP) && !(flags & IFF_UP)) device_down(ifindex, at, on);
  // Carrier and admin state change flags of routes (linkdown, dead) without a notification.
  if ((*before ^ flags) & (IFF_UP | IFF_LOWER_UP | IFF_RUNNING)) resync({at, true});
}

void RouteMonitor::device_down(int ifindex, Clock::time_point at, const Handlers& on) {
  if (fresh_) fresh_->device_down(ifindex);
  for (const IpPrefix& dst : table_.device_down(ifindex))
    if (ready_) on.change(dst, table_.to(dst), at, true);
}

void RouteMonitor::dump_done(Clock::time_point at, const Handlers& on) {
  if (dumping_ == Dump::links) {
    request_dump(Dump::routes);
    return;
  }
  dumping_ = Dump::none;
  RouteTable fresh = std::move(*fresh_);
  fresh_.reset();
  if (dump_interrupted_) {  // the table changed under the dump (NLM_F_DUMP_INTR): once more
    request_dump(Dump::links);
    return;
  }
  if (!ready_) {
    table_ = std::move(fresh);
    ready_ = true;
    on.ready(table_, at);
  } else if (current_) {
    // What the notifications missed happened by the last change that asked for this dump.
    Trigger by = next_.value_or(*current_);
    bool exact = current_->exact && by.exact;
    for (const IpPrefix& dst : table_.differences(fresh)) {
      table_.set(dst, fresh.to(dst));
      on.change(dst, table_.to(dst), by.at, exact);
    }
  }
  current_ = std::exchange(next_, std::nullopt);
  if (current_) request_dump(Dump::links);
}

void RouteMonitor::resync(Trigger trigger) {
  if (dumping_ == Dump::none) {
    current_ = trigger;
    request_dump(Dump::links);
  } else if (!next_) {
    next_ = trigger;
  } else {
    next_ = Trigger{trigger.at, next_->exact && trigger.exact};
  }
}

void RouteMonitor::request_dump(Dump what) {
  nl_sock* sk = ns_.socket().get();
  MsgPtr msg(nlmsg_alloc_simple(what == Dump::links ? RTM_GETLINK : RTM_GETROUTE, NLM_F_DUMP));
  if (!msg) throw_errno(netns(), "route monitor", "allocate a request", ENOMEM);
  int rc = 0;
  if (what == Dump::links) {
    ifinfomsg info{};
    info.ifi_family = AF_UNSPEC;
    rc = nlmsg_append(msg.get(), &info, sizeof info, NLMSG_ALIGNTO);
  } else {
    rtmsg header{};
    header.rtm_family = AF_UNSPEC;
    rc = nlmsg_append(msg.get(), &header, sizeof header, NLMSG_ALIGNTO);
  }
  ns_.socket().check(rc, "route monitor", "build a dump request");
  nl_complete_msg(sk, msg.get());
  dump_seq_ = nlmsg_hdr(msg.get())->nlmsg_seq;
  ns_.socket().check(nl_send(sk, msg.get()), what == Dump::links ? "links" : "routes",
                     "ask for a dump");
  dumping_ = what;
  dump_interrupted_ = false;
  if (what == Dump::routes) fresh_.emplace();
}

std::string RouteMonitor::ifname(int ifindex) const {
  auto it = ifnames_.find(ifindex);
  return it == ifnames_.end() ? std::string() : it->second;
}

}  // namespace nl
