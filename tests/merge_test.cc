// The reorder window: oldest first, held until its window passes, bounded in memory.
#include "topo/capture/merge.h"

#include <gtest/gtest.h>

#include <thread>

namespace topo::capture {
namespace {

Packet packet(uint32_t end, uint64_t ts, size_t size = 10) {
  Packet p;
  p.end = end;
  p.timestamp_ns = ts;
  p.length = static_cast<uint32_t>(size);
  p.data.assign(size, 0);
  return p;
}

TEST(Reorder, PacketsLeaveInTimestampOrderOnceTheirWindowPassed) {
  Reorder r(1 << 20);
  for (auto [end, ts] : {std::pair{0u, 300u}, {1u, 100u}, {2u, 200u}}) {
    Packet p = packet(end, ts);
    ASSERT_TRUE(r.push(p));
  }
  EXPECT_FALSE(r.pop(99, false)) << "none is old enough";
  EXPECT_EQ(r.pop(150, false)->timestamp_ns, 100u);
  EXPECT_FALSE(r.pop(150, false));
  EXPECT_EQ(r.pop(0, true)->timestamp_ns, 200u) << "all: the window does not matter";
  EXPECT_EQ(r.pop(0, true)->end, 0u);
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.bytes(), 0u);
  EXPECT_EQ(r.late(), 0u);
}

TEST(Reorder, EqualTimestampsKeepTheirArrivalOrder) {
  Reorder r(1 << 20);
  for (uint32_t end = 0; end < 5; end++) {
    Packet p = packet(end, 7);
    r.push(p);
  }
  for (uint32_t end = 0; end < 5; end++) EXPECT_EQ(r.pop(7, false)->end, end);
}

TEST(Reorder, APacketThatDoesNotFitIsRefusedAndLeftToTheCaller) {
  Reorder r(2 * (sizeof(Packet) + 100));
  Packet a = packet(0, 1, 100), b = packet(0, 2, 100), c = packet(0, 3, 100);
  EXPECT_TRUE(r.push(a));
  EXPECT_TRUE(r.push(b));
  EXPECT_FALSE(r.push(c));
  EXPECT_EQ(c.data.size(), 100u) << "the refused packet is intact";
  r.pop(0, true);
  EXPECT_TRUE(r.push(c)) << "room again once one left";
}

TEST(Reorder, APacketOlderThanOneGoneIsCountedLate) {
  Reorder r(1 << 20);
  Packet a = packet(0, 100);
  r.push(a);
  r.pop(1000, false);
  Packet b = packet(1, 50);
  r.push(b);
  EXPECT_EQ(r.pop(1000, false)->timestamp_ns, 50u);
  EXPECT_EQ(r.late(), 1u);
}

// One thread pushes, another pops (as the capture's reader and writer): every packet comes
// out once, in order (TSan checks the locking).
TEST(PacketQueue, ReaderAndWriterThreadsHandOverEveryPacketInOrder) {
  PacketQueue q(1 << 24, 0);
  constexpr uint64_t kCount = 5000;
  uint64_t base = realtime_ns() - 1'000'000'000;  // all older than the window
  std::thread reader([&] {
    for (uint64_t i = 0; i < kCount; i++) {
      Packet p = packet(static_cast<uint32_t>(i % 3), base + i);
      while (!q.push(p)) std::this_thread::yield();
    }
    q.close();
  });
  uint64_t seen = 0, last = 0;
  while (!q.finished()) {
    if (std::optional<Packet> p = q.pop(1'000'000)) {
      EXPECT_GE(p->timestamp_ns, last);
      last = p->timestamp_ns;
      seen++;
    }
  }
  reader.join();
  EXPECT_EQ(seen, kCount);
}

TEST(PacketQueue, APacketWaitsForItsWindowUnlessTheQueueIsClosed) {
  PacketQueue q(1 << 20, 60'000'000'000);  // a minute
  Packet p = packet(0, realtime_ns());
  q.push(p);
  EXPECT_FALSE(q.pop(1'000'000));
  q.close();
  EXPECT_TRUE(q.pop(1'000'000));
  EXPECT_TRUE(q.finished());
}

}  // namespace
}  // namespace topo::capture
