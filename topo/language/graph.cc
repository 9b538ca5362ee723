#include "topo/language/graph.h"

#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "topo/model/impair.h"
#include "topo/model/lab.h"

namespace topo {

namespace {

// A DOT string: quotes and backslashes escaped, line breaks as DOT's \n.
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// "eth1", then each address on a line of its own, for the end of an edge.
std::string end_label(const Endpoint& e, const char* newline) {
  std::string text = e.iface;
  for (const nl::IpPrefix& a : e.addresses) text += newline + a.text();
  return text;
}

std::string link_note(const Link& l) {
  std::vector<std::string> parts;
  if (l.mtu) parts.push_back(fmt::format("mtu {}", *l.mtu));
  if (!l.up) parts.push_back("down");
  if (l.impair) parts.push_back(impairment_text(effective_impairment(&*l.impair, nullptr)));
  return fmt::format("{}", fmt::join(parts, ", "));
}

const char* dot_shape(NodeKind kind) {
  return kind == NodeKind::router ? "box" : kind == NodeKind::bridge ? "box3d" : "ellipse";
}

// "LAN core" for a LAN the file names, "LAN 3" for the third link.
std::string lan_label(const Link& l, size_t position) {
  return l.name.empty() ? fmt::format("LAN {}", position) : "LAN " + l.name;
}

// A LAN (the `position`th link) is a node of its own, with an edge to each member.
std::string dot_lan(const Link& l, size_t position) {
  std::string lan = lan_name(position, l.name);
  std::string note = link_note(l);
  std::string out = fmt::format(
      "  {} [shape=ellipse, style=\"dashed,filled\", fillcolor=white, "
      "label={}];\n",
      quoted(lan), quoted(lan_label(l, position) + (note.empty() ? "" : "\n" + note)));
  for (const Endpoint& e : l.endpoints)
    out += fmt::format("  {} -- {} [headlabel={}, style={}];\n", quoted(lan), quoted(e.node),
                       quoted(end_label(e, "\n")), l.up ? "solid" : "dashed");
  return out;
}

std::string dot_link(const Link& l) {
  const Endpoint& a = l.endpoints[0];
  const Endpoint& b = l.endpoints[1];
  return fmt::format("  {} -- {} [taillabel={}, headlabel={}, label={}, style={}];\n",
                     quoted(a.node), quoted(b.node), quoted(end_label(a, "\n")),
                     quoted(end_label(b, "\n")), quoted(link_note(l)), l.up ? "solid" : "dashed");
}

}  // namespace

std::string to_dot(const Topology& t) {
  std::string out = fmt::format("graph {} {{\n", quoted(t.name));
  // neato spreads a mesh out evenly where dot would rank it; long edges leave room for labels.
  out +=
      "  graph [layout=neato, fontname=\"Helvetica\", splines=true, "
      "label=" +
      quoted("lab " + t.name) + ", labelloc=t];\n";
  out += "  node [fontname=\"Helvetica\", fontsize=11, style=filled, fillcolor=\"#eef3fb\"];\n";
  out +=
      "  edge [fontname=\"Helvetica\", fontsize=9, labelfontsize=8, len=3, "
      "labeldistance=2.5, fontcolor=\"#444444\"];\n";
  for (const Node& n : t.nodes) {
    std::string label = n.name + "\n" + kind_name(n.kind);
    for (const nl::IpPrefix& a : n.loopback) label += "\n" + a.text();
    out += fmt::format("  {} [shape={}, label={}];\n", quoted(n.name), dot_shape(n.kind),
                       quoted(label));
  }
  bool host = false;
  for (size_t i = 0; i < t.links.size(); i++) {
    const Link& l = t.links[i];
    for (const Endpoint& e : l.endpoints) host = host || e.on_host();
    if (l.is_lan())
      out += dot_lan(l, i + 1);
    else if (l.endpoints.size() == 2)
      out += dot_link(l);
  }
  if (host)
    out += fmt::format("  {} [shape=house, fillcolor=\"#f6eedb\", label={}];\n", quoted(kHostNode),
                       quoted("host\n(root namespace)"));
  return out + "}\n";
}

std::string to_mermaid(const Topology& t) {
  // Mermaid ids are plain words: n0, n1, ... with the names as labels.
  std::map<std::string, std::string> id;
  std::string out = "graph LR\n";
  auto label = [](std::string text) {
    std::string safe;
    for (char c : text) safe += c == '"' ? std::string("#quot;") : std::string(1, c);
    return "\"" + safe + "\"";
  };
  for (const Node& n : t.nodes) {
    std::string nid = fmt::format("n{}", id.size());
    id[n.name] = nid;
    std::string text = n.name + "<br/>" + kind_name(n.kind);
    for (const nl::IpPrefix& a : n.loopback) text += "<br/>" + a.text();
    if (n.kind == NodeKind::router)
      out += fmt::format("  {}[{}]\n", nid, label(text));
    else if (n.kind == NodeKind::bridge)
      out += fmt::format("  {}[[{}]]\n", nid, label(text));
    else
      out += fmt::format("  {}({})\n", nid, label(text));
  }
  for (size_t i = 0; i < t.links.size(); i++) {
    const Link& l = t.links[i];
    for (const Endpoint& e : l.endpoints)
      if (e.on_host() && !id.count(kHostNode)) {
        id[kHostNode] = "host";
        out += "  host[/" + label("host<br/>(root namespace)") + "\\]\n";
      }
    const char* line = l.up ? "---" : "-.-";
    std::string note = link_note(l);
    if (l.is_lan()) {
      std::string lan = fmt::format("lan{}", i + 1);
      out += fmt::format("  {}(({}))\n", lan,
                         label(lan_label(l, i + 1) + (note.empty() ? "" : "<br/>" + note)));
      for (const Endpoint& e : l.endpoints)
        out += fmt::format("  {} {}|{}| {}\n", lan, line, label(end_label(e, " ")), id[e.node]);
    } else if (l.endpoints.size() == 2) {
      const Endpoint& a = l.endpoints[0];
      const Endpoint& b = l.endpoints[1];
      std::string text = end_label(a, " ") + " — " + end_label(b, " ");
      if (!note.empty()) text += "<br/>" + note;
      out += fmt::format("  {} {}|{}| {}\n", id[a.node], line, label(text), id[b.node]);
    }
  }
  return out;
}

}  // namespace topo
