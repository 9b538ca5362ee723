// The route check's engine against the kernel: namespaces made here with `ip netns add`, routes
// changed with ip(8), and what the watch saw and when, compared with the kernel and with
// `ip monitor`'s own timestamps.
#include "topo/run/route_watch.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "netlink/error.h"
#include "tests/lab_fixture.h"

namespace topo::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

nl::IpPrefix prefix(const char* text) {
  return *nl::IpPrefix::parse(text, true);
}

RouteQuery query(const char* dst, std::optional<const char*> via = {},
                 std::optional<std::string> dev = {}) {
  RouteQuery q{"a", prefix(dst), {}, dev};
  if (via) q.via = prefix(*via);
  return q;
}

// Namespaces of this test alone, removed at the end whatever happened.
class RouteWatchKernel : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (namespaces, netlink)";
    static std::atomic<int> counter{0};
    base_ = fmt::format("rw{}-{}", getpid(), counter++);
  }
  void TearDown() override {
    for (const std::string& ns : made_)
      if (netns_with_prefix(ns) == std::vector<std::string>{ns}) run("ip netns delete " + ns);
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // A namespace with two veth pairs in it: v1 (10.0.12.1/24, fd00:12::1/64) and v2
  // (10.0.13.1/24, fd00:13::1/64), up, their peers w1, w2 up too.
  std::string make_node(const std::string& node) {
    std::string ns = base_ + "-" + node;
    EXPECT_EQ(run("ip netns add " + ns).status, 0);
    made_.push_back(ns);
    for (auto [dev, peer, net] : {std::tuple{"v1", "w1", "12"}, {"v2", "w2", "13"}}) {
      ip(ns, fmt::format("link add {} type veth peer name {}", dev, peer));
      ip(ns, fmt::format("addr add 10.0.{}.1/24 dev {}", net, dev));
      ip(ns, fmt::format("addr add fd00:{}::1/64 dev {} nodad", net, dev));
      ip(ns, fmt::format("link set {} up", dev));
      ip(ns, fmt::format("link set {} up", peer));
    }
    return ns;
  }
  void ip(const std::string& ns, const std::string& args) {
    CmdResult r = run("ip -n " + ns + " " + args);
    EXPECT_EQ(r.status, 0) << "ip " << args << ": " << r.output;
  }

  // Waits for the query, timed from `since`; fails the test if it does not hold within 5 s.
  SteadyTime expect(RouteWatch& watch, const RouteQuery& q, bool present, SteadyTime since) {
    std::optional<SteadyTime> at = watch.wait(q, present, since, since + 5s);
    EXPECT_TRUE(at) << query_text(q, present) << ": " << watch.describe(q);
    return at.value_or(since);
  }

  // A file of this test's (removed at the end).
  std::string dir_file(const std::string& name) {
    if (dir_.empty()) {
      char tmpl[] = "/tmp/rw-test.XXXXXX";
      dir_ = mkdtemp(tmpl);
    }
    return dir_ + "/" + name;
  }

  std::string base_, dir_;
  std::vector<std::string> made_;
};

