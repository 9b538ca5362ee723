#include "topo/run/journal.h"
#include "tests/journal_fixture.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

namespace topo {
namespace {

using JournalTest = testing::JournalFixture;

TEST_F(JournalTest, MissingJournalIsNullopt) {
  EXPECT_FALSE(read_journal(path_));
}

TEST_F(JournalTest, RoundTripsEveryRecordAndIsRootOnly) {
  {
    JournalWriter w = JournalWriter::create(path_, header_);
    w.netns({{"lab1-a", "a", {}, "router"}, {"lab1-b", "b", {}, "lan"}});
    w.netns_id("lab1-a", {70, 3, 7});
    w.netns_id("lab1-b", {90, 3, 9});
    w.veths({{"a:eth0", "b:eth0"}}, {{"lab1-up", "02:00:00:00:00:09"}});
    w.complete(2, 1);
  }
  auto s = read_journal(path_);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->header.lab, "lab1");
  EXPECT_EQ(s->header.prefix, "lab1-");
  EXPECT_EQ(s->header.file, "/x/lab.yaml");
  EXPECT_EQ(s->header.file_hash, "abc");
  EXPECT_EQ(s->header.pid, 42);
  ASSERT_EQ(s->netns.size(), 2u);
  EXPECT_EQ(s->netns[0].netns, "lab1-a");
  EXPECT_EQ(s->netns[0].id, (nl::NetnsId{70, 3, 7}));
  EXPECT_EQ(s->netns[1].node, "b");
  EXPECT_EQ(s->netns[1].id, (nl::NetnsId{90, 3, 9}));
  ASSERT_EQ(s->veths.size(), 1u);
  EXPECT_EQ(s->veths[0].b, "b:eth0");
  ASSERT_EQ(s->host_links.size(), 1u);
  EXPECT_EQ(s->host_links[0].iface, "lab1-up");
  EXPECT_EQ(s->host_links[0].mac, "02:00:00:00:00:09");
  EXPECT_TRUE(s->complete);
  EXPECT_EQ(s->nodes, 2u);
  EXPECT_EQ(s->links, 1u);
  EXPECT_EQ(s->netns[0].kind, "router");
  EXPECT_EQ(s->netns[1].kind, "lan");
  struct stat st;
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(JournalTest, CreateRefusesAnExistingJournal) {
  JournalWriter::create(path_, header_);
  EXPECT_THROW(JournalWriter::create(path_, header_), std::exception);
}

TEST_F(JournalTest, TornLastLineIsIgnored) {
  {
    JournalWriter w = JournalWriter::create(path_, header_);
    w.netns({{"lab1-a", "a", {}, "host"}});
  }
  append_raw("{\"t\":\"netns\",\"netns\":\"lab1-");  // killed inside a write
  auto s = read_journal(path_);
  ASSERT_TRUE(s);
  ASSERT_EQ(s->netns.size(), 1u);
  EXPECT_FALSE(s->complete);
}

TEST_F(JournalTest, DamageBeforeTheEndIsAnError) {
  { JournalWriter w = JournalWriter::create(path_, header_); }
  append_raw("garbage\n{\"t\":\"complete\"}\n");
  try {
    read_journal(path_);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("damaged at line 2"), std::string::npos) << e.what();
  }
}

TEST_F(JournalTest, DamageSaysHowToRemoveTheLabAndAForcedReadSkipsOnlyTheDamagedLines) {
  {
    JournalWriter w = JournalWriter::create(path_, header_);
    w.netns({{"lab1-a", "a", {}, "host"}});
  }
  append_raw("garbage\n{\"no\": \"type\"}\n");
  {
    JournalWriter w = JournalWriter::append_to(path_);
    w.netns({{"lab1-b", "b", {}, "router"}});
    w.netns_id("lab1-a", {70, 3, 7});
    w.netns_id("lab1-b", {80, 3, 8});
    w.complete(2, 0);
  }
  try {
    read_journal(path_);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("damaged at line 3: `topo down --force lab1` removes"),
              std::string::npos)
        << e.what();
  }
  std::vector<size_t> damaged;
  std::optional<JournalState> s = read_journal(path_, &damaged);
  ASSERT_TRUE(s);
  EXPECT_EQ(damaged, (std::vector<size_t>{3, 4}));
  EXPECT_EQ(s->header.lab, "lab1");
  ASSERT_EQ(s->netns.size(), 2u);
  EXPECT_EQ(s->netns[0].id, (nl::NetnsId{70, 3, 7}));
  EXPECT_EQ(s->netns[1].id, (nl::NetnsId{80, 3, 8}));
  EXPECT_TRUE(s->complete);
}

