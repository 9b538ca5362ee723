#include "topo/language/validator.h"

#include <map>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "topo/language/node_files.h"
#include "topo/language/suggest.h"
#include "topo/model/lab.h"
#include "topo/model/overloaded.h"

namespace topo {

namespace {

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_alnum(char c) {
  return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}
bool is_name_char(char c) {
  return is_alnum(c) || c == '_' || c == '.' || c == '-';
}

// A node's name, or a LAN's (`what`): part of a namespace's name.
std::string name_problem(const std::string& name, const char* what) {
  if (name.empty()) return fmt::format("a {} name cannot be empty", what);
  if (name.size() > 64) return fmt::format("{} name `{}` is longer than 64 characters", what, name);
  if (!is_alnum(name[0]))
    return fmt::format("{} name `{}` must start with a letter or a digit", what, name);
  for (char c : name)
    if (!is_name_char(c))
      return fmt::format("{} name `{}` may contain only letters, digits, `_`, `.` and `-`", what,
                         name);
  return {};
}

std::string node_name_problem(const std::string& name) {
  if (name == kHostNode) return "`host` is reserved for the root network namespace";
  return name_problem(name, "node");
}

// A LAN's namespace is `<prefix>_<name>`; `_lan<N>` is the one of the unnamed LAN at link N.
std::string lan_name_problem(const std::string& name) {
  std::string problem = name_problem(name, "LAN");
  if (problem.empty() && is_numbered_lan(lan_name(0, name)))
    return fmt::format(
        "LAN name `{}` is kept for the LANs the file does not name (`_lan3` is the third "
        "link's): choose another",
        name);
  return problem;
}

// The kernel's own white space (its isspace(), which counts byte 0xA0 too): dev_valid_name()
// refuses a name with any of it.
bool is_kernel_space(unsigned char c) {
  return c == ' ' || (c >= '\t' && c <= '\r') || c == 0xa0;
}

// What the kernel's dev_valid_name() refuses, and names it takes for something else: `%` makes
// it pick a free name itself (eth%d becomes eth0); `all` and `default` in every namespace's
// /proc/sys/net/ipv{4,6}/conf/ are the settings of all and of new interfaces (refused here).
std::string iface_name_problem(const std::string& name) {
  if (name.empty()) return "an interface name cannot be empty";
  if (name.size() > 15)
    return fmt::format("interface name `{}` is longer than 15 characters (the kernel's limit)",
                       name);
  for (unsigned char c : name)
    if (c == '/' || c == ':' || c == '%' || c < ' ' || c == 0x7f || is_kernel_space(c))
      return fmt::format(
          "interface name `{}` may not contain `/`, `:`, `%`, white space or control "
          "characters",
          name);
  if (name == "lo") return "`lo` is the loopback interface; use `loopback:` for its addresses";
  if (name == "." || name == "..") return fmt::format("`{}` is not a valid interface name", name);
  if (name == "all" || name == "default")
    return fmt::format(
        "`{}` cannot name an interface: the kernel keeps that name in /proc/sys/net/ipv4/conf/ "
        "for the settings of all (and of new) interfaces",
        name);
  return {};
}

std::string sysctl_key_problem(const std::string& key) {
  if (key.empty()) return "a sysctl key cannot be empty";
  bool dotted = key.find('/') == std::string::npos;
  std::string root = dotted ? "net." : "net/";
  if (key.compare(0, root.size(), root) != 0)
    return fmt::format(
        "sysctl `{}` is not per-namespace: only net.* keys can be set on a node "
        "(any other would change the host)",
        key);
  if (key.find("..") != std::string::npos || key.find("//") != std::string::npos ||
      key.back() == '/' || key.back() == '.')
    return fmt::format("sysctl key `{}` has an empty part", key);
  for (char c : key)
    if (!is_name_char(c) && c != '/')
      return fmt::format("sysctl key `{}` may contain only letters, digits, `_`, `.`, `-`, `/`",
                         key);
  return {};
}

std::string env_name_problem(const std::string& name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9'))
    return fmt::format("environment variable `{}` must start with a letter or `_`", name);
  for (char c : name)
    if (!is_alnum(c) && c != '_')
      return fmt::format("environment variable `{}` may contain only letters, digits and `_`",
                         name);
  if (name.rfind("TOPO_", 0) == 0)
    return fmt::format("`{}`: TOPO_* variables are set by topo itself", name);
  return {};
}

// A name for a file directly in $TOPO_NODE_DIR: no path, nothing hidden by topo's own names.
std::string file_name_problem(const std::string& name, const char* what) {
  if (name.empty() || name == "." || name == "..")
    return fmt::format("`{}` is not a valid {} name", name, what);
  if (name.size() > 255) return fmt::format("{} name `{}` is too long", what, name);
  for (char c : name)
    if (c == '/' || c == '\0')
      return fmt::format(
          "{} name `{}` may not contain `/`: it is a name in $TOPO_NODE_DIR (or, for a "
          "file, an absolute path in a directory of the node's own: see `mounts`)",
          what, name);
  return {};
}

std::string end_text(const Endpoint& e) {
  return End{e.node, e.iface}.text();
}

using AddressKey = std::pair<int, std::array<uint8_t, 16>>;

class Validator {
 public:
  Validator(const Topology& t, Diagnostics& d) : t_(t), d_(d) {
    for (const Node& n : t_.nodes) nodes_.emplace(n.name, &n);
  }

