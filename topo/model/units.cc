#include "topo/model/units.h"

#include <charconv>
#include <cmath>

#include "topo/model/impairment.h"

namespace topo {

namespace {

// A non-negative decimal number followed by one of the units, each with its multiplier.
template <size_t N>
std::optional<double> number_with_unit(std::string_view text,
                                       const std::pair<std::string_view, double> (&units)[N]) {
  for (const auto& [unit, scale] : units) {
    if (text.size() <= unit.size() || text.substr(text.size() - unit.size()) != unit) continue;
    std::string_view digits = text.substr(0, text.size() - unit.size());
    double value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value,
                                     std::chars_format::fixed);
    if (ec != std::errc() || end != digits.data() + digits.size() || value < 0 ||
        !std::isfinite(value))
      return std::nullopt;
    return value * scale;
  }
  return std::nullopt;
}

}  // namespace

std::optional<uint64_t> parse_duration_us(std::string_view text) {
  // "us" before "s": the longest unit that matches wins.
  static const std::pair<std::string_view, double> kUnits[] = {{"us", 1}, {"ms", 1e3}, {"s", 1e6}};
  auto us = number_with_unit(text, kUnits);
  if (!us || *us > 3600e6) return std::nullopt;  // an hour is more than any lab needs
  return static_cast<uint64_t>(std::llround(*us));
}

std::optional<uint64_t> parse_delay_us(std::string_view text) {
  std::optional<uint64_t> us = parse_duration_us(text);
  if (!us || *us > nl::kMaxNetemDelayUs) return std::nullopt;
  return us;
}

std::optional<double> parse_percent(std::string_view text) {
  static const std::pair<std::string_view, double> kUnits[] = {{"%", 1}};
  auto p = number_with_unit(text, kUnits);
  if (!p || *p > 100) return std::nullopt;
  return p;
}

std::optional<uint64_t> parse_rate_bps(std::string_view text) {
  static const std::pair<std::string_view, double> kUnits[] = {
      {"kbit", 1e3}, {"mbit", 1e6}, {"gbit", 1e9}};
  auto bps = number_with_unit(text, kUnits);
  // tbf takes the rate as a signed 32-bit count of bytes a second: 16gbit at most.
  if (!bps || *bps < 8000 || *bps > 16e9) return std::nullopt;
  return static_cast<uint64_t>(std::llround(*bps));
}

}  // namespace topo

namespace topo {

std::string duration_text(uint64_t us) {
  if (us % 1000000 == 0 && us) return std::to_string(us / 1000000) + "s";
  if (us % 1000 == 0 && us) return std::to_string(us / 1000) + "ms";
  return std::to_string(us) + "us";
}

std::string rate_text(uint64_t bps) {
  if (bps % 1000000000 == 0 && bps) return std::to_string(bps / 1000000000) + "gbit";
  if (bps % 1000000 == 0 && bps) return std::to_string(bps / 1000000) + "mbit";
  if (bps % 1000 == 0 && bps) return std::to_string(bps / 1000) + "kbit";
  return std::to_string(bps) + "bit";
}

}  // namespace topo
