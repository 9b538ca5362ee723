#include "topo/capture/sinks.h"

#include <cerrno>
#include <cstring>
#include <ctime>

#include <fmt/format.h>

#include "topo/capture/decode.h"

namespace topo::capture {

namespace {

// A failed write: the reader gone (EPIPE) ends the capture quietly; anything else is an error.
[[noreturn]] void write_failed(const char* what) {
  int error = errno;
  if (error == EPIPE) throw OutputClosed(what);
  throw std::runtime_error(fmt::format("writing the {}: {}", what, strerror(error)));
}

}  // namespace

void PcapngSink::write(const std::string& block, bool flush) {
  if (std::fwrite(block.data(), 1, block.size(), out_) != block.size()) write_failed("capture");
  if (flush && std::fflush(out_) != 0) write_failed("capture");
}

void PcapngSink::start(const std::vector<InterfaceInfo>& ends) {
  std::string blocks = section_header_block(application_, comment_);
  for (const InterfaceInfo& e : ends) blocks += interface_description_block(e);
  write(blocks, true);  // a reader knows the interfaces before the first packet comes
}

void PcapngSink::packet(const Packet& p) {
  write(enhanced_packet_block(p.end, p.timestamp_ns, p.data, p.length), flush_each_);
}

void PcapngSink::idle() {
  if (std::fflush(out_) != 0) write_failed("capture");
}

void PcapngSink::finish(const std::vector<EndStats>& stats, uint64_t start_ns, uint64_t end_ns) {
  std::string blocks;
  for (size_t i = 0; i < stats.size(); i++)
    blocks +=
        interface_statistics_block(static_cast<uint32_t>(i), start_ns, end_ns, stats[i].captured,
                                   stats[i].kernel_dropped + stats[i].topo_dropped);
  write(blocks, true);
}

std::string clock_text(uint64_t timestamp_ns) {
  std::time_t seconds = static_cast<std::time_t>(timestamp_ns / 1000000000u);
  std::tm local;
  localtime_r(&seconds, &local);
  return fmt::format("{:02}:{:02}:{:02}.{:06}", local.tm_hour, local.tm_min, local.tm_sec,
                     timestamp_ns % 1000000000u / 1000u);
}

void TextSink::start(const std::vector<InterfaceInfo>& ends) {
  ends_ = ends;
  for (const InterfaceInfo& e : ends) width_ = std::max(width_, e.name.size());
}

void TextSink::packet(const Packet& p) {
  const InterfaceInfo& end = ends_.at(p.end);
  std::string line = fmt::format("{} {:<{}} {}\n", clock_text(p.timestamp_ns), end.name, width_,
                                 describe_frame(end.linktype, p.data, p.length));
  if (std::fputs(line.c_str(), out_) == EOF || std::fflush(out_) != 0) write_failed("output");
}

void TextSink::finish(const std::vector<EndStats>&, uint64_t, uint64_t) {
  if (std::fflush(out_) != 0) write_failed("output");
}

}  // namespace topo::capture
