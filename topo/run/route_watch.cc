#include "topo/run/route_watch.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "netlink/error.h"
#include "netlink/netns.h"

namespace topo {

namespace {

using Clock = std::chrono::steady_clock;

// epoll's tags: the wake-up eventfd, the inotify of /run/netns, then node i as kFirstNode + i.
constexpr uint64_t kWake = 0, kNetnsDir = 1, kFirstNode = 2;

struct Snapshot {
  nl::RouteTable table;
  SteadyTime at;
};
struct Change {
  nl::IpPrefix dst;
  nl::RouteTable::Entries entries;
  SteadyTime at;
  bool exact = true;
};

}  // namespace

struct RouteWatch::Watched {
  std::string name, netns;
  // The thread's alone (made and read there).
  std::unique_ptr<nl::RouteMonitor> monitor;
  int losses_seen = 0;
  // Guarded by RouteWatch::mutex_:
  std::optional<RouteHistory> history;  // from the first dump on
  std::string error;                    // the monitor failed: no news from then on
  SteadyTime error_at;
};

RouteWatch::RouteWatch() = default;

RouteWatch::~RouteWatch() {
  stop();
}

void RouteWatch::stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  uint64_t one = 1;
  (void)!write(wake_.get(), &one, sizeof one);
  thread_.join();
}

void RouteWatch::start(const std::vector<Node>& nodes) {
  if (thread_.joinable()) throw std::logic_error("RouteWatch::start called twice");
  epoll_ = nl::Fd(epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_.valid()) nl::throw_errno("", "route watch", "create an epoll", errno);
  wake_ = nl::Fd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake_.valid()) nl::throw_errno("", "route watch", "create an eventfd", errno);
  // Before any monitor opens its namespace, so that no removal goes unseen.
  inotify_ = nl::Fd(inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (!inotify_.valid()) nl::throw_errno("", "route watch", "create an inotify", errno);
  if (inotify_add_watch(inotify_.get(), nl::kNetnsRunDir, IN_DELETE | IN_MOVED_FROM) < 0)
    nl::throw_errno("", nl::kNetnsRunDir, "watch", errno);
  for (auto [fd, tag] : {std::pair{wake_.get(), kWake}, {inotify_.get(), kNetnsDir}}) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = tag;
    if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) != 0)
      nl::throw_errno("", "route watch", "add to epoll", errno);
  }
  for (const Node& n : nodes) {
    auto w = std::make_unique<Watched>();
    w->name = n.name;
    w->netns = n.netns;
    nodes_.push_back(std::move(w));
  }
  thread_ = std::thread([this] { run(); });
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return started_ || start_failure_; });
  if (!start_failure_) return;
  lock.unlock();
  stop();
  std::rethrow_exception(start_failure_);
}

void RouteWatch::run() {
  try {
    // The sockets are made here: this thread enters each namespace for a moment (the caller's
    // thread never does), and each socket stays bound to its namespace.
    for (size_t i = 0; i < nodes_.size(); i++) {
      Watched& w = *nodes_[i];
      w.monitor = std::make_unique<nl::RouteMonitor>(w.netns);
      epoll_event event{};
      event.events = EPOLLIN;
      event.data.u64 = kFirstNode + i;
      if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, w.monitor->fd(), &event) != 0)
        nl::throw_errno(w.netns, "route monitor", "add to epoll", errno);
    }
  } catch (...) {
    std::lock_guard lock(mutex_);
    start_failure_ = std::current_exception();
    running_ = false;
    changed_.notify_all();
    return;
  }
  check_removed_namespaces();  // removed before the inotify watch saw it?
  if (nodes_.empty()) {
    std::lock_guard lock(mutex_);
    started_ = true;
    changed_.notify_all();
  }
  std::vector<epoll_event> events(kFirstNode + nodes_.size());
  for (;;) {
    int n = epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::string error = "epoll: " + nl::errno_text(errno);
      for (auto& w : nodes_) fail(*w, error);
      break;
    }
    bool woken = false;
    for (int i = 0; i < n; i++) {
      uint64_t tag = events[i].data.u64;
      if (tag == kWake) {
        uint64_t count;
        (void)!::read(wake_.get(), &count, sizeof count);
        woken = true;
      } else if (tag == kNetnsDir) {
        check_removed_namespaces();
      } else {
        read(*nodes_[tag - kFirstNode]);
      }
    }
    if (!woken) continue;
    unsigned long asked;
    {
      std::lock_guard lock(mutex_);
      if (stop_) break;
      asked = sync_asked_;
    }
    // A caller waits until everything the kernel had sent by its call is read.
    read_all();
    std::lock_guard lock(mutex_);
    sync_done_ = std::max(sync_done_, asked);
    changed_.notify_all();
  }
  std::lock_guard lock(mutex_);
  running_ = false;
  changed_.notify_all();
}

void RouteWatch::read_all() {
  for (auto& w : nodes_)
    if (w->monitor) read(*w);
}

