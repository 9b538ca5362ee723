#include "topo/model/impair.h"

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

}  // namespace topo