  void run() {
    check_lab();
    check_nodes();
    check_links();
    check_tests();
    check_scenarios();
    check_ready();
  }

 private:
  const Topology& t_;
  Diagnostics& d_;
  std::unordered_map<std::string, const Node*> nodes_;
  std::map<std::string, std::map<std::string, Pos>> ifaces_;  // node -> iface -> where
  std::map<AddressKey, Pos> addresses_;

  const Node* node(const std::string& name) const {
    auto it = nodes_.find(name);
    return it == nodes_.end() ? nullptr : it->second;
  }

  // "unknown node `r9`<context> (did you mean `r1`?)"
  std::string unknown_node(const std::string& name, const std::string& context = "") const {
    std::vector<std::string> names;
    for (const Node& n : t_.nodes) names.push_back(n.name);
    if (name.size() > t_.prefix.size() && name.compare(0, t_.prefix.size(), t_.prefix) == 0 &&
        node(name.substr(t_.prefix.size())))
      return fmt::format("unknown node `{}`{}: that is the namespace of node `{}`; write `{}`",
                         name, context, name.substr(t_.prefix.size()),
                         name.substr(t_.prefix.size()));
    return fmt::format("unknown node `{}`{}{}", name, context, did_you_mean(name, names));
  }

  void check_lab() {
    if (t_.name_pos.line) {
      std::string problem = lab_name_problem(t_.name);
      if (!problem.empty()) d_.error(t_.name_pos, problem);
    }
    bool bad = t_.prefix.size() > 64 || t_.prefix == "." || t_.prefix == "..";
    for (char c : t_.prefix) bad = bad || !is_name_char(c);
    if (bad)
      d_.error(t_.prefix_pos, fmt::format("prefix `{}` must be at most 64 letters, digits, `_`, "
                                          "`.` and `-` (and not . or ..)",
                                          t_.prefix));
  }

  void note_address(const nl::IpPrefix& a, Pos pos) {
    auto [it, fresh] = addresses_.emplace(AddressKey{a.family, a.bytes}, pos);
    if (!fresh)
      d_.error(pos, fmt::format("address {} is used twice in the lab (first at line {})",
                                a.address_text(), it->second.line));
  }

  void check_nodes() {
    // (A node defined twice is a duplicate key, which the loader reports.)
    for (const Node& n : t_.nodes) {
      std::string problem = node_name_problem(n.name);
      if (!problem.empty()) d_.error(n.pos, problem);
      for (size_t i = 0; i < n.loopback.size(); i++) note_address(n.loopback[i], n.loopback_pos[i]);
      for (const Setting& s : n.sysctls) {
        std::string why = sysctl_key_problem(s.key);
        if (!why.empty()) d_.error(s.pos, why);
        if (s.value.find('\n') != std::string::npos || s.value.empty())
          d_.error(s.pos, fmt::format("sysctl `{}` needs a one-line value", s.key));
      }
      for (const Setting& e : n.env) {
        std::string why = env_name_problem(e.key);
        if (!why.empty()) d_.error(e.pos, why);
      }
      check_node_commands(n);
      if (n.kind == NodeKind::bridge && !n.routes.empty())
        d_.error(n.routes[0].pos, fmt::format("bridge `{}` forwards frames, not packets: it "
                                              "has no routes",
                                              n.name));
      if (n.kind == NodeKind::bridge) ifaces_[n.name][kBridgeIface] = n.pos;
    }
  }

