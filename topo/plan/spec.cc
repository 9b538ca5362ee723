// The objects of a lab, by name, for comparing labs.
#include "topo/plan/converger.h"

#include <algorithm>

#include <fmt/format.h>

#include "topo/model/hash.h"
#include "topo/model/impair.h"
#include "topo/model/overloaded.h"

namespace topo {

std::string link_key(const std::string& a, const std::string& b) {
  return a < b ? a + " <-> " + b : b + " <-> " + a;
}

namespace {

void add_iface_spec(LabSpec& s, const End& end, const BuiltIface& i) {
  std::string mac = i.mac ? nl::mac_text(*i.mac) : "";
  int mtu = i.type == IfaceType::veth ? (i.mtu ? i.mtu : kVethMtu) : i.mtu;
  s.ifaces[end.text()] = {iface_type_name(i.type), mac, mtu, i.up, i.master};
  for (const nl::IpPrefix& a : i.addresses)
    s.addresses[end.text() + " " + a.text()] = {end.text(), a};
  if (i.impairment) s.impairments[end.text()] = {impairment_text(*i.impairment), *i.impairment};
}

}  // namespace

LabSpec spec_of(const Lab& lab) {
  LabSpec s;
  for (const BuiltNode& n : lab.nodes) {
    s.nodes[n.name] = {n.netns, n.kind, n.env, n.exec, n.id};
    for (const BuiltIface& i : n.ifaces) add_iface_spec(s, End{n.name, i.name}, i);
    for (const BuiltRoute& r : n.routes) {
      RouteSpec route{n.name, r.dst, {}};
      for (const BuiltRoute::Hop& h : r.hops) route.hops.push_back({h.gateway, h.dev});
      s.routes[n.name + " " + r.dst.network().text()] = route;
    }
    for (const auto& [key, value] : n.sysctls) s.sysctls[n.name + " " + key] = {n.name, key, value};
    for (const BuiltFile& f : n.files) s.files[n.name + "/" + f.name] = f.content;
    for (const BuiltDaemon& d : n.daemons)
      s.daemons[n.name + "/" + d.name] = {d.cmd, d.config, d.pid};
    if (n.etc_link) s.etc_links.insert(n.name);
  }
  for (const BuiltIface& i : lab.host_ifaces) add_iface_spec(s, End{kHostNode, i.name}, i);
  for (const BuiltLink& l : lab.links)
    s.links[link_key(l.a.text(), l.b.text())] = {l.a.text(), l.b.text()};
  s.hosts = lab.hosts;
  return s;
}

std::string change_text(const Change& c) {
  std::string text = c.op == '#' ? std::string("note:") : std::string(1, c.op);
  text += " " + c.what + " " + c.object;
  if (!c.detail.empty()) text += ": " + c.detail;
  return text;
}

bool Convergence::changes_anything() const {
  return std::any_of(changes.begin(), changes.end(), [](const Change& c) { return c.op != '#'; });
}

}  // namespace topo
