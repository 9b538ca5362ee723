#include "topo/capture/decode.h"

#include <arpa/inet.h>

#include <fmt/format.h>

namespace topo::capture {

namespace {

using Bytes = std::span<const uint8_t>;

uint16_t be16(Bytes b, size_t at) {
  return static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
}

std::string ip_text(int family, const uint8_t* address) {
  char text[INET6_ADDRSTRLEN];
  return inet_ntop(family, address, text, sizeof(text)) ? text : "?";
}

std::string mac_text(Bytes b, size_t at) {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", b[at], b[at + 1], b[at + 2],
                     b[at + 3], b[at + 4], b[at + 5]);
}

std::string icmp4_text(Bytes p) {
  if (p.size() < 8) return "ICMP (truncated)";
  uint8_t type = p[0], code = p[1];
  auto echo = [&](const char* what) {
    return fmt::format("ICMP echo {}, id {}, seq {}", what, be16(p, 4), be16(p, 6));
  };
  switch (type) {
    case 0:
      return echo("reply");
    case 8:
      return echo("request");
    case 3:
      return fmt::format("ICMP destination unreachable (code {})", code);
    case 11:
      return fmt::format("ICMP time exceeded (code {})", code);
    default:
      return fmt::format("ICMP type {} code {}", type, code);
  }
}

std::string icmp6_text(Bytes p) {
  if (p.size() < 8) return "ICMPv6 (truncated)";
  uint8_t type = p[0];
  switch (type) {
    case 128:
      return fmt::format("ICMPv6 echo request, id {}, seq {}", be16(p, 4), be16(p, 6));
    case 129:
      return fmt::format("ICMPv6 echo reply, id {}, seq {}", be16(p, 4), be16(p, 6));
    case 1:
      return fmt::format("ICMPv6 destination unreachable (code {})", p[1]);
    case 3:
      return fmt::format("ICMPv6 time exceeded (code {})", p[1]);
    case 133:
      return "ICMPv6 router solicitation";
    case 134:
      return "ICMPv6 router advertisement";
    case 135:
      return p.size() >= 24 ? "ICMPv6 neighbor solicitation, who has " + ip_text(AF_INET6, &p[8])
                            : "ICMPv6 neighbor solicitation";
    case 136:
      return p.size() >= 24 ? "ICMPv6 neighbor advertisement, tgt is " + ip_text(AF_INET6, &p[8])
                            : "ICMPv6 neighbor advertisement";
    case 143:
      return "ICMPv6 multicast listener report v2";
    default:
      return fmt::format("ICMPv6 type {} code {}", type, p[1]);
  }
}

// Flags as tcpdump writes them: S SYN, F FIN, R RST, P PSH, . ACK, U URG.
std::string tcp_text(Bytes p) {
  if (p.size() < 20) return "TCP (truncated)";
  uint8_t flags = p[13];
  std::string f;
  if (flags & 0x02) f += 'S';
  if (flags & 0x01) f += 'F';
  if (flags & 0x04) f += 'R';
  if (flags & 0x08) f += 'P';
  if (flags & 0x20) f += 'U';
  if (flags & 0x10) f += '.';
  if (f.empty()) f = "none";
  return fmt::format("TCP {} > {} [{}]", be16(p, 0), be16(p, 2), f);
}

// The transport of an IP packet: `p` its payload.
std::string transport_text(int protocol, Bytes p, bool v6) {
  switch (protocol) {
    case 1:
      return icmp4_text(p);
    case 58:
      return icmp6_text(p);
    case 6:
      return tcp_text(p);
    case 17:
      return p.size() < 8 ? "UDP (truncated)"
                          : fmt::format("UDP {} > {}, length {}", be16(p, 0), be16(p, 2),
                                        be16(p, 4) >= 8 ? be16(p, 4) - 8 : 0);
    default:
      return fmt::format("{} protocol {}", v6 ? "IPv6 next header" : "IP", protocol);
  }
}

std::string ipv4_text(Bytes p) {
  if (p.size() < 20 || (p[0] >> 4) != 4) return "IPv4 (truncated)";
  size_t header = (p[0] & 0x0f) * 4u;
  if (header < 20 || p.size() < header) return "IPv4 (truncated)";
  std::string addresses = ip_text(AF_INET, &p[12]) + " > " + ip_text(AF_INET, &p[16]);
  bool later_fragment = (be16(p, 6) & 0x1fff) != 0;
  if (later_fragment) return fmt::format("IP {} fragment, protocol {}", addresses, p[9]);
  return fmt::format("IP {}: {}", addresses, transport_text(p[9], p.subspan(header), false));
}

std::string ipv6_text(Bytes p) {
  if (p.size() < 40) return "IPv6 (truncated)";
  std::string addresses = ip_text(AF_INET6, &p[8]) + " > " + ip_text(AF_INET6, &p[24]);
  int next = p[6];
  Bytes payload = p.subspan(40);
  // A hop-by-hop options header (MLD reports carry one) is skipped: its length is in 8 bytes,
  // not counting the first 8.
  if (next == 0 && payload.size() >= 8 && payload.size() >= (payload[1] + 1u) * 8) {
    next = payload[0];
    payload = payload.subspan((payload[1] + 1u) * 8);
  }
  return fmt::format("IP6 {}: {}", addresses, transport_text(next, payload, true));
}

std::string arp_text(Bytes p) {
  // Ethernet and IPv4 only: hardware type 1, protocol 0x0800, sizes 6 and 4.
  if (p.size() < 28 || be16(p, 0) != 1 || be16(p, 2) != 0x0800) return "ARP";
  std::string sender = ip_text(AF_INET, &p[14]), target = ip_text(AF_INET, &p[24]);
  switch (be16(p, 6)) {
    case 1:
      return fmt::format("ARP who-has {} tell {}", target, sender);
    case 2:
      return fmt::format("ARP {} is-at {}", sender, mac_text(p, 8));
    default:
      return fmt::format("ARP operation {}", be16(p, 6));
  }
}

}  // namespace

std::string describe_frame(int linktype, std::span<const uint8_t> frame, uint32_t length) {
  constexpr int kEthernet = 1;
  std::string what;
  if (linktype != kEthernet) {
    what = fmt::format("link type {}", linktype);
  } else if (frame.size() < 14) {
    what = "Ethernet (truncated)";
  } else {
    size_t at = 12;
    uint16_t type = be16(frame, at);
    while ((type == 0x8100 || type == 0x88a8) && frame.size() >= at + 6) {  // VLAN tags
      at += 4;
      type = be16(frame, at);
    }
    Bytes payload = frame.subspan(at + 2);
    switch (type) {
      case 0x0800:
        what = ipv4_text(payload);
        break;
      case 0x86dd:
        what = ipv6_text(payload);
        break;
      case 0x0806:
        what = arp_text(payload);
        break;
      default:
        what =
            fmt::format("{} > {} ethertype 0x{:04x}", mac_text(frame, 6), mac_text(frame, 0), type);
    }
  }
  return fmt::format("{}, length {}", what, length);
}

}  // namespace topo::capture
