#include "topo/model/ip.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

namespace nl {

static_assert(IpPrefix::AF_INET_VALUE == AF_INET && IpPrefix::AF_INET6_VALUE == AF_INET6);

std::optional<IpPrefix> IpPrefix::parse_address(std::string_view text) {
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) return std::nullopt;
  std::string s(text);
  IpPrefix p;
  if (inet_pton(AF_INET, s.c_str(), p.bytes.data()) == 1) {
    p.family = AF_INET;
    p.len = 32;
    return p;
  }
  if (inet_pton(AF_INET6, s.c_str(), p.bytes.data()) == 1) {
    p.family = AF_INET6;
    p.len = 128;
    return p;
  }
  return std::nullopt;
}

std::optional<IpPrefix> IpPrefix::parse(std::string_view text, bool allow_bare) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return allow_bare ? parse_address(text) : std::nullopt;
  auto p = parse_address(text.substr(0, slash));
  if (!p) return std::nullopt;
  std::string_view digits = text.substr(slash + 1);
  int len = -1;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), len);
  if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty() ||
      digits.size() > 3 || len < 0 || len > p->max_len())
    return std::nullopt;
  p->len = len;
  return p;
}

std::string IpPrefix::address_text() const {
  char buf[INET6_ADDRSTRLEN];
  if (!inet_ntop(family, bytes.data(), buf, sizeof buf)) return "?";
  return buf;
}

std::string IpPrefix::text() const {
  return fmt::format("{}/{}", address_text(), len);
}

IpPrefix IpPrefix::network() const {
  IpPrefix n = *this;
  for (int i = 0; i < byte_count(); i++) {
    int bits = std::clamp(len - 8 * i, 0, 8);
    n.bytes[i] &= static_cast<uint8_t>(0xff00 >> bits);
  }
  return n;
}

bool IpPrefix::contains(const IpPrefix& addr) const {
  if (addr.family != family) return false;
  IpPrefix a = addr;
  a.len = len;
  return a.network().bytes == network().bytes;
}

bool IpPrefix::is_loopback() const {
  if (!is_v6()) return bytes[0] == 127;
  static constexpr std::array<uint8_t, 16> kOne = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return bytes == kOne;
}

std::optional<Mac> parse_mac(std::string_view text) {
  Mac mac{};
  if (text.size() != 17) return std::nullopt;
  for (int i = 0; i < 6; i++) {
    std::string_view part = text.substr(3 * i, 2);
    if (i < 5 && text[3 * i + 2] != ':') return std::nullopt;
    auto [end, ec] = std::from_chars(part.data(), part.data() + 2, mac[i], 16);
    if (ec != std::errc() || end != part.data() + 2) return std::nullopt;
  }
  return mac;
}

std::string mac_text(const Mac& m) {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4],
                     m[5]);
}

}  // namespace nl
