// junit.h - JUnit XML, the test report CI systems read (Jenkins, GitLab, GitHub's reporters):
// suites of cases in, XML out. For `topo test`, and for anything else that runs checks.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace topo::junit {

struct Case {
  enum class Outcome { passed, failed, error, skipped };
  std::string name, classname;
  double seconds = 0;
  Outcome outcome = Outcome::passed;
  // Failed, error or skipped: `message` one line (an attribute), `text` the details.
  std::string message, text;
};

struct Suite {
  std::string name;
  std::string timestamp;  // when it started, ISO 8601 without zone: 2026-11-29T14:35:34
  std::string hostname;
  double seconds = 0;
  // <properties>: name and value pairs about the whole suite (a scenario's measured times).
  std::vector<std::pair<std::string, std::string>> properties;
  std::vector<Case> cases;
};

// <testsuites> holding one <testsuite> per suite, with the counts of tests, failures, errors and
// skipped. Any bytes may be given: what is not UTF-8, and characters XML 1.0 forbids (control
// characters other than tab, newline and carriage return), become U+FFFD, so the document parses.
std::string xml(const std::vector<Suite>& suites);

// `text` with every invalid UTF-8 sequence and every character XML 1.0 forbids as U+FFFD.
std::string xml_safe(std::string_view text);

// The local time `t` (seconds since the epoch) as a suite's timestamp.
std::string timestamp(long t);
// This machine's name, "" when unknown.
std::string hostname();

// Writes `xml(suites)` to `path`, replacing what is there at once (a new file renamed over it),
// so that a reader never sees half of it. Throws, with the path and the reason, when it cannot.
void write(const std::vector<Suite>& suites, const std::string& path);

}  // namespace topo::junit
