#include "topo/loader.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <yaml-cpp/yaml.h>

#include <fmt/format.h>

#include "topo/suggest.h"
#include "topo/validator.h"

namespace topo {

namespace {

Pos pos_of(const YAML::Node& n) {
  YAML::Mark m = n.Mark();
  if (m.line < 0) return {};
  return {m.line + 1, m.column + 1};
}

// Keys of the contract that this version reads; anything else is a mistake (with a suggestion).
// Keys that the contract defines but this version does not implement yet are refused by name,
// so that a file never appears to work while part of it is ignored.
struct KeySet {
  std::vector<std::string> known;
  std::vector<std::string> not_yet;
};

const KeySet kTopKeys{{"name", "prefix", "nodes", "links"}, {"defaults", "addressing", "tests"}};
const KeySet kNodeKeys{{"kind", "loopback", "sysctls", "routes"},
                       {"env", "files", "exec", "daemons"}};
const KeySet kLinkKeys{{"endpoints", "addresses", "mtu", "state"}, {"impair"}};
const KeySet kEndpointKeys{{"node", "iface", "mac", "addresses"}, {"impair"}};
const KeySet kRouteKeys{{"dst", "via", "dev"}, {}};

class Loader {
 public:
  Loader(Diagnostics& diags) : diags_(diags) {}

  void load(const YAML::Node& root, Topology& t) {
    if (!root.IsMap()) {
      diags_.error(pos_of(root), "a topology file is a mapping with at least `name` and `nodes`");
      return;
    }
    check_keys(root, kTopKeys, "top level");
    if (auto n = root["name"]) {
      t.name = scalar(n, "name");
      if (n.IsScalar()) t.name_pos = pos_of(n);
    } else {
      diags_.error(pos_of(root), "missing `name`: every lab needs a name");
    }
    if (auto n = root["prefix"]) {
      t.prefix = scalar(n, "prefix");
      t.prefix_pos = pos_of(n);
    } else {
      t.prefix = t.name + "-";
    }
    if (auto n = root["nodes"]) {
      load_nodes(n, t);
    } else {
      diags_.error(pos_of(root), "missing `nodes`: a lab needs at least one node");
    }
    if (auto n = root["links"]) load_links(n, t);
  }

 private:
  Diagnostics& diags_;

  void check_keys(const YAML::Node& map, const KeySet& keys, const std::string& where) {
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (!it->first.IsScalar()) {
        diags_.error(pos_of(it->first), "a key must be a plain name");
        continue;
      }
      const std::string key = it->first.Scalar();
      if (std::find(keys.known.begin(), keys.known.end(), key) != keys.known.end()) continue;
      if (std::find(keys.not_yet.begin(), keys.not_yet.end(), key) != keys.not_yet.end()) {
        diags_.error(pos_of(it->first),
                     fmt::format("`{}` is not supported by this version of topo yet", key));
        continue;
      }
      std::vector<std::string> all = keys.known;
      all.insert(all.end(), keys.not_yet.begin(), keys.not_yet.end());
      diags_.error(pos_of(it->first),
                   fmt::format("unknown key `{}` in {}{}", key, where, did_you_mean(key, all)));
    }
  }

  std::string scalar(const YAML::Node& n, const std::string& what) {
    if (!n.IsScalar()) {
      diags_.error(pos_of(n), fmt::format("`{}` must be a single value", what));
      return {};
    }
    return n.Scalar();
  }

  std::optional<int> integer(const YAML::Node& n, const std::string& what) {
    std::string s = scalar(n, what);
    int v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size()) {
      if (n.IsScalar()) diags_.error(pos_of(n), fmt::format("`{}` must be a whole number", what));
      return std::nullopt;
    }
    return v;
  }

