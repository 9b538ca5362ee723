// impair.h - a link end's impairment: the file's settings merged, and shown as text.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "topo/model/impairment.h"
#include "topo/model/model.h"

namespace topo {

// The impairment of one end: the link's `impair`, with the end's own settings over it.
nl::Impairment effective_impairment(const Impair* link, const Impair* end);

// "delay 10ms jitter 2ms loss 0.5% rate 100mbit"; "" for none.
std::string impairment_text(const nl::Impairment& impairment);
// The other way round (a journal's record); nullopt for text impairment_text does not write.
std::optional<nl::Impairment> parse_impairment_text(std::string_view text);

}  // namespace topo
