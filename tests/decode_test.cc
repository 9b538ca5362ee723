// One line per packet: what a frame's bytes say.
#include "topo/capture/decode.h"

#include <gtest/gtest.h>

#include <vector>

namespace topo::capture {
namespace {

using Frame = std::vector<uint8_t>;

Frame ethernet(uint16_t type, const Frame& payload) {
  Frame f = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, uint8_t(type >> 8), uint8_t(type)};
  f.insert(f.end(), payload.begin(), payload.end());
  return f;
}

Frame ipv4(uint8_t protocol, const Frame& payload) {
  Frame ip = {0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, protocol, 0, 0, 10, 0, 1, 2, 10, 0, 3, 2};
  ip.insert(ip.end(), payload.begin(), payload.end());
  return ethernet(0x0800, ip);
}

std::string text(const Frame& f) {
  return describe_frame(1, f, static_cast<uint32_t>(f.size()));
}

TEST(Decode, IcmpEchoNamesAddressesIdAndSequence) {
  Frame f = ipv4(1, {8, 0, 0, 0, 0x12, 0x34, 0, 1});
  EXPECT_EQ(text(f), "IP 10.0.1.2 > 10.0.3.2: ICMP echo request, id 4660, seq 1, length 42");
  EXPECT_EQ(text(ipv4(1, {0, 0, 0, 0, 0, 1, 0, 2})).substr(0, 52),
            "IP 10.0.1.2 > 10.0.3.2: ICMP echo reply, id 1, seq 2");
}

TEST(Decode, TcpFlagsAsTcpdumpWritesThem) {
  Frame syn = {0x9c, 0x40, 0x14, 0x51, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0x02, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(text(ipv4(6, syn)), "IP 10.0.1.2 > 10.0.3.2: TCP 40000 > 5201 [S], length 54");
  syn[13] = 0x12;
  EXPECT_NE(text(ipv4(6, syn)).find("[S.]"), std::string::npos);
  syn[13] = 0x11;
  EXPECT_NE(text(ipv4(6, syn)).find("[F.]"), std::string::npos);
}

TEST(Decode, UdpPortsAndPayloadLength) {
  Frame udp = {0, 53, 0x30, 0x39, 0, 12, 0, 0, 1, 2, 3, 4};
  EXPECT_EQ(text(ipv4(17, udp)), "IP 10.0.1.2 > 10.0.3.2: UDP 53 > 12345, length 4, length 46");
}

TEST(Decode, ArpRequestAndReply) {
  Frame arp = {0,  1, 8, 0, 6, 4, 0, 1, 2, 0, 0,  0, 0, 2,
               10, 0, 1, 2, 0, 0, 0, 0, 0, 0, 10, 0, 1, 1};
  EXPECT_EQ(text(ethernet(0x0806, arp)), "ARP who-has 10.0.1.1 tell 10.0.1.2, length 42");
  arp[7] = 2;
  EXPECT_EQ(text(ethernet(0x0806, arp)), "ARP 10.0.1.2 is-at 02:00:00:00:00:02, length 42");
}

TEST(Decode, Ipv6EchoRequest) {
  Frame ip6(40, 0);
  ip6[0] = 0x60;
  ip6[6] = 58;  // ICMPv6
  ip6[8] = 0xfd;
  ip6[23] = 1;
  ip6[24] = 0xfd;
  ip6[39] = 2;
  Frame icmp = {128, 0, 0, 0, 0, 7, 0, 3};
  ip6.insert(ip6.end(), icmp.begin(), icmp.end());
  EXPECT_EQ(text(ethernet(0x86dd, ip6)),
            "IP6 fd00::1 > fd00::2: ICMPv6 echo request, id 7, seq 3, "
            "length 62");
}

TEST(Decode, TruncatedAndUnknownFramesDoNotReadPastTheirBytes) {
  EXPECT_EQ(text(Frame{1, 2, 3}), "Ethernet (truncated), length 3");
  EXPECT_EQ(text(ethernet(0x0800, {0x45, 0})), "IPv4 (truncated), length 16");
  EXPECT_EQ(text(ipv4(6, {0, 1})), "IP 10.0.1.2 > 10.0.3.2: TCP (truncated), length 36");
  EXPECT_EQ(text(ethernet(0x88cc, {})),
            "02:00:00:00:00:02 > 02:00:00:00:00:01 ethertype 0x88cc, length 14");
  EXPECT_EQ(describe_frame(113, Frame{1, 2}, 2), "link type 113, length 2");
}

}  // namespace
}  // namespace topo::capture