  // A scalar or a list of scalars, each with its place.
  std::vector<std::pair<std::string, Pos>> scalars(const YAML::Node& n, const std::string& what) {
    std::vector<std::pair<std::string, Pos>> out;
    if (n.IsScalar()) {
      out.emplace_back(n.Scalar(), pos_of(n));
    } else if (n.IsSequence()) {
      for (const YAML::Node& item : n) {
        if (item.IsScalar())
          out.emplace_back(item.Scalar(), pos_of(item));
        else
          diags_.error(pos_of(item), fmt::format("each entry of `{}` must be a single value", what));
      }
    } else {
      diags_.error(pos_of(n), fmt::format("`{}` must be a value or a list of values", what));
    }
    return out;
  }

  void addresses(const YAML::Node& n, std::vector<nl::IpPrefix>& out, std::vector<Pos>& where,
                 bool allow_bare) {
    for (auto& [text, pos] : scalars(n, "addresses")) {
      auto p = nl::IpPrefix::parse(text, allow_bare);
      if (!p) {
        diags_.error(pos, fmt::format("`{}` is not an address with a prefix length, like "
                                      "10.1.0.1/30 or fd00::1/64", text));
        continue;
      }
      out.push_back(*p);
      where.push_back(pos);
    }
  }

  void load_nodes(const YAML::Node& nodes, Topology& t) {
    if (!nodes.IsMap()) {
      diags_.error(pos_of(nodes), "`nodes` must be a mapping of node names to their settings");
      return;
    }
    if (nodes.size() == 0) diags_.error(pos_of(nodes), "`nodes` is empty: a lab needs a node");
    for (auto it = nodes.begin(); it != nodes.end(); ++it) {
      Node node;
      node.name = scalar(it->first, "node name");
      node.pos = pos_of(it->first);
      YAML::Node body = it->second;  // a copy: it->second is a temporary
      if (body.IsMap()) {
        load_node(body, node);
      } else if (!body.IsNull()) {
        diags_.error(pos_of(body), fmt::format("node `{}` must be a mapping of settings (or "
                                               "empty)", node.name));
      }
      t.nodes.push_back(std::move(node));
    }
  }

  void load_node(const YAML::Node& body, Node& node) {
    check_keys(body, kNodeKeys, fmt::format("node `{}`", node.name));
    if (auto k = body["kind"]) {
      std::string kind = scalar(k, "kind");
      if (kind == "host") {
        node.kind = NodeKind::host;
      } else if (kind == "router") {
        node.kind = NodeKind::router;
      } else if (kind == "bridge") {
        diags_.error(pos_of(k), "`kind: bridge` is not supported by this version of topo yet");
      } else if (k.IsScalar()) {
        diags_.error(pos_of(k), fmt::format("unknown kind `{}`: expected host or router{}", kind,
                                            did_you_mean(kind, {"host", "router", "bridge"})));
      }
    }
    if (auto l = body["loopback"]) addresses(l, node.loopback, node.loopback_pos, true);
    if (auto s = body["sysctls"]) {
      if (!s.IsMap()) {
        diags_.error(pos_of(s), "`sysctls` must be a mapping of keys to values");
      } else {
        for (auto kv = s.begin(); kv != s.end(); ++kv)
          node.sysctls.push_back({scalar(kv->first, "sysctl key"),
                                  scalar(kv->second, "sysctl value"), pos_of(kv->first)});
      }
    }
    if (auto r = body["routes"]) {
      if (!r.IsSequence()) {
        diags_.error(pos_of(r), "`routes` must be a list");
      } else {
        for (const YAML::Node& item : r) load_route(item, node);
      }
    }
  }

