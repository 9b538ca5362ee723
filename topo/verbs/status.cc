#include "topo/verbs/status.h"

#include <ctime>
#include <filesystem>
#include <map>

#include <fmt/chrono.h>
#include <fmt/color.h>
#include <fmt/format.h>

#include "netlink/netns.h"
#include "netlink/qdisc.h"
#include "netlink/query.h"
#include "topo/model/lab.h"
#include "topo/run/lifecycle.h"
#include "topo/run/processes.h"
#include "topo/run/state.h"

namespace topo {

using nlohmann::json;

namespace {

std::string since_text(int64_t t) {
  std::time_t time = static_cast<std::time_t>(t);
  return fmt::format("{:%Y-%m-%d %H:%M:%S}", fmt::localtime(time));
}

// "node:iface" -> its peer "node:iface", both ways, from the journal's veths; a VXLAN end's
// is on another host: "b: r2:eth1" (a LAN's port: its hosts and the LAN, "b, c: _core").
std::map<std::string, std::string> peers(const JournalState& s) {
  std::map<std::string, std::string> out;
  for (const JournalVeth& v : s.veths) {
    out[v.a] = v.b;
    out[v.b] = v.a;
  }
  if (s.built)
    for (const BuiltNode& n : s.built->nodes)
      for (const BuiltIface& i : n.ifaces)
        if (i.vxlan) out[End{n.name, i.name}.text()] = i.vxlan->peer;
  return out;
}

// A table with aligned columns; `header` first.
std::string table(const std::vector<std::vector<std::string>>& rows, const std::string& indent) {
  std::vector<size_t> width;
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); i++) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], r[i].size());
    }
  std::string out;
  for (const auto& r : rows) {
    std::string line = indent;
    for (size_t i = 0; i < r.size(); i++)
      line += i + 1 < r.size() ? fmt::format("{:<{}}  ", r[i], width[i]) : r[i];
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string paint(const std::string& text, bool colour, fmt::color c) {
  return colour ? fmt::format(fmt::fg(c), "{}", text) : text;
}

using Peers = std::map<std::string, std::string>;

// One interface as the kernel has it; an impairment the journal has and the kernel not is drift.
json interface_status(const JournalState& s, nl::Netns& ns, const std::string& node,
                      const nl::LinkState& l, const Peers& peer_of, json& drift) {
  json addrs = json::array();
  for (const nl::IpPrefix& a : l.addresses)
    if (!a.is_loopback()) addrs.push_back(a.text());
  std::string end = End{node, l.name}.text();
  json impairment = nullptr;
  if (auto it = s.impairments.find(end); it != s.impairments.end() && !it->second.empty()) {
    impairment = it->second;
    if (!nl::has_impairment(ns, l.ifindex))
      drift.push_back(fmt::format("the impairment of {} ({}) is gone", end, it->second));
  }
  auto peer = peer_of.find(end);
  return {{"name", l.name},
          {"state", l.admin_up ? (l.operstate == "unknown" ? "up" : l.operstate) : "down"},
          {"mac", l.mac},
          {"mtu", l.mtu},
          {"addresses", addrs},
          {"peer", peer != peer_of.end() ? json(peer->second) : json(nullptr)},
          {"impairment", impairment},
          {"rx_packets", l.rx_packets},
          {"tx_packets", l.tx_packets}};
}

// A node's interfaces, live; its namespace gone or replaced, or a veth of the journal missing,
// is drift.
json interfaces_status(const JournalState& s, const JournalNetns& n, const Peers& peer_of,
                       json& drift) {
  json ifaces = json::array();
  std::vector<std::string> seen;
  try {
    nl::Netns ns = nl::Netns::open(n.netns);
    if (!n.id.matches(ns.id()))
      drift.push_back(fmt::format("netns {} is not the one this lab created", n.netns));
    for (const nl::LinkState& l : nl::list_links(ns)) {
      ifaces.push_back(interface_status(s, ns, n.node, l, peer_of, drift));
      seen.push_back(l.name);
    }
  } catch (const std::exception& e) {
    drift.push_back(fmt::format("netns {} cannot be read: {}", n.netns, e.what()));
  }
  for (const auto& [end, peer] : peer_of) {
    std::optional<End> e = End::parse(end);
    if (e && e->node == n.node && std::find(seen.begin(), seen.end(), e->iface) == seen.end())
      drift.push_back(fmt::format("interface {} ({} to {}) is gone", end,
                                  peer.find(": ") == std::string::npos ? "veth" : "tunnel", peer));
  }
  return ifaces;
}

// A node's daemons; one that is not running is drift.
json daemons_status(const JournalState& s, const JournalNetns& n, json& drift) {
  json daemons = json::array();
  for (const JournalDaemon& d : s.daemons) {
    if (d.node != n.node) continue;
    bool running = daemon_running(s.header.lab, d, n.id.inode);
    daemons.push_back({{"name", d.name}, {"pid", d.pid}, {"running", running}});
    if (!running)
      drift.push_back(
          fmt::format("daemon {} on node {} (pid {}) is not running", d.name, d.node, d.pid));
  }
  return daemons;
}

json node_status(const JournalState& s, const JournalNetns& n, const Peers& peer_of, json& drift) {
  json node = {{"name", n.node},
               {"netns", n.netns},
               {"kind", n.kind},
               {"state", node_state_name(live_node_state(s, n.node))}};
  bool present = nl::netns_inode(n.netns).has_value();
  node["present"] = present;
  if (!present) drift.push_back(fmt::format("netns {} of node {} is gone", n.netns, n.node));
  node["interfaces"] = present ? interfaces_status(s, n, peer_of, drift) : json::array();
  node["daemons"] = daemons_status(s, n, drift);
  return node;
}

// The topo that wrote a lab's journal; null for a journal older than version 3.
json built_by(const JournalState& s) {
  return s.written_by.empty() ? json(nullptr) : json(s.written_by);
}

}  // namespace

