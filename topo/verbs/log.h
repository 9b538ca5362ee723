// log.h - how topo's messages look on stderr: "error: MESSAGE" and "warning: MESSAGE" from the
// logger's level, not from each message's text; info and debug lines bare.
#pragma once

#include <memory>
#include <string_view>
#include <utility>

#include <spdlog/formatter.h>
#include <spdlog/spdlog.h>

namespace topo {

// The name of the logger whose error lines carry no "error: " (error_outcome).
inline constexpr std::string_view kOutcomeLogger = "topo:outcome";

// "%^<prefix>%v%$": the level's prefix, the message, coloured by level on a terminal.
std::unique_ptr<spdlog::formatter> message_formatter();

// The default logger to stderr, through message_formatter(): with `quiet` only warnings and
// errors, with `verbose` debug lines (every kernel action) too.
void setup_logging(int verbose, bool quiet);

// A line that goes with an error already printed (what was done about it: rolled back, kept, a
// count of the file's errors): shown whenever errors are (-q too), with no "error: " of its own.
template <typename... Args>
void error_outcome(spdlog::format_string_t<Args...> format, Args&&... args) {
  std::shared_ptr<spdlog::logger> logger = spdlog::get(std::string(kOutcomeLogger));
  (logger ? logger : spdlog::default_logger())->error(format, std::forward<Args>(args)...);
}

}  // namespace topo
