#include "topo/verbs/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>

namespace topo {

namespace {

// %*: "error: " before an error, "warning: " before a warning, nothing before other lines or
// before the lines of the outcome logger.
class LevelPrefix : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string_view prefix = msg.level == spdlog::level::err    ? "error: "
                              : msg.level == spdlog::level::warn ? "warning: "
                                                                 : "";
    if (msg.logger_name == kOutcomeLogger) prefix = "";
    dest.append(prefix.data(), prefix.data() + prefix.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<LevelPrefix>();
  }
};

}  // namespace

std::unique_ptr<spdlog::formatter> message_formatter() {
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<LevelPrefix>('*').set_pattern("%^%*%v%$");
  return formatter;
}

void setup_logging(int verbose, bool quiet) {
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  sink->set_formatter(message_formatter());
  auto logger = std::make_shared<spdlog::logger>("topo", sink);
  logger->set_level(quiet     ? spdlog::level::warn
                    : verbose ? spdlog::level::debug
                              : spdlog::level::info);
  spdlog::set_default_logger(logger);
  // The same sink, so that its lines and the default logger's come out in order.
  spdlog::drop(std::string(kOutcomeLogger));
  spdlog::register_logger(logger->clone(std::string(kOutcomeLogger)));
}

}  // namespace topo
