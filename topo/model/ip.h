// ip.h - IPv4/IPv6 addresses with a prefix length, as plain values (no libnl).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace nl {

struct IpPrefix {
  int family = 0;                   // AF_INET or AF_INET6
  std::array<uint8_t, 16> bytes{};  // network byte order; 4 used for AF_INET
  int len = 0;                      // prefix length

  // "10.1.0.1/30", "fd00::1/64"; without "/N" only when allow_bare (then a host prefix).
  static std::optional<IpPrefix> parse(std::string_view text, bool allow_bare = false);
  // An address alone, "10.1.0.2" or "fd00::2": a host prefix.
  static std::optional<IpPrefix> parse_address(std::string_view text);

  int max_len() const { return family == AF_INET6_VALUE ? 128 : 32; }
  int byte_count() const { return family == AF_INET6_VALUE ? 16 : 4; }
  bool is_v6() const { return family == AF_INET6_VALUE; }
  std::string address_text() const;           // "10.1.0.1"
  std::string text() const;                   // "10.1.0.1/30"
  IpPrefix network() const;                   // host bits cleared
  bool contains(const IpPrefix& addr) const;  // addr's address lies in this prefix's network
  bool is_loopback() const;                   // 127.0.0.0/8 or ::1
  bool operator==(const IpPrefix&) const = default;

  static constexpr int AF_INET_VALUE = 2;    // AF_INET on Linux
  static constexpr int AF_INET6_VALUE = 10;  // AF_INET6 on Linux
};

// A prefix as a key: ordered by value (family, bytes, length), not by its text.
struct PrefixLess {
  bool operator()(const IpPrefix& x, const IpPrefix& y) const {
    if (x.family != y.family) return x.family < y.family;
    if (x.bytes != y.bytes) return x.bytes < y.bytes;
    return x.len < y.len;
  }
};

using Mac = std::array<uint8_t, 6>;
std::optional<Mac> parse_mac(std::string_view text);
std::string mac_text(const Mac& mac);

}  // namespace nl
