// `links`: their endpoints, addresses, settings and impairments.
#include <yaml-cpp/yaml.h>

#include <fmt/format.h>

#include "topo/language/loader_parts.h"
#include "topo/model/lab.h"
#include "topo/model/units.h"

namespace topo::loader {

namespace {

const Keys kLinkKeys{"endpoints", "addresses", "mtu", "state", "impair", "stub", "name", "vni"};
const Keys kEndpointKeys{"node", "iface", "mac", "addresses", "impair"};
const Keys kImpairKeys{"delay", "jitter", "loss", "duplicate", "corrupt", "reorder", "rate"};

}  // namespace

std::optional<Impair> read_impair(Reader& in, const YAML::Node& n, const Keys& more_keys) {
  if (!n.IsMap()) {
    in.error(pos_of(n), "`impair` must be a mapping like {delay: 10ms, loss: 1%}");
    return std::nullopt;
  }
  Keys keys = kImpairKeys;
  keys.insert(keys.end(), more_keys.begin(), more_keys.end());
  in.check_keys(n, keys, "`impair`");
  Impair imp;
  imp.pos = pos_of(n);
  auto value = [&](const char* key, auto parse, auto& field, const char* expected) {
    YAML::Node v = n[key];
    if (!v) return;
    std::string text = in.scalar(v, key);
    field = parse(text);
    if (!field && v.IsScalar())
      in.error(pos_of(v), fmt::format("`{}: {}` is not {}", key, text, expected));
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
  if (imp.jitter_us && !imp.delay_us) in.error(imp.pos, "`jitter` needs a `delay` to vary");
  if (imp.reorder && !imp.delay_us)
    in.error(imp.pos,
             "`reorder` needs a `delay`: packets are reordered by sending some "
             "without it");
  return imp;
}

namespace {

void read_mac(Reader& in, const YAML::Node& m, Endpoint& ep) {
  std::string mac = in.scalar(m, "mac");
  ep.mac = nl::parse_mac(mac);
  if (!ep.mac && m.IsScalar())
    in.error(pos_of(m), fmt::format("`{}` is not a MAC address like 02:00:00:00:00:01", mac));
  else if (ep.mac && ((*ep.mac)[0] & 1))
    in.error(pos_of(m), fmt::format("`{}` is a multicast MAC address; an interface "
                                    "needs a unicast one",
                                    mac));
}

// {node: ..., iface: ..., mac: ..., addresses: ..., impair: ...}; false when it names no
// interface.
bool read_endpoint_map(Reader& in, const YAML::Node& end, Endpoint& ep) {
  in.check_keys(end, kEndpointKeys, "an endpoint");
  if (auto n = end["node"]) ep.node = in.scalar(n, "node");
  if (auto i = end["iface"]) ep.iface = in.scalar(i, "iface");
  if (ep.node.empty() || ep.iface.empty()) {
    in.error(ep.pos, "an endpoint needs `node` and `iface`");
    return false;
  }
  if (auto m = end["mac"]) read_mac(in, m, ep);
  if (auto a = end["addresses"]) in.addresses(a, ep.addresses, ep.address_pos, false);
  if (auto i = end["impair"]) ep.impair = read_impair(in, i);
  return true;
}

void read_endpoint(Reader& in, const YAML::Node& end, Link& link) {
  Endpoint ep;
  ep.pos = pos_of(end);
  if (end.IsScalar()) {
    std::optional<End> e = End::parse(end.Scalar());
    if (!e) {
      in.error(ep.pos, fmt::format("endpoint `{}` must be NODE:IFACE, like r1:eth1", end.Scalar()));
      return;
    }
    ep.node = e->node;
    ep.iface = e->iface;
  } else if (end.IsMap()) {
    if (!read_endpoint_map(in, end, ep)) return;
  } else {
    in.error(ep.pos, "an endpoint is NODE:IFACE or {node: ..., iface: ...}");
    return;
  }
  link.endpoints.push_back(std::move(ep));
}

// `addresses: [A, B]` (one per endpoint) or `[[A1, A2], [B1]]` (a list per endpoint).
void read_link_addresses(Reader& in, const YAML::Node& a, Link& link) {
  link.addresses_given = true;
  if (!a.IsSequence()) {
    in.error(pos_of(a), "`addresses` must be a list with one entry per endpoint");
    return;
  }
  if (a.size() != link.endpoints.size()) {
    in.error(pos_of(a), fmt::format("`addresses` has {} entries for {} endpoints: give one "
                                    "per endpoint, in the same order",
                                    a.size(), link.endpoints.size()));
    return;
  }
  for (size_t i = 0; i < a.size(); i++) {
    Endpoint& ep = link.endpoints[i];
    if (!ep.addresses.empty()) {
      in.error(pos_of(a[i]), fmt::format("endpoint {} has addresses in its own entry already",
                                         End{ep.node, ep.iface}.text()));
      continue;
    }
    in.addresses(a[i], ep.addresses, ep.address_pos, false);
  }
}

void read_link(Reader& in, const YAML::Node& item, Topology& t) {
  Link link;
  link.pos = pos_of(item);
  in.check_keys(item, kLinkKeys, "a link");
  if (auto e = item["endpoints"]) {
    if (!e.IsSequence()) {
      in.error(pos_of(e), "`endpoints` must be a list like [r1:eth1, r2:eth1]");
    } else {
      for (const YAML::Node& end : e) read_endpoint(in, end, link);
      link.declared_endpoints = e.size();
    }
  } else {
    in.error(link.pos, "a link needs `endpoints`");
  }
  if (auto a = item["addresses"]) read_link_addresses(in, a, link);
  if (auto m = item["mtu"]) {
    link.mtu = in.integer(m, "mtu");
    link.mtu_pos = pos_of(m);
  }
  if (auto s = item["state"]) {
    std::string state = in.scalar(s, "state");
    if (state == "down") {
      link.up = false;
    } else if (state != "up" && s.IsScalar()) {
      in.error(pos_of(s), fmt::format("`state` is up or down, not `{}`", state));
    }
  }
  if (auto i = item["impair"]) link.impair = read_impair(in, i);
  if (auto s = item["stub"]) {
    std::string stub = in.scalar(s, "stub");
    link.stub = stub != "false";  // a value that is neither is said once, below
    link.stub_pos = pos_of(s);
    if (stub != "true" && stub != "false" && s.IsScalar())
      in.error(pos_of(s), fmt::format("`stub` is true or false, not `{}`", stub));
  }
  if (auto n = item["name"]) {
    link.name = in.scalar(n, "name");
    link.name_pos = pos_of(n);
  }
  if (auto v = item["vni"]) {
    link.vni_pos = pos_of(v);
    if (auto vni = in.integer(v, "vni")) {
      if (*vni < 1 || *vni > kMaxVni)
        in.error(link.vni_pos, fmt::format("vni {} is out of range 1..{}", *vni, kMaxVni));
      else
        link.vni = uint32_t(*vni);
    }
  }
  t.links.push_back(std::move(link));
}

}  // namespace

void read_links(Reader& in, const YAML::Node& links, Topology& t) {
  if (!links.IsSequence()) {
    in.error(pos_of(links), "`links` must be a list");
    return;
  }
  for (const YAML::Node& item : links) {
    if (!item.IsMap()) {
      in.error(pos_of(item), "a link is a mapping with `endpoints`");
      continue;
    }
    read_link(in, item, t);
  }
}

}  // namespace topo::loader