  void check_node_commands(const Node& n) {
    std::set<std::string> logs = {"exec.log"};
    for (const Command& d : n.daemons) {
      std::string why = file_name_problem(d.name, "daemon");
      if (!why.empty()) {
        d_.error(d.pos, why);
        continue;
      }
      if (!logs.insert(d.name + ".log").second)
        d_.error(d.pos, fmt::format("node `{}` has two daemons named `{}` (or one named `exec`, "
                                    "whose log would be exec.log)",
                                    n.name, d.name));
    }
    for (const NodeFile& f : n.files)
      if (f.name.empty() || f.name[0] != '/')
        if (std::string why = file_name_problem(f.name, "file"); !why.empty()) d_.error(f.pos, why);
  }

  void check_links() {
    for (const Link& link : t_.links) {
      if (link.stub && link.declared_endpoints != 1)
        d_.error(link.stub_pos, fmt::format("`stub: true` is a link of one endpoint (an interface "
                                            "on a segment of its own); this one has {}",
                                            link.declared_endpoints));
      else if (!link.stub && link.declared_endpoints == 1)
        d_.error(link.pos,
                 "a link needs two endpoints (three or more make a LAN); for one interface on a "
                 "segment of its own (a stub network), add `stub: true`");
      if (link.mtu && (*link.mtu < 68 || *link.mtu > 65535))
        d_.error(link.mtu_pos, fmt::format("mtu {} is out of range 68..65535", *link.mtu));
      int on_host = 0;
      for (const Endpoint& ep : link.endpoints) {
        check_endpoint(ep);
        on_host += ep.on_host();
      }
      if (on_host > 1 && !link.is_lan())
        d_.error(link.pos, "a link needs an end in a node: both ends are in the root namespace");
      check_subnets(link);
    }
    check_lan_names();
  }

  void check_lan_names() {
    std::map<std::string, Pos> seen;
    for (const Link& link : t_.links) {
      if (link.name_pos.line == 0) continue;
      if (!link.is_lan()) {
        d_.error(link.name_pos,
                 "only a LAN (three endpoints or more, or `stub: true`) has a `name`: a link of "
                 "two is named by its ends");
        continue;
      }
      if (std::string why = lan_name_problem(link.name); !why.empty()) {
        d_.error(link.name_pos, why);
        continue;
      }
      if (node(link.name)) {
        d_.error(link.name_pos,
                 fmt::format("LAN name `{}` is a node's name: name the LAN otherwise", link.name));
        continue;
      }
      auto [first, fresh] = seen.emplace(link.name, link.name_pos);
      if (!fresh)
        d_.error(link.name_pos, fmt::format("two LANs are named `{}` (first at line {})", link.name,
                                            first->second.line));
    }
  }

  void check_endpoint(const Endpoint& ep) {
    const Node* n = ep.on_host() ? nullptr : node(ep.node);
    if (!ep.on_host() && !n) {
      d_.error(ep.pos, unknown_node(ep.node, fmt::format(" in endpoint {}", end_text(ep))));
      return;
    }
    std::string problem = iface_name_problem(ep.iface);
    if (!problem.empty()) {
      d_.error(ep.pos, problem);
      return;
    }
    auto [it, fresh] = ifaces_[ep.node].emplace(ep.iface, ep.pos);
    if (!fresh) {
      if (n && n->kind == NodeKind::bridge && ep.iface == kBridgeIface)
        d_.error(ep.pos, fmt::format("`{}` is the bridge of bridge node `{}`; name its ports "
                                     "otherwise",
                                     kBridgeIface, ep.node));
      else
        d_.error(ep.pos, fmt::format("interface {} is used twice (first at line {})", end_text(ep),
                                     it->second.line));
    }
    if (n && n->kind == NodeKind::bridge && !ep.addresses.empty())
      d_.error(ep.address_pos[0], fmt::format("{} is a port of bridge `{}`: a bridge port "
                                              "has no address",
                                              end_text(ep), ep.node));
    for (size_t i = 0; i < ep.addresses.size(); i++)
      note_address(ep.addresses[i], ep.address_pos[i]);
  }

  // Every end's addresses pair up with the first addressed end's: same family, same subnet.
  void check_subnets(const Link& link) {
    const Endpoint* ref = nullptr;
    for (const Endpoint& ep : link.endpoints)
      if (!ep.addresses.empty() && !ref) ref = &ep;
    if (!ref) return;
    for (const Endpoint& ep : link.endpoints)
      if (&ep != ref && !ep.addresses.empty()) check_pair(ep, *ref);
  }

