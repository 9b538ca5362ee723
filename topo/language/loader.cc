#include "topo/language/loader.h"

#include <yaml-cpp/yaml.h>
#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string_view>

#include <fmt/format.h>

#include "topo/language/addressing.h"
#include "topo/language/expansion.h"
#include "topo/language/flow_brackets.h"
#include "topo/language/suggest.h"
#include "topo/language/validator.h"
#include "topo/model/units.h"

namespace topo {

namespace {

Pos pos_of(const YAML::Node& n) {
  YAML::Mark m = n.Mark();
  if (m.line < 0) return {};
  return {m.line + 1, m.column + 1};
}

// The keys a mapping may have.
struct KeySet {
  std::vector<std::string> known;
};

const KeySet kTopKeys{{"name", "prefix", "defaults", "addressing", "nodes", "links", "tests"}};
const KeySet kNodeKeys{
    {"kind", "loopback", "sysctls", "env", "routes", "files", "exec", "daemons"}};
const KeySet kDaemonKeys{{"name", "cmd"}};
const KeySet kLinkKeys{{"endpoints", "addresses", "mtu", "state", "impair"}};
const KeySet kEndpointKeys{{"node", "iface", "mac", "addresses", "impair"}};
const KeySet kRouteKeys{{"dst", "via", "dev"}};
const KeySet kAddressingKeys{{"p2p", "p2p_prefix", "lan", "loopback", "ipv6"}};
const KeySet kImpairKeys{{"delay", "jitter", "loss", "duplicate", "corrupt", "reorder", "rate"}};
const KeySet kTestKeys{{"name", "ping", "exec", "expect", "timeout"}};
const KeySet kPingKeys{{"from", "to"}};
const KeySet kExecKeys{{"node", "cmd"}};
const KeySet kExpectKeys{{"exit", "output"}};

class Loader {
 public:
  explicit Loader(Diagnostics& diags) : diags_(diags) {}

  void load(const YAML::Node& root, Topology& t) {
    if (!root.IsMap()) {
      diags_.error(pos_of(root), "a topology file is a mapping with at least `name` and `nodes`");
      return;
    }
    check_keys(root, kTopKeys, "the top level");
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
    if (auto a = root["addressing"]) load_addressing(a, t.addressing);
    YAML::Node defaults;
    if (auto d = root["defaults"]) {
      if (d.IsMap()) {
        check_keys(d, kNodeKeys, "`defaults`");
        defaults = d;
      } else if (!d.IsNull()) {
        diags_.error(pos_of(d), "`defaults` must be a mapping of node settings");
      }
    }
    if (auto n = root["nodes"]) {
      load_nodes(n, defaults, t);
    } else {
      diags_.error(pos_of(root), "missing `nodes`: a lab needs at least one node");
    }
    if (auto n = root["links"]) load_links(n, t);
    if (auto n = root["tests"]) load_tests(n, t);
  }

 private:
  Diagnostics& diags_;

  void check_keys(const YAML::Node& map, const KeySet& keys, const std::string& where) {
    std::map<std::string, Pos> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (!it->first.IsScalar()) {
        diags_.error(pos_of(it->first), "a key must be a plain name");
        continue;
      }
      const std::string key = it->first.Scalar();
      // yaml-cpp keeps duplicate keys and answers lookups with the first: refuse them.
      auto [first, fresh] = seen.emplace(key, pos_of(it->first));
      if (!fresh)
        diags_.error(pos_of(it->first),
                     fmt::format("duplicate key `{}` (first at line {})", key, first->second.line));
      if (std::find(keys.known.begin(), keys.known.end(), key) != keys.known.end()) continue;
      diags_.error(pos_of(it->first), fmt::format("unknown key `{}` in {}{}", key, where,
                                                  did_you_mean(key, keys.known)));
    }
  }

