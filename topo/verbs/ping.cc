#include "topo/verbs/ping.h"

#include <fnmatch.h>

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "topo/language/suggest.h"
#include "topo/verbs/lab.h"

namespace topo {

namespace {

// 4 or 6, as --family and the JSON say it.
int family_number(const nl::IpPrefix& a) {
  return a.is_v6() ? 6 : 4;
}

bool has_family(const PingNode& n, int number) {
  return std::any_of(n.addresses.begin(), n.addresses.end(),
                     [number](const nl::IpPrefix& a) { return family_number(a) == number; });
}

bool is_pattern(const std::string& word) {
  return word.find_first_of("*?[") != std::string::npos;
}

const char* mark(PairResult r) {
  switch (r) {
    case PairResult::self:
      return "-";
    case PairResult::reachable:
      return "✓";
    case PairResult::failed:
      return "✗";
    case PairResult::not_applicable:
      return "n/a";
    case PairResult::elsewhere:
      return "";
  }
  return "?";
}

}  // namespace

std::vector<PingNode> select_ping_nodes(const std::string& lab, std::vector<PingNode> nodes,
                                        const std::vector<std::string>& words,
                                        const std::vector<std::string>& bridges) {
  if (words.empty()) return nodes;
  std::vector<std::string> names;
  for (const PingNode& n : nodes) names.push_back(n.name);
  std::set<std::string> chosen;
  for (const std::string& word : words) {
    size_t matched = 0;
    for (const std::string& name : names)
      if (is_pattern(word) ? fnmatch(word.c_str(), name.c_str(), 0) == 0 : word == name) {
        chosen.insert(name);
        matched++;
      }
    if (matched) continue;
    if (is_pattern(word))
      throw InvalidInput(fmt::format("--nodes `{}` matches no node of lab {} that can ping ({})",
                                     word, lab, fmt::join(names, ", ")));
    if (std::count(bridges.begin(), bridges.end(), word))
      throw InvalidInput(fmt::format(
          "node {} of lab {} is a bridge: it has no address to ping from or to", word, lab));
    throw InvalidInput(
        fmt::format("lab {} has no node `{}`{}", lab, word, did_you_mean(word, names)));
  }
  std::erase_if(nodes, [&](const PingNode& n) { return !chosen.count(n.name); });
  return nodes;
}

std::vector<Probe> ping_probes(const std::vector<PingNode>& nodes, int family) {
  std::vector<Probe> probes;
  for (size_t f = 0; f < nodes.size(); f++)
    for (size_t t = 0; t < nodes.size(); t++)
      if (f != t && nodes[f].host.empty())
        for (const nl::IpPrefix& a : nodes[t].addresses)
          if ((!family || family_number(a) == family) && has_family(nodes[f], family_number(a)))
            probes.push_back({f, t, a, false, ""});
  return probes;
}

PingSummary summarize(const std::vector<PingNode>& nodes, const std::vector<Probe>& probes) {
  PingSummary s;
  s.pairs.assign(nodes.size(), std::vector<PairResult>(nodes.size(), PairResult::not_applicable));
  for (size_t i = 0; i < nodes.size(); i++) {
    if (!nodes[i].host.empty()) s.pairs[i].assign(nodes.size(), PairResult::elsewhere);
    s.pairs[i][i] = PairResult::self;
  }
  for (const Probe& p : probes) {
    PairResult& r = s.pairs[p.from][p.to];
    if (r == PairResult::not_applicable) r = PairResult::reachable;
    if (!p.ok) r = PairResult::failed;
  }
  for (const auto& row : s.pairs)
    for (PairResult r : row) {
      s.counted += r == PairResult::reachable || r == PairResult::failed;
      s.reachable += r == PairResult::reachable;
      s.not_applicable += r == PairResult::not_applicable;
    }
  return s;
}

std::string ping_text(const std::vector<PingNode>& nodes, const std::vector<Probe>& probes,
                      const PingSummary& s, int family) {
  // Columns as wide as the widest name (and the marks), rows led by the names: aligned.
  const std::string corner = "from\\to";
  size_t first = corner.size(), width = 3;  // n/a
  for (const PingNode& n : nodes) {
    first = std::max(first, n.name.size());
    width = std::max(width, n.name.size());
  }
  auto line = [](std::string text) {
    text.erase(text.find_last_not_of(' ') + 1);
    return text + "\n";
  };
  std::string row = fmt::format("{:<{}}", corner, first);
  for (const PingNode& n : nodes) row += fmt::format(" {:<{}}", n.name, width);
  std::string out = line(row);
  std::set<PairResult> shown;
  std::vector<std::string> elsewhere;
  for (size_t f = 0; f < nodes.size(); f++) {
    if (!nodes[f].host.empty()) {
      elsewhere.push_back(fmt::format("{} ({})", nodes[f].name, nodes[f].host));
      continue;
    }
    row = fmt::format("{:<{}}", nodes[f].name, first);
    for (size_t t = 0; t < nodes.size(); t++) {
      shown.insert(s.pairs[f][t]);
      row += fmt::format(" {:<{}}", mark(s.pairs[f][t]), width);
    }
    out += line(row);
  }
  std::string families = family ? fmt::format("IPv{}", family) : std::string("IPv4 and IPv6");
  out += fmt::format("{}/{} pairs reachable ({})", s.reachable, s.counted, families);
  if (s.not_applicable)
    out += fmt::format("; {} pair{} n/a", s.not_applicable, s.not_applicable == 1 ? "" : "s");
  out += "\n";
  std::vector<std::string> legend;
  if (shown.count(PairResult::reachable)) legend.push_back("✓ every address pinged answered");
  if (shown.count(PairResult::failed)) legend.push_back("✗ some address did not (below)");
  if (shown.count(PairResult::not_applicable))
    legend.push_back(
        family ? fmt::format("n/a one of the two has no IPv{} address: not pinged", family)
               : std::string("n/a no address family in common: not pinged"));
  if (!legend.empty())
    out += fmt::format(
        "{} (a pair pings the target's primary address of each family both "
        "have)\n",
        fmt::join(legend, "; "));
  if (!elsewhere.empty())
    out += fmt::format("Nodes on other hosts ping from there (`topo ping` on their host): {}\n",
                       fmt::join(elsewhere, ", "));
  for (const Probe& p : probes)
    if (!p.ok)
      out += fmt::format("✗ {} → {}: {} (IPv{}): {}\n", nodes[p.from].name, nodes[p.to].name,
                         p.address.address_text(), family_number(p.address), p.failure);
  return out;
}

nlohmann::json ping_json(const std::string& lab, const std::vector<PingNode>& nodes,
                         const std::vector<Probe>& probes, const PingSummary& s, int family) {
  nlohmann::json names = nlohmann::json::array(), na = nlohmann::json::array(),
                 results = nlohmann::json::array();
  for (const PingNode& n : nodes) names.push_back(n.name);
  for (size_t f = 0; f < nodes.size(); f++)
    for (size_t t = 0; t < nodes.size(); t++)
      if (s.pairs[f][t] == PairResult::not_applicable)
        na.push_back({{"from", nodes[f].name}, {"to", nodes[t].name}});
  for (const Probe& p : probes) {
    nlohmann::json r = {{"from", nodes[p.from].name},
                        {"to", nodes[p.to].name},
                        {"address", p.address.address_text()},
                        {"family", family_number(p.address)},
                        {"ok", p.ok}};
    if (!p.ok) r["failure"] = p.failure;
    results.push_back(r);
  }
  nlohmann::json out = {{"lab", lab},
                        {"family", family ? nlohmann::json(family) : nlohmann::json()},
                        {"nodes", names},
                        {"pairs", s.counted},
                        {"reachable", s.reachable},
                        {"not_applicable", na},
                        {"results", results}};
  nlohmann::json elsewhere = nlohmann::json::object();
  for (const PingNode& n : nodes)
    if (!n.host.empty()) elsewhere[n.name] = n.host;
  if (!elsewhere.empty()) out["elsewhere"] = elsewhere;
  return out;
}

}  // namespace topo