  void load_route(const YAML::Node& item, Node& node) {
    Route route;
    route.pos = pos_of(item);
    std::string dst;
    std::vector<std::pair<std::string, Pos>> via;
    if (item.IsScalar()) {
      // "DST [via GW] [dev IFACE]"
      route.text = item.Scalar();
      std::istringstream words(route.text);
      std::vector<std::string> w{std::istream_iterator<std::string>(words), {}};
      if (w.empty()) {
        diags_.error(route.pos, "an empty route");
        return;
      }
      dst = w[0];
      for (size_t i = 1; i < w.size(); i += 2) {
        if (i + 1 >= w.size() || (w[i] != "via" && w[i] != "dev")) {
          diags_.error(route.pos, fmt::format("cannot read route `{}`: expected \"DST via GATEWAY\""
                                              " or \"DST dev IFACE\"", route.text));
          return;
        }
        if (w[i] == "via") via.emplace_back(w[i + 1], route.pos);
        if (w[i] == "dev") route.dev = w[i + 1];
      }
    } else if (item.IsMap()) {
      check_keys(item, kRouteKeys, "route");
      if (auto d = item["dst"]) {
        dst = scalar(d, "dst");
      } else {
        diags_.error(route.pos, "a route needs `dst`");
        return;
      }
      if (auto v = item["via"]) via = scalars(v, "via");
      if (auto d = item["dev"]) route.dev = scalar(d, "dev");
      route.text = dst;
    } else {
      diags_.error(route.pos, "a route is \"DST via GATEWAY\" or {dst: ..., via: ..., dev: ...}");
      return;
    }
    for (auto& [text, pos] : via) {
      auto gw = nl::IpPrefix::parse_address(text);
      if (!gw) {
        diags_.error(pos, fmt::format("gateway `{}` is not an IP address", text));
        return;
      }
      route.via.push_back(*gw);
    }
    if (via.empty() && route.dev.empty()) {
      diags_.error(route.pos, fmt::format("route `{}` needs a gateway (via) or a device (dev)",
                                          route.text));
      return;
    }
    if (dst == "default") {
      bool v6 = !route.via.empty() && route.via.front().is_v6();
      route.dst = *nl::IpPrefix::parse(v6 ? "::/0" : "0.0.0.0/0");
    } else if (auto p = nl::IpPrefix::parse(dst, true)) {
      route.dst = *p;
    } else {
      diags_.error(route.pos, fmt::format("route destination `{}` is not a prefix like "
                                          "10.9.0.0/16 or `default`", dst));
      return;
    }
    node.routes.push_back(std::move(route));
  }

  void load_links(const YAML::Node& links, Topology& t) {
    if (!links.IsSequence()) {
      diags_.error(pos_of(links), "`links` must be a list");
      return;
    }
    for (const YAML::Node& item : links) {
      if (!item.IsMap()) {
        diags_.error(pos_of(item), "a link is a mapping with `endpoints`");
        continue;
      }
      Link link;
      link.pos = pos_of(item);
      check_keys(item, kLinkKeys, "link");
      if (auto e = item["endpoints"]) {
        if (!e.IsSequence()) {
          diags_.error(pos_of(e), "`endpoints` must be a list like [r1:eth1, r2:eth1]");
        } else {
          for (const YAML::Node& end : e) load_endpoint(end, link);
          link.declared_endpoints = e.size();
        }
      } else {
        diags_.error(link.pos, "a link needs `endpoints`");
      }
      if (auto a = item["addresses"]) load_link_addresses(a, link);
      if (auto m = item["mtu"]) {
        link.mtu = integer(m, "mtu");
        link.mtu_pos = pos_of(m);
      }
      if (auto s = item["state"]) {
        std::string state = scalar(s, "state");
        if (state == "down") {
          link.up = false;
        } else if (state != "up" && s.IsScalar()) {
          diags_.error(pos_of(s), fmt::format("`state` is up or down, not `{}`", state));
        }
      }
      t.links.push_back(std::move(link));
    }
  }

