// lab_sample.h - labs as built, made by hand for the tests of what stores them (the journal).
#pragma once

#include <string>

#include <fmt/format.h>

#include "topo/model/lab.h"

namespace topo::testing {

inline nl::IpPrefix prefix(const std::string& text) {
  return *nl::IpPrefix::parse(text);
}

// A chain of `n` nodes as `topo generate linear` draws it (hosts at the ends, routers between,
// a /30 on each link), each interface with its MAC, slot and address.
inline Lab chain_lab(size_t n, const std::string& name = "lab1") {
  Lab lab;
  lab.name = name;
  lab.prefix = name + "-";
  for (size_t i = 1; i <= n; i++) {
    BuiltNode node;
    node.name = fmt::format("n{}", i);
    node.netns = lab.netns_of(node.name);
    node.kind = i == 1 || i == n ? NodeKind::host : NodeKind::router;
    if (node.kind == NodeKind::router) node.sysctls = {{"net.ipv4.ip_forward", "1"}};
    node.ifaces.push_back({"lo", IfaceType::lo, {}, 0, true, "", 0, {}, {}, {}});
    for (size_t side = 0; side < 2; side++) {
      size_t link = side == 0 ? i - 1 : i;  // 1-based link number: i-1 on the left, i on the right
      if (link < 1 || link >= n) continue;
      nl::Mac mac{0x02, 0, uint8_t(link >> 8), uint8_t(link), uint8_t(side), 1};
      std::string address = fmt::format("10.{}.{}.{}/30", link >> 14 & 255, link >> 6 & 255,
                                        ((link & 63) << 2) + (side == 0 ? 2 : 1));
      node.ifaces.push_back({fmt::format("eth{}", node.ifaces.size() - 1),
                             IfaceType::veth,
                             mac,
                             0,
                             true,
                             "",
                             int(node.ifaces.size()),
                             {prefix(address)},
                             {},
                             {}});
    }
    node.etc_link = true;
    lab.nodes.push_back(std::move(node));
  }
  for (size_t i = 1; i < n; i++)
    lab.links.push_back(
        {{fmt::format("n{}", i), i == 1 ? "eth0" : "eth1"}, {fmt::format("n{}", i + 1), "eth0"}});
  lab.file_links = n > 0 ? n - 1 : 0;
  return lab;
}

}  // namespace topo::testing
