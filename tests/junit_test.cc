// JUnit XML: read back with an XML parser (pugixml, and Python's expat, which is strict about
// the characters XML 1.0 forbids), whatever bytes the cases' texts hold.
#include "topo/verbs/junit.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <pugixml.hpp>

namespace topo::junit {
namespace {

namespace fs = std::filesystem;
using Outcome = Case::Outcome;

Suite sample() {
  Suite s{"lab1", "2026-11-29T14:35:34", "ci-host", 3.5, {}, {}};
  s.cases.push_back({"a reaches b", "lab1", 0.012, Outcome::passed, "", ""});
  s.cases.push_back({"a wrong expectation", "lab1", 0.5, Outcome::failed,
                     "expected exit 0, got exit 1",
                     "expected exit 0\ngot exit 1\nstderr:\n  no\n"});
  s.cases.push_back({"could not start", "lab1", 0, Outcome::error, "fork: no memory", ""});
  s.cases.push_back({"later", "lab1", 0, Outcome::skipped, "not yet", ""});
  return s;
}

pugi::xml_document parsed(const std::string& text) {
  pugi::xml_document doc;
  pugi::xml_parse_result r = doc.load_string(text.c_str());
  EXPECT_TRUE(r) << r.description() << " at " << r.offset << "\n" << text;
  return doc;
}

// Python's XML parser (expat) refuses what pugixml lets through: a forbidden character, raw or
// as a reference, and bytes that are not UTF-8.
void expect_strictly_well_formed(const std::string& text) {
  if (access("/usr/bin/python3", X_OK) != 0) return;
  std::string file = fs::temp_directory_path() / ("topo-junit-" + std::to_string(getpid()));
  std::ofstream(file, std::ios::binary) << text;
  std::string cmd =
      "/usr/bin/python3 -c 'import sys, xml.dom.minidom; "
      "xml.dom.minidom.parse(sys.argv[1])' " +
      file + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[512];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  EXPECT_EQ(pclose(p), 0) << out << "\n" << text;
  fs::remove(file);
}

TEST(JUnit, SuitePropertiesComeBeforeItsCases) {
  Suite s = sample();
  s.properties = {{"step 2: route r1 min", "0.012"}, {"odd \x01 name", "<&>"}};
  std::string text = xml({s});
  expect_strictly_well_formed(text);
  pugi::xml_document doc = parsed(text);
  pugi::xml_node suite = doc.child("testsuites").child("testsuite");
  EXPECT_STREQ(suite.first_child().name(), "properties");
  pugi::xml_node p = suite.child("properties").first_child();
  EXPECT_STREQ(p.attribute("name").value(), "step 2: route r1 min");
  EXPECT_STREQ(p.attribute("value").value(), "0.012");
  EXPECT_STREQ(p.next_sibling().attribute("value").value(), "<&>");
  EXPECT_EQ(std::string(p.next_sibling().attribute("name").value()), "odd \uFFFD name");
  EXPECT_FALSE(doc.child("testsuites").child("testsuite").next_sibling());
  EXPECT_TRUE(xml({sample()}).find("<properties") == std::string::npos);
}

TEST(JUnit, CountsNamesTimesAndWhatFailed) {
  std::string text = xml({sample()});
  expect_strictly_well_formed(text);
  pugi::xml_document doc = parsed(text);
  pugi::xml_node all = doc.child("testsuites");
  EXPECT_EQ(all.attribute("tests").as_int(), 4);
  EXPECT_EQ(all.attribute("failures").as_int(), 1);
  EXPECT_EQ(all.attribute("errors").as_int(), 1);
  EXPECT_EQ(all.attribute("skipped").as_int(), 1);
  pugi::xml_node suite = all.child("testsuite");
  EXPECT_STREQ(suite.attribute("name").value(), "lab1");
  EXPECT_EQ(suite.attribute("tests").as_int(), 4);
  EXPECT_EQ(suite.attribute("failures").as_int(), 1);
  EXPECT_EQ(suite.attribute("errors").as_int(), 1);
  EXPECT_EQ(suite.attribute("skipped").as_int(), 1);
  EXPECT_DOUBLE_EQ(suite.attribute("time").as_double(), 3.5);
  EXPECT_STREQ(suite.attribute("timestamp").value(), "2026-11-29T14:35:34");
  EXPECT_STREQ(suite.attribute("hostname").value(), "ci-host");
  std::vector<pugi::xml_node> cases;
  for (pugi::xml_node c : suite.children("testcase")) cases.push_back(c);
  ASSERT_EQ(cases.size(), 4u);
  EXPECT_STREQ(cases[0].attribute("name").value(), "a reaches b");
  EXPECT_STREQ(cases[0].attribute("classname").value(), "lab1");
  EXPECT_DOUBLE_EQ(cases[0].attribute("time").as_double(), 0.012);
  EXPECT_FALSE(cases[0].first_child()) << "a passed case has no child";
  pugi::xml_node failure = cases[1].child("failure");
  ASSERT_TRUE(failure);
  EXPECT_STREQ(failure.attribute("message").value(), "expected exit 0, got exit 1");
  EXPECT_STREQ(failure.text().get(), "expected exit 0\ngot exit 1\nstderr:\n  no\n");
  EXPECT_STREQ(cases[2].child("error").attribute("message").value(), "fork: no memory");
  EXPECT_STREQ(cases[3].child("skipped").attribute("message").value(), "not yet");
}

TEST(JUnit, SuitesAddUpAndNoSuiteIsAnEmptyReport) {
  Suite other = sample();
  other.name = "lab2";
  other.cases.resize(2);
  pugi::xml_document doc = parsed(xml({sample(), other}));
  pugi::xml_node all = doc.child("testsuites");
  EXPECT_EQ(all.attribute("tests").as_int(), 6);
  EXPECT_EQ(all.attribute("failures").as_int(), 2);
  EXPECT_DOUBLE_EQ(all.attribute("time").as_double(), 7.0);
  EXPECT_STREQ(all.last_child().attribute("name").value(), "lab2");

  Suite empty{"nothing", "", "", 0, {}, {}};
  pugi::xml_document none = parsed(xml({empty}));
  EXPECT_EQ(none.child("testsuites").child("testsuite").attribute("tests").as_int(), 0);
}

TEST(JUnit, MarkupInNamesAndTextsIsText) {
  Suite s = sample();
  s.name = "a<b & \"c\" 'd'";
  s.cases[1].name = "</testcase><testcase name=\"x\">";
  s.cases[1].message = "expected /a|b/ & <c>, got \"d\"\nnext line\ttab";
  s.cases[1].text = "]]> <![CDATA[ &amp; </failure>\r\n";
  std::string text = xml({s});
  expect_strictly_well_formed(text);
  pugi::xml_document doc = parsed(text);
  pugi::xml_node suite = doc.child("testsuites").child("testsuite");
  EXPECT_EQ(suite.attribute("name").value(), s.name);
  EXPECT_EQ(std::distance(suite.children("testcase").begin(), suite.children("testcase").end()), 4);
  pugi::xml_node failed =
      suite.find_child_by_attribute("testcase", "name", s.cases[1].name.c_str());
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed.child("failure").attribute("message").value(), s.cases[1].message);
  // A parser turns a carriage return and newline into a newline.
  EXPECT_STREQ(failed.child("failure").text().get(), "]]> <![CDATA[ &amp; </failure>\n");
}

TEST(JUnit, AnyBytesMakeAParsableFile) {
  std::string bytes = std::string("nul\0", 4) + "\x01\x08\x0b\x0c\x1b[31mred\x1b[0m\x7f" +
                      "\xff\xfe" + "cut \xc3" + " overlong \xc0\xaf" + " surrogate \xed\xa0\x80" +
                      " nonchar \xef\xbf\xbe" + " beyond \xf4\x90\x80\x80" + " ok: é € 😀 \t\n";
  Suite s = sample();
  s.cases[1].name = bytes;
  s.cases[1].message = bytes;
  s.cases[1].text = bytes;
  s.hostname = bytes;
  std::string text = xml({s});
  expect_strictly_well_formed(text);
  // References only to tab, newline and carriage return (in attributes, where they are kept so).
  std::string refs = std::regex_replace(text, std::regex("&#0*(9|10|13);"), "");
  EXPECT_EQ(refs.find("&#"), std::string::npos) << "no other character reference: " << text;
  pugi::xml_document doc = parsed(text);
  const std::string r = "\xEF\xBF\xBD";
  std::string expected = "nul" + r + r + r + r + r + r + "[31mred" + r + "[0m\x7f" + r + r +
                         "cut " + r + " overlong " + r + r + " surrogate " + r + r + r +
                         " nonchar " + r + " beyond " + r + r + r + r + " ok: é € 😀 \t\n";
  EXPECT_EQ(xml_safe(bytes), expected);
  pugi::xml_node failure = doc.child("testsuites")
                               .child("testsuite")
                               .find_child_by_attribute("testcase", "name", expected.c_str());
  ASSERT_TRUE(failure) << text;
  EXPECT_EQ(failure.child("failure").text().get(), expected);
}

TEST(JUnit, XmlSafeKeepsWhatIsValid) {
  std::string valid = "plain ASCII, tab\t, newline\n, é, €, 😀, U+FFFD \xEF\xBF\xBD, \x7f";
  EXPECT_EQ(xml_safe(valid), valid);
  EXPECT_EQ(xml_safe(""), "");
  EXPECT_EQ(xml_safe("\xf0\x9f\x98"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD")
      << "a sequence cut at the end: one U+FFFD a byte";
}

TEST(JUnit, TimestampAndHostname) {
  std::string t = timestamp(1796000000);
  EXPECT_TRUE(std::regex_match(t, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)"))) << t;
  EXPECT_FALSE(hostname().empty());
}

class JUnitFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/topo-junit.XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  std::string dir_;
};

TEST_F(JUnitFile, ReplacesAFileAndLeavesNothingElse) {
  std::string path = dir_ + "/report.xml";
  std::ofstream(path) << "an older report, longer than nothing at all";
  write({sample()}, path);
  EXPECT_EQ(read(path), xml({sample()}));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1)
      << "no temporary file left beside it";
  EXPECT_EQ(fs::status(path).permissions(), fs::perms(0644));
}

TEST_F(JUnitFile, APathThatCannotBeWrittenSaysWhy) {
  auto failure = [](const std::string& path) {
    try {
      write({sample()}, path);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("written");
  };
  std::string missing = dir_ + "/no/such/dir/report.xml";
  EXPECT_EQ(failure(missing),
            "cannot write the JUnit report " + missing + ": No such file or directory");
  EXPECT_EQ(failure(dir_ + "/"), "cannot write the JUnit report " + dir_ + "/: Is a directory");
  fs::create_directory(dir_ + "/sub");
  EXPECT_EQ(failure(dir_ + "/sub"),
            "cannot write the JUnit report " + dir_ + "/sub: Is a directory");
  EXPECT_FALSE(fs::exists(dir_ + "/no"));
}

}  // namespace
}  // namespace topo::junit