TEST_F(JournalTest, AForcedReadOfAJournalWithoutItsHeaderStillNamesItsNamespaces) {
  append_raw("{\"t\":\"lab\",\"lab\":\"la%%%%\n");
  {
    JournalWriter w = JournalWriter::append_to(path_);
    w.netns({{"lab1-a", "a", {}, "host"}});
  }
  EXPECT_THROW(read_journal(path_), std::runtime_error);
  std::vector<size_t> damaged;
  std::optional<JournalState> s = read_journal(path_, &damaged);
  ASSERT_TRUE(s);
  EXPECT_EQ(damaged, std::vector<size_t>{1});
  EXPECT_TRUE(s->header.lab.empty());
  ASSERT_EQ(s->netns.size(), 1u);
  EXPECT_EQ(s->netns[0].netns, "lab1-a");
}

TEST_F(JournalTest, EmptyFileMeansNothingWasCreated) {
  append_raw("");
  auto s = read_journal(path_);
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->header.lab.empty());
  EXPECT_TRUE(s->netns.empty());
}

TEST_F(JournalTest, WhatAChangeRemovedIsForgottenAndTheRewriteHoldsOnlyWhatIsLeft) {
  {
    JournalWriter w = JournalWriter::create(path_, header_);
    w.netns(
        {{"lab1-a", "a", {}, "host"}, {"lab1-b", "b", {}, "host"}, {"lab1-c", "c", {}, "host"}});
    w.netns_id("lab1-a", {110, 3, 11});
    w.netns_id("lab1-b", {120, 3, 12});
    w.netns_id("lab1-c", {130, 3, 13});
    w.veths({{"a:e0", "b:e0"}, {"a:e1", "c:e0"}, {"a:h", "host:topo-h"}},
            {{"topo-h", "02:00:00:00:00:01"}});
    w.etc_links({"lab1-a", "lab1-b", "lab1-c"}, /*dir_exists=*/true);
    w.daemon({"a", "d", 100});
    w.complete(3, 3);
    // A change: c removed with its link and the host link; a's daemon restarted; b made again.
    w.daemon_gone("a", "d");
    w.daemon({"a", "d", 200});
    w.veth_gone("a:e1", "c:e0");
    w.veth_gone("a:h", "host:topo-h");
    w.host_link_gone("topo-h");
    w.etc_link_gone("lab1-c");
    w.netns_gone("lab1-c");
    w.netns({{"lab1-b", "b", {}, "router"}});
    w.netns_id("lab1-b", {220, 3, 22});
  }
  std::optional<JournalState> s = read_journal(path_);
  ASSERT_TRUE(s);
  ASSERT_EQ(s->netns.size(), 2u);
  EXPECT_EQ(s->netns[0].netns, "lab1-a");
  EXPECT_EQ(s->netns[1].netns, "lab1-b");
  EXPECT_EQ(s->netns[1].id, (nl::NetnsId{220, 3, 22}));
  EXPECT_EQ(s->netns[1].kind, "router");
  ASSERT_EQ(s->veths.size(), 1u);
  EXPECT_EQ(s->veths[0].b, "b:e0");
  EXPECT_TRUE(s->host_links.empty());
  EXPECT_EQ(s->etc_links, (std::vector<std::string>{"lab1-a", "lab1-b"}));
  ASSERT_EQ(s->daemons.size(), 1u);
  EXPECT_EQ(s->daemons[0].pid, 200);

  s->header.file_hash = "def";
  JournalWriter::rewrite(path_, *s);
  std::optional<JournalState> r = read_journal(path_);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header.file_hash, "def");
  EXPECT_EQ(r->netns.size(), 2u);
  EXPECT_EQ(r->netns[1].id, (nl::NetnsId{220, 3, 22}));
  EXPECT_EQ(r->veths.size(), 1u);
  EXPECT_EQ(r->etc_links, s->etc_links);
  EXPECT_EQ(r->daemons.size(), 1u);
  EXPECT_TRUE(r->complete);
  EXPECT_FALSE(std::filesystem::exists(path_ + ".next"));
  struct stat st;
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(JournalTest, ANamespaceWithoutItsIdentityRecordHasNoneAndMatchesNothing) {
  {
    JournalWriter w = JournalWriter::create(path_, header_);
    w.netns({{"lab1-a", "a", {}, "host"}, {"lab1-b", "b", {}, "host"}});
    w.netns_id("lab1-a", {70, 3, 7});  // b: killed before its namespace was bound
  }
  auto s = read_journal(path_);
  ASSERT_TRUE(s);
  ASSERT_EQ(s->netns.size(), 2u);
  EXPECT_TRUE(s->netns[0].id.known());
  EXPECT_FALSE(s->netns[1].id.known());
  EXPECT_FALSE(s->netns[1].id.matches({70, 3, 7}));
  EXPECT_FALSE(s->netns[1].id.matches({}));
}

