// Which ends `topo capture LAB END...` listens on.
#include "topo/verbs/capture_ends.h"

#include <gtest/gtest.h>

#include "topo/verbs/lab.h"

namespace topo {
namespace {

// h1 - r1 - r2 - h2, a LAN of r2, h3 and h4 (_lan4), and r1's end in the root namespace.
const std::vector<JournalVeth> kVeths = {{"h1:eth0", "r1:eth0"},     {"r1:eth1", "r2:eth0"},
                                         {"r2:eth1", "h2:eth0"},     {"r2:eth2", "_lan4:p1"},
                                         {"h3:eth0", "_lan4:p2"},    {"h4:eth0", "_lan4:p3"},
                                         {"r1:eth9", "host:topo-r1"}};

std::vector<std::string> select(const std::vector<std::string>& words) {
  std::vector<std::string> out;
  for (const End& e : select_ends("demo", kVeths, words)) out.push_back(e.text());
  return out;
}

std::string error_of(const std::vector<std::string>& words) {
  try {
    select(words);
  } catch (const InvalidInput& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(CaptureEnds, NothingIsEveryEndInTheOrderOfTheLinks) {
  std::vector<std::string> all = select({});
  ASSERT_EQ(all.size(), 14u);
  EXPECT_EQ(all.front(), "h1:eth0");
  EXPECT_EQ(all[7], "_lan4:p1") << "LAN ports included";
  EXPECT_EQ(all.back(), "host:topo-r1") << "host: ends included";
}

TEST(CaptureEnds, AnEndANodeOrALinkAsTheFileWritesIt) {
  EXPECT_EQ(select({"r1:eth1"}), (std::vector<std::string>{"r1:eth1"}));
  EXPECT_EQ(select({"r1"}), (std::vector<std::string>{"r1:eth0", "r1:eth1", "r1:eth9"}));
  EXPECT_EQ(select({"r2:eth0,r1:eth1"}), (std::vector<std::string>{"r2:eth0", "r1:eth1"}));
  EXPECT_EQ(select({"[h1:eth0, r1:eth0]"}), (std::vector<std::string>{"h1:eth0", "r1:eth0"}));
  EXPECT_EQ(select({"host"}), (std::vector<std::string>{"host:topo-r1"}));
  EXPECT_EQ(select({"_lan4:p2"}), (std::vector<std::string>{"_lan4:p2"}));
}

TEST(CaptureEnds, ALanWrittenAsInTheFileBringsItsPorts) {
  EXPECT_EQ(select({"[h3:eth0, r2:eth2, h4:eth0]"}),
            (std::vector<std::string>{"h3:eth0", "r2:eth2", "h4:eth0", "_lan4:p1", "_lan4:p2",
                                      "_lan4:p3"}));
}

TEST(CaptureEnds, ALinkInBracketsSplitIntoWordsByTheShellIsOneLinkAgain) {
  EXPECT_EQ(select({"[h1:eth0,", "r1:eth0]", "r2"}),
            (std::vector<std::string>{"h1:eth0", "r1:eth0", "r2:eth0", "r2:eth1", "r2:eth2"}));
}

TEST(CaptureEnds, EachEndOnceInTheOrderNamed) {
  EXPECT_EQ(select({"r2:eth0", "r1", "r1:eth1"}),
            (std::vector<std::string>{"r2:eth0", "r1:eth0", "r1:eth1", "r1:eth9"}));
}

TEST(CaptureEnds, ANameThatIsNoEndIsRefusedWithASuggestion) {
  EXPECT_EQ(error_of({"r1:eth3"}), "lab demo has no link end r1:eth3 (did you mean `r1:eth0`?)");
  EXPECT_EQ(error_of({"rr1"}), "lab demo has no node rr1 (did you mean `r1`?)");
  EXPECT_EQ(error_of({"r1:"}), "`r1:` is not NODE:IFACE");
  EXPECT_EQ(error_of({"r1:eth0,r2:eth0"}),
            "`r1:eth0,r2:eth0` is not a link of lab demo: a link is written with all its ends, "
            "as in the file (like `r1:eth1,r2:eth1`)");
  EXPECT_EQ(error_of({"[h3:eth0, r2:eth2]"}).substr(0, 40),
            "`[h3:eth0, r2:eth2]` is not a link of la");
  EXPECT_EQ(error_of({"r1:eth0,r9:eth0"}).substr(0, 32), "lab demo has no link end r9:eth0");
}

}  // namespace
}  // namespace topo
