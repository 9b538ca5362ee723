// libFuzzer target: any bytes given to the loader and validator end in a topology or in
// diagnostics, never in a crash, a hang or undefined behaviour. Built by `make fuzz`.
#include <cstddef>
#include <cstdint>
#include <string>

#include "topo/language/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  topo::LoadResult r =
      topo::load_text("fuzz.yaml", std::string(reinterpret_cast<const char*>(data), size), "/");
  // Rendering walks every diagnostic's line and column: exercise it too.
  if (!r.diagnostics.empty()) (void)r.diagnostics.render();
  return 0;
}