TEST_F(JournalTest, ThreadsRecordingIdentitiesAtOnceKeepEveryLineWhole) {
  constexpr int kThreads = 4, kEach = 500;
  {
    JournalWriter w = JournalWriter::create(path_, header_);
    std::vector<JournalNetns> all;
    for (int i = 0; i < kThreads * kEach; i++)
      all.push_back({fmt::format("lab1-n{}", i), "", {}, ""});
    w.netns(all);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; t++)
      threads.emplace_back([&w, t] {
        for (int i = t * kEach; i < (t + 1) * kEach; i++)
          w.netns_id(fmt::format("lab1-n{}", i),
                     {uint64_t(i) + 1 + (uint64_t(1) << 40), 3, uint64_t(i) + 1});
      });
    for (std::thread& t : threads) t.join();
  }
  auto s = read_journal(path_);
  ASSERT_TRUE(s);
  ASSERT_EQ(s->netns.size(), size_t{kThreads * kEach});
  for (size_t i = 0; i < s->netns.size(); i++)
    EXPECT_EQ(s->netns[i].id, (nl::NetnsId{i + 1 + (uint64_t(1) << 40), 3, i + 1})) << i;
}

// A lab brought up by the topo before journal version 2 must still go down: its journal
// recorded each namespace's inode alone ("id"), after the whole batch.
TEST_F(JournalTest, AVersion1JournalIsReadWithInodesAlone) {
  append_raw(
      R"({"t":"lab","lab":"lab1","prefix":"lab1-","file":"/x/lab.yaml","hash":"abc","pid":42,)"
      R"("started":1000,"version":1})"
      "\n"
      R"({"t":"netns","netns":"lab1-a","node":"a","kind":"host"})"
      "\n"
      R"({"t":"netns","netns":"lab1-b","node":"b","kind":"host"})"
      "\n"
      R"({"t":"netns-id","netns":"lab1-a","id":4026532290})"
      "\n"
      R"({"t":"netns-id","netns":"lab1-b","id":4026532291})"
      "\n"
      R"({"t":"complete","nodes":2,"links":0})"
      "\n");
  auto s = read_journal(path_);
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->complete);
  ASSERT_EQ(s->netns.size(), 2u);
  EXPECT_EQ(s->netns[0].id, (nl::NetnsId{0, 0, 4026532290}));
  EXPECT_TRUE(s->netns[1].id.known());
  // Without a cookie only the inode can be compared.
  EXPECT_TRUE(s->netns[0].id.matches({77, 4, 4026532290}));
  EXPECT_FALSE(s->netns[0].id.matches({77, 4, 4026532291}));
  EXPECT_EQ(s->version, 1);
  EXPECT_FALSE(s->built) << "an older topo recorded no lab as built";
  EXPECT_FALSE(s->building);
  // Rewritten (after a change), it is a journal of this version that still compares inodes
  // alone.
  JournalWriter::rewrite(path_, *s);
  EXPECT_NE(file_text().find("\"version\":3"), std::string::npos) << file_text();
  auto r = read_journal(path_);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->version, kJournalVersion);
  EXPECT_EQ(r->netns[0].id, s->netns[0].id);
  EXPECT_TRUE(r->netns[0].id.matches({77, 4, 4026532290}));
}

TEST(NetnsId, MatchesOnlyTheSameCookieDeviceAndInode) {
  nl::NetnsId made{9001, 4, 4026532290};
  EXPECT_TRUE(made.matches({9001, 4, 4026532290}));
  EXPECT_FALSE(made.matches({9002, 4, 4026532290}));  // the inode reused by a new namespace
  EXPECT_FALSE(made.matches({9001, 5, 4026532290}));
  EXPECT_FALSE(made.matches({9001, 4, 4026532291}));
  EXPECT_FALSE(nl::NetnsId{}.matches({}));
}

TEST(ContentHash, IsStableAndSensitive) {
  EXPECT_EQ(content_hash("name: a\n"), content_hash("name: a\n"));
  EXPECT_NE(content_hash("name: a\n"), content_hash("name: b\n"));
  EXPECT_EQ(content_hash("").size(), 16u);
}

}  // namespace
}  // namespace topo