  // Ends share at least one family, and in each family they share, each address has a
  // partner in its subnet. An address of a family the other end lacks is allowed (one end may
  // have IPv6 where the other has only IPv4).
  void check_pair(const Endpoint& self, const Endpoint& ref) {
    auto has = [](const Endpoint& e, int family) {
      for (const nl::IpPrefix& a : e.addresses)
        if (a.family == family) return true;
      return false;
    };
    bool shared = false;
    for (const nl::IpPrefix& a : self.addresses) shared = shared || has(ref, a.family);
    if (!shared) {
      d_.error(self.address_pos[0],
               fmt::format("{} and {} share no address family: one is IPv{} only, the "
                           "other IPv{} only",
                           end_text(self), end_text(ref), self.addresses[0].is_v6() ? 6 : 4,
                           self.addresses[0].is_v6() ? 4 : 6));
      return;
    }
    for (size_t i = 0; i < self.addresses.size(); i++) {
      const nl::IpPrefix& mine = self.addresses[i];
      if (!has(ref, mine.family)) continue;
      bool partner = false;
      for (const nl::IpPrefix& theirs : ref.addresses)
        partner = partner ||
                  (theirs.family == mine.family && theirs.len == mine.len && mine.contains(theirs));
      if (!partner)
        d_.error(self.address_pos[i], fmt::format("{} and the addresses of {} are not in one "
                                                  "subnet",
                                                  mine.text(), end_text(ref)));
    }
  }

  void check_tests() {
    std::set<std::string> names;
    for (const TestCase& test : t_.tests) {
      if (!test.name.empty() && !names.insert(test.name).second)
        d_.error(test.pos, fmt::format("two tests are named `{}`", test.name));
      check_test_nodes(test, fmt::format("test `{}`: ", test.name));
    }
  }

  // The nodes a test runs on and pings; `label` starts each message.
  void check_test_nodes(const TestCase& test, const std::string& label) {
    const std::string& on = test.is_ping() ? test.from : test.node;
    if (!on.empty() && !node(on)) d_.error(test.pos, label + unknown_node(on));
    if (test.is_ping() && !node(test.to) && !nl::IpPrefix::parse_address(test.to))
      d_.error(test.pos,
               fmt::format("{}`to: {}` is neither a node nor an IP address", label, test.to));
  }

  // A test named in a scenario or in `ready`.
  void check_test_name(const std::string& name, Pos pos, const std::string& label) {
    if (t_.find_test(name)) return;
    std::vector<std::string> names;
    for (const TestCase& test : t_.tests) names.push_back(test.name);
    d_.error(pos,
             label + (names.empty()
                          ? fmt::format("unknown test `{}`: the file has no `tests`", name)
                          : fmt::format("unknown test `{}`{}", name, did_you_mean(name, names))));
  }

  // A node a step acts on or looks at: one of the lab's, in a namespace of its own.
  void check_step_node(const std::string& name, Pos pos, const std::string& label) {
    if (name == kHostNode)
      d_.error(pos, fmt::format("{}`host` is the root namespace, not a node of the lab", label));
    else if (!node(name))
      d_.error(pos, label + unknown_node(name));
  }

  void check_step_end(const std::string& text, Pos pos, const std::string& label) {
    std::optional<End> end = End::parse(text);
    if (!end) {
      d_.error(pos, fmt::format("{}`{}` is not a link end (node:iface)", label, text));
      return;
    }
    std::vector<std::string> ends;
    for (const Link& l : t_.links)
      for (const Endpoint& ep : l.endpoints) {
        if (ep.node == end->node && ep.iface == end->iface) return;
        ends.push_back(end_text(ep));
      }
    if (end->node != kHostNode && !node(end->node))
      d_.error(pos, label + unknown_node(end->node, fmt::format(" in `{}`", text)));
    else
      d_.error(pos, fmt::format("{}`{}` is not a link end of this lab{}", label, text,
                                did_you_mean(text, ends)));
  }

  void check_route_check(const RouteCheck& r, Pos pos, const std::string& label) {
    check_step_node(r.node, pos, label);
    if (r.via && r.via->family != r.to.family && r.to.family)
      d_.error(pos, fmt::format("{}gateway {} and prefix {} are not of one IP version", label,
                                r.via->address_text(), r.to.text()));
    if (!r.dev.empty() && r.dev != "lo" && node(r.node) && !ifaces_[r.node].count(r.dev))
      d_.error(pos, fmt::format("{}node `{}` has no interface `{}`", label, r.node, r.dev));
  }

