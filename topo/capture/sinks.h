// sinks.h - where `topo capture` puts packets: a pcapng stream, or a line per packet.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "topo/capture/capture.h"

namespace topo::capture {

// A pcapng stream to `out` (a file or standard output). With `flush_each`, every block is
// flushed as it is written, so that a reader at the other end of a pipe sees it at once.
class PcapngSink : public Sink {
 public:
  PcapngSink(std::FILE* out, bool flush_each, std::string application, std::string comment)
      : out_(out),
        flush_each_(flush_each),
        application_(std::move(application)),
        comment_(std::move(comment)) {}
  void start(const std::vector<InterfaceInfo>& ends) override;
  void packet(const Packet& packet) override;
  void idle() override;
  void finish(const std::vector<EndStats>& stats, uint64_t start_ns, uint64_t end_ns) override;

 private:
  void write(const std::string& block, bool flush);
  std::FILE* out_;
  bool flush_each_;
  std::string application_, comment_;
};

// One line per packet: local time (microseconds), the end, a short decode.
class TextSink : public Sink {
 public:
  explicit TextSink(std::FILE* out) : out_(out) {}
  void start(const std::vector<InterfaceInfo>& ends) override;
  void packet(const Packet& packet) override;
  void finish(const std::vector<EndStats>&, uint64_t, uint64_t) override;

 private:
  std::FILE* out_;
  std::vector<InterfaceInfo> ends_;
  size_t width_ = 0;
};

// "HH:MM:SS.uuuuuu" of a timestamp, in local time.
std::string clock_text(uint64_t timestamp_ns);

}  // namespace topo::capture
