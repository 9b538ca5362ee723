// impairment.h - what an end's impairment asks of the kernel, as values (netlink/qdisc.h sends
// them): netem's delay, jitter and probabilities, tbf's rate.
#pragma once

#include <cstdint>

namespace nl {

struct Impairment {
  uint64_t delay_us = 0, jitter_us = 0;
  double loss = 0, duplicate = 0, corrupt = 0, reorder = 0;  // percent
  uint64_t rate_bps = 0;                                     // 0: unlimited
  bool needs_netem() const {
    return delay_us || jitter_us || loss > 0 || duplicate > 0 || corrupt > 0 || reorder > 0;
  }
  bool operator==(const Impairment&) const = default;
};

// netem's delay and jitter are u32 counts of the kernel's 64 ns ticks (libnl 3.7 sends no
// 64-bit latency): 2^32 ticks is about 274.9 s, the most either can be.
inline constexpr uint64_t kMaxNetemDelayUs = 274'000'000;

}  // namespace nl
