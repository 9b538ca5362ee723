// What `topo ping` pings and how it adds the answers up, without a lab: nodes chosen by name
// or pattern, a pair counted only by the families both nodes have, the report's marks, legend
// and failures.
#include "topo/verbs/ping.h"

#include <gtest/gtest.h>

#include <set>

#include "topo/verbs/lab.h"

namespace topo {
namespace {

nl::IpPrefix ip(const char* text) {
  return *nl::IpPrefix::parse(text);
}

// r1 and r2 have both families, h4 IPv4 alone, h6 IPv6 alone, quiet none.
std::vector<PingNode> lab_nodes() {
  return {{"r1", {ip("10.0.0.1/24"), ip("fd00::1/64")}, ""},
          {"r2", {ip("10.0.0.2/24"), ip("fd00::2/64")}, ""},
          {"h4", {ip("10.0.0.4/24")}, ""},
          {"h6", {ip("fd00::6/64")}, ""},
          {"quiet", {}, ""}};
}

std::vector<std::string> names(const std::vector<PingNode>& nodes) {
  std::vector<std::string> out;
  for (const PingNode& n : nodes) out.push_back(n.name);
  return out;
}

std::string error_of(const std::vector<std::string>& words) {
  try {
    select_ping_nodes("demo", lab_nodes(), words, {"sw"});
  } catch (const InvalidInput& e) {
    return e.what();
  }
  return "";
}

TEST(Ping, NodesAreChosenByNameOrPatternInTheLabsOrder) {
  EXPECT_EQ(names(select_ping_nodes("demo", lab_nodes(), {}, {})),
            (std::vector<std::string>{"r1", "r2", "h4", "h6", "quiet"}));
  EXPECT_EQ(names(select_ping_nodes("demo", lab_nodes(), {"h6", "r1"}, {})),
            (std::vector<std::string>{"r1", "h6"}));
  EXPECT_EQ(names(select_ping_nodes("demo", lab_nodes(), {"r*", "h[4]", "r1"}, {})),
            (std::vector<std::string>{"r1", "r2", "h4"}));
}

TEST(Ping, AnUnknownNodeIsInvalidInputWithTheNearestName) {
  EXPECT_EQ(error_of({"r1", "r3"}), "lab demo has no node `r3` (did you mean `r1`?)");
  EXPECT_EQ(error_of({"sw"}),
            "node sw of lab demo is a bridge: it has no address to ping from or to");
  EXPECT_EQ(error_of({"x*"}),
            "--nodes `x*` matches no node of lab demo that can ping (r1, r2, h4, h6, quiet)");
}

TEST(Ping, APairPingsOnlyTheFamiliesBothHave) {
  std::vector<PingNode> nodes = lab_nodes();
  std::set<std::string> pinged;
  for (const Probe& p : ping_probes(nodes, 0))
    pinged.insert(nodes[p.from].name + ">" + p.address.address_text());
  EXPECT_TRUE(pinged.count("r1>10.0.0.2") && pinged.count("r1>fd00::2")) << "both families";
  EXPECT_TRUE(pinged.count("h4>10.0.0.1") && !pinged.count("h4>fd00::1")) << "IPv4 alone";
  EXPECT_TRUE(pinged.count("h6>fd00::1") && !pinged.count("h6>10.0.0.1")) << "IPv6 alone";
  EXPECT_FALSE(pinged.count("h4>fd00::6") || pinged.count("h6>10.0.0.4"));
  for (const std::string& p : pinged) EXPECT_NE(p.rfind("quiet>", 0), 0u) << p;
  EXPECT_EQ(pinged.size(), 4u + 4 + 2 + 2)
      << "r1 and r2: 2 addresses of each other, 1 of h4, 1 of h6; h4 and h6: 1 of r1, 1 of r2";

  for (const Probe& p : ping_probes(nodes, 6)) EXPECT_TRUE(p.address.is_v6());
  EXPECT_EQ(ping_probes(nodes, 6).size(), 6u) << "r1, r2, h6 to each other";
}

TEST(Ping, APairWithNoFamilyInCommonIsNotApplicableAndNotCounted) {
  std::vector<PingNode> nodes = lab_nodes();
  std::vector<Probe> probes = ping_probes(nodes, 0);
  for (Probe& p : probes) {
    p.ok = !(nodes[p.from].name == "r1" && p.address.address_text() == "fd00::2");
    if (!p.ok) p.failure = "no answer";
  }
  PingSummary s = summarize(nodes, probes);
  EXPECT_EQ(s.pairs[0][1], PairResult::failed) << "one address of r2 did not answer";
  EXPECT_EQ(s.pairs[1][0], PairResult::reachable);
  EXPECT_EQ(s.pairs[2][3], PairResult::not_applicable);
  EXPECT_EQ(s.pairs[4][0], PairResult::not_applicable) << "quiet has no address";
  EXPECT_EQ(s.pairs[2][2], PairResult::self);
  EXPECT_EQ(s.counted, 10u);
  EXPECT_EQ(s.reachable, 9u);
  EXPECT_EQ(s.not_applicable, 10u);
  EXPECT_FALSE(s.all_reachable());

  std::string text = ping_text(nodes, probes, s, 0);
  EXPECT_EQ(text.find("from\\to r1    r2    h4    h6    quiet\n"
                      "r1      -     ✗     ✓     ✓     n/a\n"),
            0u)
      << text;
  EXPECT_NE(text.find("\n9/10 pairs reachable (IPv4 and IPv6); 10 pairs n/a\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("✓ every address pinged answered; ✗ some address did not (below); n/a no "
                      "address family in common: not pinged"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\n✗ r1 → r2: fd00::2 (IPv6): no answer\n"), std::string::npos) << text;

  nlohmann::json j = ping_json("demo", nodes, probes, s, 0);
  EXPECT_EQ(j["pairs"], 10);
  EXPECT_EQ(j["reachable"], 9);
  EXPECT_TRUE(j["family"].is_null());
  EXPECT_EQ(j["nodes"].size(), 5u);
  EXPECT_EQ(j["not_applicable"].size(), 10u);
  EXPECT_EQ(j["not_applicable"][0], (nlohmann::json{{"from", "r1"}, {"to", "quiet"}}));
  size_t failures = 0;
  for (const nlohmann::json& r : j["results"]) {
    EXPECT_TRUE(r["family"] == 4 || r["family"] == 6) << r;
    if (r["ok"] == false) {
      failures++;
      EXPECT_EQ(r["failure"], "no answer");
      EXPECT_EQ(r["address"], "fd00::2");
    } else {
      EXPECT_FALSE(r.contains("failure")) << r;
    }
  }
  EXPECT_EQ(failures, 1u);
}

TEST(Ping, TheLegendSaysOnlyTheMarksShown) {
  std::vector<PingNode> nodes = {{"a", {ip("10.0.0.1/24")}, ""}, {"b", {ip("10.0.0.2/24")}, ""}};
  std::vector<Probe> probes = ping_probes(nodes, 4);
  for (Probe& p : probes) p.ok = true;
  PingSummary s = summarize(nodes, probes);
  EXPECT_TRUE(s.all_reachable());
  std::string text = ping_text(nodes, probes, s, 4);
  EXPECT_NE(text.find("2/2 pairs reachable (IPv4)\n✓ every address pinged answered ("),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("✗"), std::string::npos) << text;
  EXPECT_EQ(text.find("n/a"), std::string::npos) << text;

  std::vector<PingNode> v6 = {{"a", {ip("10.0.0.1/24")}, ""}, {"b", {ip("fd00::2/64")}, ""}};
  PingSummary none = summarize(v6, ping_probes(v6, 6));
  EXPECT_TRUE(none.all_reachable()) << "nothing counted, nothing failed";
  std::string na = ping_text(v6, {}, none, 6);
  EXPECT_NE(na.find("0/0 pairs reachable (IPv6); 2 pairs n/a\nn/a one of the two has no IPv6 "
                    "address: not pinged"),
            std::string::npos)
      << na;
}

// Of a lab spread over hosts, a node on another host is pinged, never pings: its row is its
// host's, neither counted nor shown here, and the output says where it is.
TEST(Ping, ANodeOnAnotherHostIsATargetOnly) {
  std::vector<PingNode> nodes = {{"a", {ip("10.0.0.1/24")}, ""},
                                 {"b", {ip("10.0.0.2/24")}, "east"}};
  std::vector<Probe> probes = ping_probes(nodes, 0);
  ASSERT_EQ(probes.size(), 1u);
  EXPECT_EQ(probes[0].from, 0u);
  EXPECT_EQ(probes[0].to, 1u);
  probes[0].ok = true;
  PingSummary s = summarize(nodes, probes);
  EXPECT_EQ(s.counted, 1u);
  EXPECT_TRUE(s.all_reachable());
  EXPECT_EQ(s.pairs[1][0], PairResult::elsewhere);
  std::string text = ping_text(nodes, probes, s, 0);
  EXPECT_EQ(text.find("\nb "), std::string::npos) << text;  // no row of b's
  EXPECT_NE(text.find("ping from there (`topo ping` on their host): b (east)"), std::string::npos)
      << text;
  nlohmann::json j = ping_json("lab", nodes, probes, s, 0);
  EXPECT_EQ(j["elsewhere"], nlohmann::json({{"b", "east"}}));
  EXPECT_EQ(j["not_applicable"].size(), 0u);
  EXPECT_EQ(j["results"].size(), 1u);
}

}  // namespace
}  // namespace topo