  void load_endpoint(const YAML::Node& end, Link& link) {
    Endpoint ep;
    ep.pos = pos_of(end);
    if (end.IsScalar()) {
      const std::string& text = end.Scalar();
      auto colon = text.find(':');
      if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
        diags_.error(ep.pos, fmt::format("endpoint `{}` must be NODE:IFACE, like r1:eth1", text));
        return;
      }
      ep.node = text.substr(0, colon);
      ep.iface = text.substr(colon + 1);
    } else if (end.IsMap()) {
      check_keys(end, kEndpointKeys, "endpoint");
      if (auto n = end["node"]) ep.node = scalar(n, "node");
      if (auto i = end["iface"]) ep.iface = scalar(i, "iface");
      if (ep.node.empty() || ep.iface.empty()) {
        diags_.error(ep.pos, "an endpoint needs `node` and `iface`");
        return;
      }
      if (auto m = end["mac"]) {
        std::string mac = scalar(m, "mac");
        ep.mac = nl::parse_mac(mac);
        if (!ep.mac && m.IsScalar())
          diags_.error(pos_of(m), fmt::format("`{}` is not a MAC address like 02:00:00:00:00:01",
                                              mac));
        else if (ep.mac && ((*ep.mac)[0] & 1))
          diags_.error(pos_of(m), fmt::format("`{}` is a multicast MAC address; an interface "
                                              "needs a unicast one", mac));
      }
      if (auto a = end["addresses"]) addresses(a, ep.addresses, ep.address_pos, false);
    } else {
      diags_.error(ep.pos, "an endpoint is NODE:IFACE or {node: ..., iface: ...}");
      return;
    }
    link.endpoints.push_back(std::move(ep));
  }

  // `addresses: [A, B]` (one per endpoint) or `[[A1, A2], [B1]]` (a list per endpoint).
  void load_link_addresses(const YAML::Node& a, Link& link) {
    if (!a.IsSequence()) {
      diags_.error(pos_of(a), "`addresses` must be a list with one entry per endpoint");
      return;
    }
    if (a.size() != link.endpoints.size()) {
      diags_.error(pos_of(a), fmt::format("`addresses` has {} entries for {} endpoints: give one "
                                          "per endpoint, in the same order", a.size(),
                                          link.endpoints.size()));
      return;
    }
    for (size_t i = 0; i < a.size(); i++) {
      Endpoint& ep = link.endpoints[i];
      if (!ep.addresses.empty()) {
        diags_.error(pos_of(a[i]), fmt::format("endpoint {}:{} has addresses in its own entry "
                                               "already", ep.node, ep.iface));
        continue;
      }
      addresses(a[i], ep.addresses, ep.address_pos, false);
    }
  }
};

}  // namespace

LoadResult load_text(const std::string& label, std::string text, const std::string& dir) {
  LoadResult r{Topology{}, Diagnostics(label, text), std::move(text)};
  r.topology.file = label;
  r.topology.dir = dir;
  YAML::Node root;
  try {
    root = YAML::Load(r.text);
  } catch (const YAML::ParserException& e) {
    r.diagnostics.error({e.mark.line + 1, e.mark.column + 1}, "YAML syntax: " + e.msg);
    return r;
  }
  if (root.IsNull()) {
    r.diagnostics.error({}, "the file is empty: a lab needs at least `name` and `nodes`");
    return r;
  }
  try {
    Loader(r.diagnostics).load(root, r.topology);
  } catch (const YAML::Exception& e) {
    r.diagnostics.error({e.mark.line + 1, e.mark.column + 1}, e.msg);
  }
  validate(r.topology, r.diagnostics);
  return r;
}

LoadResult load_file(const std::string& path) {
  std::string text;
  std::string dir;
  std::error_code ec;
  if (path == "-") {
    std::ostringstream s;
    s << std::cin.rdbuf();
    text = s.str();
    dir = std::filesystem::current_path(ec).string();
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      LoadResult r{Topology{}, Diagnostics(path, ""), ""};
      r.diagnostics.error({}, fmt::format("cannot read the file: {}", std::strerror(errno)));
      return r;
    }
    std::ostringstream s;
    s << in.rdbuf();
    text = s.str();
    dir = std::filesystem::absolute(path, ec).parent_path().string();
  }
  return load_text(path == "-" ? "<stdin>" : path, std::move(text), dir);
}

}  // namespace topo
