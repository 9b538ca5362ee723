// `defaults` and `nodes`: each node's settings over the defaults.
#include <yaml-cpp/yaml.h>
#include <algorithm>
#include <iterator>
#include <sstream>

#include <fmt/format.h>

#include "topo/language/loader_parts.h"
#include "topo/language/suggest.h"

namespace topo::loader {

namespace {

const Keys kNodeKeys{"kind",   "host",  "loopback", "sysctls", "env",
                     "routes", "files", "mounts",   "exec",    "daemons"};
// What `defaults` gives a bridge node only when the node writes it itself: a switch runs nothing.
const Keys kCommandKeys{"files", "mounts", "exec", "daemons"};
const Keys kDaemonKeys{"name", "cmd", "wait"};
const Keys kWaitKeys{"socket", "exec", "timeout"};
const Keys kFileKeys{"from", "text"};
const Keys kMountKeys{"owner", "bind", "file", "readonly"};
const Keys kRouteKeys{"dst", "via", "dev"};

// The kinds a file may give a node (a LAN's namespace is topo's own, never the file's).
constexpr NodeKind kFileKinds[] = {NodeKind::host, NodeKind::router, NodeKind::bridge};

void read_kind(Reader& in, const YAML::Node& k, Node& node) {
  std::string kind = in.scalar(k, "kind");
  std::optional<NodeKind> parsed = parse_kind(kind);
  if (parsed &&
      std::find(std::begin(kFileKinds), std::end(kFileKinds), *parsed) != std::end(kFileKinds)) {
    node.kind = *parsed;
    return;
  }
  if (!k.IsScalar()) return;  // reported by scalar()
  std::vector<std::string> names;
  for (NodeKind known : kFileKinds) names.push_back(kind_name(known));
  in.error(pos_of(k), fmt::format("unknown kind `{}`: expected host, router or bridge{}", kind,
                                  did_you_mean(kind, names)));
}

// A later layer's entry of the same name replaces an earlier one.
template <typename T>
void put(std::vector<T>& list, T item, std::string T::*name) {
  auto same =
      std::find_if(list.begin(), list.end(), [&](const T& o) { return o.*name == item.*name; });
  if (same != list.end())
    *same = std::move(item);
  else
    list.push_back(std::move(item));
}

// name: content, or name: {from: PATH} (read later: see node_files.h), or name: {text: ...}.
void read_files(Reader& in, const YAML::Node& files, Node& node) {
  if (!files.IsMap()) {
    in.error(pos_of(files), "`files` must be a mapping of file names to their contents");
    return;
  }
  in.check_unique_keys(files);
  for (auto kv = files.begin(); kv != files.end(); ++kv) {
    NodeFile f{in.scalar(kv->first, "file name"), "", pos_of(kv->first), "", false, false};
    const YAML::Node v = kv->second;  // a copy: kv->second is a temporary
    if (v.IsMap()) {
      in.check_keys(v, kFileKeys, fmt::format("file `{}`", f.name));
      if (bool(v["from"]) == bool(v["text"])) {
        in.error(pos_of(v), "a file is {from: PATH} or {text: ...}: one of them");
        continue;
      }
      if (auto from = v["from"]) {
        f.from = in.scalar(from, "from");
        f.pos = pos_of(from);
        if (f.from.empty() && from.IsScalar()) in.error(f.pos, "`from` is empty");
      }
      if (auto text = v["text"]) {
        f.content = in.scalar(text, "text");
        f.text = true;
      }
    } else {
      f.content = in.scalar(v, "file content");
    }
    put(node.files, std::move(f), &NodeFile::name);
  }
}

// TARGET: {} (a private directory), {owner: USER[:GROUP]}, {bind: HOST_PATH}, {file: NAME},
// each with `readonly`.
void read_mounts(Reader& in, const YAML::Node& mounts, Node& node) {
  if (!mounts.IsMap()) {
    in.error(pos_of(mounts), "`mounts` must be a mapping of paths to what is mounted there");
    return;
  }
  in.check_unique_keys(mounts);
  for (auto kv = mounts.begin(); kv != mounts.end(); ++kv) {
    Mount m{in.scalar(kv->first, "mount path"),
            Mount::Kind::private_dir,
            "",
            false,
            "",
            pos_of(kv->first)};
    const YAML::Node v = kv->second;  // a copy: kv->second is a temporary
    if (v.IsMap()) {
      in.check_keys(v, kMountKeys, fmt::format("mount `{}`", m.target));
      if (v["bind"] && v["file"]) in.error(pos_of(v), "a mount is a `bind` or a `file`, not both");
      if (auto b = v["bind"]) {
        m.kind = Mount::Kind::bind;
        m.source = in.scalar(b, "bind");
      } else if (auto f = v["file"]) {
        m.kind = Mount::Kind::file;
        m.source = in.scalar(f, "file");
      }
      m.read_only = m.kind != Mount::Kind::private_dir;
      if (auto o = v["owner"]) {
        m.owner = in.scalar(o, "owner");
        if (m.kind != Mount::Kind::private_dir)
          in.error(pos_of(o), "`owner` is for a directory of the node's own, not a bind");
      }
      if (auto r = v["readonly"]) {
        std::string text = in.scalar(r, "readonly");
        if (text == "true" || text == "false")
          m.read_only = text == "true";
        else if (r.IsScalar())
          in.error(pos_of(r), "`readonly` is true or false");
      }
    } else if (!v.IsNull()) {
      in.error(pos_of(v),
               "a mount is {} (a directory of the node's own), {owner: USER}, {bind: PATH} or "
               "{file: NAME}");
      continue;
    }
    put(node.mounts, std::move(m), &Mount::target);
  }
}

std::optional<DaemonWait> read_wait(Reader& in, const YAML::Node& w) {
  const char* form = "`wait` is {socket: PATH} or {exec: CMD}, with an optional timeout";
  if (!w.IsMap()) {
    in.error(pos_of(w), form);
    return std::nullopt;
  }
  in.check_keys(w, kWaitKeys, "`wait`");
  DaemonWait wait;
  wait.pos = pos_of(w);
  if (auto s = w["socket"]) wait.socket = in.scalar(s, "socket");
  if (auto e = w["exec"]) wait.exec = in.scalar(e, "exec");
  if (auto t = w["timeout"])
    if (auto us = in.duration(t, "timeout")) wait.timeout_us = *us;
  if (wait.socket.empty() == wait.exec.empty()) {
    in.error(wait.pos, form);
    return std::nullopt;
  }
  return wait;
}

void read_daemons(Reader& in, const YAML::Node& daemons, Node& node) {
  if (!daemons.IsSequence()) {
    in.error(pos_of(daemons), "`daemons` must be a list of {name: ..., cmd: ...}");
    return;
  }
  for (const YAML::Node& d : daemons) {
    if (!d.IsMap()) {
      in.error(pos_of(d), "a daemon is {name: ..., cmd: ...}");
      continue;
    }
    in.check_keys(d, kDaemonKeys, "a daemon");
    Command c{"", "", pos_of(d), {}};
    if (auto n = d["name"]) c.name = in.scalar(n, "name");
    if (auto cmd = d["cmd"]) c.cmd = in.scalar(cmd, "cmd");
    if (auto w = d["wait"]) c.wait = read_wait(in, w);
    if (c.name.empty() || c.cmd.empty())
      in.error(c.pos, "a daemon needs a `name` and a `cmd`");
    else
      node.daemons.push_back(c);
  }
}

// A route's destination and gateways as written, before they are read as addresses.
struct RouteWords {
  std::string dst;
  std::vector<Placed> via;
};

// "DST [via GW] [dev IFACE]"; sets the route's text and dev.
std::optional<RouteWords> route_words(Reader& in, const std::string& text, Route& route) {
  route.text = text;
  std::istringstream words(route.text);
  std::vector<std::string> w{std::istream_iterator<std::string>(words), {}};
  if (w.empty()) {
    in.error(route.pos, "an empty route");
    return std::nullopt;
  }
  RouteWords out{w[0], {}};
  for (size_t i = 1; i < w.size(); i += 2) {
    if (i + 1 >= w.size() || (w[i] != "via" && w[i] != "dev")) {
      in.error(route.pos, fmt::format("cannot read route `{}`: expected \"DST via GATEWAY\""
                                      " or \"DST dev IFACE\"",
                                      route.text));
      return std::nullopt;
    }
    if (w[i] == "via") out.via.emplace_back(w[i + 1], route.pos);
    if (w[i] == "dev") route.dev = w[i + 1];
  }
  return out;
}

// {dst: ..., via: ..., dev: ...}; sets the route's text and dev.
std::optional<RouteWords> route_map(Reader& in, const YAML::Node& item, Route& route) {
  in.check_keys(item, kRouteKeys, "a route");
  RouteWords out;
  if (auto d = item["dst"]) {
    out.dst = in.scalar(d, "dst");
  } else {
    in.error(route.pos, "a route needs `dst`");
    return std::nullopt;
  }
  if (auto v = item["via"]) out.via = in.scalars(v, "via");
  if (auto d = item["dev"]) route.dev = in.scalar(d, "dev");
  route.text = out.dst;
  return out;
}

void read_route(Reader& in, const YAML::Node& item, Node& node) {
  Route route;
  route.pos = pos_of(item);
  std::optional<RouteWords> words;
  if (item.IsScalar())
    words = route_words(in, item.Scalar(), route);
  else if (item.IsMap())
    words = route_map(in, item, route);
  else
    in.error(route.pos, "a route is \"DST via GATEWAY\" or {dst: ..., via: ..., dev: ...}");
  if (!words) return;
  for (auto& [text, pos] : words->via) {
    auto gw = nl::IpPrefix::parse_address(text);
    if (!gw) {
      in.error(pos, fmt::format("gateway `{}` is not an IP address", text));
      return;
    }
    route.via.push_back(*gw);
  }
  if (words->via.empty() && route.dev.empty()) {
    in.error(route.pos,
             fmt::format("route `{}` needs a gateway (via) or a device (dev)", route.text));
    return;
  }
  if (words->dst == "default") {
    bool v6 = !route.via.empty() && route.via.front().is_v6();
    route.dst = *nl::IpPrefix::parse(v6 ? "::/0" : "0.0.0.0/0");
  } else if (auto p = nl::IpPrefix::parse(words->dst, true)) {
    route.dst = *p;
  } else {
    in.error(route.pos, fmt::format("route destination `{}` is not a prefix like "
                                    "10.9.0.0/16 or `default`",
                                    words->dst));
    return;
  }
  node.routes.push_back(std::move(route));
}

// `layers`: `defaults` then the node's own settings. Maps merge, everything else is replaced.
// A bridge node takes files, mounts, exec and daemons from its own settings only.
void read_node(Reader& in, const YAML::Node& defaults, const YAML::Node& own, Node& node) {
  std::vector<YAML::Node> layers;
  if (defaults) layers.push_back(defaults);
  if (own) layers.push_back(own);
  auto last = [&](const char* key) -> YAML::Node {
    for (auto l = layers.rbegin(); l != layers.rend(); ++l)
      if ((*l)[key]) return (*l)[key];
    return YAML::Node(YAML::NodeType::Undefined);
  };
  if (YAML::Node k = last("kind"); k.IsDefined()) read_kind(in, k, node);
  if (YAML::Node h = last("host"); h.IsDefined()) {
    node.host = in.scalar(h, "host");
    node.host_pos = pos_of(h);
  }
  if (node.kind == NodeKind::bridge && defaults) {
    YAML::Node others;  // the defaults' settings but their commands
    for (auto kv = defaults.begin(); kv != defaults.end(); ++kv)
      if (std::find(kCommandKeys.begin(), kCommandKeys.end(), kv->first.Scalar()) ==
          kCommandKeys.end())
        others[kv->first] = kv->second;
    layers.front() = others;
  }
  if (YAML::Node l = last("loopback"); l.IsDefined())
    in.addresses(l, node.loopback, node.loopback_pos, true);
  for (const YAML::Node& layer : layers) {
    if (auto s = layer["sysctls"]) in.settings(s, "sysctls", "sysctl", node.sysctls);
    if (auto e = layer["env"]) in.settings(e, "env", "env", node.env);
  }
  for (const YAML::Node& layer : layers) {
    if (auto f = layer["files"]) read_files(in, f, node);
    if (auto m = layer["mounts"]) read_mounts(in, m, node);
  }
  if (YAML::Node e = last("exec"); e.IsDefined()) {
    for (auto& [cmd, pos] : in.scalars(e, "exec")) node.exec.push_back({"", cmd, pos, {}});
  }
  if (YAML::Node d = last("daemons"); d.IsDefined()) read_daemons(in, d, node);
  if (YAML::Node r = last("routes"); r.IsDefined()) {
    if (!r.IsSequence()) {
      in.error(pos_of(r), "`routes` must be a list");
    } else {
      for (const YAML::Node& item : r) read_route(in, item, node);
    }
  }
}

}  // namespace

YAML::Node read_defaults(Reader& in, const YAML::Node& defaults) {
  if (!defaults) return YAML::Node();
  if (defaults.IsMap()) {
    in.check_keys(defaults, kNodeKeys, "`defaults`");
    return defaults;
  }
  if (!defaults.IsNull())
    in.error(pos_of(defaults), "`defaults` must be a mapping of node settings");
  return YAML::Node();
}

void read_nodes(Reader& in, const YAML::Node& nodes, const YAML::Node& defaults, Topology& t) {
  if (!nodes.IsMap()) {
    in.error(pos_of(nodes), "`nodes` must be a mapping of node names to their settings");
    return;
  }
  if (nodes.size() == 0) in.error(pos_of(nodes), "`nodes` is empty: a lab needs a node");
  in.check_unique_keys(nodes);
  for (auto it = nodes.begin(); it != nodes.end(); ++it) {
    Node node;
    node.name = in.scalar(it->first, "node name");
    node.pos = pos_of(it->first);
    YAML::Node body = it->second;  // a copy: it->second is a temporary
    YAML::Node own;
    if (body.IsMap()) {
      in.check_keys(body, kNodeKeys, fmt::format("node `{}`", node.name));
      own = body;
    } else if (!body.IsNull()) {
      in.error(pos_of(body), fmt::format("node `{}` must be a mapping of settings (or "
                                         "empty)",
                                         node.name));
    }
    read_node(in, defaults, own, node);
    t.nodes.push_back(std::move(node));
  }
}

}  // namespace topo::loader
