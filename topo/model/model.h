// model.h - what a topology file says, after loading: plain values, no kernel state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "topo/model/ip.h"

namespace topo {

// A place in the topology file, 1-based; 0 when the value did not come from the file.
struct Pos {
  int line = 0;
  int col = 0;
};

// The root network namespace, as a node name in endpoints (`host:IFACE`).
inline constexpr const char* kHostNode = "host";

// The interface a bridge node's bridge gets.
inline constexpr const char* kBridgeIface = "br0";

// lan: a LAN's own namespace (topo's, for the LAN's bridge); never a kind in the file.
enum class NodeKind { host, router, bridge, lan };
const char* kind_name(NodeKind kind);
// The kind a name (as kind_name gives it) stands for; nullopt for any other text.
std::optional<NodeKind> parse_kind(std::string_view name);

struct Route {
  nl::IpPrefix dst;               // prefix length 0 for "default"
  std::vector<nl::IpPrefix> via;  // gateways; two or more: ECMP
  std::string dev;                // optional outgoing interface
  std::string text;               // as written, for messages
  Pos pos;
};

struct Setting {  // a sysctl or an environment variable
  std::string key;
  std::string value;
  Pos pos;
};

// A file of the node's, written before exec: a plain name in $TOPO_NODE_DIR, or an absolute
// path in one of the node's private directories (`mounts`).
struct NodeFile {
  std::string name;
  std::string content;  // inline, or read from `from` (a directory gives one file per file in it)
  Pos pos;
  std::string from;         // "" for inline text; else the path as written
  bool executable = false;  // a file from disk that its owner may execute: 0755, not 0644
  bool text = false;        // written as {text: ...}: never taken for a path
};

// `mounts: TARGET: ...`: what the node's commands see at TARGET (an absolute path).
struct Mount {
  enum class Kind { private_dir, bind, file };
  std::string target;
  Kind kind = Kind::private_dir;
  std::string source;  // bind: an absolute host path; file: the name of one of the node's files
  bool read_only = false;
  std::string owner;  // private_dir: "user" or "user:group" that owns it; "" for root
  Pos pos;
};

// A daemon's `wait`: it starts once a Unix socket accepts a connection, or a command exits 0.
struct DaemonWait {
  std::string socket;  // a path as the node's commands see it
  std::string exec;    // run with /bin/sh -c in the node
  uint64_t timeout_us = 10'000'000;
  Pos pos;
};

struct Command {     // an exec: line, or a daemon's cmd
  std::string name;  // the daemon's name (its log: <name>.log in LabDirs::log_dir); "" for exec
  std::string cmd;   // run with /bin/sh -c
  Pos pos;
  std::optional<DaemonWait> wait;  // daemons only
};

struct Node {
  std::string name;
  NodeKind kind = NodeKind::host;
  std::string host;  // the machine of `hosts` it is built on; "" when the file has no `hosts`
  Pos host_pos;
  std::vector<nl::IpPrefix> loopback;
  std::vector<Pos> loopback_pos;
  std::vector<Setting> sysctls;
  std::vector<Setting> env;
  std::vector<Route> routes;
  std::vector<NodeFile> files;
  std::vector<Mount> mounts;
  std::vector<Command> exec;
  std::vector<Command> daemons;
  Pos pos;
  // Whether topo runs anything in the node at up, and so needs its directory.
  bool runs_anything() const {
    return !files.empty() || !mounts.empty() || !exec.empty() || !daemons.empty();
  }
};

// Link impairments, as the file gives them (see impair.h for what an end gets).
struct Impair {
  std::optional<uint64_t> delay_us, jitter_us;
  std::optional<double> loss, duplicate, corrupt, reorder;  // percent
  std::optional<uint64_t> rate_bps;
  Pos pos;
};

struct Endpoint {
  std::string node;
  std::string iface;
  std::optional<nl::Mac> mac;
  std::vector<nl::IpPrefix> addresses;
  std::vector<Pos> address_pos;
  std::optional<Impair> impair;
  Pos pos;
  bool on_host() const { return node == kHostNode; }
};

struct Link {
  std::vector<Endpoint> endpoints;
  size_t declared_endpoints = 0;  // as written, counting any the loader could not read
  bool addresses_given = false;   // the link-level `addresses` key was present
  std::optional<int> mtu;
  Pos mtu_pos;
  bool up = true;  // false: `state: down`
  std::optional<Impair> impair;
  bool stub = false;  // `stub: true`: its one end on a segment of its own (a LAN of one)
  Pos stub_pos;
  std::string name;  // a LAN's `name:`; "" for none (it is named by its position)
  Pos name_pos;
  std::optional<uint32_t> vni;  // `vni:`, the VXLAN network of a link that crosses hosts
  Pos vni_pos;
  Pos pos;
  // A bridge in a namespace of its own, every end wired to a port of it.
  bool is_lan() const { return stub || endpoints.size() >= 3; }
};

// Address pools for what the file does not address itself.
struct Pool {
  nl::IpPrefix prefix;
  Pos pos;
};
struct Addressing {
  std::optional<Pool> p2p, lan, loopback, ipv6;
  int p2p_prefix = 30;  // 30 or 31
};

struct TestCase {
  std::string name;
  Pos pos;
  // ping: from a node to a node's first address or to an address
  std::string from, to;
  // exec: a shell command on a node
  std::string node, cmd;
  bool expect_success = true;
  std::optional<int> expect_exit;
  std::optional<std::string> expect_output;  // a regex searched in stdout
  uint64_t timeout_us = 0;                   // 0: one try
  bool is_ping() const { return !from.empty(); }
};

// --- scenarios: steps that break and mend a running lab, and checks that time how long the
// network takes to heal ---

// `down:`/`up:` link ends, administratively, as `topo link` sets them.
struct LinkStep {
  std::vector<std::string> ends;  // node:iface
  bool up = false;
};

// `impair: {end: ..., delay: ...}`, or with `clear: true` none.
struct ImpairStep {
  std::string end;
  std::optional<Impair> impair;  // nullopt: cleared
};

// What `topo node` and a scenario's steps do to a node (see verbs/node.h).
enum class NodeAction { stop, start, restart, pause, resume };
const char* node_action_name(NodeAction action);  // "stop", "start", ...
// The action a name (as node_action_name gives it) stands for; nullopt for any other text.
std::optional<NodeAction> parse_node_action(std::string_view name);

// `stop:`, `start:`, `restart:`, `pause:`, `resume:` nodes, as `topo node` does.
struct NodeStep {
  std::vector<std::string> nodes;
  NodeAction action = NodeAction::stop;
};

// `exec: {node: ..., cmd: ...}`: a command in a node; the step fails when it exits non-zero.
struct ExecStep {
  std::string node, cmd;
};

// `wait: 2s`.
struct WaitStep {
  uint64_t us = 0;
};

// `route:`/`no_route: {node: ..., to: PREFIX, via: GW, dev: IFACE}`: whether the node's main
// table has an entry for exactly PREFIX (with a nexthop through GW, or out of IFACE).
struct RouteCheck {
  std::string node;
  nl::IpPrefix to;
  std::optional<nl::IpPrefix> via;
  std::string dev;
  bool present = true;  // false: no_route
};

// `test:` a test of `tests:` by name, or one written in place (a ping or an exec).
struct TestCheck {
  std::string name;  // of a test in `tests:`; empty when written in place
  std::optional<TestCase> inline_test;
};

using StepAction =
    std::variant<LinkStep, ImpairStep, NodeStep, ExecStep, WaitStep, RouteCheck, TestCheck>;

struct Step {
  StepAction action;
  std::string name;                   // `name:`, or empty (the runner describes the step)
  std::optional<uint64_t> within_us;  // a check: retried until it holds; how long it took
  std::optional<uint64_t> holds_us;   // a check: it must go on holding this long
  Pos pos;
  bool is_check() const {
    return std::holds_alternative<RouteCheck>(action) || std::holds_alternative<TestCheck>(action);
  }
};

struct Scenario {
  std::string name;
  std::vector<Step> steps;
  Pos pos;
};

// `ready:`: the tests `up` waits for (every test of the file when `all`), and for how long.
struct Ready {
  std::vector<std::string> tests;
  std::vector<Pos> test_pos;
  bool all = false;
  uint64_t timeout_us = 60'000'000;
  Pos pos;
};

// `hosts: NAME: {...}`: a machine the lab is spread over (see language/placement.h). Links
// between nodes on two of them are VXLAN tunnels over the underlay.
inline constexpr int kVxlanPort = 4789;
inline constexpr int kUnderlayMtu = 1500;
inline constexpr int kMaxVni = (1 << 24) - 1;
struct Host {
  std::string name;
  nl::IpPrefix underlay;  // an address (a full-length prefix): this machine's on the underlay
  std::string ssh;        // `ssh:` where `--all-hosts` reaches it ("" for none)
  int vxlan_port = kVxlanPort;
  int underlay_mtu = kUnderlayMtu;
  Pos pos, underlay_pos, vxlan_port_pos, underlay_mtu_pos;
};

struct Topology {
  std::string file;  // as given on the command line
  std::string dir;   // the file's directory, absolute
  std::string name;
  Pos name_pos;
  std::string prefix;  // namespace name prefix, "<name>-" unless set
  Pos prefix_pos;
  Addressing addressing;
  std::vector<Host> hosts;  // in the file's order; none: the lab is on one machine
  // The host whose part of the lab this run builds or looks at, which the verb chooses (--host,
  // or this machine's underlay address); "" for the whole lab (a file with one host or none).
  std::string here;
  std::vector<Node> nodes;
  std::vector<Link> links;
  std::vector<TestCase> tests;
  std::vector<Scenario> scenarios;
  std::optional<Ready> ready;

  std::string netns_of(const std::string& node) const { return prefix + node; }
  const Node* find_node(const std::string& name) const;
  const Host* find_host(const std::string& name) const;
  const TestCase* find_test(const std::string& name) const;
  const Scenario* find_scenario(const std::string& name) const;
};

}  // namespace topo
