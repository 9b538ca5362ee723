// The journal's versions and its record of the lab as built (journal.h), on journals written
// by hand as each version of topo wrote them.
#include <gtest/gtest.h>
#include <time.h>

#include <chrono>
#include <cstdio>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "tests/journal_fixture.h"
#include "tests/lab_sample.h"
#include "topo/model/version.h"
#include "topo/run/journal.h"
#include "topo/run/lab_json.h"

namespace topo {
namespace {

using testing::chain_lab;

class JournalBuiltTest : public testing::JournalFixture {
 protected:
  // The error reading the journal gives ("" for none).
  std::string read_error(std::vector<size_t>* damaged = nullptr) {
    try {
      read_journal(path_, damaged);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "";
  }
  static std::string header_with(const std::string& version_field) {
    return R"({"t":"lab","lab":"lab1","prefix":"lab1-","file":"/x/lab.yaml","hash":"abc",)" +
           version_field + "}\n";
  }
};

TEST_F(JournalBuiltTest, TheHeaderNamesTheTopoThatWroteIt) {
  { JournalWriter::create(path_, header_); }
  std::optional<JournalState> s = read_journal(path_);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->written_by, version_text());
  EXPECT_EQ(s->written_by.rfind(topo_version(), 0), 0u);
}

TEST_F(JournalBuiltTest, EachRecordIsWrittenAsEveryVersionWroteIt) {
  {
    JournalWriter w = JournalWriter::create(path_, header_);
    w.netns({{"lab1-a", "a", {}, "router"}});
    w.netns_id("lab1-a", {70, 3, 7});
    w.veths({{"a:eth0", "host:up"}}, {{"up", "02:00:00:00:00:09"}});
    w.etc_links({"lab1-a"}, /*dir_exists=*/false);
    w.daemon({"a", "d", 100});
    w.impairment("a:eth0", "delay 10ms");
    w.link_state("a:eth0", false);
    w.complete(1, 1);
    w.daemon_gone("a", "d");
    w.veth_gone("a:eth0", "host:up");
    w.host_link_gone("up");
    w.etc_link_gone("lab1-a");
    w.netns_gone("lab1-a");
  }
  EXPECT_EQ(file_text(),
            R"({"file":"/x/lab.yaml","hash":"abc","lab":"lab1","pid":42,"prefix":"lab1-",)"
            R"("started":1000,"t":"lab","topo":")" +
                version_text() +
                R"(","version":3})"
                "\n"
                R"({"kind":"router","netns":"lab1-a","node":"a","t":"netns"})"
                "\n"
                R"({"cookie":70,"dev":3,"ino":7,"netns":"lab1-a","t":"netns-id"})"
                "\n"
                R"({"iface":"up","mac":"02:00:00:00:00:09","t":"host-link"})"
                "\n"
                R"({"a":"a:eth0","b":"host:up","t":"veth"})"
                "\n"
                R"({"t":"etc-dir"})"
                "\n"
                R"({"netns":"lab1-a","t":"etc-link"})"
                "\n"
                R"({"name":"d","node":"a","pid":100,"t":"daemon"})"
                "\n"
                R"({"end":"a:eth0","t":"impair","text":"delay 10ms"})"
                "\n"
                R"({"end":"a:eth0","t":"link-state","up":false})"
                "\n"
                R"({"links":1,"nodes":1,"t":"complete"})"
                "\n"
                R"({"name":"d","node":"a","t":"daemon-gone"})"
                "\n"
                R"({"a":"a:eth0","b":"host:up","t":"veth-gone"})"
                "\n"
                R"({"iface":"up","t":"host-link-gone"})"
                "\n"
                R"({"netns":"lab1-a","t":"etc-link-gone"})"
                "\n"
                R"({"netns":"lab1-a","t":"netns-gone"})"
                "\n");
}

