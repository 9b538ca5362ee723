// decode.h - a one-line description of a captured frame, for `topo capture` on a terminal:
// protocol, addresses, ICMP type or TCP flags. Ethernet, ARP, IPv4, IPv6, ICMP, ICMPv6, TCP and
// UDP only; anything else is named by its EtherType or protocol number.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace topo::capture {

// `linktype`: the frame's (pcap_datalink); only LINKTYPE_ETHERNET (1) is decoded. `length`: the
// frame's length on the wire (the captured bytes may be fewer).
std::string describe_frame(int linktype, std::span<const uint8_t> frame, uint32_t length);

}  // namespace topo::capture
