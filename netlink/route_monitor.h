// route_monitor.h - a namespace's main routing table, followed as the kernel changes it, from
// the kernel's own notifications (what `ip monitor route` reads), each stamped at receipt.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "netlink/netns.h"
#include "netlink/route_table.h"

struct nlmsghdr;

namespace nl {

// One NETLINK_ROUTE socket in a named namespace (it stays bound there whoever reads it), and
// the routes of its main table (RT_TABLE_MAIN: every protocol, IPv4 and IPv6; cache entries
// left out), with each interface's name.
//
// How it stays exact:
// - It joins the route, link and IPv4 address groups before it asks for the first dump, so a
//   change made meanwhile is in the dump or in a notification read after it, never in neither.
// - Its receive buffer is large (SO_RCVBUFFORCE). When the kernel still drops notifications
//   (ENOBUFS), the table is dumped again and what differs is reported as inexact.
// - IPv4 routes that the kernel flushes without a word when a device goes down or away are
//   flushed here at the stamp of that link notification, and the table is dumped again after
//   any link, IPv4 address or nexthop object change (a flag or route the kernel changed
//   silently, as when a nexthop object is deleted, is then put right, stamped with that
//   notification).
class RouteMonitor {
 public:
  using Clock = std::chrono::steady_clock;
  // A change comes with the steady-clock time of the read that brought it; `exact` is false
  // when notifications were lost and a new dump found it.
  struct Handlers {
    // The first dump is complete: `table` is the node's table as read at `at`.
    std::function<void(const RouteTable& table, Clock::time_point at)> ready;
    // Once ready: the entries to `dst` changed.
    std::function<void(const IpPrefix& dst, const RouteTable::Entries& entries,
                       Clock::time_point at, bool exact)>
        change;
  };

  // Room for a burst of notifications (a routing daemon installing a full table at once)
  // before the kernel drops them.
  static constexpr int kReceiveBuffer = 16 << 20;

  // Opens /run/netns/NAME (the calling thread enters it for a moment, as Netns::open does),
  // joins the groups and asks for the first dump; the table is known once ready().
  // `receive_buffer`: bytes (SO_RCVBUFFORCE as root goes past net.core.rmem_max); tests make it
  // small to see notifications dropped.
  explicit RouteMonitor(const std::string& netns_name, int receive_buffer = kReceiveBuffer);
  RouteMonitor(const RouteMonitor&) = delete;
  RouteMonitor& operator=(const RouteMonitor&) = delete;

  const std::string& netns() const { return ns_.name(); }
  const NetnsId& netns_id() const { return ns_.id(); }
  int fd() const;
  // The first dump is complete: table() is the kernel's table.
  bool ready() const { return ready_; }
  const RouteTable& table() const { return table_; }
  // How many times the kernel dropped notifications (ENOBUFS or a truncated read).
  int losses() const { return losses_; }

  // Reads every message the socket holds now, without blocking, and applies it: calls
  // `on.ready` when the first dump is complete, then `on.change` for every destination whose
  // entries changed. Throws Error when the socket fails.
  void read_available(const Handlers& on);

 private:
  enum class Dump { none, links, routes };
  struct Trigger {
    Clock::time_point at;
    bool exact = true;
  };

  void handle(const nlmsghdr* msg, Clock::time_point at, const Handlers& on);
  void handle_route(const nlmsghdr* msg, Clock::time_point at, const Handlers& on);
  void handle_link(const nlmsghdr* msg, Clock::time_point at, bool from_dump, const Handlers& on);
  // A route message as a value; nullopt for another table, family, or a cache entry.
  std::optional<Route> route_value_of(const nlmsghdr* msg) const;
  // The IPv4 routes the kernel flushes when `ifindex` goes down or away, flushed here too.
  void device_down(int ifindex, Clock::time_point at, const Handlers& on);
  void dump_done(Clock::time_point at, const Handlers& on);
  // Asks for a new dump of links and routes (now, or after the one under way).
  void resync(Trigger trigger);
  void request_dump(Dump what);
  std::string ifname(int ifindex) const;

  Netns ns_;
  std::vector<char> buffer_;
  RouteTable table_;
  std::map<int, std::string> ifnames_;
  std::map<int, unsigned> ifflags_;
  bool ready_ = false;
  int losses_ = 0;
  Dump dumping_ = Dump::none;
  unsigned dump_seq_ = 0;
  bool dump_interrupted_ = false;
  // While routes are dumped: the table the dump builds (notifications go to both).
  std::optional<RouteTable> fresh_;
  // What asked for the dump under way, and for the one after it.
  std::optional<Trigger> current_, next_;
};

}  // namespace nl
