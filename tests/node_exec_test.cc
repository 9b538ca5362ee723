// How `topo exec` finds a node in a lab's journal (node_exec.h), without root: the journal's
// text alone.
#include "topo/entry/node_exec.h"

#include <gtest/gtest.h>
#include <time.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "tests/lab_sample.h"
#include "topo/run/journal.h"

namespace topo {
namespace {

using Found = JournalNode::Found;

const std::string kHeader =
    R"({"file":"/x/lab.yaml","hash":"abc","lab":"lab1","pid":42,"prefix":"lab1-",)"
    R"("started":1000,"t":"lab","version":3})"
    "\n";

std::string netns_line(const std::string& node, const std::string& kind = "host",
                       const std::string& netns = "") {
  return fmt::format(R"({{"kind":"{}","netns":"{}","node":"{}","t":"netns"}})", kind,
                     netns.empty() ? "lab1-" + node : netns, node) +
         "\n";
}

TEST(FindNodeInJournal, ANodeIsFoundWithItsNamespaceAndTheLabsFile) {
  std::string journal = kHeader + netns_line("a") + netns_line("b", "router") +
                        R"({"links":1,"nodes":2,"t":"complete"})"
                        "\n";
  JournalNode found = find_node_in_journal(journal, "b");
  EXPECT_EQ(found.found, Found::node);
  EXPECT_EQ(found.netns, "lab1-b");
  EXPECT_EQ(found.file, "/x/lab.yaml");
  EXPECT_EQ(find_node_in_journal(journal, "a").found, Found::node);
  EXPECT_EQ(find_node_in_journal(journal, "c").found, Found::no_node);
  EXPECT_EQ(find_node_in_journal(journal, "").found, Found::no_node);
}

TEST(FindNodeInJournal, ALansNamespaceIsNotANode) {
  std::string journal = kHeader + netns_line("a") + netns_line("_lan1", "lan");
  EXPECT_EQ(find_node_in_journal(journal, "_lan1").found, Found::no_node);
}

TEST(FindNodeInJournal, ANamespaceOutsideTheLabsPrefixIsNotTheNodes) {
  std::string journal = kHeader + netns_line("a", "host", "other-a");
  EXPECT_EQ(find_node_in_journal(journal, "a").found, Found::no_node);
}

TEST(FindNodeInJournal, ANodeRemovedByAChangeIsGoneAndMadeAgainIsBack) {
  std::string gone = R"({"netns":"lab1-a","t":"netns-gone"})"
                     "\n";
  std::string journal = kHeader + netns_line("a") + netns_line("b") + gone;
  EXPECT_EQ(find_node_in_journal(journal, "a").found, Found::no_node);
  EXPECT_EQ(find_node_in_journal(journal, "b").found, Found::node);
  EXPECT_EQ(find_node_in_journal(journal + netns_line("a"), "a").found, Found::node);
}

TEST(FindNodeInJournal, WhatMerelyContainsANodesRecordIsNotOne) {
  // A file of the lab (in the built record) and an impairment's text that hold a netns
  // record's text: only records count.
  Lab lab = testing::chain_lab(2);
  lab.nodes[0].files.push_back(
      {"x", R"({"kind":"host","netns":"lab1-ghost","node":"ghost"})", false});
  std::string dir = std::filesystem::temp_directory_path() / "topo-node-exec-test.XXXXXX";
  ASSERT_TRUE(mkdtemp(dir.data()));
  std::string path = dir + "/journal";
  {
    JournalWriter w = JournalWriter::create(path, {"lab1", "lab1-", "/x", "h", 1, 0});
    w.built(lab);
    w.netns({{"lab1-n1", "n1", {}, "host"}});
    w.impairment("n1:eth0", R"("netns":"lab1-ghost","node":"ghost")");
  }
  std::stringstream text;
  text << std::ifstream(path).rdbuf();
  std::filesystem::remove_all(dir);
  ASSERT_NE(text.str().find(R"(\"netns\":\"lab1-ghost\",\"node\":\"ghost\")"), std::string::npos);
  EXPECT_EQ(find_node_in_journal(text.str(), "ghost").found, Found::no_node);
  EXPECT_EQ(find_node_in_journal(text.str(), "n1").found, Found::node);
  EXPECT_EQ(find_node_in_journal(text.str(), "n2").found, Found::no_node) << "built, not made";
}

TEST(FindNodeInJournal, AJournalWithoutAHeaderHasNoNodes) {
  EXPECT_EQ(find_node_in_journal("", "a").found, Found::no_header);
  EXPECT_EQ(find_node_in_journal(netns_line("a"), "a").found, Found::no_header);
  EXPECT_EQ(find_node_in_journal("{\"t\":\"lab\",\"pre", "a").found, Found::no_header);
}

TEST(FindNodeInJournal, TornAndDamagedLinesAreNotRecords) {
  std::string journal = kHeader + "garbage\n" + netns_line("a") +
                        R"({"kind":"host","netns":"lab1-b","node":"b","t":"net)";
  EXPECT_EQ(find_node_in_journal(journal, "a").found, Found::node);
  EXPECT_EQ(find_node_in_journal(journal, "b").found, Found::no_node);
}

TEST(FindNodeInJournal, AVersion1JournalIsRead) {
  std::string journal =
      R"({"file":"/x/lab.yaml","hash":"abc","lab":"lab1","pid":42,"prefix":"lab1-",)"
      R"("started":1000,"t":"lab","version":1})"
      "\n"
      R"({"netns":"lab1-a","node":"a","t":"netns"})"
      "\n"
      R"({"id":4026532290,"netns":"lab1-a","t":"netns-id"})"
      "\n";
  EXPECT_EQ(find_node_in_journal(journal, "a").found, Found::node);
  EXPECT_EQ(find_node_in_journal(journal, "_lan1").found, Found::no_node);
}

// By hand: build/topo_unit_tests --gtest_also_run_disabled_tests --gtest_filter='*TimeTo*'
// Prints what finding the last node costs in the journal of a big lab as `up` writes it.
TEST(FindNodeInJournal, DISABLED_TimeToFindANodeInBigLabs) {
  for (size_t n : {2, 1000, 10000}) {
    Lab lab = testing::chain_lab(n);
    std::string dir = std::filesystem::temp_directory_path() / "topo-node-exec-bench.XXXXXX";
    ASSERT_TRUE(mkdtemp(dir.data()));
    std::string path = dir + "/journal";
    {
      JournalWriter w = JournalWriter::create(path, {"lab1", "lab1-", "/x", "h", 1, 0});
      w.built(lab);
      std::vector<JournalNetns> netns;
      for (const BuiltNode& node : lab.nodes) netns.push_back({node.netns, node.name, {}, "host"});
      w.netns(netns);
      for (size_t i = 0; i < netns.size(); i++) w.netns_id(netns[i].netns, {i + 1, 3, i + 1});
      std::vector<JournalVeth> veths;
      for (const BuiltLink& l : lab.links) veths.push_back({l.a.text(), l.b.text()});
      w.veths(veths, {});
      std::vector<std::string> etc;
      for (const JournalNetns& ns : netns) etc.push_back(ns.netns);
      w.etc_links(etc, true);
      w.complete(n, n - 1);
    }
    std::stringstream text;
    text << std::ifstream(path).rdbuf();
    std::filesystem::remove_all(dir);
    auto cpu_ms = [] {
      timespec t;
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
      return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
    };
    constexpr int kRuns = 20;
    double t0 = cpu_ms();
    for (int i = 0; i < kRuns; i++)
      ASSERT_EQ(find_node_in_journal(text.str(), fmt::format("n{}", n)).found, Found::node);
    double parsed = (cpu_ms() - t0) / kRuns;
    // What topo exec did before: a search of the text for the record's two fields.
    t0 = cpu_ms();
    std::string wanted = fmt::format(R"("netns":"lab1-n{}","node":"n{}")", n, n);
    for (int i = 0; i < kRuns; i++) ASSERT_NE(text.str().find(wanted), std::string::npos);
    std::printf(
        "%zu nodes: journal %.0f KiB, finding the last node %.3f ms CPU (a text search: "
        "%.3f ms)\n",
        n, text.str().size() / 1024.0, parsed, (cpu_ms() - t0) / kRuns);
  }
}

}  // namespace
}  // namespace topo