TEST_F(RouteWatchKernel, FollowsIpv4AddReplaceMultipathAndDelete) {
  std::string ns = make_node("a");
  RouteWatch watch;
  watch.start({{"a", ns}});
  EXPECT_TRUE(watch.wait(query("10.0.12.0/24", {}, "v1"), true, Clock::now(), Clock::now()));

  SteadyTime t0 = Clock::now();
  ip(ns, "route add 10.0.0.3/32 via 10.0.12.2");
  SteadyTime added = expect(watch, query("10.0.0.3/32", "10.0.12.2", "v1"), true, t0);
  EXPECT_GT(added, t0);
  EXPECT_EQ(watch.describe(query("10.0.0.3/32")),
            "a has 10.0.0.3/32 via 10.0.12.2 dev v1 proto boot");

  SteadyTime t1 = Clock::now();
  ip(ns, "route replace 10.0.0.3/32 via 10.0.13.2 proto ospf");
  SteadyTime moved = expect(watch, query("10.0.0.3/32", "10.0.13.2"), true, t1);
  EXPECT_EQ(expect(watch, query("10.0.0.3/32", "10.0.12.2"), false, t1), moved);
  EXPECT_EQ(watch.describe(query("10.0.0.3/32")),
            "a has 10.0.0.3/32 via 10.0.13.2 dev v2 proto ospf");
  // It held (via 10.0.13.2) from then on, so a later `since` is the answer.
  SteadyTime later = Clock::now();
  EXPECT_EQ(watch.wait(query("10.0.0.3/32", "10.0.13.2"), true, later, later + 1s), later);
  EXPECT_TRUE(watch.holds_throughout(query("10.0.0.3/32", "10.0.13.2"), true, moved, Clock::now()));
  EXPECT_FALSE(watch.holds_throughout(query("10.0.0.3/32", "10.0.12.2"), true, t0, Clock::now()));

  ip(ns, "route replace 10.0.0.3/32 nexthop via 10.0.12.2 nexthop via 10.0.13.2");
  expect(watch, query("10.0.0.3/32", "10.0.12.2", "v1"), true, t1);
  nl::RouteTable table = watch.table("a");
  const nl::RouteTable::Entries& entries = table.to(prefix("10.0.0.3/32"));
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].nexthops.size(), 2u);

  SteadyTime t2 = Clock::now();
  ip(ns, "route del 10.0.0.3/32");
  EXPECT_GT(expect(watch, query("10.0.0.3/32"), false, t2), t2);
  EXPECT_EQ(watch.describe(query("10.0.0.3/32")), "a has no route to 10.0.0.3/32");
  // A route that never comes: nullopt at the deadline, not an answer.
  SteadyTime t3 = Clock::now();
  EXPECT_EQ(watch.wait(query("10.0.0.99/32"), true, t3, t3 + 50ms), std::nullopt);
  EXPECT_GE(Clock::now(), t3 + 50ms);
  EXPECT_TRUE(watch.exact(query("10.0.0.3/32"), t0, Clock::now()));
}

TEST_F(RouteWatchKernel, FollowsIpv6MultipathNexthopByNexthop) {
  std::string ns = make_node("a");
  RouteWatch watch;
  watch.start({{"a", ns}});
  SteadyTime t0 = Clock::now();
  ip(ns, "-6 route add fd00:99::/64 via fd00:12::2");
  ip(ns, "-6 route append fd00:99::/64 via fd00:13::2");
  SteadyTime both = expect(watch, query("fd00:99::/64", "fd00:13::2", "v2"), true, t0);
  expect(watch, query("fd00:99::/64", "fd00:12::2", "v1"), true, t0);
  ASSERT_EQ(watch.table("a").to(prefix("fd00:99::/64")).size(), 1u);
  // One nexthop leaves; the other stays.
  SteadyTime t1 = Clock::now();
  ip(ns, "-6 route del fd00:99::/64 via fd00:12::2");
  SteadyTime gone = expect(watch, query("fd00:99::/64", "fd00:12::2"), false, t1);
  EXPECT_GT(gone, t1);
  EXPECT_TRUE(
      watch.holds_throughout(query("fd00:99::/64", "fd00:13::2"), true, both, Clock::now()));
  EXPECT_FALSE(
      watch.holds_throughout(query("fd00:99::/64", "fd00:12::2"), true, both, Clock::now()));
  // A replace replaces the whole route.
  ip(ns, "-6 route replace fd00:99::/64 proto bgp nexthop via fd00:12::2 nexthop via fd00:13::2");
  expect(watch, query("fd00:99::/64", "fd00:12::2"), true, t1);
  ip(ns, "-6 route replace fd00:99::/64 dev v1 proto static");
  expect(watch, query("fd00:99::/64", "fd00:13::2"), false, t1);
  expect(watch, query("fd00:99::/64", {}, "v1"), true, t1);
  ip(ns, "-6 route del fd00:99::/64");
  expect(watch, query("fd00:99::/64"), false, Clock::now() - 1s);

  // What the notifications built is what a fresh read of the kernel's table finds.
  RouteWatch fresh;
  fresh.start({{"a", ns}});
  nl::RouteTable followed = watch.table("a"), dumped = fresh.table("a");
  EXPECT_TRUE(followed.differences(dumped).empty());
  EXPECT_GT(dumped.size(), 4u);
}

