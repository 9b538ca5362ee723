// merge.h - packets of several capture handles put back into one timeline.
//
// Each handle delivers its own packets in order, but handles are read one after the other, so
// a packet of one end may be read a few milliseconds after a later packet of another. Packets
// wait here until they are older than a window (by the clock their timestamps are taken from),
// and leave oldest first. The memory they take is bounded: a packet that does not fit is
// refused (the caller counts it as dropped), so a writer that falls behind costs packets, never
// unbounded memory.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <queue>
#include <vector>

namespace topo::capture {

struct Packet {
  uint32_t end = 0;           // the index of the end that saw it
  uint64_t timestamp_ns = 0;  // since the epoch (CLOCK_REALTIME, as the kernel stamps packets)
  uint32_t length = 0;        // on the wire
  std::vector<uint8_t> data;  // as captured (at most the snaplen)
  uint64_t arrival = 0;       // order of arrival: breaks ties between equal timestamps
};

// Oldest first; not thread-safe (see PacketQueue).
class Reorder {
 public:
  explicit Reorder(size_t capacity_bytes) : capacity_(capacity_bytes) {}
  // False (the packet is left to the caller) when it does not fit.
  bool push(Packet& packet);
  // The oldest packet if it was stamped at or before `ready_before_ns` (any with `all`).
  std::optional<Packet> pop(uint64_t ready_before_ns, bool all);
  size_t bytes() const { return bytes_; }
  bool empty() const { return heap_.empty(); }
  // Packets that left after a later one had: they came more than a window late.
  uint64_t late() const { return late_; }

 private:
  static size_t cost(const Packet& p) { return sizeof(Packet) + p.data.capacity(); }
  struct Later {
    bool operator()(const Packet& a, const Packet& b) const {
      return a.timestamp_ns != b.timestamp_ns ? a.timestamp_ns > b.timestamp_ns
                                              : a.arrival > b.arrival;
    }
  };
  std::priority_queue<Packet, std::vector<Packet>, Later> heap_;
  size_t capacity_, bytes_ = 0;
  uint64_t arrivals_ = 0, last_out_ns_ = 0, late_ = 0;
};

// A Reorder between the thread that reads the handles and the one that writes.
class PacketQueue {
 public:
  PacketQueue(size_t capacity_bytes, uint64_t window_ns)
      : reorder_(capacity_bytes), window_ns_(window_ns) {}
  bool push(Packet& packet);
  // No more packets will come: what is left leaves now, oldest first.
  void close();
  // The next packet whose window has passed, waiting for one at most `wait_ns`; nullopt when
  // none is ready by then, or when the queue is closed and empty (then `finished()`).
  std::optional<Packet> pop(uint64_t wait_ns);
  bool finished();
  uint64_t late();

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  Reorder reorder_;
  uint64_t window_ns_;
  bool closed_ = false;
};

// Now, in nanoseconds since the epoch (CLOCK_REALTIME).
uint64_t realtime_ns();

}  // namespace topo::capture
