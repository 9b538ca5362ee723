#include "topo/capture/merge.h"

#include <time.h>

#include <chrono>

namespace topo::capture {

bool Reorder::push(Packet& packet) {
  size_t size = cost(packet);
  if (bytes_ + size > capacity_) return false;
  packet.arrival = arrivals_++;
  bytes_ += size;
  heap_.push(std::move(packet));
  return true;
}

std::optional<Packet> Reorder::pop(uint64_t ready_before_ns, bool all) {
  if (heap_.empty() || (!all && heap_.top().timestamp_ns > ready_before_ns)) return std::nullopt;
  // top() is const: the packet is copied out of it only in name (its vector is moved).
  Packet p = std::move(const_cast<Packet&>(heap_.top()));
  heap_.pop();
  bytes_ -= cost(p);
  if (p.timestamp_ns < last_out_ns_)
    late_++;
  else
    last_out_ns_ = p.timestamp_ns;
  return p;
}

bool PacketQueue::push(Packet& packet) {
  std::lock_guard lock(mutex_);
  bool fits = reorder_.push(packet);
  if (fits) cv_.notify_one();
  return fits;
}

void PacketQueue::close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  cv_.notify_all();
}

std::optional<Packet> PacketQueue::pop(uint64_t wait_ns) {
  std::unique_lock lock(mutex_);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(wait_ns);
  while (true) {
    uint64_t now = realtime_ns();
    uint64_t ready_before = now > window_ns_ ? now - window_ns_ : 0;
    if (auto p = reorder_.pop(ready_before, closed_)) return p;
    if (closed_ || cv_.wait_until(lock, deadline) == std::cv_status::timeout) {
      // The window of the oldest packet may have passed while waiting.
      now = realtime_ns();
      return reorder_.pop(now > window_ns_ ? now - window_ns_ : 0, closed_);
    }
  }
}

bool PacketQueue::finished() {
  std::lock_guard lock(mutex_);
  return closed_ && reorder_.empty();
}

uint64_t PacketQueue::late() {
  std::lock_guard lock(mutex_);
  return reorder_.late();
}

uint64_t realtime_ns() {
  timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return static_cast<uint64_t>(t.tv_sec) * 1000000000u + static_cast<uint64_t>(t.tv_nsec);
}

}  // namespace topo::capture