  // Only duplicates, for mappings whose keys are names chosen by the user.
  void check_unique_keys(const YAML::Node& map) {
    std::map<std::string, Pos> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (!it->first.IsScalar()) continue;
      auto [first, fresh] = seen.emplace(it->first.Scalar(), pos_of(it->first));
      if (!fresh)
        diags_.error(pos_of(it->first), fmt::format("duplicate key `{}` (first at line {})",
                                                    it->first.Scalar(), first->second.line));
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
          diags_.error(pos_of(item),
                       fmt::format("each entry of `{}` must be a single value", what));
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
                                      "10.1.0.1/30 or fd00::1/64",
                                      text));
        continue;
      }
      out.push_back(*p);
      where.push_back(pos);
    }
  }

  // key: value pairs of a mapping, in order; later layers override earlier ones by key.
  void settings(const YAML::Node& map, const std::string& key, const std::string& what,
                std::vector<Setting>& out) {
    if (!map.IsMap()) {
      diags_.error(pos_of(map), fmt::format("`{}` must be a mapping of keys to values", key));
      return;
    }
    check_unique_keys(map);
    for (auto kv = map.begin(); kv != map.end(); ++kv) {
      Setting s{scalar(kv->first, what + " name"), scalar(kv->second, what + " value"),
                pos_of(kv->first)};
      auto same =
          std::find_if(out.begin(), out.end(), [&](const Setting& o) { return o.key == s.key; });
      if (same != out.end())
        *same = s;
      else
        out.push_back(s);
    }
  }

  void load_addressing(const YAML::Node& a, Addressing& out) {
    if (!a.IsMap()) {
      diags_.error(pos_of(a), "`addressing` must be a mapping of pools");
      return;
    }
    check_keys(a, kAddressingKeys, "`addressing`");
    struct Want {
      const char* key;
      std::optional<Pool>* pool;
      bool v6;
      int longest;  // the longest prefix the pool may have and still give one subnet
    };
    for (const Want& w :
         {Want{"p2p", &out.p2p, false, 31}, Want{"lan", &out.lan, false, 24},
          Want{"loopback", &out.loopback, false, 32}, Want{"ipv6", &out.ipv6, true, 64}}) {
      YAML::Node n = a[w.key];
      if (!n) continue;
      std::string text = scalar(n, w.key);
      auto p = nl::IpPrefix::parse(text);
      if (!p) {
        if (n.IsScalar())
          diags_.error(pos_of(n), fmt::format("pool `{}` is not a prefix like {}", text,
                                              w.v6 ? "fd00::/48" : "10.1.0.0/16"));
      } else if (p->is_v6() != w.v6) {
        diags_.error(pos_of(n),
                     fmt::format("pool `{}` must be an IPv{} prefix", w.key, w.v6 ? 6 : 4));
      } else if (p->len > w.longest) {
        diags_.error(pos_of(n), fmt::format("pool `{}` {} is too small: it needs a prefix of "
                                            "/{} or shorter",
                                            w.key, text, w.longest));
      } else {
        *w.pool = Pool{p->network(), pos_of(n)};
      }
    }
    if (auto n = a["p2p_prefix"]) {
      auto len = integer(n, "p2p_prefix");
      if (len && *len != 30 && *len != 31)
        diags_.error(pos_of(n), "`p2p_prefix` is 30 or 31");
      else if (len)
        out.p2p_prefix = *len;
    }
  }

  void load_nodes(const YAML::Node& nodes, const YAML::Node& defaults, Topology& t) {
    if (!nodes.IsMap()) {
      diags_.error(pos_of(nodes), "`nodes` must be a mapping of node names to their settings");
      return;
    }
    if (nodes.size() == 0) diags_.error(pos_of(nodes), "`nodes` is empty: a lab needs a node");
    check_unique_keys(nodes);
    for (auto it = nodes.begin(); it != nodes.end(); ++it) {
      Node node;
      node.name = scalar(it->first, "node name");
      node.pos = pos_of(it->first);
      YAML::Node body = it->second;  // a copy: it->second is a temporary
      std::vector<YAML::Node> layers;
      if (defaults) layers.push_back(defaults);
      if (body.IsMap()) {
        check_keys(body, kNodeKeys, fmt::format("node `{}`", node.name));
        layers.push_back(body);
      } else if (!body.IsNull()) {
        diags_.error(pos_of(body), fmt::format("node `{}` must be a mapping of settings (or "
                                               "empty)",
                                               node.name));
      }
      load_node(layers, node);
      t.nodes.push_back(std::move(node));
    }
  }

  // `layers`: `defaults` then the node's own settings. Maps merge, everything else is replaced.
  void load_node(const std::vector<YAML::Node>& layers, Node& node) {
    auto last = [&](const char* key) -> YAML::Node {
      for (auto l = layers.rbegin(); l != layers.rend(); ++l)
        if ((*l)[key]) return (*l)[key];
      return YAML::Node(YAML::NodeType::Undefined);
    };
    if (YAML::Node k = last("kind"); k.IsDefined()) {
      std::string kind = scalar(k, "kind");
      if (kind == "host") {
        node.kind = NodeKind::host;
      } else if (kind == "router") {
        node.kind = NodeKind::router;
      } else if (kind == "bridge") {
        node.kind = NodeKind::bridge;
      } else if (k.IsScalar()) {
        diags_.error(pos_of(k),
                     fmt::format("unknown kind `{}`: expected host, router or bridge{}", kind,
                                 did_you_mean(kind, {"host", "router", "bridge"})));
      }
    }
    if (YAML::Node l = last("loopback"); l.IsDefined())
      addresses(l, node.loopback, node.loopback_pos, true);
    for (const YAML::Node& layer : layers) {
      if (auto s = layer["sysctls"]) settings(s, "sysctls", "sysctl", node.sysctls);
      if (auto e = layer["env"]) settings(e, "env", "env", node.env);
    }
    for (const YAML::Node& layer : layers)
      if (auto f = layer["files"]) load_files(f, node);
    if (YAML::Node e = last("exec"); e.IsDefined()) {
      for (auto& [cmd, pos] : scalars(e, "exec")) node.exec.push_back({"", cmd, pos});
    }
    if (YAML::Node d = last("daemons"); d.IsDefined()) load_daemons(d, node);
    if (YAML::Node r = last("routes"); r.IsDefined()) {
      if (!r.IsSequence()) {
        diags_.error(pos_of(r), "`routes` must be a list");
      } else {
        for (const YAML::Node& item : r) load_route(item, node);
      }
    }
  }

  // name: content; a later layer's file of the same name replaces an earlier one.
  void load_files(const YAML::Node& files, Node& node) {
    if (!files.IsMap()) {
      diags_.error(pos_of(files), "`files` must be a mapping of file names to their contents");
      return;
    }
    check_unique_keys(files);
    for (auto kv = files.begin(); kv != files.end(); ++kv) {
      NodeFile f{scalar(kv->first, "file name"), scalar(kv->second, "file content"),
                 pos_of(kv->first)};
      auto same = std::find_if(node.files.begin(), node.files.end(),
                               [&](const NodeFile& o) { return o.name == f.name; });
      if (same != node.files.end())
        *same = f;
      else
        node.files.push_back(f);
    }
  }

  void load_daemons(const YAML::Node& daemons, Node& node) {
    if (!daemons.IsSequence()) {
      diags_.error(pos_of(daemons), "`daemons` must be a list of {name: ..., cmd: ...}");
      return;
    }
    for (const YAML::Node& d : daemons) {
      if (!d.IsMap()) {
        diags_.error(pos_of(d), "a daemon is {name: ..., cmd: ...}");
        continue;
      }
      check_keys(d, kDaemonKeys, "a daemon");
      Command c{"", "", pos_of(d)};
      if (auto n = d["name"]) c.name = scalar(n, "name");
      if (auto cmd = d["cmd"]) c.cmd = scalar(cmd, "cmd");
      if (c.name.empty() || c.cmd.empty())
        diags_.error(c.pos, "a daemon needs a `name` and a `cmd`");
      else
        node.daemons.push_back(c);
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
                                              " or \"DST dev IFACE\"",
                                              route.text));
          return;
        }
        if (w[i] == "via") via.emplace_back(w[i + 1], route.pos);
        if (w[i] == "dev") route.dev = w[i + 1];
      }
    } else if (item.IsMap()) {
      check_keys(item, kRouteKeys, "a route");
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
      diags_.error(route.pos,
                   fmt::format("route `{}` needs a gateway (via) or a device (dev)", route.text));
      return;
    }
    if (dst == "default") {
      bool v6 = !route.via.empty() && route.via.front().is_v6();
      route.dst = *nl::IpPrefix::parse(v6 ? "::/0" : "0.0.0.0/0");
    } else if (auto p = nl::IpPrefix::parse(dst, true)) {
      route.dst = *p;
    } else {
      diags_.error(route.pos, fmt::format("route destination `{}` is not a prefix like "
                                          "10.9.0.0/16 or `default`",
                                          dst));
      return;
    }
    node.routes.push_back(std::move(route));
  }

  std::optional<Impair> load_impair(const YAML::Node& n) {
    if (!n.IsMap()) {
      diags_.error(pos_of(n), "`impair` must be a mapping like {delay: 10ms, loss: 1%}");
      return std::nullopt;
    }
    check_keys(n, kImpairKeys, "`impair`");
    Impair imp;
    imp.pos = pos_of(n);
    auto value = [&](const char* key, auto parse, auto& field, const char* expected) {
      YAML::Node v = n[key];
      if (!v) return;
      std::string text = scalar(v, key);
      field = parse(text);
      if (!field && v.IsScalar())
        diags_.error(pos_of(v), fmt::format("`{}: {}` is not {}", key, text, expected));
    };
    const char* duration = "a duration like 10ms (units: us, ms, s), at most 274s (netem's limit)";
    const char* percent = "a percentage from 0% to 100%, like 0.5%";
    value("delay", parse_delay_us, imp.delay_us, duration);
    value("jitter", parse_delay_us, imp.jitter_us, duration);
    value("loss", parse_percent, imp.loss, percent);
    value("duplicate", parse_percent, imp.duplicate, percent);
    value("corrupt", parse_percent, imp.corrupt, percent);
    value("reorder", parse_percent, imp.reorder, percent);
    value("rate", parse_rate_bps, imp.rate_bps,
          "a rate like 100mbit (units: kbit, mbit, gbit; from 8kbit to 16gbit)");
    if (imp.jitter_us && !imp.delay_us) diags_.error(imp.pos, "`jitter` needs a `delay` to vary");
    if (imp.reorder && !imp.delay_us)
      diags_.error(imp.pos,
                   "`reorder` needs a `delay`: packets are reordered by sending some "
                   "without it");
    return imp;
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
      check_keys(item, kLinkKeys, "a link");
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
      if (auto i = item["impair"]) link.impair = load_impair(i);
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
      check_keys(end, kEndpointKeys, "an endpoint");
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
          diags_.error(pos_of(m),
                       fmt::format("`{}` is not a MAC address like 02:00:00:00:00:01", mac));
        else if (ep.mac && ((*ep.mac)[0] & 1))
          diags_.error(pos_of(m), fmt::format("`{}` is a multicast MAC address; an interface "
                                              "needs a unicast one",
                                              mac));
      }
      if (auto a = end["addresses"]) addresses(a, ep.addresses, ep.address_pos, false);
      if (auto i = end["impair"]) ep.impair = load_impair(i);
    } else {
      diags_.error(ep.pos, "an endpoint is NODE:IFACE or {node: ..., iface: ...}");
      return;
    }
    link.endpoints.push_back(std::move(ep));
  }

  // `addresses: [A, B]` (one per endpoint) or `[[A1, A2], [B1]]` (a list per endpoint).
  void load_link_addresses(const YAML::Node& a, Link& link) {
    link.addresses_given = true;
    if (!a.IsSequence()) {
      diags_.error(pos_of(a), "`addresses` must be a list with one entry per endpoint");
      return;
    }
    if (a.size() != link.endpoints.size()) {
      diags_.error(pos_of(a), fmt::format("`addresses` has {} entries for {} endpoints: give one "
                                          "per endpoint, in the same order",
                                          a.size(), link.endpoints.size()));
      return;
    }
    for (size_t i = 0; i < a.size(); i++) {
      Endpoint& ep = link.endpoints[i];
      if (!ep.addresses.empty()) {
        diags_.error(pos_of(a[i]), fmt::format("endpoint {}:{} has addresses in its own entry "
                                               "already",
                                               ep.node, ep.iface));
        continue;
      }
      addresses(a[i], ep.addresses, ep.address_pos, false);
    }
  }

  void load_tests(const YAML::Node& tests, Topology& t) {
    if (!tests.IsSequence()) {
      diags_.error(pos_of(tests), "`tests` must be a list");
      return;
    }
    for (const YAML::Node& item : tests) {
      if (!item.IsMap()) {
        diags_.error(pos_of(item), "a test is a mapping with `name` and `ping` or `exec`");
        continue;
      }
      check_keys(item, kTestKeys, "a test");
      TestCase test;
      test.pos = pos_of(item);
      if (auto n = item["name"])
        test.name = scalar(n, "name");
      else
        diags_.error(test.pos, "a test needs a `name`");
      YAML::Node ping = item["ping"], exec = item["exec"];
      if (ping && exec) {
        diags_.error(test.pos, "a test has `ping` or `exec`, not both");
      } else if (ping) {
        if (ping.IsMap()) {
          check_keys(ping, kPingKeys, "`ping`");
          if (auto f = ping["from"]) test.from = scalar(f, "from");
          if (auto to = ping["to"]) test.to = scalar(to, "to");
        }
        if (test.from.empty() || test.to.empty())
          diags_.error(pos_of(ping),
                       "`ping` needs `from` (a node) and `to` (a node or an "
                       "address)");
      } else if (exec) {
        if (exec.IsMap()) {
          check_keys(exec, kExecKeys, "`exec`");
          if (auto n = exec["node"]) test.node = scalar(n, "node");
          if (auto c = exec["cmd"]) test.cmd = scalar(c, "cmd");
        }
        if (test.node.empty() || test.cmd.empty())
          diags_.error(pos_of(exec), "`exec` needs `node` and `cmd`");
      } else {
        diags_.error(test.pos, "a test needs `ping` or `exec`");
      }
      if (auto e = item["expect"]) load_expect(e, test);
      if (auto to = item["timeout"]) {
        std::string text = scalar(to, "timeout");
        auto us = parse_duration_us(text);
        if (us)
          test.timeout_us = *us;
        else if (to.IsScalar())
          diags_.error(pos_of(to), fmt::format("`timeout: {}` is not a duration like 30s", text));
      }
      t.tests.push_back(std::move(test));
    }
  }

  void load_expect(const YAML::Node& e, TestCase& test) {
    if (e.IsScalar()) {
      if (e.Scalar() == "success" || e.Scalar() == "failure")
        test.expect_success = e.Scalar() == "success";
      else
        diags_.error(pos_of(e), fmt::format("`expect` is success, failure or {{exit: N, output: "
                                            "REGEX}}, not `{}`",
                                            e.Scalar()));
      return;
    }
    if (!e.IsMap()) {
      diags_.error(pos_of(e), "`expect` is success, failure or {exit: N, output: REGEX}");
      return;
    }
    check_keys(e, kExpectKeys, "`expect`");
    if (test.is_ping()) diags_.error(pos_of(e), "a ping test expects success or failure");
    if (auto x = e["exit"]) {
      test.expect_exit = integer(x, "exit");
      if (test.expect_exit && (*test.expect_exit < 0 || *test.expect_exit > 255))
        diags_.error(pos_of(x), "`exit` is from 0 to 255");
    }
    if (auto o = e["output"]) {
      std::string re = scalar(o, "output");
      try {
        std::regex check(re);
        test.expect_output = re;
      } catch (const std::regex_error& err) {
        diags_.error(pos_of(o),
                     fmt::format("`output` is not a valid regular expression: {}", err.what()));
      }
    }
  }
};