void RouteWatch::read(Watched& w) {
  if (!w.monitor) return;  // failed earlier in this round
  // The first dump comes before any change (the monitor reports none before it).
  std::optional<Snapshot> first;
  std::vector<Change> changes;
  nl::RouteMonitor::Handlers on;
  on.ready = [&](const nl::RouteTable& table, SteadyTime at) { first = Snapshot{table, at}; };
  on.change = [&](const nl::IpPrefix& dst, const nl::RouteTable::Entries& entries, SteadyTime at,
                  bool exact) {
    changes.push_back(Change{dst, entries, at, exact});
  };
  std::string error;
  try {
    w.monitor->read_available(on);
  } catch (const std::exception& e) {
    error = e.what();
  }
  int losses = w.monitor->losses();
  SteadyTime now = Clock::now();
  {
    std::lock_guard lock(mutex_);
    if (first) w.history.emplace(first->table, first->at);
    if (w.history)
      for (Change& c : changes) w.history->record(c.dst, std::move(c.entries), c.at, c.exact);
    if (losses != w.losses_seen && w.history) w.history->lost(now);
    w.losses_seen = losses;
    if (!started_ && std::all_of(nodes_.begin(), nodes_.end(),
                                 [](const auto& n) { return n->history.has_value(); }))
      started_ = true;
    changed_.notify_all();
  }
  if (!error.empty()) fail(w, error);
}

void RouteWatch::check_removed_namespaces() {
  alignas(inotify_event) char buffer[4096];
  while (::read(inotify_.get(), buffer, sizeof buffer) > 0) {
    // Which names went does not matter: each node's name is checked below.
  }
  for (auto& w : nodes_) {
    if (!w->monitor) continue;
    // The socket keeps the namespace alive: it is gone when its name no longer binds it.
    std::optional<uint64_t> inode = nl::netns_inode(w->netns);
    if (!inode || *inode != w->monitor->netns_id().inode)
      fail(*w, fmt::format("namespace {} was removed", w->netns));
  }
}

void RouteWatch::fail(Watched& w, const std::string& error) {
  if (w.monitor) {
    epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, w.monitor->fd(), nullptr);
    w.monitor.reset();  // lets the namespace go
  }
  std::lock_guard lock(mutex_);
  if (!w.error.empty()) return;
  w.error = error;
  w.error_at = Clock::now();
  if (!started_ && !start_failure_)
    start_failure_ = std::make_exception_ptr(std::runtime_error(
        fmt::format("route monitor of node {} (netns {}): {}", w.name, w.netns, error)));
  changed_.notify_all();
}

void RouteWatch::sync(std::unique_lock<std::mutex>& lock) {
  unsigned long target = ++sync_asked_;
  uint64_t one = 1;
  (void)!write(wake_.get(), &one, sizeof one);
  changed_.wait(lock, [&] { return sync_done_ >= target || !running_; });
}

RouteWatch::Watched& RouteWatch::node(const std::string& name) {
  if (!started_) throw std::logic_error("RouteWatch used before start");
  for (auto& w : nodes_)
    if (w->name == name) return *w;
  throw std::runtime_error(fmt::format("route check: no node {} is watched", name));
}

void RouteWatch::throw_failed(const Watched& w) const {
  throw std::runtime_error(
      fmt::format("route monitor of node {} (netns {}): {}", w.name, w.netns, w.error));
}

std::optional<SteadyTime> RouteWatch::wait(const RouteQuery& query, bool present, SteadyTime since,
                                           SteadyTime deadline) {
  std::unique_lock lock(mutex_);
  Watched& w = node(query.node);
  // What the kernel sent before this call is in first: a change just made (a link set down,
  // whose routes go) must not be answered with the table from before it.
  sync(lock);
  for (;;) {
    if (auto began = w.history->holding_since(query, present, SteadyTime::max());
        began && *began <= deadline)
      return std::max(*began, since);
    if (!w.error.empty()) throw_failed(w);
    if (Clock::now() >= deadline) {
      sync(lock);  // a notification the kernel sent by the deadline is in
      if (auto began = w.history->holding_since(query, present, deadline))
        return std::max(*began, since);
      return std::nullopt;
    }
    changed_.wait_until(lock, deadline);
  }
}

std::optional<SteadyTime> RouteWatch::first_break(const RouteQuery& query, bool present,
                                                  SteadyTime from, SteadyTime until) {
  std::unique_lock lock(mutex_);
  Watched& w = node(query.node);
  for (;;) {
    SteadyTime now = Clock::now();
    if (SteadyTime upto = std::min(now, until); upto >= from)
      if (auto broke = w.history->first_break(query, present, from, upto)) return broke;
    if (!w.error.empty() && w.error_at <= until) throw_failed(w);
    if (now >= until) {
      sync(lock);
      return w.history->first_break(query, present, from, until);
    }
    changed_.wait_until(lock, until);
  }
}

std::string RouteWatch::describe(const RouteQuery& query) {
  std::lock_guard lock(mutex_);
  Watched& w = node(query.node);
  return routes_text(query.node, query.prefix, w.history->entries(query.prefix, SteadyTime::max()));
}

nl::RouteTable RouteWatch::table(const std::string& name) {
  std::unique_lock lock(mutex_);
  Watched& w = node(name);
  sync(lock);
  return w.history->table_at(SteadyTime::max());
}

bool RouteWatch::exact(const RouteQuery& query, SteadyTime from, SteadyTime until) {
  std::lock_guard lock(mutex_);
  return node(query.node).history->exact(query.prefix, from, until);
}

}  // namespace topo