TEST_F(JournalBuiltTest, AVersion2JournalIsReadAndSaysItHoldsNoLabAsBuilt) {
  append_raw(header_with(R"("pid":42,"started":1000,"version":2)") +
             R"({"kind":"host","netns":"lab1-a","node":"a","t":"netns"})"
             "\n"
             R"({"cookie":70,"dev":3,"ino":7,"netns":"lab1-a","t":"netns-id"})"
             "\n"
             R"({"end":"a:eth0","t":"impair","text":"delay 10ms"})"
             "\n"
             R"({"links":0,"nodes":1,"t":"complete"})"
             "\n");
  std::optional<JournalState> s = read_journal(path_);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->version, 2);
  EXPECT_TRUE(s->complete);
  EXPECT_FALSE(s->built);
  EXPECT_FALSE(s->building);
  ASSERT_EQ(s->netns.size(), 1u);
  EXPECT_EQ(s->netns[0].id, (nl::NetnsId{70, 3, 7}));
  EXPECT_EQ(s->impairments.at("a:eth0"), "delay 10ms");
  EXPECT_EQ(s->header.pid, 42);
}

TEST_F(JournalBuiltTest, AJournalOfANewerTopoIsRefusedEvenForced) {
  append_raw(header_with(R"("version":4)"));
  EXPECT_EQ(read_error(),
            "journal " + path_ +
                " has version 4: this topo reads journal versions 1 to 3 (a newer topo wrote "
                "it: take the lab down with that one)");
  std::vector<size_t> damaged;
  EXPECT_NE(read_error(&damaged), "");
}

TEST_F(JournalBuiltTest, AHeaderWithoutAVersionNumberIsRefusedNotMisread) {
  for (std::string field : {R"("pid":1)", R"("version":"3")", R"("version":2.5)",
                            R"("version":null)", R"("version":0)", R"("version":-1)"}) {
    std::filesystem::remove(path_);
    append_raw(header_with(field));
    std::string error = read_error();
    std::string found = field == R"("pid":1)" ? "no version" : "version " + field.substr(10);
    EXPECT_EQ(error,
              "journal " + path_ + " has " + found + ": this topo reads journal versions 1 to 3")
        << field;
    std::vector<size_t> damaged;
    EXPECT_EQ(read_error(&damaged), error) << field;
  }
}

TEST_F(JournalBuiltTest, AFirstUpKilledLeavesWhatItWasBuildingAndNothingBuilt) {
  {
    JournalWriter w = JournalWriter::create(path_, header_);
    w.built(chain_lab(3));
    w.netns({{"lab1-n1", "n1", {}, "host"}});
  }
  std::optional<JournalState> s = read_journal(path_);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->version, 3);
  EXPECT_FALSE(s->complete);
  EXPECT_FALSE(s->built);
  ASSERT_TRUE(s->building);
  EXPECT_EQ(s->building->nodes.size(), 3u);
  EXPECT_EQ(nlohmann::json(*s->building), nlohmann::json(chain_lab(3)));
}

TEST_F(JournalBuiltTest, ACompleteUpIsBuiltAndAChangeKilledIsStillBuilding) {
  {
    JournalWriter w = JournalWriter::create(path_, header_);
    w.built(chain_lab(3));
    w.netns({{"lab1-n1", "n1", {}, "host"}});
    w.complete(3, 2);
  }
  std::optional<JournalState> s = read_journal(path_);
  ASSERT_TRUE(s && s->built);
  EXPECT_EQ(s->built->nodes.size(), 3u);
  EXPECT_FALSE(s->building);
  // A change to 4 nodes, killed before it settled.
  JournalWriter::append_to(path_).built(chain_lab(4));
  s = read_journal(path_);
  ASSERT_TRUE(s && s->built && s->building);
  EXPECT_TRUE(s->complete);
  EXPECT_EQ(s->built->nodes.size(), 3u);
  EXPECT_EQ(s->building->nodes.size(), 4u);
  // Finished: the newest build is the built one.
  JournalWriter::append_to(path_).complete(4, 3);
  s = read_journal(path_);
  ASSERT_TRUE(s && s->built);
  EXPECT_EQ(s->built->nodes.size(), 4u);
  EXPECT_FALSE(s->building);
}

