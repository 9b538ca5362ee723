// hash.h - FNV-1a 64: small, and stable across builds and machines (std::hash is neither).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace topo {

inline uint64_t fnv1a(std::string_view bytes, uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
  return h;
}

// A short, stable fingerprint of bytes (FNV-1a 64, hex).
inline std::string content_hash(std::string_view bytes) {
  return fmt::format("{:016x}", fnv1a(bytes));
}

}  // namespace topo