  void check_scenarios() {
    for (const Scenario& s : t_.scenarios) {
      if (std::string why = scenario_name_problem(s.name); !why.empty()) d_.error(s.pos, why);
      for (const Step& step : s.steps) {
        std::string label = fmt::format("scenario `{}`: ", s.name);
        std::visit(overloaded{[&](const LinkStep& l) {
                                for (const std::string& e : l.ends)
                                  check_step_end(e, step.pos, label);
                              },
                              [&](const ImpairStep& i) {
                                if (!i.end.empty()) check_step_end(i.end, step.pos, label);
                              },
                              [&](const NodeStep& n) {
                                for (const std::string& name : n.nodes)
                                  check_step_node(name, step.pos, label);
                              },
                              [&](const ExecStep& e) {
                                if (!e.node.empty()) check_step_node(e.node, step.pos, label);
                              },
                              [](const WaitStep&) {},
                              [&](const RouteCheck& r) {
                                if (!r.node.empty()) check_route_check(r, step.pos, label);
                              },
                              [&](const TestCheck& c) {
                                if (c.inline_test)
                                  check_test_nodes(*c.inline_test, label);
                                else if (!c.name.empty())
                                  check_test_name(c.name, step.pos, label);
                              }},
                   step.action);
      }
    }
  }

  void check_ready() {
    if (!t_.ready) return;
    const Ready& r = *t_.ready;
    if (r.all && t_.tests.empty())
      d_.error(r.pos, "`ready: {tests: all}` waits for the file's tests, and it has none");
    for (size_t i = 0; i < r.tests.size(); i++)
      check_test_name(r.tests[i], r.test_pos[i], "`ready`: ");
  }
};

}  // namespace

std::string scenario_name_problem(const std::string& name) {
  if (name.empty()) return "a scenario name cannot be empty";
  if (name.size() > 64) return fmt::format("scenario name `{}` is longer than 64 characters", name);
  for (char c : name)
    if (!is_name_char(c))
      return fmt::format("scenario name `{}` may contain only letters, digits, `_`, `.` and `-`",
                         name);
  return {};
}

std::string host_name_problem(const std::string& name) {
  return name_problem(name, "host");
}

std::string lab_name_problem(const std::string& name) {
  if (name.empty()) return "the lab name cannot be empty";
  if (name.size() > 32) return fmt::format("lab name `{}` is longer than 32 characters", name);
  if (!is_lower_alnum(name[0]))
    return fmt::format("lab name `{}` must start with a lower-case letter or a digit", name);
  for (char c : name)
    if (!is_lower_alnum(c) && c != '-')
      return fmt::format("lab name `{}` may contain only a-z, 0-9 and `-`", name);
  return {};
}

void validate(const Topology& topology, Diagnostics& diagnostics) {
  Validator(topology, diagnostics).run();
}

void validate_routes(const Topology& t, Diagnostics& d) {
  // node -> its interfaces, and the subnets they are on
  std::map<std::string, std::set<std::string>> ifaces;
  std::map<std::string, std::vector<nl::IpPrefix>> subnets;
  for (const Link& l : t.links)
    for (const Endpoint& e : l.endpoints) {
      ifaces[e.node].insert(e.iface);
      subnets[e.node].insert(subnets[e.node].end(), e.addresses.begin(), e.addresses.end());
    }
  for (const Node& n : t.nodes) {
    if (n.kind == NodeKind::bridge) continue;  // refused by validate()
    std::set<std::pair<int, std::array<uint8_t, 16>>> dsts;
    for (const Route& r : n.routes) {
      nl::IpPrefix net = r.dst.network();
      if (!dsts.insert({net.family * 256 + net.len, net.bytes}).second)
        d.error(r.pos, fmt::format("node `{}` has two routes to {}", n.name, net.text()));
      if (!r.dev.empty() && !ifaces[n.name].count(r.dev))
        d.error(r.pos,
                fmt::format("route `{}`: node `{}` has no interface `{}`", r.text, n.name, r.dev));
      for (const nl::IpPrefix& gw : r.via) {
        if (gw.family != r.dst.family) {
          d.error(r.pos, fmt::format("route `{}` mixes IPv4 and IPv6", r.text));
          continue;
        }
        bool connected = false;
        for (const nl::IpPrefix& s : subnets[n.name])
          connected = connected || (s.len < s.max_len() && s.contains(gw));
        if (!connected)
          d.error(r.pos, fmt::format("route `{}`: gateway {} is on no subnet of node `{}`", r.text,
                                     gw.address_text(), n.name));
      }
    }
  }
}

}  // namespace topo
