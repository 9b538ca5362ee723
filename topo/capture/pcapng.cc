#include "topo/capture/pcapng.h"

#include <cstring>

namespace topo::capture {

namespace {

// Block types (section 11.1 of the draft, "Block Type Codes").
constexpr uint32_t kSectionHeader = 0x0A0D0D0A;
constexpr uint32_t kInterfaceDescription = 0x00000001;
constexpr uint32_t kEnhancedPacket = 0x00000006;
constexpr uint32_t kInterfaceStatistics = 0x00000005;
constexpr uint32_t kByteOrderMagic = 0x1A2B3C4D;

// Option codes: common ones (section 3.5), and each block's own.
constexpr uint16_t kEndOfOptions = 0, kComment = 1;
constexpr uint16_t kShbUserAppl = 4;
constexpr uint16_t kIfName = 2, kIfDescription = 3, kIfTsresol = 9, kIfFilter = 11;
constexpr uint16_t kIsbStartTime = 2, kIsbEndTime = 3, kIsbIfRecv = 4, kIsbIfDrop = 5;

// A block's body, built field by field; every field and option padded to 32 bits.
class Body {
 public:
  template <class T>
  void put(T value) {
    char bytes[sizeof(T)];
    std::memcpy(bytes, &value, sizeof(T));
    text_.append(bytes, sizeof(T));
  }
  void bytes(const void* data, size_t size) {
    text_.append(static_cast<const char*>(data), size);
    text_.append((4 - size % 4) % 4, '\0');
  }
  // An option (section 3.5): code, length, value padded to 32 bits. An empty text is left out.
  void option(uint16_t code, const std::string& value) {
    if (value.empty()) return;
    option(code, value.data(), value.size());
  }
  void option(uint16_t code, const void* value, size_t size) {
    put<uint16_t>(code);
    put<uint16_t>(static_cast<uint16_t>(size));
    bytes(value, size);
  }
  // A timestamp option (isb_starttime, isb_endtime): high 32 bits first, each in the byte
  // order of the section, in the interface's resolution.
  void time_option(uint16_t code, uint64_t ns) {
    uint32_t parts[2] = {static_cast<uint32_t>(ns >> 32), static_cast<uint32_t>(ns)};
    option(code, parts, sizeof(parts));
  }
  void end_options() {  // opt_endofopt: code 0, length 0
    put<uint16_t>(kEndOfOptions);
    put<uint16_t>(0);
  }
  // The whole block (section 3.1): type, total length, body, total length again.
  std::string block(uint32_t type) const {
    uint32_t total = static_cast<uint32_t>(text_.size() + 12);
    Body out;
    out.put(type);
    out.put(total);
    out.text_ += text_;
    out.put(total);
    return out.text_;
  }

 private:
  std::string text_;
};

}  // namespace

std::string section_header_block(const std::string& application, const std::string& comment) {
  Body b;
  b.put(kByteOrderMagic);
  b.put<uint16_t>(1);  // major version
  b.put<uint16_t>(0);  // minor version
  b.put<int64_t>(-1);  // section length: not given (the stream is written as it goes)
  b.option(kComment, comment);
  b.option(kShbUserAppl, application);
  b.end_options();
  return b.block(kSectionHeader);
}

std::string interface_description_block(const InterfaceInfo& info) {
  Body b;
  b.put(info.linktype);
  b.put<uint16_t>(0);  // reserved
  b.put(info.snaplen);
  b.option(kIfName, info.name);
  b.option(kIfDescription, info.description);
  if (!info.filter.empty()) {
    // if_filter: a first byte 0 says the rest is the filter's text (libpcap's syntax).
    std::string value = std::string(1, '\0') + info.filter;
    b.option(kIfFilter, value.data(), value.size());
  }
  uint8_t nanoseconds = 9;  // if_tsresol: 10^-9 s
  b.option(kIfTsresol, &nanoseconds, 1);
  b.end_options();
  return b.block(kInterfaceDescription);
}

std::string enhanced_packet_block(uint32_t interface_id, uint64_t timestamp_ns,
                                  std::span<const uint8_t> data, uint32_t original_length) {
  Body b;
  b.put(interface_id);
  b.put(static_cast<uint32_t>(timestamp_ns >> 32));  // timestamp: upper 32 bits, then lower
  b.put(static_cast<uint32_t>(timestamp_ns));
  b.put(static_cast<uint32_t>(data.size()));  // captured packet length
  b.put(original_length);
  b.bytes(data.data(), data.size());
  return b.block(kEnhancedPacket);  // no options: no opt_endofopt needed (section 3.5)
}

std::string interface_statistics_block(uint32_t interface_id, uint64_t start_ns, uint64_t end_ns,
                                       uint64_t received, uint64_t dropped) {
  Body b;
  b.put(interface_id);
  b.put(static_cast<uint32_t>(end_ns >> 32));  // the block's own timestamp: when it was taken
  b.put(static_cast<uint32_t>(end_ns));
  b.time_option(kIsbStartTime, start_ns);
  b.time_option(kIsbEndTime, end_ns);
  b.option(kIsbIfRecv, &received, sizeof(received));
  b.option(kIsbIfDrop, &dropped, sizeof(dropped));
  b.end_options();
  return b.block(kInterfaceStatistics);
}

}  // namespace topo::capture
