#include "topo/validator.h"

#include <map>
#include <set>

#include <fmt/format.h>

#include "topo/suggest.h"

namespace topo {

namespace {

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }

std::string node_name_problem(const std::string& name) {
  if (name.empty()) return "a node name cannot be empty";
  if (name.size() > 64) return fmt::format("node name `{}` is longer than 64 characters", name);
  if (!is_alnum(name[0]))
    return fmt::format("node name `{}` must start with a letter or a digit", name);
  for (char c : name)
    if (!is_alnum(c) && c != '_' && c != '.' && c != '-')
      return fmt::format("node name `{}` may contain only letters, digits, `_`, `.` and `-`",
                         name);
  if (name == "host") return "`host` is reserved for the root network namespace";
  return {};
}

std::string iface_name_problem(const std::string& name) {
  if (name.empty()) return "an interface name cannot be empty";
  if (name.size() > 15)
    return fmt::format("interface name `{}` is longer than 15 characters (the kernel's limit)",
                       name);
  for (unsigned char c : name)
    if (c == '/' || c == ':' || c <= ' ' || c == 0x7f)
      return fmt::format("interface name `{}` may not contain `/`, `:` or white space", name);
  if (name == "lo") return "`lo` is the loopback interface; use `loopback:` for its addresses";
  if (name == "." || name == "..") return fmt::format("`{}` is not a valid interface name", name);
  return {};
}

std::string sysctl_key_problem(const std::string& key) {
  bool dotted = key.find('/') == std::string::npos;
  std::string root = dotted ? "net." : "net/";
  if (key.compare(0, root.size(), root) != 0)
    return fmt::format("sysctl `{}` is not per-namespace: only net.* keys can be set on a node "
                       "(any other would change the host)", key);
  if (key.find("..") != std::string::npos || key.find("//") != std::string::npos ||
      key.back() == '/' || key.back() == '.')
    return fmt::format("sysctl key `{}` has an empty part", key);
  for (char c : key)
    if (!is_alnum(c) && c != '_' && c != '.' && c != '-' && c != '/')
      return fmt::format("sysctl key `{}` may contain only letters, digits, `_`, `.`, `-`, `/`",
                         key);
  return {};
}

class Validator {
 public:
  Validator(const Topology& t, Diagnostics& d) : t_(t), d_(d) {}

  void run() {
    check_lab();
    check_nodes();
    check_links();
    check_routes();
  }

 private:
  const Topology& t_;
  Diagnostics& d_;
  // node -> interface -> where it was declared
  std::map<std::string, std::map<std::string, Pos>> ifaces_;
  // node -> the subnets its interfaces are on (for checking gateways)
  std::map<std::string, std::vector<nl::IpPrefix>> subnets_;
  std::map<std::pair<int, std::array<uint8_t, 16>>, Pos> addresses_;

  void check_lab() {
    if (t_.name_pos.line) {
      std::string problem = lab_name_problem(t_.name);
      if (!problem.empty()) d_.error(t_.name_pos, problem);
    }
    for (char c : t_.prefix)
      if (!is_alnum(c) && c != '_' && c != '.' && c != '-') {
        d_.error(t_.prefix_pos, fmt::format("prefix `{}` may contain only letters, digits, `_`, "
                                            "`.` and `-`", t_.prefix));
        break;
      }
    if (t_.prefix == "." || t_.prefix == "..")
      d_.error(t_.prefix_pos, fmt::format("prefix `{}` is not allowed", t_.prefix));
  }

  void note_address(const nl::IpPrefix& a, Pos pos) {
    auto [it, fresh] = addresses_.emplace(std::make_pair(a.family, a.bytes), pos);
    if (!fresh)
      d_.error(pos, fmt::format("address {} is used twice in the lab (first at line {})",
                                a.address_text(), it->second.line));
  }

  void check_nodes() {
    std::set<std::string> seen;
    for (const Node& n : t_.nodes) {
      std::string problem = node_name_problem(n.name);
      if (!problem.empty()) d_.error(n.pos, problem);
      if (!seen.insert(n.name).second)
        d_.error(n.pos, fmt::format("node `{}` is defined twice", n.name));
      for (size_t i = 0; i < n.loopback.size(); i++) {
        note_address(n.loopback[i], n.loopback_pos[i]);
        subnets_[n.name].push_back(n.loopback[i]);
      }
      std::set<std::string> keys;
      for (const Sysctl& s : n.sysctls) {
        std::string why = s.key.empty() ? "a sysctl key cannot be empty" : sysctl_key_problem(s.key);
        if (!why.empty()) d_.error(s.pos, why);
        if (s.value.find('\n') != std::string::npos || s.value.empty())
          d_.error(s.pos, fmt::format("sysctl `{}` needs a one-line value", s.key));
      }
    }
  }

