// model.h - what a topology file says, after loading: plain values, no kernel state.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "netlink/ip.h"

namespace topo {

// A place in the topology file, 1-based; 0 when the value did not come from the file.
struct Pos {
  int line = 0;
  int col = 0;
};

enum class NodeKind { host, router };
const char* kind_name(NodeKind kind);

struct Route {
  nl::IpPrefix dst;                 // prefix length 0 for "default"
  std::vector<nl::IpPrefix> via;    // gateways; two or more: ECMP
  std::string dev;                  // optional outgoing interface
  std::string text;                 // as written, for messages
  Pos pos;
};

struct Sysctl {
  std::string key;
  std::string value;
  Pos pos;
};

struct Node {
  std::string name;
  NodeKind kind = NodeKind::host;
  std::vector<nl::IpPrefix> loopback;
  std::vector<Pos> loopback_pos;
  std::vector<Sysctl> sysctls;
  std::vector<Route> routes;
  Pos pos;
};

struct Endpoint {
  std::string node;
  std::string iface;
  std::optional<nl::Mac> mac;
  std::vector<nl::IpPrefix> addresses;
  std::vector<Pos> address_pos;
  Pos pos;
};

struct Link {
  std::vector<Endpoint> endpoints;
  size_t declared_endpoints = 0;  // as written, counting any the loader could not read
  std::optional<int> mtu;
  Pos mtu_pos;
  bool up = true;  // false: `state: down`
  Pos pos;
};

struct Topology {
  std::string file;  // as given on the command line
  std::string dir;   // the file's directory, absolute
  std::string name;
  Pos name_pos;
  std::string prefix;  // namespace name prefix, "<name>-" unless set
  Pos prefix_pos;
  std::vector<Node> nodes;
  std::vector<Link> links;

  std::string netns_of(const std::string& node) const { return prefix + node; }
  const Node* find_node(const std::string& name) const;
};

}  // namespace topo
