// units.h - the quantities of a topology file: durations, percentages, rates.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace topo {

// "10ms", "2s", "500us", "1.5ms" -> microseconds.
std::optional<uint64_t> parse_duration_us(std::string_view text);
// A netem delay or jitter: a duration the kernel can hold (at most nl::kMaxNetemDelayUs).
std::optional<uint64_t> parse_delay_us(std::string_view text);
// "0.5%" -> 0.5; 0..100.
std::optional<double> parse_percent(std::string_view text);
// "100mbit", "64kbit", "1gbit" -> bits per second (SI: k = 1000).
std::optional<uint64_t> parse_rate_bps(std::string_view text);

}  // namespace topo

namespace topo {

// The other way round, in the file's own units: 10000 -> "10ms", 1500 -> "1500us".
std::string duration_text(uint64_t us);
// 100000000 -> "100mbit", 64000 -> "64kbit", 1500 -> "1500bit".
std::string rate_text(uint64_t bps);

}  // namespace topo