TEST_F(RouteWatchKernel, SeesIpv4RoutesTheKernelFlushesSilentlyWhenALinkGoesDown) {
  std::string ns = make_node("a");
  ip(ns, "route add 10.0.0.3/32 via 10.0.12.2");
  ip(ns, "route add 10.0.0.4/32 nexthop via 10.0.12.2 nexthop via 10.0.13.2");
  RouteWatch watch;
  watch.start({{"a", ns}});
  SteadyTime t0 = Clock::now();
  ip(ns, "link set v1 down");  // no RTM_DELROUTE for IPv4 routes: only the link's notification
  SteadyTime gone = expect(watch, query("10.0.0.3/32"), false, t0);
  EXPECT_EQ(expect(watch, query("10.0.0.4/32", "10.0.12.2"), false, t0), gone);
  expect(watch, query("10.0.0.4/32", "10.0.13.2"), true, t0);
  // After the dump it asks for, the table is still the kernel's.
  RouteWatch fresh;
  fresh.start({{"a", ns}});
  EXPECT_TRUE(watch.table("a").differences(fresh.table("a")).empty())
      << watch.describe(query("10.0.0.4/32")) << " / " << fresh.describe(query("10.0.0.4/32"));
}

TEST_F(RouteWatchKernel, SeesRoutesGoSilentlyWithTheirNexthopObject) {
  std::string ns = make_node("a");
  ip(ns, "nexthop add id 7 via 10.0.12.2 dev v1");
  ip(ns, "route add 10.0.0.7/32 nhid 7 proto ospf");
  RouteWatch watch;
  watch.start({{"a", ns}});
  EXPECT_EQ(watch.describe(query("10.0.0.7/32")),
            "a has 10.0.0.7/32 via 10.0.12.2 dev v1 proto ospf");
  SteadyTime t0 = Clock::now();
  ip(ns, "nexthop del id 7");  // no RTM_DELROUTE: only the nexthop's notification
  EXPECT_GT(expect(watch, query("10.0.0.7/32"), false, t0), t0);
}

// `ip -ts monitor route link` in the namespace, its output in a file (started by a shell, so
// that this multithreaded process does not fork).
class IpMonitor {
 public:
  IpMonitor(const std::string& ns, const std::string& file) : file_(file) {
    CmdResult r = run("TZ=UTC stdbuf -oL ip -ts -n " + ns + " monitor route link > " +
                      quoted(file) + " 2>&1 & echo $!");
    pid_ = std::atoi(r.output.c_str());
    EXPECT_GT(pid_, 0) << r.output;
  }
  ~IpMonitor() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    eventually([&] { return kill(pid_, 0) != 0; }, std::chrono::milliseconds(5000));
  }
  // The wall-clock time of the first line after `skip` lines that contains `part`.
  std::optional<std::chrono::system_clock::time_point> line_time(const std::string& part,
                                                                 size_t skip = 0) const {
    std::istringstream lines(file_text(file_));
    size_t n = 0;
    for (std::string line; std::getline(lines, line); n++) {
      if (n < skip || line.find(part) == std::string::npos || line[0] != '[') continue;
      std::tm tm{};
      int usec = 0;
      if (sscanf(line.c_str(), "[%d-%d-%dT%d:%d:%d.%d]", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                 &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &usec) != 7)
        continue;
      tm.tm_year -= 1900;
      tm.tm_mon -= 1;
      return std::chrono::system_clock::from_time_t(timegm(&tm)) + std::chrono::microseconds(usec);
    }
    return std::nullopt;
  }
  size_t lines() const {
    std::istringstream in(file_text(file_));
    size_t n = 0;
    for (std::string line; std::getline(in, line);) n++;
    return n;
  }

 private:
  std::string file_;
  pid_t pid_ = -1;
};

