#include "topo/language/loader.h"

#include <yaml-cpp/yaml.h>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string_view>

#include <fmt/format.h>

#include "topo/language/addressing.h"
#include "topo/language/expansion.h"
#include "topo/language/flow_brackets.h"
#include "topo/language/loader_parts.h"
#include "topo/language/merge_keys.h"
#include "topo/language/placement.h"
#include "topo/language/validator.h"

namespace topo {

namespace {

using loader::pos_of;

const loader::Keys kTopKeys{"name",  "prefix", "hosts", "defaults",  "addressing",
                            "nodes", "links",  "tests", "scenarios", "ready"};
const loader::Keys kAddressingKeys{"p2p", "p2p_prefix", "lan", "loopback", "ipv6"};

void read_addressing(loader::Reader& in, const YAML::Node& a, Addressing& out) {
  if (!a.IsMap()) {
    in.error(pos_of(a), "`addressing` must be a mapping of pools");
    return;
  }
  in.check_keys(a, kAddressingKeys, "`addressing`");
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
    std::string text = in.scalar(n, w.key);
    auto p = nl::IpPrefix::parse(text);
    if (!p) {
      if (n.IsScalar())
        in.error(pos_of(n), fmt::format("pool `{}` is not a prefix like {}", text,
                                        w.v6 ? "fd00::/48" : "10.1.0.0/16"));
    } else if (p->is_v6() != w.v6) {
      in.error(pos_of(n), fmt::format("pool `{}` must be an IPv{} prefix", w.key, w.v6 ? 6 : 4));
    } else if (p->len > w.longest) {
      in.error(pos_of(n), fmt::format("pool `{}` {} is too small: it needs a prefix of "
                                      "/{} or shorter",
                                      w.key, text, w.longest));
    } else {
      *w.pool = Pool{p->network(), pos_of(n)};
    }
  }
  if (auto n = a["p2p_prefix"]) {
    auto len = in.integer(n, "p2p_prefix");
    if (len && *len != 30 && *len != 31)
      in.error(pos_of(n), "`p2p_prefix` is 30 or 31");
    else if (len)
      out.p2p_prefix = *len;
  }
}

// `name` and `prefix`: the file's, or those `naming` gives over them.
void read_name(loader::Reader& in, const YAML::Node& root, Topology& t, const Naming& naming) {
  if (auto n = root["name"]) {
    t.name = in.scalar(n, "name");
    if (n.IsScalar()) t.name_pos = pos_of(n);
  } else if (naming.name.empty()) {
    in.error(pos_of(root), "missing `name`: every lab needs a name");
  }
  if (auto n = root["prefix"]) {
    t.prefix = in.scalar(n, "prefix");
    t.prefix_pos = pos_of(n);
  } else {
    t.prefix = t.name + "-";
  }
  if (naming.name.empty()) return;
  // Not the file's: checked where it was given, and no place in the file to point at.
  t.name = naming.name;
  t.name_pos = {};
  t.prefix = naming.prefix.value_or(t.name + "-");
  t.prefix_pos = {};
}

// The top level, then each section in the model's order.
void read_file(loader::Reader& in, const YAML::Node& root, Topology& t, const Naming& naming) {
  if (!root.IsMap()) {
    in.error(pos_of(root), "a topology file is a mapping with at least `name` and `nodes`");
    return;
  }
  in.check_keys(root, kTopKeys, "the top level");
  read_name(in, root, t, naming);
  if (auto h = root["hosts"]) loader::read_hosts(in, h, t);
  if (auto a = root["addressing"]) read_addressing(in, a, t.addressing);
  YAML::Node defaults = loader::read_defaults(in, root["defaults"]);
  if (auto n = root["nodes"]) {
    loader::read_nodes(in, n, defaults, t);
  } else {
    in.error(pos_of(root), "missing `nodes`: a lab needs at least one node");
  }
  if (auto n = root["links"]) loader::read_links(in, n, t);
  if (auto n = root["tests"]) loader::read_tests(in, n, t);
  if (auto n = root["scenarios"]) loader::read_scenarios(in, n, t);
  if (auto n = root["ready"]) loader::read_ready(in, n, t);
}

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

}  // namespace

bool is_utf8(std::string_view s) {
  for (size_t i = 0, n; i < s.size(); i += n)
    if ((n = utf8_length(s, i)) == 0) return false;
  return true;
}

namespace {

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

LoadResult load_text(const std::string& label, std::string text, const std::string& dir, Disk disk,
                     const Naming& naming) {
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
    apply_merge_keys(root, r.diagnostics);
    loader::Reader in(r.diagnostics);
    read_file(in, root, r.topology, naming);
  } catch (const YAML::Exception& e) {
    r.diagnostics.error({e.mark.line + 1, e.mark.column + 1}, e.msg);
  }
  validate(r.topology, r.diagnostics);
  place(r.topology, r.diagnostics);
  for (const Node& n : r.topology.nodes) check_node_files(r.topology, n, r.diagnostics, disk);
  // Pools fill in what the file left unaddressed, around what it addressed itself: only a file
  // whose own addresses are sound gets there. Routes are checked against both.
  if (r.diagnostics.empty()) assign_addresses(r.topology, r.diagnostics);
  validate_routes(r.topology, r.diagnostics);
  if (r.diagnostics.empty()) complete_node_files(r.topology, r.diagnostics, disk);
  return r;
}

LoadResult load_file(const std::string& path, const Naming& naming) {
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
  return load_text(path == "-" ? "<stdin>" : path, std::move(text), dir, Disk::read, naming);
}

}  // namespace topo