// The length of the UTF-8 sequence that starts at s[i]; 0 when the bytes there are not UTF-8
// (overlong forms, UTF-16 surrogates and code points past U+10FFFF are not).
size_t utf8_length(std::string_view s, size_t i) {
  unsigned char lead = s[i];
  if (lead < 0x80) return 1;
  size_t n = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 0;
  if (n == 0 || lead >= 0xf8 || i + n > s.size()) return 0;
  uint32_t code = lead & (0x7f >> n);
  for (size_t k = 1; k < n; k++) {
    unsigned char next = s[i + k];
    if ((next & 0xc0) != 0x80) return 0;
    code = code << 6 | (next & 0x3f);
  }
  const uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code < least[n] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
  return n;
}

bool is_utf8(std::string_view s) {
  for (size_t i = 0, n; i < s.size(); i += n)
    if ((n = utf8_length(s, i)) == 0) return false;
  return true;
}

// Every string of the file ends up in JSON (the journal, --json output) and in the kernel's
// names: bytes that are not UTF-8 are refused here, the first of each line reported.
bool check_utf8(const std::string& text, Diagnostics& diags) {
  bool ok = true;
  int line = 1;
  size_t line_start = 0;
  bool line_reported = false;
  for (size_t i = 0, n; i < text.size(); i += n) {
    n = utf8_length(text, i);
    if (n == 0) {
      n = 1;
      ok = false;
      if (!line_reported)
        diags.error({line, int(i - line_start) + 1},
                    fmt::format("byte 0x{:02X} is not UTF-8: a topology file is UTF-8 text",
                                static_cast<unsigned char>(text[i])));
      line_reported = true;
    } else if (text[i] == '\n') {
      line++;
      line_start = i + 1;
      line_reported = false;
    }
  }
  return ok;
}

