// journal_fixture.h - a journal in a temporary directory of its own, for the journal's tests.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "topo/run/journal.h"

namespace topo::testing {

class JournalFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/topo-journal-test.XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/journal";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void append_raw(const std::string& text) { std::ofstream(path_, std::ios::app) << text; }
  std::string file_text() const {
    std::ifstream in(path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  std::string dir_, path_;
  JournalHeader header_{"lab1", "lab1-", "/x/lab.yaml", "abc", 42, 1000};
};

}  // namespace topo::testing
