// The pcapng blocks, read back field by field, and by libpcap's own reader.
#include "topo/capture/pcapng.h"

#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <vector>

namespace topo::capture {
namespace {

// A reader of the blocks as the spec lays them out (native byte order, as written).
struct Block {
  uint32_t type = 0;
  std::string body;
};

template <class T>
T at(const std::string& bytes, size_t offset) {
  T value;
  EXPECT_LE(offset + sizeof(T), bytes.size());
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

std::vector<Block> blocks(const std::string& stream) {
  std::vector<Block> out;
  size_t offset = 0;
  while (offset < stream.size()) {
    uint32_t type = at<uint32_t>(stream, offset), total = at<uint32_t>(stream, offset + 4);
    EXPECT_EQ(total % 4, 0u);
    EXPECT_EQ(at<uint32_t>(stream, offset + total - 4), total) << "trailing length";
    out.push_back({type, stream.substr(offset + 8, total - 12)});
    offset += total;
  }
  EXPECT_EQ(offset, stream.size());
  return out;
}

// The options of a block from `offset` of its body: code -> value.
std::multimap<uint16_t, std::string> options(const std::string& body, size_t offset) {
  std::multimap<uint16_t, std::string> out;
  while (offset < body.size()) {
    uint16_t code = at<uint16_t>(body, offset), length = at<uint16_t>(body, offset + 2);
    if (code == 0) {
      EXPECT_EQ(offset + 4, body.size()) << "opt_endofopt ends the options";
      break;
    }
    out.emplace(code, body.substr(offset + 4, length));
    offset += 4 + (length + 3) / 4 * 4;
  }
  return out;
}

const std::vector<uint8_t> kFrame = {
    // Ethernet: to, from, IPv4; then 3 bytes (a length that needs padding)
    0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00, 0x45, 0x00, 0x00};

std::string sample() {
  std::string s = section_header_block("topo test", "topo capture of lab demo");
  s += interface_description_block({"r1:eth1", "lab demo: eth1 in netns demo-r1", "icmp", 1, 1500});
  s += interface_description_block({"r2:eth1", "", "", 1, 1500});
  s += enhanced_packet_block(0, 1'700'000'000'123'456'789ull, kFrame, 60);
  s += enhanced_packet_block(1, 1'700'000'000'123'456'999ull, kFrame, 60);
  s += interface_statistics_block(0, 1'700'000'000'000'000'000ull, 1'700'000'001'000'000'000ull, 1,
                                  2);
  return s;
}

TEST(Pcapng, SectionHeaderNamesTheApplicationAndTheLab) {
  std::vector<Block> b = blocks(sample());
  ASSERT_EQ(b.size(), 6u);
  EXPECT_EQ(b[0].type, 0x0A0D0D0Au);
  EXPECT_EQ(at<uint32_t>(b[0].body, 0), 0x1A2B3C4Du);
  EXPECT_EQ(at<uint16_t>(b[0].body, 4), 1);  // major
  EXPECT_EQ(at<uint16_t>(b[0].body, 6), 0);  // minor
  EXPECT_EQ(at<int64_t>(b[0].body, 8), -1);  // section length unknown
  auto o = options(b[0].body, 16);
  EXPECT_EQ(o.find(4)->second, "topo test");                 // shb_userappl
  EXPECT_EQ(o.find(1)->second, "topo capture of lab demo");  // opt_comment
}

TEST(Pcapng, InterfaceBlocksNameTheEndAndCountNanoseconds) {
  std::vector<Block> b = blocks(sample());
  EXPECT_EQ(b[1].type, 1u);
  EXPECT_EQ(at<uint16_t>(b[1].body, 0), 1);  // LINKTYPE_ETHERNET
  EXPECT_EQ(at<uint32_t>(b[1].body, 4), 1500u);
  auto o = options(b[1].body, 8);
  EXPECT_EQ(o.find(2)->second, "r1:eth1");  // if_name
  EXPECT_EQ(o.find(3)->second, "lab demo: eth1 in netns demo-r1");
  EXPECT_EQ(o.find(9)->second, std::string(1, '\x09'));  // if_tsresol
  EXPECT_EQ(o.find(11)->second, std::string(1, '\0') + "icmp");
  auto second = options(b[2].body, 8);
  EXPECT_EQ(second.find(2)->second, "r2:eth1");
  EXPECT_EQ(second.count(3), 0u) << "no empty description";
  EXPECT_EQ(second.count(11), 0u) << "no filter";
}

TEST(Pcapng, EnhancedPacketHoldsTimestampLengthsAndPaddedData) {
  std::vector<Block> b = blocks(sample());
  EXPECT_EQ(b[3].type, 6u);
  EXPECT_EQ(at<uint32_t>(b[3].body, 0), 0u);
  uint64_t ts = uint64_t(at<uint32_t>(b[3].body, 4)) << 32 | at<uint32_t>(b[3].body, 8);
  EXPECT_EQ(ts, 1'700'000'000'123'456'789ull);
  EXPECT_EQ(at<uint32_t>(b[3].body, 12), kFrame.size());
  EXPECT_EQ(at<uint32_t>(b[3].body, 16), 60u);
  EXPECT_EQ(b[3].body.size(), 20 + (kFrame.size() + 3) / 4 * 4);
  EXPECT_EQ(std::memcmp(b[3].body.data() + 20, kFrame.data(), kFrame.size()), 0);
  EXPECT_EQ(at<uint32_t>(b[4].body, 0), 1u);
}

TEST(Pcapng, StatisticsBlockCountsReceivedAndDropped) {
  std::vector<Block> b = blocks(sample());
  EXPECT_EQ(b[5].type, 5u);
  auto o = options(b[5].body, 12);
  EXPECT_EQ(at<uint64_t>(o.find(4)->second, 0), 1u);  // isb_ifrecv
  EXPECT_EQ(at<uint64_t>(o.find(5)->second, 0), 2u);  // isb_ifdrop
}

// libpcap reads pcapng (though it does not write it): the same packets, nanoseconds kept.
TEST(Pcapng, LibpcapReadsTheStream) {
  std::string path = ::testing::TempDir() + "pcapng_test." + std::to_string(getpid());
  std::string bytes = sample();
  std::FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
  char error[PCAP_ERRBUF_SIZE];
  pcap_t* p =
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, error);
  ASSERT_NE(p, nullptr) << error;
  EXPECT_EQ(pcap_datalink(p), DLT_EN10MB);
  pcap_pkthdr* header;
  const u_char* data;
  std::vector<uint64_t> times;
  while (pcap_next_ex(p, &header, &data) == 1) {
    times.push_back(uint64_t(header->ts.tv_sec) * 1000000000u + header->ts.tv_usec);
    EXPECT_EQ(header->caplen, kFrame.size());
    EXPECT_EQ(header->len, 60u);
    EXPECT_EQ(std::memcmp(data, kFrame.data(), kFrame.size()), 0);
  }
  pcap_close(p);
  std::remove(path.c_str());
  EXPECT_EQ(times,
            (std::vector<uint64_t>{1'700'000'000'123'456'789ull, 1'700'000'000'123'456'999ull}));
}

}  // namespace
}  // namespace topo::capture
