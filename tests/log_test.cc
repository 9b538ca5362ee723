// How messages look: the level says "error: " or "warning: ", not the message's text.
#include <gtest/gtest.h>

#include <sstream>

#include <spdlog/sinks/ostream_sink.h>

#include "topo/verbs/log.h"

namespace topo {
namespace {

class Logged : public ::testing::Test {
 protected:
  Logged() : sink_(std::make_shared<spdlog::sinks::ostream_sink_st>(text_)) {
    sink_->set_formatter(message_formatter());
  }
  std::shared_ptr<spdlog::logger> logger(const std::string& name) {
    auto l = std::make_shared<spdlog::logger>(name, sink_);
    l->set_level(spdlog::level::debug);
    return l;
  }
  std::ostringstream text_;
  std::shared_ptr<spdlog::sinks::ostream_sink_st> sink_;
};

TEST_F(Logged, ErrorsAndWarningsSaySoAndOtherLinesAreBare) {
  auto l = logger("topo");
  l->error("lab {} is not running", "x");
  l->warn("journal {}: skipped damaged line 3", "j");
  l->info("a: create netns x-a");
  l->debug("a| output");
  EXPECT_EQ(text_.str(),
            "error: lab x is not running\n"
            "warning: journal j: skipped damaged line 3\n"
            "a: create netns x-a\n"
            "a| output\n");
}

TEST_F(Logged, AnErrorsOutcomeHasNoPrefixOfItsOwn) {
  logger("topo")->error("apply failed");
  logger(std::string(kOutcomeLogger))->error("rolled back: lab x created nothing that is left");
  EXPECT_EQ(text_.str(), "error: apply failed\nrolled back: lab x created nothing that is left\n");
}

TEST_F(Logged, QuietShowsAnErrorsOutcome) {
  spdlog::drop(std::string(kOutcomeLogger));
  auto previous = spdlog::default_logger();
  setup_logging(0, true);
  auto outcome = spdlog::get(std::string(kOutcomeLogger));
  ASSERT_TRUE(outcome);
  EXPECT_TRUE(outcome->should_log(spdlog::level::err));
  EXPECT_FALSE(spdlog::default_logger()->should_log(spdlog::level::info));
  setup_logging(1, false);  // again: no "logger exists" error; -v shows debug lines
  EXPECT_TRUE(spdlog::default_logger()->should_log(spdlog::level::debug));
  spdlog::drop(std::string(kOutcomeLogger));
  spdlog::set_default_logger(previous);
}

}  // namespace
}  // namespace topo
