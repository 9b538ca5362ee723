// pcapng.h - the blocks of a pcapng stream, as bytes: a section header, one interface
// description per captured end, an enhanced packet per packet, statistics at the end.
//
// Why topo writes them itself: libpcap 1.10 (Debian 12) writes only the old pcap format
// (pcap_dump_open), which has one link type for the whole file and no interface names, and no
// Debian package offers a pcapng writer fit for this (librte-pcapng writes DPDK mbufs; Wireshark's
// libwiretap has no stable API). The format is a few fixed blocks (the spec:
// draft-ietf-opsawg-pcapng, "PCAP Next Generation Dump File Format"); the section numbers below
// are that draft's. Blocks are written in this machine's byte order, which the section header's
// byte-order magic tells a reader.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace topo::capture {

// The section header (section 4.1): shb_userappl names the program, shb_comment (opt_comment)
// what was captured (the lab).
std::string section_header_block(const std::string& application, const std::string& comment);

struct InterfaceInfo {
  std::string name;         // if_name: `node:iface`
  std::string description;  // if_description: "" for none
  std::string filter;       // if_filter: the BPF filter's text, "" for none
  uint16_t linktype = 1;    // LINKTYPE_ETHERNET
  uint32_t snaplen = 0;
};

// An interface description (section 4.2) with if_tsresol 9: timestamps are in nanoseconds.
// Interfaces are numbered in the order their blocks are written, from 0.
std::string interface_description_block(const InterfaceInfo& info);

// An enhanced packet (section 4.3): `data` is what was captured (caplen), `original_length` the
// packet's length on the wire; `timestamp_ns` since the epoch.
std::string enhanced_packet_block(uint32_t interface_id, uint64_t timestamp_ns,
                                  std::span<const uint8_t> data, uint32_t original_length);

// An interface statistics block (section 4.6): packets received by the capture (isb_ifrecv) and
// dropped (isb_ifdrop: by the kernel and by topo), between `start_ns` and `end_ns`.
std::string interface_statistics_block(uint32_t interface_id, uint64_t start_ns, uint64_t end_ns,
                                       uint64_t received, uint64_t dropped);

}  // namespace topo::capture