// steady_clock's reading of a wall-clock time, from a pair read together now.
SteadyTime steady_of(std::chrono::system_clock::time_point wall) {
  SteadyTime before = Clock::now();
  auto system = std::chrono::system_clock::now();
  SteadyTime after = Clock::now();
  return before + (after - before) / 2 + (wall - system);
}

double ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

TEST_F(RouteWatchKernel, MeasuredTimeAgreesWithIpMonitorWithinAFewMilliseconds) {
  std::string ns = make_node("a");
  std::string file = dir_file("monitor.out");
  RouteWatch watch;
  watch.start({{"a", ns}});
  {
    IpMonitor monitor(ns, file);
    // ip monitor is listening once it reports a change made after it started.
    ASSERT_TRUE(eventually(
        [&] {
          run("ip -n " + ns + " route replace 10.0.0.250/32 via 10.0.12.2");
          run("ip -n " + ns + " route del 10.0.0.250/32");
          return monitor.line_time("Deleted 10.0.0.250").has_value();
        },
        5000ms));
    for (int round = 0; round < 3; round++) {
      // A route added, then deleted: RTM_NEWROUTE and RTM_DELROUTE.
      size_t skip = monitor.lines();
      SteadyTime t0 = Clock::now();
      ip(ns, "route add 10.0.0.3/32 via 10.0.12.2");
      SteadyTime added = expect(watch, query("10.0.0.3/32"), true, t0);
      ip(ns, "route del 10.0.0.3/32");
      SteadyTime deleted = expect(watch, query("10.0.0.3/32"), false, added);
      std::optional<std::chrono::system_clock::time_point> ip_added, ip_deleted;
      ASSERT_TRUE(eventually(
          [&] {
            ip_added = monitor.line_time("10.0.0.3 via 10.0.12.2", skip);
            ip_deleted = monitor.line_time("Deleted 10.0.0.3 via", skip);
            return ip_added && ip_deleted;
          },
          5000ms));
      EXPECT_NEAR(ms(added - steady_of(*ip_added)), 0, 5) << "route added, round " << round;
      EXPECT_NEAR(ms(deleted - steady_of(*ip_deleted)), 0, 5) << "route deleted, round " << round;

      // A link set down: the kernel flushes the IPv4 route with no route notification; ip
      // monitor sees the link go down.
      ip(ns, "route add 10.0.0.3/32 via 10.0.12.2");
      expect(watch, query("10.0.0.3/32"), true, deleted);
      skip = monitor.lines();
      SteadyTime t1 = Clock::now();
      ip(ns, "link set v1 down");
      SteadyTime flushed = expect(watch, query("10.0.0.3/32"), false, t1);
      std::optional<std::chrono::system_clock::time_point> ip_down;
      ASSERT_TRUE(eventually(
          [&] {
            return (ip_down = monitor.line_time("v1@w1: <BROADCAST,MULTICAST>", skip)).has_value();
          },
          5000ms));
      EXPECT_NEAR(ms(flushed - steady_of(*ip_down)), 0, 5) << "link down, round " << round;
      std::cout << fmt::format(
          "round {}: watch - ip monitor: add {:+.3f} ms, delete {:+.3f} ms, "
          "link down {:+.3f} ms\n",
          round, ms(added - steady_of(*ip_added)), ms(deleted - steady_of(*ip_deleted)),
          ms(flushed - steady_of(*ip_down)));
      ip(ns, "link set v1 up");
    }
  }
}

