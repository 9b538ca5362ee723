// capture.h - libpcap on link ends of a lab, each handle opened inside its end's namespace,
// their packets merged into one timeline and given to a Sink.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "topo/capture/merge.h"
#include "topo/capture/pcapng.h"
#include "topo/model/fd.h"

namespace topo::capture {

// A BPF filter libpcap cannot compile: its message.
struct FilterError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

struct CaptureEnd {
  std::string name;   // node:iface: the interface's name in the output
  std::string iface;  // the interface in its namespace
  std::string netns;  // the namespace's name; "" for the root namespace
  nl::Fd netns_fd;    // open on the namespace; invalid for the root namespace
  std::string description;
};

inline constexpr int kDefaultSnaplen = 262144;  // as tcpdump's: whole packets, GSO ones too

struct CaptureOptions {
  std::string filter;  // libpcap's syntax; "" for every packet
  int snaplen = kDefaultSnaplen;
  uint64_t count = 0;  // stop after this many packets written; 0: no limit
  std::optional<std::chrono::milliseconds> duration;
  int buffer_bytes = 2 << 20;        // the kernel's ring, per end
  size_t queue_bytes = 64 << 20;     // packets waiting to be written, at most
  uint64_t window_ns = 100'000'000;  // how late a packet may be read (100 ms)
};

// Per end: packets the handle gave, those written, those the kernel dropped (its ring was
// full) and those topo dropped (the writer was behind: the queue was full).
struct EndStats {
  uint64_t captured = 0, written = 0, kernel_dropped = 0, topo_dropped = 0;
  std::string problem;  // why the end was not captured, or stopped: "" for none
};

// Where packets go, in timestamp order, from one thread (not the caller's).
class Sink {
 public:
  virtual ~Sink() = default;
  // Before any packet: the ends, in the order of their index.
  virtual void start(const std::vector<InterfaceInfo>& ends) = 0;
  virtual void packet(const Packet& packet) = 0;
  // No packet is waiting: a moment to flush what was written (a reader of a file being
  // written sees every packet so far).
  virtual void idle() {}
  // After the last packet.
  virtual void finish(const std::vector<EndStats>& stats, uint64_t start_ns, uint64_t end_ns) = 0;
};

// A Sink's output was closed by its reader (EPIPE): the capture stops, and that is no error.
struct OutputClosed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws FilterError, with libpcap's message, unless `filter` compiles for Ethernet.
void check_filter(const std::string& filter, int snaplen);

struct CaptureResult {
  std::vector<EndStats> ends;
  uint64_t late = 0;  // packets that came later than the window allows (out of order)
  uint64_t start_ns = 0, end_ns = 0;
  std::string stopped_by;  // "signal", "count", "duration", "output closed"
};

// Opens a handle on every end (on a thread that enters each end's namespace: the handle's
// socket stays there); an end whose interface is down keeps its place in the output, without
// packets (its EndStats say why). Then captures until SIGINT or SIGTERM, `count` packets,
// `duration`, or the sink's output closes. Everything read is given to the sink before it returns.
// Throws std::runtime_error naming the end when a handle cannot be opened (nothing was captured).
CaptureResult capture(std::vector<CaptureEnd>& ends, const CaptureOptions& options, Sink& sink);

}  // namespace topo::capture
