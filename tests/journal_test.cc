#include "topo/journal.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace topo {
namespace {

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/topo-journal-test.XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/journal";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void append_raw(const std::string& text) { std::ofstream(path_, std::ios::app) << text; }
  std::string dir_, path_;
  JournalHeader header_{"lab1", "lab1-", "/x/lab.yaml", "abc", 42, 1000};
};

TEST_F(JournalTest, MissingJournalIsNullopt) {
  EXPECT_FALSE(read_journal(path_));
}

TEST_F(JournalTest, RoundTripsEveryRecordAndIsRootOnly) {
  {
    JournalWriter w = JournalWriter::create(path_, header_);
    w.netns({{"lab1-a", "a", 0, "router"}, {"lab1-b", "b", 0, "lan"}});
    w.netns_ids({{"lab1-a", "a", 7, ""}, {"lab1-b", "b", 9, ""}});
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
  EXPECT_EQ(s->netns[0].id, 7u);
  EXPECT_EQ(s->netns[1].node, "b");
  EXPECT_EQ(s->netns[1].id, 9u);
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
    w.netns({{"lab1-a", "a", 0, "host"}});
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
    w.netns({{"lab1-a", "a", 0, "host"}});
  }
  append_raw("garbage\n{\"no\": \"type\"}\n");
  {
    JournalWriter w = JournalWriter::append_to(path_);
    w.netns({{"lab1-b", "b", 0, "router"}});
    w.netns_ids({{"lab1-a", "a", 7, ""}, {"lab1-b", "b", 8, ""}});
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
  EXPECT_EQ(s->netns[0].id, 7u);
  EXPECT_EQ(s->netns[1].id, 8u);
  EXPECT_TRUE(s->complete);
}

TEST_F(JournalTest, AForcedReadOfAJournalWithoutItsHeaderStillNamesItsNamespaces) {
  append_raw("{\"t\":\"lab\",\"lab\":\"la%%%%\n");
  {
    JournalWriter w = JournalWriter::append_to(path_);
    w.netns({{"lab1-a", "a", 0, "host"}});
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
    w.netns({{"lab1-a", "a", 0, "host"}, {"lab1-b", "b", 0, "host"}, {"lab1-c", "c", 0, "host"}});
    w.netns_ids({{"lab1-a", "a", 11, ""}, {"lab1-b", "b", 12, ""}, {"lab1-c", "c", 13, ""}});
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
    w.netns({{"lab1-b", "b", 0, "router"}});
    w.netns_ids({{"lab1-b", "b", 22, ""}});
  }
  std::optional<JournalState> s = read_journal(path_);
  ASSERT_TRUE(s);
  ASSERT_EQ(s->netns.size(), 2u);
  EXPECT_EQ(s->netns[0].netns, "lab1-a");
  EXPECT_EQ(s->netns[1].netns, "lab1-b");
  EXPECT_EQ(s->netns[1].id, 22u);
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
  EXPECT_EQ(r->netns[1].id, 22u);
  EXPECT_EQ(r->veths.size(), 1u);
  EXPECT_EQ(r->etc_links, s->etc_links);
  EXPECT_EQ(r->daemons.size(), 1u);
  EXPECT_TRUE(r->complete);
  EXPECT_FALSE(std::filesystem::exists(path_ + ".next"));
  struct stat st;
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(ContentHash, IsStableAndSensitive) {
  EXPECT_EQ(content_hash("name: a\n"), content_hash("name: a\n"));
  EXPECT_NE(content_hash("name: a\n"), content_hash("name: b\n"));
  EXPECT_EQ(content_hash("").size(), 16u);
}

}  // namespace
}  // namespace topo
