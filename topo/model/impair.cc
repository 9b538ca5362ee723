#include "topo/model/impair.h"

#include <sstream>

#include <fmt/format.h>

#include "topo/model/units.h"

namespace topo {

nl::Impairment effective_impairment(const Impair* link, const Impair* end) {
  nl::Impairment out;
  for (const Impair* layer : {link, end}) {
    if (!layer) continue;
    if (layer->delay_us) out.delay_us = *layer->delay_us;
    if (layer->jitter_us) out.jitter_us = *layer->jitter_us;
    if (layer->loss) out.loss = *layer->loss;
    if (layer->duplicate) out.duplicate = *layer->duplicate;
    if (layer->corrupt) out.corrupt = *layer->corrupt;
    if (layer->reorder) out.reorder = *layer->reorder;
    if (layer->rate_bps) out.rate_bps = *layer->rate_bps;
  }
  return out;
}

std::string impairment_text(const nl::Impairment& i) {
  std::string text;
  auto add = [&](const std::string& part) { text += (text.empty() ? "" : " ") + part; };
  if (i.delay_us) add("delay " + duration_text(i.delay_us));
  if (i.jitter_us) add("jitter " + duration_text(i.jitter_us));
  if (i.loss > 0) add(fmt::format("loss {:g}%", i.loss));
  if (i.duplicate > 0) add(fmt::format("duplicate {:g}%", i.duplicate));
  if (i.corrupt > 0) add(fmt::format("corrupt {:g}%", i.corrupt));
  if (i.reorder > 0) add(fmt::format("reorder {:g}%", i.reorder));
  if (i.rate_bps) add("rate " + rate_text(i.rate_bps));
  return text;
}

std::optional<nl::Impairment> parse_impairment_text(std::string_view text) {
  nl::Impairment i;
  std::istringstream words{std::string(text)};
  std::string key, value;
  while (words >> key) {
    if (!(words >> value)) return std::nullopt;
    std::optional<uint64_t> n;
    std::optional<double> p;
    if (key == "delay" && (n = parse_duration_us(value)))
      i.delay_us = *n;
    else if (key == "jitter" && (n = parse_duration_us(value)))
      i.jitter_us = *n;
    else if (key == "rate" && (n = parse_rate_bps(value)))
      i.rate_bps = *n;
    else if ((p = parse_percent(value)) && key == "loss")
      i.loss = *p;
    else if (p && key == "duplicate")
      i.duplicate = *p;
    else if (p && key == "corrupt")
      i.corrupt = *p;
    else if (p && key == "reorder")
      i.reorder = *p;
    else
      return std::nullopt;
  }
  return i;
}

}  // namespace topo