  void check_links() {
    for (const Link& link : t_.links) {
      if (link.declared_endpoints < 2 && link.declared_endpoints > 0)
        d_.error(link.pos, "a link needs two endpoints");
      else if (link.declared_endpoints > 2)
        d_.error(link.pos, "links with three or more endpoints (LANs) are not supported by this "
                           "version of topo yet");
      if (link.mtu && (*link.mtu < 68 || *link.mtu > 65535))
        d_.error(link.mtu_pos, fmt::format("mtu {} is out of range 68..65535", *link.mtu));
      for (const Endpoint& ep : link.endpoints) check_endpoint(ep);
      if (link.endpoints.size() == 2) check_link_subnets(link.endpoints[0], link.endpoints[1]);
    }
  }

  void check_endpoint(const Endpoint& ep) {
    if (ep.node == "host") {
      d_.error(ep.pos, "endpoints in the root namespace (`host:IFACE`) are not supported by this "
                       "version of topo yet");
      return;
    }
    if (!t_.find_node(ep.node)) {
      std::vector<std::string> names;
      for (const Node& n : t_.nodes) names.push_back(n.name);
      d_.error(ep.pos, fmt::format("unknown node `{}` in endpoint {}:{}{}", ep.node, ep.node,
                                   ep.iface, did_you_mean(ep.node, names)));
      return;
    }
    std::string problem = iface_name_problem(ep.iface);
    if (!problem.empty()) {
      d_.error(ep.pos, problem);
      return;
    }
    auto [it, fresh] = ifaces_[ep.node].emplace(ep.iface, ep.pos);
    if (!fresh)
      d_.error(ep.pos, fmt::format("interface {}:{} is used twice (first at line {})", ep.node,
                                   ep.iface, it->second.line));
    for (size_t i = 0; i < ep.addresses.size(); i++) {
      note_address(ep.addresses[i], ep.address_pos[i]);
      subnets_[ep.node].push_back(ep.addresses[i]);
    }
  }

  // Each address of one end needs a partner of its family on the other end, in its subnet.
  void check_link_subnets(const Endpoint& a, const Endpoint& b) {
    size_t reported = d_.size();
    for (int side = 0; side < 2 && d_.size() == reported; side++) {
      const Endpoint& self = side ? b : a;
      const Endpoint& other = side ? a : b;
      if (other.addresses.empty()) continue;
      for (size_t i = 0; i < self.addresses.size(); i++) {
        const nl::IpPrefix& mine = self.addresses[i];
        bool family = false, partner = false;
        for (const nl::IpPrefix& theirs : other.addresses) {
          if (theirs.family != mine.family) continue;
          family = true;
          partner = partner || (theirs.len == mine.len && mine.contains(theirs));
        }
        if (!family)
          d_.error(self.address_pos[i],
                   fmt::format("{} is IPv{} but {}:{} has no IPv{} address", mine.text(),
                               mine.is_v6() ? 6 : 4, other.node, other.iface, mine.is_v6() ? 6 : 4));
        else if (!partner && side == 0)
          d_.error(self.address_pos[i],
                   fmt::format("{} and the addresses of {}:{} are not in one subnet", mine.text(),
                               other.node, other.iface));
      }
    }
  }

  void check_routes() {
    for (const Node& n : t_.nodes) {
      std::set<std::pair<int, std::array<uint8_t, 16>>> dsts;
      for (const Route& r : n.routes) {
        nl::IpPrefix net = r.dst.network();
        if (!dsts.insert({net.family * 256 + net.len, net.bytes}).second)
          d_.error(r.pos, fmt::format("node `{}` has two routes to {}", n.name, net.text()));
        if (!r.dev.empty() && !ifaces_[n.name].count(r.dev))
          d_.error(r.pos, fmt::format("route `{}`: node `{}` has no interface `{}`", r.text,
                                      n.name, r.dev));
        for (const nl::IpPrefix& gw : r.via) {
          if (gw.family != r.dst.family) {
            d_.error(r.pos, fmt::format("route `{}` mixes IPv4 and IPv6", r.text));
            continue;
          }
          bool connected = false;
          for (const nl::IpPrefix& s : subnets_[n.name])
            connected = connected || (s.len < s.max_len() && s.contains(gw));
          if (!connected)
            d_.error(r.pos, fmt::format("route `{}`: gateway {} is on no subnet of node `{}`",
                                        r.text, gw.address_text(), n.name));
        }
      }
    }
  }
};

}  // namespace

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

}  // namespace topo