// yaml-cpp notices a `[` or `{` that is never closed where the text stops making sense, often
// the end of the file: the error points at the bracket instead, where a person looks.
void syntax_error(const std::string& text, const YAML::ParserException& e, Diagnostics& diags) {
  char expected = e.msg == YAML::ErrorMsg::END_OF_SEQ_FLOW   ? '['
                  : e.msg == YAML::ErrorMsg::END_OF_MAP_FLOW ? '{'
                                                             : 0;
  std::optional<OpenBracket> open;
  if (expected && e.mark.pos >= 0) open = unclosed_bracket(text, size_t(e.mark.pos));
  if (open && open->bracket == expected) {
    diags.error(open->pos, fmt::format("YAML syntax: `{}` opened here is never closed", expected));
    return;
  }
  diags.error({e.mark.line + 1, e.mark.column + 1}, "YAML syntax: " + e.msg);
}

}  // namespace

LoadResult load_text(const std::string& label, std::string text, const std::string& dir) {
  LoadResult r{Topology{}, Diagnostics(label, text), std::move(text)};
  r.topology.file = label;
  r.topology.dir = dir;
  if (!check_utf8(r.text, r.diagnostics)) return r;
  YAML::Node root;
  try {
    // yaml-cpp shares what an alias names, but the model copies it at each use: measure first.
    if (std::optional<ExpansionProblem> p = expansion_problem(r.text)) {
      r.diagnostics.error(p->pos, p->message);
      return r;
    }
    root = YAML::Load(r.text);
  } catch (const YAML::ParserException& e) {
    syntax_error(r.text, e, r.diagnostics);
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
  // Pools fill in what the file left unaddressed, around what it addressed itself: only a file
  // whose own addresses are sound gets there. Routes are checked against both.
  if (r.diagnostics.empty()) assign_addresses(r.topology, r.diagnostics);
  validate_routes(r.topology, r.diagnostics);
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
    std::string absolute = std::filesystem::absolute(path, ec).string();
    // The path goes into the lab's journal (JSON) and TOPO_LAB_DIR: it must be text too.
    if (!is_utf8(absolute)) {
      LoadResult r{Topology{}, Diagnostics(path, ""), ""};
      r.diagnostics.error({}, fmt::format("the file's path {} is not UTF-8: rename the file or "
                                          "its directory",
                                          absolute));
      return r;
    }
    dir = std::filesystem::path(absolute).parent_path().string();
  }
  return load_text(path == "-" ? "<stdin>" : path, std::move(text), dir);
}

}  // namespace topo