TEST_F(JournalBuiltTest, ARewriteKeepsWhatWasBuiltAndWhatIsBuilding) {
  { JournalWriter w = JournalWriter::create(path_, header_); }
  JournalState s = *read_journal(path_);
  s.complete = true;
  s.built = chain_lab(2);
  s.building = chain_lab(5);
  JournalWriter::rewrite(path_, s);
  std::optional<JournalState> r = read_journal(path_);
  ASSERT_TRUE(r && r->built && r->building);
  EXPECT_EQ(r->built->nodes.size(), 2u);
  EXPECT_EQ(r->building->nodes.size(), 5u);
  // Settled after a change: what was wanted is what is built.
  r->built = chain_lab(5);
  r->building.reset();
  JournalWriter::rewrite(path_, *r);
  r = read_journal(path_);
  ASSERT_TRUE(r && r->built);
  EXPECT_EQ(r->built->nodes.size(), 5u);
  EXPECT_FALSE(r->building);
  // Not complete: only what is building can be kept.
  r->complete = false;
  EXPECT_THROW(JournalWriter::rewrite(path_, *r), std::invalid_argument);
  r->building = std::move(r->built);
  r->built.reset();
  JournalWriter::rewrite(path_, *r);
  r = read_journal(path_);
  ASSERT_TRUE(r && r->building);
  EXPECT_FALSE(r->built);
  EXPECT_EQ(r->building->nodes.size(), 5u);
}

TEST_F(JournalBuiltTest, ABuiltRecordTornByAKillIsIgnored) {
  {
    JournalWriter w = JournalWriter::create(path_, header_);
    w.built(chain_lab(2));
    w.complete(2, 1);
  }
  std::string line = R"({"lab":)" + nlohmann::json(chain_lab(3)).dump() + R"(,"t":"built"})";
  append_raw(line.substr(0, line.size() / 2));
  std::optional<JournalState> s = read_journal(path_);
  ASSERT_TRUE(s && s->built);
  EXPECT_EQ(s->built->nodes.size(), 2u);
  EXPECT_FALSE(s->building);
}

TEST_F(JournalBuiltTest, ARecordWhoseFieldsAreNotItsTypesIsADamagedLine) {
  { JournalWriter w = JournalWriter::create(path_, header_); }
  nlohmann::json lab = chain_lab(2);
  lab["nodes"][0]["kind"] = "switch";
  append_raw(nlohmann::json{{"t", "built"}, {"lab", lab}}.dump() + "\n" +
             R"({"kind":"host","netns":"lab1-a","node":7,"t":"netns"})"
             "\n"
             R"({"kind":"host","netns":"lab1-b","node":"b","t":"netns"})"
             "\n"
             R"({"links":0,"nodes":2,"t":"complete"})"
             "\n");
  EXPECT_NE(read_error().find("is damaged at line 2"), std::string::npos) << read_error();
  std::vector<size_t> damaged;
  std::optional<JournalState> s = read_journal(path_, &damaged);
  ASSERT_TRUE(s);
  EXPECT_EQ(damaged, (std::vector<size_t>{2, 3}));
  ASSERT_EQ(s->netns.size(), 1u);
  EXPECT_EQ(s->netns[0].node, "b");
  EXPECT_FALSE(s->built);
}

// By hand: build/topo_unit_tests --gtest_also_run_disabled_tests --gtest_filter='*TimeTo*'
// Prints what writing and reading a big lab's `built` record costs (no assertion on time).
TEST(JournalBuilt, DISABLED_TimeToWriteAndReadTheBuiltRecordOfBigLabs) {
  for (size_t n : {1000, 10000}) {
    Lab lab = chain_lab(n);
    std::string dir = std::filesystem::temp_directory_path() / "topo-lab-json-bench";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    std::string path = dir + "/journal";
    JournalWriter w = JournalWriter::create(path, {"lab1", "lab1-", "/x", "h", 1, 0});
    // The thread's CPU time, and the time on the wall (longer on a busy machine).
    auto now = [] {
      timespec cpu;
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
      return std::pair(cpu.tv_sec * 1e3 + cpu.tv_nsec / 1e6,
                       std::chrono::duration<double, std::milli>(
                           std::chrono::steady_clock::now().time_since_epoch())
                           .count());
    };
    auto t0 = now();
    w.built(lab);
    auto t1 = now();
    std::optional<JournalState> s = read_journal(path);
    auto t2 = now();
    ASSERT_TRUE(s && s->building);
    std::printf(
        "%zu nodes: built record %.0f KiB; serialize+write %.2f ms CPU (%.2f ms wall); "
        "read_journal %.2f ms CPU (%.2f ms wall)\n",
        n, std::filesystem::file_size(path) / 1024.0, t1.first - t0.first, t1.second - t0.second,
        t2.first - t1.first, t2.second - t1.second);
    std::filesystem::remove_all(dir);
  }
}

}  // namespace
}  // namespace topo