json labs_summary() {
  json labs = json::array();
  std::error_code ec;
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(kRunDir, ec))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    std::optional<JournalState> s;
    try {
      s = read_journal(LabPaths::of(kRunDir, name).journal);
    } catch (const std::exception&) {
      labs.push_back({{"name", name}, {"state", "damaged"}});
      continue;
    }
    if (!s || s->header.lab.empty()) continue;
    labs.push_back({{"name", name},
                    {"state", s->complete ? "up" : "incomplete"},
                    {"nodes", s->nodes},
                    {"links", s->links},
                    {"file", s->header.file},
                    {"built_by", built_by(*s)},
                    {"since", since_text(s->header.started)},
                    {"pid", s->header.pid}});
  }
  return labs;
}

json lab_status(const JournalState& s) {
  std::map<std::string, std::string> peer_of = peers(s);
  json nodes = json::array(), lans = json::array(), drift = json::array();
  for (const JournalNetns& n : s.netns)
    (parse_kind(n.kind) == NodeKind::lan ? lans : nodes)
        .push_back(node_status(s, n, peer_of, drift));
  json host = json::array();
  for (const JournalHostLink& h : s.host_links) host.push_back({{"name", h.iface}, {"mac", h.mac}});
  json out = {{"lab", s.header.lab},
              {"file", s.header.file},
              {"built_by", built_by(s)},
              {"since", since_text(s.header.started)},
              {"state", s.complete ? "up" : "incomplete"},
              {"nodes", nodes},
              {"lans", lans},
              {"host_interfaces", host},
              {"drift", drift}};
  if (s.built && !s.built->host.empty()) out["host"] = s.built->host;
  return out;
}

std::string summary_table(const json& labs, bool colour) {
  if (labs.empty()) return "no lab is running\n";
  std::vector<std::vector<std::string>> rows = {
      {"LAB", "STATE", "NODES", "LINKS", "SINCE", "FILE"}};
  for (const json& l : labs)
    rows.push_back({l.value("name", ""), l.value("state", ""), std::to_string(l.value("nodes", 0)),
                    std::to_string(l.value("links", 0)), l.value("since", ""),
                    l.value("file", "")});
  std::string out = table(rows, "");
  if (colour)
    out = paint(out.substr(0, out.find('\n')), true, fmt::color::steel_blue) +
          out.substr(out.find('\n'));
  return out;
}

std::string status_table(const json& st, bool colour) {
  std::string out =
      fmt::format("lab {} ({}) {} since {}: {} node{}{}\n", st.value("lab", ""),
                  st.value("file", ""), st.value("state", ""), st.value("since", ""),
                  st["nodes"].size(), st["nodes"].size() == 1 ? "" : "s",
                  st.contains("host") ? fmt::format(" on host {}", st.value("host", "")) : "");
  for (const char* group : {"nodes", "lans"}) {
    for (const json& n : st[group]) {
      std::string state = n.value("state", "running");
      out += fmt::format("\n{}  {}  {}  netns {}\n",
                         paint(n.value("name", ""), colour, fmt::color::steel_blue),
                         n.value("kind", ""),
                         state == "running" ? state : paint(state, colour, fmt::color::orange),
                         n.value("netns", ""));
      std::vector<std::vector<std::string>> rows = {
          {"IFACE", "STATE", "MAC", "MTU", "ADDRESSES", "PEER", "IMPAIR", "RX", "TX"}};
      for (const json& i : n["interfaces"]) {
        std::string addrs =
            fmt::format("{}", fmt::join(i["addresses"].get<std::vector<std::string>>(), ","));
        std::string state = i.value("state", "");
        rows.push_back(
            {i.value("name", ""), state, i.value("mac", "").empty() ? "-" : i.value("mac", ""),
             std::to_string(i.value("mtu", 0)), addrs.empty() ? "-" : addrs,
             i["peer"].is_null() ? "-" : i["peer"].get<std::string>(),
             i["impairment"].is_null() ? "-" : i["impairment"].get<std::string>(),
             std::to_string(i.value("rx_packets", 0)), std::to_string(i.value("tx_packets", 0))});
      }
      std::string t = table(rows, "  ");
      out += t;
      for (const json& d : n["daemons"])
        out += fmt::format("  daemon {} (pid {}): {}\n", d.value("name", ""), d.value("pid", 0),
                           d.value("running", false) ? paint("running", colour, fmt::color::green)
                                                     : paint("dead", colour, fmt::color::red));
    }
  }
  for (const json& h : st["host_interfaces"])
    out += fmt::format("\nhost  interface {} (mac {}) in the root namespace\n", h.value("name", ""),
                       h.value("mac", ""));
  if (!st["drift"].empty()) {
    out += "\n" + paint("drift (in the journal, not in the kernel):", colour, fmt::color::orange) +
           "\n";
    for (const json& d : st["drift"]) out += "  " + d.get<std::string>() + "\n";
  }
  return out;
}

}  // namespace topo
