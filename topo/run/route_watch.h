// route_watch.h - the route check's engine: "node X has (or no longer has) a route to PREFIX
// [via GW | dev IFACE]", timed from the kernel's own route notifications in each node, not by
// polling. What such a check means is in route_history.h.
//
// One background thread reads every node's route monitor (netlink/route_monitor.h) and stamps
// each notification with std::chrono::steady_clock::now() as it arrives, whatever the caller's
// thread is doing; a change is therefore timed to well under a millisecond after the kernel
// made it. Every method is safe to call from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "netlink/route_monitor.h"
#include "topo/model/fd.h"
#include "topo/run/route_history.h"

namespace topo {

class RouteWatch {
 public:
  struct Node {
    std::string name;   // as checks name it ("r1")
    std::string netns;  // its namespace under /run/netns ("lab-r1")
  };

  RouteWatch();
  // Stops the thread and closes every socket (a socket holds its namespace alive).
  ~RouteWatch();
  RouteWatch(const RouteWatch&) = delete;
  RouteWatch& operator=(const RouteWatch&) = delete;

  // Opens a monitor in each node's namespace and returns once each has read its node's table:
  // from then on every change is recorded. Throws nl::Error when a namespace cannot be opened
  // or read. Once per watch.
  void start(const std::vector<Node>& nodes);

  // Waits until the query is as wanted (`present`: the route is there; else it is not) and
  // returns when it became so and stayed: the stamp of the notification that made it hold, or
  // `since` when it held at `since` already and has held since. nullopt when it is not so by
  // `deadline`. Throws std::runtime_error when the node's monitor failed (its namespace was
  // removed) before the query was as wanted.
  std::optional<SteadyTime> wait(const RouteQuery& query, bool present, SteadyTime since,
                                 SteadyTime deadline);

  // Waits until `until` (or the first break) and returns the first moment in [from, until] at
  // which the query was not as wanted; nullopt when it held throughout (it did not flap).
  // Throws std::runtime_error when the node's monitor failed before `until`.
  std::optional<SteadyTime> first_break(const RouteQuery& query, bool present, SteadyTime from,
                                        SteadyTime until);
  bool holds_throughout(const RouteQuery& query, bool present, SteadyTime from, SteadyTime until) {
    return !first_break(query, present, from, until);
  }

  // What the node has now to the query's prefix, for a failure message: "r1 has 10.0.0.3/32
  // via 10.0.12.2 dev eth1 proto ospf" or "r1 has no route to 10.0.0.3/32".
  std::string describe(const RouteQuery& query);
  // The node's whole main table now (after reading what the kernel has sent).
  nl::RouteTable table(const std::string& node);
  // Whether the node's notifications in (from, until] were all read (none lost, so every time
  // from then is exact).
  bool exact(const RouteQuery& query, SteadyTime from, SteadyTime until);

 private:
  struct Watched;

  void run();
  // Ends the thread (if it runs) and waits for it.
  void stop();
  // Reads what every monitor holds; records changes. On the thread, without the lock.
  void read_all();
  void read(Watched& node);
  void check_removed_namespaces();
  void fail(Watched& node, const std::string& error);
  // Waits until the thread has read everything the kernel had sent when this was called.
  void sync(std::unique_lock<std::mutex>& lock);
  Watched& node(const std::string& name);
  [[noreturn]] void throw_failed(const Watched& node) const;

  std::vector<std::unique_ptr<Watched>> nodes_;
  nl::Fd epoll_, wake_, inotify_;
  std::thread thread_;

  std::mutex mutex_;
  std::condition_variable changed_;
  // Guarded by mutex_:
  bool stop_ = false;
  bool started_ = false;  // every node's first dump is read
  bool running_ = true;   // the thread runs
  std::exception_ptr start_failure_;
  unsigned long sync_asked_ = 0, sync_done_ = 0;
};

}  // namespace topo