TEST_F(RouteWatchKernel, ANamespaceRemovedUnderTheWatchIsAnErrorNotAHang) {
  std::string a = make_node("a"), b = make_node("b");
  RouteWatch watch;
  watch.start({{"a", a}, {"b", b}});
  std::thread remover([&] { run("ip netns delete " + a); });
  SteadyTime t0 = Clock::now();
  try {
    watch.wait(query("10.0.0.99/32"), true, t0, t0 + 60s);
    ADD_FAILURE() << "wait returned for a namespace that was removed";
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(contains(e.what(), "namespace " + a + " was removed")) << e.what();
  }
  remover.join();
  EXPECT_LT(Clock::now() - t0, 10s);
  // The other node is still watched.
  ip(b, "route add 10.0.0.3/32 via 10.0.12.2");
  RouteQuery on_b = query("10.0.0.3/32");
  on_b.node = "b";
  expect(watch, on_b, true, t0);
}

TEST_F(RouteWatchKernel, StartFailsForAMissingNamespaceOrUnknownNode) {
  RouteWatch watch;
  EXPECT_THROW(watch.start({{"a", base_ + "-missing"}}), nl::Error);
  std::string ns = make_node("a");
  RouteWatch other;
  other.start({{"a", ns}});
  RouteQuery q = query("10.0.0.3/32");
  q.node = "zz";
  EXPECT_THROW(other.wait(q, true, Clock::now(), Clock::now() + 1s), std::runtime_error);
}

}  // namespace
}  // namespace topo::testing

namespace topo::testing {
namespace {

// Reads the monitor until `done` holds (or 10 s pass).
template <class F>
bool read_until(nl::RouteMonitor& monitor, const nl::RouteMonitor::Handlers& on, F done) {
  return eventually(
      [&] {
        monitor.read_available(on);
        return done();
      },
      std::chrono::milliseconds(10000));
}

TEST_F(RouteWatchKernel, DroppedNotificationsAreReadAgainFromADumpAndFlaggedInexact) {
  std::string ns = make_node("a");
  // A receive buffer far too small for the burst below.
  nl::RouteMonitor monitor(ns, 4096);
  int inexact = 0;
  nl::RouteMonitor::Handlers on;
  on.ready = [](const nl::RouteTable&, SteadyTime) {};
  on.change = [&](const nl::IpPrefix&, const nl::RouteTable::Entries&, SteadyTime, bool exact) {
    inexact += !exact;
  };
  ASSERT_TRUE(read_until(monitor, on, [&] { return monitor.ready(); }));
  std::string batch = dir_file("routes.batch");
  {
    std::ofstream out(batch);
    for (int i = 0; i < 500; i++)
      out << fmt::format("route add 10.9.{}.{}/32 via 10.0.12.2\n", i / 250, i % 250);
  }
  ip(ns, "-batch " + batch);
  // Nothing read meanwhile: the kernel had to drop most of the 500 notifications.
  nl::RouteMonitor fresh(ns);
  nl::RouteMonitor::Handlers quiet{
      [](const nl::RouteTable&, SteadyTime) {},
      [](const nl::IpPrefix&, const nl::RouteTable::Entries&, SteadyTime, bool) {}};
  ASSERT_TRUE(read_until(fresh, quiet, [&] { return fresh.ready(); }));
  ASSERT_TRUE(
      read_until(monitor, on, [&] { return monitor.table().differences(fresh.table()).empty(); }))
      << monitor.table().size() << " routes followed, " << fresh.table().size() << " in the kernel";
  EXPECT_GT(monitor.losses(), 0);
  EXPECT_GT(inexact, 0);
  EXPECT_EQ(monitor.table().to(prefix("10.9.1.249/32")).size(), 1u);
}

}  // namespace
}  // namespace topo::testing
