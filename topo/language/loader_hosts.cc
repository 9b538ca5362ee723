#include <fmt/format.h>

#include "topo/language/loader_parts.h"

namespace topo::loader {

namespace {

const Keys kHostKeys{"underlay", "ssh", "vxlan_port", "underlay_mtu"};

void read_host(Reader& in, const YAML::Node& body, Host& host) {
  if (!body.IsMap()) {
    in.error(pos_of(body),
             fmt::format("host `{}` must be a mapping with its `underlay` address", host.name));
    return;
  }
  in.check_keys(body, kHostKeys, fmt::format("host `{}`", host.name));
  if (auto u = body["underlay"]) {
    std::string text = in.scalar(u, "underlay");
    host.underlay_pos = pos_of(u);
    auto address = nl::IpPrefix::parse_address(text);
    if (address)
      host.underlay = *address;
    else if (u.IsScalar())
      in.error(host.underlay_pos, fmt::format("underlay `{}` is not an address like 192.0.2.10 "
                                              "(this host's on the network between the hosts)",
                                              text));
  } else {
    in.error(host.pos, fmt::format("host `{}` needs `underlay`: its address on the network "
                                   "between the hosts",
                                   host.name));
  }
  if (auto s = body["ssh"]) host.ssh = in.scalar(s, "ssh");
  if (auto p = body["vxlan_port"]) {
    host.vxlan_port_pos = pos_of(p);
    if (auto port = in.integer(p, "vxlan_port")) {
      if (*port < 1 || *port > 65535)
        in.error(host.vxlan_port_pos, fmt::format("vxlan_port {} is out of range 1..65535", *port));
      else
        host.vxlan_port = *port;
    }
  }
  if (auto m = body["underlay_mtu"]) {
    host.underlay_mtu_pos = pos_of(m);
    if (auto mtu = in.integer(m, "underlay_mtu")) {
      if (*mtu < 576 || *mtu > 65535)
        in.error(host.underlay_mtu_pos,
                 fmt::format("underlay_mtu {} is out of range 576..65535", *mtu));
      else
        host.underlay_mtu = *mtu;
    }
  }
}

}  // namespace

void read_hosts(Reader& in, const YAML::Node& hosts, Topology& t) {
  if (!hosts.IsMap()) {
    in.error(pos_of(hosts), "`hosts` must be a mapping of host names to {underlay: ADDRESS}");
    return;
  }
  in.check_unique_keys(hosts);
  for (auto it = hosts.begin(); it != hosts.end(); ++it) {
    Host host;
    host.name = in.scalar(it->first, "host name");
    host.pos = pos_of(it->first);
    read_host(in, it->second, host);
    t.hosts.push_back(std::move(host));
  }
}

}  // namespace topo::loader
